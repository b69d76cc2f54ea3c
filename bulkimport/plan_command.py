"""`bulkimport plan FILE --template NAME --company ID`: what a run would change, row by row.

Reads the target (never writes), prints the counts and the riskiest changes, and writes the
plan file (CSV and XLSX) that `bulkimport run --plan PLANFILE` applies exactly.
"""

from __future__ import annotations

import argparse
import functools
from collections.abc import Callable, Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING

import anyio

from bulkimport.config import ENVIRONMENTS, NMBRS_CALLS_PER_SECOND, RetryPolicy
from bulkimport.errors import ConfigError

if TYPE_CHECKING:
    from bulkimport.job import ImportJob

__all__ = ["add", "confirm_risky", "confirm_run", "take_plan"]


def _percentage(text: str) -> Decimal:
    try:
        value = Decimal(text.rstrip("%"))
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"{text!r} is not a percentage") from None
    if not value.is_finite() or value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a percentage of 0 or more")
    return value


def add(parser: argparse.ArgumentParser) -> Callable[[argparse.Namespace], int]:
    from bulkimport.cli import add_api_options, add_logging_options, company_argument

    parser.add_argument("file", type=Path, help="the CSV or XLSX file a run would import")
    parser.add_argument("--template", required=True, help="template name or .toml path")
    parser.add_argument(
        "--company",
        type=company_argument,
        required=True,
        help="the company: its id (a UUID on REST), its company number (REST) or exact name",
    )
    add_api_options(parser)
    target = parser.add_argument_group("target (without credentials: the built-in emulator)")
    target.add_argument("--endpoint", help="base URL of the SOAP services, e.g. .../soap/v3/")
    target.add_argument("--environment", choices=sorted(ENVIRONMENTS), help="Nmbrs environment")
    target.add_argument("--emulator", action="store_true", help="the built-in emulator on purpose")
    target.add_argument("--config", type=Path, help="config file")
    target.add_argument(
        "--token-stdin", action="store_true", help="read the API token from standard input"
    )
    target.add_argument(
        "--insecure", action="store_true", help="allow a plain-http endpoint off this machine"
    )
    parser.add_argument(
        "--rate", type=float, default=NMBRS_CALLS_PER_SECOND, help="reads per second at most"
    )
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per call (> 0)")
    parser.add_argument("--max-attempts", type=int, default=6, help="attempts per read (>= 1)")
    parser.add_argument("--sheet", help="worksheet to read (default: the active one)")
    parser.add_argument(
        "--include-hidden-rows", action="store_true", help="plan rows hidden in a workbook"
    )
    parser.add_argument(
        "--ignore-column",
        action="append",
        default=[],
        metavar="NAME",
        help="leave out (repeatable)",
    )
    parser.add_argument(
        "--allow-past-periods",
        action="store_true",
        help="plan changes dated before the company's current period",
    )
    parser.add_argument(
        "--output", type=Path, help="the plan's CSV (default FILE.plan.csv; the XLSX beside it)"
    )
    parser.add_argument(
        "--salary-threshold",
        type=_percentage,
        default=Decimal(20),
        metavar="PERCENT",
        help="a salary change above this share is risky (default 20)",
    )
    add_logging_options(parser)
    return _plan


def _plan(args: argparse.Namespace) -> int:
    from bulkimport.cli import (
        EXIT_OK,
        EXIT_ROWS_FAILED,
        _credentials,
        _say,
        configure_logging_from,
        job_from_args,
    )
    from bulkimport.plan import PlanAction, RiskPolicy, format_plan_summary
    from bulkimport.planning import make_plan

    configure_logging_from(args)
    credentials = _credentials(args)
    job = job_from_args(
        args,
        credentials,
        rate=args.rate,
        timeout=args.timeout,
        retry=RetryPolicy(max_attempts=args.max_attempts),
    )
    from bulkimport.validation import validate_job

    validate_job(job)
    announce = (lambda message: None) if args.quiet else _say
    outcome = anyio.run(
        functools.partial(
            make_plan,
            job,
            policy=RiskPolicy(args.salary_threshold / 100),
            output=args.output,
            on_start=announce,
            on_warning=lambda warning: _say(f"warning: {warning}"),
        )
    )
    print(format_plan_summary(outcome.rows))
    print(f"reads: {outcome.calls} (nothing was changed)")
    for path in outcome.paths:
        print(f"plan: {path}")
    print(f"apply it with: bulkimport run --plan {outcome.paths[0]}")
    refused = any(row.action is PlanAction.REFUSED for row in outcome.rows)
    return EXIT_ROWS_FAILED if refused else EXIT_OK


# --- run --plan, --yes: used by `bulkimport run` ------------------------------------------------
def take_plan(args: argparse.Namespace) -> list[str]:
    """With --plan: the file, template, company and reading options from the plan (those
    given on the command line win); returns its risky rows."""
    if args.plan is None:
        if args.file is None or args.template is None or args.company is None:
            raise ConfigError("run needs FILE, --template and --company, or --plan PLANFILE")
        return []
    from bulkimport.plan import risky_rows
    from bulkimport.planfile import read_plan

    header, rows = read_plan(args.plan)
    args.file = args.file or Path(header.input_path)
    args.template = args.template or header.template
    args.company = header.company_id if args.company is None else args.company
    args.api = args.api or str(header.options.get("api") or "soap")
    options = header.options
    args.sheet = args.sheet or options.get("sheet")
    ignored = options.get("ignore_columns")
    if not args.ignore_column and isinstance(ignored, list):
        args.ignore_column = [str(name) for name in ignored]
    args.include_hidden_rows = args.include_hidden_rows or bool(options.get("include_hidden_rows"))
    args.allow_past_periods = args.allow_past_periods or bool(options.get("allow_past_periods"))
    return risky_rows(rows.values())


def confirm_run(args: argparse.Namespace, job: ImportJob, risky: list[str]) -> None:
    """A real Nmbrs host and a plan's risky changes each need --yes or a yes on a terminal.

    Asked once the settings are known to be possible, so a wrong one is named first.
    """
    from bulkimport.confirm import confirm, is_real_target
    from bulkimport.nmbrs.soap.transport import check_endpoint
    from bulkimport.validation import validate_job

    validate_job(job)
    if job.endpoint:
        check_endpoint(job.endpoint, insecure=job.insecure)
    if not args.emulator and is_real_target(args.endpoint, args.environment):
        where = args.endpoint or f"the {args.environment} environment"
        confirm(
            f"this run changes payroll data in Nmbrs ({where}, company {args.company})",
            assume_yes=args.yes,
        )
    if risky:
        _list_risky(risky)
        confirm(f"the plan has {len(risky)} row(s) with risky changes", assume_yes=args.yes)


def _list_risky(risky: Sequence[str]) -> None:
    from bulkimport.cli import _say

    for line in risky[:20]:
        _say(f"risky: {line}")
    if len(risky) > 20:
        _say(f"risky: ... and {len(risky) - 20} more")


async def confirm_risky(assume_yes: bool, risky: Sequence[str]) -> None:
    """A run without a plan found risky changes in the values it read: ask before sending."""
    from bulkimport.confirm import confirm

    _list_risky(risky)
    question = f"this run has {len(risky)} row(s) with risky changes"
    # In a thread, so that a second Ctrl-C still stops the run at once while the prompt waits.
    await anyio.to_thread.run_sync(
        functools.partial(confirm, question, assume_yes=assume_yes), abandon_on_cancel=True
    )
