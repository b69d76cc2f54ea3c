"""The whole exception tree, sorted by what a run does with each error.

    BulkImportError
    ├── FatalError                 stop the run, exit 2: nothing else can succeed
    │   ├── InputFileError         the file cannot be read at all (names file, and row where known)
    │   ├── TemplateError          a template refers to an unknown operation, field or column
    │   ├── AuthenticationError    Nmbrs faults 1000-1004, 2042-2044: every call would fail
    │   ├── JournalMismatchError   the journal belongs to another input file or template
    │   ├── ConfigError            settings that cannot work (insecure endpoint, no credentials)
    │   ├── SignInError            the REST sign-in failed (refused, state mismatch, timed out)
    │   │   └── LoginExpired       no stored REST login, or it can no longer refresh: log in again
    │   └── QuotaExceeded          the subscription's call volume is used up (REST 429, 42909)
    ├── RowError                   record the row in the report, go on with the next one
    │   ├── RowInvalid             cells failed coercion or validation (all problems together)
    │   ├── RowFault               Nmbrs answered with a business fault (2xxx) for one call
    │   ├── RowUnresolved          the row names an employee number the company does not have
    │   └── NeedsReview            a lost insert could not be settled: a person must decide
    └── TransportError             one call did not get a usable answer
        ├── RetryableError         timeout, connection error, HTTP 5xx without fault, fault 1006
        │   ├── OutcomeUnknown     the request may have reached Nmbrs: reconcile before resending
        │   └── SlowDown           refused for the rate before handling (REST 429 42908, HTTP
        │                          429, 503 with Retry-After): wait, and the limiter slows down
        └── ProtocolError          the reply is not SOAP we can read (hostile or broken)

Foreign exceptions (aiohttp, lxml, openpyxl, sqlite3) are translated where they are raised.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class BulkImportError(Exception):
    """Root of every error bulkimport raises on purpose."""


class FatalError(BulkImportError):
    """The run cannot go on; the CLI exits with code 2."""


class InputFileError(FatalError):
    """The input file as a whole cannot be read."""

    def __init__(self, path: str, reason: str, *, row_number: int | None = None) -> None:
        where = f"{path}, row {row_number}" if row_number is not None else path
        super().__init__(f"{where}: {reason}")
        self.path = path
        self.reason = reason
        self.row_number = row_number


class TemplateError(FatalError):
    """A template file is not usable."""


class ConfigError(FatalError):
    """Settings that cannot work together."""


class SignInError(FatalError):
    """The REST sign-in (OAuth authorization code flow) did not produce a usable login."""


class LoginExpired(SignInError):
    """No stored login for the profile, or its refresh token was refused (used, revoked, old)."""

    def __init__(self, profile: str, reason: str) -> None:
        option = "" if profile == "default" else f" --profile {profile}"
        super().__init__(f"REST login {profile!r}: {reason}; run `bulkimport login{option}`")
        self.profile = profile
        self.reason = reason


class QuotaExceeded(FatalError):
    """Nmbrs refused a call because the subscription's call volume quota is used up.

    Retrying cannot help until the quota renews; the journal lets the run resume then.
    """

    def __init__(self, detail: str) -> None:
        super().__init__(f"Nmbrs: out of call volume quota (HTTP 429, code 42909): {detail}")
        self.detail = detail


class JournalMismatchError(FatalError):
    """A journal was given that belongs to a different input or template."""


class AuthenticationError(FatalError):
    """Nmbrs refused the credentials or their rights; every row would fail the same way."""

    def __init__(self, fault_code: int, message: str) -> None:
        super().__init__(f"Nmbrs refused the credentials ({fault_code}: {message})")
        self.fault_code = fault_code
        self.fault_message = message


class RowError(BulkImportError):
    """One row failed; the run records it and goes on."""


@dataclass(frozen=True, slots=True)
class CellProblem:
    """One cell that could not be used, with enough context for a person to fix it."""

    row_number: int
    column: str
    value: str
    reason: str

    def __str__(self) -> str:
        return f"row {self.row_number}, column {self.column!r}, value {self.value!r}: {self.reason}"


class RowInvalid(RowError):
    """All problems of one row, reported together."""

    def __init__(self, problems: Sequence[CellProblem]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = tuple(problems)


class RowFault(RowError):
    """Nmbrs answered one of the row's calls with a SOAP fault that is about this row's data."""

    def __init__(self, operation: str, fault_code: int | None, message: str) -> None:
        code = f"{fault_code}: " if fault_code is not None else ""
        super().__init__(f"{operation} failed: {code}{message}")
        self.operation = operation
        self.fault_code = fault_code
        self.fault_message = message


class RowUnresolved(RowError):
    """The row refers to an employee the company does not have."""


class NeedsReview(RowError):
    """A lost insert could not be settled automatically; a person must look at the candidates.

    The row is reported as `needs_review` with the candidate ids, and never resent by itself.
    """

    def __init__(
        self, candidates: tuple[int | str, ...], reason: str, *, operation: str = ""
    ) -> None:
        listed = ", ".join(str(c) for c in candidates) or "none"
        where = f"{operation}: " if operation else ""
        super().__init__(f"{where}outcome unknown ({reason}); candidates: {listed}")
        self.operation = operation
        self.candidates = candidates
        self.reason = reason


class TransportError(BulkImportError):
    """A call did not produce a usable answer."""


class RetryableError(TransportError):
    """Sending the same call again may succeed."""


class OutcomeUnknown(RetryableError):
    """The request may have been applied although no answer came back."""


class SlowDown(RetryableError):
    """The service refused the call before handling it because of the call rate.

    `retry_after` is the wait in seconds the service asked for (its `Retry-After`), if any.
    """

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ProtocolError(TransportError):
    """The reply cannot be read as a SOAP message (malformed, hostile or unexpected)."""
