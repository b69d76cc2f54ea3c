"""Who works where: a company's employees by number, read once per run and cached.

Payroll staff name employees by employee number; Nmbrs calls want the internal EmployeeId.
`List_GetByCompany` filters on an employee type, so the directory asks `EmployeeType_GetList`
first and lists every type: a company's employees are never missed because of a type filter.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import anyio

from bulkimport.reconcile import EmployeeEntry
from bulkimport.soap.schema import Operation, lookup_operation

CallFunction = Callable[[Operation, Mapping[str, Any]], Awaitable[Any]]


class EmployeeDirectory:
    """Caches each company's employee list for the run; `refresh` reads it again."""

    def __init__(self, call: CallFunction) -> None:
        self._call = call
        self._by_company: dict[int, dict[int, EmployeeEntry]] = {}
        self._lock = anyio.Lock()
        self._employee_types: tuple[int, ...] | None = None

    async def resolve(self, company_id: int, employee_number: int) -> int | None:
        """The EmployeeId for an employee number, or None when the company has no such number."""
        if company_id not in self._by_company:
            async with self._lock:
                if company_id not in self._by_company:
                    await self.refresh(company_id)
        entry = self._by_company[company_id].get(employee_number)
        return entry.id if entry else None

    async def refresh(self, company_id: int) -> tuple[EmployeeEntry, ...]:
        """Read the company's employees now (all types) and update the cache."""
        employees = await self._list(company_id)
        self.remember(company_id, employees)
        return employees

    def remember(self, company_id: int, employees: tuple[EmployeeEntry, ...]) -> None:
        """Take a list read elsewhere (the pre-flight) as the company's cache."""
        by_number: dict[int, EmployeeEntry] = {}
        for entry in employees:
            if entry.number:  # a fresh employee has number 0 until PersonalInfo sets it
                by_number[entry.number] = entry
        self._by_company[company_id] = by_number

    async def _list(self, company_id: int) -> tuple[EmployeeEntry, ...]:
        if self._employee_types is None:
            listed = await self._call(lookup_operation("EmployeeType_GetList"), {})
            types = (listed or {}).get("EmployeeType") or []
            self._employee_types = tuple(sorted({item["Id"] for item in types if item}))
        seen: dict[int, EmployeeEntry] = {}
        list_by_company = lookup_operation("List_GetByCompany")

        async def list_type(employee_type: int) -> None:
            result = await self._call(
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
