"""What every reader offers (RowSource) and the cell checks they share. Pure."""

from __future__ import annotations

from collections.abc import Iterator
from types import TracebackType
from typing import Final, Protocol, Self

from bulkimport.errors import CellProblem
from bulkimport.model import SourceInfo, SourceRow

# Excel's own limit for one cell; anything longer cannot have come from a spreadsheet.
MAX_CELL_CHARS: Final = 32_767
PREVIEW_CHARS: Final = 60
_CONTROL_PICTURES: Final = {code: 0x2400 + code for code in range(32)} | {127: 0x2421}


class RowSource(Protocol):
    """An opened input file: its header facts, what it warned about, and its rows as a stream.

    `rows()` reads the file once, lazily; whole-file problems raise InputFileError, problems
    of one row travel in `SourceRow.problems` so that the rows around it still arrive.
    """

    info: SourceInfo
    warnings: list[str]

    def rows(self) -> Iterator[SourceRow]: ...

    def close(self) -> None: ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...


class ClosingSource:
    """`with source:` closes it; the readers inherit this rather than repeat the protocol."""

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def preview(text: str) -> str:
    """A short printable excerpt for a message: never the whole of a 10 MB cell."""
    if len(text) > PREVIEW_CHARS:
        text = text[: PREVIEW_CHARS - 1] + "…"
    return text.translate(_CONTROL_PICTURES)


def text_cell_problem(row_number: int, column: str, text: str) -> CellProblem | None:
    """The problem with one text cell, if any: a NUL byte or more than Excel's cell limit."""
    if len(text) > MAX_CELL_CHARS:
        return CellProblem(
            row_number,
            column,
            preview(text),
            f"the cell holds {len(text):,} characters; a cell can hold at most {MAX_CELL_CHARS:,}",
        )
    if "\x00" in text:
        return CellProblem(
            row_number,
            column,
            preview(text),
            "the cell contains a NUL character (binary data); retype the value",
        )
    return None
