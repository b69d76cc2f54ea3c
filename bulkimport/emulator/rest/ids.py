"""SOAP's integer ids and REST's UUIDs for the same records, mapped one to one. Pure.

Nmbrs keeps both for every record and converts with `Converter_GetByCompany_IntToGuid`. The
emulator derives the UUID from the integer (uuid5 in a namespace of its own), so the mapping
is stable across restarts; records SOAP gives no id (salaries, schedules, personal-info
periods) get one from their employee and period.
"""

from __future__ import annotations

import uuid
from typing import Final

from bulkimport.emulator.rules import Period
from bulkimport.emulator.state import Employee, EmulatorState

NAMESPACE: Final = uuid.uuid5(uuid.NAMESPACE_URL, "https://bulkimport.example/emulator/nmbrs")
# One business environment has one debtor; its id is fixed [inferred].
DEBTOR_ID: Final = str(uuid.uuid5(NAMESPACE, "debtor:1"))


def uuid_of(kind: str, number: int) -> str:
    """The UUID of record `number` of `kind` (company, employee, address, ...)."""
    return str(uuid.uuid5(NAMESPACE, f"{kind}:{number}"))


def period_uuid(kind: str, employee_id: int, period: Period) -> str:
    """The UUID of an employee's record that SOAP keys by period (salary, schedule, ...)."""
    year, number = period
    return str(uuid.uuid5(NAMESPACE, f"{kind}:{employee_id}:{year}-{number}"))


class IdIndex:
    """From UUID back to the integer id of a company or an employee of the live state."""

    def __init__(self, state: EmulatorState) -> None:
        self._state = state
        self._employees: dict[str, int] = {}
        self._indexed: set[int] = set()

    def company_id(self, value: str) -> int | None:
        wanted = _normalised(value)
        for company_id in self._state.companies:
            if uuid_of("company", company_id) == wanted:
                return company_id
        return None

    def employee(self, value: str) -> Employee | None:
        wanted = _normalised(value)
        employees = self._state.employees
        number = self._employees.get(wanted)
        if number is None:  # perhaps a new employee: index the ones not seen yet
            for new in [number for number in employees if number not in self._indexed]:
                self._employees[uuid_of("employee", new)] = new
                self._indexed.add(new)
            number = self._employees.get(wanted)
        return None if number is None else employees.get(number)


def _normalised(value: str) -> str:
    """The canonical lower-case form; a value that is no UUID maps to no record."""
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return ""
