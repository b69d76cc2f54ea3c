"""The seam between the core and an Nmbrs API: the neutral types both sides share. No I/O.

The core (pipeline, retry, pre-flight, reconciliation decisions) and mapping speak only these;
each API package (`bulkimport.nmbrs.soap`, later `bulkimport.nmbrs.rest`) implements them.
The import-linter contracts in pyproject.toml keep the core from importing a backend.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

from bulkimport.model import RowPlan
from bulkimport.reconcile import EmployeeEntry, RecordCheck

if TYPE_CHECKING:  # guards imports mapping, which imports this module
    from bulkimport.guards import CompanyPeriod, Dating

__all__ = [
    "Backend",
    "BackendOperation",
    "Effect",
    "EmployeeLister",
    "ReadFunction",
    "SchemaViolation",
    "Transport",
    "TransportStats",
]


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

    @property
    def creates_employee(self) -> bool:
        """The call that makes a new employee (a lost one is recognised by the name it gave)."""
        ...


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


ReadFunction = Callable[[BackendOperation, Mapping[str, Any]], Awaitable[Any]]
"""How the core hands a backend its reads: retried, counted, through the run's transport."""


class EmployeeLister(Protocol):
    """Lists a company's employees; one per directory, so what it learns is cached per run."""

    async def list_employees(
        self, read: ReadFunction, company_id: int
    ) -> tuple[EmployeeEntry, ...]: ...


class Backend(Protocol):
    """One Nmbrs API as the core sees it: operations by key, and the reads the core needs.

    The reads are built on the core's `read`, so retries, counting and the rate cap stay in
    the core while what to ask and how to read the answer stay with the API.
    """

    def operation(self, service: str, name: str) -> BackendOperation:
        """The operation a template's call names; KeyError when the API has none such."""
        ...

    def employee_lister(self) -> EmployeeLister: ...

    def dating(self) -> Dating:
        """Which value of a call dates its change (the past-period guard)."""
        ...

    def record_check(self, operation: BackendOperation) -> RecordCheck | None:
        """How a record this insert creates is found again; None: it cannot be."""
        ...

    def insert_match_key(self, operation: BackendOperation, values: Mapping[str, Any]) -> str:
        """What a lost employee insert is recognised by (its name); "" for other calls."""
        ...

    def planned_employee(self, plan: RowPlan) -> Mapping[str, Any]:
        """The personal record the row writes: it tells the row's own employee after a crash."""
        ...

    async def list_companies(self, read: ReadFunction) -> Mapping[int, str]:
        """The companies the account reaches: id -> name."""
        ...

    async def company_country_code(self, read: ReadFunction, company_id: int) -> str | None:
        """The ISO country code of the company's address, if it has one."""
        ...

    async def current_period(self, read: ReadFunction, company_id: int) -> CompanyPeriod:
        """The company's current payroll period; ValueError when the answer is not one."""
        ...

    async def current_record(
        self, read: ReadFunction, read_operation: str, values: Mapping[str, Any]
    ) -> Any:
        """The record a whole-record update is merged into (read by the template's name)."""
        ...

    async def listed_records(
        self,
        read: ReadFunction,
        operation: BackendOperation,
        check: RecordCheck,
        values: Mapping[str, Any],
    ) -> Any:
        """What `check` reads to find the record a lost insert of `values` may have made."""
        ...

    async def personal_info(self, read: ReadFunction, employee_id: int) -> Any:
        """An employee's current personal info (confirms a reconciliation candidate)."""
        ...
