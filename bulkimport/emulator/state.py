"""The emulator's in-memory Nmbrs: companies, employees and their period-based records. No I/O.

Records follow Nmbrs' period model (API.md section 6): each personal-info, salary and schedule
record is valid from the period it was written for until a later record replaces it; addresses
and bank accounts are added per period; contracts carry their own start and end dates. A
record's values are kept exactly as the codec decoded them, so replies encode them unchanged.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from bulkimport.emulator.accounts import Country
from bulkimport.emulator.rules import Period, PeriodType, period_end, period_of, period_start
from bulkimport.emulator.seed import (
    DEFAULT_EMPLOYEE_TYPE,
    FIRST_NEW_ADDRESS_ID,
    FIRST_NEW_BANK_ACCOUNT_ID,
    FIRST_NEW_CONTRACT_ID,
    FIRST_NEW_EMPLOYEE_ID,
    SEED_COMPANIES,
    SEED_EMPLOYEE_TYPES,
    SEED_EMPLOYEES,
    SeedEmployee,
)
from bulkimport.emulator.soap.schema import EMPLOYEE_PERSONAL_INFO as PERSONAL_INFO
from bulkimport.emulator.soap.shapes import ComplexType

Record = dict[str, Any]


def blank_record(complex_type: ComplexType) -> Record:
    """Every field of a type, empty: what an omitted optional element means on the wire."""
    return {f.name: ([] if f.repeated else None) for f in complex_type.fields}


class DisplayNameFormat(StrEnum):
    """How the emulator writes an employee's DisplayName (List_GetByCompany, PersonalInfo).

    Nmbrs does not document it; API.md shows "Jan de Vries" only. Each choice makes the
    emulator list employees another plausible way, so the client is tested against all.
    """

    FIRST_LAST = "first_last"  # "Jan Pieter van der Berg"
    LAST_FIRST = "last_first"  # "Berg, Jan Pieter van der" (the prefix behind, as in a register)
    INITIALS_LAST = "initials_last"  # "J.P. van der Berg" (initials made from the first names)

    def compose(self, record: Record) -> str:
        """The DisplayName of a PersonalInfo record; empty parts are left out."""
        first = record.get("FirstName") or ""
        prefix = record.get("Prefix") or ""
        last = record.get("LastName") or ""
        if self is DisplayNameFormat.LAST_FIRST:
            given = " ".join(part for part in (first, prefix) if part)
            return ", ".join(part for part in (last, given) if part)
        if self is DisplayNameFormat.INITIALS_LAST:
            initials = record.get("Initials") or "".join(
                f"{word[0].upper()}." for word in first.replace("-", " ").split()
            )
            return " ".join(part for part in (initials, prefix, last) if part)
        return " ".join(part for part in (first, prefix, last) if part)


@dataclass(slots=True)
class Company:
    id: int
    number: int
    name: str
    country: Country
    period_type: PeriodType
    loonaangifte_tijdvak: str
    kvk_number: str
    email: str
    current_period: Period
    address: Record = field(default_factory=dict)  # the company's own, as Address_GetCurrent
    numbers: dict[int, int] = field(default_factory=dict)  # employee number -> employee id
    employee_ids: list[int] = field(default_factory=list)  # in order of creation

    @property
    def current_start(self) -> date:
        return period_start(self.period_type, self.current_period)

    @property
    def current_end(self) -> date:
        return period_end(self.period_type, self.current_period)

    @property
    def current_period_text(self) -> str:
        """`yyyy-pp-type` as Company_GetCurrentPeriod returns it, e.g. 2010-5-M or 2010-4-4W."""
        year, number = self.current_period
        return f"{year}-{number}-{self.period_type.value}"

    def period_of(self, day: date) -> Period:
        return period_of(self.period_type, day)


@dataclass(slots=True)
class Timeline:
    """Records keyed by the period they start in; the latest one at or before a period wins."""

    starts: list[Period] = field(default_factory=list)
    records: list[Record] = field(default_factory=list)

    def put(self, start: Period, record: Record) -> None:
        """Write the record for a period, replacing one written for the same period."""
        index = bisect.bisect_left(self.starts, start)
        if index < len(self.starts) and self.starts[index] == start:
            self.records[index] = record
            return
        self.starts.insert(index, start)
        self.records.insert(index, record)

    def valid_in(self, period: Period) -> Record | None:
        index = bisect.bisect_right(self.starts, period)
        return self.records[index - 1] if index else None

    def items(self) -> Iterator[tuple[Period, Record]]:
        return zip(self.starts, self.records, strict=True)


@dataclass(slots=True)
class Employee:
    id: int
    company_id: int
    employee_type: int
    start_date: date
    number: int = 0
    display_name: str = ""
    personal_info: Timeline = field(default_factory=Timeline)
    salaries: Timeline = field(default_factory=Timeline)
    schedules: Timeline = field(default_factory=Timeline)
    addresses: list[tuple[Period, Record]] = field(default_factory=list)
    bank_accounts: list[tuple[Period, Record]] = field(default_factory=list)
    contracts: list[Record] = field(default_factory=list)


@dataclass(slots=True)
class EmployeeType:
    id: int
    description: str


class EmulatorState:
    """The live data of one emulator; `reset()` brings back the seeded demo data in place."""

    def __init__(
        self,
        current_period: tuple[int, int],
        display_name_format: DisplayNameFormat = DisplayNameFormat.FIRST_LAST,
    ) -> None:
        self.current_period = current_period  # (year, month) of "today" for every company
        self.display_name_format = display_name_format
        self.companies: dict[int, Company] = {}
        self.employees: dict[int, Employee] = {}
        self.employee_types: dict[int, EmployeeType] = {}
        self._next_ids: dict[str, int] = {}
        self.reset()

    def reset(self) -> None:
        year, month = self.current_period
        today = date(year, month, 1)
        self.companies = {
            seed.id: Company(
                seed.id,
                seed.number,
                seed.name,
                seed.country,
                seed.period_type,
                seed.loonaangifte_tijdvak,
                seed.kvk_number,
                seed.email,
                period_of(seed.period_type, today),
                address={
                    "Id": seed.id,
                    "Default": True,
                    "Street": seed.street,
                    "HouseNumber": seed.house_number,
                    "HouseNumberAddition": None,
                    "PostalCode": seed.postal_code,
                    "City": seed.city,
                    "StateProvince": None,
                    "CountryISOCode": seed.country.value,
                },
            )
            for seed in SEED_COMPANIES
        }
        self.employee_types = {t.id: EmployeeType(t.id, t.description) for t in SEED_EMPLOYEE_TYPES}
        self.employees = {}
        self._next_ids = {
            "employee": FIRST_NEW_EMPLOYEE_ID,
            "address": FIRST_NEW_ADDRESS_ID,
            "bank_account": FIRST_NEW_BANK_ACCOUNT_ID,
            "contract": FIRST_NEW_CONTRACT_ID,
        }
        for seed in SEED_EMPLOYEES:
            self._add_seeded(seed)

    def new_id(self, kind: str) -> int:
        """Ids as Nmbrs hands them out: increasing integers, one counter per kind of record."""
        value = self._next_ids[kind]
        self._next_ids[kind] = value + 1
        return value

    def add_employee(self, company: Company, start_date: date, first: str, last: str) -> Employee:
        employee = Employee(
            id=self.new_id("employee"),
            company_id=company.id,
            employee_type=DEFAULT_EMPLOYEE_TYPE,
            start_date=start_date,
        )
        self.employees[employee.id] = employee
        company.employee_ids.append(employee.id)
        record = blank_record(PERSONAL_INFO)
        record.update(FirstName=first or None, LastName=last or None, IdentificationType=0)
        # Visible from the start period, or from the current one for a hire in the future.
        start = min(company.period_of(start_date), company.current_period)
        self.set_personal_info(employee, start, record)
        return employee

    def set_personal_info(self, employee: Employee, start: Period, record: Record) -> None:
        """Store a PersonalInfo record; number and display name follow the one valid now."""
        company = self.companies[employee.company_id]
        employee.personal_info.put(start, record)
        current = employee.personal_info.valid_in(company.current_period) or record
        number = current.get("EmployeeNumber") or current.get("Number") or 0
        if employee.number and company.numbers.get(employee.number) == employee.id:
            del company.numbers[employee.number]
        employee.number = number
        if number:
            company.numbers[number] = employee.id
        employee.display_name = self.display_name_format.compose(current)

    def _add_seeded(self, seed: SeedEmployee) -> None:
        company = self.companies[seed.company_id]
        employee = Employee(seed.id, seed.company_id, DEFAULT_EMPLOYEE_TYPE, seed.start_date)
        self.employees[employee.id] = employee
        company.employee_ids.append(employee.id)
        start = company.period_of(seed.start_date)
        start_moment = datetime.combine(seed.start_date, datetime.min.time())
        info = blank_record(PERSONAL_INFO)
        info.update(
            Id=seed.id,
            Number=seed.number,
            EmployeeNumber=seed.number,
            BSN=seed.identity_number,
            FirstName=seed.first_name,
            Initials=seed.initials,
            Prefix=seed.prefix or None,
            LastName=seed.last_name,
            Gender=seed.gender,
            NationalityCode=1 if company.country is Country.NL else None,
            CountryOfBirthISOCode=company.country.value,
            IdentificationType=0,
            EmailWork=seed.email_work,
            BurgerlijkeStaat="Ongehuwd",
            Birthday=datetime.combine(seed.birthday, datetime.min.time()),
        )
        self.set_personal_info(employee, start, info)
        employee.addresses.append(
            (
                start,
                {
                    "Id": self.new_id("address"),
                    "Default": True,
                    "Street": seed.street,
                    "HouseNumber": seed.house_number,
                    "HouseNumberAddition": None,
                    "PostalCode": seed.postal_code,
                    "City": seed.city,
                    "StateProvince": None,
                    "CountryISOCode": company.country.value,
                    "Type": "HomeAddress",
                },
            )
        )
        employee.bank_accounts.append(
            (
                start,
                {
                    "Id": self.new_id("bank_account"),
                    "Number": None,
                    "Description": "Salaris",
                    "IBAN": seed.iban,
                    "BIC": seed.bic,
                    "City": seed.city,
                    "Name": employee.display_name,
                    "Type": "Bankrekening1",
                },
            )
        )
        employee.contracts.append(
            {
                "ContractID": self.new_id("contract"),
                "CreationDate": start_moment,
                "StartDate": start_moment,
                "TrialPeriod": None,
                "EndDate": None,
                "EmployementType": 1,
                "EmploymentSequenceTaxId": 1,
                "Indefinite": True,
                "PhaseClassification": None,
                "WrittenContract": True,
                "HoursPerWeek": seed.hours_per_week,
            }
        )
        employee.salaries.put(
            start,
            {
                "Value": seed.monthly_salary,
                "Type": "Bruto_Salaris_Fulltime",
                "SalaryTable": None,
                "StartDate": start_moment,
            },
        )
        daily = seed.hours_per_week / 5
        week = {f"Hours{day}": daily for day in ("Monday", "Tuesday", "Wednesday", "Thursday")}
        week |= {"HoursFriday": daily, "HoursSaturday": Decimal(0), "HoursSunday": Decimal(0)}
        schedule: Record = {**week, **{f"{name}2": hours for name, hours in week.items()}}
        schedule["ParttimePercentage"] = (seed.hours_per_week * 100 / 40).quantize(Decimal("0.01"))
        schedule["StartDate"] = start_moment
        employee.schedules.put(start, schedule)

    # --- the JSON view of GET /state ------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        """Everything, as JSON-ready data (decimals as text, dates ISO 8601)."""
        return {
            "current_period": list(self.current_period),
            "employee_types": [
                {"id": t.id, "description": t.description} for t in self.employee_types.values()
            ],
            "companies": [
                {
                    "id": c.id,
                    "number": c.number,
                    "name": c.name,
                    "country": c.country.value,
                    "period_type": c.period_type.value,
                    "loonaangifte_tijdvak": c.loonaangifte_tijdvak,
                    "current_period": c.current_period_text,
                }
                for c in self.companies.values()
            ],
            "employees": [_employee_json(e) for e in self.employees.values()],
        }


def _employee_json(employee: Employee) -> dict[str, Any]:
    def dated(items: Iterator[tuple[Period, Record]] | list[tuple[Period, Record]]) -> list[Any]:
        return [
            {"year": year, "period": number, "record": jsonable(record)}
            for (year, number), record in items
        ]

    return {
        "id": employee.id,
        "company_id": employee.company_id,
        "number": employee.number,
        "display_name": employee.display_name,
        "employee_type": employee.employee_type,
        "start_date": employee.start_date.isoformat(),
        "personal_info": dated(employee.personal_info.items()),
        "addresses": dated(employee.addresses),
        "bank_accounts": dated(employee.bank_accounts),
        "contracts": [jsonable(contract) for contract in employee.contracts],
        "salaries": dated(employee.salaries.items()),
        "schedules": dated(employee.schedules.items()),
    }


def jsonable(value: Any) -> Any:
    """Codec values as JSON: Decimal -> text (exact), date/datetime -> ISO 8601."""
    if isinstance(value, Mapping):
        return {key: jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, date):  # datetime is a date too
        return value.isoformat()
    return value
