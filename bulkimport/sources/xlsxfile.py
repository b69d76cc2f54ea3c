"""XLSX rows -> SourceRow, streamed with openpyxl's read-only sheet parser. Does I/O.

Before openpyxl touches the file, its zip directory is checked (entry count, uncompressed
sizes and compression ratios) and the prolog of every XML part is parsed up to its root
element, so a zip bomb or an entity bomb posing as a workbook (a DTD, however far down the
prolog) is refused in bounded time and memory. Python's zipfile never inflates a member past
the size the directory declares, so the declared sizes are the real bound. openpyxl itself
parses with defusedxml (a dependency), a second guard.

Decisions, each with a test:
- The sheet read is the one `--sheet` names, else the active sheet, else the first visible
  one; a hidden sheet only when named. Hidden rows are handed on skipped, with the reason,
  unless asked for; a cheap scan of the sheet says up front whether it has any.
- The header row is the first row with a value, or with a template's hint the first that
  names the template's columns (title rows above it are skipped, with a warning);
  `row_number` is Excel's own row number.
- Rows without a value are skipped wherever they are, not only at the end: unlike Nmbrs' own
  importer, rows after a gap are read. Cells right of the last header are ignored when empty
  and a problem of their row when they hold data.
- A formula gives the value Excel last calculated. A formula without such a value (files
  written by programs that do not calculate) and error values (#N/A, #REF!, ...) are
  problems of their row.
- Date-formatted cells arrive as datetime; time-of-day and duration formats as text
  ("08:30:00"). Plain numbers stay numbers; `coerce` reads them as Excel serial dates where a
  date is expected. A workbook in the 1904 date system says so in `SourceInfo.date1904`,
  so that such numbers are read in its system (see mapping.mapper), and gets a warning.
- A sheet part whose compressed data is damaged or cut off is refused when the file is
  opened: the hidden-row scan reads it whole, and zipfile checks its checksum at the end.
  XML that breaks off part-way is only met while streaming: InputFileError names the row,
  and the rows before it have already been handed on.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from collections import deque
from collections.abc import Generator, Iterator
from datetime import date, datetime, time, timedelta
from typing import IO, Any, Final, cast
from warnings import catch_warnings, simplefilter
from xml.parsers import expat

import openpyxl
from openpyxl.utils.cell import column_index_from_string
from openpyxl.utils.datetime import CALENDAR_MAC_1904, from_excel
from openpyxl.worksheet._read_only import ReadOnlyWorksheet
from openpyxl.worksheet._reader import WorkSheetParser
from openpyxl.xml.constants import SHEET_MAIN_NS

from bulkimport.errors import CellProblem, InputFileError
from bulkimport.model import Cell, SourceFormat, SourceInfo, SourceRow
from bulkimport.sources.base import MAX_CELL_CHARS, ClosingSource, preview, text_cell_problem
from bulkimport.sources.headers import (
    HEADER_SEARCH_ROWS,
    HeaderHint,
    check_headers,
    column_label,
    header_found_warning,
    pick_header,
)

MAX_ARCHIVE_ENTRIES: Final = 10_000
MAX_UNCOMPRESSED_BYTES: Final = 4 * 1024**3  # all members together, as the zip directory says
MAX_COMPRESSION_RATIO: Final = 200  # real sheets compress 5-20x; deflate bombs reach ~1000x
_RATIO_CHECK_FROM_BYTES: Final = 1024 * 1024  # tiny members may compress oddly well
# Excel's parts start their root element within the first line; a longer prolog is a trick.
MAX_PROLOG_BYTES: Final = 1024 * 1024
_CHUNK_BYTES: Final = 64 * 1024
_BYTE_ORDER_MARKS: Final = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")
_HIDDEN_ROW: Final = re.compile(rb"<(?:[\w.-]+:)?row\s[^>]*?\bhidden\s*=\s*[\"'](?:1|true)[\"']")
_ROW_TAG_TAIL: Final = 4096  # a <row> start tag cut by a chunk boundary is kept this far
_HIDDEN_ROW_REASON: Final = (
    "the row is hidden in the workbook; give --include-hidden-rows to import hidden rows"
)
_NO_CACHED_VALUE: Final = "formula-without-value"  # our marker in the parser's data_type
_VALUE_TAG: Final = f"{{{SHEET_MAIN_NS}}}v"
_FORMULA_TAG: Final = f"{{{SHEET_MAIN_NS}}}f"
_INLINE_TAG: Final = f"{{{SHEET_MAIN_NS}}}is"
_TEXT_TAG: Final = f"{{{SHEET_MAIN_NS}}}t"
_RUN_TAG: Final = f"{{{SHEET_MAIN_NS}}}r"
_IMPOSSIBLE_DATE: Final = "#VALUE!"  # what Excel itself shows for such a cell
_ParsedRow = tuple[int, list[dict[str, Any]], bool]  # row number, cells, hidden
_WORKBOOK_MEMBER: Final = "xl/workbook.xml"
_NO_HEADER: Final = (
    "the cell has data but its column has no header; give the column a name in the header "
    "row or clear the cell"
)


class _CellParser(WorkSheetParser):
    """openpyxl's streaming sheet parser, with our own reading of each cell.

    Our own because openpyxl's cannot tell a formula without a cached value from an empty
    cell, warns (which pytest turns into errors) on a date-formatted number out of range,
    and builds a rich-text object for every inline string, which halves the speed.
    """

    def __init__(
        self,
        source: Any,
        shared_strings: Any,
        *,
        epoch: datetime,
        date_styles: set[int],
        duration_styles: set[int],
    ) -> None:
        super().__init__(source, shared_strings, data_only=True, epoch=epoch)
        self._date_styles = date_styles
        self._duration_styles = duration_styles

    def parse_row(self, row: Any) -> tuple[int, list[dict[str, Any]], bool]:  # type: ignore[override]
        """The row's number, cells, and whether it is hidden."""
        number, cells = super().parse_row(row)
        # openpyxl keeps every row's attributes (height, style): a million entries otherwise.
        self.row_dimensions.pop(str(number), None)
        return number, cells, row.get("hidden") in ("1", "true")

    def parse_cell(self, element: Any) -> dict[str, Any]:
        kind = element.get("t", "n")
        coordinate = element.get("r")
        if coordinate:
            column = column_index_from_string(coordinate.rstrip("0123456789"))
        else:
            column = self.col_counter + 1
        self.col_counter = column
        text = element.findtext(_VALUE_TAG)
        value: Any = None
        if kind == "inlineStr":
            kind = "s"
            inline = element.find(_INLINE_TAG)
            if inline is not None:
                runs = [run.findtext(_TEXT_TAG) or "" for run in inline.iterfind(_RUN_TAG)]
                value = (inline.findtext(_TEXT_TAG) or "") + "".join(runs)
        elif text:
            if kind == "n":
                value = self._number(text, int(element.get("s", 0)))
                if value == _IMPOSSIBLE_DATE:
                    kind = "e"
            elif kind == "s":
                value = self.shared_strings[int(text)]
            elif kind == "str":
                kind, value = "s", text
            elif kind == "b":
                value = text not in ("0", "false")
            elif kind == "e":
                value = text
            elif kind == "d":  # an ISO date cell, rare outside strict OOXML
                try:
                    value = datetime.fromisoformat(text)
                except ValueError:
                    kind, value = "e", _IMPOSSIBLE_DATE
        elif element.find(_FORMULA_TAG) is not None and not (kind == "str" and text == ""):
            # A calculated empty text is <v></v> with t="str"; writers that do not calculate
            # leave the <v> out, or empty on any other formula.
            kind = _NO_CACHED_VALUE
        return {"column": column, "value": value, "data_type": kind}

    def _number(self, text: str, style: int) -> int | float | datetime | time | timedelta | str:
        """A number cell; a date in a date-formatted cell; "#VALUE!" if that date is impossible."""
        number = float(text) if "." in text or "E" in text or "e" in text else int(text)
        if style not in self._date_styles:
            return number
        try:
            moment: datetime | time | timedelta = from_excel(
                number, self.epoch, timedelta=style in self._duration_styles
            )
        except (OverflowError, ValueError):
            return _IMPOSSIBLE_DATE
        return moment


class XlsxSource(ClosingSource):
    """One sheet of an .xlsx workbook opened for streaming; see the module docstring."""

    def __init__(
        self,
        path: str,
        *,
        sheet: str | None,
        warnings: list[str],
        include_hidden_rows: bool = False,
        header_hint: HeaderHint | None = None,
    ) -> None:
        """Check the archive, open the workbook, pick the sheet and read the header row.

        Raises:
            InputFileError: a damaged, encrypted or hostile archive, a missing sheet, or no
                usable header row.
        """
        self.warnings = warnings
        self._path = path
        self._include_hidden_rows = include_hidden_rows
        self._pending: deque[_ParsedRow] = deque()  # rows read while looking for the header
        inspect_archive(path)
        # A file object, not the path: openpyxl refuses paths not named .xlsx/.xlsm, and the
        # content has already shown this is a workbook whatever its name.
        self._file = open(path, "rb")  # noqa: SIM115 - closed by close()
        try:
            with catch_warnings():
                simplefilter("ignore")  # see _next_parsed
                workbook = openpyxl.load_workbook(
                    self._file, read_only=True, data_only=True, keep_links=False
                )
        except Exception as exc:  # openpyxl raises many types on a damaged file
            self._file.close()
            raise InputFileError(
                path, f"the workbook is damaged and cannot be read ({type(exc).__name__})"
            ) from exc
        self._workbook = workbook
        try:
            worksheet = _pick_sheet(path, workbook, sheet, warnings)
            if self._has_hidden_rows(worksheet):
                warnings.append(
                    f"the sheet {worksheet.title!r} has hidden rows: they are imported "
                    "(--include-hidden-rows)"
                    if include_hidden_rows
                    else f"the sheet {worksheet.title!r} has hidden rows: they are skipped, "
                    "not imported (give --include-hidden-rows to import them)"
                )
        except BaseException:
            workbook.close()
            self._file.close()
            raise
        date1904 = workbook.epoch == CALENDAR_MAC_1904
        if date1904:
            warnings.append(
                "the workbook uses the 1904 date system (Excel for Mac): its dates are read "
                "in that system"
            )
        self._hidden_rows_skipped = 0
        self._parsed = self._parse(worksheet)
        try:
            self.info = self._read_header(path, worksheet.title, header_hint, date1904)
        except BaseException:
            self.close()
            raise
        self._blank_columns = tuple(
            index for index, header in enumerate(self.info.headers) if not header
        )
        self._started = False

    def close(self) -> None:
        self._parsed.close()
        self._workbook.close()
        self._file.close()

    def _has_hidden_rows(self, worksheet: ReadOnlyWorksheet) -> bool:
        """Whether any <row> of the sheet is hidden: a byte scan of the whole sheet part.

        Reading the whole part also checks its checksum, so a sheet cut off or damaged
        part-way is refused here, before any row is handed on.
        """
        archive = cast(Any, self._workbook)._archive
        try:
            with archive.open(cast(Any, worksheet)._worksheet_path) as member:
                return _find_hidden_row(member)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
            raise InputFileError(
                self._path,
                f"the sheet {worksheet.title!r} is damaged or cut off part-way and cannot be "
                f"read ({type(exc).__name__}); nothing was imported. Save the workbook again "
                "or copy it once more",
            ) from exc

    def _parse(self, worksheet: ReadOnlyWorksheet) -> Generator[_ParsedRow, None, None]:
        # openpyxl keeps what its own row iterator needs in private attributes; we read the
        # sheet with its parser directly to see formulas without values (pinned: openpyxl<4).
        sheet = cast(Any, worksheet)
        workbook = cast(Any, self._workbook)
        with workbook._archive.open(sheet._worksheet_path) as source:
            parser = _CellParser(
                source,
                sheet._shared_strings,
                epoch=workbook.epoch,
                date_styles=set(workbook._date_formats),
                duration_styles=set(workbook._timedelta_formats),
            )
            yield from parser.parse()

    def _next_parsed(self, after_row: int) -> _ParsedRow | None:
        """The next <row> of the sheet, or None at its end; damage becomes an InputFileError."""
        if self._pending:
            return self._pending.popleft()
        try:
            # openpyxl warns about parts it cannot keep when saving (data validation
            # extensions, odd headers and footers); nothing a row needs, so not shown.
            with catch_warnings():
                simplefilter("ignore")
                return next(self._parsed)
        except StopIteration:
            return None
        except Exception as exc:  # the XML parser, shared strings or openpyxl's converters
            raise InputFileError(
                self._path,
                f"the sheet is damaged or cut off after row {after_row} and cannot be read "
                f"further ({type(exc).__name__}); the rows before it have their results in "
                f"the report, the rows from row {after_row + 1} on were not imported",
                row_number=after_row + 1,
            ) from exc

    def _read_header(
        self, path: str, sheet_title: str, hint: HeaderHint | None, date1904: bool
    ) -> SourceInfo:
        """The header row: the first row with text, or the one `hint` points at (see headers)."""
        candidates: list[tuple[_ParsedRow, list[str]]] = []
        last_row = 0
        while len(candidates) < HEADER_SEARCH_ROWS:
            parsed = self._next_parsed(last_row)
            if parsed is None:
                break
            last_row = parsed[0]
            texts = _header_texts(parsed[1])
            if not any(texts):
                continue
            candidates.append((parsed, texts))
            if hint is None or hint.names_every_required(texts):
                break
        if not candidates:
            raise InputFileError(path, f"the sheet {sheet_title!r} is empty: no header row")
        chosen = pick_header([texts for _, texts in candidates], hint)
        (row_number, _, _), texts = candidates[chosen]
        self._pending.extend(parsed for parsed, _ in candidates[chosen + 1 :])
        if chosen:
            self.warnings.append(header_found_warning(row_number))
        headers = check_headers(path, texts, row_number)
        return SourceInfo(
            path=path,
            format=SourceFormat.XLSX,
            headers=headers,
            sheet=sheet_title,
            header_row_number=row_number,
            date1904=date1904,
        )

    def rows(self) -> Iterator[SourceRow]:
        """Every data row in sheet order; rows without a value are left out, hidden rows skipped."""
        if self._started:
            raise RuntimeError("rows() reads the sheet once")
        self._started = True
        headers = self.info.headers
        width = len(headers)
        blank_columns = self._blank_columns
        last_row = self.info.header_row_number
        yielded = 0
        while (parsed := self._next_parsed(last_row)) is not None:
            row_number, cells, hidden = parsed
            last_row = row_number
            values: list[Cell] = [None] * width
            problems: list[CellProblem] = []
            for cell in cells:
                value, problem = _cell_value(cell, row_number, headers)
                if value is None and problem is None:
                    continue
                index = cell["column"] - 1
                if index < width:
                    values[index] = value
                if problem is not None:
                    problems.append(problem)
                elif index >= width or index in blank_columns:
                    label = column_label(headers, index)
                    text = preview(str(value))
                    problems.append(CellProblem(row_number, label, text, _NO_HEADER))
            if problems or any(value is not None for value in values):
                yielded += 1
                if hidden and not self._include_hidden_rows:
                    self._hidden_rows_skipped += 1
                    yield SourceRow(row_number, tuple(values), skip_reason=_HIDDEN_ROW_REASON)
                else:
                    yield SourceRow(row_number, tuple(values), tuple(problems))
        if not yielded:
            self.warnings.append("the sheet has a header row but no data rows")
        if self._hidden_rows_skipped:
            self.warnings.append(
                f"{self._hidden_rows_skipped:,} hidden row(s) were skipped (see the report)"
            )


def _cell_value(
    cell: dict[str, Any], row_number: int, headers: tuple[str, ...]
) -> tuple[Cell, CellProblem | None]:
    """The cell as a reader hands it on, and its problem if it cannot be used as it is."""
    value = cell["value"]
    kind = cell["data_type"]
    if isinstance(value, str):
        value = value.strip()
        if kind == "e":
            return value, CellProblem(
                row_number,
                column_label(headers, cell["column"] - 1),
                value,
                f"the cell shows the error {value}; correct the formula or type the value",
            )
        if not value:
            return None, None
        if len(value) > MAX_CELL_CHARS or "\x00" in value:
            label = column_label(headers, cell["column"] - 1)
            return value, text_cell_problem(row_number, label, value)
        return value, None
    if kind == _NO_CACHED_VALUE:
        return None, CellProblem(
            row_number,
            column_label(headers, cell["column"] - 1),
            "",
            "the cell holds a formula that was never calculated; open the file in Excel and "
            "save it again, or type the value",
        )
    if isinstance(value, time | timedelta):
        return str(value), None
    return cast(Cell, value), None


def _header_texts(cells: list[dict[str, Any]]) -> list[str]:
    """The header row as text, aligned by column (a gap in the XML is an empty header)."""
    texts: list[str] = []
    for cell in cells:
        value = cell["value"]
        if value is None:
            continue
        index = cell["column"] - 1
        texts.extend([""] * (index + 1 - len(texts)))
        if isinstance(value, datetime):
            text = value.date().isoformat() if value.time() == time() else value.isoformat()
        elif isinstance(value, date):
            text = value.isoformat()
        elif isinstance(value, float) and value.is_integer():
            text = str(int(value))
        else:
            text = str(value)
        texts[index] = text.strip()
    return texts


def _pick_sheet(
    path: str, workbook: Any, wanted: str | None, warnings: list[str]
) -> ReadOnlyWorksheet:
    """The sheet `wanted` names, else the active one, else the first visible one; never hidden."""
    names: list[str] = list(workbook.sheetnames)
    if wanted is None:
        sheets = [workbook[name] for name in names if isinstance(workbook[name], ReadOnlyWorksheet)]
        visible = [sheet for sheet in sheets if sheet.sheet_state == "visible"]
        hidden = [sheet.title for sheet in sheets if sheet.sheet_state != "visible"]
        if not visible:
            if hidden:
                raise InputFileError(
                    path,
                    "every sheet of the workbook is hidden ("
                    + ", ".join(map(repr, hidden))
                    + "); name the one to read with --sheet",
                )
            raise InputFileError(path, "the workbook has no sheet with rows (only charts)")
        active = workbook.active
        chosen = active if active in visible else visible[0]
        others = [sheet.title for sheet in visible if sheet is not chosen]
        if others:
            warnings.append(
                f"read the sheet {chosen.title!r}; the workbook has other sheets ("
                + ", ".join(map(repr, others))
                + "): name one with --sheet to read it instead"
            )
        if hidden:
            warnings.append(
                "the workbook has hidden sheets ("
                + ", ".join(map(repr, hidden))
                + "); they were not read"
            )
        return cast(ReadOnlyWorksheet, chosen)
    matches = [name for name in names if name == wanted] or [
        name for name in names if name.strip().casefold() == wanted.strip().casefold()
    ]
    if len(matches) != 1:
        listing = ", ".join(repr(candidate) for candidate in names)
        raise InputFileError(
            path, f"the workbook has no sheet named {wanted!r}; its sheets: {listing}"
        )
    sheet = workbook[matches[0]]
    if not isinstance(sheet, ReadOnlyWorksheet):
        raise InputFileError(path, f"the sheet {matches[0]!r} is a chart, not a sheet with rows")
    if sheet.sheet_state != "visible":
        warnings.append(
            f"the sheet {sheet.title!r} is hidden; it was read because --sheet names it"
        )
    return sheet


def _find_hidden_row(member: IO[bytes]) -> bool:
    """Whether the sheet XML has a hidden <row>; streams to the end, keeping a cut tag."""
    carry = b""
    found = False
    while chunk := member.read(_CHUNK_BYTES):
        if found:
            continue  # read on: the end of the part is where its checksum is verified
        text = carry + chunk
        found = _HIDDEN_ROW.search(text) is not None
        cut = text.rfind(b"<")
        carry = text[cut:] if cut >= 0 and len(text) - cut <= _ROW_TAG_TAIL else b""
    return found


def inspect_archive(path: str) -> None:
    """Refuse, from the zip directory alone, what is not a sane .xlsx; inflate only XML prologs.

    Raises:
        InputFileError: not a workbook, damaged, encrypted, too large, a zip bomb, or XML with
            a DTD (Excel never writes one; entity expansion is how XML bombs work).
    """
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            if len(infos) > MAX_ARCHIVE_ENTRIES:
                raise InputFileError(
                    path, f"the file holds {len(infos):,} packed parts; not a real workbook"
                )
            names = {info.filename for info in infos}
            if _WORKBOOK_MEMBER not in names:
                raise InputFileError(path, _what_zip_is(names))
            total = 0
            for info in infos:
                if info.flag_bits & 0x1:
                    raise InputFileError(
                        path, "parts of the workbook are encrypted; save it without a password"
                    )
                total += info.file_size
                ratio = info.file_size / max(info.compress_size, 1)
                if info.file_size > _RATIO_CHECK_FROM_BYTES and ratio > MAX_COMPRESSION_RATIO:
                    raise InputFileError(
                        path,
                        f"the part {info.filename!r} would unpack {ratio:,.0f} times larger "
                        "than it is stored: a zip bomb, not a workbook",
                    )
            if total > MAX_UNCOMPRESSED_BYTES:
                raise InputFileError(
                    path,
                    f"the workbook would unpack to {total / 1024**3:,.1f} GiB; the limit is "
                    f"{MAX_UNCOMPRESSED_BYTES / 1024**3:,.0f} GiB",
                )
            for info in infos:
                with archive.open(info) as member:
                    _check_prolog(path, info.filename, member)
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        zlib.error,
        EOFError,
        NotImplementedError,
    ) as exc:
        raise InputFileError(
            path,
            f"the workbook is damaged or cut off and cannot be read ({exc.__class__.__name__}); "
            "nothing was imported. Save it again, or copy it once more",
        ) from exc


class _RootReached(Exception):
    """The prolog is over: the part's root element starts."""


class _DoctypeFound(Exception):
    """The part declares a DTD or an entity."""


def _check_prolog(path: str, name: str, member: IO[bytes]) -> None:
    """Parse an XML part up to its root element and refuse a DTD anywhere in its prolog.

    A DTD can only stand in the prolog, but the prolog can be long (comments), so it is
    parsed to its end rather than searched in its first bytes; its length is bounded.
    Parts that are not XML (images, printer settings) are left alone.
    """
    head = member.read(_CHUNK_BYTES)
    if not _looks_like_xml(name, head):
        return
    parser = expat.ParserCreate()

    def refuse(*_: object) -> None:
        raise _DoctypeFound

    def stop(*_: object) -> None:
        raise _RootReached

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.StartElementHandler = stop
    read = 0
    chunk = head
    try:
        while chunk:
            read += len(chunk)
            parser.Parse(chunk, False)
            if read > MAX_PROLOG_BYTES:
                raise InputFileError(
                    path,
                    f"the part {name!r} does not start its content within "
                    f"{MAX_PROLOG_BYTES // 1024:,} KiB, which Excel never writes; the file is "
                    "refused as unsafe",
                )
            chunk = member.read(_CHUNK_BYTES)
        parser.Parse(b"", True)
    except _RootReached:
        return
    except _DoctypeFound:
        raise InputFileError(
            path,
            f"the part {name!r} declares a DTD (XML entities), which Excel never writes; "
            "the file is refused as unsafe",
        ) from None
    except expat.ExpatError as exc:
        raise InputFileError(
            path, f"the part {name!r} is not well-formed XML ({exc}); the workbook is damaged"
        ) from None


def _looks_like_xml(name: str, head: bytes) -> bool:
    """XML parts by name or by their first bytes (a "<" or a byte-order mark), in any encoding."""
    return (
        name.endswith((".xml", ".rels", ".vml"))
        or head.startswith(_BYTE_ORDER_MARKS)
        or head.lstrip()[:4].replace(b"\x00", b"").startswith(b"<")  # also UTF-16/32
    )


def _what_zip_is(names: set[str]) -> str:
    if "xl/workbook.bin" in names:
        return "this is an Excel binary workbook (.xlsb); save it as .xlsx (Excel Workbook)"
    if "content.xml" in names:
        return "this is an OpenDocument spreadsheet (.ods); save it as .xlsx (Excel Workbook)"
    if "word/document.xml" in names:
        return "this is a Word document, not a spreadsheet"
    return "this is a zip archive, not an Excel workbook"
