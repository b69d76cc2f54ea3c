"""`bulkimport emulator`: run the local Nmbrs emulator (SOAP and REST) in the foreground."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import signal
from collections.abc import Callable

from bulkimport.config import Credentials
from bulkimport.emulator.accounts import NMBRS_CALLS_PER_SECOND
from bulkimport.emulator.app import DEMO_CREDENTIALS, EmulatorConfig, running_emulator
from bulkimport.emulator.faults import FaultSettings
from bulkimport.emulator.rest import DEMO_APPLICATION, RestConfig

_SHARES = ("http-503", "http-500", "drop", "hang", "lost-reply", "hostile-reply")


def add(parser: argparse.ArgumentParser) -> Callable[[argparse.Namespace], int]:
    """Add the emulator's options to `parser`; return the handler that runs it."""
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: loopback)")
    parser.add_argument("--port", type=int, default=8000, help="port (default 8000; 0 = any)")
    parser.add_argument("--username", default=DEMO_CREDENTIALS.username)
    parser.add_argument("--token", default=DEMO_CREDENTIALS.token)
    parser.add_argument("--domain", default=DEMO_CREDENTIALS.domain)
    parser.add_argument(
        "--account",
        action="append",
        default=[],
        type=_account,
        metavar="USERNAME:TOKEN:DOMAIN",
        help="another account it serves, each at its own cap (repeatable)",
    )
    parser.add_argument(
        "--calls-per-second",
        type=int,
        default=NMBRS_CALLS_PER_SECOND,
        help="arrivals per second before the half-second delay (Nmbrs: 150)",
    )
    parser.add_argument(
        "--other-users-calls-per-second",
        type=int,
        default=0,
        help="simulated calls/s of other users of the same account",
    )
    parser.add_argument(
        "--other-users-burst-calls",
        type=int,
        default=0,
        help="simulated calls of other users that arrive at once, every --other-users-burst-every",
    )
    parser.add_argument(
        "--other-users-burst-every",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="seconds between the bursts of other users",
    )
    parser.add_argument(
        "--inbound-jitter-ms",
        type=float,
        default=0.0,
        help="network jitter: each call reaches the service a uniform random 0..this ms later",
    )
    parser.add_argument("--latency-ms", type=float, default=0.0, help="added to every call")
    parser.add_argument(
        "--latency-spread-ms", type=float, default=0.0, help="plus a uniform random 0..spread ms"
    )
    for name in _SHARES:
        parser.add_argument(
            f"--{name}-share",
            type=float,
            default=0.0,
            metavar="SHARE",
            help=f"share of calls (0..1) that get the {name} fault",
        )
    parser.add_argument("--seed", type=int, default=None, help="seed for the random faults")
    rest = RestConfig()
    parser.add_argument(
        "--rest-calls-per-second",
        type=int,
        default=rest.calls_per_second,
        help="REST: the hidden limit per subscription key; beyond it 429 code 42908",
    )
    parser.add_argument(
        "--rest-call-quota",
        type=int,
        default=None,
        metavar="CALLS",
        help="REST: calls a subscription key may make in all, then 429 code 42909",
    )
    parser.add_argument(
        "--access-token-seconds",
        type=float,
        default=rest.access_token_seconds,
        help="REST: lifetime of an access token (Nmbrs: one hour)",
    )
    return run


def _account(value: str) -> Credentials:
    username, _, rest = value.partition(":")
    token, _, domain = rest.partition(":")
    if not username or not token:
        raise argparse.ArgumentTypeError("give USERNAME:TOKEN:DOMAIN (the domain may be empty)")
    return Credentials(username, token, domain)


def config_from(args: argparse.Namespace) -> EmulatorConfig:
    """The emulator config the command-line options describe (ValueError if they cannot work)."""
    faults = FaultSettings(
        latency_ms=args.latency_ms,
        latency_spread_ms=args.latency_spread_ms,
        **{f"{name.replace('-', '_')}_share": getattr(args, f"{name.replace('-', '_')}_share")
           for name in _SHARES},
    )  # fmt: skip
    return EmulatorConfig(
        host=args.host,
        port=args.port,
        accounts=(Credentials(args.username, args.token, args.domain), *args.account),
        calls_per_second=args.calls_per_second,
        other_users_calls_per_second=args.other_users_calls_per_second,
        other_users_burst_calls=args.other_users_burst_calls,
        other_users_burst_every=args.other_users_burst_every,
        inbound_jitter_ms=args.inbound_jitter_ms,
        faults=faults,
        seed=args.seed,
        rest=RestConfig(
            calls_per_second=args.rest_calls_per_second,
            call_quota=args.rest_call_quota,
            access_token_seconds=args.access_token_seconds,
        ),
    )


def _steady_collector() -> None:
    """Keep the garbage collector from pausing the service: it counts arrivals when its loop
    reads them, so a pause stamps every call it held up late, and calls that left evenly spaced
    meet in one second (a 40 ms full collection with 8 accounts at their caps: 38 calls
    penalised that Nmbrs would not have). The seeded state is frozen out of collections, which
    then run on fewer allocations; this process is the emulator's own, not a client's."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(5000, 10, 10)


def run(args: argparse.Namespace) -> int:
    try:
        config = config_from(args)
    except ValueError as exc:
        print(f"bulkimport emulator: {exc}")
        return 2
    try:
        asyncio.run(_serve(config))
    except KeyboardInterrupt:
        print("emulator stopped")
    return 0


async def _serve(config: EmulatorConfig) -> None:
    async with running_emulator(config) as emulator:
        _steady_collector()
        account = config.accounts[0]
        print(f"Nmbrs SOAP v3 emulator at {emulator.base_url}", flush=True)
        print(f"  EmployeeService: {emulator.url('EmployeeService')}  (WSDL: ?WSDL)")
        print(f"  CompanyService:  {emulator.url('CompanyService')}")
        print(f"  state {emulator.base_url.split('/soap/')[0]}/state  stats .../stats")
        token = account.token if account == DEMO_CREDENTIALS else "(as given)"
        print(f"  username {account.username}  token {token}  domain {account.domain}")
        print(f"Nmbrs REST emulator at {emulator.origin}/api/  (OAuth: {emulator.origin}/connect/)")
        print(f"  discovery {emulator.origin}/.well-known/openid-configuration")
        demo = DEMO_APPLICATION
        print(f"  client id {demo.client_id}  client secret {demo.client_secret}")
        print(f"  subscription key {demo.subscription_key}  (header X-Subscription-Key)")
        print("  any http loopback redirect URI; the demo user consents at once")
        print("Ctrl-C stops it.", flush=True)
        stop = asyncio.Event()
        with contextlib.suppress(NotImplementedError):  # no signal handlers on Windows
            asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        await stop.wait()
    print("emulator stopped", flush=True)
