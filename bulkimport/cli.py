"""The command line: argument parsing, exit codes, and the only place that prints.

Exit codes: 0 every row ok and every column imported (or left out with --ignore-column),
1 some rows not ok or some columns not imported, 2 fatal (bad file, template, credentials,
settings), 130 interrupted (resumable when the run keeps a journal: run the same command again).
"""

from __future__ import annotations

import argparse
import functools
import getpass
import os
import signal
import sys
import traceback
from collections.abc import Awaitable, Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import anyio

from bulkimport import __version__
from bulkimport.config import (
    ENVIRONMENTS,
    MAX_CONCURRENCY,
    NMBRS_CALLS_PER_SECOND,
    Credentials,
    RetryPolicy,
)
from bulkimport.errors import BulkImportError
from bulkimport.model import RowStatus
from bulkimport.settings import DEFAULT_CONFIG, Setting, read_config_file, soap_settings

if TYPE_CHECKING:
    from bulkimport.job import ImportJob, ImportOutcome
    from bulkimport.nmbrs.rest.auth import ClientConfig
    from bulkimport.progress import ProgressObserver

EXIT_OK: Final = 0
EXIT_ROWS_FAILED: Final = 1
EXIT_FATAL: Final = 2
EXIT_INTERRUPTED: Final = 130

Handler = Callable[[argparse.Namespace], int]


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- logging options (run, resume) -------------------------------------------------------------
def add_logging_options(parser: argparse.ArgumentParser) -> None:
    """-v / -q, --log-format and --log-file, the same on every command that logs."""
    group = parser.add_argument_group("logging")
    loudness = group.add_mutually_exclusive_group()
    loudness.add_argument(
        "-v", "--verbose", action="store_true", help="log one line per row, tracebacks on errors"
    )
    loudness.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="on stderr only warnings and errors: no progress, no lines about the target",
    )
    group.add_argument(
        "--log-format",
        choices=("auto", "console", "json"),
        default="auto",
        help="console: readable; json: one object per line; auto (default): json when stderr "
        "is not a terminal",
    )
    group.add_argument(
        "--log-file",
        type=Path,
        metavar="PATH",
        help="also append JSON lines to this file, one per row whatever -v or -q say",
    )


def configure_logging_from(args: argparse.Namespace) -> None:
    """Logging as `add_logging_options` asked; personal data stays redacted in every format."""
    from bulkimport.logs import configure_logging

    configure_logging(
        level="info" if args.verbose else "warning",
        json={"auto": None, "console": False, "json": True}[args.log_format],
        tracebacks=args.verbose,
        log_file=args.log_file,
    )


def _say_unless_quiet(message: str) -> None:
    """-q: the start lines stay out, their warnings not."""
    if message.startswith("warning"):
        _say(message)


# --- run ---------------------------------------------------------------------------------------
def _add_run(parser: argparse.ArgumentParser) -> Handler:
    parser.add_argument(
        "file", type=Path, nargs="?", help="the CSV or XLSX file to import (with --plan: its own)"
    )
    parser.add_argument("--template", help="template name or .toml path (required without --plan)")
    parser.add_argument(
        "--company",
        type=company_argument,
        help="the company (required without --plan): its id in the API used (a number on SOAP, "
        "a UUID on REST), its company number (REST) or its exact name",
    )
    parser.add_argument(
        "--plan",
        type=Path,
        metavar="PLANFILE",
        help="apply exactly this plan (bulkimport plan): no-change rows are not sent, rows whose "
        "target changed since are refused",
    )
    parser.add_argument(
        "--yes",
        action="store_true",
        help="go on without asking: a real Nmbrs host, risky changes in the plan",
    )
    add_api_options(parser, default=None)  # with --plan: the plan's API
    target = parser.add_argument_group("target (without credentials: the built-in emulator)")
    target.add_argument("--endpoint", help="base URL of the SOAP services, e.g. .../soap/v3/")
    target.add_argument("--environment", choices=sorted(ENVIRONMENTS), help="Nmbrs environment")
    target.add_argument(
        "--emulator",
        action="store_true",
        help="use the built-in emulator on purpose, also when credentials are set",
    )
    target.add_argument("--config", type=Path, help=f"config file (default {DEFAULT_CONFIG})")
    target.add_argument(
        "--token-stdin", action="store_true", help="read the API token from standard input"
    )
    target.add_argument(
        "--insecure", action="store_true", help="allow a plain-http endpoint off this machine"
    )
    pace = parser.add_argument_group("pace")
    pace.add_argument(
        "--rate",
        type=float,
        default=NMBRS_CALLS_PER_SECOND,
        help=f"calls per second at most, 1 to {NMBRS_CALLS_PER_SECOND} (lower it when other tools "
        "share the account)",
    )
    pace.add_argument(
        "--concurrency", type=int, default=100, help=f"calls in flight, 1 to {MAX_CONCURRENCY}"
    )
    pace.add_argument("--timeout", type=float, default=30.0, help="seconds per call (> 0)")
    pace.add_argument("--max-attempts", type=int, default=6, help="attempts per call (>= 1)")
    output = parser.add_argument_group("output")
    output.add_argument("--report", type=Path, help="report path without suffix")
    output.add_argument("--failed", type=Path, help="where to write the rows that failed")
    output.add_argument("--journal", type=Path, help="run journal (default beside the report)")
    output.add_argument(
        "--no-journal",
        action="store_true",
        help="keep no journal: an interrupted run then cannot be resumed",
    )
    output.add_argument(
        "--no-xlsx",
        action="store_true",
        help="write the CSV report only (the XLSX report costs time on huge files)",
    )
    parser.add_argument("--sheet", help="worksheet to read (default: the active one)")
    parser.add_argument(
        "--include-hidden-rows", action="store_true", help="import rows hidden in a workbook"
    )
    parser.add_argument(
        "--ignore-column",
        action="append",
        default=[],
        metavar="NAME",
        help="a column to leave out knowingly (repeatable)",
    )
    parser.add_argument(
        "--allow-past-periods",
        action="store_true",
        help="send changes dated before the company's current period (UnprotectedMode)",
    )
    parser.add_argument("--dry-run", action="store_true", help="validate and build, send nothing")
    parser.add_argument(
        "--retry-failed", action="store_true", help="send again the rows that did not succeed"
    )
    parser.add_argument("--seed", type=int, help="seed for retry jitter (reproducible runs)")
    add_logging_options(parser)
    return _run


def add_api_options(parser: argparse.ArgumentParser, default: str | None = "soap") -> None:
    """--api and --profile, as run, plan and validate take them."""
    parser.add_argument(
        "--api",
        choices=("soap", "rest"),
        default=default,
        help="Nmbrs' SOAP API (default) or its REST API (sign in once with `bulkimport login`)",
    )
    parser.add_argument("--profile", default="default", help="REST: the stored login to use")


def _credentials(args: argparse.Namespace) -> Credentials | None:
    """From NMBRS_* variables, else the config file; never from a plain flag."""
    settings = _soap_settings(args)
    username, token, domain = (settings[name].value for name in ("username", "token", "domain"))
    if args.token_stdin:
        token = sys.stdin.readline().strip() if not sys.stdin.isatty() else getpass.getpass()
    args.endpoint = settings["endpoint"].value or None
    args.environment = settings["environment"].value or None
    if not username or not token:
        return None
    from bulkimport.logs import register_secret

    register_secret(token)
    return Credentials(username, token, domain)


def company_argument(text: str) -> int | str:
    """A SOAP company id is a number; anything else is resolved against the company list."""
    return int(text) if text.strip().isdigit() else text.strip()


def rest_client(args: argparse.Namespace) -> ClientConfig | None:
    """REST runs against Nmbrs need the application's values; the emulator's are built in."""
    if args.api != "rest" or not (args.endpoint or args.environment):
        return None
    from bulkimport.nmbrs.rest.login import load_client_config
    from bulkimport.nmbrs.rest.session import rest_api_url

    rest_api_url(args.endpoint, args.environment)  # no sandbox: said before any credentials

    return load_client_config(args.config)


def _soap_settings(args: argparse.Namespace) -> dict[str, Setting]:
    return soap_settings(
        read_config_file(args.config),
        os.environ,
        endpoint_flag=args.endpoint,
        environment_flag=args.environment,
        emulator=args.emulator,
    )


def job_from_args(
    args: argparse.Namespace, credentials: Credentials | None, **options: Any
) -> ImportJob:
    """The job that `run`, `plan` and `validate` share: input, template, company and target
    from their common options; `options` adds or replaces the command's own."""
    from bulkimport.job import ImportJob

    common: dict[str, Any] = {
        "input_path": args.file,
        "template": args.template,
        "company_id": args.company,
        "api": args.api,
        "profile": args.profile,
        # Asked for only when the command does not say: it refuses REST without its values.
        "rest_client": options.pop("rest_client")
        if "rest_client" in options
        else rest_client(args),
        "endpoint": args.endpoint,
        "environment": args.environment,
        "emulator": args.emulator,
        "credentials": credentials,
        "sheet": args.sheet,
        "insecure": args.insecure,
        "allow_past_periods": args.allow_past_periods,
        "ignore_columns": tuple(args.ignore_column),
        "include_hidden_rows": args.include_hidden_rows,
    }
    return ImportJob(**{**common, **options})


def _run(args: argparse.Namespace) -> int:
    # Imported here so that `bulkimport emulator` and `templates` start without the engine.
    from bulkimport.plan_command import confirm_risky, confirm_run, take_plan

    configure_logging_from(args)
    risky = take_plan(args)
    args.api = args.api or "soap"
    credentials = _credentials(args)  # may also take endpoint/environment from the file
    job = job_from_args(
        args,
        credentials,
        rate=args.rate,
        concurrency=args.concurrency,
        timeout=args.timeout,
        retry=RetryPolicy(max_attempts=args.max_attempts),
        report_base=args.report,
        failed_path=args.failed,
        journal_path=args.journal,
        keep_journal=not args.no_journal,
        xlsx_report=not args.no_xlsx,
        dry_run=args.dry_run,
        retry_failed=args.retry_failed,
        seed=args.seed,
        plan_path=args.plan,
    )
    if args.dry_run:
        return _execute(args, job)
    confirm_run(args, job, risky)
    # Without a plan the risky changes are known once the run has read the before values.
    asks = None if args.plan else functools.partial(confirm_risky, args.yes)
    return _execute(args, job, asks)


def _execute(
    args: argparse.Namespace,
    job: ImportJob,
    confirm_risky: Callable[[Sequence[str]], Awaitable[None]] | None = None,
) -> int:
    from bulkimport.progress import progress_for_stderr

    journals: list[Path] = []  # the run's journal, once one is open: only then can it resume
    announce = _say_unless_quiet if args.quiet else _say
    progress = None if args.quiet else progress_for_stderr()
    try:
        outcome = anyio.run(_run_with_signals, job, journals, announce, progress, confirm_risky)
    finally:
        if progress is not None:
            progress.close()  # before the summary: a live display would redraw over it
    if outcome is None:
        return EXIT_INTERRUPTED
    return _finish(args, outcome)


def _how_to_go_on(journal: Path | None) -> str:
    """Promise a resume only when there is a journal to resume from."""
    if journal is not None:
        return f"run the same command again to resume (journal: {journal})"
    return (
        "this run kept no journal (--no-journal, a dry run or the built-in emulator), so it"
        " cannot be resumed: the report tells which rows went in"
    )


async def _run_with_signals(
    job: ImportJob,
    journals: list[Path],
    announce: Callable[[str], None] = _say,
    progress: ProgressObserver | None = None,
    confirm_risky: Callable[[Sequence[str]], Awaitable[None]] | None = None,
) -> ImportOutcome | None:
    """First Ctrl-C or SIGTERM: finish calls in flight and write the report. Second: stop now.

    `journals` receives the run's journal file once it is open. Stopping at once cancels the
    run (None) instead of raising KeyboardInterrupt in a task, which asyncio would log with a
    traceback while shutting down.
    """
    from bulkimport.job import run_job

    stop = anyio.Event()
    outcome: ImportOutcome | None = None
    async with anyio.create_task_group() as group:

        async def watch_signals() -> None:
            with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
                async for _ in signals:
                    if stop.is_set():
                        _say(f"stopped at once; {_how_to_go_on(journals[0] if journals else None)}")
                        group.cancel_scope.cancel()
                        return
                    _say("stopping: finishing calls in flight (Ctrl-C again to stop at once)")
                    stop.set()

        group.start_soon(watch_signals)
        outcome = await run_job(
            job,
            on_start=announce,
            on_warning=_warn,
            on_journal=journals.append,
            stop=stop,
            progress=progress,
            confirm_risky=confirm_risky,
        )
        group.cancel_scope.cancel()
    return outcome


def _warn(warning: str) -> None:
    """Warnings about the file come as they are found: most before the first call is sent."""
    _say(f"warning: {warning}")


def _finish(args: argparse.Namespace, outcome: ImportOutcome) -> int:
    from bulkimport.notable import format_rows_not_ok
    from bulkimport.report import format_summary

    if outcome.resumed:
        _say("resumed an earlier run of this file: rows already done were not sent again")
    print(format_summary(outcome.summary))
    if outcome.rows_not_ok:
        print(format_rows_not_ok(outcome.rows_not_ok, outcome.more_rows_not_ok))
    if outcome.dropped_columns:
        print(
            "columns not imported: "
            + ", ".join(map(repr, outcome.dropped_columns))
            + " (name each with --ignore-column to leave it out knowingly)"
        )
    for path in outcome.report_paths:
        print(f"report: {path}")
    if outcome.failed_path is not None:
        print(f"rows to correct and feed back: {outcome.failed_path}")
    if outcome.partial_rows:
        print(
            f"{outcome.partial_rows} row(s) were applied in part and are not in the failed-rows "
            "file (feeding them back would create them twice): see the report"
        )
    if outcome.journal_path is not None:
        print(f"journal: {outcome.journal_path}")
    for path in outcome.undo_paths:
        print(f"undo: {path}")
    if outcome.receipt_path is not None:
        print(f"receipt: {outcome.receipt_path}")
    if outcome.stopped_early:
        print(f"the run was stopped before the end; {_how_to_go_on(outcome.journal_path)}")
        return EXIT_INTERRUPTED
    counts = outcome.summary.counts
    not_ok = sum(
        count
        for status, count in counts.items()
        if status is not RowStatus.OK and not (args.dry_run and status is RowStatus.SKIPPED)
    )
    return EXIT_ROWS_FAILED if not_ok or outcome.dropped_columns else EXIT_OK


# --- resume ------------------------------------------------------------------------------------
def _add_resume(parser: argparse.ArgumentParser) -> Handler:
    parser.add_argument("journal", type=Path, help="the journal of the run to resume")
    parser.add_argument("--config", type=Path, help=f"config file (default {DEFAULT_CONFIG})")
    parser.add_argument(
        "--token-stdin", action="store_true", help="read the API token from standard input"
    )
    parser.add_argument(
        "--retry-failed", action="store_true", help="send again the rows that did not succeed"
    )
    add_logging_options(parser)
    parser.set_defaults(endpoint=None, environment=None, emulator=False, dry_run=False)
    return _resume


def _resume(args: argparse.Namespace) -> int:
    from bulkimport.job import job_from_journal

    configure_logging_from(args)
    job = job_from_journal(args.journal, _credentials(args), retry_failed=args.retry_failed)
    if job.api == "rest" and (job.endpoint or job.environment):
        from dataclasses import replace

        from bulkimport.nmbrs.rest.login import load_client_config

        job = replace(job, rest_client=load_client_config(args.config))
    return _execute(args, job)


# --- drill and bench -----------------------------------------------------------------------------
def _add_drill(parser: argparse.ArgumentParser) -> Handler:
    from bulkimport.drill import DrillSettings

    defaults = DrillSettings()
    parser.add_argument("--rows", type=int, default=defaults.rows, help="new hires to import")
    parser.add_argument("--kills", type=int, default=defaults.kills, help="SIGKILLs to survive")
    parser.add_argument("--seed", type=int, default=defaults.seed, help="seed of data and faults")
    parser.add_argument("--workdir", type=Path, help="keep the files here (default: a temp dir)")
    parser.add_argument("--api", choices=("soap", "rest"), default="soap", help="the API drilled")
    return _drill


def _drill(args: argparse.Namespace) -> int:
    from bulkimport.drill import DrillSettings, format_drill, run_drill

    settings = DrillSettings(
        rows=args.rows, kills=args.kills, seed=args.seed, workdir=args.workdir, api=args.api
    )
    result = run_drill(settings, say=_say)
    print(format_drill(result, settings))
    return EXIT_OK if result.passed else EXIT_ROWS_FAILED


def _add_bench(parser: argparse.ArgumentParser) -> Handler:
    from bulkimport.bench import BenchSettings

    defaults = BenchSettings()
    for name in ("capped_rows", "uncapped_rows", "uncapped_repeats", "csv_rows", "csv_small_rows",
                 "xlsx_rows", "new_hire_rows", "zeep_rows", "accounts", "account_rows",
                 "rest_rows"):  # fmt: skip
        parser.add_argument(
            f"--{name.replace('_', '-')}", type=int, default=getattr(defaults, name)
        )
    parser.add_argument(
        "--scenarios",
        type=_scenario_list,
        default=defaults.scenarios,
        metavar="NAME[,NAME...]",
        help="run only these (default: all): " + ", ".join(defaults.scenarios),
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument(
        "--api",
        choices=("soap", "rest"),
        default="soap",
        help="rest: new hires over REST against the emulator's hidden limit (scenario rest)",
    )
    return _bench


def _scenario_list(value: str) -> tuple[str, ...]:
    return tuple(name.strip() for name in value.split(",") if name.strip())


def _bench(args: argparse.Namespace) -> int:
    from bulkimport.bench import (
        REST_SCENARIOS,
        BenchSettings,
        figures_json,
        format_table,
        run_bench,
    )

    settings = BenchSettings(
        capped_rows=args.capped_rows,
        uncapped_rows=args.uncapped_rows,
        uncapped_repeats=args.uncapped_repeats,
        csv_rows=args.csv_rows,
        csv_small_rows=args.csv_small_rows,
        xlsx_rows=args.xlsx_rows,
        new_hire_rows=args.new_hire_rows,
        zeep_rows=args.zeep_rows,
        accounts=args.accounts,
        account_rows=args.account_rows,
        rest_rows=args.rest_rows,
        scenarios=REST_SCENARIOS if args.api == "rest" else args.scenarios,
    )
    figures = run_bench(settings, say=_say)
    print(format_table(figures))
    line = figures_json(figures)
    if args.json is not None:
        args.json.write_text(line + "\n", encoding="utf-8")
    print(line)
    return EXIT_OK


# --- commands ----------------------------------------------------------------------------------
def _register_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Each command adds its own arguments and returns its handler."""
    from bulkimport import (
        plan_command,
        settings_command,
        templates_command,
        validate_command,
        workbook_command,
    )
    from bulkimport.emulator import command as emulator_command
    from bulkimport.jobs import command as jobs_command
    from bulkimport.nmbrs.rest import command as rest_command

    commands: list[tuple[str, str, Callable[[argparse.ArgumentParser], Handler]]] = [
        ("run", "import a CSV or XLSX file into Nmbrs through a template", _add_run),
        ("plan", "show what a run would change, row by row, and write a plan", plan_command.add),
        ("resume", "resume an interrupted run from its journal", _add_resume),
        (
            "validate",
            "check a file as run would before its first write, and send nothing",
            validate_command.add,
        ),
        ("templates", "list the templates and their columns", templates_command.add),
        ("template", "write a blank XLSX or CSV to fill in for a template", workbook_command.add),
        ("emulator", "run the local Nmbrs SOAP emulator in the foreground", emulator_command.add),
        (
            "drill",
            "chaos drill: faults, SIGKILLs, then check nothing is lost or doubled",
            _add_drill,
        ),
        ("bench", "benchmark: the cap, the engine's cost, streaming, and zeep", _add_bench),
        ("login", "sign in to Nmbrs' REST API once and store the login", rest_command.add_login),
        ("logout", "revoke and forget a stored REST login", rest_command.add_logout),
        ("config", "show the effective settings and where each came from", settings_command.add),
        (
            "job",
            "run, submit or show a job file: several imports on named accounts",
            jobs_command.add,
        ),
        ("worker", "run job steps from the Redis queue (arq)", jobs_command.add_worker),
    ]
    for name, help_text, add in commands:
        parser = subparsers.add_parser(name, help=help_text, description=help_text)
        parser.set_defaults(handler=add(parser))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bulkimport",
        description="Bulk employee imports into Nmbrs, at the rate limit, with per-row reports.",
    )
    parser.add_argument("--version", action="version", version=f"bulkimport {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _register_commands(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    verbose = False
    try:
        args = build_parser().parse_args(argv)
        verbose = getattr(args, "verbose", False)
        handler: Handler = args.handler
        return handler(args)
    except SystemExit:
        raise
    except BaseException as error:  # whatever it is, the user gets one line
        return _exit_on(error, verbose=verbose)


def _exit_on(error: BaseException, *, verbose: bool) -> int:
    """One line naming the root cause, and the documented exit code; never a traceback."""
    cause = root_cause(error)
    if isinstance(cause, BrokenPipeError):
        # The reader went away (`bulkimport templates | head`): not an error worth a line.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    if isinstance(cause, KeyboardInterrupt):
        _say("interrupted")
        return EXIT_INTERRUPTED
    if isinstance(cause, BulkImportError):
        # Also a row or transport error that escaped the pipeline: it stopped the whole run.
        _say(f"error: {cause}")
    elif isinstance(cause, OSError):
        where = f": {cause.filename}" if cause.filename else ""
        _say(f"error: {cause.strerror or cause}{where}")
    else:
        hint = "" if verbose else " (run again with -v to see where)"
        _say(
            f"internal error: {type(cause).__name__}: {cause}. This is a bug in bulkimport; "
            f"please report it{hint}"
        )
        if verbose:
            traceback.print_exception(error, file=sys.stderr)
    return EXIT_FATAL


def root_cause(error: BaseException) -> BaseException:
    """The error an exception group stands for (anyio's task groups wrap what a task raised).

    With several, the one that decides the exit code wins: an interrupt, then an error of ours,
    then anything else.
    """
    leaves = list(_leaves(error))
    for kind in (KeyboardInterrupt, BulkImportError, OSError):
        for leaf in leaves:
            if isinstance(leaf, kind):
                return leaf
    return leaves[0]


def _leaves(error: BaseException) -> Iterator[BaseException]:
    if isinstance(error, BaseExceptionGroup):
        for inner in error.exceptions:
            yield from _leaves(inner)
    else:
        yield error
