"""Input files -> streams of SourceRow: `open_source` picks the reader by what the file holds.

The content decides, not the name: a CSV renamed .xlsx is read as CSV (with a warning), a
workbook named .csv as a workbook. Encrypted or old-format (.xls) workbooks, and files that
are neither text nor a workbook, are refused with a message that says what to do.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

from bulkimport.errors import InputFileError
from bulkimport.sources.base import RowSource
from bulkimport.sources.csvfile import CsvSource
from bulkimport.sources.headers import HeaderHint, normalise_header
from bulkimport.sources.xlsxfile import XlsxSource

__all__ = ["CsvSource", "HeaderHint", "RowSource", "XlsxSource", "normalise_header", "open_source"]

_SNIFF_BYTES: Final = 64 * 1024
_ZIP_MAGIC: Final = (b"PK\x03\x04", b"PK\x05\x06")
# Compound File Binary: encrypted .xlsx files and Excel 97-2003 .xls files both use it.
_OLE_MAGIC: Final = bytes.fromhex("D0CF11E0A1B11AE1")
_ENCRYPTED_MARK: Final = "EncryptedPackage".encode("utf-16-le")
_OLE_SCAN_BYTES: Final = 8 * 1024 * 1024
_WORKBOOK_SUFFIXES: Final = (".xlsx", ".xlsm", ".xls")
# Bytes that text never holds (C0 controls except tab, newlines, form feed and escape).
_TEXT_BYTES: Final = bytes(b for b in range(256) if b >= 32 or b in (9, 10, 11, 12, 13, 27))
_BINARY_SHARE: Final = 0.10


def open_source(
    path: str | os.PathLike[str],
    *,
    sheet: str | None = None,
    include_hidden_rows: bool = False,
    header_hint: HeaderHint | None = None,
) -> RowSource:
    """Open an input file for streaming, by its content; the caller closes it (`with`).

    `header_hint` (see mapping.mapper.header_hint) lets the reader skip title rows above
    the header; without it the first row with text is the header.

    Raises:
        InputFileError: the file cannot be read as rows at all, or `sheet` is given for a
            CSV file; the message says why.
    """
    path_text = os.fspath(path)
    head = _read_head(path_text)
    suffix = Path(path_text).suffix.lower()
    warnings: list[str] = []
    if head.startswith(_OLE_MAGIC):
        raise InputFileError(path_text, _ole_reason(path_text))
    if head.startswith(_ZIP_MAGIC):
        if suffix not in _WORKBOOK_SUFFIXES:
            warnings.append(
                f"the file is named {suffix or 'without an extension'} but is an "
                "Excel workbook; it was read as a workbook"
            )
        return XlsxSource(
            path_text,
            sheet=sheet,
            warnings=warnings,
            include_hidden_rows=include_hidden_rows,
            header_hint=header_hint,
        )
    if _looks_binary(head):
        raise InputFileError(
            path_text,
            "the file is neither CSV text nor an Excel workbook (it holds binary data); "
            "save it as 'CSV UTF-8' or as .xlsx",
        )
    if sheet is not None:
        raise InputFileError(
            path_text,
            f"--sheet {sheet!r} was given, but this is a CSV file, which has no sheets; "
            "leave out --sheet",
        )
    if suffix in _WORKBOOK_SUFFIXES:
        warnings.append(
            f"the file is named {suffix} but holds CSV text, not a workbook; it was read as CSV"
        )
    return CsvSource(path_text, head, warnings, header_hint=header_hint)


def _read_head(path: str) -> bytes:
    try:
        with open(path, "rb") as stream:
            head = stream.read(_SNIFF_BYTES)
    except FileNotFoundError:
        raise InputFileError(path, "the file does not exist") from None
    except IsADirectoryError:
        raise InputFileError(path, "this is a folder, not a file") from None
    except PermissionError:
        raise InputFileError(path, "the file cannot be opened: permission denied") from None
    except OSError as exc:
        raise InputFileError(path, f"the file cannot be read ({exc.strerror})") from None
    if not head:
        raise InputFileError(path, "the file is empty")
    return head


def _looks_binary(head: bytes) -> bool:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 text is full of NUL bytes
        return False
    control_bytes = len(head.translate(None, _TEXT_BYTES))
    return control_bytes > len(head) * _BINARY_SHARE


def _ole_reason(path: str) -> str:
    with open(path, "rb") as stream:
        start = stream.read(_OLE_SCAN_BYTES)
    if _ENCRYPTED_MARK in start:
        return (
            "the workbook is protected with a password; open it in Excel, remove the password "
            "(File > Info > Protect Workbook > Encrypt with Password) and save it again"
        )
    return (
        "this is an old Excel 97-2003 workbook (.xls) or another old Office file; open it in "
        "Excel and save it as .xlsx (Excel Workbook)"
    )
