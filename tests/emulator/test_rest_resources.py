"""The REST door's operations on the shared state: what one door writes, the other reads."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import aiohttp
import pytest

from bulkimport.emulator import DEFAULT_EMPLOYEE_TYPE, RunningEmulator
from bulkimport.emulator.rest import uuid_of
from tests.emulator.restcall import Tokens, api, login, new_hire_body
from tests.emulator.soapcall import ok

DEMO_BV = 54613
JAN_DE_VRIES = 503293  # employee 1001 of DEMO B.V.
COMPANY = uuid_of("company", DEMO_BV)


@pytest.fixture
async def tokens(session: aiohttp.ClientSession, emulator: RunningEmulator) -> Tokens:
    return await login(session, emulator)


async def create_employee(
    session: aiohttp.ClientSession, emulator: RunningEmulator, tokens: Tokens, number: int
) -> str:
    status, body = await api(
        session,
        emulator,
        "POST",
        f"/api/companies/{COMPANY}/employees",
        tokens.access,
        json=new_hire_body(number),
    )
    assert status == 201, body
    employee_id = body["employeeId"]
    assert isinstance(employee_id, str)
    return employee_id


async def history(
    session: aiohttp.ClientSession,
    emulator: RunningEmulator,
    tokens: Tokens,
    kind: str,
    employee_id: str,
) -> list[Any]:
    status, body = await api(
        session,
        emulator,
        "GET",
        f"/api/companies/{COMPANY}/employees/{kind}",
        tokens.access,
        params={"employeeId": employee_id},
    )
    assert status == 200, body
    assert [item["employeeId"] for item in body["data"]] == [employee_id]
    entries = next(value for key, value in body["data"][0].items() if key != "employeeId")
    assert isinstance(entries, list)
    return entries


async def test_company_list_and_current_period(
    session: aiohttp.ClientSession, emulator: RunningEmulator, tokens: Tokens
) -> None:
    status, body = await api(session, emulator, "GET", "/api/companies", tokens.access)
    assert status == 200
    demo = next(company for company in body["data"] if company["companyId"] == COMPANY)
    assert (demo["number"], demo["name"]) == ("444445", "DEMO B.V.")
    status, body = await api(
        session, emulator, "GET", f"/api/companies/{COMPANY}/period", tokens.access
    )
    assert status == 200
    assert body["data"] == [
        {
            "period": {"year": 2026, "period": 11},
            "periodType": "month",
            "displayPeriod": "2026-11-M",
        }
    ]


async def test_an_employee_inserted_over_soap_is_listed_over_rest(
    session: aiohttp.ClientSession, emulator: RunningEmulator, tokens: Tokens
) -> None:
    employee_id = await ok(
        session,
        emulator,
        "Employee_Insert",
        {
            "CompanyId": DEMO_BV,
            "FirstName": "Kees",
            "LastName": "Kuipers",
            "StartDate": date(2026, 11, 1),
            "UnprotectedMode": False,
        },
    )
    status, body = await api(
        session,
        emulator,
        "GET",
        f"/api/companies/{COMPANY}/employees",
        tokens.access,
        params={"pageSize": "100"},
    )
    assert status == 200
    listed = {item["employeeId"]: item["employeeBasicInfo"] for item in body["data"]}
    basic = listed[uuid_of("employee", employee_id)]
    assert (basic["firstName"], basic["lastName"], basic["employeeType"]) == (
        "Kees",
        "Kuipers",
        "payroll",
    )
    status, body = await api(
        session,
        emulator,
        "GET",
        f"/api/employees/{uuid_of('employee', employee_id)}",
        tokens.access,
    )
    assert status == 200
    assert body["data"][0]["personalInfo"]["basicInfo"]["lastName"] == "Kuipers"


async def test_an_employee_created_over_rest_is_listed_over_soap(
    session: aiohttp.ClientSession, emulator: RunningEmulator, tokens: Tokens
) -> None:
    employee_uuid = await create_employee(session, emulator, tokens, 2001)
    listed = await ok(
        session,
        emulator,
        "List_GetByCompany",
        {"CompanyId": DEMO_BV, "EmployeeType": DEFAULT_EMPLOYEE_TYPE},
    )
    by_uuid = {uuid_of("employee", item["Id"]): item for item in listed["Employee"]}
    soap_employee = by_uuid[employee_uuid]
    assert (soap_employee["Number"], soap_employee["DisplayName"]) == (2001, "Eva Jansen")
    info = await ok(
        session, emulator, "PersonalInfo_GetCurrent", {"EmployeeId": soap_employee["Id"]}
    )
    assert (info["Gender"], info["EmailWork"], info["Initials"]) == (
        "female",
        "eva.jansen@demo.example",
        "E.",
    )


async def test_each_aspect_of_a_new_hire_is_stored_and_read_back(
    session: aiohttp.ClientSession, emulator: RunningEmulator, tokens: Tokens
) -> None:
    employee = await create_employee(session, emulator, tokens, 2002)
    soap_id = next(
        number for number in emulator.state.employees if uuid_of("employee", number) == employee
    )
    writes: list[tuple[str, str, dict[str, Any], str]] = [
        ("PUT", "socialsecuritynumber", {"socialSecurityNumber": "123456782"}, "personalnfoId"),
        (
            "POST",
            "address",
            {"type": "homeAddress", "street": "Damrak", "houseNumber": "1",
             "postalCode": "1012 LG", "city": "Amsterdam", "countryISOCode": "NL",
             "isDefault": True},
            "addressId",
        ),
        ("POST", "bankaccount", {"IBAN": "NL91ABNA0417164300", "bankAccountType": "bankAccount1"},
         "bankAccountId"),
        ("POST", "contract", {"startDate": "2026-11-01T00:00:00Z", "indefinite": True,
                              "hoursPerWeek": 32}, "contractId"),
        ("POST", "salary", {"startDate": "2026-11-01T00:00:00Z", "type": "grossFulltimeSalary",
                            "value": 4100.5}, "salaryId"),
        ("POST", "schedule", {"startDate": "2026-11-01T00:00:00Z", "hoursPerWeek": 32,
                              "week1": {"hoursMonday": 8, "hoursTuesday": 8,
                                        "hoursWednesday": 8, "hoursThursday": 8}}, "scheduleId"),
    ]  # fmt: skip
    for method, path, body, id_name in writes:
        status, reply = await api(
            session, emulator, method, f"/api/employees/{employee}/{path}", tokens.access, json=body
        )
        assert status == (200 if method == "PUT" else 201), (path, reply)
        assert set(reply) == {id_name}

    info = await ok(session, emulator, "PersonalInfo_GetCurrent", {"EmployeeId": soap_id})
    assert info["BSN"] == "123456782"
    addresses = await history(session, emulator, tokens, "addresses", employee)
    assert [(a["street"], a["city"], a["type"]) for a in addresses] == [
        ("Damrak", "Amsterdam", "homeAddress")
    ]
    soap_accounts = await ok(
        session, emulator, "BankAccount_GetListCurrent", {"EmployeeId": soap_id}
    )
    assert [a["IBAN"] for a in soap_accounts["BankAccount"]] == ["NL91ABNA0417164300"]
    contracts = await history(session, emulator, tokens, "contracts", employee)
    assert [(c["startDate"], c["indefinite"], c["hoursPerWeek"]) for c in contracts] == [
        ("2026-11-01T00:00:00Z", True, 32.0)
    ]
    salary = await ok(session, emulator, "Salary_GetCurrent", {"EmployeeId": soap_id})
    assert (salary["Value"], salary["Type"]) == (Decimal("4100.5"), "Bruto_Salaris_Fulltime")
    schedule = await ok(session, emulator, "Schedule_GetCurrent", {"EmployeeId": soap_id})
    assert (schedule["HoursMonday"], schedule["HoursFriday"], schedule["HoursMonday2"]) == (
        Decimal(8),
        Decimal(0),
        Decimal(8),
    )
    assert schedule["ParttimePercentage"] == Decimal("80.00")
    schedules = await history(session, emulator, tokens, "schedules", employee)
    assert schedules[-1]["week1"]["hoursThursday"] == 8.0


async def test_personal_info_put_replaces_the_period_but_keeps_the_bsn(
    session: aiohttp.ClientSession, emulator: RunningEmulator, tokens: Tokens
) -> None:
    employee = uuid_of("employee", JAN_DE_VRIES)
    body = {"basicInfo": {"employeeNumber": 1001, "firstName": "Johannes", "lastName": "Vries",
                          "prefix": "de"}}  # fmt: skip
    status, reply = await api(
        session,
        emulator,
        "PUT",
        f"/api/employees/{employee}/personalInfo",
        tokens.access,
        json=body,
    )
    assert status == 200, reply
    info = await ok(session, emulator, "PersonalInfo_GetCurrent", {"EmployeeId": JAN_DE_VRIES})
    assert (info["FirstName"], info["BSN"], info.get("EmailWork")) == (
        "Johannes",
        "725763863",
        None,
    )
    entries = await history(session, emulator, tokens, "personalinfo", employee)
    assert [entry["period"] for entry in entries] == [
        {"year": 2018, "period": 4},
        {"year": 2026, "period": 11},
    ]


async def test_business_rules_are_the_soap_doors_answered_in_rest_shape(
    session: aiohttp.ClientSession, emulator: RunningEmulator, tokens: Tokens
) -> None:
    employee = uuid_of("employee", JAN_DE_VRIES)
    status, body = await api(
        session,
        emulator,
        "POST",
        f"/api/employees/{employee}/bankaccount",
        tokens.access,
        json={"IBAN": "NL00ABNA0417164300"},
    )
    assert (status, body["code"], body["title"]) == (400, 40033, "Parameter_Invalid")
    assert [param["name"] for param in body["invalid-params"]] == ["IBAN"]
    assert "NL00" not in str(body)  # refusals never repeat the value

    duplicate = new_hire_body(1002)  # Anton de Jong's number
    before = len(emulator.state.employees)
    status, body = await api(
        session, emulator, "POST", f"/api/companies/{COMPANY}/employees", tokens.access,
        json=duplicate,
    )  # fmt: skip
    assert status == 400
    assert [p["name"] for p in body["invalid-params"]] == ["PersonalInfo.basicInfo.employeeNumber"]
    assert len(emulator.state.employees) == before  # nothing half-created


async def test_a_bsn_for_an_employee_inserted_over_soap(
    session: aiohttp.ClientSession, emulator: RunningEmulator, tokens: Tokens
) -> None:
    employee_id = await ok(
        session,
        emulator,
        "Employee_Insert",
        {
            "CompanyId": DEMO_BV,
            "LastName": "Kuipers",
            "StartDate": date(2026, 11, 1),
            "UnprotectedMode": False,
        },
    )
    path = f"/api/employees/{uuid_of('employee', employee_id)}/socialsecuritynumber"
    status, body = await api(
        session, emulator, "PUT", path, tokens.access, json={"socialSecurityNumber": "123456781"}
    )
    assert (status, [p["name"] for p in body["invalid-params"]]) == (400, ["socialSecurityNumber"])
    status, _ = await api(
        session, emulator, "PUT", path, tokens.access, json={"socialSecurityNumber": "123456782"}
    )
    assert status == 200
    info = await ok(session, emulator, "PersonalInfo_GetCurrent", {"EmployeeId": employee_id})
    assert (info["BSN"], info["LastName"]) == ("123456782", "Kuipers")


async def test_unknown_ids_are_404_with_nmbrs_codes(
    session: aiohttp.ClientSession, emulator: RunningEmulator, tokens: Tokens
) -> None:
    nobody = uuid_of("employee", 1)
    status, body = await api(session, emulator, "GET", f"/api/employees/{nobody}", tokens.access)
    assert (status, body["code"]) == (404, 40401)
    nowhere = uuid_of("company", 1)
    status, body = await api(
        session, emulator, "GET", f"/api/companies/{nowhere}/employees", tokens.access
    )
    assert (status, body["code"], body["title"]) == (404, 40404, "Invalid_Company")
    status, body = await api(session, emulator, "GET", "/api/nothing/here", tokens.access)
    assert (status, body["code"]) == (404, 40401)
    status, body = await api(session, emulator, "GET", "/api/employees/503293", tokens.access)
    assert (status, body["invalid-params"][0]["name"]) == (400, "employeeId")


async def test_the_history_filters(
    session: aiohttp.ClientSession, emulator: RunningEmulator, tokens: Tokens
) -> None:
    path = f"/api/companies/{COMPANY}/employees/salaries"
    status, body = await api(session, emulator, "GET", path, tokens.access,
                             params={"pageSize": "100"})  # fmt: skip
    assert status == 200
    assert len(body["data"]) == 10  # every employee of DEMO B.V., one salary each
    status, body = await api(
        session, emulator, "GET", path, tokens.access,
        params={"createdFrom": "2022-01-01T00:00:00Z"},
    )  # fmt: skip
    assert status == 200
    assert len(body["data"]) == 3  # hired 2022-02, 2023-08, 2024-01
    status, body = await api(
        session, emulator, "GET", path, tokens.access,
        params={"employeeId": uuid_of("employee", 1)},
    )  # fmt: skip
    assert (status, body["data"]) == (200, [])
