"""`bulkimport job run|status|submit` and `bulkimport worker`: the job commands' shell.

Exit codes a scheduler can act on: 0 every step ok, 1 some rows not ok, 2 fatal (a bad job
file, a step that failed or could not start), 3 the job is already running, 130 interrupted
(run the same command again to resume).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import anyio

from bulkimport.cli import add_logging_options, configure_logging_from
from bulkimport.jobs.runner import EXIT_ALREADY_RUNNING, EXIT_OK
from bulkimport.settings import DEFAULT_CONFIG, read_config_file

if TYPE_CHECKING:
    from bulkimport.config import NamedAccount
    from bulkimport.jobs.jobfile import JobPlan
    from bulkimport.jobs.runner import JobRun, StepResult

DEFAULT_REDIS = "redis://127.0.0.1:6379"

Handler = Callable[[argparse.Namespace], int]


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def add(parser: argparse.ArgumentParser) -> Handler:
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    run = actions.add_parser(
        "run",
        help="run a job file's steps here: independent ones side by side, the rest in order",
        description="Run a job file's steps in this process: independent steps side by side, "
        "dependent ones in order; one rate limiter per account. Running it again resumes it. "
        "Exit codes: 0 ok, 1 some rows not ok, 2 fatal, 3 already running, 130 interrupted.",
    )
    _job_arguments(run)
    run.add_argument(
        "--retry-failed",
        action="store_true",
        help="run again the finished steps with rows not ok, sending those rows again",
    )
    add_logging_options(run)
    run.set_defaults(job_handler=_run)
    status = actions.add_parser(
        "status", help="where each step of a job stands", description="Where each step stands."
    )
    _job_arguments(status)
    status.add_argument("--json", action="store_true", help="print it as JSON")
    status.set_defaults(job_handler=_status)
    submit = actions.add_parser(
        "submit",
        help="put a job's steps on the Redis queue for `bulkimport worker`s",
        description="Put a job's steps on the arq queue in Redis; workers run them. The job "
        "folder (inputs, state) must be on a path every worker reaches. --wait waits for the "
        "end and exits like `job run`; 3 if a run of this job is still on the queue.",
    )
    _job_arguments(submit)
    _redis_argument(submit)
    submit.add_argument("--wait", action="store_true", help="wait for every step and report")
    submit.set_defaults(job_handler=_submit)
    return lambda args: int(args.job_handler(args))


def add_worker(parser: argparse.ArgumentParser) -> Handler:
    parser.add_argument("--config", type=Path, help=f"config file (default {DEFAULT_CONFIG})")
    _redis_argument(parser)
    parser.add_argument(
        "--lease-seconds",
        type=float,
        default=15.0,
        help="an account's lease lasts this long unless renewed (a killed worker's steps "
        "are taken over after it)",
    )
    parser.add_argument(
        "--max-steps", type=int, default=10, help="steps this worker runs at once (any accounts)"
    )
    parser.add_argument("--name", help="this worker's name in results (default host:pid)")
    add_logging_options(parser)
    return _worker


def _job_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("job", type=Path, help="the job file (job.toml)")
    parser.add_argument(
        "--config", type=Path, help=f"config file with the [accounts.*] (default {DEFAULT_CONFIG})"
    )


def _redis_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--redis",
        default=os.environ.get("BULKIMPORT_REDIS", DEFAULT_REDIS),
        help=f"Redis URL (default $BULKIMPORT_REDIS or {DEFAULT_REDIS})",
    )


def read_accounts(config: Path | None) -> dict[str, NamedAccount]:
    """The config file's named accounts, their secrets from the environment or the keyring."""
    from bulkimport.logs import register_secret
    from bulkimport.settings import named_accounts

    accounts = named_accounts(read_config_file(config), os.environ)
    for account in accounts.values():
        if account.credentials is not None:
            register_secret(account.credentials.token)
        if account.rest_application is not None:
            register_secret(account.rest_application.client_secret)
            register_secret(account.rest_application.subscription_key)
    return accounts


# --- run, status ---------------------------------------------------------------------------------
def _run(args: argparse.Namespace) -> int:
    from bulkimport.jobs.jobfile import load_job
    from bulkimport.jobs.lock import JobAlreadyRunning, job_lock
    from bulkimport.jobs.runner import write_run_summary

    configure_logging_from(args)
    accounts = read_accounts(args.config)
    plan = load_job(args.job, accounts)
    try:
        with job_lock(plan.path):
            run = anyio.run(_run_with_signals, plan, accounts, args.retry_failed)
            summary = write_run_summary(run)
    except JobAlreadyRunning as error:
        _say(f"error: {error}")
        return EXIT_ALREADY_RUNNING
    print(format_results(run.results))
    print(f"summary: {summary}")
    return run.exit_code


async def _run_with_signals(
    plan: JobPlan, accounts: dict[str, NamedAccount], retry_failed: bool
) -> JobRun:
    """First Ctrl-C or SIGTERM: every step finishes its calls in flight. Second: stop now."""
    from bulkimport.jobs.runner import run_plan

    stop = anyio.Event()
    async with anyio.create_task_group() as group:

        async def watch_signals() -> None:
            with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
                async for _ in signals:
                    if stop.is_set():
                        _say("stopped at once; run the same command again to resume")
                        group.cancel_scope.cancel()
                        return
                    _say("stopping: every step finishes its calls in flight (again: at once)")
                    stop.set()

        group.start_soon(watch_signals)
        run = await run_plan(plan, accounts, stop=stop, retry_failed=retry_failed, say=_say)
        group.cancel_scope.cancel()
    return run


def format_results(results: tuple[StepResult, ...] | list[StepResult]) -> str:
    """One line per step: its state, its rows by status, its calls; why, when it did not run."""
    width = max(len(result.name) for result in results)
    lines = []
    for result in results:
        counts = ", ".join(f"{count} {status}" for status, count in result.counts.items())
        parts = [f"{result.name:<{width}}  {result.state.value}"]
        if result.earlier:
            parts.append("(finished by an earlier run)")
        if counts:
            parts.append(f"{result.rows} rows: {counts}; {result.calls} calls")
        if result.error:
            parts.append(result.error)
        lines.append("  ".join(parts))
    return "\n".join(lines)


def _status(args: argparse.Namespace) -> int:
    import json

    from bulkimport.jobs.jobfile import load_job
    from bulkimport.jobs.status import format_status, job_status

    plan = load_job(args.job, read_accounts(args.config), need_secrets=False)
    status = job_status(plan)
    print(json.dumps(status.as_json(), indent=2) if args.json else format_status(status))
    return EXIT_OK


# --- submit, worker ------------------------------------------------------------------------------
def _submit(args: argparse.Namespace) -> int:
    from bulkimport.jobs.jobfile import load_job
    from bulkimport.jobs.lock import JobAlreadyRunning
    from bulkimport.jobs.worker import submit_job, wait_for_run

    plan = load_job(args.job, read_accounts(args.config), need_secrets=False)
    try:
        run_id = anyio.run(submit_job, args.redis, plan)
    except JobAlreadyRunning as error:
        _say(f"error: {error}")
        return EXIT_ALREADY_RUNNING
    print(f"submitted run {run_id} of {plan.path} ({len(plan.steps)} steps)")
    if not args.wait:
        return EXIT_OK
    results, summary = anyio.run(wait_for_run, args.redis, plan, run_id)
    print(format_results(results))
    print(f"summary: {summary}")
    from bulkimport.jobs.runner import exit_code_of

    return exit_code_of(results)


def _worker(args: argparse.Namespace) -> int:
    from bulkimport.jobs.worker import WorkerSettings, run_worker

    configure_logging_from(args)
    settings = WorkerSettings(
        redis_url=args.redis,
        config=args.config,
        lease_seconds=args.lease_seconds,
        max_steps=args.max_steps,
        name=args.name,
    )
    run_worker(settings, read_accounts(args.config), say=_say)
    return EXIT_OK
