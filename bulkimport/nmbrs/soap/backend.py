"""The SOAP v3 backend: operations by key, and the reads pre-flight and the run need. No I/O
of its own: every read goes through the `read` the core hands in (retried, counted, capped).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import anyio

from bulkimport.backend import BackendOperation, ReadFunction
from bulkimport.guards import CompanyPeriod, parse_company_period
from bulkimport.model import NmbrsId, RowPlan
from bulkimport.nmbrs.soap.dating import SoapDating
from bulkimport.nmbrs.soap.schema import (
    COMPANY_SERVICE,
    EMPLOYEE_SERVICE,
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
