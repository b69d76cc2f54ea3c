"""A run is bound to its target: the same file sent elsewhere is a new run, never a resume.

Against emulators on 127.0.0.1, with an explicit endpoint: the built-in emulator keeps no
journal, so it could not show a wrong resume.
"""

from __future__ import annotations

import shutil
import signal
import sys
from pathlib import Path
from typing import Any

import anyio
import pytest

from bulkimport.config import RetryPolicy
from bulkimport.drill import demo_environment
from bulkimport.emulator import DEMO_CREDENTIALS, EmulatorConfig, RunningEmulator, running_emulator
from bulkimport.errors import JournalMismatchError
from bulkimport.job import ImportJob, ImportOutcome, run_job
from bulkimport.model import RowStatus
from bulkimport.synthetic import NewHireSpec, write_new_hires_csv
from tests.conftest import EMULATOR_PERIOD

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
FAST_RETRY = RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.05)


def _job(emulator: RunningEmulator, path: Path, **options: Any) -> ImportJob:
    settings: dict[str, Any] = {
        "input_path": path,
        "template": "new_hire",
        "company_id": 54613,
        "endpoint": emulator.base_url,
        "credentials": DEMO_CREDENTIALS,
        "retry": FAST_RETRY,
        "timeout": 5.0,
        "xlsx_report": False,
    }
    settings.update(options)
    return ImportJob(**settings)


def _hires(path: Path, rows: int = 4) -> Path:
    return write_new_hires_csv(path, NewHireSpec(rows=rows, core_only=True))


def _created_in(emulator: RunningEmulator, company_id: int) -> list[int]:
    return sorted(
        employee.number
        for employee in emulator.state.employees.values()
        if employee.company_id == company_id and employee.number >= 100_000
    )


def _ok(outcome: ImportOutcome) -> int:
    return outcome.summary.counts.get(RowStatus.OK, 0)


async def test_the_same_file_for_another_company_is_a_new_run_that_sends(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    path = _hires(tmp_path / "hires.csv")
    first = await run_job(_job(emulator, path, company_id=54613))
    calls_after_first = emulator.stats.calls_total
    second = await run_job(_job(emulator, path, company_id=54614))

    assert (first.resumed, second.resumed) == (False, False)
    assert _ok(first) == _ok(second) == 4
    assert (
        _created_in(emulator, 54613)
        == _created_in(emulator, 54614)
        == list(range(100_001, 100_005))
    )
    assert emulator.stats.calls_total - calls_after_first >= 8  # an insert and an update per row
    assert first.journal_path is not None and second.journal_path is not None
    assert first.journal_path != second.journal_path
    assert first.journal_path.parent == second.journal_path.parent == tmp_path
    assert first.journal_path.name.startswith("hires.csv.54613-")
    assert second.journal_path.name.startswith("hires.csv.54614-")

    again = await run_job(_job(emulator, path, company_id=54614))  # the same target: a resume
    assert again.resumed
    assert again.journal_path == second.journal_path
    assert _created_in(emulator, 54614) == list(range(100_001, 100_005))


async def test_the_same_file_for_another_endpoint_is_a_new_run(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    path = _hires(tmp_path / "hires.csv")
    first = await run_job(_job(emulator, path))
    async with running_emulator(EmulatorConfig(current_period=EMULATOR_PERIOD, seed=2)) as fresh:
        assert fresh.base_url != emulator.base_url
        second = await run_job(_job(fresh, path))
        assert not second.resumed
        assert _ok(second) == 4
        assert _created_in(fresh, 54613) == list(range(100_001, 100_005))
    assert second.journal_path != first.journal_path


async def test_a_csv_and_a_workbook_of_one_name_keep_their_own_outputs(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    csv_path = Path(shutil.copy(SAMPLES / "new_hires.csv", tmp_path / "x.csv"))
    xlsx_path = Path(shutil.copy(SAMPLES / "new_hires.xlsx", tmp_path / "x.xlsx"))
    from_csv = await run_job(_job(emulator, csv_path, xlsx_report=True))
    from_xlsx = await run_job(_job(emulator, xlsx_path, xlsx_report=True))

    assert not from_xlsx.resumed  # before, the workbook met the CSV's journal and was refused
    csv_outputs = {*from_csv.report_paths, from_csv.failed_path, from_csv.journal_path}
    xlsx_outputs = {*from_xlsx.report_paths, from_xlsx.failed_path, from_xlsx.journal_path}
    assert None not in csv_outputs | xlsx_outputs
    assert len(csv_outputs) == len(xlsx_outputs) == 5  # CSV, XLSX, HTML, failed rows, journal
    assert not csv_outputs & xlsx_outputs
    assert all(path is not None and path.exists() for path in csv_outputs | xlsx_outputs)
    assert all(path is not None and path.parent == tmp_path for path in csv_outputs)


async def test_an_explicit_journal_of_another_target_is_refused_naming_both(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    path = _hires(tmp_path / "hires.csv", rows=2)
    journal = tmp_path / "mine.journal.sqlite"
    await run_job(_job(emulator, path, company_id=54613, journal_path=journal))
    inserts_before = emulator.stats.calls_by_operation.get("Employee_Insert", 0)
    with pytest.raises(JournalMismatchError) as caught:
        await run_job(_job(emulator, path, company_id=54614, journal_path=journal))
    message = str(caught.value)
    assert str(journal) in message
    assert "company 54613" in message and "company 54614" in message
    assert message.count(emulator.base_url) == 2
    assert _created_in(emulator, 54614) == []
    assert emulator.stats.calls_by_operation.get("Employee_Insert", 0) == inserts_before


def _cli(path: Path, emulator: RunningEmulator, *extra: str) -> list[str]:
    return [
        sys.executable, "-m", "bulkimport", "run", str(path), "--template", "new_hire",
        "--company", "54613", "--endpoint", emulator.base_url, "--no-xlsx", *extra,
    ]  # fmt: skip


async def test_the_cli_refuses_a_journal_of_another_target_with_exit_2(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    path = _hires(tmp_path / "hires.csv", rows=2)
    journal = str(tmp_path / "mine.journal.sqlite")
    first = await anyio.run_process(
        _cli(path, emulator, "--journal", journal), env=demo_environment(), check=False
    )
    assert first.returncode == 0, first.stderr.decode()
    other = await anyio.run_process(
        [*_cli(path, emulator, "--journal", journal), "--company", "54614"],
        env=demo_environment(),
        check=False,
    )
    stderr = other.stderr.decode()
    assert other.returncode == 2
    assert "company 54613" in stderr and "company 54614" in stderr
    assert "Traceback" not in stderr


async def _wait_for_calls(emulator: RunningEmulator, calls: int) -> None:
    """Poll the emulator's counter: it offers no event to wait on, and polling is loopback-cheap."""
    with anyio.fail_after(60):
        while emulator.stats.calls_total < calls:  # noqa: ASYNC110
            await anyio.sleep(0.02)


@pytest.mark.parametrize(("keep_journal", "promises_resume"), [(True, True), (False, False)])
async def test_a_stopped_run_promises_a_resume_only_with_a_journal(
    emulator: RunningEmulator, tmp_path: Path, keep_journal: bool, promises_resume: bool
) -> None:
    path = _hires(tmp_path / "hires.csv", rows=200)
    extra = ("--rate", "100") if keep_journal else ("--rate", "100", "--no-journal")
    process = await anyio.open_process(_cli(path, emulator, *extra), env=demo_environment())
    async with process:
        await _wait_for_calls(emulator, 40)
        process.send_signal(signal.SIGINT)
        with anyio.fail_after(60):
            code = await process.wait()
        assert process.stdout is not None and process.stderr is not None
        text = b""
        for stream in (process.stdout, process.stderr):
            async for chunk in stream:
                text += chunk
    assert code == 130
    assert (b"run the same command again to resume" in text) is promises_resume
    assert (b"kept no journal" in text) is not promises_resume
