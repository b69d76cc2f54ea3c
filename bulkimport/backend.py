"""The seam between the core and an Nmbrs API: the neutral types both sides share. No I/O.

The core (pipeline, retry, pre-flight, reconciliation decisions) and mapping speak only these;
each API package (`bulkimport.nmbrs.soap`, later `bulkimport.nmbrs.rest`) implements them.
The import-linter contracts in pyproject.toml keep the core from importing a backend.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Final, Protocol

from bulkimport.model import NmbrsId, RowPlan
from bulkimport.reconcile import EmployeeEntry, RecordCheck

if TYPE_CHECKING:  # guards imports mapping, which imports this module
    from bulkimport.guards import CompanyPeriod, Dating

__all__ = [
    "ADDRESS_TYPE",
    "BANK_ACCOUNT_TYPE",
    "GENDER",
    "SALARY_TYPE",
    "Backend",
    "BackendOperation",
    "ComplexType",
    "Effect",
    "EmployeeLister",
    "EnumType",
    "Field",
    "FieldType",
    "OperationLookup",
    "OperationShape",
    "ReadFunction",
    "SchemaViolation",
    "StepRead",
    "Transport",
    "TransportStats",
    "Xsd",
    "check_simple",
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


# --- request shapes: what a backend declares of an operation's fields; mapping and templates
# check and fill against these, never against a backend's own tables ----------------------


class Xsd(StrEnum):
    """The simple value types of a request field (named as in XML Schema, which SOAP uses)."""

    STRING = "string"
    INT = "int"
    DECIMAL = "decimal"
    BOOLEAN = "boolean"
    DATETIME = "dateTime"
    DATE = "date"  # a day without a time (REST's `format: date`)
    UUID = "uuid"  # an opaque id as text (REST's `format: uuid`); SOAP ids are xs:int


@dataclass(frozen=True, slots=True)
class EnumType:
    """An xs:string restriction; values are case-sensitive on the wire."""

    name: str
    values: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ComplexType:
    """An xs:sequence: children must appear in this order."""

    name: str
    fields: tuple[Field, ...]

    def field(self, name: str) -> Field:
        for candidate in self.fields:
            if candidate.name == name:
                return candidate
        raise KeyError(name)


FieldType = Xsd | EnumType | ComplexType


@dataclass(frozen=True, slots=True)
class Field:
    """One element of a sequence, with its cardinality as the WSDL states it."""

    name: str
    type: FieldType
    min_occurs: int = 1
    max_occurs: int | None = 1  # None means unbounded
    nillable: bool = False

    @property
    def repeated(self) -> bool:
        return self.max_occurs is None or self.max_occurs > 1

    @property
    def required(self) -> bool:
        """A value must be given: the element is mandatory and cannot be sent as nil."""
        return self.min_occurs >= 1 and not self.nillable


# The enumerations mapping coerces cells to: Nmbrs' values [wsdl2020]; a backend whose wire
# values differ translates them.
GENDER = EnumType("Gender", ("undefined", "male", "female"))
ADDRESS_TYPE = EnumType(
    "AddressType",
    ("HomeAddress", "PostAddress", "AbsenceAddress", "HolidaysAddress", "WeekendAddress"),
)
BANK_ACCOUNT_TYPE = EnumType(
    "BankAccountType",
    (
        "None", "Bankrekening1", "Spaarloon", "Bankrekening2", "Bankrekening3",
        "Bankrekening4", "Bankrekening5", "Standaard", "Levensloop",
    ),
)  # fmt: skip
SALARY_TYPE = EnumType(
    "SalaryType",
    (
        "None", "Bruto_Salaris_Fulltime", "Bruto_Salaris_Partime", "Bruto_Uurloon",
        "Netto_Salaris_Partime_incl_looncomp", "Netto_Salaris_Partime_excl_looncomp",
        "Netto_Uurloon_excl_looncomp", "Werkgerverslasten", "Netto_Uurloon_incl_looncomp",
    ),
)  # fmt: skip


_UUID: Final = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
_INT32_MIN: Final = -(2**31)
_INT32_MAX: Final = 2**31 - 1


def check_simple(type_: Xsd | EnumType, value: Any, path: str) -> None:
    """Refuse a Python value the simple type cannot hold (SchemaViolation naming `path`).

    Python values per type: string -> str, int -> int (32 bits), decimal -> Decimal or int,
    boolean -> bool, dateTime and date -> date or datetime, uuid -> its text, enumeration ->
    one of its values.
    """
    if isinstance(type_, EnumType):
        if value not in type_.values:
            raise SchemaViolation(path, f"{value!r} is not a valid {type_.name}")
    elif type_ is Xsd.STRING:
        if not isinstance(value, str):
            raise SchemaViolation(path, f"expected text, got {type(value).__name__}")
    elif type_ is Xsd.BOOLEAN:
        if not isinstance(value, bool):
            raise SchemaViolation(path, f"expected a boolean, got {value!r}")
    elif type_ is Xsd.INT:
        if isinstance(value, bool) or not isinstance(value, int):
            raise SchemaViolation(path, f"expected a whole number, got {value!r}")
        if not _INT32_MIN <= value <= _INT32_MAX:
            raise SchemaViolation(path, f"{value} does not fit xs:int")
    elif type_ is Xsd.DECIMAL:
        if isinstance(value, bool) or not isinstance(value, Decimal | int):
            raise SchemaViolation(path, f"expected a decimal, got {value!r}")
        if not Decimal(value).is_finite():
            raise SchemaViolation(path, f"{value!r} is not a finite decimal")
    elif type_ is Xsd.DATETIME or type_ is Xsd.DATE:
        if not isinstance(value, date):  # a datetime is a date too
            raise SchemaViolation(path, f"expected a date, got {value!r}")
    elif type_ is Xsd.UUID:
        if not isinstance(value, str) or not _UUID.fullmatch(value):
            raise SchemaViolation(path, f"expected a UUID, got {value!r}")
    else:  # pragma: no cover - exhaustive above
        raise AssertionError(f"unhandled type {type_!r}")


class OperationShape(BackendOperation, Protocol):
    """An operation as a template sees it: the fields its request takes and what it returns."""

    @property
    def request(self) -> tuple[Field, ...]: ...

    @property
    def result(self) -> Field | None: ...


OperationLookup = Callable[[str], OperationShape]
"""A backend's operations by the name a template step gives; KeyError for an unknown name."""


@dataclass(frozen=True, slots=True)
class TransportStats:
    """Attempts sent, how many replies showed the service's throttle delay, and refusals.

    A service that refuses the excess instead of delaying it (`refused`) has its limit found
    by the limiter (`found_rate`, None before any refusal); `limit_published` is False when
    the configured rate was only a first guess.
    """

    calls: int = 0
    throttled: int = 0
    refused: int = 0
    found_rate: float | None = None
    limit_published: bool = True


class Transport(Protocol):
    """One attempt of one call; returns the decoded result value (None for void calls)."""

    async def call(self, operation: BackendOperation, values: Mapping[str, Any]) -> Any: ...

    @property
    def stats(self) -> TransportStats: ...


ReadFunction = Callable[[BackendOperation, Mapping[str, Any]], Awaitable[Any]]
"""How the core hands a backend its reads: retried, counted, through the run's transport."""


@dataclass(frozen=True, slots=True)
class StepRead:
    """One step of a row whose before values a plan needs: the record `operation` (the name a
    template step gives) would write for `employee_id`, with the call's `values` (placeholders
    resolved) that tell which record (a salary's Start, an address's Type)."""

    operation: str
    employee_id: NmbrsId
    values: Mapping[str, Any]


class EmployeeLister(Protocol):
    """Lists a company's employees; one per directory, so what it learns is cached per run."""

    async def list_employees(
        self, read: ReadFunction, company_id: NmbrsId
    ) -> tuple[EmployeeEntry, ...]: ...


class Backend(Protocol):
    """One Nmbrs API as the core sees it: operations by key, and the reads the core needs.

    The reads are built on the core's `read`, so retries, counting and the rate cap stay in
    the core while what to ask and how to read the answer stay with the API.
    """

    @property
    def template_section(self) -> str:
        """Where a template lists its calls for this API ("operations", "rest_operations")."""
        ...

    def operation(self, service: str, name: str) -> BackendOperation:
        """The operation a template's call names; KeyError when the API has none such."""
        ...

    def template_operation(self, name: str) -> OperationShape:
        """The operation a template step names (templates load against it); KeyError if none."""
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

    def inserted_employee(self, values: Mapping[str, Any]) -> Mapping[str, Any]:
        """The names an employee insert sends, keyed as reconciliation reads them (FirstName,
        LastName)."""
        ...

    def planned_employee(self, plan: RowPlan) -> Mapping[str, Any]:
        """The personal record the row writes: it tells the row's own employee after a crash."""
        ...

    async def list_companies(self, read: ReadFunction) -> Mapping[NmbrsId, str]:
        """The companies the account reaches: id -> name."""
        ...

    async def company_country_code(self, read: ReadFunction, company_id: NmbrsId) -> str | None:
        """The ISO country code of the company's address, if it has one."""
        ...

    async def current_period(self, read: ReadFunction, company_id: NmbrsId) -> CompanyPeriod:
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

    async def personal_info(self, read: ReadFunction, employee_id: NmbrsId) -> Any:
        """An employee's current personal info (confirms a reconciliation candidate)."""
        ...

    async def current_values(
        self, read: ReadFunction, company_id: NmbrsId, steps: Sequence[StepRead]
    ) -> list[Mapping[str, Any] | None]:
        """What each step would overwrite, by the call's dotted field path ("Salary.Value"),
        in `steps` order: the plan's before values. Every field of the record the step writes
        is there, None where it is empty. `{}`: there is no such record yet (no salary on that
        date). None: not known (an insert that adds a record none of whose kind exists yet,
        or a step the API gives no read for).

        Reads as few as the API allows: a company-wide list serves all of a company's
        employees where the API has one.
        """
        ...
