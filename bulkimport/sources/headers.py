"""Header cells: the matching key, column letters, and the checks every reader applies. Pure."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

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


# Title rows above the header are looked through this far (rows with text) before giving up.
HEADER_SEARCH_ROWS: Final = 20


@dataclass(frozen=True, slots=True)
class HeaderHint:
    """What a template expects in the header row, to tell that row from title rows above it."""

    known: frozenset[str]  # the matching key of every column name and alias
    required: tuple[frozenset[str], ...]  # for each required column, the keys that fill it

    def score(self, cells: Sequence[str]) -> tuple[int, int]:
        """(required columns named, template columns named) by one row's cells."""
        keys = {normalise_header(cell) for cell in cells if cell}
        named_required = sum(1 for accepted in self.required if keys & accepted)
        return named_required, len(keys & self.known)

    def names_every_required(self, cells: Sequence[str]) -> bool:
        named_required, named = self.score(cells)
        return named_required == len(self.required) and named > 0


def pick_header(candidates: Sequence[Sequence[str]], hint: HeaderHint | None) -> int:
    """Which of the first rows with text is the header (an index into `candidates`).

    The first that names every required column; else the one naming the most template columns;
    else the first row, which then fails to bind with a message naming the missing columns.
    """
    if hint is None:
        return 0
    best, best_score = 0, (0, 0)
    for index, cells in enumerate(candidates):
        if hint.names_every_required(cells):
            return index
        score = hint.score(cells)
        if score > best_score:
            best, best_score = index, score
    return best


def header_found_warning(row_number: int) -> str:
    """The warning for a header row that is not the first row with text."""
    return (
        f"header row found on row {row_number}: the rows above it were taken as titles and "
        "not imported"
    )
