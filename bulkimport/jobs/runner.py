"""Run a job's steps in one process: independent ones side by side, dependent ones in order.

I/O shell around `bulkimport.job.run_job`. All steps on one account share one CallRateLimiter,
so the account's cap holds across the whole job; different accounts each have their own and
run at their own caps. Each step keeps its journal, reports and a result file in the job's
state folder, named by the step and its input's content: running the job again resumes the
steps that did not finish and leaves the finished ones alone, and tomorrow's new file (other
content) starts a run of its own instead of being refused by yesterday's journal.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, Final

import anyio

from bulkimport.config import NamedAccount
from bulkimport.errors import BulkImportError
from bulkimport.jobs.jobfile import JobPlan, JobStep
from bulkimport.journal import digest_file
from bulkimport.limiter import CallRateLimiter
from bulkimport.model import RowStatus

EXIT_OK: Final = 0
EXIT_ROWS_NOT_OK: Final = 1
EXIT_FATAL: Final = 2
EXIT_ALREADY_RUNNING: Final = 3
EXIT_INTERRUPTED: Final = 130
DIGEST_CHARS: Final = 12  # of the input's sha256 in the step's file names


class StepState(StrEnum):
    OK = "ok"
    ROWS_NOT_OK = "rows not ok"
    FAILED = "failed"  # a fatal error stopped the step (bad file, credentials, journal)
    BLOCKED = "blocked"  # a step it comes after failed or was stopped: not started
    STOPPED = "stopped"  # interrupted (Ctrl-C, SIGTERM, a lost lease): resumable

    @property
    def finished(self) -> bool:
        """The step ran to the end: the steps after it may start."""
        return self in (StepState.OK, StepState.ROWS_NOT_OK)


@dataclass(frozen=True, slots=True)
class StepResult:
    """How one step ended; what the JSON summary and `job status` show of it."""

    name: str
    account: str
    state: StepState
    rows: int = 0
    counts: Mapping[str, int] = field(default_factory=dict)
    calls: int = 0
    duration_s: float = 0.0
    resumed: bool = False
    journal: str | None = None
    reports: tuple[str, ...] = ()
    failed_rows: str | None = None
    error: str | None = None
    earlier: bool = False  # finished by an earlier run of the job: not run again
    worker: str | None = None

    def as_json(self) -> dict[str, Any]:
        values = asdict(self)
        values["state"] = self.state.value
        values["counts"] = dict(self.counts)
        values["reports"] = list(self.reports)
        return values

    @classmethod
    def from_json(cls, values: Mapping[str, Any]) -> StepResult:
        known = {key: values[key] for key in cls.__dataclass_fields__ if key in values}
        known["state"] = StepState(values["state"])
        known["reports"] = tuple(values.get("reports", ()))
        return cls(**known)


@dataclass(frozen=True, slots=True)
class StepPaths:
    """Where one step's files go: `<state>/<step>.<input digest>.*`."""

    prefix: Path

    @property
    def journal(self) -> Path:
        return self.prefix.with_name(f"{self.prefix.name}.journal.sqlite")

    @property
    def report_base(self) -> Path:
        return self.prefix.with_name(f"{self.prefix.name}.report")

    @property
    def failed(self) -> Path:
        return self.prefix.with_name(f"{self.prefix.name}.failed.csv")

    @property
    def result(self) -> Path:
        return self.prefix.with_name(f"{self.prefix.name}.result.json")


def step_paths(plan: JobPlan, step: JobStep) -> StepPaths:
    """The step's files for the input as it is now (reads the input to hash it)."""
    digest = digest_file(step.file).sha256[:DIGEST_CHARS]
    return StepPaths(plan.state_dir / f"{step.name}.{digest}")


def finished_result(paths: StepPaths) -> StepResult | None:
    """The result of an earlier run that finished this step on this input, if any."""
    try:
        values = json.loads(paths.result.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return None  # unreadable: run the step again; its journal resumes it
    result = StepResult.from_json(values)
    return result if result.state.finished else None


async def run_step(
    plan: JobPlan,
    step: JobStep,
    account: NamedAccount,
    limiter: CallRateLimiter,
    *,
    stop: anyio.Event | None = None,
    retry_failed: bool = False,
    worker: str | None = None,
    say: Callable[[str], None] = lambda _: None,
) -> StepResult:
    """Run one step (or resume it from its journal); a finished one is not run again.

    A fatal error is the step's result, not an exception: the job's other steps go on.
    """
    from bulkimport.job import ImportJob, run_job
    from bulkimport.nmbrs.rest.auth import ClientConfig

    plan.state_dir.mkdir(parents=True, exist_ok=True)
    paths = step_paths(plan, step)
    earlier = finished_result(paths)
    if earlier is not None and not (retry_failed and earlier.state is StepState.ROWS_NOT_OK):
        return replace(earlier, earlier=True)
    application = account.rest_application
    job = ImportJob(
        input_path=step.file,
        template=step.template,
        company_id=step.company,
        api=account.api,
        profile=account.profile or "default",
        rest_client=None
        if application is None
        else ClientConfig(
            application.client_id, application.client_secret, application.subscription_key
        ),
        endpoint=account.endpoint,
        environment=None if account.endpoint else account.environment or "nl",
        credentials=account.credentials,
        rate=account.rate,
        report_base=paths.report_base,
        failed_path=paths.failed,
        journal_path=paths.journal,
        sheet=step.sheet,
        ignore_columns=step.ignore_columns,
        retry_failed=retry_failed,
        limiter=limiter,
    )
    say(f"{step.name}: started on account {account.name} ({step.file.name})")
    started = time.monotonic()
    try:
        outcome = await run_job(job, stop=stop)
    except BulkImportError as error:
        say(f"{step.name}: failed: {error}")
        return StepResult(
            step.name,
            step.account,
            StepState.FAILED,
            duration_s=time.monotonic() - started,
            journal=str(paths.journal) if paths.journal.exists() else None,
            error=str(error),
            worker=worker,
        )
    counts = {status.value: count for status, count in outcome.summary.counts.items() if count}
    not_ok = sum(
        count for status, count in outcome.summary.counts.items() if status is not RowStatus.OK
    )
    if outcome.stopped_early:
        state = StepState.STOPPED
    elif not_ok or outcome.dropped_columns:
        state = StepState.ROWS_NOT_OK
    else:
        state = StepState.OK
    result = StepResult(
        name=step.name,
        account=step.account,
        state=state,
        rows=outcome.summary.rows,
        counts=counts,
        calls=outcome.summary.calls,
        duration_s=outcome.summary.duration_s,
        resumed=outcome.resumed,
        journal=str(outcome.journal_path) if outcome.journal_path else None,
        reports=tuple(str(path) for path in outcome.report_paths),
        failed_rows=str(outcome.failed_path) if outcome.failed_path else None,
        worker=worker,
    )
    if state.finished:
        write_json(paths.result, result.as_json())
    say(f"{step.name}: {state.value} ({_describe_counts(counts)})")
    return result


def account_key(account: NamedAccount) -> str:
    """What the service's limit counts behind an account name, so that two names for it share
    one limiter and one lease: SOAP's login (host, user, domain); REST's subscription key at
    its host (hashed: the key is a secret)."""
    application = account.rest_application
    if account.api == "rest" and application is not None:
        identity = f"rest|{account.target}|{application.subscription_key}"
    else:
        identity = f"{account.api}|{account.target}|{account.username}|{account.domain}"
    return hashlib.sha256(identity.encode()).hexdigest()[:16]


def account_limiter(account: NamedAccount) -> CallRateLimiter:
    """The limiter an account's steps share; REST publishes no limit: its rate is a first
    guess that 429s correct."""
    return CallRateLimiter(account.rate, limit_published=account.api != "rest")


@dataclass(frozen=True, slots=True)
class JobRun:
    """One run of a job: its steps' results in the plan's order."""

    plan: JobPlan
    results: tuple[StepResult, ...]
    started_at: datetime
    finished_at: datetime

    @property
    def exit_code(self) -> int:
        return exit_code_of(self.results)


def exit_code_of(results: tuple[StepResult, ...] | list[StepResult]) -> int:
    """2 if any step failed or was blocked, 130 if one was stopped, 1 if rows not ok, else 0."""
    states = {result.state for result in results}
    if states & {StepState.FAILED, StepState.BLOCKED}:
        return EXIT_FATAL
    if StepState.STOPPED in states:
        return EXIT_INTERRUPTED
    if StepState.ROWS_NOT_OK in states:
        return EXIT_ROWS_NOT_OK
    return EXIT_OK


async def run_plan(
    plan: JobPlan,
    accounts: Mapping[str, NamedAccount],
    *,
    stop: anyio.Event | None = None,
    retry_failed: bool = False,
    say: Callable[[str], None] = lambda _: None,
) -> JobRun:
    """Every step as soon as the steps it comes after have finished; one limiter per account
    (per what its limit counts: names for the same login or subscription key share one)."""
    started_at = datetime.now(UTC)
    shared: dict[str, CallRateLimiter] = {}
    limiters: dict[str, CallRateLimiter] = {}
    for name in plan.accounts:
        key = account_key(accounts[name])
        if key not in shared:
            shared[key] = account_limiter(accounts[name])
        limiters[name] = shared[key]
    done = {step.name: anyio.Event() for step in plan.steps}
    results: dict[str, StepResult] = {}

    async def run(step: JobStep) -> None:
        try:
            for name in step.after:
                await done[name].wait()
            failed = [
                n for n in step.after if results[n].state in (StepState.FAILED, StepState.BLOCKED)
            ]
            if failed:
                results[step.name] = StepResult(
                    step.name,
                    step.account,
                    StepState.BLOCKED,
                    error=f"not started: {', '.join(failed)} did not finish",
                )
            elif (stop is not None and stop.is_set()) or any(
                results[name].state is StepState.STOPPED for name in step.after
            ):
                results[step.name] = StepResult(
                    step.name, step.account, StepState.STOPPED, error="not started: stopped"
                )
            else:
                results[step.name] = await run_step(
                    plan,
                    step,
                    accounts[step.account],
                    limiters[step.account],
                    stop=stop,
                    retry_failed=retry_failed,
                    say=say,
                )
        finally:
            done[step.name].set()

    async with anyio.create_task_group() as group:
        for step in plan.steps:
            group.start_soon(run, step)
    return JobRun(
        plan=plan,
        results=tuple(results[step.name] for step in plan.steps),
        started_at=started_at,
        finished_at=datetime.now(UTC),
    )


def write_run_summary(run: JobRun) -> Path:
    """The run's JSON summary in `<state>/runs/`, named by when it started."""
    stamp = run.started_at.strftime("%Y%m%dT%H%M%S.%fZ")
    path = run.plan.state_dir / "runs" / f"{stamp}.json"
    write_json(path, summary_json(run.plan.path, run.results, run.started_at, run.finished_at))
    return path


def summary_json(
    job: Path,
    results: tuple[StepResult, ...] | list[StepResult],
    started_at: datetime,
    finished_at: datetime,
    **extra: object,
) -> dict[str, Any]:
    return {
        "job": str(job),
        "started_at": started_at.isoformat(),
        "finished_at": finished_at.isoformat(),
        "exit_code": exit_code_of(results),
        **extra,
        "steps": [result.as_json() for result in results],
    }


def write_json(path: Path, values: Mapping[str, Any]) -> None:
    """Written whole or not at all: a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    partial.write_text(json.dumps(values, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    partial.replace(path)


def _describe_counts(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{count} {status}" for status, count in counts.items()) or "no rows"
