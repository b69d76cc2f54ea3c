"""The command line: argument parsing, exit codes, and the only place that prints.

Exit codes: 0 every row ok, 1 some rows not ok, 2 fatal (bad file, template, credentials),
130 interrupted (resumable).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import Final

from bulkimport import __version__

EXIT_OK: Final = 0
EXIT_ROWS_FAILED: Final = 1
EXIT_FATAL: Final = 2
EXIT_INTERRUPTED: Final = 130

Handler = Callable[[argparse.Namespace], int]


def _register_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Each command module adds its own arguments and returns its handler."""
    from bulkimport.emulator import command as emulator_command

    commands: list[tuple[str, str, Callable[[argparse.ArgumentParser], Handler]]] = [
        ("emulator", "run the local Nmbrs SOAP emulator in the foreground", emulator_command.add),
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
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler = args.handler
    try:
        return handler(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
