"""The undo file: for every row a run changed, a row in the input's own format that puts the
before values back when it is run through the same template.

A changed field gets its before value; a field that was empty before gets the clear marker
(`{empty}`); the key and the other required cells stay as the row had them (the same employee,
the same start date); every other cell is left empty, which keeps that field as it is. Rows
that created something (an employee, a record of a new kind) cannot be undone through the API:
they are listed in a second file, for removal by hand.
"""

from __future__ import annotations

import _csv
import csv
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import IO, Final, Self

from bulkimport.mapping.mapper import ColumnBinding
from bulkimport.mapping.template import ColumnSource, Template
from bulkimport.model import CLEAR_MARKER, RowResult, RowStatus, SourceFormat, SourceInfo, SourceRow
from bulkimport.plan import NOT_READ, PlanAction, PlannedRow
from bulkimport.report import format_created

__all__ = ["REMOVALS_COLUMNS", "UndoWriter"]

REMOVALS_COLUMNS: Final = ("row", "employee_number", "created", "what_to_do")
_REMOVE_BY_HAND: Final = "remove by hand in Nmbrs: the API cannot delete what this row created"


class UndoWriter:
    """A result sink: writes undo rows and removals as the run's rows finish."""

    def __init__(
        self,
        path: Path,
        removals_path: Path,
        info: SourceInfo,
        *,
        template: Template,
        binding: ColumnBinding,
        planned: Mapping[int, PlannedRow],
    ) -> None:
        self.path = path
        self.removals_path = removals_path
        self._planned = planned
        self._columns = _column_per_index(template, binding)
        self._merged_fields = {
            ".".join(mapping.path)
            for step in template.operations
            if step.merge_from is not None
            for mapping in step.fields
        }
        self._headers = info.headers
        csv_input = info.format is SourceFormat.CSV
        self._delimiter = info.delimiter if csv_input else ","
        self._encoding = info.encoding if csv_input else "utf-8"
        self._undo: tuple[IO[str], _csv.Writer] | None = None
        self._removals: tuple[IO[str], _csv.Writer] | None = None
        self.undo_rows = 0
        self.removal_rows = 0

    @property
    def paths(self) -> tuple[Path, ...]:
        return tuple(
            path
            for path, written in (
                (self.path, self.undo_rows),
                (self.removals_path, self.removal_rows),
            )
            if written
        )

    def write(self, row: SourceRow, result: RowResult) -> None:
        planned = self._planned.get(row.row_number)
        if result.status is not RowStatus.OK or planned is None:
            return
        if planned.action is PlanAction.CREATE and result.created:
            self._removal(row, planned, result)
        elif planned.action is PlanAction.CHANGE and not result.message.startswith("no change"):
            self._undo_row(row, planned)

    def _undo_row(self, row: SourceRow, planned: PlannedRow) -> None:
        before = {change.field: change.before for change in planned.changes}
        cells: list[str] = []
        for index, cell in enumerate(row.cells):
            column = self._columns.get(index)
            if column is None:
                cells.append("")
                continue
            fields, keep = column
            changed = [field for field in fields if field in before]
            if changed and before[changed[0]] != NOT_READ:
                value = before[changed[0]]
                if not value and changed[0] in self._merged_fields:
                    value = CLEAR_MARKER
                cells.append(value)
            elif keep:
                cells.append("" if cell is None else str(cell))
            else:
                cells.append("")
        if self._undo is None:
            stream = self.path.open("w", encoding=self._encoding, errors="replace", newline="")
            writer = csv.writer(stream, delimiter=self._delimiter)
            writer.writerow(self._headers)
            self._undo = (stream, writer)
        self._undo[1].writerow(cells)
        self.undo_rows += 1

    def _removal(self, row: SourceRow, planned: PlannedRow, result: RowResult) -> None:
        if self._removals is None:
            stream = self.removals_path.open("w", encoding="utf-8", newline="")
            writer = csv.writer(stream)
            writer.writerow(REMOVALS_COLUMNS)
            self._removals = (stream, writer)
        number = "" if planned.employee_number is None else str(planned.employee_number)
        self._removals[1].writerow(
            (row.row_number, number, format_created(result.created), _REMOVE_BY_HAND)
        )
        self.removal_rows += 1

    def close(self) -> None:
        for opened in (self._undo, self._removals):
            if opened is not None:
                opened[0].close()
        self._undo = self._removals = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _column_per_index(
    template: Template, binding: ColumnBinding
) -> dict[int, tuple[tuple[str, ...], bool]]:
    """For each file column a template column reads: the call fields it fills, and whether an
    undo row keeps its cell (the key, required cells, the intent column)."""
    fields: dict[str, list[str]] = {}
    for step in template.operations:
        for mapping in step.fields:
            if isinstance(mapping.source, ColumnSource):
                fields.setdefault(mapping.source.column, []).append(".".join(mapping.path))
    found: dict[int, tuple[tuple[str, ...], bool]] = {}
    for bound in binding.columns:
        if bound.index is None:
            continue
        column = bound.column
        keep = column.required or column.name == template.key
        found[bound.index] = (tuple(fields.get(column.name, ())), keep)
    intent = binding.intent_index
    if intent is not None:
        found[intent] = ((), True)
    return found
