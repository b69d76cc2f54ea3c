"""A streaming writer of a one-sheet XLSX workbook: each row becomes XML text as it arrives.

Why not openpyxl's write-only mode: it builds, binds and type-checks a Cell object per value
and writes it through lxml (about 200 us per 30-cell row), 10-15% of a run's CPU for the run
report. Here a row is one string built from precompiled column letters, and the sheet is
deflated straight into the zip (`ZipFile.open(..., "w")`), so memory stays flat for any
number of rows. The static parts go into the zip first: only one member can be open for
writing, so the sheet, the only part that grows, goes last.

Formatting (`row_xml` and the part texts) is pure; `XlsxSheetWriter` is the thin file shell.
"""

from __future__ import annotations

import math
import re
import zipfile
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import IO, Final, Self
from xml.sax.saxutils import quoteattr

from bulkimport.model import Cell

__all__ = ["XlsxSheetWriter", "column_letter", "excel_serial", "row_xml"]

# Characters XML 1.0 cannot hold (and lone surrogates, which UTF-8 cannot): openpyxl's
# ILLEGAL_CHARACTERS_RE plus those. They become U+FFFD, as the report did with openpyxl.
_ILLEGAL_XML: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# "\r" too: an XML parser reads a literal CR as LF, so it goes as a character reference.
_NEEDS_ESCAPE: Final = re.compile("[&<>\r]")
_ESCAPES: Final = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"}

# Cell styles (indexes into cellXfs in _STYLES).
_BOLD: Final = 1
_DATE: Final = 2
_DATETIME: Final = 3
DATE_FORMAT: Final = "yyyy-mm-dd"
DATETIME_FORMAT: Final = "yyyy-mm-dd hh:mm:ss"

# Excel's 1900 date system: day 0 is 1899-12-30, and serials 1..60 are one off because Excel
# counts 1900-02-29, which never was (openpyxl's `to_excel` writes the same serials).
_EPOCH_ORDINAL: Final = date(1899, 12, 30).toordinal()
_SECONDS_PER_DAY: Final = 86400
# Rows gathered before one write to the deflating stream: fewer, larger writes are cheaper.
_ROWS_PER_WRITE: Final = 256
# Level 1 deflates a report sheet about as well as the default level at a fraction of the CPU.
_COMPRESSLEVEL: Final = 1
_MAX_SHEET_NAME: Final = 31
_SHEET_NAME_FORBIDDEN: Final = re.compile(r"[\[\]:*?/\\]")

_MAIN_NS: Final = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS: Final = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL_NS: Final = "http://schemas.openxmlformats.org/package/2006/relationships"
_DOC_TYPE: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_XML_DECLARATION: Final = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

_CONTENT_TYPES: Final = (
    _XML_DECLARATION
    + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{_DOC_TYPE}.sheet.main+xml"/>'
    f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_DOC_TYPE}.worksheet+xml"/>'
    f'<Override PartName="/xl/styles.xml" ContentType="{_DOC_TYPE}.styles+xml"/>'
    "</Types>"
)
_ROOT_RELS: Final = (
    _XML_DECLARATION + f'<Relationships xmlns="{_PKG_REL_NS}">'
    f'<Relationship Id="rId1" Type="{_REL_NS}/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
_WORKBOOK_RELS: Final = (
    _XML_DECLARATION + f'<Relationships xmlns="{_PKG_REL_NS}">'
    f'<Relationship Id="rId1" Type="{_REL_NS}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_REL_NS}/styles" Target="styles.xml"/>'
    "</Relationships>"
)
_STYLES: Final = (
    _XML_DECLARATION + f'<styleSheet xmlns="{_MAIN_NS}">'
    '<numFmts count="2">'
    f'<numFmt numFmtId="164" formatCode="{DATE_FORMAT}"/>'
    f'<numFmt numFmtId="165" formatCode="{DATETIME_FORMAT}"/>'
    "</numFmts>"
    '<fonts count="2">'
    '<font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    "</fonts>"
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="4">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)
# The header row is frozen: the pane splits below row 1, and scrolling starts at A2.
_SHEET_HEAD: Final = (
    _XML_DECLARATION + f'<worksheet xmlns="{_MAIN_NS}">'
    '<sheetViews><sheetView workbookViewId="0">'
    '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
    '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/>'
    "</sheetView></sheetViews>"
    "<sheetData>"
)
_SHEET_TAIL: Final = "</sheetData></worksheet>"


def _workbook_xml(sheet_name: str) -> str:
    return (
        _XML_DECLARATION + f'<workbook xmlns="{_MAIN_NS}" xmlns:r="{_REL_NS}">'
        f'<sheets><sheet name={quoteattr(sheet_name)} sheetId="1" r:id="rId1"/></sheets>'
        "</workbook>"
    )


def column_letter(index: int) -> str:
    """0 -> "A", 25 -> "Z", 26 -> "AA": the column part of a cell reference."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def excel_serial(value: date) -> int | float:
    """A date or naive datetime as the serial number Excel stores (1900 date system)."""
    days = value.toordinal() - _EPOCH_ORDINAL
    if 0 < days <= 60:
        days -= 1
    if not isinstance(value, datetime):
        return days
    seconds = value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1e6
    return days + seconds / _SECONDS_PER_DAY


def _text(value: str) -> str:
    """Text as XML character data; plain text (nearly every cell) needs no work."""
    if _ILLEGAL_XML.search(value):
        value = _ILLEGAL_XML.sub("\ufffd", value)
    if _NEEDS_ESCAPE.search(value):
        value = _NEEDS_ESCAPE.sub(lambda match: _ESCAPES[match.group()], value)
    return value


def _string_cell(reference: str, value: str, style: str = "") -> str:
    """An inline string: never a formula or an error value, so "=SUM(A1)" shows as typed."""
    return (
        f'<c r="{reference}"{style} t="inlineStr"><is><t xml:space="preserve">'
        f"{_text(value)}</t></is></c>"
    )


def _cell(reference: str, value: Cell) -> str:
    """One non-empty, non-str cell (strings take the fast path in `row_xml`)."""
    if isinstance(value, bool):
        return f'<c r="{reference}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int):
        return f'<c r="{reference}"><v>{value}</v></c>'
    if isinstance(value, float):
        if not math.isfinite(value):
            return _string_cell(reference, str(value))
        return f'<c r="{reference}"><v>{value!r}</v></c>'  # repr: the shortest exact digits
    if isinstance(value, Decimal):
        if not value.is_finite():
            return _string_cell(reference, str(value))
        return f'<c r="{reference}"><v>{value}</v></c>'
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            # Excel has no time zones (openpyxl refuses such a value): the text keeps the offset.
            return _string_cell(reference, value.isoformat(sep=" "))
        return f'<c r="{reference}" s="{_DATETIME}"><v>{excel_serial(value)!r}</v></c>'
    if isinstance(value, date):
        return f'<c r="{reference}" s="{_DATE}"><v>{excel_serial(value)}</v></c>'
    return _string_cell(reference, str(value))


def row_xml(row_number: int, letters: Sequence[str], values: Sequence[Cell]) -> str:
    """One `<row>` element; `letters` holds a column letter for each value (None: no cell)."""
    suffix = str(row_number)
    parts = [f'<row r="{suffix}">']
    for letter, value in zip(letters, values, strict=False):
        if value is None or value == "":
            continue
        if type(value) is str:
            parts.append(_string_cell(letter + suffix, value))
        else:
            parts.append(_cell(letter + suffix, value))
    parts.append("</row>")
    return "".join(parts)


def _check_sheet_name(name: str) -> None:
    if not name or len(name) > _MAX_SHEET_NAME or _SHEET_NAME_FORBIDDEN.search(name):
        raise ValueError(
            f"sheet name {name!r}: Excel takes 1-{_MAX_SHEET_NAME} characters without []:*?/\\"
        )


class XlsxSheetWriter:
    """Streams a one-sheet workbook to `path`: a bold, frozen header row, then `append`ed rows.

    The file is complete only after `close()` (or the end of a `with` block, even on an
    exception: what was appended stays readable). A row longer than the header is cut to it.
    """

    def __init__(self, path: Path, sheet_name: str, header: Sequence[str]) -> None:
        _check_sheet_name(sheet_name)
        self._letters = tuple(column_letter(index) for index in range(len(header)))
        self._zip = zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=_COMPRESSLEVEL)
        try:
            self._zip.writestr("[Content_Types].xml", _CONTENT_TYPES)
            self._zip.writestr("_rels/.rels", _ROOT_RELS)
            self._zip.writestr("xl/workbook.xml", _workbook_xml(sheet_name))
            self._zip.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
            self._zip.writestr("xl/styles.xml", _STYLES)
            self._sheet: IO[bytes] = self._zip.open(
                "xl/worksheets/sheet1.xml", "w", force_zip64=True
            )
        except BaseException:
            self._zip.close()
            raise
        bold = f' s="{_BOLD}"'
        header_cells = "".join(
            _string_cell(f"{letter}1", name, bold)
            for letter, name in zip(self._letters, header, strict=True)
        )
        self._pending: list[str] = [_SHEET_HEAD, f'<row r="1">{header_cells}</row>']
        self._rows = 1

    def append(self, values: Sequence[Cell]) -> None:
        """Add the next row; None (and "") leaves a cell empty."""
        self._rows += 1
        self._pending.append(row_xml(self._rows, self._letters, values))
        if len(self._pending) >= _ROWS_PER_WRITE:
            self._write_pending()

    def _write_pending(self) -> None:
        self._sheet.write("".join(self._pending).encode())
        self._pending.clear()

    def close(self) -> None:
        """Finish the sheet and the zip directory; a second call does nothing."""
        if self._sheet.closed:
            return
        try:
            self._pending.append(_SHEET_TAIL)
            self._write_pending()
            self._sheet.close()
        finally:
            self._zip.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
