"""Durable run state in one SQLite file: what each row's calls did, so a run can resume.

I/O module (stdlib sqlite3, WAL). `mark_sent` commits before it returns, so a request that may
have gone out is on disk even if the process is killed the next moment. Every other write is
batched: committed once 50 ms have passed since the last commit, after 500 writes, or by the
next `mark_sent`. A write lost to a kill therefore leaves a step `sent`, never falsely `done`:
resume reconciles it.

WAL with synchronous=NORMAL survives a killed process; a power cut may lose the last commits.
The file is locked for the whole run (exclusive locking mode), so two runs cannot share it.
The token is never stored: options keep the username and domain only.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, fields, is_dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum, StrEnum
from pathlib import Path
from types import TracebackType
from typing import Any, Final, Self

from bulkimport.config import Credentials
from bulkimport.errors import JournalMismatchError
from bulkimport.model import NmbrsId, RowResult, RowStatus

SCHEMA_VERSION: Final = 3
COMMIT_INTERVAL_S: Final = 0.05
COMMIT_EVERY_WRITES: Final = 500
_RESULT_PAGE: Final = 1000
_LOCK_WAIT_S: Final = 0.5  # another run holds the journal: say so rather than wait
# The operations that create an employee, per API (SOAP, REST): their results are employee ids.
EMPLOYEE_INSERTS: Final = ("Employee_Insert", "createEmployee")
# Option keys whose values are never written, wherever they sit in the options.
_SECRET_KEY_PARTS: Final = ("token", "password", "secret")

_SCHEMA: Final = (
    """CREATE TABLE IF NOT EXISTS run (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        schema_version INTEGER NOT NULL,
        run_id TEXT NOT NULL,
        created_at TEXT NOT NULL,
        input_name TEXT NOT NULL,
        input_sha256 TEXT NOT NULL,
        input_size INTEGER,
        template TEXT NOT NULL,
        template_sha256 TEXT NOT NULL,
        target TEXT NOT NULL,
        options TEXT NOT NULL
    )""",
    # A company listed here has a baseline, even an empty one (a company with no employees yet).
    # Ids are SOAP's ints or REST's UUID text: an INTEGER column keeps text that is no number,
    # but an INTEGER PRIMARY KEY (the rowid) refuses it, so this key has no declared type.
    "CREATE TABLE IF NOT EXISTS baseline_company (company_id NOT NULL PRIMARY KEY)",
    """CREATE TABLE IF NOT EXISTS baseline (
        company_id INTEGER NOT NULL,
        employee_id INTEGER NOT NULL,
        PRIMARY KEY (company_id, employee_id)
    ) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS step (
        row_number INTEGER NOT NULL,
        step TEXT NOT NULL,
        operation TEXT NOT NULL,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        result_id INTEGER,
        reason TEXT NOT NULL DEFAULT '',
        fault_code INTEGER,
        match_key TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (row_number, step)
    ) WITHOUT ROWID""",
    # Reconciliation asks which other rows sent an insert for the same key and never saw it done.
    """CREATE INDEX IF NOT EXISTS step_unsettled ON step (operation, match_key)
        WHERE status != 'done'""",
    # Reconciliation asks for these ids; the partial index keeps that cheap on big runs.
    """CREATE INDEX IF NOT EXISTS step_employee_insert_done ON step (result_id)
        WHERE operation IN ('Employee_Insert', 'createEmployee') AND status = 'done'""",
    """CREATE TABLE IF NOT EXISTS result (
        row_number INTEGER PRIMARY KEY,
        status TEXT NOT NULL,
        created TEXT NOT NULL,
        failed_operation TEXT NOT NULL,
        fault_code INTEGER,
        message TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        duration REAL NOT NULL,
        details TEXT NOT NULL
    )""",
)


class StepStatus(StrEnum):
    """Where one call of one row stands; a step with no record at all was never planned."""

    PENDING = "pending"  # planned, not sent yet
    SENT = "sent"  # the request may have gone out: reconcile before sending again
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class StepState:
    """What the journal knows of one step of one row, as resume needs it."""

    status: StepStatus
    result_id: NmbrsId | None = None
    attempts: int = 0  # how many times the request was sent (mark_sent calls)
    operation: str = ""
    reason: str = ""
    fault_code: int | None = None


@dataclass(frozen=True, slots=True)
class FileDigest:
    """Identifies an input file, so a journal is never resumed against a changed one."""

    sha256: str
    size: int


def digest_file(path: Path, *, chunk_size: int = 1 << 20) -> FileDigest:
    """Hash a file in chunks (an input file can be large)."""
    sha = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(chunk_size):
            sha.update(chunk)
            size += len(chunk)
    return FileDigest(sha.hexdigest(), size)


def _is_secret(key: str) -> bool:
    return any(part in key.lower() for part in _SECRET_KEY_PARTS)


def _plain_options(value: object) -> Any:
    """Options as JSON values, with every secret left out (credentials keep username and domain)."""
    if isinstance(value, Credentials):
        return {"username": value.username, "domain": value.domain}
    if isinstance(value, Mapping):
        return {str(k): _plain_options(v) for k, v in value.items() if not _is_secret(str(k))}
    if is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: _plain_options(getattr(value, f.name))
            for f in fields(value)
            if not _is_secret(f.name)
        }
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain_options(item) for item in value]
    return str(value)  # paths, dates, decimals: kept readable


# RowResult.details is free-form; these tags let tuples, dates and decimals come back as such.
def _encode_detail(value: object) -> Any:
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    if isinstance(value, list):
        return [_encode_detail(item) for item in value]
    if isinstance(value, tuple):
        return {"$tuple": [_encode_detail(item) for item in value]}
    if isinstance(value, Mapping):
        return {"$map": [[_encode_detail(k), _encode_detail(v)] for k, v in value.items()]}
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    return str(value)  # anything else is kept as text rather than failing the run


def _decode_detail(value: Any) -> Any:
    if isinstance(value, list):
        return [_decode_detail(item) for item in value]
    if not isinstance(value, dict):
        return value
    ((tag, inner),) = value.items()
    if tag == "$tuple":
        return tuple(_decode_detail(item) for item in inner)
    if tag == "$map":
        return {_decode_detail(k): _decode_detail(v) for k, v in inner}
    if tag == "$datetime":
        return datetime.fromisoformat(inner)
    if tag == "$date":
        return date.fromisoformat(inner)
    return Decimal(inner)


def _row_result(row: sqlite3.Row | tuple[Any, ...]) -> RowResult:
    number, status, created, failed_operation, fault_code, message, attempts, duration, details = (
        row
    )
    return RowResult(
        row_number=number,
        status=RowStatus(status),
        created=tuple((step, new_id) for step, new_id in json.loads(created)),
        failed_operation=failed_operation,
        fault_code=fault_code,
        message=message,
        attempts=attempts,
        duration=duration,
        details=_decode_detail(json.loads(details)),
    )


@dataclass(frozen=True, slots=True)
class RunTarget:
    """Where a run's calls land. A journal is resumed only against the very same target.

    Payroll changes cannot be taken back: resuming a sandbox run against production, or one
    company's run against another, would report rows as done that the new target never got.
    """

    api: str  # "soap" today; the REST API is another target even on the same host
    endpoint: str  # the base URL the calls go to
    environment: str | None  # nl, se or sandbox when given: it also decides the country rules
    domain: str
    company_id: NmbrsId

    @property
    def key(self) -> str:
        """Short and stable, for file names: the company id, then a hash of the whole target."""
        identity = json.dumps(_plain_options(self), sort_keys=True).encode()
        return f"{self.company_id}-{hashlib.sha256(identity).hexdigest()[:8]}"

    def describe(self) -> str:
        environment = f" (environment {self.environment})" if self.environment else ""
        return (
            f"{self.api} {self.endpoint}{environment}, domain {self.domain or '(none)'},"
            f" company {self.company_id}"
        )


@dataclass(frozen=True, slots=True)
class RunInfo:
    """What a journal says about its run; `bulkimport resume JOURNAL` starts from this.

    The run's identity is its input (name and content), its template and its target.
    """

    run_id: str
    created_at: datetime
    input_name: str  # the file name with its suffix: x.csv and x.xlsx are different inputs
    input_sha256: str
    input_size: int | None
    template: str
    template_sha256: str
    target: RunTarget
    options: Mapping[str, Any]  # as given when the run started, secrets left out


_RUN_COLUMNS: Final = (
    "run_id, created_at, input_name, input_sha256, input_size, template, template_sha256,"
    " target, options, schema_version"
)


def read_run_info(path: Path) -> RunInfo:
    """Read which input, template and options a journal belongs to, without resuming it.

    Raises:
        JournalMismatchError: there is no journal at `path`, it is not a bulkimport journal,
            or another run holds it.
    """
    if not path.is_file():
        raise JournalMismatchError(f"there is no journal at {path}")
    # mode=rw: never create a file while only looking.
    db = sqlite3.connect(
        path.resolve().as_uri() + "?mode=rw", uri=True, isolation_level=None, timeout=_LOCK_WAIT_S
    )
    try:
        with _sqlite_errors(path):
            _lock(db, path)
            info = _stored_run(db, path)
            db.execute("ROLLBACK")
    finally:
        db.close()
    if info is None:
        raise JournalMismatchError(f"{path} is not a bulkimport journal (it names no run)")
    return info


class Journal:
    """The state of one run; open with `Journal.open`, close (or use `with`) when done."""

    def __init__(
        self,
        connection: sqlite3.Connection,
        info: RunInfo,
        *,
        resumed: bool,
        clock: Callable[[], float],
    ) -> None:
        self._db = connection
        self.info = info
        self.run_id = info.run_id
        self.resumed = resumed
        self._clock = clock
        self._last_commit = clock()
        self._batched_writes = 0
        self._closed = False

    @property
    def options(self) -> Mapping[str, Any]:
        """The options stored when the run started (a resume keeps them), secrets left out."""
        return self.info.options

    @classmethod
    def open(
        cls,
        path: Path,
        *,
        input_name: str,
        input_sha256: str,
        template: str,
        template_sha256: str,
        target: RunTarget,
        options: Mapping[str, object],
        input_size: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> Self:
        """Create the journal, or reopen it to resume the run it belongs to.

        Raises:
            JournalMismatchError: the file belongs to another input file, template or target,
                is not a bulkimport journal, or is in use by another running import.
        """
        # isolation_level=None: this class begins and commits its own transactions.
        db = sqlite3.connect(path, isolation_level=None, timeout=_LOCK_WAIT_S)
        try:
            with _sqlite_errors(path):
                _lock(db, path)
                for statement in _SCHEMA:
                    db.execute(statement)
                stored = _stored_run(db, path)
                given = RunInfo(
                    run_id=str(uuid.uuid4()),
                    created_at=datetime.now(UTC),
                    input_name=input_name,
                    input_sha256=input_sha256,
                    input_size=input_size,
                    template=template,
                    template_sha256=template_sha256,
                    target=target,
                    options=_plain_options(options),
                )
                if stored is not None:
                    _refuse_mismatch(path, stored=stored, given=given)
                    db.execute("COMMIT")
                    return cls(db, stored, resumed=True, clock=clock)
                db.execute(
                    f"INSERT INTO run (id, {_RUN_COLUMNS})"  # noqa: S608 - constant
                    " VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        given.run_id,
                        given.created_at.isoformat(),
                        given.input_name,
                        given.input_sha256,
                        given.input_size,
                        given.template,
                        given.template_sha256,
                        json.dumps(_plain_options(given.target), sort_keys=True),
                        json.dumps(given.options, sort_keys=True),
                        SCHEMA_VERSION,
                    ),
                )
                db.execute("COMMIT")
                return cls(db, given, resumed=False, clock=clock)
        except BaseException:
            db.close()
            raise

    # -- the company baseline: who existed before this run created anyone -----------------------

    def record_baseline(self, company_id: NmbrsId, employee_ids: Iterable[NmbrsId]) -> None:
        """Store the company's employee ids as they were when the run started; durable at once.

        The first baseline of a run stands: a resumed run must compare with the company as it
        was before the run began, not before the resume, so a second call is ignored.
        """
        self._begin()
        added = self._db.execute(
            "INSERT OR IGNORE INTO baseline_company VALUES (?)", (company_id,)
        ).rowcount
        if added:
            self._db.executemany(
                "INSERT OR IGNORE INTO baseline VALUES (?, ?)",
                ((company_id, employee_id) for employee_id in employee_ids),
            )
        self._commit()

    def baseline(self, company_id: NmbrsId) -> frozenset[NmbrsId] | None:
        """The ids recorded for the company, or None when no baseline was recorded."""
        known = self._db.execute(
            "SELECT 1 FROM baseline_company WHERE company_id = ?", (company_id,)
        ).fetchone()
        if known is None:
            return None
        return frozenset(
            employee_id
            for (employee_id,) in self._db.execute(
                "SELECT employee_id FROM baseline WHERE company_id = ?", (company_id,)
            )
        )

    # -- steps: one SOAP call of one row ----------------------------------------------------------

    def record_plan(self, row_number: int, steps: Iterable[tuple[str, str]]) -> None:
        """Record a row's (step, operation) pairs as pending; states already known are kept."""
        self._batched(
            "INSERT OR IGNORE INTO step (row_number, step, operation, status, attempts)"
            " VALUES (?, ?, ?, 'pending', 0)",
            [(row_number, step, operation) for step, operation in steps],
            many=True,
        )

    def mark_sent(self, row_number: int, step: str, operation: str, match_key: str = "") -> None:
        """Record that the request is about to go out; committed (with all batched writes).

        `match_key` is what reconciliation recognises the insert's effect by (for
        Employee_Insert the display name), so that rows sharing it can be told apart.
        """
        self._begin()
        self._db.execute(
            "INSERT INTO step (row_number, step, operation, status, attempts, match_key)"
            " VALUES (?, ?, ?, 'sent', 1, ?)"
            " ON CONFLICT (row_number, step) DO UPDATE SET operation = excluded.operation,"
            " status = 'sent', attempts = attempts + 1, result_id = NULL, reason = '',"
            " fault_code = NULL, match_key = excluded.match_key",
            (row_number, step, operation, match_key),
        )
        self._commit()

    def unsettled_rows(self, operation: str, match_key: str) -> set[int]:
        """Rows that sent `operation` with this key and never saw it done: it may have applied.

        A step that failed with a business fault was refused by Nmbrs and is not counted.
        """
        return {
            row_number
            for (row_number,) in self._db.execute(
                "SELECT row_number FROM step WHERE operation = ? AND match_key = ?"
                " AND status != 'done' AND fault_code IS NULL",
                (operation, match_key),
            )
        }

    def mark_done(self, row_number: int, step: str, result_id: NmbrsId | None) -> None:
        """The call succeeded (or reconciliation found its effect); result_id is the new id."""
        self._batched(
            "INSERT INTO step (row_number, step, operation, status, attempts, result_id)"
            " VALUES (?, ?, '', 'done', 0, ?)"
            " ON CONFLICT (row_number, step) DO UPDATE SET status = 'done',"
            " result_id = excluded.result_id, reason = '', fault_code = NULL",
            (row_number, step, result_id),
        )

    def mark_failed(
        self, row_number: int, step: str, reason: str, fault_code: int | None = None
    ) -> None:
        """The call failed for good (a business fault, retries exhausted); reason is for people."""
        self._batched(
            "INSERT INTO step (row_number, step, operation, status, attempts, reason, fault_code)"
            " VALUES (?, ?, '', 'failed', 0, ?, ?)"
            " ON CONFLICT (row_number, step) DO UPDATE SET status = 'failed',"
            " reason = excluded.reason, fault_code = excluded.fault_code",
            (row_number, step, reason, fault_code),
        )

    def step_states(self, row_number: int) -> dict[str, StepState]:
        """Every step recorded for the row; a step not listed was never planned or sent."""
        rows = self._db.execute(
            "SELECT step, status, result_id, attempts, operation, reason, fault_code"
            " FROM step WHERE row_number = ?",
            (row_number,),
        )
        return {
            step: StepState(StepStatus(status), result_id, attempts, operation, reason, fault_code)
            for step, status, result_id, attempts, operation, reason, fault_code in rows
        }

    def claimed_employee_ids(self) -> set[NmbrsId]:
        """Employee ids that some row's Employee_Insert is done with (never adopt these twice)."""
        return {
            employee_id
            for (employee_id,) in self._db.execute(
                "SELECT result_id FROM step WHERE operation IN ('Employee_Insert', 'createEmployee')"  # noqa: E501
                " AND status = 'done' AND result_id IS NOT NULL"
            )
        }

    # -- results: the final word on each row -------------------------------------------------------

    def record_result(self, result: RowResult) -> None:
        """Store the row's final word; a later result for the same row replaces it."""
        self._batched(
            "INSERT OR REPLACE INTO result VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                result.row_number,
                result.status.value,
                json.dumps([list(pair) for pair in result.created]),
                result.failed_operation,
                result.fault_code,
                result.message,
                result.attempts,
                result.duration,
                json.dumps(_encode_detail(result.details)),
            ),
        )

    def result_for(self, row_number: int) -> RowResult | None:
        row = self._db.execute(
            f"SELECT {_RESULT_COLUMNS} FROM result WHERE row_number = ?",  # noqa: S608 - constant
            (row_number,),
        ).fetchone()
        return None if row is None else _row_result(row)

    def iter_results(self) -> Iterator[RowResult]:
        """Every recorded result in row order, read page by page (a big run stays out of memory)."""
        after = -1
        while True:
            page = self._db.execute(
                f"SELECT {_RESULT_COLUMNS} FROM result WHERE row_number > ?"  # noqa: S608
                " ORDER BY row_number LIMIT ?",
                (after, _RESULT_PAGE),
            ).fetchall()
            yield from (_row_result(row) for row in page)
            if len(page) < _RESULT_PAGE:
                return
            after = page[-1][0]

    # -- transactions ------------------------------------------------------------------------------

    def flush(self) -> None:
        """Commit the batched writes now."""
        self._commit()

    def close(self) -> None:
        """Commit, checkpoint the WAL into the file, release the lock."""
        if self._closed:
            return
        self._commit()
        self._db.close()
        self._closed = True

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _begin(self) -> None:
        if not self._db.in_transaction:
            self._db.execute("BEGIN")

    def _commit(self) -> None:
        if self._db.in_transaction:
            self._db.execute("COMMIT")
        self._batched_writes = 0
        self._last_commit = self._clock()

    def _batched(self, sql: str, params: Any, *, many: bool = False) -> None:
        self._begin()
        if many:
            self._db.executemany(sql, params)
        else:
            self._db.execute(sql, params)
        self._batched_writes += 1
        if (
            self._batched_writes >= COMMIT_EVERY_WRITES
            or self._clock() - self._last_commit >= COMMIT_INTERVAL_S
        ):
            self._commit()


_RESULT_COLUMNS: Final = (
    "row_number, status, created, failed_operation, fault_code, message, attempts, duration,"
    " details"
)


@contextmanager
def _sqlite_errors(path: Path) -> Iterator[None]:
    """sqlite3's exceptions, as the one error a person can act on."""
    try:
        yield
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc):
            raise JournalMismatchError(
                f"journal {path} is in use by another bulkimport run; let that run finish,"
                " or give this run another --journal"
            ) from exc
        raise JournalMismatchError(
            f"journal {path} cannot be used ({exc}); give this run another --journal"
        ) from exc
    except sqlite3.DatabaseError as exc:
        raise JournalMismatchError(
            f"{path} is not a bulkimport journal ({exc}); give this run another --journal"
        ) from exc


def _lock(db: sqlite3.Connection, path: Path) -> None:
    """Take the file for this process, inside a write transaction, and check what it is."""
    # EXCLUSIVE: the lock taken by BEGIN IMMEDIATE is kept until the connection closes, so a
    # second run on the same journal is refused instead of sending the same rows twice.
    db.execute("PRAGMA locking_mode = EXCLUSIVE")
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute("BEGIN IMMEDIATE")
    tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master")}
    if tables and "run" not in tables:
        raise JournalMismatchError(
            f"{path} is not a bulkimport journal; give this run another --journal"
        )


def _stored_run(db: sqlite3.Connection, path: Path) -> RunInfo | None:
    try:
        # The version alone first: another version's run table has other columns.
        version_row = db.execute("SELECT schema_version FROM run").fetchone()
    except sqlite3.OperationalError:  # a new, empty file: no run table yet
        return None
    if version_row is None:
        return None
    (version,) = version_row
    if version != SCHEMA_VERSION:
        raise JournalMismatchError(
            f"journal {path} was written by another bulkimport version (journal format {version},"
            f" this version reads {SCHEMA_VERSION}); finish it with that version, or give this"
            " run another --journal"
        )
    row = db.execute(f"SELECT {_RUN_COLUMNS} FROM run").fetchone()  # noqa: S608 - constant
    run_id, created, name, sha, size, template, template_sha, target, options, _ = row
    return RunInfo(
        run_id,
        datetime.fromisoformat(created),
        name,
        sha,
        size,
        template,
        template_sha,
        RunTarget(**json.loads(target)),
        json.loads(options),
    )


def _refuse_mismatch(path: Path, *, stored: RunInfo, given: RunInfo) -> None:
    """Raise when a journal is reopened for anything but the run it belongs to."""
    if stored.input_name != given.input_name:
        raise JournalMismatchError(
            f"journal {path} belongs to a run of {stored.input_name}, this run reads"
            f" {given.input_name}. Resume with the original file, or give this run another"
            " --journal to start a new run"
        )
    if stored.input_sha256 != given.input_sha256:
        sizes = (
            f" ({stored.input_size} bytes, now {given.input_size} bytes)"
            if stored.input_size is not None and stored.input_size != given.input_size
            else ""
        )
        raise JournalMismatchError(
            f"journal {path} belongs to another version of the input file: it was started"
            f" for a file with sha256 {stored.input_sha256[:12]}…, this file has"
            f" {given.input_sha256[:12]}…{sizes}. Resume with the original file, or give this"
            " run another --journal to start a new run (rows already sent by the old run would"
            " be sent again)"
        )
    if stored.template != given.template or stored.template_sha256 != given.template_sha256:
        what = (
            f"template {stored.template!r}, this run uses {given.template!r}"
            if stored.template != given.template
            else f"template {stored.template!r} whose file has changed since"
        )
        raise JournalMismatchError(
            f"journal {path} was started with {what}. Resume with the original template, or"
            " give this run another --journal to start a new run"
        )
    if stored.target != given.target:
        raise JournalMismatchError(
            f"journal {path} belongs to a run against {stored.target.describe()}; this run"
            f" targets {given.target.describe()}. A run is never resumed against another"
            " target: leave out --journal (each target gets a journal of its own) or give this"
            " run another --journal to start a new run there"
        )


class MemoryJournal:
    """The journal's bookkeeping for one process only, for runs that keep no journal file.

    Reconciliation within the run works as with a file (claimed employees, unsettled names);
    nothing survives the process, so a crash cannot be resumed. A row's step states are
    dropped once its result is recorded, so memory follows the rows in flight.
    """

    resumed = False

    def __init__(self) -> None:
        self._baselines: dict[NmbrsId, frozenset[NmbrsId]] = {}
        self._steps: dict[int, dict[str, StepState]] = {}
        self._unsettled: dict[tuple[int, str], tuple[str, str]] = {}  # (row, step) -> (op, key)
        self._claimed: set[NmbrsId] = set()

    def record_baseline(self, company_id: NmbrsId, employee_ids: Iterable[NmbrsId]) -> None:
        self._baselines.setdefault(company_id, frozenset(employee_ids))

    def baseline(self, company_id: NmbrsId) -> frozenset[NmbrsId] | None:
        return self._baselines.get(company_id)

    def record_plan(self, row_number: int, steps: Iterable[tuple[str, str]]) -> None:
        """Record the row's steps as pending (their operation tells an adopted employee's)."""
        known = self._steps.setdefault(row_number, {})
        for step, operation in steps:
            known.setdefault(step, StepState(StepStatus.PENDING, None, 0, operation))

    def mark_sent(self, row_number: int, step: str, operation: str, match_key: str = "") -> None:
        steps = self._steps.setdefault(row_number, {})
        earlier = steps.get(step)
        attempts = earlier.attempts + 1 if earlier else 1
        steps[step] = StepState(StepStatus.SENT, None, attempts, operation)
        self._unsettled[(row_number, step)] = (operation, match_key)

    def unsettled_rows(self, operation: str, match_key: str) -> set[int]:
        """Rows whose insert went out and was neither done nor refused with a fault."""
        return {
            row_number
            for (row_number, _), (op, key) in self._unsettled.items()
            if op == operation and key == match_key
        }

    def mark_done(self, row_number: int, step: str, result_id: NmbrsId | None) -> None:
        steps = self._steps.setdefault(row_number, {})
        earlier = steps.get(step)
        operation = earlier.operation if earlier else ""
        steps[step] = StepState(
            StepStatus.DONE, result_id, earlier.attempts if earlier else 0, operation
        )
        self._unsettled.pop((row_number, step), None)
        if operation in EMPLOYEE_INSERTS and result_id is not None:
            self._claimed.add(result_id)

    def mark_failed(
        self, row_number: int, step: str, reason: str, fault_code: int | None = None
    ) -> None:
        if fault_code is not None:  # refused by Nmbrs: nothing was created
            self._unsettled.pop((row_number, step), None)
        steps = self._steps.setdefault(row_number, {})
        earlier = steps.get(step)
        steps[step] = StepState(
            StepStatus.FAILED,
            None,
            earlier.attempts if earlier else 0,
            earlier.operation if earlier else "",
            reason,
            fault_code,
        )

    def step_states(self, row_number: int) -> dict[str, StepState]:
        return dict(self._steps.get(row_number, {}))

    def claimed_employee_ids(self) -> set[NmbrsId]:
        return set(self._claimed)

    def record_result(self, result: RowResult) -> None:
        """The row is settled: its step states are no longer needed (unsettled keys stay)."""
        self._steps.pop(result.row_number, None)

    def result_for(self, row_number: int) -> RowResult | None:
        return None

    def flush(self) -> None:
        """Nothing to write."""


class DryRunJournal:
    """A dry run sends nothing, so it has nothing to journal: every method is a no-op."""

    resumed = False

    def record_baseline(self, company_id: NmbrsId, employee_ids: Iterable[NmbrsId]) -> None:
        """Nothing to remember."""

    def baseline(self, company_id: NmbrsId) -> frozenset[NmbrsId] | None:
        return None

    def record_plan(self, row_number: int, steps: Iterable[tuple[str, str]]) -> None:
        """Pending steps need no record here: a step with no state is pending."""

    def mark_sent(self, row_number: int, step: str, operation: str, match_key: str = "") -> None:
        """Nothing was sent."""

    def unsettled_rows(self, operation: str, match_key: str) -> set[int]:
        return set()

    def mark_done(self, row_number: int, step: str, result_id: NmbrsId | None) -> None:
        """Nothing to remember."""

    def mark_failed(
        self, row_number: int, step: str, reason: str, fault_code: int | None = None
    ) -> None:
        """Nothing to remember."""

    def step_states(self, row_number: int) -> dict[str, StepState]:
        return {}

    def claimed_employee_ids(self) -> set[NmbrsId]:
        return set()

    def record_result(self, result: RowResult) -> None:
        """Nothing to remember."""

    def result_for(self, row_number: int) -> RowResult | None:
        return None

    def flush(self) -> None:
        """Nothing to write."""
