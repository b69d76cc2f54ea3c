"""The run: rows in, calls out, one result per row, in input order. The only concurrency owner.

Rows stream from the reader through validation and mapping; valid rows are sent concurrently
while each row's calls run in order, and rows of the same employee run in file order. Results
leave in input order through a reorder window, which bounds memory whatever the file size.
Every insert is journaled as sent before it goes out, so a crash, a kill or a lost reply is
reconciled instead of resent blindly.
"""

from __future__ import annotations

import random
import time
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

import anyio
import structlog
from anyio.abc import TaskGroup

from bulkimport.config import Country, RetryPolicy
from bulkimport.directory import EmployeeDirectory
from bulkimport.errors import (
    ConfigError,
    FatalError,
    NeedsReview,
    ProtocolError,
    RetryableError,
    RowFault,
    RowInvalid,
    RowUnresolved,
)
from bulkimport.guards import RowGuard, employee_number_of
from bulkimport.journal import StepState, StepStatus
from bulkimport.mapping.mapper import ColumnBinding, MappingContext, map_row
from bulkimport.mapping.template import Template
from bulkimport.model import (
    Call,
    EmployeeRef,
    RowPlan,
    RowResult,
    RowStatus,
    SourceRow,
    StepRef,
)
from bulkimport.reconcile import (
    MAX_CANDIDATES,
    RECORD_CHECKS,
    Ambiguous,
    EmployeeEntry,
    Found,
    Reconciled,
    display_name_of,
    employee_insert_candidates,
    judge_employee_insert,
    normalise_text,
    reconcile_record_insert,
)
from bulkimport.report import RunSummary
from bulkimport.retry import call_with_retries
from bulkimport.soap.codec import SchemaViolation
from bulkimport.soap.schema import Effect, Operation, find_operation, lookup_operation
from bulkimport.transport import Transport

log = structlog.get_logger()

# Faults that are about the whole run, not the row: the company is no longer reachable.
_COMPANY_GONE_FAULT_CODES = frozenset({2004})


class Journal(Protocol):
    """What the pipeline needs of the run journal (bulkimport.journal.Journal has it)."""

    resumed: bool

    def record_baseline(self, company_id: int, employee_ids: Any) -> None: ...
    def baseline(self, company_id: int) -> frozenset[int] | None: ...
    def mark_sent(
        self, row_number: int, step: str, operation: str, match_key: str = ""
    ) -> None: ...
    def mark_done(self, row_number: int, step: str, result_id: int | None) -> None: ...
    def mark_failed(
        self, row_number: int, step: str, reason: str, fault_code: int | None
    ) -> None: ...
    def step_states(self, row_number: int) -> Mapping[str, StepState]: ...
    def record_result(self, result: RowResult) -> None: ...
    def result_for(self, row_number: int) -> RowResult | None: ...
    def claimed_employee_ids(self) -> set[int]: ...
    def record_plan(self, row_number: int, steps: Iterable[tuple[str, str]]) -> None: ...
    def unsettled_rows(self, operation: str, match_key: str) -> set[int]: ...
    def flush(self) -> None: ...


class ResultSink(Protocol):
    """Where finished rows go, in input order (report writers, failed-rows file)."""

    def write(self, row: SourceRow, result: RowResult) -> None: ...


@dataclass(frozen=True, slots=True)
class RunOptions:
    company_id: int
    country: Country
    concurrency: int = 100
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    dry_run: bool = False
    retry_failed: bool = False  # send again the rows a previous run left not ok
    seed: int | None = None


@dataclass(slots=True)
class _Job:
    sequence: int
    row: SourceRow
    plan: RowPlan | None = None
    result: RowResult | None = None


class Importer:
    """Drives one import. Create it, then `await importer.run(rows)`; `stop()` ends it early."""

    def __init__(
        self,
        *,
        template: Template,
        binding: ColumnBinding,
        transport: Transport,
        directory_transport: Transport,
        journal: Journal,
        sinks: tuple[ResultSink, ...],
        options: RunOptions,
        guard: RowGuard | None = None,
        known_employees: tuple[EmployeeEntry, ...] | None = None,
    ) -> None:
        """`guard` checks each mapped row against the target before any call of it;
        `known_employees` is the company's employee list the pre-flight already read."""
        self._template = template
        self._binding = binding
        self._transport = transport
        self._journal = journal
        self._sinks = sinks
        self._options = options
        self._context = MappingContext(company_id=options.company_id, country=options.country)
        self._rng = random.Random(options.seed)
        self._directory = EmployeeDirectory(self._read)
        self._directory_transport = directory_transport
        self._stopping = anyio.Event()
        self._window = anyio.Semaphore(max(4 * options.concurrency, 64))
        self._slots = anyio.Semaphore(options.concurrency)
        self._finished: dict[int, _Job] = {}
        self._next_to_emit = 0
        self._employee_turns: dict[str, anyio.Event] = {}
        self._counts: dict[RowStatus, int] = dict.fromkeys(RowStatus, 0)
        self._calls = 0
        self._retries = 0
        self._baseline: frozenset[int] = frozenset()
        self._fatal: FatalError | None = None
        self._name_locks: dict[str, tuple[anyio.Lock, int]] = {}
        self._guard = guard
        self._known_employees = known_employees
        if known_employees is not None:
            self._directory.remember(options.company_id, known_employees)

    def stop(self) -> None:
        """Take no new rows; calls in flight finish, the rest of the file is reported skipped."""
        self._stopping.set()

    @property
    def stopped_early(self) -> bool:
        return self._stopping.is_set()

    async def run(self, rows: Iterator[SourceRow]) -> RunSummary:
        started = time.monotonic()
        if self._template.creates_employee and not self._options.dry_run:
            await self._load_baseline()
        async with anyio.create_task_group() as group:
            try:
                await self._dispatch(rows, group)
            except FatalError as error:
                # The file broke part-way: let the rows in flight finish and be journaled.
                self._fatal = self._fatal or error
                self.stop()
        self._journal.flush()
        if self._fatal is not None:
            raise self._fatal
        duration = time.monotonic() - started
        return RunSummary(
            counts=dict(self._counts),
            calls=self._calls,
            duration_s=duration,
            throttled_calls=self._transport.stats.throttled,
            retries=self._retries,
        )

    async def _dispatch(self, rows: Iterator[SourceRow], group: TaskGroup) -> None:
        """Hand each row to a worker (or settle it at once), keeping the reorder window."""
        for sequence, row in enumerate(rows):
            await self._window.acquire()
            job = _Job(sequence, row)
            if self._stopping.is_set():
                self._finish(job, _skipped(row.row_number, "not sent: the run was stopped"))
                continue
            if row.skip_reason is not None:
                self._finish(job, _skipped(row.row_number, row.skip_reason))
                continue
            earlier = self._earlier_result(row)
            if earlier is not None:
                self._finish(job, earlier)
                continue
            try:
                job.plan = self._guarded(
                    row, map_row(self._template, self._binding, row, self._context)
                )
            except RowInvalid as invalid:
                self._finish(job, _invalid(row, invalid))
                continue
            if self._options.dry_run:
                self._finish(job, await self._execute_safely(job.plan))
            else:
                await self._slots.acquire()
                if self._stopping.is_set():  # a whole-run error came while this row waited
                    self._slots.release()
                    self._finish(job, _skipped(row.row_number, "not sent: the run was stopped"))
                    continue
                group.start_soon(self._run_job, job)

    def _guarded(self, row: SourceRow, plan: RowPlan) -> RowPlan:
        """The plan as the target allows it; RowInvalid when a call of it must not go out."""
        if self._guard is None:
            return plan
        number = (
            employee_number_of(self._binding, row, self._options.country)
            if self._template.creates_employee
            else None
        )
        return self._guard.check(plan, number, resuming=self._sent_before(row.row_number))

    def _sent_before(self, row_number: int) -> bool:
        """An earlier run of this journal sent part of the row (its employee is ours)."""
        if not self._journal.resumed:
            return False
        states = self._journal.step_states(row_number).values()
        return any(state.attempts or state.status is StepStatus.DONE for state in states)

    # --- ordering ------------------------------------------------------------------------
    def _earlier_result(self, row: SourceRow) -> RowResult | None:
        """A result a previous run of this journal already settled, unless it is to be redone."""
        if not self._journal.resumed:  # a fresh journal knows no row yet: skip the lookup
            return None
        result = self._journal.result_for(row.row_number)
        if result is None:
            return None
        if self._options.retry_failed and result.status is not RowStatus.OK:
            return None
        if result.status is RowStatus.INVALID:
            # Nothing of it was sent: check it again, now perhaps with --allow-past-periods or
            # against employees that changed since.
            return None
        return result

    async def _run_job(self, job: _Job) -> None:
        assert job.plan is not None
        key = job.plan.employee_key
        my_turn = anyio.Event()
        previous = self._employee_turns.get(key) if key else None
        if key:
            self._employee_turns[key] = my_turn
        try:
            if previous is not None:
                await previous.wait()
            result = await self._execute_safely(job.plan)
        finally:
            my_turn.set()
            if key and self._employee_turns.get(key) is my_turn:
                del self._employee_turns[key]
            self._slots.release()
        self._finish(job, result)

    def _finish(self, job: _Job, result: RowResult) -> None:
        """Park a finished row and write out every row that is now next in input order."""
        job.result = result
        self._finished[job.sequence] = job
        while self._next_to_emit in self._finished:
            ready = self._finished.pop(self._next_to_emit)
            assert ready.result is not None
            self._emit(ready.row, ready.result)
            self._next_to_emit += 1
            self._window.release()

    def _emit(self, row: SourceRow, result: RowResult) -> None:
        self._counts[result.status] += 1
        if result.status is not RowStatus.SKIPPED:
            self._journal.record_result(result)
        for sink in self._sinks:
            sink.write(row, result)
        log.info(
            "row",
            row=result.row_number,
            status=str(result.status),
            failed_operation=result.failed_operation or None,
            fault_code=result.fault_code,
            attempts=result.attempts,
            # Invalid rows: the columns only. Their message quotes the cells (for the report,
            # which is the user's own data); a log must not carry a mistyped BSN or IBAN.
            message=None if result.status is RowStatus.INVALID else result.message or None,
            invalid_columns=result.details.get("invalid_columns"),
        )

    # --- one row -------------------------------------------------------------------------
    async def _execute_safely(self, plan: RowPlan) -> RowResult:
        """Run one row; whatever goes wrong, the row gets a result and the others go on."""
        try:
            result = await self._execute(plan)
        except FatalError as error:
            # Every further call would fail the same way: stop, report, exit fatal.
            self._fatal = self._fatal or error
            self.stop()
            return RowResult(plan.row_number, RowStatus.FAILED, message=str(error))
        except Exception as error:  # a defect must cost one row, never the run
            log.exception("row crashed", row=plan.row_number)
            return RowResult(
                plan.row_number,
                RowStatus.FAILED,
                message=f"internal error, please report: {type(error).__name__}: {error}",
            )
        if self._options.dry_run and result.status is RowStatus.OK:
            return _skipped(
                plan.row_number, f"dry run: valid, {len(plan.calls)} call(s) built, none sent"
            )
        return result

    async def _execute(self, plan: RowPlan) -> RowResult:
        progress = _Progress(plan.row_number, time.monotonic(), _planned_personal_info(plan))
        states = self._journal.step_states(plan.row_number) if self._journal.resumed else {}
        if not states:
            self._journal.record_plan(plan.row_number, [(c.step, c.operation) for c in plan.calls])
        try:
            progress.employee_id = await self._row_employee(plan)
            for call in plan.calls:
                progress.call = call
                await self._run_step(progress, call, states.get(call.step))
        except RowFault as fault:
            self._journal_failure(progress, str(fault), fault.fault_code)
            self._raise_if_whole_run(fault)
            return progress.result(
                RowStatus.FAULT,
                message=fault.fault_message,
                fault_code=fault.fault_code,
                failed_operation=fault.operation,
            )
        except RowUnresolved as unknown:
            return progress.result(RowStatus.INVALID, message=str(unknown))
        except NeedsReview as review:
            return progress.result(
                RowStatus.NEEDS_REVIEW,
                message=str(review),
                details={"candidates": list(review.candidates)},
            )
        except (RetryableError, ProtocolError, SchemaViolation) as error:
            self._journal_failure(progress, str(error), None)
            return progress.result(RowStatus.FAILED, message=str(error))
        if plan.skipped_steps:
            skipped = ", ".join(plan.skipped_steps)
            return progress.result(RowStatus.OK, message=f"not sent, cells empty: {skipped}")
        return progress.result(RowStatus.OK)

    def _raise_if_whole_run(self, fault: RowFault) -> None:
        """A fault that every further row would get too stops the run (exit 2), not the row."""
        if fault.fault_code in _COMPANY_GONE_FAULT_CODES:
            raise ConfigError(
                f"company {self._options.company_id} is no longer accessible "
                f"({fault.operation}: {fault.fault_code}: {fault.fault_message})"
            ) from fault

    async def _run_step(self, progress: _Progress, call: Call, state: StepState | None) -> None:
        operation = find_operation(call.service, call.operation)
        if state is not None and state.status is StepStatus.DONE:
            progress.record(call.step, operation, state.result_id)
            return
        values = _substitute(call.values, progress.results, progress.employee_id)
        if call.merge_from:
            values = await self._merge_current(call.merge_from, values)
        key = _match_key(operation, values)
        if not key or self._options.dry_run:  # dry rows run one by one: no namesake in flight
            await self._send_step(progress, call, operation, values, state, key)
            return
        async with self._insert_guard(key):
            await self._send_step(progress, call, operation, values, state, key)

    async def _send_step(
        self,
        progress: _Progress,
        call: Call,
        operation: Operation,
        values: Mapping[str, Any],
        state: StepState | None,
        key: str,
    ) -> None:
        """Send one call, unless an earlier run's copy of it turns out to have taken effect."""
        if operation.effect is Effect.INSERT and state is not None and state.attempts:
            # An earlier run sent it and never saw it done: find out before resending.
            settled = await self._reconcile(progress, operation, values)
            if isinstance(settled, Ambiguous):
                raise NeedsReview(settled.candidates, settled.reason)
            if isinstance(settled, Found):
                progress.record(call.step, operation, settled.value)
                self._journal.mark_done(progress.row_number, call.step, settled.value)
                log.info("adopted", row=progress.row_number, operation=operation.name)
                return
        value = await self._send(progress, call, operation, values, key)
        progress.record(call.step, operation, value)
        if operation.effect is not Effect.READ:
            result_id = value if isinstance(value, int) else None
            self._journal.mark_done(progress.row_number, call.step, result_id)

    @asynccontextmanager
    async def _insert_guard(self, key: str) -> AsyncIterator[None]:
        """One unsettled Employee_Insert per display name at a time in this process.

        A lost insert is recognised by the name it created; while another row with the same
        name is in flight, its new employee could be taken for ours. Rows with other names
        run freely.
        """
        lock, users = self._name_locks.get(key, (anyio.Lock(), 0))
        self._name_locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._name_locks[key]
            if users == 1:
                del self._name_locks[key]
            else:
                self._name_locks[key] = (lock, users - 1)

    def _journal_failure(self, progress: _Progress, reason: str, code: int | None) -> None:
        if progress.call is not None:
            self._journal.mark_failed(progress.row_number, progress.call.step, reason, code)

    async def _send(
        self,
        progress: _Progress,
        call: Call,
        operation: Operation,
        values: Mapping[str, Any],
        key: str,
    ) -> Any:
        def on_attempt(attempt: int) -> None:
            self._calls += 1
            progress.attempts += 1
            if attempt > 1:
                self._retries += 1
            if operation.effect is Effect.INSERT:
                self._journal.mark_sent(progress.row_number, call.step, operation.name, key)

        async def reconcile() -> Reconciled:
            return await self._reconcile(progress, operation, values)

        outcome = await call_with_retries(
            self._transport,
            operation,
            values,
            policy=self._options.retry,
            rng=self._rng,
            reconcile=reconcile if operation.effect is Effect.INSERT else None,
            on_attempt=on_attempt,
        )
        if outcome.reconciled:
            log.info("adopted", row=progress.row_number, operation=operation.name)
        return outcome.value

    async def _read(self, operation: Operation, values: Mapping[str, Any]) -> Any:
        """A read for the directory or reconciliation: retried, counted, never journaled."""

        def on_attempt(attempt: int) -> None:
            self._calls += 1
            if attempt > 1:
                self._retries += 1

        outcome = await call_with_retries(
            self._directory_transport,
            operation,
            values,
            policy=self._options.retry,
            rng=self._rng,
            on_attempt=on_attempt,
        )
        return outcome.value

    async def _load_baseline(self) -> None:
        """Remember which employees existed before this run created any (for reconciliation)."""
        company = self._options.company_id
        stored = self._journal.baseline(company)
        if stored is None:
            employees = self._known_employees
            if employees is None:
                employees = await self._directory.refresh(company)
            stored = frozenset(entry.id for entry in employees)
            self._journal.record_baseline(company, stored)
        self._baseline = stored

    async def _reconcile(
        self, progress: _Progress, operation: Operation, values: Mapping[str, Any]
    ) -> Reconciled:
        if operation.name == "Employee_Insert":
            key = _match_key(operation, values)
            others = self._journal.unsettled_rows(operation.name, key) - {progress.row_number}
            employees = await self._directory.refresh(self._options.company_id)
            candidates = employee_insert_candidates(
                values,
                employees,
                planned=progress.planned_personal_info,
                baseline=self._baseline,
                claimed=self._journal.claimed_employee_ids(),
            )
            if len(candidates) > MAX_CANDIDATES:
                return Ambiguous(candidates, f"{len(candidates)} new employees look like {key!r}")
            # The DisplayName format is inferred: each candidate is confirmed by its record.
            personal_info = find_operation(operation.service, "PersonalInfo_GetCurrent")
            readings = {
                candidate: await self._read(personal_info, {"EmployeeId": candidate})
                for candidate in candidates
            }
            return judge_employee_insert(
                values, readings, progress.planned_personal_info, rivals=others
            )
        check = RECORD_CHECKS.get(operation.name)
        if check is None:
            return Ambiguous((), f"no way to check whether {operation.name} took effect")
        current = await self._read(
            find_operation(operation.service, check.read_operation),
            {"EmployeeId": values[check.employee_field]},
        )
        return reconcile_record_insert(check, values, current)

    async def _row_employee(self, plan: RowPlan) -> int | None:
        """The EmployeeId an update row refers to by number (None for rows that create one)."""
        if self._template.creates_employee:
            return None
        for call in plan.calls:
            reference = _find_employee_ref(call.values)
            if reference is not None:
                return await self._employee_id(reference.employee_number)
        return None

    async def _employee_id(self, employee_number: int) -> int:
        company = self._options.company_id
        employee_id = await self._directory.resolve(company, employee_number)
        if employee_id is None:
            raise RowUnresolved(
                f"employee number {employee_number} does not exist in company {company}"
            )
        return employee_id

    async def _merge_current(self, read_operation: str, values: Mapping[str, Any]) -> Any:
        """Fill what the row leaves unset from the current record: Nmbrs writes whole records."""
        operation = lookup_operation(read_operation)
        current = await self._read(operation, {"EmployeeId": values["EmployeeId"]})
        if not current:
            return values
        return {
            name: _merge_record(current, value) if isinstance(value, Mapping) else value
            for name, value in values.items()
        }


@dataclass(slots=True)
class _Progress:
    """What one row has done so far: results by step, ids created, attempts."""

    row_number: int
    started: float
    planned_personal_info: Mapping[str, Any]  # what the row writes after its insert, if any
    results: dict[str, Any] = field(default_factory=dict)
    created: list[tuple[str, int]] = field(default_factory=list)
    attempts: int = 0
    call: Call | None = None
    employee_id: int | None = None  # the existing employee an update row refers to

    def record(self, step: str, operation: Operation, value: Any) -> None:
        self.results[step] = value
        if operation.effect is Effect.INSERT and isinstance(value, int):
            self.created.append((step, value))

    def result(
        self,
        status: RowStatus,
        *,
        message: str = "",
        fault_code: int | None = None,
        failed_operation: str | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> RowResult:
        if failed_operation is None:
            failed_operation = (
                self.call.operation if status is not RowStatus.OK and self.call else ""
            )
        return RowResult(
            self.row_number,
            status,
            created=tuple(self.created),
            failed_operation=failed_operation if status is not RowStatus.INVALID else "",
            fault_code=fault_code,
            message=message,
            attempts=self.attempts,
            duration=time.monotonic() - self.started,
            details=details or {},
        )


def _substitute(values: Mapping[str, Any], results: Mapping[str, Any], employee: int | None) -> Any:
    """The call's values with StepRef/EmployeeRef placeholders replaced by real ids."""
    resolved: dict[str, Any] = {}
    for name, value in values.items():
        if isinstance(value, StepRef):
            value = results[value.step]
        elif isinstance(value, EmployeeRef):
            value = employee
        elif isinstance(value, Mapping):
            value = _substitute(value, results, employee)
        elif isinstance(value, list):
            value = [_substitute(item, results, employee) for item in value]
        resolved[name] = value
    return resolved


def _planned_personal_info(plan: RowPlan) -> Mapping[str, Any]:
    """The PersonalInfo record the row writes: it tells the row's own employee after a crash."""
    for call in plan.calls:
        record = call.values.get("PersonalInfo")
        if isinstance(record, Mapping):
            return record
    return {}


def _find_employee_ref(values: Mapping[str, Any]) -> EmployeeRef | None:
    for value in values.values():
        if isinstance(value, EmployeeRef):
            return value
        if isinstance(value, Mapping) and (found := _find_employee_ref(value)) is not None:
            return found
    return None


def _match_key(operation: Operation, values: Mapping[str, Any]) -> str:
    """What a lost Employee_Insert is recognised by: the name it gives the new employee."""
    if operation.name != "Employee_Insert":
        return ""
    return normalise_text(display_name_of(values.get("FirstName"), values.get("LastName")))


def _merge_record(current: Mapping[str, Any], update: Mapping[str, Any]) -> dict[str, Any]:
    merged = {name: value for name, value in current.items() if value is not None}
    for name, value in update.items():
        if isinstance(value, Mapping) and isinstance(merged.get(name), Mapping):
            merged[name] = _merge_record(merged[name], value)
        elif value is not None:
            merged[name] = value
    return merged


def _invalid(row: SourceRow, invalid: RowInvalid) -> RowResult:
    return RowResult(
        row.row_number,
        RowStatus.INVALID,
        message="; ".join(f"{p.column}: {p.reason} ({p.value!r})" for p in invalid.problems),
        details={"invalid_columns": [p.column for p in invalid.problems]},
    )


def _skipped(row_number: int, message: str) -> RowResult:
    return RowResult(row_number, RowStatus.SKIPPED, message=message)
