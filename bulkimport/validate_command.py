"""`bulkimport validate FILE --template NAME [--company ID]`: check a file, send nothing.

Exit codes: 0 no problems, 1 problems (listed, and all of them in a file beside the input),
2 fatal (bad invocation, unreadable file or template, a target that fails its pre-flight).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

import anyio

from bulkimport.config import ENVIRONMENTS, Country
from bulkimport.errors import ConfigError
from bulkimport.settings import DEFAULT_CONFIG

EXIT_CLEAN = 0
EXIT_PROBLEMS = 1


def add(parser: argparse.ArgumentParser) -> Callable[[argparse.Namespace], int]:
    from bulkimport.cli import add_api_options, add_logging_options, company_argument

    parser.add_argument("file", type=Path, help="the CSV or XLSX file to check")
    parser.add_argument("--template", required=True, help="template name or .toml path")
    parser.add_argument(
        "--company",
        type=company_argument,
        help="also check against this company (reads only): employee numbers it has, its "
        "current period, the employees an update names (id, REST company number or exact name)",
    )
    add_api_options(parser)
    parser.add_argument(
        "--country",
        choices=[country.value for country in Country],
        help="identity numbers as this country's (default: the company's; NL without one)",
    )
    target = parser.add_argument_group("target, with --company (as for run)")
    target.add_argument("--endpoint", help="base URL of the SOAP services, e.g. .../soap/v3/")
    target.add_argument("--environment", choices=sorted(ENVIRONMENTS), help="Nmbrs environment")
    target.add_argument(
        "--emulator", action="store_true", help="the built-in emulator, also with credentials"
    )
    target.add_argument("--config", type=Path, help=f"config file (default {DEFAULT_CONFIG})")
    target.add_argument(
        "--token-stdin", action="store_true", help="read the API token from standard input"
    )
    target.add_argument(
        "--insecure", action="store_true", help="allow a plain-http endpoint off this machine"
    )
    parser.add_argument("--sheet", help="worksheet to read (default: the active one)")
    parser.add_argument(
        "--include-hidden-rows", action="store_true", help="check rows hidden in a workbook"
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
        help="accept changes dated before the company's current period",
    )
    parser.add_argument(
        "--output",
        type=Path,
        metavar="PATH",
        help="where to write every problem (default: FILE.validation.csv beside the input)",
    )
    add_logging_options(parser)
    return _validate


def _validate(args: argparse.Namespace) -> int:
    from bulkimport.cli import (
        _credentials,
        _say,
        _say_unless_quiet,
        _warn,
        configure_logging_from,
        job_from_args,
        rest_client,
    )
    from bulkimport.validate import format_validation, validate_file

    configure_logging_from(args)
    with_target = args.company is not None
    if not with_target and (args.endpoint or args.environment or args.emulator):
        raise ConfigError(
            "a target (--endpoint, --environment, --emulator) is read only for a company: "
            "give --company too, or leave the target out to check the file alone"
        )
    credentials = _credentials(args) if with_target else None
    job = job_from_args(
        args,
        credentials,
        company_id=args.company if with_target else 0,
        rest_client=rest_client(args) if with_target else None,
        country=Country(args.country) if args.country else None,
    )
    outcome = anyio.run(
        lambda: validate_file(
            job,
            with_target=with_target,
            problems_path=args.output,
            on_start=_say_unless_quiet if args.quiet else _say,
            on_warning=_warn,
        )
    )
    print(format_validation(outcome))
    sys.stdout.flush()
    return EXIT_CLEAN if outcome.clean else EXIT_PROBLEMS
