"""Per-row results as files a person opens: the report (CSV + XLSX) and the failed-rows file.

Formatting (`result_cells`, `neutralise`, `format_summary`) is pure. A cell that a
spreadsheet would run as a formula gets a leading apostrophe in CSV (the usual protection) but
not in XLSX, where a string cell is never a formula: there it is stored as text and shows as
typed. The writers stream: each row goes to disk as it arrives (the XLSX files through
`XlsxSheetWriter`), so a million-row run never holds its rows in memory. Finished files appear
under their final names only when the writer closes cleanly; until then (and after a crash)
they carry a `.partial` suffix, so a half report never looks complete.
"""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING, Final, Self, TypeVar, cast
from warnings import catch_warnings, simplefilter

import openpyxl
from openpyxl.styles.numbers import is_date_format
from openpyxl.worksheet._read_only import ReadOnlyWorksheet

from bulkimport.model import Cell, RowResult, RowStatus, SourceFormat, SourceInfo, SourceRow
from bulkimport.sheetwriter import MAX_SHEET_NAME, ColumnFormat, XlsxSheetWriter

if TYPE_CHECKING:
    import _csv

REPORT_COLUMNS: Final[tuple[str, ...]] = (
    "status",
    "created_ids",
    "failed_operation",
    "fault_code",
    "message",
    "attempts",
    "duration_s",
)

PARTIAL_SUFFIX: Final = ".partial"
REPORT_CSV_ENCODING: Final = "utf-8-sig"  # the BOM makes Excel read UTF-8 instead of the ANSI page

# Spreadsheets treat a cell starting with these as a formula (or, for tab and CR, strip the
# character and look again): OWASP "CSV injection".
_FORMULA_PREFIXES: Final = ("=", "+", "-", "@", "\t", "\r")
# A signed plain number ("-12,50", "+3.5", "-1.234,56") cannot carry a formula, and quoting it
# would change how a payroll amount reads in the report.
_PLAIN_SIGNED_NUMBER: Final = re.compile(r"[+-]\d+(?:[.,]\d+)*")


_C = TypeVar("_C", bound=Cell)


def neutralise(value: _C) -> _C:
    """Make one cell safe to open in a spreadsheet; used for every report cell, input included.

    Only strings are changed: a string starting with `=`, `+`, `-`, `@`, tab or CR gets a leading
    single quote (OWASP advice), except a plain signed number such as "-12,50". Numbers, dates
    and booleans are data, never formulas, and stay as they are.
    """
    if (
        isinstance(value, str)
        and value.startswith(_FORMULA_PREFIXES)
        and not _PLAIN_SIGNED_NUMBER.fullmatch(value)
    ):
        return cast(_C, "'" + value)
    return value


def format_created(created: tuple[tuple[str, int | str], ...]) -> str:
    """`(("employee", 1057235), ("address", 88123))` -> "employee=1057235; address=88123"."""
    return "; ".join(f"{step}={new_id}" for step, new_id in created)


def result_cells(result: RowResult) -> tuple[str | int | float | None, ...]:
    """The report columns of one row, aligned with REPORT_COLUMNS."""
    return (
        result.status.value,
        format_created(result.created),
        result.failed_operation,
        result.fault_code,
        result.message,
        result.attempts,
        round(result.duration, 3),
    )


def default_report_base(input_path: Path) -> Path:
    """`data/hires.csv` -> `data/hires.csv.report` (the writer adds .csv and .xlsx).

    The input's suffix stays in the name: `hires.csv` and `hires.xlsx` get reports of their own.
    """
    return input_path.with_name(f"{input_path.name}.report")


def default_failed_path(input_path: Path) -> Path:
    """`data/hires.csv` -> `data/hires.failed.csv`: same format, so it can be fed back.

    It keeps the input's suffix, so `hires.csv` and `hires.xlsx` do not share it either.
    """
    return input_path.with_name(f"{input_path.stem}.failed{input_path.suffix}")


def report_paths(base: Path) -> tuple[Path, Path]:
    """The CSV and XLSX paths for a report base; `--report out.csv` means base `out` too."""
    if base.suffix.lower() in (".csv", ".xlsx"):
        base = base.with_suffix("")
    return base.with_name(base.name + ".csv"), base.with_name(base.name + ".xlsx")


def html_report_path(base: Path) -> Path:
    """`hires.csv.report` -> `hires.csv.report.html`, beside the CSV and XLSX reports."""
    return report_paths(base)[0].with_suffix(".html")


def _partial(path: Path) -> Path:
    return path.with_name(path.name + PARTIAL_SUFFIX)


def write_text_atomically(path: Path, text: str) -> None:
    """Write a whole file under a `.partial` name, then rename it into place."""
    partial = _partial(path)
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)


def _csv_text(value: Cell) -> str:
    """One cell as CSV text; dates in ISO form, which every spreadsheet locale reads as a date."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        if value.time() == time() and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _csv_cell(value: Cell) -> str:
    """`_csv_text(neutralise(value))`, with text (nearly every cell) taken in one step."""
    if type(value) is str:
        if value.startswith(_FORMULA_PREFIXES) and not _PLAIN_SIGNED_NUMBER.fullmatch(value):
            return "'" + value
        return value
    return _csv_text(neutralise(value))


def _aligned(cells: tuple[Cell, ...], width: int) -> tuple[Cell, ...]:
    """Input cells padded to the header width, so the report columns always line up."""
    if len(cells) >= width:
        return cells[:width]
    return cells + (None,) * (width - len(cells))


class ReportWriter:
    """Writes `<base>.csv` and `<base>.xlsx`: the input's columns, then REPORT_COLUMNS.

    While the run goes on, the CSV can be read as `<base>.csv.partial` (call `flush()` to bring
    it up to date). On a clean close both files are renamed into place, replacing an earlier
    report; when the `with` block ends in an exception both stay `.partial`. A run that stops
    on a fatal error after every row got its line (the rest reported skipped) calls `close()`
    itself before raising, so the complete report gets its final names.
    """

    def __init__(self, base: Path, info: SourceInfo, *, xlsx: bool = True) -> None:
        self.csv_path, xlsx_path = report_paths(base)
        self.xlsx_path = xlsx_path if xlsx else None
        self._width = len(info.headers)
        self._last_row_number = 0
        self.rows_written = 0
        delimiter = info.delimiter if info.format is SourceFormat.CSV else ","
        header = (*info.headers, *REPORT_COLUMNS)

        self._csv_file: IO[str] = _partial(self.csv_path).open(
            "w", encoding=REPORT_CSV_ENCODING, newline=""
        )
        self._csv = csv.writer(self._csv_file, delimiter=delimiter)
        self._csv.writerow([_csv_cell(name) for name in header])

        # The XLSX is still most of the report's cost: huge runs may skip it.
        self._xlsx = (
            XlsxSheetWriter(_partial(xlsx_path), "report", header)
            if self.xlsx_path is not None
            else None
        )

    @property
    def paths(self) -> tuple[Path, ...]:
        return (self.csv_path,) if self.xlsx_path is None else (self.csv_path, self.xlsx_path)

    def write(self, row: SourceRow, result: RowResult) -> None:
        """Append one row; rows must come in input order, each with its own result."""
        if row.row_number != result.row_number:
            raise ValueError(
                f"result for row {result.row_number} given with input row {row.row_number}"
            )
        if row.row_number <= self._last_row_number:
            raise ValueError(
                f"row {row.row_number} written after row {self._last_row_number}: "
                "the report must follow input order"
            )
        self._last_row_number = row.row_number
        values = (*_aligned(row.cells, self._width), *result_cells(result))
        self._csv.writerow(map(_csv_cell, values))
        if self._xlsx is not None:
            self._xlsx.append(values)
        self.rows_written += 1

    def flush(self) -> None:
        """Push the CSV rows written so far to disk, for someone watching the partial file."""
        self._csv_file.flush()

    def close(self, *, complete: bool = True) -> None:
        """Finish both files; with complete=False they keep the `.partial` suffix."""
        if self._csv_file.closed:
            return
        self._csv_file.close()
        if self._xlsx is not None:
            self._xlsx.close()
        if complete:
            for path in self.paths:
                os.replace(_partial(path), path)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close(complete=exc_type is None)


# How many data rows the failed-rows workbook looks at to learn each column's number format.
_FORMAT_SAMPLE_ROWS: Final = 50


def read_number_formats(info: SourceInfo) -> tuple[str | None, ...]:
    """Per input column, the number format of its first filled cells in the input workbook.

    Only the first rows are read (the format of a column rarely changes down the sheet), so
    that a failed-rows file for a million-row input does not read the input a second time.
    None where a column shows no format (General) or the workbook cannot be read.
    """
    formats: list[str | None] = [None] * len(info.headers)
    first = info.header_row_number + 1
    try:
        workbook = openpyxl.load_workbook(info.path, read_only=True, data_only=True)
    except Exception:  # the formats are cosmetic: the rows themselves were read already
        return tuple(formats)
    try:
        sheet = workbook[info.sheet] if info.sheet in workbook.sheetnames else workbook.active
        if not isinstance(sheet, ReadOnlyWorksheet):
            return tuple(formats)
        with catch_warnings():
            simplefilter("ignore")  # openpyxl warns on odd cells the reader already judged
            for row in sheet.iter_rows(min_row=first, max_row=first + _FORMAT_SAMPLE_ROWS - 1):
                for index, cell in enumerate(row[: len(formats)]):
                    number_format = getattr(cell, "number_format", None)
                    if formats[index] is None and cell.value is not None and number_format:
                        formats[index] = None if number_format == "General" else number_format
    except Exception:  # as above: a sheet the sampling cannot walk keeps the defaults
        return tuple(formats)
    finally:
        workbook.close()
    return tuple(formats)


def _column_format(code: str | None) -> ColumnFormat:
    """An input column's format kept for the values it was made for: a date format for dates,
    any other for numbers; the other kind gets the default (dates still show as dates)."""
    if code is None:
        return ColumnFormat()
    return ColumnFormat(dates=code) if is_date_format(code) else ColumnFormat(numbers=code)


# Rows worth correcting and sending again. Not ok rows (done), not skipped ones (never tried: a
# resume sends them; a dry run skips every row) and not needs_review ones (Nmbrs may already have
# the employee: sending them again could create a second one).
FAILED_FILE_STATUSES: Final = frozenset({RowStatus.INVALID, RowStatus.FAULT, RowStatus.FAILED})


class FailedRowsWriter:
    """Writes the rows that did not go in, unchanged, in the input's own format and columns.

    A person corrects this file and feeds it back as is. So it holds only rows that changed
    nothing in Nmbrs: a row in FAILED_FILE_STATUSES that created something (an employee whose
    address then failed) would create a second employee when fed back; it stays in the report
    only and is counted in `partial_rows_left_out`.

    Nothing is neutralised here, so that the file feeds back exactly: a CSV cell that starts
    with "=" is read as a formula if the file is opened in a spreadsheet, just as in the
    original file (the XLSX variant stores such a cell as text).
    The file appears on a clean close only if a row was written; a clean close with no rows
    removes a failed file of an earlier run, which no longer tells the truth.
    """

    def __init__(self, path: Path, info: SourceInfo) -> None:
        self.path = path
        self._info = info
        self.rows_written = 0
        self.partial_rows_left_out = 0
        self._csv_file: IO[str] | None = None
        self._csv: _csv.Writer | None = None
        self._xlsx: XlsxSheetWriter | None = None
        self._closed = False

    def write(self, row: SourceRow, result: RowResult) -> None:
        """Keep the row if its result says it should be corrected and sent again."""
        if result.status not in FAILED_FILE_STATUSES:
            return
        if result.created:
            self.partial_rows_left_out += 1
            return
        if self.rows_written == 0:
            self._start()
        if self._csv is not None:
            self._csv.writerow(["" if v is None else str(v) for v in row.cells])
        elif self._xlsx is not None:
            self._xlsx.append(row.cells)
        self.rows_written += 1

    def _start(self) -> None:
        info = self._info
        if info.format is SourceFormat.CSV:
            # Every character read from a file in this encoding fits back into it; "replace" only
            # matters for U+FFFD that a reader put in for bytes the encoding does not define.
            self._csv_file = _partial(self.path).open(
                "w", encoding=info.encoding, errors="replace", newline=""
            )
            self._csv = csv.writer(self._csv_file, delimiter=info.delimiter)
            self._csv.writerow(info.headers)
        else:
            self._xlsx = XlsxSheetWriter(
                _partial(self.path),
                # Excel refuses a longer name, which another program may have written
                (info.sheet or "Sheet1")[:MAX_SHEET_NAME],
                info.headers,
                formats=[_column_format(code) for code in read_number_formats(info)],
            )

    def close(self, *, complete: bool = True) -> None:
        """Finish the file; with complete=False a started file keeps its `.partial` suffix."""
        if self._closed:
            return
        self._closed = True
        if self._csv_file is not None:
            self._csv_file.close()
        elif self._xlsx is not None:
            self._xlsx.close()
        if not complete:
            return
        if self.rows_written:
            os.replace(_partial(self.path), self.path)
        else:
            self.path.unlink(missing_ok=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close(complete=exc_type is None)


@dataclass(frozen=True, slots=True)
class RunSummary:
    """What the CLI prints at the end of a run."""

    counts: Mapping[RowStatus, int] = field(default_factory=dict)
    calls: int = 0
    duration_s: float = 0.0
    throttled_calls: int = 0
    retries: int = 0
    # A service that refuses the excess: what the limiter found (`CallRateLimiter.found_rate`,
    # None before any refusal) and how many calls it refused.
    limit_published: bool = True
    found_rate: float | None = None
    refused_calls: int = 0

    @property
    def rows(self) -> int:
        return sum(self.counts.values())

    @property
    def calls_per_s(self) -> float:
        """Over at least one second: the cap is per second, and 9 calls in 0.06 s are not a rate
        of 150 (the summary showed "calls/s 152.3" for a resumed run that sent 9 reads)."""
        return self.calls / max(self.duration_s, 1.0)


def _pacing_lines(summary: RunSummary) -> list[tuple[str, str, str]]:
    """The rate found and the calls refused: a value, and a note after the aligned column."""
    share = summary.refused_calls / summary.calls if summary.calls else 0.0
    refused = ("refused calls", str(summary.refused_calls), f"{share:.1%} of calls")
    if summary.found_rate is None:
        return [("rate found", "-", "no call refused: the limit was not reached"), refused]
    source = "limit not published" if not summary.limit_published else "found from refusals"
    return [("rate found", f"{summary.found_rate:.0f}", f"calls/s ({source})"), refused]


def format_summary(summary: RunSummary) -> str:
    """A few aligned lines: rows per status (all statuses, zeros too), then calls and timing;
    the rate found and the calls refused only where the limit had to be found."""
    lines: list[tuple[str, str]] = [("rows", str(summary.rows))]
    lines += [(f"  {status.value}", str(summary.counts.get(status, 0))) for status in RowStatus]
    lines += [
        ("calls", str(summary.calls)),
        ("duration", f"{summary.duration_s:.1f} s"),
        ("calls/s", f"{summary.calls_per_s:.1f}"),
        ("retries", str(summary.retries)),
        ("throttled calls", str(summary.throttled_calls)),
    ]
    noted = [(label, value, "") for label, value in lines]
    if not summary.limit_published or summary.refused_calls:
        noted += _pacing_lines(summary)
    label_width = max(len(label) for label, _, _ in noted)
    value_width = max(len(value) for _, value, _ in noted)
    return "\n".join(
        f"{label:<{label_width}}  {value:>{value_width}}{'  ' + note if note else ''}"
        for label, value, note in noted
    )
