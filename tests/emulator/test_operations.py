"""Every emulated operation over real HTTP: happy paths, period semantics and business faults."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import aiohttp
import pytest

from bulkimport.emulator import DEFAULT_EMPLOYEE_TYPE, RunningEmulator
from tests.emulator.soapcall import fault, ok

JAN_DE_VRIES = 503293  # employee 1001 of DEMO B.V. (54613)
ERIK_JOHANSSON = 503303  # employee 5001 of Demo Sverige AB (61001)


def personal_info(**overrides: Any) -> dict[str, Any]:
    info: dict[str, Any] = {
        "Id": 0,
        "Number": 81135,
        "EmployeeNumber": 81135,
        "BSN": "123456782",
        "FirstName": "Jan",
        "Initials": "J.",
        "LastName": "Jansen",
        "Gender": "male",
        "NationalityCode": 1,
        "IdentificationType": 0,
        "EmailWork": "jan.jansen@example.nl",
        "BurgerlijkeStaat": "Ongehuwd",
        "Birthday": date(1990, 5, 17),
    }
    info.update(overrides)
    return info


def schedule(hours: str = "8") -> dict[str, Any]:
    week = {
        f"Hours{day}{suffix}": Decimal(hours if day not in ("Saturday", "Sunday") else 0)
        for suffix in ("", "2")
        for day in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
    }
    return {**week, "ParttimePercentage": Decimal(100), "StartDate": date(2026, 11, 1)}


def contract(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "ContractID": 0,
        "CreationDate": None,
        "StartDate": date(2026, 12, 1),
        "TrialPeriod": None,
        "EndDate": date(2027, 11, 30),
        "EmployementType": 1,
        "EmploymentSequenceTaxId": 1,
        "Indefinite": False,
        "PhaseClassification": None,
        "WrittenContract": True,
        "HoursPerWeek": Decimal("32.5"),
    }
    values.update(overrides)
    return values


async def insert(session: aiohttp.ClientSession, emulator: RunningEmulator, **extra: Any) -> int:
    values = {
        "FirstName": "Jan",
        "LastName": "Jansen",
        "StartDate": date(2026, 12, 1),
        "CompanyId": 54613,
        "UnprotectedMode": False,
        **extra,
    }
    employee_id = await ok(session, emulator, "Employee_Insert", values)
    assert isinstance(employee_id, int)
    return employee_id


# --- employees ---------------------------------------------------------------------------------
async def test_employee_insert_hands_out_increasing_ids(
    session: aiohttp.ClientSession, emulator: RunningEmulator
) -> None:
    first = await insert(session, emulator)
    second = await insert(session, emulator, FirstName="Piet", LastName="Puk")
    assert (first, second) == (1057235, 1057236)
    employee = emulator.state.employees[second]
    assert (employee.company_id, employee.number, employee.display_name) == (54613, 0, "Piet Puk")
    assert employee.start_date == date(2026, 12, 1)
    assert employee.employee_type == DEFAULT_EMPLOYEE_TYPE


async def test_employee_insert_refuses_unknown_company_and_protected_start(
    session: aiohttp.ClientSession, emulator: RunningEmulator
) -> None:
    values = {"FirstName": "A", "LastName": "B", "StartDate": date(2026, 12, 1)}
    await fault(
        session,
        emulator,
        "Employee_Insert",
        {**values, "CompanyId": 99, "UnprotectedMode": False},
        2004,
    )
    past = {**values, "StartDate": date(2026, 10, 31), "CompanyId": 54613}
    reply = await fault(
        session, emulator, "Employee_Insert", {**past, "UnprotectedMode": False}, 2011
    )
    assert "UnprotectedMode" in reply.message
    assert await ok(session, emulator, "Employee_Insert", {**past, "UnprotectedMode": True}) > 0
    await fault(
        session,
        emulator,
        "Employee_Insert",
        {**values, "LastName": None, "CompanyId": 54613, "UnprotectedMode": False},
        2030,
    )


async def test_list_get_by_company_filters_on_company_and_type(
    session: aiohttp.ClientSession, emulator: RunningEmulator
) -> None:
    listing = await ok(
        session, emulator, "List_GetByCompany", {"CompanyId": 54613, "EmployeeType": 2}
    )
    numbers = [employee["Number"] for employee in listing["Employee"]]
    assert numbers == list(range(1001, 1011))
    assert listing["Employee"][0] == {
        "Id": JAN_DE_VRIES,
        "Number": 1001,
        "DisplayName": "Jan de Vries",
    }
    swedish = await ok(
        session, emulator, "List_GetByCompany", {"CompanyId": 61001, "EmployeeType": 2}
    )
    assert [e["Number"] for e in swedish["Employee"]] == [5001, 5002, 5003, 5004, 5005]
    interns = await ok(
        session, emulator, "List_GetByCompany", {"CompanyId": 54613, "EmployeeType": 1}
    )
    assert interns["Employee"] == []
    empty = await ok(
        session, emulator, "List_GetByCompany", {"CompanyId": 54614, "EmployeeType": 2}
    )
    assert empty["Employee"] == []
    await fault(
        session, emulator, "List_GetByCompany", {"CompanyId": 54613, "EmployeeType": 77}, 2030
    )
    await fault(session, emulator, "List_GetByCompany", {"CompanyId": 1, "EmployeeType": 2}, 2004)


async def test_employee_type_get_list(
    session: aiohttp.ClientSession, emulator: RunningEmulator
) -> None:
    types = await ok(session, emulator, "EmployeeType_GetList")
    assert {t["Id"]: t["Description"] for t in types["EmployeeType"]}[2] == "Werknemer"


async def test_employee_get_current_gives_the_company_period(
    session: aiohttp.ClientSession, emulator: RunningEmulator
) -> None:
    assert (
        await ok(session, emulator, "Employee_GetCurrent", {"EmployeeId": JAN_DE_VRIES})
        == "2026-11-M"
    )
    await fault(session, emulator, "Employee_GetCurrent", {"EmployeeId": 42}, 2003)


# --- personal info -----------------------------------------------------------------------------
async def test_personal_info_update_current_replaces_the_whole_record(
    session: aiohttp.ClientSession, emulator: RunningEmulator
) -> None:
    employee_id = await insert(session, emulator)
    values = {"EmployeeId": employee_id, "PersonalInfo": personal_info(Prefix="van")}
    assert await ok(session, emulator, "PersonalInfo_UpdateCurrent", values) is None
    current = await ok(session, emulator, "PersonalInfo_GetCurrent", {"EmployeeId": employee_id})
    assert (current["Id"], current["Number"], current["EmployeeNumber"]) == (
        employee_id,
        81135,
        81135,
    )
    assert current["DisplayName"] == "Jan van Jansen"
    assert current["BSN"] == "123456782"
    assert current["Birthday"] == datetime(1990, 5, 17)
    # Omitted optional fields are cleared: the emulator writes whole records.
    trimmed = personal_info()
    del trimmed["EmailWork"]
    await ok(
        session,
        emulator,
        "PersonalInfo_UpdateCurrent",
        {"EmployeeId": employee_id, "PersonalInfo": trimmed},
    )
    current = await ok(session, emulator, "PersonalInfo_GetCurrent", {"EmployeeId": employee_id})
    assert "EmailWork" not in current and "Prefix" not in current
    listing = await ok(
        session, emulator, "List_GetByCompany", {"CompanyId": 54613, "EmployeeType": 2}
    )
    assert {"Id": employee_id, "Number": 81135, "DisplayName": "Jan Jansen"} in listing["Employee"]


async def test_personal_info_update_writes_from_the_given_period(
    session: aiohttp.ClientSession, emulator: RunningEmulator
) -> None:
    future = {
        "EmployeeId": JAN_DE_VRIES,
        "PersonalInfo": personal_info(
            Number=1001, EmployeeNumber=None, BSN="725763863", LastName="Later"
        ),
        "Period": 2,
        "Year": 2027,
    }
    await ok(session, emulator, "PersonalInfo_Update", future)
    current = await ok(session, emulator, "PersonalInfo_GetCurrent", {"EmployeeId": JAN_DE_VRIES})
    assert current["LastName"] == "Vries"  # the 2027 record is not valid yet
    assert current["DisplayName"] == "Jan de Vries"
    past = {**future, "Period": 3, "Year": 2026}
    past["PersonalInfo"] = personal_info(
        Number=1001, EmployeeNumber=1001, BSN="725763863", LastName="Earlier"
    )
    await ok(session, emulator, "PersonalInfo_Update", past)
    current = await ok(session, emulator, "PersonalInfo_GetCurrent", {"EmployeeId": JAN_DE_VRIES})
    assert current["LastName"] == "Earlier"
    records = emulator.state.employees[JAN_DE_VRIES].personal_info
    assert [start for start, _ in records.items()] == [(2018, 4), (2026, 3), (2027, 2)]
    await fault(session, emulator, "PersonalInfo_Update", {**future, "Period": 13}, 2006)
    await fault(session, emulator, "PersonalInfo_Update", {**future, "Period": 0}, 2006)


@pytest.mark.parametrize(
    ("employee_id", "overrides", "code"),
    [
        (JAN_DE_VRIES, {"BSN": "123456789"}, 2030),  # fails the 11-check
        (JAN_DE_VRIES, {"Number": 1002, "EmployeeNumber": 1002}, 2030),  # Anton de Jong's
        (JAN_DE_VRIES, {"Number": 1, "EmployeeNumber": 2}, 2030),
        (JAN_DE_VRIES, {"Id": 503294}, 2030),
        (JAN_DE_VRIES, {"Birthday": date(1990, 1, 2), "DeceasedDate": date(1990, 1, 1)}, 2028),
        (ERIK_JOHANSSON, {"BSN": "123456782"}, 2030),  # a BSN is no personnummer
        (ERIK_JOHANSSON, {"BSN": "19850412-6081"}, 2030),  # Luhn digit off by one
        (424242, {}, 2003),
    ],
)
async def test_personal_info_refusals(
    session: aiohttp.ClientSession,
    emulator: RunningEmulator,
    employee_id: int,
    overrides: dict[str, Any],
    code: int,
) -> None:
    values = {"EmployeeId": employee_id, "PersonalInfo": personal_info(**overrides)}
    await fault(session, emulator, "PersonalInfo_UpdateCurrent", values, code)


async def test_personal_info_accepts_a_personnummer_for_a_swedish_company(
    session: aiohttp.ClientSession, emulator: RunningEmulator
) -> None:
    info = personal_info(Number=5001, EmployeeNumber=5001, BSN="198504126080")
    await ok(
        session,
        emulator,
        "PersonalInfo_UpdateCurrent",
        {"EmployeeId": ERIK_JOHANSSON, "PersonalInfo": info},
    )
    await fault(
        session, emulator, "PersonalInfo_UpdateCurrent", {"EmployeeId": ERIK_JOHANSSON}, 2030
    )


# --- addresses and bank accounts ---------------------------------------------------------------
ADDRESS = {
    "Id": 0,
    "Default": True,
    "Street": "Dorpsstraat",
    "HouseNumber": "1",
    "HouseNumberAddition": "A",
    "PostalCode": "1234 AB",
    "City": "Ergens",
    "CountryISOCode": "NL",
    "Type": "HomeAddress",
}
BANK_ACCOUNT = {
    "Id": 0,
    "IBAN": "NL91ABNA0417164300",
    "BIC": "ABNANL2A",
    "Name": "J. Jansen",
    "Type": "Bankrekening1",
}


async def test_addresses(session: aiohttp.ClientSession, emulator: RunningEmulator) -> None:
    employee_id = await insert(session, emulator)
    address_id = await ok(
        session, emulator, "Address_InsertCurrent", {"EmployeeId": employee_id, "Address": ADDRESS}
    )
    listing = await ok(session, emulator, "Address_GetListCurrent", {"EmployeeId": employee_id})
    assert listing["EmployeeAddress"] == [{**ADDRESS, "Id": address_id}]
    seeded = await ok(session, emulator, "Address_GetListCurrent", {"EmployeeId": JAN_DE_VRIES})
    assert [a["City"] for a in seeded["EmployeeAddress"]] == ["Amsterdam"]
    for changes in ({"City": "Utrecht"}, {"City": "Postbus", "Type": "PostAddress"}):
        moved = {"EmployeeId": JAN_DE_VRIES, "Address": {**ADDRESS, **changes}}
        await ok(session, emulator, "Address_InsertCurrent", moved)
    listing = await ok(session, emulator, "Address_GetListCurrent", {"EmployeeId": JAN_DE_VRIES})
    assert [(a["Type"], a["City"]) for a in listing["EmployeeAddress"]] == [
        ("HomeAddress", "Utrecht"),  # supersedes Amsterdam from the current period
        ("PostAddress", "Postbus"),
    ]
    bad = {"EmployeeId": employee_id, "Address": {**ADDRESS, "CountryISOCode": "nld"}}
    await fault(session, emulator, "Address_InsertCurrent", bad, 2030)
    await fault(
        session, emulator, "Address_InsertCurrent", {"EmployeeId": 7, "Address": ADDRESS}, 2003
    )


async def test_bank_accounts(session: aiohttp.ClientSession, emulator: RunningEmulator) -> None:
    employee_id = await insert(session, emulator)
    values = {"EmployeeId": employee_id, "BankAccount": BANK_ACCOUNT}
    account_id = await ok(session, emulator, "BankAccount_InsertCurrent", values)
    listing = await ok(session, emulator, "BankAccount_GetListCurrent", {"EmployeeId": employee_id})
    assert [(a["Id"], a["IBAN"]) for a in listing["BankAccount"]] == [
        (account_id, "NL91ABNA0417164300")
    ]


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"IBAN": "NL92ABNA0417164300"}, 2014),  # check digits wrong
        ({"IBAN": "NL91ABNA041716430"}, 2014),  # too short for NL
        ({"Type": "None"}, 2016),
        ({"IBAN": None}, 2032),
    ],
)
async def test_bank_account_refusals(
    session: aiohttp.ClientSession, emulator: RunningEmulator, changes: dict[str, Any], code: int
) -> None:
    values = {"EmployeeId": JAN_DE_VRIES, "BankAccount": {**BANK_ACCOUNT, **changes}}
    await fault(session, emulator, "BankAccount_InsertCurrent", values, code)
    assert len(emulator.state.employees[JAN_DE_VRIES].bank_accounts) == 1


# --- contracts -------------------------------------------------------------------------------
async def test_contract_insert_and_current_period(
    session: aiohttp.ClientSession, emulator: RunningEmulator
) -> None:
    employee_id = await insert(session, emulator, StartDate=date(2026, 11, 1))
    first = await ok(
        session,
        emulator,
        "Contract_Insert",
        {
            "EmployeeId": employee_id,
            "EmployeeContract": contract(StartDate=date(2026, 11, 1)),
            "UnprotectedMode": False,
        },
    )
    second = await ok(
        session,
        emulator,
        "Contract_InsertCurrentPeriod",
        {
            "EmployeeID": employee_id,
            "EmployeeContract": contract(StartDate=None, EndDate=None, Indefinite=True),
        },
    )
    later = await ok(
        session,
        emulator,
        "Contract_Insert",
        {
            "EmployeeId": employee_id,
            "EmployeeContract": contract(StartDate=date(2027, 1, 1), EndDate=None, Indefinite=True),
            "UnprotectedMode": False,
        },
    )
    assert first < second < later
    item = await ok(session, emulator, "Contract_GetCurrentPeriod", {"EmployeeId": employee_id})
    assert item["EmployeeId"] == employee_id
    active = item["EmployeeContracts"]["EmployeeContract"]
    assert [c["ContractID"] for c in active] == [first, second]
    assert active[0]["HoursPerWeek"] == Decimal("32.5")
    assert active[1]["StartDate"] == datetime(2026, 11, 1)
    every = await ok(session, emulator, "Contract_GetAll", {"EmployeeId": employee_id})
    assert [c["ContractID"] for c in every["EmployeeContract"]] == [first, second, later]


@pytest.mark.parametrize(
    ("changes", "unprotected", "code"),
    [
        ({"StartDate": date(2026, 10, 1)}, False, 2011),
        ({"StartDate": date(2027, 1, 2), "EndDate": date(2027, 1, 1)}, False, 2028),
        ({"StartDate": None}, False, 2030),
        ({"Indefinite": True}, False, 2030),
        ({"HoursPerWeek": Decimal(200)}, False, 2030),
    ],
)
async def test_contract_refusals(
    session: aiohttp.ClientSession,
    emulator: RunningEmulator,
    changes: dict[str, Any],
    unprotected: bool,
    code: int,
) -> None:
    values = {
        "EmployeeId": JAN_DE_VRIES,
        "EmployeeContract": contract(**changes),
        "UnprotectedMode": unprotected,
    }
    await fault(session, emulator, "Contract_Insert", values, code)


async def test_contract_in_a_protected_period_needs_unprotected_mode(
    session: aiohttp.ClientSession, emulator: RunningEmulator
) -> None:
    values = {
        "EmployeeId": JAN_DE_VRIES,
        "EmployeeContract": contract(StartDate=date(2026, 10, 1)),
        "UnprotectedMode": True,
    }
    assert await ok(session, emulator, "Contract_Insert", values) > 0
    await fault(
        session,
        emulator,
        "Contract_InsertCurrentPeriod",
        {"EmployeeID": JAN_DE_VRIES, "EmployeeContract": contract(StartDate=date(2026, 10, 1))},
        2011,
    )


# --- salary and schedule ---------------------------------------------------------------------
async def test_salary_current_and_dated(
    session: aiohttp.ClientSession, emulator: RunningEmulator
) -> None:
    seeded = await ok(session, emulator, "Salary_GetCurrent", {"EmployeeId": JAN_DE_VRIES})
    assert (seeded["Value"], seeded["Type"]) == (Decimal("4250.00"), "Bruto_Salaris_Fulltime")
    salary = {"Value": Decimal("3500.50"), "Type": "Bruto_Salaris_Fulltime"}
    await ok(
        session, emulator, "Salary_UpdateCurrent", {"EmployeeId": JAN_DE_VRIES, "Salary": salary}
    )
    current = await ok(session, emulator, "Salary_GetCurrent", {"EmployeeId": JAN_DE_VRIES})
    assert (current["Value"], current["StartDate"]) == (Decimal("3500.50"), datetime(2026, 11, 1))
    raise_ = {"Value": Decimal(4000), "Type": "Bruto_Salaris_Fulltime"}
    await ok(
        session,
        emulator,
        "Salary_Update",
        {"EmployeeId": JAN_DE_VRIES, "Salary": raise_, "Start": date(2027, 1, 1)},
    )
    assert (await ok(session, emulator, "Salary_GetCurrent", {"EmployeeId": JAN_DE_VRIES}))[
        "Value"
    ] == Decimal("3500.50")
    await ok(
        session,
        emulator,
        "Salary_Update",
        {"EmployeeId": JAN_DE_VRIES, "Salary": raise_, "Start": date(2026, 6, 1)},
    )
    assert (await ok(session, emulator, "Salary_GetCurrent", {"EmployeeId": JAN_DE_VRIES}))[
        "Value"
    ] == Decimal("3500.50")
    new_hire = await insert(session, emulator)
    assert await ok(session, emulator, "Salary_GetCurrent", {"EmployeeId": new_hire}) is None


@pytest.mark.parametrize(
    "salary",
    [
        {"Value": Decimal(1), "Type": "None"},
        {"Value": Decimal(-1), "Type": "Bruto_Uurloon"},
        {
            "Value": Decimal(1),
            "Type": "Bruto_Uurloon",
            "SalaryTable": {"Scale": {"Scale": "A", "ScalePercentage": Decimal(1)}},
        },
        None,
    ],
)
async def test_salary_refusals(
    session: aiohttp.ClientSession, emulator: RunningEmulator, salary: dict[str, Any] | None
) -> None:
    await fault(
        session,
        emulator,
        "Salary_UpdateCurrent",
        {"EmployeeId": JAN_DE_VRIES, "Salary": salary},
        2030,
    )


async def test_schedule_current_and_dated(
    session: aiohttp.ClientSession, emulator: RunningEmulator
) -> None:
    seeded = await ok(session, emulator, "Schedule_GetCurrent", {"EmployeeId": 503295})  # 32 h
    assert (seeded["HoursMonday"], seeded["ParttimePercentage"]) == (
        Decimal("6.4"),
        Decimal("80.00"),
    )
    await ok(
        session,
        emulator,
        "Schedule_UpdateCurrent",
        {"EmployeeId": JAN_DE_VRIES, "Schedule": schedule("7"), "CompanyRoosterNr": 0},
    )
    current = await ok(session, emulator, "Schedule_GetCurrent", {"EmployeeId": JAN_DE_VRIES})
    assert (current["HoursFriday"], current["HoursSunday2"]) == (Decimal(7), Decimal(0))
    assert current["StartDate"] == datetime(2026, 11, 1)
    await ok(
        session,
        emulator,
        "Schedule_Update",
        {
            "EmployeeId": JAN_DE_VRIES,
            "Schedule": schedule("6"),
            "Start": date(2027, 3, 1),
            "CompanyRoosterNr": 0,
        },
    )
    assert (await ok(session, emulator, "Schedule_GetCurrent", {"EmployeeId": JAN_DE_VRIES}))[
        "HoursFriday"
    ] == Decimal(7)
    timeline = emulator.state.employees[JAN_DE_VRIES].schedules
    assert [start for start, _ in timeline.items()] == [(2018, 4), (2026, 11), (2027, 3)]
    await fault(
        session,
        emulator,
        "Schedule_UpdateCurrent",
        {"EmployeeId": JAN_DE_VRIES, "Schedule": schedule("25"), "CompanyRoosterNr": 0},
        2030,
    )
    await fault(
        session,
        emulator,
        "Schedule_UpdateCurrent",
        {"EmployeeId": JAN_DE_VRIES, "Schedule": schedule(), "CompanyRoosterNr": -1},
        2030,
    )


# --- CompanyService ----------------------------------------------------------------------------
async def test_company_list_and_current_period(
    session: aiohttp.ClientSession, emulator: RunningEmulator
) -> None:
    companies = await ok(session, emulator, "List_GetAll")
    assert [(c["ID"], c["Name"], c["LoonaangifteTijdvak"]) for c in companies["Company"]] == [
        (54613, "DEMO B.V.", "Month"),
        (54614, "Demo Zorg B.V.", "Week4"),
        (61001, "Demo Sverige AB", "Month"),
    ]
    assert (
        await ok(session, emulator, "Company_GetCurrentPeriod", {"CompanyId": 54614})
        == "2026-11-4W"
    )
    await fault(session, emulator, "Company_GetCurrentPeriod", {"CompanyId": 1}, 2004)


async def test_four_weekly_company_protects_by_its_own_periods(
    session: aiohttp.ClientSession, emulator: RunningEmulator
) -> None:
    # 54614's current period 2026-11 starts on 2026-10-08: 2026-10-10 is open, 10-07 is not.
    values = {"FirstName": "Z", "LastName": "Zorg", "CompanyId": 54614, "UnprotectedMode": False}
    assert (
        await ok(session, emulator, "Employee_Insert", {**values, "StartDate": date(2026, 10, 10)})
        > 0
    )
    await fault(
        session, emulator, "Employee_Insert", {**values, "StartDate": date(2026, 10, 7)}, 2011
    )
