"""Which value of a SOAP call dates its change, read from the operation table. Pure.

Nmbrs dates a change in one of three ways (API.md section 6): `*Current` operations act from
the current period (never in the past); others take Period + Year, or a dateTime parameter
(Start, StartDate); contracts carry their dates inside EmployeeContract, and a contract whose
start lies before the current period is protected even when inserted "in the current period".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date, datetime
from typing import Any, Final

from bulkimport.guards import ChangeDate
from bulkimport.model import Call
from bulkimport.nmbrs.soap.schema import ComplexType, Operation, Xsd, find_operation

__all__ = ["UNPROTECTED_MODE", "SoapDating", "change_date"]

_DATE_PARAMETERS: Final = ("Start", "StartDate")
_DATED_RECORDS: Final = ("EmployeeContract",)
UNPROTECTED_MODE: Final = "UnprotectedMode"


def change_date(operation: Operation, values: Mapping[str, Any]) -> ChangeDate | None:
    """What dates this call's change; None when the call acts from the current period."""
    names = {field.name.lower(): field.name for field in operation.request}
    if "period" in names and "year" in names:
        year, number = values.get(names["year"]), values.get(names["period"])
        if isinstance(year, int) and isinstance(number, int):
            return ChangeDate((names["period"],), None, (year, number))
        return None
    for field in operation.request:
        if field.name in _DATE_PARAMETERS and field.type is Xsd.DATETIME:
            return _dated((field.name,), values.get(field.name))
        if field.name in _DATED_RECORDS and isinstance(field.type, ComplexType):
            record = values.get(field.name)
            if isinstance(record, Mapping):
                return _dated((field.name, "StartDate"), record.get("StartDate"))
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
