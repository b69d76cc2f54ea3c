"""`bulkimport login` and `bulkimport logout`: argument parsing and the one line they print."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable
from pathlib import Path

from bulkimport.errors import BulkImportError
from bulkimport.nmbrs.rest.auth import (
    DEFAULT_PROFILE,
    NMBRS_API_URL,
    NMBRS_IDENTITY_URL,
    ClientConfig,
    service_for,
)
from bulkimport.nmbrs.rest.login import (
    LOGIN_TIMEOUT_SECONDS,
    can_open_browser,
    load_client_config,
    sign_in,
    sign_out,
)
from bulkimport.nmbrs.rest.tokens import open_token_store
from bulkimport.settings import DEFAULT_CONFIG

Handler = Callable[[argparse.Namespace], int]


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--profile",
        default=DEFAULT_PROFILE,
        help="name of the stored login, one per consenting debtor (default: %(default)s)",
    )
    parser.add_argument(
        "--config",
        type=Path,
        help=f"config file with a [rest] table (default {DEFAULT_CONFIG})",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log each step")


def _configure_logging(args: argparse.Namespace) -> None:
    from bulkimport.logs import configure_logging

    configure_logging(level="info" if args.verbose else "warning")


def _demo_application() -> ClientConfig:
    from bulkimport.emulator.rest import DEMO_APPLICATION

    return ClientConfig(
        DEMO_APPLICATION.client_id,
        DEMO_APPLICATION.client_secret,
        DEMO_APPLICATION.subscription_key,
    )


def add_login(parser: argparse.ArgumentParser) -> Handler:
    _add_common(parser)
    target = parser.add_argument_group("target (default: Nmbrs itself)")
    target.add_argument("--identity-url", default=NMBRS_IDENTITY_URL, help="%(default)s")
    target.add_argument("--api-url", default=NMBRS_API_URL, help="%(default)s")
    target.add_argument(
        "--emulator",
        metavar="URL",
        help="sign in at a running built-in emulator (e.g. http://127.0.0.1:8080); "
        "its demo application is used unless credentials are configured",
    )
    parser.add_argument(
        "--no-browser", action="store_true", help="only print the URL to open elsewhere"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=LOGIN_TIMEOUT_SECONDS,
        help="seconds to wait for the consent (default: %(default)s)",
    )

    def run(args: argparse.Namespace) -> int:
        _configure_logging(args)
        try:
            if args.emulator:
                service = service_for(args.emulator, args.emulator)
                client = load_client_config(args.config, fallback=_demo_application())
            else:
                service = service_for(args.identity_url, args.api_url)
                client = load_client_config(args.config)
            store = open_token_store()
            login = asyncio.run(
                sign_in(
                    service,
                    client,
                    store,
                    args.profile,
                    announce=lambda url: _say(
                        f"Open this URL to sign in to Nmbrs (waiting {args.timeout:.0f} s):\n{url}"
                    ),
                    open_browser=not args.no_browser and can_open_browser(),
                    wait_seconds=args.timeout,
                )
            )
        except BulkImportError as exc:
            _say(f"error: login failed: {exc}")
            return 2
        _say(f"signed in: profile {args.profile!r} for {login.api_url}")
        return 0

    return run


def add_logout(parser: argparse.ArgumentParser) -> Handler:
    _add_common(parser)

    def run(args: argparse.Namespace) -> int:
        _configure_logging(args)
        not_signed_in = f"not signed in: no login stored for profile {args.profile!r}"
        try:
            store = open_token_store()
            login = store.load(args.profile)
            if login is None:  # nothing to revoke: no credentials needed either
                _say(not_signed_in)
                return 0
            demo = _demo_application()
            fallback = demo if login.client_id == demo.client_id else None
            client = load_client_config(args.config, fallback=fallback)
            revoked = asyncio.run(sign_out(client, store, args.profile))
        except BulkImportError as exc:
            _say(f"error: logout failed: {exc}")
            return 2
        _say(
            f"signed out: profile {args.profile!r} revoked and deleted"
            if revoked
            else not_signed_in
        )
        return 0

    return run
