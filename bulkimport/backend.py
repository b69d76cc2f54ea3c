"""The seam between the core and an Nmbrs API: the neutral types both sides share. No I/O.

The core (pipeline, retry, pre-flight, reconciliation decisions) and mapping speak only these;
each API package (`bulkimport.nmbrs.soap`, later `bulkimport.nmbrs.rest`) implements them.
The import-linter contracts in pyproject.toml keep the core from importing a backend.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

__all__ = ["BackendOperation", "Effect", "SchemaViolation", "Transport", "TransportStats"]


class Effect(StrEnum):
    """What a call does to Nmbrs; decides how a lost reply is handled."""

    READ = "read"  # safe to repeat
    UPDATE = "update"  # writes a record for a period; repeating writes the same again
    INSERT = "insert"  # creates a record; repeating creates a second one


class SchemaViolation(ValueError):
    """A value or element does not match the backend's schema; `path` names the element."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class BackendOperation(Protocol):
    """What the core knows of one operation: the backend resolves the rest from the key."""

    @property
    def service(self) -> str: ...

    @property
    def name(self) -> str: ...

    @property
    def effect(self) -> Effect: ...


@dataclass(frozen=True, slots=True)
class TransportStats:
    """Attempts sent, and how many replies showed the service's throttle delay."""

    calls: int = 0
    throttled: int = 0


class Transport(Protocol):
    """One attempt of one call; returns the decoded result value (None for void calls)."""

    async def call(self, operation: BackendOperation, values: Mapping[str, Any]) -> Any: ...

    @property
    def stats(self) -> TransportStats: ...
