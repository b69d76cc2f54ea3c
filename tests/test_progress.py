"""Live progress of a run, and the end-of-run summary that names rows.

Progress is asserted by what its lines say (a fake terminal, or captured non-terminal stderr),
never by when they come: the last sample of a run is taken when its rows are done.
"""

from __future__ import annotations

import io
import json
import os
import pty
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import structlog
from rich.console import Console

from bulkimport.cli import EXIT_ROWS_FAILED, main
from bulkimport.emulator import DEMO_CREDENTIALS, RunningEmulator
from bulkimport.job import ImportJob, run_job
from bulkimport.logs import configure_logging
from bulkimport.model import RowResult, RowStatus
from bulkimport.notable import FirstRowsNotOk, format_rows_not_ok, reasons_of
from bulkimport.progress import (
    LogProgress,
    PaceWindow,
    RunProgress,
    TerminalProgress,
    describe,
    figures,
    log_fields,
)
from bulkimport.report import RunSummary
from bulkimport.synthetic import NewHireSpec, write_new_hires_csv

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
COMPANY = 54613


@pytest.fixture(autouse=True)
def _no_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("NMBRS_USERNAME", "NMBRS_TOKEN", "NMBRS_DOMAIN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


def _sample(tmp_path: Path) -> Path:
    return Path(shutil.copy(SAMPLES / "new_hires.csv", tmp_path / "new_hires.csv"))


def _job(emulator: RunningEmulator, path: Path, template: str = "new_hire") -> ImportJob:
    return ImportJob(
        input_path=path,
        template=template,
        company_id=COMPANY,
        endpoint=emulator.base_url,
        credentials=DEMO_CREDENTIALS,
        timeout=5.0,
        seed=7,
    )


def _sample_at(seconds: float, calls: int, ok: int, *, total: int | None = 100) -> RunProgress:
    summary = RunSummary(
        counts={RowStatus.OK: ok, RowStatus.INVALID: 1},
        calls=calls,
        duration_s=seconds,
        throttled_calls=2,
    )
    return RunProgress(summary, total, cap=150, calls_per_row=7)


# --- the arithmetic and the text -----------------------------------------------------------------
def test_pace_is_taken_between_samples_and_the_time_left_from_the_calls_left() -> None:
    earlier, now = _sample_at(10.0, 1000, 40), _sample_at(12.0, 1280, 59)
    shown = figures(now, earlier)
    assert shown.calls_per_s == pytest.approx(140.0)
    # 100 rows of 7 calls = 700 calls planned, 1280 made: done as far as the plan goes.
    assert shown.eta_s == 0.0 or shown.eta_s == pytest.approx(0.0)
    bigger = _sample_at(12.0, 1280, 59, total=1000)
    assert figures(bigger, earlier).eta_s == pytest.approx((7000 - 1280) / 140)
    assert figures(_sample_at(12.0, 1280, 59, total=None), earlier).eta_s is None
    assert figures(_sample_at(12.0, 1280, 99)).eta_s == 0.0  # every row done


def test_the_pace_spans_at_least_two_seconds_of_samples() -> None:
    """A burst inside one second (which the cap allows) must not read as more than the cap."""
    window = PaceWindow()
    assert window.figures(_sample_at(0.5, 100, 0)).calls_per_s == pytest.approx(200.0)
    window.figures(_sample_at(1.0, 150, 0))
    window.figures(_sample_at(2.0, 300, 0))
    # Reference: the newest sample at least 2 s before 3.2 s, the one at 1.0 s.
    assert window.figures(_sample_at(3.2, 480, 0)).calls_per_s == pytest.approx(150.0)
    assert window.figures(_sample_at(3.3, 495, 0)).calls_per_s == pytest.approx(150.0)


def test_the_line_shows_pace_against_the_cap_eta_counts_and_penalties() -> None:
    shown = figures(_sample_at(12.0, 1280, 59, total=1000), _sample_at(10.0, 1000, 40))
    text = describe(shown)
    assert text.startswith("140/150 calls/s  ETA 0:41  ok 59 invalid 1  throttled 2")
    assert "fault" not in text  # a status shows once it occurs
    fields = log_fields(shown)
    assert fields["rows_done"] == 60 and fields["rows_total"] == 1000
    assert fields["calls_per_s"] == 140.0 and fields["cap"] == 150
    assert fields["eta_s"] == 41 and fields["ok"] == 59 and fields["fault"] == 0
    assert fields["throttled_calls"] == 2


# --- samples of a real run -----------------------------------------------------------------------
class _Recorder:
    """A progress observer that keeps every sample."""

    interval_s = 0.001

    def __init__(self) -> None:
        self.samples: list[RunProgress] = []

    def update(self, progress: RunProgress) -> None:
        self.samples.append(progress)


async def test_samples_read_the_runs_own_counters_and_the_last_is_its_summary(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    recorder = _Recorder()
    outcome = await run_job(_job(emulator, _sample(tmp_path)), progress=recorder)
    samples = recorder.samples
    assert {sample.rows_total for sample in samples} == {25}  # from the guard's first pass
    done = [sample.rows_done for sample in samples]
    assert done == sorted(done) and done[-1] == 25
    calls = [sample.summary.calls for sample in samples]
    assert calls == sorted(calls)
    last = samples[-1]
    assert last.summary == outcome.summary
    assert last.summary.calls == sum(emulator.stats.calls_by_operation.values())
    assert last.cap == 150 and last.calls_per_row == 7  # what a full row sends


async def test_an_update_file_is_read_once_so_its_total_is_unknown(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    path = Path(shutil.copy(SAMPLES / "salary.csv", tmp_path / "salary.csv"))
    recorder = _Recorder()
    await run_job(_job(emulator, path, "salary"), progress=recorder)
    assert recorder.samples[-1].rows_total is None
    assert figures(recorder.samples[-1]).eta_s is None


async def test_the_terminal_bar_shows_rows_of_total_pace_and_counts(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=160, color_system=None)
    bar = TerminalProgress(console, interval_s=0.01)
    try:
        await run_job(_job(emulator, _sample(tmp_path)), progress=bar)
    finally:
        bar.close()
    last_frame = screen.getvalue().split("\r")[-1]
    assert re.search(
        r"rows .* 25/25 \d+/150 calls/s  ETA 0:00  ok 22 invalid 3  throttled 0", last_frame
    )


def test_log_lines_written_while_the_bar_shows_land_above_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging(level="warning", json=False)
    screen = io.StringIO()
    bar = TerminalProgress(Console(file=screen, force_terminal=True, width=120), interval_s=1)
    bar.update(_sample_at(1.0, 10, 1))
    structlog.get_logger().warning("endpoint slow", row=7)
    bar.close()
    shown = screen.getvalue()
    assert "endpoint slow" in shown
    assert shown.index("endpoint slow") < shown.rindex("calls/s")  # the bar is drawn after it
    assert "endpoint slow" not in capsys.readouterr().err  # not written through the bar


# --- the command line ----------------------------------------------------------------------------
def _progress_lines(err: str) -> list[dict[str, object]]:
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    return [line for line in lines if line.get("event") == "progress"]


def test_off_a_terminal_progress_is_a_json_log_line_without_control_characters(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _sample(tmp_path)
    assert main(["run", str(path), "--template", "new_hire", "--company", str(COMPANY)]) == (
        EXIT_ROWS_FAILED
    )
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\r" not in err
    last = _progress_lines(err)[-1]
    assert last["level"] == "info"  # shown although the console logs warnings only
    assert (last["rows_done"], last["rows_total"], last["cap"]) == (25, 25, 150)
    assert (last["ok"], last["invalid"], last["fault"]) == (22, 3, 0)
    assert last["eta_s"] == 0 and last["throttled_calls"] == 0


def test_quiet_silences_progress(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_new_hires_csv(tmp_path / "hires.csv", NewHireSpec(rows=3))
    assert main(["run", str(path), "--template", "new_hire", "--company", "54613", "-q"]) == 0
    assert _progress_lines(capsys.readouterr().err) == []


def test_log_progress_writes_through_the_log_file_too(tmp_path: Path) -> None:
    log_file = tmp_path / "run.log"
    configure_logging(level="warning", json=True, stream=io.StringIO(), log_file=log_file)
    progress = LogProgress(interval_s=5)
    progress.update(_sample_at(2.0, 300, 20))
    (line,) = [json.loads(text) for text in log_file.read_text(encoding="utf-8").splitlines()]
    assert line["event"] == "progress" and line["rows_done"] == 21


# --- the summary names rows ----------------------------------------------------------------------
def test_the_summary_names_the_first_rows_not_imported_without_their_values(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _sample(tmp_path)
    main(["run", str(path), "--template", "new_hire", "--company", str(COMPANY), "-q"])
    out = capsys.readouterr().out
    assert (
        "first rows not imported (all of them are in the report):\n"
        "  row 8   invalid  BSN: not a valid BSN (fails the 11-check)\n"
        "  row 16  invalid  IBAN: not a valid IBAN (the check digits do not match; a typo?)\n"
        "  row 23  invalid  Geboortedatum: no such date (day 31, month 6)"
    ) in out
    text = path.read_text(encoding="utf-8-sig")
    for raw in ("123456789", "NL60 KNAB 6521 6077 70"):
        assert raw in text and raw not in out


def test_faults_name_their_operation_and_personal_data_in_a_message_is_masked() -> None:
    fault = RowResult(
        5,
        RowStatus.FAULT,
        failed_operation="BankAccount_Insert",
        fault_code=2031,
        message="IBAN NL91 ABNA 0417 1643 00 is in use",
    )
    (reason,) = reasons_of(fault)
    assert reason.where == "BankAccount_Insert fault 2031"
    assert "0417" not in reason.reason and "[IBAN]" in reason.reason

    first = FirstRowsNotOk(limit=2)
    for number in range(2, 7):
        first.write(None, RowResult(number, RowStatus.FAILED, message="timed out"))  # type: ignore[arg-type]
    first.write(None, RowResult(9, RowStatus.OK))  # type: ignore[arg-type]
    assert first.more == 3
    assert format_rows_not_ok(first.rows, first.more).splitlines()[1:] == [
        "  row 2  failed  timed out",
        "  row 3  failed  timed out",
        "  ... and 3 more rows",
    ]


class _BrokenDisplay:
    interval_s = 0.001

    def update(self, progress: RunProgress) -> None:
        raise RuntimeError("terminal went away")


async def test_a_display_that_breaks_costs_the_progress_not_the_run(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    outcome = await run_job(_job(emulator, _sample(tmp_path)), progress=_BrokenDisplay())
    assert outcome.summary.counts[RowStatus.OK] == 22


@pytest.mark.slow
def test_on_a_terminal_the_command_draws_the_bar_then_prints_the_summary(tmp_path: Path) -> None:
    """The real command with stderr on a pseudo-terminal, as a person at the keyboard sees it."""
    path = _sample(tmp_path)
    leader, follower = pty.openpty()
    environment = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    command = [sys.executable, "-m", "bulkimport", "run", str(path), "--template", "new_hire"]
    with subprocess.Popen(
        [*command, "--company", str(COMPANY), "--rate", "50"],
        stdout=subprocess.PIPE,
        stderr=follower,
        env=environment,
        cwd=tmp_path,
    ) as process:
        os.close(follower)
        screen = b""
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the terminal closed with the process
                break
            if not chunk:
                break
            screen += chunk
        out, _ = process.communicate(timeout=60)
    os.close(leader)
    assert process.returncode == EXIT_ROWS_FAILED
    shown = screen.decode("utf-8", "replace")
    assert "\x1b[" in shown  # drawn in place, with control sequences
    last_frame = _plain(shown).split("\r")[-2]
    assert re.search(r"25/25\S* +\d+/50 calls/s  ETA 0:00  ok 22 invalid 3", last_frame)
    assert '"event": "progress"' not in shown  # a terminal gets the bar, not log lines
    assert "first rows not imported" in out.decode()


def _plain(screen: str) -> str:
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", screen)
