"""REST accounts in job files: each signs in with its own stored login (profile), shares one
limiter and one lease per subscription key, and runs its steps over REST against the
emulator's REST door on loopback."""

from __future__ import annotations

import asyncio
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bulkimport.cli import main
from bulkimport.emulator import EmulatorConfig, RunningEmulator, running_emulator
from bulkimport.emulator.rest import DEMO_APPLICATION
from bulkimport.errors import ConfigError
from bulkimport.jobs.jobfile import load_job
from bulkimport.jobs.runner import StepState, account_key, run_plan
from bulkimport.limiter import CallRateLimiter
from bulkimport.nmbrs.rest.auth import service_for
from bulkimport.nmbrs.rest.login import sign_in
from bulkimport.nmbrs.rest.tokens import TOKEN_DIR_VARIABLE, FileTokenStore
from bulkimport.settings import ConfigFile, named_accounts, read_config_file
from tests.conftest import EMULATOR_PERIOD
from tests.test_rest_run import CLIENT, DEMO_COMPANY, SAMPLES

APPLICATION_VARIABLES = {
    "NMBRS_CLIENT_ID": DEMO_APPLICATION.client_id,
    "NMBRS_CLIENT_SECRET": DEMO_APPLICATION.client_secret,
    "NMBRS_SUBSCRIPTION_KEY": DEMO_APPLICATION.subscription_key,
}


def _config(text: str) -> ConfigFile:
    return ConfigFile(Path("config.toml"), tomllib.loads(text), exists=True)


def test_a_rest_account_has_its_own_profile_and_the_application_s_values() -> None:
    file = _config(
        '[accounts.acme]\napi = "rest"\n'
        '[accounts.globex]\napi = "rest"\nprofile = "globex-nightly"\nrate = 80\n'
        'subscription_key_env = "GLOBEX_KEY"\n'
    )
    accounts = named_accounts(file, {**APPLICATION_VARIABLES, "GLOBEX_KEY": "globex-key"})
    acme, globex = accounts["acme"], accounts["globex"]

    assert acme.profile == "acme" and globex.profile == "globex-nightly"
    assert acme.has_secrets and globex.has_secrets and globex.rate == 80
    assert acme.rest_application is not None and globex.rest_application is not None
    assert acme.rest_application.subscription_key == DEMO_APPLICATION.subscription_key
    assert globex.rest_application.subscription_key == "globex-key"
    assert "subscription_key from environment variable GLOBEX_KEY" in globex.token_source
    assert acme.target == "https://api.nmbrsapp.com"
    assert "globex-key" not in repr(globex) and "globex-key" not in globex.token_source


def test_a_rest_account_without_its_application_s_values_is_named_before_running(
    tmp_path: Path,
) -> None:
    file = _config('[accounts.acme]\napi = "rest"\nsubscription_key_env = "ACME_KEY"\n')
    (acme,) = named_accounts(file, {"NMBRS_CLIENT_ID": "app"}).values()
    assert not acme.has_secrets
    assert "ACME_KEY is not set" in acme.token_source
    assert "NMBRS_CLIENT_SECRET is not set" in acme.token_source
    (tmp_path / "a.csv").write_text("x\n", encoding="utf-8")
    job = tmp_path / "job.toml"
    job.write_text(
        '[steps.a]\nfile = "a.csv"\ntemplate = "salary"\ncompany = "DEMO B.V."\naccount = "acme"\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="account 'acme' has its REST application's values"):
        load_job(job, {"acme": acme})


def test_config_show_lists_a_rest_account_s_profile_never_its_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        '[accounts.acme]\napi = "rest"\nsubscription_key_env = "ACME_KEY"\n', encoding="utf-8"
    )
    for name, value in {**APPLICATION_VARIABLES, "ACME_KEY": "sekrit-key"}.items():
        monkeypatch.setenv(name, value)
    assert main(["config", "show", "--config", str(config)]) == 0
    shown = capsys.readouterr().out
    assert "rest https://api.nmbrsapp.com with login profile acme" in shown
    assert "subscription_key from environment variable ACME_KEY" in shown
    assert "sekrit-key" not in shown and DEMO_APPLICATION.client_secret not in shown


def test_soap_keys_are_refused_in_a_rest_account() -> None:
    with pytest.raises(ConfigError, match=r"unknown key\(s\) username for api 'rest'"):
        named_accounts(_config('[accounts.a]\napi = "rest"\nusername = "u"\n'), {})


def test_the_lease_and_limiter_follow_the_subscription_key_not_the_name() -> None:
    file = _config(
        '[accounts.a]\napi = "rest"\n[accounts.b]\napi = "rest"\nprofile = "other"\n'
        '[accounts.c]\napi = "rest"\nsubscription_key_env = "C_KEY"\n'
    )
    accounts = named_accounts(file, {**APPLICATION_VARIABLES, "C_KEY": "another-key"})
    a, b, c = (account_key(accounts[name]) for name in "abc")
    assert a == b  # one subscription key: one hidden limit, whatever the login
    assert a != c
    assert DEMO_APPLICATION.subscription_key not in a


async def _log_in(emulator: RunningEmulator, store: FileTokenStore, profile: str) -> None:
    """`bulkimport login --profile PROFILE` as a browser would complete it."""
    urls: asyncio.Queue[str] = asyncio.Queue()
    service = service_for(emulator.origin, emulator.origin)
    task = asyncio.create_task(
        sign_in(service, CLIENT, store, profile, announce=urls.put_nowait, open_browser=False)
    )
    async with aiohttp.ClientSession() as session, session.get(await urls.get()) as response:
        assert response.status == 200
    await task


class _CountingLimiter(CallRateLimiter):
    made: list[_CountingLimiter] = []  # noqa: RUF012 (reset by each test)

    def __init__(self, rate: float = 150, **options: Any) -> None:
        super().__init__(rate, **options)
        self.options = options
        _CountingLimiter.made.append(self)


async def test_rest_steps_run_on_their_account_s_login_and_share_its_limiter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tokens = tmp_path / "tokens"
    monkeypatch.setenv(TOKEN_DIR_VARIABLE, str(tokens))
    monkeypatch.setattr(_CountingLimiter, "made", [])
    monkeypatch.setattr("bulkimport.jobs.runner.CallRateLimiter", _CountingLimiter)
    for sample in ("personal_info.csv", "salary.csv"):
        (tmp_path / sample).write_bytes((SAMPLES / sample).read_bytes())
    async with running_emulator(EmulatorConfig(current_period=EMULATOR_PERIOD, seed=1)) as emu:
        await _log_in(emu, FileTokenStore(tokens), "acme")
        config = tmp_path / "config.toml"
        config.write_text(
            f'[accounts.acme]\napi = "rest"\nendpoint = "{emu.origin}"\n'
            f'[accounts.acme-hr]\napi = "rest"\nendpoint = "{emu.origin}"\nprofile = "acme"\n',
            encoding="utf-8",
        )
        job = tmp_path / "job.toml"
        job.write_text(
            '[steps.people]\nfile = "personal_info.csv"\ntemplate = "personal_info"\n'
            'company = "DEMO B.V."\naccount = "acme-hr"\n'
            '[steps.salaries]\nfile = "salary.csv"\ntemplate = "salary"\n'
            'company = "DEMO B.V."\naccount = "acme"\n',
            encoding="utf-8",
        )
        accounts = named_accounts(read_config_file(config), APPLICATION_VARIABLES)
        run = await run_plan(load_job(job, accounts), accounts)

        people, salaries = run.results  # the sample's row 5 is invalid on purpose
        assert (people.state, dict(people.counts)) == (
            StepState.ROWS_NOT_OK,
            {"ok": 4, "invalid": 1},
        )
        assert (salaries.state, salaries.error) == (StepState.OK, None)
        (limiter,) = _CountingLimiter.made  # one subscription key: one limiter for both
        assert limiter.options == {"limit_published": False}
        employee = next(
            e
            for e in emu.state.employees.values()
            if e.company_id == DEMO_COMPANY and e.number == 1001
        )
        salary = employee.salaries.valid_in((2026, 12))
        person = employee.personal_info.valid_in(EMULATOR_PERIOD)
        assert salary is not None and salary["Value"] == Decimal("3612.50")
        assert person is not None and person["EmailPrivate"] == "j.dejong@example.nl"
    # The steps signed in with the account's own login: no other profile was made or used.
    assert sorted(path.name for path in tokens.glob("*.json")) == ["acme.json"]
