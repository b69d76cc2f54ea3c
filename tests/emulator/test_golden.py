"""Golden request envelopes, one per operation (tests/golden/<Operation>.xml).

Each file is the canonical form (C14N 2.0, text stripped, prefixes rewritten) of what
`envelope.build_request` writes for representative values. The test checks that the builder
still writes exactly that, and that the emulator accepts the file as it is. Regenerate after a
deliberate change with BULKIMPORT_REGENERATE_GOLDEN=1 and review the diff.
"""

from __future__ import annotations

import os
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

import aiohttp
import pytest
from lxml import etree

from bulkimport.emulator import DEMO_CREDENTIALS, RunningEmulator
from bulkimport.nmbrs.soap.envelope import Result, build_request, parse_reply
from bulkimport.nmbrs.soap.schema import OPERATIONS, Operation
from tests.emulator.soapcall import post

GOLDEN_DIR: Final = Path(__file__).resolve().parents[1] / "golden"
EMPLOYEE: Final = 503293  # Jan de Vries, number 1001 of DEMO B.V.

_WEEK = {
    f"Hours{day}{week}": Decimal("8") if day not in ("Saturday", "Sunday") else Decimal("0")
    for week in ("", "2")
    for day in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
}
_CONTRACT = {
    "ContractID": 0,
    "CreationDate": None,
    "StartDate": date(2026, 12, 1),
    "TrialPeriod": date(2027, 1, 31),
    "EndDate": date(2027, 11, 30),
    "EmployementType": 1,
    "EmploymentSequenceTaxId": 1,
    "Indefinite": False,
    "PhaseClassification": None,
    "WrittenContract": True,
    "HoursPerWeek": Decimal("32.00"),
}
_PERSONAL_INFO = {
    "Id": EMPLOYEE,
    "Number": 1001,
    "EmployeeNumber": 1001,
    "BSN": "725763863",
    "FirstName": "Jan",
    "Initials": "J.",
    "Prefix": "de",
    "LastName": "Vries",
    "Gender": "male",
    "NationalityCode": 1,
    "IdentificationType": 0,
    "EmailWork": "jan.devries@demo.example",
    "BurgerlijkeStaat": "Ongehuwd",
    "Birthday": date(1984, 2, 11),
}

GOLDEN_VALUES: Final[dict[str, dict[str, Any]]] = {
    "Employee_Insert": {
        "FirstName": "Sophie",
        "LastName": "Jansen",
        "StartDate": date(2026, 12, 1),
        "CompanyId": 54613,
        "UnprotectedMode": False,
    },
    "Employee_GetCurrent": {"EmployeeId": EMPLOYEE},
    "List_GetByCompany": {"CompanyId": 54613, "EmployeeType": 2},
    "EmployeeType_GetList": {},
    "PersonalInfo_GetCurrent": {"EmployeeId": EMPLOYEE},
    "PersonalInfo_UpdateCurrent": {"EmployeeId": EMPLOYEE, "PersonalInfo": _PERSONAL_INFO},
    "PersonalInfo_Update": {
        "EmployeeId": EMPLOYEE,
        "PersonalInfo": _PERSONAL_INFO,
        "Period": 1,
        "Year": 2027,
    },
    "Address_GetListCurrent": {"EmployeeId": EMPLOYEE},
    "Address_InsertCurrent": {
        "EmployeeId": EMPLOYEE,
        "Address": {
            "Id": 0,
            "Default": True,
            "Street": "Prinsengracht",
            "HouseNumber": "263",
            "HouseNumberAddition": "H",
            "PostalCode": "1016 GV",
            "City": "Amsterdam",
            "CountryISOCode": "NL",
            "Type": "HomeAddress",
        },
    },
    "BankAccount_GetListCurrent": {"EmployeeId": EMPLOYEE},
    "BankAccount_InsertCurrent": {
        "EmployeeId": EMPLOYEE,
        "BankAccount": {
            "Id": 0,
            "Description": "Salaris",
            "IBAN": "NL91ABNA0417164300",
            "BIC": "ABNANL2A",
            "Name": "J. de Vries",
            "Type": "Bankrekening1",
        },
    },
    "Contract_GetAll": {"EmployeeId": EMPLOYEE},
    "Contract_GetCurrentPeriod": {"EmployeeId": EMPLOYEE},
    "Contract_Insert": {
        "EmployeeId": EMPLOYEE,
        "EmployeeContract": _CONTRACT,
        "UnprotectedMode": False,
    },
    "Contract_InsertCurrentPeriod": {
        "EmployeeID": EMPLOYEE,
        "EmployeeContract": {**_CONTRACT, "StartDate": date(2026, 11, 15)},
    },
    "Salary_GetCurrent": {"EmployeeId": EMPLOYEE},
    "Salary_UpdateCurrent": {
        "EmployeeId": EMPLOYEE,
        "Salary": {"Value": Decimal("4400.00"), "Type": "Bruto_Salaris_Fulltime"},
    },
    "Salary_Update": {
        "EmployeeId": EMPLOYEE,
        "Salary": {"Value": Decimal("27.50"), "Type": "Bruto_Uurloon"},
        "Start": date(2027, 1, 1),
    },
    "Schedule_GetCurrent": {"EmployeeId": EMPLOYEE},
    "Schedule_UpdateCurrent": {
        "EmployeeId": EMPLOYEE,
        "Schedule": {**_WEEK, "ParttimePercentage": Decimal("100"), "StartDate": date(2026, 11, 1)},
        "CompanyRoosterNr": 0,
    },
    "Schedule_Update": {
        "EmployeeId": EMPLOYEE,
        "Schedule": {**_WEEK, "ParttimePercentage": Decimal("100"), "StartDate": date(2027, 2, 1)},
        "Start": date(2027, 2, 1),
        "CompanyRoosterNr": 0,
    },
    "Salary_GetAll_AllEmployeesByCompany": {"CompanyID": 54613},
    "PersonalInfo_GetAll_AllEmployeesByCompany": {"CompanyID": 54613},
    "List_GetAll": {},
    "Company_GetCurrentPeriod": {"CompanyId": 54613},
    "Address_GetCurrent": {"CompanyId": 61001},
}


def canonical(document: bytes) -> str:
    return str(etree.canonicalize(document.decode("utf-8"), strip_text=True, rewrite_prefixes=True))


def test_every_operation_has_golden_values() -> None:
    assert set(GOLDEN_VALUES) == {op.name for op in OPERATIONS}


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.name)
async def test_golden_request(
    operation: Operation, session: aiohttp.ClientSession, emulator: RunningEmulator
) -> None:
    path = GOLDEN_DIR / f"{operation.name}.xml"
    built = canonical(build_request(operation, GOLDEN_VALUES[operation.name], DEMO_CREDENTIALS))
    if os.environ.get("BULKIMPORT_REGENERATE_GOLDEN") == "1":
        path.write_text(built + "\n", encoding="utf-8")
    golden = path.read_text(encoding="utf-8")
    assert built == golden.rstrip("\n")
    status, reply = await post(
        session, emulator.url(operation.service), golden.encode(), operation.soap_action
    )
    assert status == 200, reply
    assert isinstance(parse_reply(operation, reply), Result)
