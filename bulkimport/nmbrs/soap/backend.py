"""The SOAP v3 backend: operations by key, and the reads pre-flight and the run need. No I/O
of its own: every read goes through the `read` the core hands in (retried, counted, capped).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any, Final

import anyio

from bulkimport.backend import SALARY_TYPE, BackendOperation, ComplexType, ReadFunction, StepRead
from bulkimport.guards import CompanyPeriod, parse_company_period
from bulkimport.model import NmbrsId, RowPlan
from bulkimport.nmbrs.soap.dating import SoapDating
from bulkimport.nmbrs.soap.schema import (
    COMPANY_SERVICE,
    EMPLOYEE_SERVICE,
    PERSONAL_INFO,
    PERSONAL_INFO_V2,
    Operation,
    find_operation,
    lookup_operation,
)
from bulkimport.reconcile import (
    EmployeeEntry,
    RecordCheck,
    display_name_of,
    normalise_text,
)

__all__ = ["SoapBackend", "SoapEmployeeLister"]

# How each SOAP insert that creates a record is found again (reconcile.RecordCheck).
_RECORD_CHECKS: Final[Mapping[str, RecordCheck]] = {
    "Address_InsertCurrent": RecordCheck(
        "Address_GetListCurrent",
        "EmployeeId",
        "Address",
        ("EmployeeAddress",),
        ("Street", "HouseNumber", "HouseNumberAddition", "PostalCode", "City", "Type"),
        "Id",
    ),
    "BankAccount_InsertCurrent": RecordCheck(
        "BankAccount_GetListCurrent",
        "EmployeeId",
        "BankAccount",
        ("BankAccount",),
        ("IBAN", "Number", "Type"),
        "Id",
    ),
    # Contract_GetCurrentPeriod would miss a contract that starts in a later period.
    "Contract_Insert": RecordCheck(
        "Contract_GetAll",
        "EmployeeId",
        "EmployeeContract",
        ("EmployeeContract",),
        ("StartDate", "EndDate", "EmployementType", "Indefinite", "HoursPerWeek"),
        "ContractID",
    ),
    "Contract_InsertCurrentPeriod": RecordCheck(
        "Contract_GetAll",
        "EmployeeID",
        "EmployeeContract",
        ("EmployeeContract",),
        ("StartDate", "EndDate", "EmployementType", "Indefinite", "HoursPerWeek"),
        "ContractID",
    ),
}


# Update steps whose before values one read per employee gives: the read, and the record's name
# in the call (fields of the record the call does not write are left out).
_PER_EMPLOYEE_READS: Final[Mapping[str, tuple[str, str]]] = {
    "PersonalInfo_UpdateCurrent": ("PersonalInfo_GetCurrent", "PersonalInfo"),
    "PersonalInfo_Update": ("PersonalInfo_GetCurrent", "PersonalInfo"),
    "Salary_UpdateCurrent": ("Salary_GetCurrent", "Salary"),
    "Schedule_UpdateCurrent": ("Schedule_GetCurrent", "Schedule"),
}
# Inserts that supersede the employee's record of the same Type (a new home address replaces
# the old one): the list read, the record's name in the call, and the list's item name.
_SUPERSEDING_INSERTS: Final[Mapping[str, tuple[str, str, str]]] = {
    "Address_InsertCurrent": ("Address_GetListCurrent", "Address", "EmployeeAddress"),
    "BankAccount_InsertCurrent": ("BankAccount_GetListCurrent", "BankAccount", "BankAccount"),
}
# Fields a read shows that are not the data a row changes: record ids and the read's own dates.
_NOT_COMPARED: Final = frozenset({"Id", "ID", "Default", "StartDate", "CreationDate"})
# PersonalInfo fields the company-wide list gives as unpublished numbers, not as the text a
# row writes; and the fields of the listed record that a row can compare (the PersonalInfo the
# update writes, less those numbers and the list's own bookkeeping).
_CODED_PERSONAL_FIELDS: Final = ("BurgerlijkeStaat", "Naamstelling")
_LISTED_PERSON: Final = ComplexType(
    "PersonalInfo_V2",
    tuple(
        field
        for field in PERSONAL_INFO.fields
        if field.name not in _CODED_PERSONAL_FIELDS
        and field.name in {f.name for f in PERSONAL_INFO_V2.fields}
    ),
)
# Reads for a plan in flight at once; each still waits for the run's rate limiter.
_PLAN_READS_IN_FLIGHT: Final = 50


class SoapEmployeeLister:
    """A company's employees over SOAP, every employee type included.

    `List_GetByCompany` filters on an employee type, so the types are asked first
    (`EmployeeType_GetList`, once per lister) and each is listed: no employee is missed
    because of a type filter.
    """

    def __init__(self) -> None:
        self._employee_types: tuple[int, ...] | None = None

    async def list_employees(
        self, read: ReadFunction, company_id: NmbrsId
    ) -> tuple[EmployeeEntry, ...]:
        if self._employee_types is None:
            listed = await read(lookup_operation("EmployeeType_GetList"), {})
            types = (listed or {}).get("EmployeeType") or []
            self._employee_types = tuple(sorted({item["Id"] for item in types if item}))
        seen: dict[int, EmployeeEntry] = {}
        list_by_company = lookup_operation("List_GetByCompany")

        async def list_type(employee_type: int) -> None:
            result = await read(
                list_by_company, {"CompanyId": company_id, "EmployeeType": employee_type}
            )
            for item in (result or {}).get("Employee") or []:
                if item:
                    seen[item["Id"]] = EmployeeEntry(
                        item["Id"], item.get("Number") or 0, item.get("DisplayName") or ""
                    )

        try:
            async with anyio.create_task_group() as group:  # the types are independent reads
                for employee_type in self._employee_types:
                    group.start_soon(list_type, employee_type)
        except ExceptionGroup as failed:
            # Callers sort errors by kind (authentication stops the run): hand on the first.
            raise failed.exceptions[0] from None
        return tuple(seen.values())


class SoapBackend:
    """Nmbrs SOAP v3 behind the core's Backend protocol."""

    template_section = "operations"  # where a template lists its calls for this API

    def operation(self, service: str, name: str) -> Operation:
        return find_operation(service, name)

    def template_operation(self, name: str) -> Operation:
        return lookup_operation(name)

    def employee_lister(self) -> SoapEmployeeLister:
        return SoapEmployeeLister()

    def dating(self) -> SoapDating:
        return SoapDating()

    def record_check(self, operation: BackendOperation) -> RecordCheck | None:
        return _RECORD_CHECKS.get(operation.name)

    def insert_match_key(self, operation: BackendOperation, values: Mapping[str, Any]) -> str:
        if not operation.creates_employee:
            return ""
        return normalise_text(display_name_of(values.get("FirstName"), values.get("LastName")))

    def inserted_employee(self, values: Mapping[str, Any]) -> Mapping[str, Any]:
        return values  # Employee_Insert's FirstName and LastName are top-level parameters

    def planned_employee(self, plan: RowPlan) -> Mapping[str, Any]:
        for call in plan.calls:
            record = call.values.get("PersonalInfo")
            if isinstance(record, Mapping):
                return record
        return {}

    async def list_companies(self, read: ReadFunction) -> Mapping[NmbrsId, str]:
        companies = await read(find_operation(COMPANY_SERVICE, "List_GetAll"), {})
        return {
            item["ID"]: item.get("Name") or ""
            for item in (companies or {}).get("Company") or []
            if item
        }

    async def company_country_code(self, read: ReadFunction, company_id: NmbrsId) -> str | None:
        address = await read(
            find_operation(COMPANY_SERVICE, "Address_GetCurrent"), {"CompanyId": company_id}
        )
        code: str | None = (address or {}).get("CountryISOCode")
        return code

    async def current_period(self, read: ReadFunction, company_id: NmbrsId) -> CompanyPeriod:
        period_text = await read(
            find_operation(COMPANY_SERVICE, "Company_GetCurrentPeriod"), {"CompanyId": company_id}
        )
        return parse_company_period(period_text)

    async def current_record(
        self, read: ReadFunction, read_operation: str, values: Mapping[str, Any]
    ) -> Any:
        return await read(lookup_operation(read_operation), {"EmployeeId": values["EmployeeId"]})

    async def listed_records(
        self,
        read: ReadFunction,
        operation: BackendOperation,
        check: RecordCheck,
        values: Mapping[str, Any],
    ) -> Any:
        return await read(
            find_operation(operation.service, check.read_operation),
            {"EmployeeId": values[check.employee_field]},
        )

    async def personal_info(self, read: ReadFunction, employee_id: NmbrsId) -> Any:
        return await read(
            find_operation(EMPLOYEE_SERVICE, "PersonalInfo_GetCurrent"), {"EmployeeId": employee_id}
        )

    async def current_values(
        self, read: ReadFunction, company_id: NmbrsId, steps: Sequence[StepRead]
    ) -> list[Mapping[str, Any] | None]:
        """Salary_Update from one Salary_GetAll_AllEmployeesByCompany (it lists future salaries
        too, so the salary valid at the row's Start is found), PersonalInfo_UpdateCurrent from
        one PersonalInfo_GetAll_AllEmployeesByCompany (the record valid in the current period);
        the rest one read per employee.

        The company-wide personal-info list gives marital status and name format as numbers
        whose meaning is not published: a row that writes either is read with
        PersonalInfo_GetCurrent instead.
        """
        salaries: Mapping[NmbrsId, list[Any]] = {}
        if any(step.operation == "Salary_Update" for step in steps):
            salaries = await _company_salaries(read, company_id)
        listed_people = {
            index
            for index, step in enumerate(steps)
            if step.operation == "PersonalInfo_UpdateCurrent" and not _writes_coded(step.values)
        }
        people: Mapping[NmbrsId, Mapping[str, Any]] = {}
        if listed_people:
            period = await self.current_period(read, company_id)
            people = await _company_personal_infos(read, company_id, (period.year, period.number))
        wanted = {
            (reads[0], step.employee_id)
            for index, step in enumerate(steps)
            if index not in listed_people
            and (
                reads := _PER_EMPLOYEE_READS.get(step.operation)
                or _SUPERSEDING_INSERTS.get(step.operation)
            )
        }
        records = await _read_each(read, wanted)
        found: list[Mapping[str, Any] | None] = []
        for index, step in enumerate(steps):
            if step.operation == "Salary_Update":
                found.append(_salary_at(salaries.get(step.employee_id, []), step.values))
            elif index in listed_people:
                person = people.get(step.employee_id) or {}
                found.append(_flatten("PersonalInfo", person, _LISTED_PERSON) if person else {})
            elif (per_employee := _PER_EMPLOYEE_READS.get(step.operation)) is not None:
                record = records.get((per_employee[0], step.employee_id))
                read_name, record_name = per_employee
                found.append(
                    _flatten(record_name, record, _record_shape(read_name)) if record else {}
                )
            elif (superseding := _SUPERSEDING_INSERTS.get(step.operation)) is not None:
                read_name, record_name, item_name = superseding
                listed = records.get((read_name, step.employee_id)) or {}
                kind = (step.values.get(record_name) or {}).get("Type")
                same = [
                    item
                    for item in listed.get(item_name) or []
                    if item and item.get("Type") == kind
                ]
                shape = _record_shape(read_name, item_name)
                found.append(_flatten(record_name, same[-1], shape) if same else None)
            else:
                found.append(None)
        return found


def _writes_coded(values: Mapping[str, Any]) -> bool:
    """The step writes a field the company-wide personal-info list gives only as a number."""
    record = values.get("PersonalInfo") or {}
    return any(record.get(name) is not None for name in _CODED_PERSONAL_FIELDS)


async def _company_personal_infos(
    read: ReadFunction, company_id: NmbrsId, period: tuple[int, int]
) -> dict[NmbrsId, Mapping[str, Any]]:
    """Each employee's personal-info record valid in `period` (the latest that starts by it)."""
    listed = await read(
        lookup_operation("PersonalInfo_GetAll_AllEmployeesByCompany"), {"CompanyID": company_id}
    )
    valid: dict[NmbrsId, Mapping[str, Any]] = {}
    for item in (listed or {}).get("PersonalInfoItem") or []:
        if not item:
            continue
        records = (item.get("EmployeePersonalInfos") or {}).get("PersonalInfo_V2") or []
        started = [
            record
            for record in records
            if record and (record.get("StartYear", 0), record.get("StartPeriod", 0)) <= period
        ]
        if started:
            valid[item["EmployeeId"]] = max(
                started,
                key=lambda record: (record.get("StartYear", 0), record.get("StartPeriod", 0)),
            )
    return valid


async def _company_salaries(read: ReadFunction, company_id: NmbrsId) -> dict[NmbrsId, list[Any]]:
    listed = await read(
        lookup_operation("Salary_GetAll_AllEmployeesByCompany"), {"CompanyID": company_id}
    )
    return {
        item["EmployeeId"]: list((item.get("EmployeeSalaries") or {}).get("Salary_V2") or [])
        for item in (listed or {}).get("EmployeeSalaryItem") or []
        if item
    }


def _salary_at(salaries: list[Any], values: Mapping[str, Any]) -> Mapping[str, Any]:
    """The salary valid on the row's Start: the latest that starts on or before it."""
    start = _day(values.get("Start"))
    valid = [
        salary
        for salary in salaries
        if salary and (start is None or _day(salary.get("StartDate")) <= start)
    ]
    if not valid:
        return {}
    latest = max(valid, key=lambda salary: (_day(salary.get("StartDate")), salary.get("ID", 0)))
    code = latest.get("Type")
    salary_type = (
        SALARY_TYPE.values[code]
        if isinstance(code, int) and 0 <= code < len(SALARY_TYPE.values)
        else code
    )
    return {"Salary.Value": latest.get("Value"), "Salary.Type": salary_type}


def _day(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else date.min


async def _read_each(
    read: ReadFunction, wanted: set[tuple[str, NmbrsId]]
) -> dict[tuple[str, NmbrsId], Any]:
    """One read per (operation, employee), a few in flight at a time."""
    results: dict[tuple[str, NmbrsId], Any] = {}
    limiter = anyio.CapacityLimiter(_PLAN_READS_IN_FLIGHT)

    async def read_one(operation: str, employee_id: NmbrsId) -> None:
        async with limiter:
            results[(operation, employee_id)] = await read(
                lookup_operation(operation), {"EmployeeId": employee_id}
            )

    try:
        async with anyio.create_task_group() as group:
            for operation, employee_id in sorted(wanted, key=str):
                group.start_soon(read_one, operation, employee_id)
    except ExceptionGroup as failed:
        raise failed.exceptions[0] from None
    return results


def _flatten(prefix: str, record: Mapping[str, Any], shape: ComplexType) -> dict[str, Any]:
    """Every field of the record's type by dotted path, as a call's values name them; a
    field the reply left out (an empty one) is there as None."""
    flat: dict[str, Any] = {}
    for field in shape.fields:
        if field.name in _NOT_COMPARED or field.repeated:
            continue
        path = f"{prefix}.{field.name}"
        value = record.get(field.name)
        if isinstance(field.type, ComplexType):
            flat.update(_flatten(path, value if isinstance(value, Mapping) else {}, field.type))
        else:
            flat[path] = value
    return flat


def _record_shape(read_operation: str, item_name: str | None = None) -> ComplexType:
    """The record type a read returns (or, for a list read, the type of its items)."""
    result = lookup_operation(read_operation).result
    assert result is not None and isinstance(result.type, ComplexType)
    shape = result.type
    if item_name is not None:
        item = shape.field(item_name).type
        assert isinstance(item, ComplexType)
        shape = item
    return shape
