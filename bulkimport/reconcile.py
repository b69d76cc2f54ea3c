"""Deciding whether an insert whose answer was lost took effect. Pure: no I/O.

Nmbrs inserts carry no key of ours, so a blind resend after a lost reply creates a second
employee, address, bank account or contract. Before any resend the pipeline reads the current
state and asks these functions: the effect is there (adopt its id), it is not (resend), or it
cannot be told for sure (the row needs review; never guess).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Final


@dataclass(frozen=True, slots=True)
class Found:
    """The lost call did take effect; `value` is what its reply would have carried."""

    value: Any


@dataclass(frozen=True, slots=True)
class NotFound:
    """No trace of the lost call: resending is safe."""


@dataclass(frozen=True, slots=True)
class Ambiguous:
    candidates: tuple[int, ...]
    reason: str


Reconciled = Found | NotFound | Ambiguous


@dataclass(frozen=True, slots=True)
class EmployeeEntry:
    """One line of List_GetByCompany."""

    id: int
    number: int
    display_name: str


@dataclass(frozen=True, slots=True)
class RecordCheck:
    """How to find a record an insert creates: the read that lists them and what identifies it.

    `record_field` is the request element holding the inserted record; `list_path` walks the
    read's result to the list of records; `match_fields` are compared between the sent record
    and each listed one.
    """

    read_operation: str
    employee_field: str
    record_field: str
    list_path: tuple[str, ...]
    match_fields: tuple[str, ...]
    id_field: str


RECORD_CHECKS: Final[Mapping[str, RecordCheck]] = {
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


def display_name_of(first_name: str | None, last_name: str | None) -> str:
    """The DisplayName Nmbrs lists for a fresh employee (inferred: first and last name)."""
    return " ".join(part for part in (first_name, last_name) if part)


def reconcile_employee_insert(
    sent: Mapping[str, Any],
    employees: Iterable[EmployeeEntry],
    *,
    baseline: frozenset[int],
    claimed: set[int] | frozenset[int],
) -> Reconciled:
    """Match a lost Employee_Insert against the company's employees.

    Only employees that did not exist when the run started (`baseline`) and that no other row
    of this run has adopted (`claimed`) can be ours; a fresh employee has no number yet.
    """
    wanted = normalise_text(display_name_of(sent.get("FirstName"), sent.get("LastName")))
    candidates = tuple(
        entry.id
        for entry in employees
        if entry.id not in baseline
        and entry.id not in claimed
        and normalise_text(entry.display_name) == wanted
    )
    if not candidates:
        return NotFound()
    if len(candidates) == 1:
        return Found(candidates[0])
    return Ambiguous(
        candidates,
        f"{len(candidates)} new employees named {wanted!r} appeared since the run started",
    )


def reconcile_record_insert(
    check: RecordCheck,
    sent: Mapping[str, Any],
    current: Any,
) -> Reconciled:
    """Match a lost record insert against the employee's current records of that kind."""
    record = sent.get(check.record_field) or {}
    matches = tuple(
        listed[check.id_field]
        for listed in _walk(current, check.list_path)
        if all(_same(record.get(name), listed.get(name)) for name in check.match_fields)
    )
    if not matches:
        return NotFound()
    if len(matches) == 1:
        return Found(matches[0])
    return Ambiguous(matches, f"{len(matches)} identical {check.record_field} records exist")


def _walk(value: Any, path: Sequence[str]) -> list[Mapping[str, Any]]:
    for name in path:
        if not isinstance(value, Mapping):
            return []
        value = value.get(name)
    if value is None:
        return []
    return [item for item in (value if isinstance(value, list) else [value]) if item]


def normalise_text(value: str | None) -> str:
    """Text compared as a person would: case and runs of spaces do not matter."""
    return " ".join((value or "").split()).casefold()


def _same(sent: Any, listed: Any) -> bool:
    """Compare a sent value with what Nmbrs lists, ignoring representation differences."""
    if sent is None:
        return listed in (None, "")
    if isinstance(sent, str):
        return isinstance(listed, str) and normalise_text(sent) == normalise_text(listed)
    if isinstance(sent, date) and not isinstance(sent, datetime):
        return isinstance(listed, date) and listed.timetuple()[:3] == sent.timetuple()[:3]
    if isinstance(sent, Decimal | int) and not isinstance(sent, bool):
        return isinstance(listed, Decimal | int) and Decimal(listed) == Decimal(sent)
    return bool(sent == listed)
