"""The wire: authentication, strict request decoding, SOAPAction routing, hostile input."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import cast

import aiohttp
import pytest
import structlog
from lxml import etree

from bulkimport.config import Credentials
from bulkimport.emulator import (
    DEMO_CREDENTIALS,
    EmulatorConfig,
    RunningEmulator,
    running_emulator,
)
from bulkimport.emulator.operations import HANDLERS
from bulkimport.nmbrs.soap.envelope import (
    SOAP_NAMESPACE,
    Fault,
    build_request,
    parse_fault,
    parse_xml,
)
from bulkimport.nmbrs.soap.schema import service_namespace
from tests.emulator.soapcall import fault, ok, operation, post

EMPLOYEE_NS = service_namespace("EmployeeService")
INSERT = operation("Employee_Insert")
INSERT_VALUES = {
    "FirstName": "Jan",
    "LastName": "Jansen",
    "StartDate": date(2026, 12, 1),
    "CompanyId": 54613,
    "UnprotectedMode": False,
}


def insert_request(credentials: Credentials = DEMO_CREDENTIALS) -> bytes:
    return build_request(INSERT, INSERT_VALUES, credentials)


def edited(document: bytes, change: Callable[[etree._Element], None]) -> bytes:
    root = etree.fromstring(document)
    change(root)
    return etree.tostring(root)


def call_element(root: etree._Element) -> etree._Element:
    body = root.find(f"{{{SOAP_NAMESPACE}}}Body")
    assert body is not None
    return body[0]


def child(parent: etree._Element, name: str) -> etree._Element:
    found = parent.find(f"{{{EMPLOYEE_NS}}}{name}")
    assert found is not None, name
    return found


def read_fault(reply: bytes) -> Fault:
    root = parse_xml(reply)
    found = root.find(f"{{{SOAP_NAMESPACE}}}Body/{{{SOAP_NAMESPACE}}}Fault")
    assert found is not None, reply
    return parse_fault(found)


async def client_fault(
    session: aiohttp.ClientSession, emulator: RunningEmulator, body: bytes, action: str | None
) -> str:
    status, reply = await post(session, emulator.url("EmployeeService"), body, action)
    assert status == 500
    parsed = read_fault(reply)
    assert parsed.faultcode == "soap:Client"
    assert parsed.code is None
    return parsed.faultstring


# --- authentication ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "credentials",
    [
        Credentials("someone@else.example", DEMO_CREDENTIALS.token, "demo"),
        Credentials(DEMO_CREDENTIALS.username, "wrong-token", "demo"),
        Credentials(DEMO_CREDENTIALS.username, DEMO_CREDENTIALS.token, "otherdomain"),
        Credentials("", "", ""),
    ],
    ids=["username", "token", "domain", "empty"],
)
async def test_wrong_credentials_get_1001(
    session: aiohttp.ClientSession, emulator: RunningEmulator, credentials: Credentials
) -> None:
    reply = await fault(
        session, emulator, "Employee_Insert", INSERT_VALUES, 1001, credentials=credentials
    )
    assert reply.message == "Invalid Authentication"
    assert len(emulator.state.employees) == 15  # nothing inserted


async def test_domain_may_be_left_out(
    session: aiohttp.ClientSession, emulator: RunningEmulator
) -> None:
    credentials = Credentials(DEMO_CREDENTIALS.username, DEMO_CREDENTIALS.token)
    status, _ = await post(
        session, emulator.url("EmployeeService"), insert_request(credentials), INSERT.soap_action
    )
    assert status == 200


def _drop_header(root: etree._Element) -> None:
    header = root.find(f"{{{SOAP_NAMESPACE}}}Header")
    assert header is not None
    root.remove(header)


def _header_in_company_namespace(root: etree._Element) -> None:
    for element in root.iter(f"{{{EMPLOYEE_NS}}}AuthHeaderWithDomain"):
        for node in (element, *element):
            node.tag = f"{{{service_namespace('CompanyService')}}}{etree.QName(node).localname}"


def _lower_case_username(root: etree._Element) -> None:
    next(root.iter(f"{{{EMPLOYEE_NS}}}Username")).tag = f"{{{EMPLOYEE_NS}}}username"


@pytest.mark.parametrize(
    "change",
    [_drop_header, _header_in_company_namespace, _lower_case_username],
    ids=["missing", "foreign-namespace", "wrong-case"],
)
async def test_missing_or_unrecognised_header_gets_1001(
    session: aiohttp.ClientSession,
    emulator: RunningEmulator,
    change: Callable[[etree._Element], None],
) -> None:
    body = edited(insert_request(), change)
    status, reply = await post(session, emulator.url("EmployeeService"), body, INSERT.soap_action)
    assert status == 500
    assert read_fault(reply).code == 1001


# --- strict decoding ---------------------------------------------------------------------------
def _swap_names(root: etree._Element) -> None:
    call = call_element(root)
    call.insert(0, child(call, "LastName"))


def _add_unknown(root: etree._Element) -> None:
    etree.SubElement(call_element(root), f"{{{EMPLOYEE_NS}}}MiddleName").text = "x"


def _drop_company(root: etree._Element) -> None:
    call = call_element(root)
    call.remove(child(call, "CompanyId"))


def _mistype_company(root: etree._Element) -> None:
    child(call_element(root), "CompanyId").text = "54613a"


def _bad_date(root: etree._Element) -> None:
    child(call_element(root), "StartDate").text = "01-12-2026"


def _wrong_case(root: etree._Element) -> None:
    child(call_element(root), "CompanyId").tag = f"{{{EMPLOYEE_NS}}}companyId"


def _duplicate(root: etree._Element) -> None:
    call = call_element(root)
    call.insert(1, etree.fromstring(etree.tostring(child(call, "FirstName"))))


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (_swap_names, "Employee_Insert/StartDate: is required but missing (found FirstName"),
        (_add_unknown, "Employee_Insert/MiddleName"),
        (_drop_company, "Employee_Insert/CompanyId: is required but missing"),
        (_mistype_company, "Employee_Insert/CompanyId: '54613a' is not a valid xs:int"),
        (_bad_date, "Employee_Insert/StartDate"),
        (_wrong_case, "Employee_Insert/CompanyId: is required but missing"),
        (_duplicate, "Employee_Insert/FirstName: appears more than once"),
    ],
    ids=[
        "misordered",
        "unknown",
        "missing",
        "mistyped",
        "bad-date",
        "wrong-case",
        "duplicate",
    ],
)
async def test_schema_violations_are_client_faults_naming_the_element(
    session: aiohttp.ClientSession,
    emulator: RunningEmulator,
    change: Callable[[etree._Element], None],
    where: str,
) -> None:
    message = await client_fault(
        session, emulator, edited(insert_request(), change), INSERT.soap_action
    )
    assert message.startswith(
        "Server was unable to read request. ---> There is an error in XML document: "
    )
    assert where in message
    assert len(emulator.state.employees) == 15


@pytest.mark.parametrize(
    "company_id",
    [
        b'<CompanyId xmlns="">54613</CompanyId>',
        b'<x:CompanyId xmlns:x="https://api.nmbrs.nl/soap/v2.1/EmployeeService">54613</x:CompanyId>',
    ],
    ids=["no-namespace", "v2.1-namespace"],
)
async def test_elements_in_another_namespace_are_refused(
    session: aiohttp.ClientSession, emulator: RunningEmulator, company_id: bytes
) -> None:
    document = insert_request().replace(b"<CompanyId>54613</CompanyId>", company_id)
    message = await client_fault(session, emulator, document, INSERT.soap_action)
    assert "Employee_Insert/CompanyId: is required but missing" in message


async def test_nested_violations_name_the_nested_path(
    session: aiohttp.ClientSession, emulator: RunningEmulator
) -> None:
    update = operation("PersonalInfo_UpdateCurrent")
    body = build_request(
        update,
        {
            "EmployeeId": 503293,
            "PersonalInfo": {"Id": 0, "Number": 1001, "IdentificationType": 0, "Gender": "male"},
        },
        DEMO_CREDENTIALS,
    )

    def bad_gender(root: etree._Element) -> None:
        next(root.iter(f"{{{EMPLOYEE_NS}}}Gender")).text = "Male"

    message = await client_fault(session, emulator, edited(body, bad_gender), update.soap_action)
    assert (
        "PersonalInfo_UpdateCurrent/PersonalInfo/Gender: 'Male' is not a valid value for Gender"
        in message
    )


# --- routing -----------------------------------------------------------------------------------
async def test_soap_action_quoted_or_not(
    session: aiohttp.ClientSession, emulator: RunningEmulator
) -> None:
    url = emulator.url("EmployeeService")
    for quoted in (True, False):
        status, _ = await post(session, url, insert_request(), INSERT.soap_action, quoted=quoted)
        assert status == 200
    assert len(emulator.state.employees) == 17


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        (
            None,
            "Unable to handle request without a valid action parameter. "
            "Please supply a valid soap action.",
        ),
        ("", "Server did not recognize the value of HTTP Header SOAPAction: ."),
        (
            f"{EMPLOYEE_NS}/Employee_Create",
            "Server did not recognize the value of HTTP Header SOAPAction: "
            f"{EMPLOYEE_NS}/Employee_Create.",
        ),
        (
            "https://api.nmbrs.nl/soap/v3/CompanyService/List_GetAll",
            "Server did not recognize the value of HTTP Header SOAPAction: https://api.nmbrs.nl/soap/v3/CompanyService/List_GetAll.",
        ),
    ],
    ids=["missing", "empty", "unknown", "other-service"],
)
async def test_unrecognised_soap_action(
    session: aiohttp.ClientSession, emulator: RunningEmulator, action: str | None, expected: str
) -> None:
    assert await client_fault(session, emulator, insert_request(), action) == expected
    assert len(emulator.state.employees) == 15


async def test_body_must_match_the_soap_action(
    session: aiohttp.ClientSession, emulator: RunningEmulator
) -> None:
    action = operation("List_GetByCompany").soap_action
    message = await client_fault(session, emulator, insert_request(), action)
    assert "does not match the SOAPAction List_GetByCompany" in message


# --- hostile and broken input ------------------------------------------------------------------
async def test_malformed_xml_gets_an_empty_400(
    session: aiohttp.ClientSession, emulator: RunningEmulator
) -> None:
    status, reply = await post(
        session, emulator.url("EmployeeService"), insert_request()[:-20], INSERT.soap_action
    )
    assert (status, reply) == (400, b"")
    assert emulator.stats.snapshot()["faults_by_code"] == {"http_400": 1}


async def test_a_request_with_a_dtd_is_refused_without_expanding_it(
    session: aiohttp.ClientSession, emulator: RunningEmulator
) -> None:
    document = (
        insert_request()
        .replace(b"<soap:Envelope", b'<!DOCTYPE x [<!ENTITY big "lol">]>\n<soap:Envelope', 1)
        .replace(b"<FirstName>Jan</FirstName>", b"<FirstName>&big;</FirstName>")
    )
    message = await client_fault(session, emulator, document, INSERT.soap_action)
    assert "DTD" in message
    assert len(emulator.state.employees) == 15


async def test_soap_12_envelope_is_refused(
    session: aiohttp.ClientSession, emulator: RunningEmulator
) -> None:
    document = insert_request().replace(
        SOAP_NAMESPACE.encode(), b"http://www.w3.org/2003/05/soap-envelope"
    )
    message = await client_fault(session, emulator, document, INSERT.soap_action)
    assert "SOAP 1.1 Envelope" in message


async def test_an_oversize_request_is_refused(session: aiohttp.ClientSession) -> None:
    config = EmulatorConfig(current_period=(2026, 11), max_request_bytes=4096)
    async with running_emulator(config) as small:
        padded = edited(
            insert_request(),
            lambda root: child(call_element(root), "FirstName").__setattr__("text", "J" * 5000),
        )
        status, reply = await post(
            session, small.url("EmployeeService"), padded, INSERT.soap_action
        )
        assert status == 413
        parsed = read_fault(reply)
        assert parsed.faultcode == "soap:Client"
        assert "Maximum request length exceeded" in parsed.faultstring
        assert len(small.state.employees) == 15


# --- service pages -------------------------------------------------------------------------
async def test_get_service_page_and_unknown_paths(
    session: aiohttp.ClientSession, emulator: RunningEmulator
) -> None:
    async with session.get(emulator.url("CompanyService")) as response:
        assert response.status == 200
        assert "Company_GetCurrentPeriod" in await response.text()
    async with session.post(emulator.url("DebtorService"), data=b"") as response:
        assert response.status == 404


async def test_read_operations_need_no_parameters(
    session: aiohttp.ClientSession, emulator: RunningEmulator
) -> None:
    assert len((await ok(session, emulator, "List_GetAll"))["Company"]) == 3


@pytest.mark.parametrize(
    "content_type", ["application/soap+xml; charset=utf-8", "application/octet-stream"]
)
async def test_only_soap_11_content_type_is_accepted(
    session: aiohttp.ClientSession, emulator: RunningEmulator, content_type: str
) -> None:
    headers = {"Content-Type": content_type, "SOAPAction": INSERT.soap_action}
    async with session.post(
        emulator.url("EmployeeService"), data=insert_request(), headers=headers
    ) as response:
        assert response.status == 415
        parsed = read_fault(await response.read())
    assert parsed.faultcode == "soap:Client" and "text/xml" in parsed.faultstring
    assert len(emulator.state.employees) == 15


async def test_an_emulator_bug_becomes_fault_9999_without_personal_data_in_the_log(
    session: aiohttp.ClientSession, emulator: RunningEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(state: object, values: object) -> None:
        raise RuntimeError("725763863")  # a BSN in an exception message must not be logged

    handlers = cast(dict[tuple[str, str], object], HANDLERS)
    monkeypatch.setitem(handlers, INSERT.key, broken)
    with structlog.testing.capture_logs() as logs:
        reply = await fault(session, emulator, "Employee_Insert", INSERT_VALUES, 9999)
    assert reply.message == "Unknown"
    assert logs == [
        {
            "event": "emulator_internal_error",
            "error": "RuntimeError",
            "path": "/soap/v3/EmployeeService.asmx",
            "log_level": "error",
        }
    ]
