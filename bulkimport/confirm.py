"""Asking before what cannot be taken back: a run against a real Nmbrs host, a risky plan.

On a terminal the user types `yes`; elsewhere (cron, CI, a pipe) only `--yes` goes on, and
without it the run stops with exit 2 before anything is sent.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from bulkimport.errors import ConfigError
from bulkimport.validation import is_loopback_url

__all__ = ["confirm", "is_real_target"]


def is_real_target(endpoint: str | None, environment: str | None) -> bool:
    """A real Nmbrs host: an environment, or an endpoint not on this machine (an emulator is)."""
    if environment:
        return True
    return endpoint is not None and not is_loopback_url(endpoint)


def confirm(
    question: str,
    *,
    assume_yes: bool,
    ask: Callable[[str], str] = input,
    interactive: Callable[[], bool] = sys.stdin.isatty,
) -> None:
    """Go on when `--yes` was given or a person answers yes; ConfigError (exit 2) otherwise."""
    if assume_yes:
        return
    if not interactive():
        raise ConfigError(f"{question}: not a terminal to confirm on, so give --yes to mean it")
    try:
        answer = ask(f"{question}. Type yes to go on: ")
    except EOFError:
        answer = ""
    if answer.strip().lower() not in ("yes", "y", "ja", "j"):
        raise ConfigError(f"{question}: not confirmed, nothing was sent")
