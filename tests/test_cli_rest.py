"""`bulkimport run --api rest` as a person uses it: the built-in emulator with no setup, no
REST sandbox, and a login that is missing or spent."""

from __future__ import annotations

import asyncio
import csv
import os
import shutil
import sys
from pathlib import Path

import pytest

from bulkimport.cli import EXIT_FATAL, EXIT_ROWS_FAILED, main
from bulkimport.emulator import EmulatorConfig, running_emulator
from bulkimport.emulator.rest import DEMO_APPLICATION
from bulkimport.nmbrs.rest.tokens import TOKEN_DIR_VARIABLE
from tests.conftest import EMULATOR_PERIOD

SAMPLES = Path(__file__).resolve().parent.parent / "samples"


@pytest.fixture(autouse=True)
def _no_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No account, no config file, no stored login, no keyring."""
    for name in ("NMBRS_USERNAME", "NMBRS_TOKEN", "NMBRS_DOMAIN", "DISPLAY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv(TOKEN_DIR_VARIABLE, str(tmp_path / "tokens"))


def test_the_sample_runs_over_rest_against_the_built_in_emulator_with_no_setup(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "new_hires.csv"
    shutil.copy(SAMPLES / "new_hires.csv", source)
    code = main(["run", str(source), "--template", "new_hire", "--api", "rest",
                 "--company", "DEMO B.V.", "--no-xlsx"])  # fmt: skip
    assert code == EXIT_ROWS_FAILED  # the sample's three rows with mistakes
    with (tmp_path / "new_hires.csv.report.csv").open(encoding="utf-8-sig") as stream:
        rows = list(csv.DictReader(stream, delimiter=";"))
    assert [row["status"] for row in rows].count("ok") == 22
    assert "REST API" in capsys.readouterr().err


def test_an_ambiguous_or_unknown_company_names_what_it_reaches(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "salary.csv"
    shutil.copy(SAMPLES / "salary.csv", source)
    code = main(["run", str(source), "--template", "salary", "--api", "rest",
                 "--company", "No Such B.V."])  # fmt: skip
    assert code == EXIT_FATAL
    err = capsys.readouterr().err
    assert "No Such B.V." in err and "DEMO B.V." in err


def test_there_is_no_rest_sandbox(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["run", str(SAMPLES / "salary.csv"), "--template", "salary", "--api", "rest",
                 "--environment", "sandbox", "--company", "DEMO B.V."])  # fmt: skip
    assert code == EXIT_FATAL
    err = capsys.readouterr().err
    assert "no REST sandbox" in err and "demo environment" in err


async def test_without_a_stored_login_the_run_stops_and_says_log_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NMBRS_CLIENT_ID", DEMO_APPLICATION.client_id)
    monkeypatch.setenv("NMBRS_CLIENT_SECRET", DEMO_APPLICATION.client_secret)
    monkeypatch.setenv("NMBRS_SUBSCRIPTION_KEY", DEMO_APPLICATION.subscription_key)
    source = tmp_path / "salary.csv"
    shutil.copy(SAMPLES / "salary.csv", source)
    async with running_emulator(EmulatorConfig(current_period=EMULATOR_PERIOD)) as emulator:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bulkimport", "run", str(source), "--template", "salary",
            "--api", "rest", "--endpoint", emulator.origin, "--company", "DEMO B.V.",
            env=dict(os.environ), stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        _, err = await process.communicate()
        calls = emulator.stats.calls_total
    assert process.returncode == EXIT_FATAL
    assert "run `bulkimport login`" in err.decode()
    assert calls == 0  # stopped before the first call
