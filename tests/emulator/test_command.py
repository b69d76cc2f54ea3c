"""`bulkimport emulator` options -> EmulatorConfig."""

from __future__ import annotations

import argparse

import pytest

from bulkimport.config import Credentials
from bulkimport.emulator import DEMO_CREDENTIALS, FaultSettings
from bulkimport.emulator.command import add, config_from


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.set_defaults(handler=add(parser))
    return parser.parse_args(argv)


def test_defaults_bind_loopback_with_the_demo_account() -> None:
    config = config_from(parse())
    assert (config.host, config.port) == ("127.0.0.1", 8000)
    assert config.accounts == (DEMO_CREDENTIALS,)
    assert config.calls_per_second == 150
    assert config.faults == FaultSettings()


def test_every_option_reaches_the_config() -> None:
    args = parse(
        "--host", "0.0.0.0", "--port", "0", "--username", "u@x", "--token", "t", "--domain", "d",
        "--latency-ms", "5", "--latency-spread-ms", "2", "--http-503-share", "0.1",
        "--http-500-share", "0.05", "--drop-share", "0.01", "--hang-share", "0.02",
        "--lost-reply-share", "0.03", "--hostile-reply-share", "0.04",
        "--other-users-calls-per-second", "40", "--seed", "9",
        "--other-users-burst-calls", "90", "--other-users-burst-every", "3",
        "--inbound-jitter-ms", "50",
    )  # fmt: skip
    config = config_from(args)
    assert (config.host, config.port, config.seed) == ("0.0.0.0", 0, 9)
    assert config.accounts == (Credentials("u@x", "t", "d"),)
    assert config.other_users_calls_per_second == 40
    assert (config.other_users_burst_calls, config.other_users_burst_every) == (90, 3.0)
    assert config.inbound_jitter_ms == 50
    assert config.faults == FaultSettings(5, 2, 0.1, 0.05, 0.01, 0.02, 0.03, 0.04)


def test_impossible_shares_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    args = parse("--drop-share", "0.7", "--hang-share", "0.7")
    assert args.handler(args) == 2
    assert "shares" in capsys.readouterr().out


def test_more_accounts_each_served_at_its_own_cap() -> None:
    config = config_from(parse("--account", "a:ta:da", "--account", "b:tb:"))
    assert config.accounts == (
        DEMO_CREDENTIALS,
        Credentials("a", "ta", "da"),
        Credentials("b", "tb"),
    )


def test_an_account_without_a_token_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        parse("--account", "only-a-name")
    assert "USERNAME:TOKEN:DOMAIN" in capsys.readouterr().err
