"""Request bodies against the OpenAPI schemas: the validator alone, then 400s over HTTP."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from bulkimport.emulator import RunningEmulator
from bulkimport.emulator.rest import uuid_of
from bulkimport.emulator.rest.schemas import OPERATIONS
from bulkimport.emulator.rest.validation import validate
from tests.emulator.restcall import api, login, new_hire_body

CREATE_EMPLOYEE = OPERATIONS["createEmployee"]["body"]
CREATE_ADDRESS = OPERATIONS["createEmployeeAddress"]["body"]
COMPANY = uuid_of("company", 54613)
JAN_DE_VRIES = uuid_of("employee", 503293)


def with_basic(**changes: Any) -> dict[str, Any]:
    body = new_hire_body(2001)
    body["PersonalInfo"]["basicInfo"].update(changes)
    return body


@pytest.mark.parametrize(
    ("body", "problems"),
    [
        (new_hire_body(2001), []),
        (
            {"PersonalInfo": {"basicInfo": {"employeeType": "payroll"}}},
            [("PersonalInfo.basicInfo.lastName", "is required")],
        ),
        (
            with_basic(employeeNumber="2001"),
            [("PersonalInfo.basicInfo.employeeNumber", "must be a whole number")],
        ),
        (
            with_basic(employeeNumber=True),
            [("PersonalInfo.basicInfo.employeeNumber", "must be a whole number")],
        ),
        (
            with_basic(employeeType="temp"),
            [
                (
                    "PersonalInfo.basicInfo.employeeType",
                    "must be one of: applicant, newHire, payroll, formerPayroll, external, "
                    "formerExternal, rejectedApplicant",
                )
            ],
        ),
        (
            with_basic(middleName="Maria"),
            [("PersonalInfo.basicInfo.middleName", "is not a known property")],
        ),
        (
            with_basic(lastName=None),
            [("PersonalInfo.basicInfo.lastName", "must not be null")],
        ),
        (
            {"PersonalInfo": {"personalInfoId": "0039b188-b5f5-49a6-a3d5-0448ce4042ee"}},
            [("PersonalInfo.personalInfoId", "is read-only and cannot be sent")],
        ),
        (
            {"AdditionalEmployeeInfo": {"inServiceDate": "01-11-2026"}},
            [("AdditionalEmployeeInfo.inServiceDate", "must be a date (yyyy-mm-dd)")],
        ),
        (
            {"AdditionalEmployeeInfo": {"defaultEmployeeTemplate": "abc"}},
            [("AdditionalEmployeeInfo.defaultEmployeeTemplate", "must be a UUID")],
        ),
        (
            {"PersonalInfo": {"contactInfo": {"businessEmail": "no-at-sign"}}},
            [("PersonalInfo.contactInfo.businessEmail", "must be an e-mail address")],
        ),
        (
            {"PersonalInfo": {"partnerInfo": {"maritalStatus": None}}},
            [],  # nullable beside allOf
        ),
        ([], [("body", "must be an object")]),
    ],
)
def test_create_employee_schema(body: Any, problems: list[tuple[str, str]]) -> None:
    assert validate(CREATE_EMPLOYEE, body) == problems


@pytest.mark.parametrize(
    ("moment", "valid"),
    [
        ("2026-11-01T00:00:00Z", True),
        ("2026-11-01T00:00:00.250+01:00", True),
        ("2026-11-01T00:00:00", False),  # no offset: not RFC 3339
        ("2026-11-01", False),
        ("2026-13-01T00:00:00Z", False),
    ],
)
def test_date_time_is_rfc_3339(moment: str, valid: bool) -> None:
    schema = OPERATIONS["createEmployeeContract"]["body"]
    problems = validate(schema, {"startDate": moment, "indefinite": True})
    assert (problems == []) is valid


async def test_a_bad_body_gets_nmbrs_400_naming_every_field(
    session: aiohttp.ClientSession, emulator: RunningEmulator
) -> None:
    tokens = await login(session, emulator)
    body = {"type": "castle", "street": 12, "countryISOCode": "NL", "floor": 3}
    status, reply = await api(
        session,
        emulator,
        "POST",
        f"/api/employees/{JAN_DE_VRIES}/address",
        tokens.access,
        json=body,
    )
    assert status == 400
    assert {key: reply[key] for key in ("type", "httpStatus", "code", "title")} == {
        "type": "validationError",
        "httpStatus": 400,
        "code": 40033,
        "title": "Parameter_Invalid",
    }
    assert sorted(param["name"] for param in reply["invalid-params"]) == [
        "city",
        "floor",
        "street",
        "type",
    ]
    assert len(emulator.state.employees[503293].addresses) == 1  # nothing stored


async def test_not_json_and_wrong_content_type_are_400(
    session: aiohttp.ClientSession, emulator: RunningEmulator
) -> None:
    tokens = await login(session, emulator)
    url = f"{emulator.origin}/api/companies/{COMPANY}/employees"
    headers = {
        "X-Subscription-Key": "bulkimport-demo-subscription-key",
        "Authorization": f"Bearer {tokens.access}",
    }
    for content_type, data, name in (
        ("application/json", b"{not json", "body"),
        ("text/plain", b"{}", "Content-Type"),
    ):
        async with session.post(
            url, data=data, headers={**headers, "Content-Type": content_type}
        ) as response:
            assert response.status == 400
            reply = await response.json()
        assert [param["name"] for param in reply["invalid-params"]] == [name]


async def test_create_employee_needs_a_person_and_a_start(
    session: aiohttp.ClientSession, emulator: RunningEmulator
) -> None:
    tokens = await login(session, emulator)
    status, reply = await api(
        session, emulator, "POST", f"/api/companies/{COMPANY}/employees", tokens.access, json={}
    )
    assert status == 400
    assert [param["name"] for param in reply["invalid-params"]] == [
        "PersonalInfo.basicInfo",
        "AdditionalEmployeeInfo.inServiceDate",
    ]


def test_every_served_body_schema_is_embedded() -> None:
    """The generated module covers each write the templates need, with its schema."""
    writes = {name for name, spec in OPERATIONS.items() if spec["method"] in ("POST", "PUT")}
    assert writes == {
        "createEmployee",
        "UpdateEmployeePersonalInfo",
        "updateEmployeeSocialSecurityNumber",
        "createEmployeeAddress",
        "createEmployeeBankAccount",
        "createEmployeeContract",
        "createEmployeeSalary",
        "createEmployeeSchedule",
    }
    assert all(OPERATIONS[name]["body"] for name in writes)
    assert CREATE_ADDRESS["required"] == ["type", "street", "city", "countryISOCode"]
