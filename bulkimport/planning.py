"""`bulkimport plan` and `run --plan`: read what the rows would change, then apply exactly that.

A plan maps every row as a run would, reads the current values of what each row writes
through the backend seam (`Backend.current_values`, under the run's rate limiter and retry
policy) and compares. `run --plan` makes the same comparison again just before sending: a row
whose before values are no longer what the plan saw is refused, a `no change` row is not sent.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bulkimport.backend import Backend, BackendOperation, ReadFunction, StepRead, Transport
from bulkimport.config import RetryPolicy
from bulkimport.errors import (
    CellProblem,
    ConfigError,
    InputFileError,
    RowError,
    RowInvalid,
    TransportError,
)
from bulkimport.guards import RowGuard, employee_number_of
from bulkimport.journal import digest_file
from bulkimport.mapping.mapper import ColumnBinding, MappingContext, bind_columns, map_row
from bulkimport.mapping.template import Template
from bulkimport.model import EmployeeRef, NmbrsId, RowPlan, SourceRow
from bulkimport.plan import (
    PlanAction,
    PlannedRow,
    RiskPolicy,
    RowUnchanged,
    StepBefore,
    plan_row,
    refused_row,
    risky_rows,
    stale_changes,
)
from bulkimport.planfile import PlanHeader, default_plan_path, read_plan, write_plan
from bulkimport.preflight import TargetFacts
from bulkimport.retry import call_with_retries
from bulkimport.sources import RowSource

if TYPE_CHECKING:  # the job module imports this one
    from bulkimport.job import ImportJob

__all__ = [
    "PlanGuard",
    "PlanOutcome",
    "RunPlan",
    "current_plan",
    "field_headers",
    "load_plan",
    "make_plan",
    "plan_for_run",
    "read_through",
]

_UNKNOWN_TIP = "check the employee number; new employees go in through the new_hire template"


@dataclass(frozen=True, slots=True)
class PlanOutcome:
    rows: tuple[PlannedRow, ...]
    paths: tuple[Path, ...]
    calls: int
    target: str
    warnings: tuple[str, ...]


def read_through(transport: Transport, policy: RetryPolicy, seed: int | None) -> ReadFunction:
    """Reads as the run makes them: through its transport (the rate cap), retried."""
    rng = random.Random(seed)

    async def read(operation: BackendOperation, values: Mapping[str, Any]) -> Any:
        outcome = await call_with_retries(transport, operation, values, policy=policy, rng=rng)
        return outcome.value

    return read


async def current_plan(
    rows: Iterable[SourceRow],
    *,
    template: Template,
    binding: ColumnBinding,
    facts: TargetFacts,
    backend: Backend,
    read: ReadFunction,
    guard: RowGuard,
    policy: RiskPolicy,
) -> list[PlannedRow]:
    """Every row of the file, planned against what the target has now (input order)."""
    context = MappingContext(company_id=facts.company_id, country=facts.country)
    numbers = facts.employee_numbers
    planned: dict[int, PlannedRow] = {}
    mapped: list[tuple[RowPlan, int | None, NmbrsId | None]] = []  # plan, number, employee id
    order: list[int] = []
    for row in rows:
        order.append(row.row_number)
        number = employee_number_of(binding, row, facts.country)
        if row.skip_reason is not None:
            planned[row.row_number] = refused_row(row.row_number, number, row.skip_reason)
            continue
        try:
            plan = map_row(template, binding, row, context)
            plan = guard.check(plan, number if template.creates_employee else None, resuming=False)
        except RowInvalid as invalid:
            planned[row.row_number] = refused_row(
                row.row_number,
                number,
                # Without the cells' values: the console shows this, and a BSN or IBAN may be
                # among them.
                "; ".join(f"{p.column}: {p.reason}" for p in invalid.problems),
                "correct the cells named and plan again",
            )
            continue
        employee_id = None if number is None else numbers.get(number)
        if not template.creates_employee and employee_id is None:
            reason = f"employee number {number} does not exist in company {facts.company_id}"
            planned[row.row_number] = refused_row(row.row_number, number, reason, _UNKNOWN_TIP)
            continue
        mapped.append((plan, number, employee_id))
    reads: list[StepRead] = []
    for plan, _, employee_id in mapped:
        if employee_id is not None:
            reads += [
                StepRead(call.operation, employee_id, _resolved(call.values, employee_id))
                for call in plan.calls
            ]
    befores = iter(await backend.current_values(read, facts.company_id, reads) if reads else [])
    for plan, number, employee_id in mapped:
        operations = [backend.operation(call.service, call.operation) for call in plan.calls]
        hires = any(operation.creates_employee for operation in operations)  # all of it is new
        states = [
            StepBefore(operation.effect, hires, next(befores) if employee_id is not None else None)
            for operation in operations
        ]
        planned[plan.row_number] = plan_row(plan, number, states, policy)
    return [planned[number] for number in order]


def _resolved(values: Mapping[str, Any], employee_id: NmbrsId) -> dict[str, Any]:
    return {
        name: employee_id
        if isinstance(value, EmployeeRef)
        else _resolved(value, employee_id)
        if isinstance(value, Mapping)
        else value
        for name, value in values.items()
    }


async def make_plan(
    job: ImportJob,
    *,
    policy: RiskPolicy,
    output: Path | None = None,
    on_start: Callable[[str], None] | None = None,
    on_warning: Callable[[str], None] | None = None,
) -> PlanOutcome:
    """`bulkimport plan`: read the target, plan every row, write the plan file. Sends nothing
    that changes data: only reads, under the same limiter a run uses."""
    from bulkimport.job import (  # the run's own setup, so the plan sees what a run would
        backend_for,
        check_company,
        open_input,
        open_network,
        open_target,
        resolve_template,
        row_guard,
    )
    from bulkimport.validation import check_input_file

    check_input_file(job.input_path)
    backend = backend_for(job.api)
    template = resolve_template(job.template, backend)
    async with AsyncExitStack() as stack:
        target = await stack.enter_async_context(open_target(job))
        if on_start is not None:
            on_start(f"target: {target.description}")
        source = stack.enter_context(open_input(job, template))
        binding = bind_columns(template, source.info, ignore_columns=job.ignore_columns)
        warnings = (*source.warnings, *binding.warnings)
        if on_warning is not None:
            for warning in warnings:
                on_warning(warning)
        network = await stack.enter_async_context(open_network(job, target))
        facts = await check_company(network, backend, job, target, on_start)
        rows = await current_plan(
            source.rows(),
            template=template,
            binding=binding,
            facts=facts,
            backend=backend,
            read=read_through(network, job.retry, job.seed),
            guard=row_guard(job, template, binding, facts, backend)[0],
            policy=policy,
        )
        calls = network.stats.calls
    header = PlanHeader(
        input_path=str(job.input_path.resolve()),
        input_sha256=digest_file(job.input_path).sha256,
        template=job.template,
        template_sha256=template.digest,
        company_id=facts.company_id,
        target=target.base_url,
        salary_threshold=str(policy.salary_change),
        made_at=datetime.now(UTC).isoformat(timespec="seconds"),
        options={
            "sheet": job.sheet,
            "ignore_columns": list(job.ignore_columns),
            "include_hidden_rows": job.include_hidden_rows,
            "allow_past_periods": job.allow_past_periods,
            "api": job.api,
        },
    )
    paths = write_plan(output or default_plan_path(job.input_path), header, rows)
    return PlanOutcome(tuple(rows), paths, calls, target.description, warnings)


@dataclass(frozen=True, slots=True)
class RunPlan:
    """What a run knows of its rows' before values: the plan it applies (`guard` then checks
    each row against it), or for an update template the values read just before sending."""

    rows: Mapping[int, PlannedRow] | None = None
    guard: PlanGuard | None = None
    risky: tuple[str, ...] = ()  # a run without a plan: the risky changes it read
    warning: str = ""  # why there are no before values (the run goes on without an undo file)


async def plan_for_run(
    job: ImportJob,
    first_pass: RowSource,
    template: Template,
    binding: ColumnBinding,
    facts: TargetFacts,
    backend: Backend,
    transport: Transport,
    guard: RowGuard,
) -> RunPlan:
    """With a plan (`job.plan_path`): the plan, and the rows planned again now, so that a row
    whose target changed since is refused. Without, for a run that changes existing
    employees: the before values for the undo file, and the risky changes among them.

    Reads `first_pass` (the input opened again) up to where it breaks: the run's own pass
    meets a broken file and reports it after sending the rows before the break.
    """
    if job.plan_path is None and (template.creates_employee or job.dry_run):
        return RunPlan()
    policy = RiskPolicy()
    saved: Mapping[int, PlannedRow] | None = None
    if job.plan_path is not None:
        header, saved = load_plan(job.plan_path, job, template, facts.company_id)
        policy = RiskPolicy(Decimal(header.salary_threshold))
    try:
        now = await current_plan(
            _rows_until_broken(first_pass),
            template=template,
            binding=binding,
            facts=facts,
            backend=backend,
            read=read_through(transport, job.retry, job.seed),
            guard=guard,
            policy=policy,
        )
    except (RowError, TransportError) as error:
        if saved is not None:  # a plan cannot be checked against the target
            raise ConfigError(f"the plan's before values could not be read: {error}") from error
        return RunPlan(warning=f"no undo file: the before values could not be read ({error})")
    fresh = {row.row_number: row for row in now}
    if saved is None:
        return RunPlan(rows=fresh, risky=tuple(risky_rows(now)))
    return RunPlan(
        rows=saved, guard=PlanGuard(guard, saved, fresh, field_headers(template, binding))
    )


def _rows_until_broken(source: RowSource) -> Iterator[SourceRow]:
    try:
        yield from source.rows()
    except InputFileError:
        return


def load_plan(
    plan_path: Path, job: ImportJob, template: Template, company_id: NmbrsId
) -> tuple[PlanHeader, dict[int, PlannedRow]]:
    """The plan for this job at `company_id` (the company `job.company_id` names); ConfigError
    (exit 2) when it was made for another file, template, API or company, or the file changed
    since."""
    header, rows = read_plan(plan_path)
    if digest_file(job.input_path).sha256 != header.input_sha256:
        raise ConfigError(
            f"{job.input_path} is not the file plan {plan_path} was made for, or it changed "
            "since: make a new plan"
        )
    if template.digest != header.template_sha256:
        raise ConfigError(
            f"template {job.template} changed since plan {plan_path} was made: make a new plan"
        )
    planned_api = str(header.options.get("api") or "soap")
    if job.api != planned_api:
        raise ConfigError(f"plan {plan_path} was made over {planned_api}, not {job.api}")
    if company_id != header.company_id:
        raise ConfigError(
            f"plan {plan_path} was made for company {header.company_id}, not {company_id}"
        )
    return header, rows


@dataclass(frozen=True, slots=True)
class PlanGuard:
    """The run's row guard, applying a plan: only what the plan says, only if still true."""

    guard: RowGuard
    planned: Mapping[int, PlannedRow]
    now: Mapping[int, PlannedRow]  # the same rows, planned again just before sending
    headers: Mapping[str, str]  # a call's field path -> the file's header that fills it

    def check(self, plan: RowPlan, employee_number: int | None, *, resuming: bool) -> RowPlan:
        """RowUnchanged for a `no change` row; RowInvalid for a row the plan refused, a row
        not in the plan, or one whose target changed since the plan was made."""
        planned = self.planned.get(plan.row_number)
        if planned is None:
            raise _refuse(plan.row_number, "row", "the plan has no such row: make a new plan")
        if planned.action is PlanAction.REFUSED:
            raise _refuse(plan.row_number, "row", f"refused in the plan: {planned.reason}")
        if planned.action is PlanAction.NO_CHANGE:
            raise RowUnchanged("no change (plan): nothing sent")
        now = self.now.get(plan.row_number)
        if (
            now is not None
            and planned.action is PlanAction.CREATE
            and now.action is not PlanAction.CREATE
            and not resuming
        ):
            raise _refuse(
                plan.row_number,
                "row",
                f"planned as a creation, but the target has such a record now ({now.action}): "
                "make a new plan",
            )
        if now is not None and planned.action is PlanAction.CHANGE and not resuming:
            stale = stale_changes(planned, now)
            if stale:
                raise RowInvalid(
                    [
                        CellProblem(
                            plan.row_number,
                            self.headers.get(change.field, change.field),
                            change.after,
                            f"changed since the plan: {change.field} was "
                            f"{change.before or '(empty)'!s} when planned, is now "
                            f"{current or '(empty)'}; make a new plan",
                        )
                        for change, current in stale
                    ]
                )
        return self.guard.check(plan, employee_number, resuming=resuming)


def _refuse(row_number: int, column: str, reason: str) -> RowInvalid:
    return RowInvalid([CellProblem(row_number, column, "", reason)])


def field_headers(template: Template, binding: ColumnBinding) -> dict[str, str]:
    """A call's field path -> the file's header of the column that fills it."""
    headers = {bound.column.name: bound.header for bound in binding.columns}
    found: dict[str, str] = {}
    for step in template.operations:
        for mapping in step.fields:
            column = getattr(mapping.source, "column", None)
            if isinstance(column, str):
                found.setdefault(".".join(mapping.path), headers.get(column, column))
    return found
