"""Job steps on arq and Redis: `job submit` puts steps on the queue, `bulkimport worker`s run them.

I/O shell. Each queued step is one arq job. A worker runs it only while it holds its
account's lease in Redis (SET NX with an expiry, renewed while the step runs, released by its
owner only), so an account's steps never run on two workers at once and its cap holds across
machines; another step of the same account waits (arq retries it a moment later).

A worker killed mid-step: its lease and arq's claim on the job expire after the lease's span
(arq's own claim lasts the job's whole timeout, so the worker shortens it to the lease and
renews both together), and the next worker to poll takes the job again and resumes the step
from its journal. Journals live in the job's state folder beside the job file: the job folder
must be on storage every worker reaches (the same path on each machine), so that any worker
can resume any step.

Secrets never go through Redis: a queued step names its job file and step, and each worker
reads the accounts, with their tokens, from its own config and environment.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import socket
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit, urlunsplit

import anyio
from arq import create_pool
from arq.connections import ArqRedis, RedisSettings
from arq.constants import in_progress_key_prefix
from arq.worker import Retry, Worker, func
from redis.exceptions import RedisError

from bulkimport.config import NamedAccount
from bulkimport.errors import BulkImportError, ConfigError
from bulkimport.jobs.jobfile import JobPlan, load_job
from bulkimport.jobs.lock import JobAlreadyRunning
from bulkimport.jobs.runner import (
    StepResult,
    StepState,
    account_key,
    account_limiter,
    run_step,
    summary_json,
    write_json,
)
from bulkimport.limiter import CallRateLimiter

QUEUE: Final = "bulkimport:queue"
STEP_FUNCTION: Final = "run_queued_step"
LEASE_PREFIX: Final = "bulkimport:lease:"
RUN_PREFIX: Final = "bulkimport:run:"
ACTIVE_PREFIX: Final = "bulkimport:active:"
ACTIVE_SECONDS: Final = 7 * 24 * 3600  # a run nobody finishes stops blocking a new one
STEP_TIMEOUT_S: Final = 7 * 24 * 3600  # arq's limit for one step; the lease is what matters
MAX_TRIES: Final = 100_000  # each wait for a busy account counts as a try in arq
RESULT_POLL_S: Final = 0.5
JOURNAL_BUSY: Final = "is in use by another bulkimport run"  # journal.py's refusal

# Renew or release only while the key still names this owner: a worker that stalled past
# its lease must not extend or delete the lease another worker took meanwhile.
_RENEW: Final = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE: Final = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('del', KEYS[1])
end
return 0
"""


@dataclass(frozen=True, slots=True)
class WorkerSettings:
    redis_url: str
    config: Path | None = None
    lease_seconds: float = 15.0
    max_steps: int = 10
    name: str | None = None
    poll_delay: float = 0.2


@dataclass(frozen=True, slots=True)
class RunShape:
    """What the queue keeps of a submitted run: enough to order its steps and close it without
    reading the job file again (it may have changed or gone by then)."""

    job: Path
    state_dir: Path
    started_at: datetime
    steps: tuple[tuple[str, str, tuple[str, ...]], ...]  # name, account, after

    @classmethod
    def of(cls, plan: JobPlan, started_at: datetime) -> RunShape:
        steps = tuple((step.name, step.account, step.after) for step in plan.steps)
        return cls(plan.path, plan.state_dir, started_at, steps)

    def as_json(self) -> str:
        return json.dumps(
            {
                "job": str(self.job),
                "state_dir": str(self.state_dir),
                "started_at": self.started_at.isoformat(),
                "steps": [[name, account, list(after)] for name, account, after in self.steps],
            }
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> RunShape:
        values = json.loads(text)
        steps = tuple((name, account, tuple(after)) for name, account, after in values["steps"])
        return cls(
            Path(values["job"]),
            Path(values["state_dir"]),
            datetime.fromisoformat(values["started_at"]),
            steps,
        )

    def account_of(self, name: str) -> str:
        return next((account for step, account, _ in self.steps if step == name), "")

    def dependents(self, name: str) -> list[tuple[str, str, tuple[str, ...]]]:
        return [step for step in self.steps if name in step[2]]


def _job_key(job: Path) -> str:
    return hashlib.sha256(str(job).encode()).hexdigest()[:16]


def _results_key(run_id: str) -> str:
    return f"{RUN_PREFIX}{run_id}:results"


class Lease:
    """One account's lease: held by one step on one worker at a time, for `seconds` unless
    renewed."""

    def __init__(self, account: str, owner: str, seconds: float) -> None:
        self.key = LEASE_PREFIX + account
        self.owner = owner
        self.milliseconds = max(1, int(seconds * 1000))

    async def acquire(self, redis: ArqRedis) -> bool:
        return bool(await redis.set(self.key, self.owner, nx=True, px=self.milliseconds))

    async def renew(self, redis: ArqRedis) -> bool:
        renewed = await redis.eval(_RENEW, 1, self.key, self.owner, str(self.milliseconds))  # type: ignore[misc]
        return bool(renewed)

    async def release(self, redis: ArqRedis) -> None:
        await redis.eval(_RELEASE, 1, self.key, self.owner)  # type: ignore[misc]


@dataclass(slots=True)
class WorkerState:
    """What a worker process keeps between steps: its accounts and one limiter per account."""

    settings: WorkerSettings
    accounts: Mapping[str, NamedAccount]
    name: str
    say: Callable[[str], None]
    limiters: dict[str, CallRateLimiter] = field(default_factory=dict)

    def limiter_for(self, account: NamedAccount) -> CallRateLimiter:
        """One per account in this process (created in the running loop, on first use)."""
        key = account_key(account)
        limiter = self.limiters.get(key)
        if limiter is None:
            limiter = self.limiters[key] = account_limiter(account)
        return limiter


# --- the step, as a worker runs it --------------------------------------------------------------
async def run_queued_step(ctx: dict[str, Any], job_path: str, run_id: str, step_name: str) -> str:
    """arq's job: run one step under its account's lease, record it, queue what comes after.

    Whatever ends the step (a bad or changed job file, no token on this worker, a fatal error,
    a bug) is recorded as its result, so the run always ends; only a busy account, a lost
    lease or a journal still held elsewhere send it back to the queue.
    """
    state: WorkerState = ctx["bulkimport"]
    redis: ArqRedis = ctx["redis"]
    job_id: str = ctx["job_id"]
    shape = RunShape.from_json(await redis.hget(f"{RUN_PREFIX}{run_id}", "shape"))  # type: ignore[misc]
    if await redis.hexists(_results_key(run_id), step_name):  # type: ignore[misc]
        await _queue_what_follows(redis, shape, run_id, step_name)  # a retry after a crash
        return "recorded earlier"
    try:
        plan = load_job(Path(job_path), state.accounts, need_secrets=False)
        step = plan.step(step_name)
        account = state.accounts[step.account]
        if not account.has_secrets:
            what = "REST application's values" if account.api == "rest" else "token"
            raise ConfigError(
                f"worker {state.name} has no {what} for account {step.account}"
                f" ({account.token_source})"
            )
    except BulkImportError as error:
        failed = StepResult(
            step_name, shape.account_of(step_name), StepState.FAILED, error=str(error)
        )
        await _record(redis, shape, run_id, replace(failed, worker=state.name))
        return failed.state.value
    lease = Lease(account_key(account), f"{state.name}/{job_id}", state.settings.lease_seconds)
    claim = in_progress_key_prefix + job_id
    # arq's claim on this job lasts the job timeout: cut it to the lease's span, renewed with
    # it, so that a killed worker's step is taken over when its lease runs out.
    await redis.pexpire(claim, lease.milliseconds)
    if not await lease.acquire(redis):
        raise Retry(defer=min(1.0, state.settings.lease_seconds / 3))
    stop = anyio.Event()
    try:
        async with anyio.create_task_group() as group:
            group.start_soon(_keep_alive, redis, lease, claim, stop, state)
            result = await run_step(
                plan,
                step,
                account,
                state.limiter_for(account),
                stop=stop,
                worker=state.name,
                say=state.say,
            )
            group.cancel_scope.cancel()
    except Exception as error:  # a bug: recorded, so that the run still ends (exit 2)
        result = StepResult(
            step.name,
            step.account,
            StepState.FAILED,
            error=f"internal error: {error!r}",
            worker=state.name,
        )
    finally:
        with anyio.CancelScope(shield=True):
            await lease.release(redis)
    if result.state is StepState.STOPPED:
        raise Retry(defer=0.5)  # the lease was lost: whoever holds it now, or a retry, goes on
    if result.state is StepState.FAILED and JOURNAL_BUSY in (result.error or ""):
        # A worker that stalled past its lease still holds the journal (a killed one holds
        # nothing: the kernel drops its file locks): try again once it has noticed and let go.
        raise Retry(defer=state.settings.lease_seconds)
    await _record(redis, shape, run_id, result)
    return result.state.value


async def _keep_alive(
    redis: ArqRedis, lease: Lease, claim: str, stop: anyio.Event, state: WorkerState
) -> None:
    """Renew the lease and arq's claim at a third of their span; a lost lease stops the step."""
    while True:
        await anyio.sleep(lease.milliseconds / 3000)
        await redis.pexpire(claim, lease.milliseconds)
        if not await lease.renew(redis):
            state.say(f"{state.name}: lost the lease {lease.key}; stopping the step")
            stop.set()
            return


async def _record(redis: ArqRedis, shape: RunShape, run_id: str, result: StepResult) -> None:
    await redis.hset(_results_key(run_id), result.name, json.dumps(result.as_json()))  # type: ignore[misc]
    await _queue_what_follows(redis, shape, run_id, result.name)


async def _queue_what_follows(redis: ArqRedis, shape: RunShape, run_id: str, name: str) -> None:
    """Queue each step after `name` whose steps before have all finished; a step that cannot
    start (one before it failed) is recorded blocked, and so on down the chain. The last
    record of a run writes its summary and frees the job for the next submit."""
    results = await _results(redis, run_id)
    for dependent, account, after in shape.dependents(name):
        if dependent in results or any(before not in results for before in after):
            continue
        unfinished = [before for before in after if not results[before].state.finished]
        if not unfinished:
            await redis.enqueue_job(
                STEP_FUNCTION,
                str(shape.job),
                run_id,
                dependent,
                _job_id=f"{run_id}:{dependent}",
                _queue_name=QUEUE,
            )
            continue
        blocked = StepResult(
            dependent,
            account,
            StepState.BLOCKED,
            error=f"not started: {', '.join(unfinished)} did not finish",
        )
        await _record(redis, shape, run_id, blocked)
    results = await _results(redis, run_id)
    if len(results) == len(shape.steps):
        await _finish(redis, shape, run_id, results)


async def _finish(
    redis: ArqRedis, shape: RunShape, run_id: str, results: Mapping[str, StepResult]
) -> None:
    ordered = [results[name] for name, _, _ in shape.steps]
    summary = shape.state_dir / "runs" / f"{run_id}.json"
    write_json(summary, summary_json(shape.job, ordered, shape.started_at, _now(), run_id=run_id))
    await redis.hset(f"{RUN_PREFIX}{run_id}", "summary", str(summary))  # type: ignore[misc]
    await redis.eval(_RELEASE, 1, ACTIVE_PREFIX + _job_key(shape.job), run_id)  # type: ignore[misc]


async def _results(redis: ArqRedis, run_id: str) -> dict[str, StepResult]:
    stored = await redis.hgetall(_results_key(run_id))  # type: ignore[misc]
    return {
        name.decode(): StepResult.from_json(json.loads(value)) for name, value in stored.items()
    }


def _now() -> datetime:
    return datetime.now(UTC)


# --- submit, wait --------------------------------------------------------------------------------
def shown_url(url: str) -> str:
    """The URL without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}"))


async def _connect(redis_url: str) -> ArqRedis:
    """A pool on the queue's Redis; an unreachable one is a fatal error that names it."""
    try:
        return await create_pool(RedisSettings.from_dsn(redis_url), default_queue_name=QUEUE)
    except (RedisError, OSError) as exc:
        raise ConfigError(f"cannot reach Redis at {shown_url(redis_url)}: {exc}") from exc


async def submit_job(redis_url: str, plan: JobPlan) -> str:
    """Queue the steps that wait for none; the others are queued as their turn comes.

    Raises:
        JobAlreadyRunning: a run of this job file is still on the queue.
    """
    redis = await _connect(redis_url)
    try:
        started = _now()
        run_id = f"{started:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"
        active = ACTIVE_PREFIX + _job_key(plan.path)
        if not await redis.set(active, run_id, nx=True, ex=ACTIVE_SECONDS):
            holder = await redis.get(active)
            shown = holder.decode() if isinstance(holder, bytes) else holder
            raise JobAlreadyRunning(f"job {plan.path} is already on the queue (run {shown})")
        shape = RunShape.of(plan, started)
        await redis.hset(f"{RUN_PREFIX}{run_id}", "shape", shape.as_json())  # type: ignore[misc]
        for step in plan.steps:
            if not step.after:
                await redis.enqueue_job(
                    STEP_FUNCTION,
                    str(plan.path),
                    run_id,
                    step.name,
                    _job_id=f"{run_id}:{step.name}",
                    _queue_name=QUEUE,
                )
    finally:
        await redis.aclose()
    return run_id


async def wait_for_run(
    redis_url: str, plan: JobPlan, run_id: str
) -> tuple[list[StepResult], Path | None]:
    """Every step's result once all are recorded, and the run's summary file."""
    redis = await _connect(redis_url)
    try:
        while True:
            results = await _results(redis, run_id)
            summary = await redis.hget(f"{RUN_PREFIX}{run_id}", "summary")  # type: ignore[misc]
            if len(results) == len(plan.steps) and summary:
                return [results[step.name] for step in plan.steps], Path(summary.decode())
            await anyio.sleep(RESULT_POLL_S)
    finally:
        await redis.aclose()


# --- the worker process --------------------------------------------------------------------------
def run_worker(
    settings: WorkerSettings, accounts: Mapping[str, NamedAccount], say: Callable[[str], None]
) -> None:
    """Take steps from the queue until SIGINT or SIGTERM (steps running then are run again)."""
    name = settings.name or f"{socket.gethostname()}:{os.getpid()}"
    state = WorkerState(settings, accounts, name, say)
    asyncio.run(_serve(settings, state))


async def _serve(settings: WorkerSettings, state: WorkerState) -> None:
    async def startup(ctx: dict[str, Any]) -> None:
        ctx["bulkimport"] = state
        state.say(f"worker {state.name} ready on {QUEUE} at {shown_url(settings.redis_url)}")

    worker = Worker(
        functions=[func(run_queued_step, name=STEP_FUNCTION, max_tries=MAX_TRIES)],
        queue_name=QUEUE,
        redis_settings=RedisSettings.from_dsn(settings.redis_url),
        on_startup=startup,
        job_timeout=STEP_TIMEOUT_S,
        max_jobs=settings.max_steps,
        poll_delay=settings.poll_delay,
        keep_result=3600,
        handle_signals=True,
    )
    try:
        await worker.async_run()
    except asyncio.CancelledError:
        pass  # SIGINT or SIGTERM: arq cancelled the steps, which will run again
    except (RedisError, OSError) as exc:
        raise ConfigError(f"cannot reach Redis at {shown_url(settings.redis_url)}: {exc}") from exc
    finally:
        with contextlib.suppress(RedisError, OSError):
            await worker.close()
