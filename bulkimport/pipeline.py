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
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

import anyio
import anyio.lowlevel
import structlog
from anyio.abc import TaskGroup

from bulkimport.backend import Backend, Transport
from bulkimport.config import Country, RetryPolicy
from bulkimport.errors import FatalError, RowInvalid
from bulkimport.guards import employee_number_of
from bulkimport.journal import StepState, StepStatus
from bulkimport.mapping.mapper import ColumnBinding, MappingContext, map_row
from bulkimport.mapping.template import Template
from bulkimport.model import NmbrsId, RowPlan, RowResult, RowStatus, SourceRow
from bulkimport.plan import RowUnchanged
from bulkimport.reconcile import EmployeeEntry
from bulkimport.report import RunSummary
from bulkimport.rowrunner import CallCounter, RowRunner, RunSettings

log = structlog.get_logger()

CHECKPOINT_ROWS: Final = 64  # rows dispatched between turns of the loop when nothing waits


class Journal(Protocol):
    """What the pipeline needs of the run journal (bulkimport.journal.Journal has it)."""

    resumed: bool

    def record_baseline(self, company_id: NmbrsId, employee_ids: Any) -> None: ...
    def baseline(self, company_id: NmbrsId) -> frozenset[NmbrsId] | None: ...
    def mark_sent(
        self, row_number: int, step: str, operation: str, match_key: str = ""
    ) -> None: ...
    def mark_done(self, row_number: int, step: str, result_id: NmbrsId | None) -> None: ...
    def mark_failed(
        self, row_number: int, step: str, reason: str, fault_code: int | None
    ) -> None: ...
    def step_states(self, row_number: int) -> Mapping[str, StepState]: ...
    def record_result(self, result: RowResult) -> None: ...
    def result_for(self, row_number: int) -> RowResult | None: ...
    def claimed_employee_ids(self) -> set[NmbrsId]: ...
    def record_plan(self, row_number: int, steps: Iterable[tuple[str, str]]) -> None: ...
    def unsettled_rows(self, operation: str, match_key: str) -> set[int]: ...
    def flush(self) -> None: ...


class RowCheck(Protocol):
    """Checks a mapped row against the target before any call of it (guards.RowGuard)."""

    def check(self, plan: RowPlan, employee_number: int | None, *, resuming: bool) -> RowPlan:
        """The plan to send; RowInvalid when it must not go out, RowUnchanged: nothing to do."""
        ...


class ResultSink(Protocol):
    """Where finished rows go, in input order (report writers, failed-rows file)."""

    def write(self, row: SourceRow, result: RowResult) -> None: ...


@dataclass(frozen=True, slots=True)
class RunOptions:
    company_id: NmbrsId
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
        backend: Backend,
        transport: Transport,
        directory_transport: Transport,
        journal: Journal,
        sinks: tuple[ResultSink, ...],
        options: RunOptions,
        guard: RowCheck | None = None,
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
        self._counter = CallCounter()
        self._rows = RowRunner(
            settings=RunSettings(
                company_id=options.company_id,
                retry=options.retry,
                dry_run=options.dry_run,
                creates_employee=template.creates_employee,
            ),
            backend=backend,
            transport=transport,
            directory_transport=directory_transport,
            journal=journal,
            rng=random.Random(options.seed),
            counter=self._counter,
        )
        self._stopping = anyio.Event()
        self._window = anyio.Semaphore(max(4 * options.concurrency, 64))
        self._slots = anyio.Semaphore(options.concurrency)
        self._finished: dict[int, _Job] = {}
        self._next_to_emit = 0
        self._employee_turns: dict[str, anyio.Event] = {}
        self._counts: dict[RowStatus, int] = dict.fromkeys(RowStatus, 0)
        self._started = time.monotonic()
        # Bound once, with the logging the run was started under: through the module's lazy
        # proxy every row's line would assemble a new logger (and walk the stack for its
        # name), even when its level is filtered out.
        self._log = log.bind()
        self._fatal: FatalError | None = None
        self._guard = guard
        self._known_employees = known_employees
        if known_employees is not None:
            self._rows.directory.remember(options.company_id, known_employees)

    def stop(self) -> None:
        """Take no new rows; calls in flight finish, the rest of the file is reported skipped."""
        self._stopping.set()

    @property
    def counts(self) -> dict[RowStatus, int]:
        """Rows per final status so far (all of them once `run` returned or raised)."""
        return dict(self._counts)

    @property
    def stopped_early(self) -> bool:
        return self._stopping.is_set()

    async def run(self, rows: Iterator[SourceRow]) -> RunSummary:
        self._started = time.monotonic()
        if self._template.creates_employee and not self._options.dry_run:
            await self._rows.reconciler.load_baseline(self._known_employees)
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
        return self.summary()

    def summary(self) -> RunSummary:
        """The run so far (the final word once `run` returned). A progress display samples
        it on a timer: it only reads counters the run keeps anyway."""
        stats = self._transport.stats
        return RunSummary(
            counts=dict(self._counts),
            calls=self._counter.calls,
            duration_s=time.monotonic() - self._started,
            throttled_calls=stats.throttled,
            retries=self._counter.retries,
            limit_published=stats.limit_published,
            found_rate=stats.found_rate,
            refused_calls=stats.refused,
        )

    async def _dispatch(self, rows: Iterator[SourceRow], group: TaskGroup) -> None:
        """Hand each row to a worker (or settle it at once), keeping the reorder window."""
        for sequence, row in enumerate(rows):
            await self._enter_window(sequence)
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
            except RowUnchanged as unchanged:
                self._finish(job, RowResult(row.row_number, RowStatus.OK, message=str(unchanged)))
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

    async def _enter_window(self, sequence: int) -> None:
        """Take a place in the reorder window, waiting only while it is full.

        anyio's acquire() always yields to the loop, which costs a dry run as much as its
        row; a free place is taken at once, and the loop still gets its turn (a Ctrl-C, a
        cancellation) every CHECKPOINT_ROWS rows. A real run yields at every row anyway,
        waiting for a worker slot.
        """
        try:
            self._window.acquire_nowait()
        except anyio.WouldBlock:
            await self._window.acquire()
            return
        if sequence % CHECKPOINT_ROWS == 0:
            await anyio.lowlevel.checkpoint()

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
        if result.status is not RowStatus.SKIPPED and not result.details.get(_RUN_STOPPED):
            self._journal.record_result(result)
        for sink in self._sinks:
            sink.write(row, result)
        self._log.info(
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
            # Reported failed, but not settled in the journal: the error is the run's, not
            # the row's, so a resume goes on with the row (settling what it had sent).
            return RowResult(
                plan.row_number, RowStatus.FAILED, message=str(error), details={_RUN_STOPPED: True}
            )
        except Exception as error:  # a defect must cost one row, never the run
            self._log.exception("row crashed", row=plan.row_number)
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
        return await self._rows.run(plan)


# A row result's detail: the row was cut short by an error that stopped the whole run.
_RUN_STOPPED: Final = "run_stopped"


def _invalid(row: SourceRow, invalid: RowInvalid) -> RowResult:
    return RowResult(
        row.row_number,
        RowStatus.INVALID,
        message="; ".join(f"{p.column}: {p.reason} ({p.value!r})" for p in invalid.problems),
        details={
            "invalid_columns": [p.column for p in invalid.problems],
            # Column and reason without the value: what a summary may show of the row.
            "problems": [(p.column, p.reason) for p in invalid.problems],
        },
    )


def _skipped(row_number: int, message: str) -> RowResult:
    return RowResult(row_number, RowStatus.SKIPPED, message=message)
