"""`bulkimport emulator` options for the REST door -> EmulatorConfig.rest."""

from __future__ import annotations

import argparse

from bulkimport.emulator.command import add, config_from
from bulkimport.emulator.rest import RestConfig


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.set_defaults(handler=add(parser))
    return parser.parse_args(argv)


def test_rest_defaults() -> None:
    assert config_from(parse()).rest == RestConfig()


def test_rest_options_reach_the_config() -> None:
    args = parse(
        "--rest-calls-per-second", "40", "--rest-call-quota", "5000",
        "--access-token-seconds", "90",
    )  # fmt: skip
    rest = config_from(args).rest
    assert (rest.calls_per_second, rest.call_quota, rest.access_token_seconds) == (40, 5000, 90)
