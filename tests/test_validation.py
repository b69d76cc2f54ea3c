"""A job's settings refused before anything is sent, with a line that names the setting."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from bulkimport.config import Credentials, RetryPolicy
from bulkimport.errors import ConfigError, InputFileError
from bulkimport.job import ImportJob
from bulkimport.validation import check_input_file, prepare_output_folders, validate_job

ACCOUNT = Credentials("api@example.nl", "a-token", "demo")
NMBRS = "https://api.nmbrs.nl/soap/v3/"
LOCAL_EMULATOR = "http://127.0.0.1:8000/soap/v3/"


def _job(**settings: Any) -> ImportJob:
    defaults: dict[str, Any] = {
        "input_path": Path("hires.csv"),
        "template": "new_hire",
        "company_id": 54613,
    }
    return ImportJob(**(defaults | settings))


@pytest.mark.parametrize(
    ("settings", "fragment"),
    [
        ({"rate": 0.0}, "rate 0 "),
        ({"rate": 0.5}, "rate 0.5 "),
        ({"rate": -5.0}, "rate -5 "),
        ({"rate": float("nan")}, "rate nan "),
        ({"rate": float("inf")}, "rate inf "),
        ({"rate": 150.5, "endpoint": NMBRS, "credentials": ACCOUNT}, "cap of 150"),
        ({"rate": 10_000.0}, "cap of 150"),  # the built-in emulator stands in for Nmbrs
        ({"rate": 10_000.0, "environment": "sandbox", "credentials": ACCOUNT}, "cap of 150"),
        ({"concurrency": 0}, "concurrency 0 "),
        ({"concurrency": -1}, "concurrency -1 "),
        ({"concurrency": 1001}, "concurrency 1001 "),
        ({"timeout": 0.0}, "timeout 0 "),
        ({"timeout": -1.0}, "timeout -1 "),
        ({"timeout": float("nan")}, "timeout nan "),
        ({"retry": RetryPolicy(max_attempts=0)}, "max attempts 0 "),
        ({"retry": RetryPolicy(base_delay=-1.0)}, "base delay -1 "),
        ({"company_id": 0}, "company 0 "),
        ({"credentials": ACCOUNT}, "give --environment, or --emulator to mean it"),
        ({"emulator": True, "endpoint": NMBRS, "credentials": ACCOUNT}, "--emulator contradicts"),
        ({"emulator": True, "environment": "nl"}, "--emulator contradicts"),
    ],
)
def test_settings_that_cannot_work_are_refused(settings: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ConfigError, match=fragment.replace(".", r"\.")):
        validate_job(_job(**settings))


@pytest.mark.parametrize(
    "settings",
    [
        {},
        {"rate": 1.0, "concurrency": 1, "timeout": 0.1, "retry": RetryPolicy(max_attempts=1)},
        {"rate": 150.0, "concurrency": 1000, "endpoint": NMBRS, "credentials": ACCOUNT},
        {"environment": "se", "credentials": ACCOUNT},
        {"credentials": ACCOUNT, "emulator": True},
        {"emulator": True},
        # An emulator on this machine may go beyond Nmbrs' cap: the benchmark measures so.
        {"rate": 1_000_000.0, "endpoint": LOCAL_EMULATOR, "credentials": ACCOUNT},
    ],
)
def test_settings_that_work_pass(settings: dict[str, Any]) -> None:
    validate_job(_job(**settings))


def test_the_input_must_be_a_file(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="is a folder"):
        check_input_file(tmp_path)
    with pytest.raises(InputFileError, match="no such file"):
        check_input_file(tmp_path / "missing.csv")
    present = tmp_path / "hires.csv"
    present.write_text("a\n", encoding="utf-8")
    check_input_file(present)


def test_output_folders_are_created(tmp_path: Path) -> None:
    source = tmp_path / "hires.csv"
    prepare_output_folders(
        source, tmp_path / "a" / "r", tmp_path / "b" / "c" / "f.csv", tmp_path / "d" / "j.sqlite"
    )
    assert all((tmp_path / folder).is_dir() for folder in ("a", "b/c", "d"))


@pytest.mark.parametrize(
    ("report", "failed", "journal", "fragment"),
    [
        ("hires", "f.csv", None, "the report .*hires.csv would overwrite the input"),
        ("r", "hires.csv", None, "the failed-rows file .*hires.csv would overwrite the input"),
        ("r", "f.csv", "hires.csv", "the journal .*hires.csv would overwrite the input"),
        ("r", "a_folder", None, "is a folder"),
        ("hires.csv/r", "f.csv", None, "a file of that name is in the way"),
    ],
)
def test_outputs_that_cannot_be_written_are_refused(
    tmp_path: Path, report: str, failed: str, journal: str | None, fragment: str
) -> None:
    source = tmp_path / "hires.csv"
    source.write_text("a\n", encoding="utf-8")
    (tmp_path / "a_folder").mkdir()
    with pytest.raises(ConfigError, match=fragment):
        prepare_output_folders(
            source,
            tmp_path / report,
            tmp_path / failed,
            tmp_path / journal if journal else None,
        )


async def test_run_job_checks_before_it_starts_anything(tmp_path: Path) -> None:
    """The Python API is held to the same checks: nothing is opened, created or sent."""
    from bulkimport.job import run_job

    source = tmp_path / "hires.csv"
    source.write_text("Personeelsnummer\n1\n", encoding="utf-8")
    job = replace(_job(), input_path=source, rate=0.0, report_base=tmp_path / "out" / "r")
    with pytest.raises(ConfigError, match="rate 0 "):
        await run_job(job)
    assert not (tmp_path / "out").exists()
