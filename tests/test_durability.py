"""Nothing lost, nothing twice: Ctrl-C, SIGKILL and resume with a real importer process."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
from pathlib import Path

import anyio
import pytest
from anyio.abc import ByteReceiveStream

from bulkimport.drill import (
    DrillSettings,
    demo_environment,
    emulator_process,
    fetch_json,
    format_drill,
    run_drill,
)
from bulkimport.emulator import FaultSettings, RunningEmulator
from bulkimport.synthetic import NewHireSpec, write_new_hires_csv


def _command(path: Path, emulator: RunningEmulator, *extra: str) -> list[str]:
    return [
        sys.executable, "-m", "bulkimport", "run", str(path), "--template", "new_hire",
        "--company", "54613", "--endpoint", emulator.base_url, *extra,
    ]  # fmt: skip


async def _wait_for_calls(emulator: RunningEmulator, calls: int) -> None:
    """Poll the emulator's counter: it offers no event to wait on, and polling is loopback-cheap."""
    with anyio.fail_after(60):
        while emulator.stats.calls_total < calls:  # noqa: ASYNC110
            await anyio.sleep(0.02)


async def _read_all(stream: ByteReceiveStream | None) -> str:
    assert stream is not None
    chunks = [chunk async for chunk in stream]
    return b"".join(chunks).decode()


def _numbers_in_emulator(emulator: RunningEmulator) -> list[int]:
    return [e.number for e in emulator.state.employees.values() if e.number >= 100_000]


async def test_ctrl_c_finishes_in_flight_writes_the_report_and_resumes(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    path = write_new_hires_csv(tmp_path / "hires.csv", NewHireSpec(rows=200, core_only=True))
    journal = tmp_path / "hires.journal.sqlite"
    command = _command(path, emulator, "--journal", str(journal), "--rate", "100")
    process = await anyio.open_process(command, env=demo_environment())
    async with process:
        await _wait_for_calls(emulator, 60)
        process.send_signal(signal.SIGINT)
        with anyio.fail_after(60):
            code = await process.wait()
    assert code == 130
    with (tmp_path / "hires.csv.report.csv").open(encoding="utf-8-sig", newline="") as stream:
        rows = list(csv.DictReader(stream, delimiter=";"))
    assert len(rows) == 200  # every row has its line, also those never sent
    statuses = {row["status"] for row in rows}
    assert statuses <= {"ok", "skipped"}
    assert "skipped" in statuses

    finished = await anyio.run_process(command, env=demo_environment(), check=False)
    assert finished.returncode == 0, finished.stderr.decode()
    numbers = _numbers_in_emulator(emulator)
    assert sorted(numbers) == list(range(100_001, 100_201))  # each exactly once


async def test_a_second_ctrl_c_stops_at_once_and_the_run_still_resumes(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    path = write_new_hires_csv(tmp_path / "hires.csv", NewHireSpec(rows=200, core_only=True))
    journal = tmp_path / "hires.journal.sqlite"
    emulator.script("slow", operation="PersonalInfo_UpdateCurrent", count=1000, delay=20.0)
    command = _command(path, emulator, "--journal", str(journal))
    process = await anyio.open_process(command, env=demo_environment())
    async with process:
        await _wait_for_calls(emulator, 40)
        process.send_signal(signal.SIGINT)
        await anyio.sleep(0.2)
        process.send_signal(signal.SIGINT)
        with anyio.fail_after(60):  # only against a hang
            code = await process.wait()
        stderr = await _read_all(process.stderr)
        # At once: the process did not wait for the slow calls in flight. Each sets its
        # employee's number when it finally runs, and none has yet.
        assert _numbers_in_emulator(emulator) == []
    assert code == 130
    assert "Traceback" not in stderr and "TaskGroup" not in stderr
    last_line = stderr.strip().splitlines()[-1]
    assert last_line.startswith("stopped at once; run the same command again to resume (journal:")
    emulator.clear_script()
    finished = await anyio.run_process(command, env=demo_environment(), check=False)
    assert finished.returncode == 0, finished.stderr.decode()
    assert sorted(_numbers_in_emulator(emulator)) == list(range(100_001, 100_201))


async def test_sigkill_mid_run_loses_nothing_and_doubles_nothing(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    emulator.set_faults(FaultSettings(lost_reply_share=0.05, drop_share=0.03, http_503_share=0.03))
    path = write_new_hires_csv(tmp_path / "hires.csv", NewHireSpec(rows=120))
    journal = tmp_path / "hires.journal.sqlite"
    command = _command(path, emulator, "--journal", str(journal), "--timeout", "2")
    process = await anyio.open_process(command, env=demo_environment())
    async with process:
        await _wait_for_calls(emulator, 150)
        process.send_signal(signal.SIGKILL)
        await process.wait()
    for _ in range(5):
        finished = await anyio.run_process(command, env=demo_environment(), check=False)
        if finished.returncode in (0, 1):
            break
    assert finished.returncode == 0, finished.stderr.decode()
    numbers = _numbers_in_emulator(emulator)
    assert sorted(numbers) == list(range(100_001, 100_121))
    for employee in emulator.state.employees.values():
        if employee.number >= 100_000:
            assert len(employee.addresses) == 1
            assert len(employee.bank_accounts) == 1
            assert len(employee.contracts) == 1


@pytest.mark.slow
def test_drill_at_reduced_size() -> None:
    """The chaos drill as CI runs it: 300 new hires, faults, one SIGKILL, resume, check."""
    settings = DrillSettings(rows=300, kills=1, seed=3, latency_spread_ms=120.0)
    result = run_drill(settings, say=lambda line: None)
    assert result.passed, format_drill(result, settings)
    assert result.kills == 1
    assert result.rows == 300
    assert result.rows_missing_from_report == 0


def test_importer_process_never_prints_a_traceback_on_a_broken_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK\x03\x04broken")
    command = [sys.executable, "-m", "bulkimport", "run", str(path), "--template", "new_hire"]
    command = [sys.executable, "-m", "bulkimport", "run", str(path), "--template", "new_hire"]
    finished = subprocess.run(
        [*command, "--company", "54613"],
        capture_output=True,
        text=True,
        check=False,
        env={k: v for k, v in os.environ.items() if not k.startswith("NMBRS_")},
    )
    assert finished.returncode == 2
    assert "broken.xlsx" in finished.stderr
    assert "Traceback" not in finished.stderr


def test_resume_command_runs_the_journal_s_job_again(tmp_path: Path) -> None:
    """`bulkimport resume JOURNAL` needs nothing but the journal (and the credentials)."""
    path = write_new_hires_csv(tmp_path / "hires.csv", NewHireSpec(rows=5, core_only=True))
    journal = tmp_path / "hires.journal.sqlite"
    with emulator_process([]) as base_url:
        root = base_url.split("/soap/")[0]
        first = subprocess.run(
            [*_cli_run(path), "--endpoint", base_url, "--journal", str(journal)],
            env=demo_environment(),
            capture_output=True,
            text=True,
            check=False,
        )
        assert first.returncode == 0, first.stderr
        calls_before = fetch_json(f"{root}/stats")["calls_by_operation"]
        resumed = subprocess.run(
            [sys.executable, "-m", "bulkimport", "resume", str(journal)],
            env=demo_environment(),
            capture_output=True,
            text=True,
            check=False,
        )
        calls_after = fetch_json(f"{root}/stats")["calls_by_operation"]
    assert resumed.returncode == 0, resumed.stderr
    assert "resumed" in resumed.stderr
    assert calls_after.get("Employee_Insert") == calls_before.get("Employee_Insert") == 5
    missing = subprocess.run(
        [sys.executable, "-m", "bulkimport", "resume", str(tmp_path / "nothing.sqlite")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert missing.returncode == 2
    assert "nothing.sqlite" in missing.stderr and "Traceback" not in missing.stderr


def _cli_run(path: Path) -> list[str]:
    return [
        sys.executable, "-m", "bulkimport", "run", str(path), "--template", "new_hire",
        "--company", "54613",
    ]  # fmt: skip
