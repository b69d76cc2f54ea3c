"""Who calls the emulator and under what terms: Nmbrs' facts, read from Nmbrs' documents.

The emulator is a different program that happens to live in the client's package, so it keeps
its own small definitions rather than the client's `bulkimport.config`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final, Protocol

# Nmbrs' published limit per account (API.md): beyond it calls are delayed, not refused.
NMBRS_CALLS_PER_SECOND: Final = 150


class Country(StrEnum):
    """A company's country decides which identity number its employees must have."""

    NL = "NL"
    SE = "SE"


class Account(Protocol):
    """The AuthHeaderWithDomain values an account signs in with."""

    @property
    def username(self) -> str: ...

    @property
    def token(self) -> str: ...

    @property
    def domain(self) -> str: ...
