"""The command line as a person uses it: exit codes, messages, and no traceback on bad input."""

from __future__ import annotations

import csv
import shutil
import zipfile
from pathlib import Path

import pytest

from bulkimport.cli import EXIT_FATAL, EXIT_INTERRUPTED, EXIT_OK, EXIT_ROWS_FAILED, main
from bulkimport.errors import AuthenticationError
from bulkimport.synthetic import NewHireSpec, write_new_hires_csv

SAMPLES = Path(__file__).resolve().parent.parent / "samples"


@pytest.fixture(autouse=True)
def _no_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The default target is the in-process emulator: no account, no config file."""
    for name in ("NMBRS_USERNAME", "NMBRS_TOKEN", "NMBRS_DOMAIN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


def _run(*arguments: str) -> int:
    return main(["run", *arguments, "--company", "54613"])


def _report(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as stream:
        return list(csv.DictReader(stream, delimiter=";"))


def test_sample_with_mistakes_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = Path(shutil.copy(SAMPLES / "new_hires.csv", tmp_path / "new_hires.csv"))
    assert _run(str(path), "--template", "new_hire") == EXIT_ROWS_FAILED
    captured = capsys.readouterr()
    assert "built-in Nmbrs emulator" in captured.err
    assert "new_hires.csv.report.csv" in captured.out
    rows = _report(tmp_path / "new_hires.csv.report.csv")
    assert len(rows) == 25
    assert (tmp_path / "new_hires.csv.report.xlsx").exists()
    assert (tmp_path / "new_hires.failed.csv").exists()


def test_clean_file_exits_0(tmp_path: Path) -> None:
    path = write_new_hires_csv(tmp_path / "hires.csv", NewHireSpec(rows=5))
    assert _run(str(path), "--template", "new_hire") == EXIT_OK
    assert {row["status"] for row in _report(tmp_path / "hires.csv.report.csv")} == {"ok"}
    assert not (tmp_path / "hires.failed.csv").exists()


def test_dry_run_of_a_valid_file_exits_0(tmp_path: Path) -> None:
    path = write_new_hires_csv(tmp_path / "hires.csv", NewHireSpec(rows=5))
    assert _run(str(path), "--template", "new_hire", "--dry-run") == EXIT_OK
    assert {row["status"] for row in _report(tmp_path / "hires.csv.report.csv")} == {"skipped"}


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "empty"),
        (b"PK\x03\x04 not really a zip", "hires.xlsx"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "hires.xlsx"),
    ],
)
def test_unreadable_files_exit_2_with_a_clear_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, expected: str
) -> None:
    path = tmp_path / "hires.xlsx"
    path.write_bytes(content)
    assert _run(str(path), "--template", "new_hire") == EXIT_FATAL
    err = capsys.readouterr().err
    assert expected in err
    assert "Traceback" not in err


def test_zip_bomb_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (300 * 1024 * 1024))
    assert _run(str(path), "--template", "new_hire") == EXIT_FATAL
    err = capsys.readouterr().err
    assert "bomb.xlsx" in err and "Traceback" not in err


def test_missing_required_column_names_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "hires.csv"
    path.write_text("Personeelsnummer;Voornaam\n1;Jan\n", encoding="utf-8")
    assert _run(str(path), "--template", "new_hire") == EXIT_FATAL
    err = capsys.readouterr().err
    assert "hires.csv" in err and "Achternaam" in err


def test_unknown_template_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_new_hires_csv(tmp_path / "hires.csv", NewHireSpec(rows=1))
    assert _run(str(path), "--template", "no_such_template") == EXIT_FATAL
    assert "no_such_template" in capsys.readouterr().err


def test_broken_rows_cost_only_themselves(tmp_path: Path) -> None:
    """Hostile cells (NUL, a huge cell, an unclosed quote) end as invalid rows; the rest go in."""
    good = write_new_hires_csv(tmp_path / "good.csv", NewHireSpec(rows=6, core_only=True))
    lines = good.read_text(encoding="utf-8-sig").splitlines()
    lines[2] = lines[2].replace("Man", "Ma\0n").replace("Vrouw", "Vr\0ouw")
    lines[3] = lines[3] + "X" * 10_000_000
    lines[4] = lines[4].replace(";", ';"', 1)  # a quote that never closes on this line
    path = tmp_path / "hostile.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert _run(str(path), "--template", "new_hire") == EXIT_ROWS_FAILED
    rows = _report(tmp_path / "hostile.csv.report.csv")
    assert len(rows) == 6
    statuses = [row["status"] for row in rows]
    assert statuses.count("ok") >= 3
    assert statuses[1] == "invalid" and statuses[2] == "invalid"


def test_plain_http_off_this_machine_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NMBRS_USERNAME", "someone@example.nl")
    monkeypatch.setenv("NMBRS_TOKEN", "secret-token-value")
    path = write_new_hires_csv(tmp_path / "hires.csv", NewHireSpec(rows=1))
    code = _run(str(path), "--template", "new_hire", "--endpoint", "http://192.0.2.1/soap/v3/")
    assert code == EXIT_FATAL
    err = capsys.readouterr().err
    assert "--insecure" in err
    assert "secret-token-value" not in err


def _fail_the_run(monkeypatch: pytest.MonkeyPatch, error: BaseException) -> None:
    async def failing_run_job(*args: object, **kwargs: object) -> None:
        raise error

    monkeypatch.setattr("bulkimport.job.run_job", failing_run_job)


def test_an_error_wrapped_in_task_groups_is_named_by_its_root_cause(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    refused = AuthenticationError(1001, "Invalid Authentication")
    inner = ExceptionGroup("unhandled errors in a TaskGroup", [refused])
    _fail_the_run(monkeypatch, BaseExceptionGroup("unhandled errors in a TaskGroup", [inner]))
    path = write_new_hires_csv(tmp_path / "hires.csv", NewHireSpec(rows=1))
    assert _run(str(path), "--template", "new_hire") == EXIT_FATAL
    err = capsys.readouterr().err
    assert "error: Nmbrs refused the credentials (1001: Invalid Authentication)" in err
    assert "TaskGroup" not in err and "Traceback" not in err


def test_an_interrupt_inside_a_task_group_exits_130(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    failure = ValueError("secondary")
    _fail_the_run(monkeypatch, BaseExceptionGroup("group", [failure, KeyboardInterrupt()]))
    path = write_new_hires_csv(tmp_path / "hires.csv", NewHireSpec(rows=1))
    assert _run(str(path), "--template", "new_hire") == EXIT_INTERRUPTED
    err = capsys.readouterr().err
    assert err.strip() == "interrupted"  # no journal was opened: no resume is promised


@pytest.mark.parametrize("verbose", [False, True])
def test_an_internal_error_asks_to_be_reported_and_shows_its_traceback_only_with_v(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    verbose: bool,
) -> None:
    _fail_the_run(monkeypatch, ExceptionGroup("group", [RuntimeError("boom")]))
    path = write_new_hires_csv(tmp_path / "hires.csv", NewHireSpec(rows=1))
    arguments = [str(path), "--template", "new_hire", *(["-v"] if verbose else [])]
    assert _run(*arguments) == EXIT_FATAL
    err = capsys.readouterr().err
    assert "internal error: RuntimeError: boom" in err
    assert "please report it" in err
    assert ("Traceback" in err) is verbose


def test_a_row_that_crashes_is_logged_in_one_line_without_v(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    async def crash(self: object, plan: object) -> None:
        raise RuntimeError("defect in one row")

    monkeypatch.setattr("bulkimport.pipeline.Importer._execute", crash)
    path = write_new_hires_csv(tmp_path / "hires.csv", NewHireSpec(rows=2))
    assert _run(str(path), "--template", "new_hire") == EXIT_ROWS_FAILED
    err = capsys.readouterr().err
    assert err.count("RuntimeError: defect in one row") == 2
    assert "Traceback" not in err


def test_credentials_without_a_target_are_refused_unless_emulator_is_given(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NMBRS_USERNAME", "someone@example.nl")
    monkeypatch.setenv("NMBRS_TOKEN", "secret-token-value")
    path = write_new_hires_csv(tmp_path / "hires.csv", NewHireSpec(rows=2))
    assert _run(str(path), "--template", "new_hire") == EXIT_FATAL
    err = capsys.readouterr().err
    assert "this would go to the built-in emulator; give --environment, or --emulator" in err
    assert not (tmp_path / "hires.report.csv").exists()
    assert _run(str(path), "--template", "new_hire", "--emulator") == EXIT_OK
    assert "built-in Nmbrs emulator" in capsys.readouterr().err


def test_emulator_wins_over_the_endpoint_of_the_config_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        'username = "someone@example.nl"\ntoken = "secret-token-value"\n'
        'endpoint = "http://127.0.0.1:1/soap/v3/"\n',
        encoding="utf-8",
    )
    path = write_new_hires_csv(tmp_path / "hires.csv", NewHireSpec(rows=2))
    arguments = [str(path), "--template", "new_hire", "--config", str(config)]
    assert _run(*arguments, "--emulator") == EXIT_OK
    assert "built-in Nmbrs emulator" in capsys.readouterr().err
