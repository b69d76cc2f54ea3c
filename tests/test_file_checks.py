"""What the file holds is settled before the first write: columns, sheets, hidden rows, titles.

Against the emulator on 127.0.0.1: `run_job` with the emulator fixture where the data that
arrived is checked, the CLI (with its built-in emulator) where exit codes and messages are.
"""

from __future__ import annotations

import csv
import re
import zipfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.utils.datetime import CALENDAR_MAC_1904

from bulkimport.cli import EXIT_FATAL, EXIT_OK, EXIT_ROWS_FAILED, main
from bulkimport.config import RetryPolicy
from bulkimport.emulator import DEMO_CREDENTIALS, RunningEmulator
from bulkimport.errors import InputFileError
from bulkimport.job import ImportJob, job_from_journal, job_options, run_job
from bulkimport.journal import Journal, RunTarget
from bulkimport.model import RowStatus
from bulkimport.report import default_report_base

COMPANY = 54613
CORE = ["Personeelsnummer", "Voornaam", "Achternaam", "Datum in dienst"]
MISSPELT = ["Burgerservicenr", "Geb. datum", "Bankrekening"]
SHEET_XML = "xl/worksheets/sheet1.xml"


def hire(number: int) -> list[Any]:
    return [number, f"Naam{number}", "Smit", "01-12-2026"]


def write_csv(path: Path, headers: list[str], rows: list[list[Any]]) -> Path:
    lines = [";".join(headers)] + [";".join(str(cell) for cell in row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_workbook(path: Path, rows: list[list[Any]]) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def job(emulator: RunningEmulator, path: Path, **options: Any) -> ImportJob:
    settings: dict[str, Any] = {
        "input_path": path,
        "template": "new_hire",
        "company_id": COMPANY,
        "endpoint": emulator.base_url,
        "credentials": DEMO_CREDENTIALS,
        "retry": RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.05),
        "timeout": 5.0,
    }
    settings.update(options)
    return ImportJob(**settings)


def writes(emulator: RunningEmulator) -> int:
    """Calls that change data; reads (the employee list, periods) do not count."""
    return sum(
        count
        for operation, count in emulator.stats.calls_by_operation.items()
        if "_Get" not in operation
    )


def employee_numbers(emulator: RunningEmulator) -> set[int]:
    return {e.number for e in emulator.state.employees.values() if e.company_id == COMPANY}


def report_rows(path: Path) -> list[dict[str, str]]:
    """The CSV report, written with the input's delimiter (a workbook's is a comma)."""
    with path.open(encoding="utf-8-sig", newline="") as stream:
        header = stream.readline()
        stream.seek(0)
        delimiter = ";" if header.count(";") > header.count(",") else ","
        return list(csv.DictReader(stream, delimiter=delimiter))


# --- columns, against the emulator ---------------------------------------------------------------
async def test_misspelt_headers_stop_the_run_before_anything_is_sent(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "typo.csv", CORE + MISSPELT, [[*hire(2001), "111222333", "01-01-1990", "x"]]
    )
    with pytest.raises(InputFileError) as caught:
        await run_job(job(emulator, path))
    assert "did you mean 'Burgerservicenummer'" in caught.value.reason
    assert writes(emulator) == 0
    assert 2001 not in employee_numbers(emulator)


async def test_ignored_columns_run_and_nothing_else_is_dropped(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "typo.csv", CORE + MISSPELT, [[*hire(2001), "111222333", "01-01-1990", "x"]]
    )
    outcome = await run_job(job(emulator, path, ignore_columns=tuple(MISSPELT)))
    assert outcome.summary.counts[RowStatus.OK] == 1
    assert outcome.dropped_columns == ()
    assert 2001 in employee_numbers(emulator)


async def test_warnings_about_the_file_come_before_the_first_write(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    path = write_workbook(
        tmp_path / "hires.xlsx",
        [["Nieuwe medewerkers"], [], [*CORE, "Afdeling"]]
        + [[*hire(number), "ICT"] for number in (2001, 2002, 2003)],
    )
    book = openpyxl.load_workbook(path)
    sheet = book.active
    assert sheet is not None
    sheet.row_dimensions[5].hidden = True  # 2002
    book.save(path)
    heard: list[tuple[str, int]] = []
    outcome = await run_job(
        job(emulator, path), on_warning=lambda warning: heard.append((warning, writes(emulator)))
    )
    early = [warning for warning, writes_before in heard if writes_before == 0]
    assert any("header row found on row 3" in warning for warning in early)
    assert any("not imported: 'Afdeling'" in warning for warning in early)
    assert any("has hidden rows" in warning for warning in early)
    assert "1 hidden row(s) were skipped (see the report)" in outcome.warnings
    assert [warning for warning, _ in heard] == list(outcome.warnings)
    assert outcome.dropped_columns == ("Afdeling",)
    assert writes(emulator) > 0
    statuses = {
        row["Personeelsnummer"]: (row["status"], row["message"])
        for row in report_rows(Path(f"{default_report_base(path)}.csv"))
    }
    assert statuses["2001"][0] == statuses["2003"][0] == "ok"
    assert statuses["2002"][0] == "skipped"
    assert "hidden" in statuses["2002"][1]
    assert employee_numbers(emulator) >= {2001, 2003}
    assert 2002 not in employee_numbers(emulator)


async def test_a_guessed_encoding_is_announced_before_the_first_write(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    path = tmp_path / "ansi.csv"
    text = ";".join(CORE) + "\n2401;Zoë;Smit;01-12-2026\n"
    path.write_bytes(text.encode("cp1252"))
    heard: list[tuple[str, int]] = []
    outcome = await run_job(
        job(emulator, path), on_warning=lambda warning: heard.append((warning, writes(emulator)))
    )
    assert [writes_before for warning, writes_before in heard if "Windows-1252" in warning] == [0]
    assert outcome.summary.counts[RowStatus.OK] == 1


async def test_the_visible_sheet_is_imported_not_a_hidden_first_one(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    book = openpyxl.Workbook()
    hidden = book.active
    assert hidden is not None
    hidden.title = "Oud"
    for row in (CORE, hire(2101)):
        hidden.append(row)
    visible = book.create_sheet("Nieuw")
    for row in (CORE, hire(2102)):
        visible.append(row)
    book.active = 1
    hidden.sheet_state = "hidden"
    path = tmp_path / "sheets.xlsx"
    book.save(path)
    outcome = await run_job(job(emulator, path))
    assert outcome.summary.counts[RowStatus.OK] == 1
    assert 2102 in employee_numbers(emulator)
    assert 2101 not in employee_numbers(emulator)
    assert any("hidden sheets ('Oud')" in warning for warning in outcome.warnings)


async def test_a_1904_workbook_stores_its_dates_in_that_system(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    serial_1904 = (date(2026, 12, 1) - date(1904, 1, 1)).days
    path = write_workbook(
        tmp_path / "mac.xlsx",
        [[*CORE, "Geboortedatum"], [2201, "Jan", "Smit", serial_1904, datetime(1990, 5, 17)]],
    )
    book = openpyxl.load_workbook(path)
    book.epoch = CALENDAR_MAC_1904
    book.save(path)
    outcome = await run_job(job(emulator, path))
    assert outcome.summary.counts[RowStatus.OK] == 1
    (employee,) = [e for e in emulator.state.employees.values() if e.number == 2201]
    assert employee.start_date == date(2026, 12, 1)
    assert any("1904" in warning for warning in outcome.warnings)


def cut_sheet(path: Path, row: int) -> None:
    """Cut the sheet's XML off inside `row`, in an otherwise sound zip archive."""
    with zipfile.ZipFile(path) as archive:
        parts = {info.filename: archive.read(info) for info in archive.infolist()}
    xml = parts[SHEET_XML].decode()
    parts[SHEET_XML] = xml[: xml.index(f'<row r="{row}"') + 25].encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)


async def test_new_hires_in_a_sheet_cut_off_half_way_send_nothing(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """The new-hire guard reads the whole file first, so the cut is met before any call."""
    path = write_workbook(
        tmp_path / "cut.xlsx", [CORE] + [hire(number) for number in range(2301, 2321)]
    )
    cut_sheet(path, 12)
    with pytest.raises(InputFileError) as caught:  # the error itself, not an exception group
        await run_job(job(emulator, path))
    assert caught.value.row_number == 12
    assert writes(emulator) == 0
    assert not employee_numbers(emulator) & set(range(2301, 2321))


async def test_updates_in_a_sheet_cut_off_half_way_keep_the_rows_before_it(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    numbers = range(1001, 1011)  # the emulator's demo employees
    path = write_workbook(
        tmp_path / "cut.xlsx",
        [["Personeelsnummer", "E-mail privé"]] + [[n, f"p{n}@example.nl"] for n in numbers],
    )
    cut_sheet(path, 8)
    with pytest.raises(InputFileError) as caught:
        await run_job(job(emulator, path, template="personal_info"))
    assert caught.value.row_number == 8
    assert "from row 8 on were not imported" in caught.value.reason
    rows = report_rows(Path(f"{default_report_base(path)}.csv"))
    assert [row["Personeelsnummer"] for row in rows] == [str(n) for n in range(1001, 1007)]
    assert {row["status"] for row in rows} == {"ok"}


# --- the command line --------------------------------------------------------------------------
@pytest.fixture
def _no_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("NMBRS_USERNAME", "NMBRS_TOKEN", "NMBRS_DOMAIN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


def cli(path: Path, *options: str) -> int:
    return main(["run", str(path), "--template", "new_hire", "--company", str(COMPANY), *options])


@pytest.mark.usefixtures("_no_credentials")
def test_cli_misspelt_headers_exit_2_and_send_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_csv(tmp_path / "typo.csv", CORE + MISSPELT, [[*hire(2001), "1", "2", "3"]])
    assert cli(path) == EXIT_FATAL
    err = capsys.readouterr().err
    assert "did you mean 'Geboortedatum'" in err
    assert "Traceback" not in err
    assert not Path(f"{default_report_base(path)}.csv").exists()


@pytest.mark.usefixtures("_no_credentials")
@pytest.mark.parametrize(
    ("extra", "ignored", "code"),
    [
        ([], MISSPELT, EXIT_OK),
        (["Afdeling"], MISSPELT, EXIT_ROWS_FAILED),
        (["Afdeling"], [*MISSPELT, "Afdeling"], EXIT_OK),
    ],
)
def test_cli_exit_0_only_when_no_column_is_dropped_unasked(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    ignored: list[str],
    code: int,
) -> None:
    row = hire(2001) + ["111222333", "01-01-1990", "x"] + ["ICT"] * len(extra)
    path = write_csv(tmp_path / "hires.csv", CORE + MISSPELT + extra, [row])
    options = [option for name in ignored for option in ("--ignore-column", name)]
    assert cli(path, *options) == code
    out, err = capsys.readouterr()
    assert re.search(r"^\s+ok\s+1$", out, re.MULTILINE)
    assert ("columns not imported: 'Afdeling'" in out) == (code == EXIT_ROWS_FAILED)
    assert ("warning: not imported: 'Afdeling'" in err) == (code == EXIT_ROWS_FAILED)


@pytest.mark.usefixtures("_no_credentials")
def test_cli_sheet_on_a_csv_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_csv(tmp_path / "hires.csv", CORE, [hire(2001)])
    assert cli(path, "--sheet", "Blad1") == EXIT_FATAL
    assert "has no sheets" in capsys.readouterr().err


@pytest.mark.usefixtures("_no_credentials")
def test_cli_cut_off_workbook_exits_2_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_workbook(tmp_path / "cut.xlsx", [CORE] + [hire(n) for n in range(2001, 2031)])
    with zipfile.ZipFile(path) as archive:
        parts = {info.filename: archive.read(info) for info in archive.infolist()}
    xml = parts[SHEET_XML].decode()
    parts[SHEET_XML] = xml[: xml.index('<row r="20"') + 25].encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    assert cli(path) == EXIT_FATAL
    err = capsys.readouterr().err
    assert "cut.xlsx, row 20" in err
    assert "Traceback" not in err and "TaskGroup" not in err


def test_resume_keeps_the_ignored_columns_and_hidden_rows_choice(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "hires.csv", [*CORE, "Afdeling"], [[*hire(2001), "ICT"]])
    started = ImportJob(
        input_path=path,
        template="new_hire",
        company_id=COMPANY,
        ignore_columns=("Afdeling",),
        include_hidden_rows=True,
    )
    journal_path = tmp_path / "hires.journal.sqlite"
    endpoint = "http://127.0.0.1:1/soap/v3/"
    with Journal.open(
        journal_path,
        input_name=path.name,
        input_sha256="0" * 64,
        input_size=1,
        template="new_hire",
        template_sha256="0" * 64,
        target=RunTarget("soap", endpoint, None, "demo", COMPANY),
        options=job_options(started, endpoint),
    ):
        pass
    resumed = job_from_journal(journal_path, None, retry_failed=False)
    assert resumed.ignore_columns == ("Afdeling",)
    assert resumed.include_hidden_rows
