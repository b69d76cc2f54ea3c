"""`bulkimport config show`: the settings a run would use, and where each came from.

Formatting is pure (`format_settings`); reading goes through bulkimport.settings, the same
reader as `run` and `login` use. Tokens and secrets are masked.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from bulkimport.config import ENVIRONMENTS, NamedAccount
from bulkimport.settings import (
    DEFAULT_CONFIG,
    MASK,
    ConfigFile,
    Setting,
    named_accounts,
    read_config_file,
    rest_settings,
    soap_settings,
)


def add(parser: argparse.ArgumentParser) -> Callable[[argparse.Namespace], int]:
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    show = actions.add_parser(
        "show",
        help="the effective settings and where each came from, secrets masked",
        description="The effective settings and where each came from (default, config file, "
        "environment variable, command-line flag); tokens and secrets masked.",
    )
    show.add_argument("--config", type=Path, help=f"config file (default {DEFAULT_CONFIG})")
    show.add_argument("--endpoint", help="as `run` takes it")
    show.add_argument("--environment", choices=sorted(ENVIRONMENTS), help="as `run` takes it")
    show.add_argument("--emulator", action="store_true", help="as `run` takes it")
    return _show


def _show(args: argparse.Namespace) -> int:
    file = read_config_file(args.config)
    soap = soap_settings(
        file,
        os.environ,
        endpoint_flag=args.endpoint,
        environment_flag=args.environment,
        emulator=args.emulator,
    )
    rest = rest_settings(file, os.environ)
    accounts = named_accounts(file, os.environ)
    print(format_settings(file, soap, rest, emulator=args.emulator, accounts=accounts))
    return 0


def format_settings(
    file: ConfigFile,
    soap: Mapping[str, Setting],
    rest: Mapping[str, Setting],
    *,
    emulator: bool = False,
    accounts: Mapping[str, NamedAccount] | None = None,
) -> str:
    """Aligned lines: name, value (secrets masked), origin; the target `run` would use first,
    then the named accounts of job files (where each token was found, never the token)."""
    file_origin = "command-line flag --config" if file.given else "default"
    file_state = "" if file.exists else " (not found)"
    rows: list[tuple[str, str, str]] = [
        ("config file", f"{file.path}{file_state}", file_origin),
        (
            "target",
            describe_target(soap, emulator=emulator),
            "command-line flag --emulator" if emulator else "from the settings below",
        ),
    ]
    rows += [_row(soap[name]) for name in ("endpoint", "environment")]
    rows += [_row(soap[name]) for name in ("username", "token", "domain")]
    rows += [_row(setting, prefix="rest.") for setting in rest.values()]
    for name, account in (accounts or {}).items():
        if account.api == "rest":
            found = f"{MASK} (set)" if account.has_secrets else "(missing)"
            who = f"login profile {account.profile}"
            rows.append((f"accounts.{name}", f"rest {account.target} with {who}", file.origin))
            rows.append((f"accounts.{name}.application", found, account.token_source))
            continue
        token = f"{MASK} (set)" if account.credentials else "(no token)"
        domain = f" (domain {account.domain})" if account.domain else ""
        rows.append(
            (
                f"accounts.{name}",
                f"{account.api} {account.target} as {account.username}{domain}",
                file.origin,
            )
        )
        rows.append((f"accounts.{name}.token", token, account.token_source))
    return _aligned(rows)


def describe_target(soap: Mapping[str, Setting], *, emulator: bool = False) -> str:
    """Where `run` would send, by the same rules as the run itself."""
    endpoint, environment = soap["endpoint"].value, soap["environment"].value
    has_credentials = bool(soap["username"].value and soap["token"].value)
    if endpoint or environment:
        known = ENVIRONMENTS.get(environment or "nl")
        url = endpoint or (known.base_url if known else f"unknown environment {environment!r}")
        return url if has_credentials else f"{url} (no credentials: a run would stop)"
    if has_credentials and not emulator:
        return "none: credentials but no endpoint or environment (a run would stop)"
    return "the built-in emulator"


def _row(setting: Setting, prefix: str = "") -> tuple[str, str, str]:
    return (prefix + setting.name, setting.shown, setting.origin)


def _aligned(rows: Sequence[tuple[str, str, str]]) -> str:
    name_width = max(len(name) for name, _, _ in rows)
    value_width = max(len(value) for _, value, _ in rows)
    return "\n".join(
        f"{name:<{name_width}}  {value:<{value_width}}  {origin}".rstrip()
        for name, value, origin in rows
    )
