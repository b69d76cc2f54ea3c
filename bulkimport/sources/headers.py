"""Header cells: the matching key, column letters, and the checks every reader applies. Pure."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from bulkimport.errors import InputFileError


def normalise_header(text: str) -> str:
    """Matching key free of case, spaces, punctuation and accents ("Datum in dienst").

    "Förnamn" and "fornamn" give the same key, so do "Anställningsdatum" and "anstallningsdatum".
    """
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if char.isalnum())


def column_letter(index: int) -> str:
    """Spreadsheet column name of a 0-based index: 0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    number = index + 1
    while number:
        number, remainder = divmod(number - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def column_label(headers: Sequence[str], index: int) -> str:
    """How a problem names a column: its header, or its letter when it has no header."""
    if index < len(headers) and headers[index]:
        return headers[index]
    return f"column {column_letter(index)} (no header)"


def check_headers(path: str, cells: Sequence[str], row_number: int) -> tuple[str, ...]:
    """The header row without trailing blank cells; refuses a row that cannot name the columns.

    Blank cells between named ones are kept as "" so that data cells stay aligned; a data cell
    under such a column is a problem of that row (see the readers).

    Raises:
        InputFileError: no named column at all, or two columns with the same name (compared
            the way templates match them, so "Voornaam" and "voornaam " collide).
    """
    headers = list(cells)
    while headers and not headers[-1]:
        headers.pop()
    if not headers:
        raise InputFileError(path, "the header row has no column names", row_number=row_number)
    seen: dict[str, int] = {}
    duplicates: list[str] = []
    for index, header in enumerate(headers):
        if not header:
            continue
        key = normalise_header(header) or header  # "#" and "-" are different columns
        if key in seen:
            first = seen[key]
            duplicates.append(
                f"{header!r} (columns {column_letter(first)} and {column_letter(index)})"
            )
        else:
            seen[key] = index
    if duplicates:
        raise InputFileError(
            path,
            "the header row names a column twice: "
            + ", ".join(duplicates)
            + "; give each column its own name",
            row_number=row_number,
        )
    return tuple(headers)
