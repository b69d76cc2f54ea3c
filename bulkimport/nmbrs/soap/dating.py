"""Which value of a SOAP call dates its change, read from the operation table. Pure.

Nmbrs dates a change in one of three ways (API.md section 6): `*Current` operations act from
the current period (never in the past); others take Period + Year, or a dateTime parameter
(Start, StartDate); contracts carry their dates inside EmployeeContract, and a contract whose
start lies before the current period is protected even when inserted "in the current period".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, Final

from bulkimport.guards import ChangeDate
from bulkimport.model import Call
from bulkimport.nmbrs.soap.schema import ComplexType, Operation, Xsd, find_operation

__all__ = ["UNPROTECTED_MODE", "SoapDating", "change_date"]

_DATE_PARAMETERS: Final = ("Start", "StartDate")
_DATED_RECORDS: Final = ("EmployeeContract",)
UNPROTECTED_MODE: Final = "UnprotectedMode"


@dataclass(frozen=True, slots=True)
class _DatingRule:
    """Where an operation's request carries its date, read once from the table."""

    period_and_year: tuple[str, str] | None  # the Period and Year parameters' names
    # In request order: a dateTime parameter ("date") or a dated record ("record").
    probes: tuple[tuple[str, str], ...]


_RULES: dict[tuple[str, str], tuple[Operation, _DatingRule]] = {}


def _rule_for(operation: Operation) -> _DatingRule:
    cached = _RULES.get(operation.key)
    if cached is not None and cached[0] is operation:
        return cached[1]
    names = {field.name.lower(): field.name for field in operation.request}
    probes = []
    for field in operation.request:
        if field.name in _DATE_PARAMETERS and field.type is Xsd.DATETIME:
            probes.append(("date", field.name))
        elif field.name in _DATED_RECORDS and isinstance(field.type, ComplexType):
            probes.append(("record", field.name))
    period_and_year = (
        (names["period"], names["year"]) if "period" in names and "year" in names else None
    )
    rule = _DatingRule(period_and_year, tuple(probes))
    _RULES[operation.key] = (operation, rule)
    return rule


def change_date(operation: Operation, values: Mapping[str, Any]) -> ChangeDate | None:
    """What dates this call's change; None when the call acts from the current period."""
    rule = _rule_for(operation)  # every call of a run asks: the table is read once
    if rule.period_and_year is not None:
        period, year_name = rule.period_and_year
        year, number = values.get(year_name), values.get(period)
        if isinstance(year, int) and isinstance(number, int):
            return ChangeDate((period,), None, (year, number))
        return None
    for kind, name in rule.probes:
        if kind == "date":
            return _dated((name,), values.get(name))
        record = values.get(name)
        if isinstance(record, Mapping):
            return _dated((name, "StartDate"), record.get("StartDate"))
    return None


def _dated(path: tuple[str, ...], value: object) -> ChangeDate | None:
    if isinstance(value, datetime):
        return ChangeDate(path, value.date(), None)
    if isinstance(value, date):
        return ChangeDate(path, value, None)
    return None


class SoapDating:
    """The guards' `Dating` for SOAP calls."""

    def change_date(self, call: Call) -> ChangeDate | None:
        return change_date(find_operation(call.service, call.operation), call.values)

    def unprotected(self, call: Call) -> Call:
        """The call with UnprotectedMode set, where its operation has that parameter."""
        operation = find_operation(call.service, call.operation)
        if not any(field.name == UNPROTECTED_MODE for field in operation.request):
            return call
        return replace(call, values={**call.values, UNPROTECTED_MODE: True})
