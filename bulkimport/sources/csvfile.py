"""CSV rows -> SourceRow, streamed line by line with the row numbers a spreadsheet shows. Does I/O.

Decisions, each with a test:
- Encoding: a byte-order mark decides (UTF-8 or UTF-16). Without one, the whole file is first
  checked as UTF-8 in a cheap streaming pass, so a bad byte on line 900,000 cannot break the
  run half-way; a file that is not UTF-8 is read as Windows-1252 with a warning; a file that
  is neither is refused.
- Delimiter: the most frequent of `;`, `,` and tab outside quotes on the header line. Excel's
  `sep=;` first line is honoured and, as in Excel, is not a row.
- The header is the first line with text, or with a template's hint the first that names the
  template's columns: title lines above it are skipped, with a warning.
- Row numbers are what Excel or LibreOffice shows for the file: the header is row 1 (or lower
  when blank or title lines come first), a quoted cell spanning several lines is one row, and
  a blank line is a row too (it yields nothing, but the rows after it keep their numbers).
- A quote that opens a cell and is not closed within 100 lines, or before the end of the file,
  would swallow the rows after it into one cell (Excel does exactly that). Instead the row
  where it opened is reported with the problem, and reading resumes on the next line, so no
  other row is lost. A closing quote followed by stray text (`"abc"d`) is a problem of that
  row only.
- A line longer than 16 Mi characters is left out (memory stays bounded) and its row reported.
- A cell written as ="0612345678" (Excel's trick to keep leading zeros) reads as 0612345678,
  the text Excel shows.
"""

from __future__ import annotations

import codecs
import csv
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any, Final

from bulkimport.errors import CellProblem, InputFileError
from bulkimport.model import SourceFormat, SourceInfo, SourceRow
from bulkimport.sources.base import MAX_CELL_CHARS, ClosingSource, preview, text_cell_problem
from bulkimport.sources.headers import (
    HEADER_SEARCH_ROWS,
    HeaderHint,
    check_headers,
    column_label,
    header_found_warning,
    pick_header,
)

LINE_CHAR_LIMIT: Final = 16 * 1024 * 1024
RECORD_LINE_LIMIT: Final = 100
_CHUNK_BYTES: Final = 1024 * 1024
_DELIMITERS: Final = (";", ",", "\t")
_ENCODING_NAMES: Final = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8",
    "utf-16": "UTF-16",
    "cp1252": "Windows-1252",
}
_NONE_IF_EMPTY: Final[dict[str, None]] = {"": None}
_NO_HEADER: Final = (
    "the cell has data but its column has no header; give the column a name in the header "
    "row or clear the cell"
)


class _UnclosedQuote(Exception):
    """The record in progress has run past the line limit: its opening quote is not closed."""


class _LineFeeder:
    """Gives the csv module one physical line at a time and keeps the lines of the current record.

    Keeping them is what allows a runaway quoted cell to be cut off and the lines after its
    first one to be read again as rows. Memory is bounded by RECORD_LINE_LIMIT lines.
    """

    __slots__ = ("_readline", "_replay", "chars", "lines", "overlong", "suspect")

    def __init__(self, readline: Callable[[int], str]) -> None:
        self._readline = readline
        self._replay: deque[str] = deque()
        self.lines: list[str] = []
        self.chars = 0
        self.suspect = False  # a NUL, ="...", or an overlong line: look at every cell
        self.overlong = False

    def __iter__(self) -> _LineFeeder:
        return self

    def __next__(self) -> str:
        if self._replay:
            line = self._replay.popleft()
        else:
            line = self._readline(LINE_CHAR_LIMIT)
            if not line:
                raise StopIteration
            if len(line) == LINE_CHAR_LIMIT and line[-1] not in "\r\n":
                line = self._skip_rest_of_line()
        lines = self.lines
        lines.append(line)
        self.chars += len(line)
        if "\x00" in line or '="' in line:
            self.suspect = True
        if len(lines) > RECORD_LINE_LIMIT:
            raise _UnclosedQuote
        return line

    def _skip_rest_of_line(self) -> str:
        while True:
            rest = self._readline(LINE_CHAR_LIMIT)
            if not rest or rest[-1] in "\r\n":
                break
        self.overlong = self.suspect = True
        return "\n"

    def start_record(self) -> None:
        self.lines = []
        self.chars = 0
        self.suspect = self.overlong = False

    def push_back(self, lines: list[str]) -> None:
        """Read these lines again, before anything not yet read."""
        self._replay.extendleft(reversed(lines))


class CsvSource(ClosingSource):
    """A CSV file opened for streaming; see the module docstring for how it reads."""

    def __init__(
        self, path: str, head: bytes, warnings: list[str], *, header_hint: HeaderHint | None = None
    ) -> None:
        """Open `path`, whose first bytes `head` the caller already looked at, and read the header.

        Raises:
            InputFileError: the encoding cannot be read, or there is no usable header row.
        """
        self.warnings = warnings
        # The csv module refuses cells over 128 KiB by default (a process-wide setting, only
        # ever raised here): we read them and report them as too large instead.
        if csv.field_size_limit() < LINE_CHAR_LIMIT:
            csv.field_size_limit(LINE_CHAR_LIMIT)
        encoding = _choose_encoding(path, head, warnings)
        self._stream = open(path, encoding=encoding, newline="", buffering=_CHUNK_BYTES)  # noqa: SIM115 - closed by close()
        self._started = False
        try:
            self._feeder = _LineFeeder(self._stream.readline)
            self.info, self._dialect = self._read_header(path, encoding, header_hint)
        except BaseException:
            self._stream.close()
            raise
        self._blank_columns = tuple(
            index for index, header in enumerate(self.info.headers) if not header
        )

    def close(self) -> None:
        self._stream.close()

    # --- header ------------------------------------------------------------------------------
    def _read_header(
        self, path: str, encoding: str, hint: HeaderHint | None
    ) -> tuple[SourceInfo, dict[str, Any]]:
        """The header line: the first with text, or the one `hint` points at (see headers).

        Lines read past the header while looking for it are handed back to the feeder.
        """
        feeder = self._feeder
        blank_rows = 0  # before the first line with text
        sep: str | None = None
        first = True
        lines: list[str] = []  # from the first line with text on
        candidates: list[tuple[int, list[str]]] = []  # (index in lines, cells)
        while len(candidates) < HEADER_SEARCH_ROWS:
            line = self._stream.readline(LINE_CHAR_LIMIT)
            if not line:
                break
            if first and line.startswith("sep=") and len(line.rstrip("\r\n")) == 5:
                sep = line[4]  # Excel's own hint; Excel does not show this line as a row
                first = False
                continue
            first = False
            if not line.strip(" \t;,\r\n"):
                if lines:
                    lines.append(line)
                else:
                    blank_rows += 1
                continue
            lines.append(line)
            cells = [cell.strip() for cell in _lenient_fields(line, sep or _detect_delimiter(line))]
            candidates.append((len(lines) - 1, cells))
            if hint is None or hint.names_every_required(cells):
                break
        if not candidates:
            raise InputFileError(path, "the file has no header row (it holds only empty lines)")
        chosen = pick_header([cells for _, cells in candidates], hint)
        index = candidates[chosen][0]
        line = lines[index]
        delimiter = sep or _detect_delimiter(line)
        dialect: dict[str, Any] = {"delimiter": delimiter, "quotechar": '"', "strict": True}
        header_row_number = blank_rows + index + 1
        if chosen:
            self.warnings.append(header_found_warning(header_row_number))
        feeder.push_back(lines[index:])
        feeder.start_record()
        try:
            record = next(csv.reader(feeder, **dialect))
        except (csv.Error, _UnclosedQuote):
            raise InputFileError(
                path,
                "a quote in the header row is not closed; check the quotes around the column names",
                row_number=header_row_number,
            ) from None
        headers = check_headers(path, [cell.strip() for cell in record], header_row_number)
        info = SourceInfo(
            path=path,
            format=SourceFormat.CSV,
            headers=headers,
            encoding=encoding,
            delimiter=delimiter,
            header_row_number=header_row_number,
        )
        return info, dialect

    # --- rows --------------------------------------------------------------------------------
    def rows(self) -> Iterator[SourceRow]:
        """Every data row in file order; blank rows are skipped but keep their number."""
        if self._started:
            raise RuntimeError("rows() reads the file once")
        self._started = True
        feeder = self._feeder
        dialect = self._dialect
        reader = csv.reader(feeder, **dialect)
        width = len(self.info.headers)
        plain = not self._blank_columns
        row_number = self.info.header_row_number
        yielded = 0
        while True:
            feeder.start_record()
            try:
                record = next(reader)
            except StopIteration:
                break
            except UnicodeDecodeError:
                raise InputFileError(
                    self.info.path,
                    "the file changed while it was being read; run again when it is saved",
                    row_number=row_number + 1,
                ) from None
            except (_UnclosedQuote, csv.Error) as exc:
                row_number += 1
                yielded += 1
                where = _where_quote_fails(exc, len(feeder.lines))
                if where is None:
                    yield self._stray_quote_row(row_number)
                    continue
                yield self._unclosed_quote_row(row_number, where)
                feeder.push_back(feeder.lines[1:])
                reader = csv.reader(feeder, **dialect)
                continue
            row_number += 1
            stripped = list(map(str.strip, record))
            cells = tuple(map(_NONE_IF_EMPTY.get, stripped, stripped))  # "" -> None, in C
            if (
                len(cells) == width
                and plain
                and not feeder.suspect
                and feeder.chars <= MAX_CELL_CHARS
            ):
                if any(cells):
                    yielded += 1
                    yield SourceRow(row_number, cells)
                continue
            row = self._checked_row(list(cells), row_number, [])
            if row is not None:
                yielded += 1
                yield row
        if not yielded:
            self.warnings.append("the file has a header row but no data rows")

    def _checked_row(
        self, cells: list[str | None], row_number: int, problems: list[CellProblem]
    ) -> SourceRow | None:
        """The slow path: align the cells to the headers and look at each of them."""
        headers = self.info.headers
        width = len(headers)
        for index in range(width, len(cells)):
            value = cells[index]
            if value is not None:
                label = column_label(headers, index)
                problems.append(CellProblem(row_number, label, preview(value), _NO_HEADER))
        del cells[width:]
        cells.extend([None] * (width - len(cells)))
        for index in self._blank_columns:
            value = cells[index]
            if value is not None:
                label = column_label(headers, index)
                problems.append(CellProblem(row_number, label, preview(value), _NO_HEADER))
        if self._feeder.suspect or self._feeder.chars > MAX_CELL_CHARS:
            for index, value in enumerate(cells):
                if value is None:
                    continue
                if value.startswith('="') and value.endswith('"') and value.count('"') == 2:
                    # Excel's way to keep leading zeros in a CSV: ="0612345678" shows 0612345678.
                    cells[index] = value = value[2:-1].strip() or None
                    if value is None:
                        continue
                problem = text_cell_problem(row_number, headers[index], value)
                if problem is not None:
                    problems.append(problem)
        if self._feeder.overlong:
            problems.append(
                CellProblem(
                    row_number,
                    "",
                    "",
                    f"a line of this row is longer than {LINE_CHAR_LIMIT:,} characters and was "
                    "left out; the file may not be a CSV file",
                )
            )
        if not problems and not any(cells):
            return None
        return SourceRow(row_number, tuple(cells), tuple(problems))

    def _unclosed_quote_row(self, row_number: int, where: str) -> SourceRow:
        """The row whose opening quote never closed, with the cells its first line holds."""
        first_line = self._feeder.lines[0]
        fields = _lenient_fields(first_line, self._dialect["delimiter"])
        column = column_label(self.info.headers, max(len(fields) - 1, 0))
        problem = CellProblem(
            row_number,
            column,
            preview(fields[-1].strip() if fields else first_line.strip()),
            f"a quote opens this cell but is not closed {where}; the rows after it were read "
            'on their own. Close the quote, or double a quote that is part of the text ("")',
        )
        cells: list[str | None] = [field.strip() or None for field in fields]
        row = self._checked_row(cells, row_number, [problem])
        assert row is not None  # it has a problem, so it is never dropped as blank
        return row

    def _stray_quote_row(self, row_number: int) -> SourceRow:
        """A row with text after a closing quote, with its cells as a lenient parser sees them."""
        line = self._feeder.lines[0]
        delimiter = self._dialect["delimiter"]
        fields = _lenient_fields(line, delimiter)
        index = _stray_quote_field(line, delimiter)
        problem = CellProblem(
            row_number,
            column_label(self.info.headers, index),
            preview(fields[index] if index < len(fields) else line),
            "text follows the closing quote of this cell; put the whole cell in quotes and "
            'double each quote inside it ("")',
        )
        cells: list[str | None] = [field.strip() or None for field in fields]
        row = self._checked_row(cells, row_number, [problem])
        assert row is not None
        return row


def _where_quote_fails(exc: Exception, lines: int) -> str | None:
    """How an opening quote failed to close, or None for stray text after a closing quote."""
    if isinstance(exc, _UnclosedQuote):
        return f"within {RECORD_LINE_LIMIT} lines"
    if "unexpected end of data" in str(exc):
        return "before the end of the file"
    if lines > 1:
        return "properly (it runs on into the next lines)"
    return None


def _lenient_fields(line: str, delimiter: str) -> list[str]:
    """The fields of one line as a forgiving parser sees them (an open quote runs to line end)."""
    try:
        return next(csv.reader([line], delimiter=delimiter, strict=False), [])
    except csv.Error:  # pragma: no cover - the lenient reader accepts any single line
        return [line]


def _stray_quote_field(line: str, delimiter: str) -> int:
    """Index of the first field where text follows a closing quote."""
    index = 0
    in_quotes = False
    at_field_start = True
    position = 0
    while position < len(line):
        char = line[position]
        if in_quotes:
            if char == '"':
                if line[position + 1 : position + 2] == '"':
                    position += 1
                else:
                    in_quotes = False
                    following = line[position + 1 : position + 2]
                    if following not in (delimiter, "\r", "\n", ""):
                        return index
        elif char == delimiter:
            index += 1
            at_field_start = True
            position += 1
            continue
        elif char == '"' and at_field_start:
            in_quotes = True
        at_field_start = False
        position += 1
    return index


def _detect_delimiter(line: str) -> str:
    """The most frequent of `;`, `,` and tab outside quotes (a tie in that order); else `,`."""
    counts = dict.fromkeys(_DELIMITERS, 0)
    in_quotes = False
    for char in line:
        if char == '"':
            in_quotes = not in_quotes
        elif not in_quotes and char in counts:
            counts[char] += 1
    best = max(_DELIMITERS, key=counts.__getitem__)
    return best if counts[best] else ","


def _choose_encoding(path: str, head: bytes, warnings: list[str]) -> str:
    """The encoding to read with, checked over the whole file before any row is handed out."""
    if head.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    else:
        encoding = "utf-8"
    bad_line = _first_undecodable_line(path, encoding)
    if bad_line is None:
        return encoding
    if encoding != "utf-8":
        name = _ENCODING_NAMES[encoding]
        raise InputFileError(
            path,
            f"the file starts with a {name} marker but line {bad_line} is not {name} text; "
            "save it again as 'CSV UTF-8'",
        )
    bad_cp1252_line = _first_undecodable_line(path, "cp1252")
    if bad_cp1252_line is not None:
        raise InputFileError(
            path,
            f"the file is not text in UTF-8 or Windows-1252 (line {bad_line} holds bytes that "
            "are neither); save it again as 'CSV UTF-8'",
        )
    warnings.append(
        f"read as Windows-1252 (cp1252): the file is not valid UTF-8 (from line {bad_line}); "
        "if letters such as ë or å look wrong, save it again as 'CSV UTF-8'"
    )
    return "cp1252"


def _first_undecodable_line(path: str, encoding: str) -> int | None:
    """The 1-based line of the first byte that does not decode, or None: one streaming pass."""
    decoder = codecs.getincrementaldecoder(encoding)()
    line = 1
    with open(path, "rb") as stream:
        while chunk := stream.read(_CHUNK_BYTES):
            if encoding != "utf-16" and chunk.isascii() and not decoder.getstate()[0]:
                line += chunk.count(b"\n")  # ASCII is valid in every encoding we try
                continue
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                return line + exc.object[: exc.start].count(b"\n")
            line += chunk.count(b"\n")
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return line
    return None
