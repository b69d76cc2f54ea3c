"""Fidelity: the REST door's requests and replies checked by a standard OpenAPI validator.

openapi-core, not the emulator's own validator, checks every exchange of a session that calls
every served operation (and provokes its errors) against Nmbrs' own document, found at
`../shared/nmbrs/rest-openapi/nmbrs-openapi.yaml` beside the repository (or where
NMBRS_OPENAPI points). The document itself does not pass openapi-core's spec check (some of its
unrelated wage-tax schemas are malformed), so only the spec check is switched off.
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass, field
from json import dumps
from pathlib import Path
from typing import Any, Final
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest

from bulkimport.emulator import RunningEmulator
from bulkimport.emulator.rest import uuid_of
from bulkimport.emulator.rest.schemas import OPERATIONS
from tests.emulator.restcall import KEY_HEADER, login, new_hire_body

ROOT: Final = Path(__file__).resolve().parents[2]
SPEC: Final = Path(
    os.environ.get("NMBRS_OPENAPI")
    or ROOT.parent / "shared" / "nmbrs" / "rest-openapi" / "nmbrs-openapi.yaml"
)
NMBRS_HOST: Final = "https://api.nmbrsapp.com"  # the document's server
COMPANY: Final = uuid_of("company", 54613)

pytestmark = pytest.mark.skipif(
    not SPEC.is_file(), reason=f"Nmbrs' OpenAPI document is not at {SPEC} (../shared is absent)"
)
openapi_core = pytest.importorskip("openapi_core")
datastructures = pytest.importorskip("werkzeug.datastructures")


@dataclass
class SpecRequest:
    """An exchange's request as openapi-core reads it, addressed to Nmbrs' host."""

    path: str
    method: str
    parameters: Any
    content_type: str
    body: bytes | None
    host_url: str = NMBRS_HOST


@dataclass
class SpecResponse:
    status_code: int
    content_type: str
    data: bytes | None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Recorder:
    """Sends API calls to the emulator and keeps each exchange for validation."""

    session: aiohttp.ClientSession
    emulator: RunningEmulator
    token: str
    exchanges: list[tuple[SpecRequest, SpecResponse]] = field(default_factory=list)

    async def call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        sent = {**KEY_HEADER, "Authorization": f"Bearer {self.token}", **(headers or {})}
        body = None if json is None else dumps(json).encode()
        if body is not None:
            sent["Content-Type"] = "application/json"
        async with self.session.request(
            method, f"{self.emulator.origin}{path}", data=body, params=params, headers=sent
        ) as response:
            data = await response.read()
            request_info = response.request_info
            reply = await response.json() if data else None
            status, content_type = response.status, response.headers.get("Content-Type", "")
        url = urlsplit(str(request_info.url))
        request = SpecRequest(
            path=url.path,
            method=method.lower(),
            parameters=openapi_core.datatypes.RequestParameters(
                query=datastructures.ImmutableMultiDict(parse_qs(url.query)),
                header=datastructures.Headers(dict(request_info.headers)),
            ),
            content_type="application/json" if json is not None else "",
            body=body,
        )
        self.exchanges.append((request, SpecResponse(status, content_type, data)))
        return status, reply


@pytest.fixture(scope="module")
def openapi() -> Any:
    config = openapi_core.Config(spec_validator_cls=None)
    return openapi_core.OpenAPI.from_file_path(str(SPEC), config=config)


# openapi-core checks no OAuth2 tokens and warns so; the emulator's own tests cover them.
@pytest.mark.filterwarnings("ignore:Unsupported scheme type:UserWarning")
async def test_every_exchange_matches_nmbrs_document(
    session: aiohttp.ClientSession, emulator: RunningEmulator, openapi: Any
) -> None:
    tokens = await login(session, emulator)
    recorder = Recorder(session, emulator, tokens.access)
    call = recorder.call
    statuses: dict[str, set[int]] = {}

    def saw(operation: str, status: int) -> None:
        statuses.setdefault(operation, set()).add(status)

    status, _ = await call("GET", "/api/companies")
    saw("getCompanies", status)
    status, _ = await call("GET", f"/api/companies/{COMPANY}/period")
    saw("getCurrentPeriod", status)
    status, _ = await call("GET", f"/api/companies/{COMPANY}/addresses")
    saw("getCompanyAddresses", status)
    status, created = await call(
        "POST", f"/api/companies/{COMPANY}/employees", json=new_hire_body(2001)
    )
    saw("createEmployee", status)
    employee = created["employeeId"]
    status, _ = await call(
        "GET", f"/api/companies/{COMPANY}/employees", params={"pageSize": "5", "pageNumber": "2"}
    )
    saw("getEmployeesByCompany", status)
    writes = [
        ("UpdateEmployeePersonalInfo", "PUT", "personalInfo",
         {"basicInfo": {"employeeNumber": 2001, "firstName": "Eva", "lastName": "Jansen"},
          "birthInfo": {"birthDate": "1990-05-17T00:00:00Z", "nationalityCodeISO": "NL",
                        "gender": "female"},
          "partnerInfo": {"maritalStatus": "married", "ascriptionCode": 1},
          "period": {"year": 2026, "period": 11}}),
        ("updateEmployeeSocialSecurityNumber", "PUT", "socialsecuritynumber",
         {"socialSecurityNumber": "123456782"}),
        ("createEmployeeAddress", "POST", "address",
         {"type": "homeAddress", "street": "Damrak", "houseNumber": "1", "postalCode": "1012 LG",
          "city": "Amsterdam", "countryISOCode": "NL", "isDefault": True}),
        ("createEmployeeBankAccount", "POST", "bankaccount",
         {"IBAN": "NL91ABNA0417164300", "bankAccountType": "bankAccount1", "name": "E. Jansen"}),
        ("createEmployeeContract", "POST", "contract",
         {"startDate": "2026-11-01T00:00:00Z", "indefinite": False,
          "endDate": "2027-10-31T00:00:00Z", "writtenContract": True, "hoursPerWeek": 32}),
        ("createEmployeeSalary", "POST", "salary",
         {"startDate": "2026-11-01T00:00:00Z", "type": "grossFulltimeSalary", "value": 4100.5}),
        ("createEmployeeSchedule", "POST", "schedule",
         {"startDate": "2026-11-01T00:00:00Z", "hoursPerWeek": 32,
          "week1": {"hoursMonday": 8, "hoursTuesday": 8, "hoursWednesday": 8,
                    "hoursThursday": 8}}),
    ]  # fmt: skip
    for operation, method, path, body in writes:
        status, _ = await call(method, f"/api/employees/{employee}/{path}", json=body)
        saw(operation, status)
    status, _ = await call("GET", f"/api/employees/{employee}")
    saw("getEmployee", status)
    for operation, kind in (
        ("getEmployeePersonalInfoByCompany", "personalinfo"),
        ("getAddressesByCompany", "addresses"),
        ("getBankAccountsByCompany", "bankaccounts"),
        ("getContractsByCompany", "contracts"),
        ("getSalariesByCompany", "salaries"),
        ("getSchedulesByCompany", "schedules"),
    ):
        status, _ = await call("GET", f"/api/companies/{COMPANY}/employees/{kind}")
        saw(operation, status)
        status, _ = await call(
            "GET", f"/api/companies/{COMPANY}/employees/{kind}", params={"employeeId": employee}
        )
        saw(operation, status)

    # Refusals have their documented shapes too.
    status, _ = await call("POST", f"/api/employees/{employee}/address", json={"type": "castle"})
    saw("createEmployeeAddress", status)
    status, _ = await call("GET", f"/api/employees/{uuid_of('employee', 1)}")
    saw("getEmployee", status)
    status, _ = await call("GET", f"/api/companies/{uuid_of('company', 1)}/period")
    saw("getCurrentPeriod", status)
    status, _ = await call("GET", "/api/companies", headers={"Authorization": "Bearer expired"})
    saw("getCompanies", status)

    assert set(statuses) == set(OPERATIONS)  # every served operation was exercised
    assert statuses["createEmployeeAddress"] == {201, 400}
    assert statuses["getCompanies"] == {200, 401}

    failures = []
    for request, response in recorder.exchanges:
        if response.status_code < 400:  # bad requests are sent on purpose
            failures += [
                f"request {request.method} {request.path}: {error}"
                for error in openapi.iter_request_errors(request)
            ]
        failures += [
            f"reply {response.status_code} to {request.method} {request.path}: {error}"
            for error in openapi.iter_response_errors(request, response)
        ]
    assert failures == []


def test_the_embedded_schemas_are_what_the_generator_makes_of_the_document() -> None:
    """schemas.py is regenerated, not edited: the script's reading of the document matches."""
    yaml = pytest.importorskip("yaml")
    location = ROOT / "scripts" / "gen_rest_schemas.py"
    module_spec = importlib.util.spec_from_file_location("gen_rest_schemas", location)
    assert module_spec is not None and module_spec.loader is not None
    generator = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(generator)
    document = yaml.safe_load(SPEC.read_bytes())
    assert generator.operations(document) == OPERATIONS
