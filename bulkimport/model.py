"""Plain values that flow between the stages: rows in, planned calls, results out.

Frozen and free of behaviour, so that the pipeline, the journal, reports, a future `plan`
step, job files and a REST backend can all share them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from bulkimport.errors import CellProblem

# An id as the API in use gives it: an int on SOAP, a UUID's text on REST. The core only
# compares, stores (as text or number) and passes ids back.
NmbrsId = int | str

# What a reader hands over for one cell: text from CSV, typed values from XLSX.
Cell = str | int | float | Decimal | bool | date | datetime | None


class SourceFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"


@dataclass(frozen=True, slots=True)
class SourceInfo:
    """What is needed to write rows back in the input's own format (the failed-rows file)."""

    path: str
    format: SourceFormat
    headers: tuple[str, ...]
    encoding: str = "utf-8"
    delimiter: str = ","
    sheet: str | None = None
    header_row_number: int = 1
    date1904: bool = False  # a workbook whose serial dates count from 1904 (Excel for Mac)


@dataclass(frozen=True, slots=True)
class SourceRow:
    """One data row; `row_number` is the number a person sees in the spreadsheet (header = 1).

    `problems` holds what the reader already found wrong with the row (a cell too large, a NUL
    byte, more cells than headers); such a row ends as `invalid` without losing its neighbours.
    """

    row_number: int
    cells: tuple[Cell, ...]  # aligned with SourceInfo.headers
    problems: tuple[CellProblem, ...] = ()
    skip_reason: str | None = None  # set by a reader for a row it keeps out (a hidden row)


CLEAR_MARKER = "{empty}"
"""A cell holding this clears its field; an empty cell leaves the field as it is."""


class Cleared:
    """The value of a cleared cell (`CLEAR_MARKER`): the field is to be emptied, not kept."""

    __slots__ = ()

    def __repr__(self) -> str:
        return CLEAR_MARKER


CLEAR = Cleared()


@dataclass(frozen=True, slots=True)
class StepRef:
    """Placeholder for the result of an earlier call of the same row (e.g. the new EmployeeId)."""

    step: str


@dataclass(frozen=True, slots=True)
class EmployeeRef:
    """Placeholder for the EmployeeId that the row's employee number resolves to."""

    employee_number: int


@dataclass(frozen=True, slots=True)
class Call:
    """One call a row becomes, named by the backend's operation key.

    `service` and `operation` are that key: opaque to the core, which resolves it with
    `Backend.operation` (on SOAP they are the service and operation names). `values` are the
    backend's field paths for that key (nested mappings of its request fields), and may hold
    StepRef/EmployeeRef placeholders. `merge_from` names the read whose current record fills
    the fields the row does not set, for APIs that write whole records (SOAP's
    PersonalInfo_UpdateCurrent clears omissions).
    """

    step: str
    service: str
    operation: str
    values: Mapping[str, Any]
    merge_from: str | None = None


@dataclass(frozen=True, slots=True)
class RowPlan:
    """A valid row, mapped: the calls to make in order, and the key that orders its employee."""

    row_number: int
    calls: tuple[Call, ...]
    employee_key: str | None = None  # rows with the same key are applied in file order
    skipped_steps: tuple[str, ...] = ()  # optional parts left out because their cells are empty


class RowStatus(StrEnum):
    OK = "ok"
    INVALID = "invalid"  # the row's cells did not validate; nothing was sent
    FAULT = "fault"  # Nmbrs refused one call with a business fault
    FAILED = "failed"  # no usable answer after all retries, or the run stopped mid-row
    SKIPPED = "skipped"  # not sent: the run stopped before it, or a dry run
    NEEDS_REVIEW = "needs_review"  # an ambiguous outcome that cannot be settled automatically


@dataclass(frozen=True, slots=True)
class RowResult:
    """The final word on one input row, as it goes into the report."""

    row_number: int
    status: RowStatus
    created: tuple[tuple[str, NmbrsId], ...] = ()  # (step, new Nmbrs id) for each insert done
    failed_operation: str = ""
    fault_code: int | None = None
    message: str = ""
    attempts: int = 0
    duration: float = 0.0
    details: Mapping[str, Any] = field(default_factory=dict)
