"""Who works where: a company's employees by number, read once per run and cached.

Payroll staff name employees by employee number; Nmbrs calls want the internal employee id.
How a company's employees are listed is the backend's (`EmployeeLister`).
"""

from __future__ import annotations

import anyio

from bulkimport.backend import EmployeeLister, ReadFunction
from bulkimport.model import NmbrsId
from bulkimport.reconcile import EmployeeEntry


class EmployeeDirectory:
    """Caches each company's employee list for the run; `refresh` reads it again."""

    def __init__(self, read: ReadFunction, lister: EmployeeLister) -> None:
        self._read = read
        self._lister = lister
        self._by_company: dict[NmbrsId, dict[int, EmployeeEntry]] = {}
        self._lock = anyio.Lock()

    async def resolve(self, company_id: NmbrsId, employee_number: int) -> NmbrsId | None:
        """The EmployeeId for an employee number, or None when the company has no such number."""
        if company_id not in self._by_company:
            async with self._lock:
                if company_id not in self._by_company:
                    await self.refresh(company_id)
        entry = self._by_company[company_id].get(employee_number)
        return entry.id if entry else None

    async def refresh(self, company_id: NmbrsId) -> tuple[EmployeeEntry, ...]:
        """Read the company's employees now (all types) and update the cache."""
        employees = await self._lister.list_employees(self._read, company_id)
        self.remember(company_id, employees)
        return employees

    def remember(self, company_id: NmbrsId, employees: tuple[EmployeeEntry, ...]) -> None:
        """Take a list read elsewhere (the pre-flight) as the company's cache."""
        by_number: dict[int, EmployeeEntry] = {}
        for entry in employees:
            if entry.number:  # a fresh employee has number 0 until PersonalInfo sets it
                by_number[entry.number] = entry
        self._by_company[company_id] = by_number
