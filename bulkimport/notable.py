"""The first rows that did not go in, for the end-of-run summary: row, column, reason.

Counts alone leave a person hunting through the report; the summary names the first few rows
instead. Only reasons are shown, never the cell itself, and the reason is masked as a log line
is (a fault message may quote a BSN or an IBAN): a console ends up in CI logs and tickets.
`FirstRowsNotOk` is a result sink of the run; `format_rows_not_ok` is pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from bulkimport.logs import mask_text
from bulkimport.model import RowResult, RowStatus, SourceRow

ROWS_NAMED: Final = 5
# Statuses that need a person; skipped rows are the run's (stopped, dry run, hidden row).
_NOT_OK: Final = frozenset(
    {RowStatus.INVALID, RowStatus.FAULT, RowStatus.FAILED, RowStatus.NEEDS_REVIEW}
)


@dataclass(frozen=True, slots=True)
class RowNotOk:
    """One reason a row did not go in: the cell's column, or the call that failed."""

    row_number: int
    status: RowStatus
    where: str  # the file's column header, the operation, or "" when neither is known
    reason: str  # masked


class FirstRowsNotOk:
    """Keeps the reasons of the first `limit` rows not ok, and counts the rest."""

    def __init__(self, limit: int = ROWS_NAMED) -> None:
        self._limit = limit
        self.rows: list[RowNotOk] = []
        self.rows_named = 0
        self.more = 0  # rows not ok beyond the first `limit`

    def write(self, row: SourceRow, result: RowResult) -> None:
        if result.status not in _NOT_OK:
            return
        if self.rows_named >= self._limit:
            self.more += 1
            return
        self.rows_named += 1
        self.rows.extend(reasons_of(result))


def reasons_of(result: RowResult) -> list[RowNotOk]:
    """A row's reasons without its values: an invalid row's problems carry column and reason
    apart (pipeline details); otherwise the operation and the message."""
    problems = result.details.get("problems")
    if result.status is RowStatus.INVALID and problems:
        return [
            RowNotOk(result.row_number, result.status, str(column), mask_text(str(reason)))
            for column, reason in problems
        ]
    where = result.failed_operation
    if result.fault_code is not None:
        where = f"{where} fault {result.fault_code}".strip()
    return [RowNotOk(result.row_number, result.status, where, mask_text(result.message))]


def format_rows_not_ok(rows: Sequence[RowNotOk], more: int) -> str:
    """Aligned lines under a heading; empty when every row went in."""
    if not rows:
        return ""
    number_width = max(len(str(row.row_number)) for row in rows)
    status_width = max(len(row.status.value) for row in rows)
    lines = ["first rows not imported (all of them are in the report):"]
    for row in rows:
        where = f"{row.where}: " if row.where else ""
        lines.append(
            f"  row {row.row_number:<{number_width}}  {row.status.value:<{status_width}}  "
            f"{where}{row.reason}"
        )
    if more:
        lines.append(f"  ... and {more} more row{'s' if more != 1 else ''}")
    return "\n".join(lines)
