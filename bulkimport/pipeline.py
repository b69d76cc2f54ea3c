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
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import anyio
import structlog
from anyio.abc import TaskGroup

from bulkimport.config import Country, RetryPolicy
from bulkimport.directory import EmployeeDirectory
from bulkimport.errors import (
    AuthenticationError,
    FatalError,
    ProtocolError,
    RetryableError,
    RowFault,
    RowInvalid,
)
from bulkimport.journal import StepStatus
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
    RECORD_CHECKS,
    Ambiguous,
    Found,
    Reconciled,
    reconcile_employee_insert,
    reconcile_record_insert,
)
from bulkimport.report import RunSummary
from bulkimport.retry import NeedsReview, call_with_retries
from bulkimport.soap.codec import SchemaViolation
from bulkimport.soap.schema import Effect, Operation, find_operation, lookup_operation
from bulkimport.transport import Transport

log = structlog.get_logger()


class Journal(Protocol):
    """What the pipeline needs of the run journal (bulkimport.journal.Journal has it)."""

    resumed: bool

    def record_baseline(self, company_id: int, employee_ids: Any) -> None: ...
    def baseline(self, company_id: int) -> frozenset[int] | None: ...
    def mark_sent(self, row_number: int, step: str, operation: str) -> None: ...
    def mark_done(self, row_number: int, step: str, result_id: int | None) -> None: ...
    def mark_failed(
        self, row_number: int, step: str, reason: str, fault_code: int | None
    ) -> None: ...
    def step_states(self, row_number: int) -> Mapping[str, Any]: ...
    def record_result(self, result: RowResult) -> None: ...
    def result_for(self, row_number: int) -> RowResult | None: ...
    def claimed_employee_ids(self) -> set[int]: ...
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
    ) -> None:
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
            throttled_calls=getattr(self._transport, "throttled_calls", 0),
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
            earlier = self._earlier_result(row)
            if earlier is not None:
                self._finish(job, earlier)
                continue
            try:
                job.plan = map_row(self._template, self._binding, row, self._context)
            except RowInvalid as invalid:
                self._finish(job, _invalid(row, invalid))
                continue
            if self._options.dry_run:
                self._finish(job, await self._execute_safely(job.plan))
            else:
                await self._slots.acquire()
                group.start_soon(self._run_job, job)

    # --- ordering ------------------------------------------------------------------------
    def _earlier_result(self, row: SourceRow) -> RowResult | None:
        """A result a previous run of this journal already settled, unless it is to be redone."""
        result = self._journal.result_for(row.row_number)
        if result is None:
            return None
        if self._options.retry_failed and result.status is not RowStatus.OK:
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
        except AuthenticationError as error:
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
        started = time.monotonic()
        row_number = plan.row_number
        states = self._journal.step_states(row_number)
        results: dict[str, Any] = {}
        created: list[tuple[str, int]] = []
        attempts = 0
        current_call: Call | None = None
        try:
            for call in plan.calls:
                current_call = call
                state = states.get(call.step)
                operation = find_operation(call.service, call.operation)
                if state is not None and state.status is StepStatus.DONE:
                    results[call.step] = state.result_id
                    if operation.effect is Effect.INSERT and state.result_id is not None:
                        created.append((call.step, state.result_id))
                    continue
                values = await self._resolve(call.values, results)
                if call.merge_from:
                    values = await self._merge_current(call.merge_from, values)
                if operation.effect is Effect.INSERT and state is not None:
                    # An earlier run sent it and never saw it done: find out before resending.
                    settled = await self._reconcile(operation, values)
                    if isinstance(settled, Ambiguous):
                        raise NeedsReview(settled.candidates, settled.reason)
                    if isinstance(settled, Found):
                        self._adopt(row_number, call, settled.value, results, created)
                        continue
                value, tries = await self._send(row_number, call, operation, values)
                attempts += tries
                results[call.step] = value
                result_id = value if isinstance(value, int) else None
                if operation.effect is Effect.INSERT and result_id is not None:
                    created.append((call.step, result_id))
                if operation.effect is not Effect.READ:
                    self._journal.mark_done(row_number, call.step, result_id)
        except RowFault as fault:
            self._journal_failure(row_number, current_call, str(fault), fault.fault_code)
            return RowResult(
                row_number,
                RowStatus.FAULT,
                created=tuple(created),
                failed_operation=fault.operation,
                fault_code=fault.fault_code,
                message=fault.fault_message,
                attempts=attempts + 1,
                duration=time.monotonic() - started,
            )
        except _UnknownEmployee as unknown:
            return RowResult(
                row_number,
                RowStatus.INVALID,
                message=str(unknown),
                duration=time.monotonic() - started,
            )
        except NeedsReview as review:
            return RowResult(
                row_number,
                RowStatus.NEEDS_REVIEW,
                created=tuple(created),
                failed_operation=current_call.operation if current_call else "",
                message=str(review),
                attempts=attempts,
                duration=time.monotonic() - started,
                details={"candidates": list(review.candidates)},
            )
        except (RetryableError, ProtocolError, SchemaViolation) as error:
            self._journal_failure(row_number, current_call, str(error), None)
            return RowResult(
                row_number,
                RowStatus.FAILED,
                created=tuple(created),
                failed_operation=current_call.operation if current_call else "",
                message=str(error),
                attempts=attempts,
                duration=time.monotonic() - started,
            )
        return RowResult(
            row_number,
            RowStatus.OK,
            created=tuple(created),
            attempts=attempts,
            duration=time.monotonic() - started,
        )

    def _adopt(
        self,
        row_number: int,
        call: Call,
        value: Any,
        results: dict[str, Any],
        created: list[tuple[str, int]],
    ) -> None:
        results[call.step] = value
        created.append((call.step, value))
        self._journal.mark_done(row_number, call.step, value)
        log.info("adopted", row=row_number, step=call.step, operation=call.operation)

    def _journal_failure(
        self, row_number: int, call: Call | None, reason: str, code: int | None
    ) -> None:
        if call is not None:
            self._journal.mark_failed(row_number, call.step, reason, code)

    async def _send(
        self, row_number: int, call: Call, operation: Operation, values: Mapping[str, Any]
    ) -> tuple[Any, int]:
        def on_attempt(attempt: int) -> None:
            self._calls += 1
            if attempt > 1:
                self._retries += 1
            if operation.effect is Effect.INSERT:
                self._journal.mark_sent(row_number, call.step, operation.name)

        async def reconcile() -> Reconciled:
            return await self._reconcile(operation, values)

        outcome = await call_with_retries(
            self._transport,
            operation,
            values,
            policy=self._options.retry,
            rng=self._rng,
            reconcile=reconcile if operation.effect is Effect.INSERT else None,
            on_attempt=on_attempt,
        )
        return outcome.value, outcome.attempts

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
            employees = await self._directory.refresh(company)
            stored = frozenset(entry.id for entry in employees)
            self._journal.record_baseline(company, stored)
        self._baseline = stored

    async def _reconcile(self, operation: Operation, values: Mapping[str, Any]) -> Reconciled:
        if operation.name == "Employee_Insert":
            employees = await self._directory.refresh(self._options.company_id)
            return reconcile_employee_insert(
                values,
                employees,
                baseline=self._baseline,
                claimed=self._journal.claimed_employee_ids(),
            )
        check = RECORD_CHECKS.get(operation.name)
        if check is None:
            return Ambiguous((), f"no way to check whether {operation.name} took effect")
        current = await self._read(
            find_operation(operation.service, check.read_operation),
            {"EmployeeId": values[check.employee_field]},
        )
        return reconcile_record_insert(check, values, current)

    async def _resolve(self, values: Mapping[str, Any], results: Mapping[str, Any]) -> Any:
        """Replace StepRef/EmployeeRef placeholders with real ids, recursively."""
        resolved: dict[str, Any] = {}
        for name, value in values.items():
            resolved[name] = await self._resolve_value(value, results)
        return resolved

    async def _resolve_value(self, value: Any, results: Mapping[str, Any]) -> Any:
        if isinstance(value, StepRef):
            return results[value.step]
        if isinstance(value, EmployeeRef):
            return await self._employee_id(value.employee_number)
        if isinstance(value, Mapping):
            return await self._resolve(value, results)
        if isinstance(value, list):
            return [await self._resolve_value(item, results) for item in value]
        return value

    async def _employee_id(self, employee_number: int) -> int:
        company = self._options.company_id
        employee_id = await self._directory.resolve(company, employee_number)
        if employee_id is None:
            raise _UnknownEmployee(
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


class _UnknownEmployee(Exception):
    """The row's employee number is not in the company: a row error, not a call."""


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
