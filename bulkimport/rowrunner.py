"""One row's calls, in order: the employee it refers to, whole-record merges, each call sent
with retries and journaled, a lost insert settled before it is resent. I/O only through the
given Transport (sent calls) and the retried reads; concurrency is the pipeline's.
"""

from __future__ import annotations

import random
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final

import anyio
import structlog

from bulkimport.backend import Backend, BackendOperation, Effect, SchemaViolation, Transport
from bulkimport.config import RetryPolicy
from bulkimport.directory import EmployeeDirectory
from bulkimport.errors import (
    ConfigError,
    NeedsReview,
    ProtocolError,
    RetryableError,
    RowFault,
    RowUnresolved,
)
from bulkimport.journal import StepState, StepStatus
from bulkimport.model import (
    CLEAR,
    Call,
    EmployeeRef,
    NmbrsId,
    RowPlan,
    RowResult,
    RowStatus,
    StepRef,
)
from bulkimport.reconcile import (
    Ambiguous,
    Found,
    Reconciled,
)
from bulkimport.reconciler import Reconciler
from bulkimport.retry import call_with_retries

if TYPE_CHECKING:  # the pipeline owns the journal protocol and builds the runner
    from bulkimport.pipeline import Journal

__all__ = ["CallCounter", "RowRunner", "RunSettings"]

log = structlog.get_logger()

# Faults that are about the whole run, not the row: the company is no longer reachable.
_COMPANY_GONE_FAULT_CODES = frozenset({2004})


@dataclass(slots=True)
class CallCounter:
    """Attempts the run made (sent calls and reads) and how many of them were retries."""

    calls: int = 0
    retries: int = 0

    def count(self, attempt: int) -> None:
        self.calls += 1
        if attempt > 1:
            self.retries += 1


@dataclass(frozen=True, slots=True)
class RunSettings:
    """What the row runner needs of the run's options."""

    company_id: NmbrsId
    retry: RetryPolicy
    dry_run: bool
    creates_employee: bool  # the template's rows create their employee (else: look it up)


class RowRunner:
    """Runs one row's calls; `run` returns its result or raises what the pipeline settles."""

    def __init__(
        self,
        *,
        settings: RunSettings,
        backend: Backend,
        transport: Transport,
        directory_transport: Transport,
        journal: Journal,
        rng: random.Random,
        counter: CallCounter,
    ) -> None:
        self._settings = settings
        self._backend = backend
        self._transport = transport
        self._directory_transport = directory_transport
        self._journal = journal
        self._rng = rng
        self._counter = counter
        self._name_locks: dict[str, tuple[anyio.Lock, int]] = {}
        self.directory = EmployeeDirectory(self.read, backend.employee_lister())
        self.reconciler = Reconciler(
            backend=backend,
            directory=self.directory,
            journal=journal,
            read=self.read,
            company_id=settings.company_id,
        )

    async def run(self, plan: RowPlan) -> RowResult:
        progress = _Progress(
            plan.row_number, time.monotonic(), self._backend.planned_employee(plan)
        )
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

    async def read(self, operation: BackendOperation, values: Mapping[str, Any]) -> Any:
        """A read for the directory or reconciliation: retried, counted, never journaled."""
        outcome = await call_with_retries(
            self._directory_transport,
            operation,
            values,
            policy=self._settings.retry,
            rng=self._rng,
            on_attempt=self._counter.count,
        )
        return outcome.value

    def _raise_if_whole_run(self, fault: RowFault) -> None:
        """A fault that every further row would get too stops the run (exit 2), not the row."""
        if fault.fault_code in _COMPANY_GONE_FAULT_CODES:
            raise ConfigError(
                f"company {self._settings.company_id} is no longer accessible "
                f"({fault.operation}: {fault.fault_code}: {fault.fault_message})"
            ) from fault

    async def _run_step(self, progress: _Progress, call: Call, state: StepState | None) -> None:
        operation = self._backend.operation(call.service, call.operation)
        if state is not None and state.status is StepStatus.DONE:
            progress.record(call.step, operation, state.result_id)
            return
        values = _substitute(call.values, progress.results, progress.employee_id)
        if call.merge_from:
            values = await self._merge_current(call.merge_from, values)
        key = self._backend.insert_match_key(operation, values)
        if not key or self._settings.dry_run:  # dry rows run one by one: no namesake in flight
            await self._send_step(progress, call, operation, values, state, key)
            return
        async with self._insert_guard(key):
            await self._send_step(progress, call, operation, values, state, key)

    async def _send_step(
        self,
        progress: _Progress,
        call: Call,
        operation: BackendOperation,
        values: Mapping[str, Any],
        state: StepState | None,
        key: str,
    ) -> None:
        """Send one call, unless an earlier run's copy of it turns out to have taken effect."""
        if operation.effect is Effect.INSERT and state is not None and state.attempts:
            # An earlier run sent it and never saw it done: find out before resending.
            settled = await self._settle(progress, operation, values)
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
            result_id = value if isinstance(value, int | str) else None
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
        operation: BackendOperation,
        values: Mapping[str, Any],
        key: str,
    ) -> Any:
        def on_attempt(attempt: int) -> None:
            self._counter.count(attempt)
            progress.attempts += 1
            if operation.effect is Effect.INSERT:
                self._journal.mark_sent(progress.row_number, call.step, operation.name, key)

        async def reconcile() -> Reconciled:
            return await self._settle(progress, operation, values)

        outcome = await call_with_retries(
            self._transport,
            operation,
            values,
            policy=self._settings.retry,
            rng=self._rng,
            reconcile=reconcile if operation.effect is Effect.INSERT else None,
            on_attempt=on_attempt,
        )
        if outcome.reconciled:
            log.info("adopted", row=progress.row_number, operation=operation.name)
        return outcome.value

    async def _settle(
        self, progress: _Progress, operation: BackendOperation, values: Mapping[str, Any]
    ) -> Reconciled:
        return await self.reconciler.settle(
            progress.row_number,
            progress.planned_personal_info,
            operation,
            values,
            match_key=self._backend.insert_match_key(operation, values),
        )

    async def _row_employee(self, plan: RowPlan) -> NmbrsId | None:
        """The EmployeeId an update row refers to by number (None for rows that create one)."""
        if self._settings.creates_employee:
            return None
        for call in plan.calls:
            reference = _find_employee_ref(call.values)
            if reference is not None:
                return await self._employee_id(reference.employee_number)
        return None

    async def _employee_id(self, employee_number: int) -> NmbrsId:
        company = self._settings.company_id
        employee_id = await self.directory.resolve(company, employee_number)
        if employee_id is None:
            raise RowUnresolved(
                f"employee number {employee_number} does not exist in company {company}"
            )
        return employee_id

    async def _merge_current(self, read_operation: str, values: Mapping[str, Any]) -> Any:
        """Fill what the row leaves unset from the current record: Nmbrs writes whole records."""
        current = await self._backend.current_record(self.read, read_operation, values)
        return {
            name: _merge_record(current or {}, value) if isinstance(value, Mapping) else value
            for name, value in values.items()
        }


@dataclass(slots=True)
class _Progress:
    """What one row has done so far: results by step, ids created, attempts."""

    row_number: int
    started: float
    planned_personal_info: Mapping[str, Any]  # what the row writes after its insert, if any
    results: dict[str, Any] = field(default_factory=dict)
    created: list[tuple[str, NmbrsId]] = field(default_factory=list)
    attempts: int = 0
    call: Call | None = None
    employee_id: NmbrsId | None = None  # the existing employee an update row refers to

    def record(self, step: str, operation: BackendOperation, value: Any) -> None:
        self.results[step] = value
        if operation.effect is Effect.INSERT and isinstance(value, int | str):
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


# Cell values that are never a placeholder nor hold one: most values of a call, passed as they
# are without the isinstance checks (a Mapping check goes through the ABC machinery).
_PLAIN_VALUE_TYPES: Final = frozenset({str, int, bool, float, Decimal, date, datetime, type(None)})


def _substitute(
    values: Mapping[str, Any], results: Mapping[str, Any], employee: NmbrsId | None
) -> Any:
    """The call's values with StepRef/EmployeeRef placeholders replaced by real ids."""
    resolved: dict[str, Any] = {}
    for name, value in values.items():
        if type(value) in _PLAIN_VALUE_TYPES:
            pass
        elif isinstance(value, StepRef):
            value = results[value.step]
        elif isinstance(value, EmployeeRef):
            value = employee
        elif isinstance(value, Mapping):
            value = _substitute(value, results, employee)
        elif isinstance(value, list):
            value = [_substitute(item, results, employee) for item in value]
        resolved[name] = value
    return resolved


def _find_employee_ref(values: Mapping[str, Any]) -> EmployeeRef | None:
    for value in values.values():
        if isinstance(value, EmployeeRef):
            return value
        if isinstance(value, Mapping) and (found := _find_employee_ref(value)) is not None:
            return found
    return None


def _merge_record(current: Mapping[str, Any], update: Mapping[str, Any]) -> dict[str, Any]:
    merged = {name: value for name, value in current.items() if value is not None}
    for name, value in update.items():
        if isinstance(value, Mapping) and isinstance(merged.get(name), Mapping):
            merged[name] = _merge_record(merged[name], value)
        elif value is CLEAR:  # {empty}: a whole-record update clears what it leaves out
            merged.pop(name, None)
        elif value is not None:
            merged[name] = value
    return merged
