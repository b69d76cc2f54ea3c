"""`bulkimport validate`: what a run would refuse, found without sending anything that changes data.

Against the emulator on loopback: the built-in one for the console and exit codes, one on its
own thread with --endpoint where the test reads its counters afterwards.
"""

from __future__ import annotations

import csv
import shutil
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import anyio
import openpyxl
import pytest

from bulkimport.backend import Effect
from bulkimport.cli import EXIT_FATAL, main
from bulkimport.emulator import DEMO_CREDENTIALS, EmulatorConfig, RunningEmulator
from bulkimport.emulator import emulator_in_thread as start_emulator_in_thread
from bulkimport.job import ImportJob
from bulkimport.nmbrs.soap.schema import lookup_operation
from bulkimport.synthetic import NewHireSpec, write_new_hires_csv
from bulkimport.validate import PROBLEMS_SHOWN, format_validation, validate_file
from bulkimport.validate_command import EXIT_CLEAN, EXIT_PROBLEMS
from tests.conftest import EMULATOR_PERIOD

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
COMPANY = "54613"  # the emulator's demo company: employees 1001-1010, current period 2026-11
SALARY_HEADER = "Personeelsnummer;Salaris;Soort salaris;Ingangsdatum"


@pytest.fixture(autouse=True)
def _no_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("NMBRS_USERNAME", "NMBRS_TOKEN", "NMBRS_DOMAIN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


@pytest.fixture
async def emulator_in_thread() -> AsyncIterator[RunningEmulator]:
    """An emulator a CLI call (its own event loop, on a worker thread) can reach."""
    async with start_emulator_in_thread(EmulatorConfig(current_period=EMULATOR_PERIOD)) as running:
        yield running


def _write(path: Path, *lines: str) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _problems(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as stream:
        sample = stream.readline()
        stream.seek(0)
        return list(csv.DictReader(stream, delimiter=";" if ";" in sample else ","))


def _writes(emulator: RunningEmulator) -> dict[str, int]:
    return {
        name: count
        for name, count in emulator.stats.calls_by_operation.items()
        if lookup_operation(name).effect is not Effect.READ
    }


def _validate(*arguments: str) -> int:
    return main(["validate", *arguments])


# --- the file alone ------------------------------------------------------------------------------
def test_the_sample_mistakes_are_named_by_column_and_row_with_values_masked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = Path(shutil.copy(SAMPLES / "new_hires.csv", tmp_path / "new_hires.csv"))
    assert _validate(str(path), "--template", "new_hire") == EXIT_PROBLEMS
    out = capsys.readouterr().out
    assert "checked 25 rows (file only, no company: identity numbers as NL" in out
    assert "3 problems in 3 rows, 3 columns" in out
    assert "BSN: 1 problem\n  row 8 '[REDACTED]': not a valid BSN (fails the 11-check)" in out
    assert "IBAN: 1 problem\n  row 16 '[REDACTED]': not a valid IBAN" in out
    assert "Geboortedatum: 1 problem\n  row 23 '[REDACTED]': no such date" in out
    problems_path = tmp_path / "new_hires.csv.validation.csv"
    assert f"all problems: {problems_path}" in out
    rows = _problems(problems_path)
    assert [(row["row"], row["column"]) for row in rows] == [
        ("8", "BSN"),
        ("16", "IBAN"),
        ("23", "Geboortedatum"),
    ]
    # The cells themselves appear neither on the console nor in the file.
    with path.open(encoding="utf-8-sig", newline="") as stream:
        cells = {n: row for n, row in enumerate(csv.DictReader(stream, delimiter=";"), start=2)}
    written = problems_path.read_text(encoding="utf-8-sig")
    for raw in (cells[8]["BSN"], cells[16]["IBAN"], cells[23]["Geboortedatum"]):
        assert raw and raw not in out and raw not in written
    # Nothing of a run was written: no report, no failed-rows file.
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == [
        "new_hires.csv",
        "new_hires.csv.validation.csv",
    ]


def test_a_clean_file_exits_0_and_removes_an_old_problems_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_new_hires_csv(tmp_path / "hires.csv", NewHireSpec(rows=5))
    stale = tmp_path / "hires.csv.validation.csv"
    stale.write_text("row;column;value;problem\n2;BSN;x;old\n", encoding="utf-8")
    assert _validate(str(path), "--template", "new_hire") == EXIT_CLEAN
    out = capsys.readouterr().out
    assert "checked 5 rows" in out and "no problems" in out
    assert not stale.exists()


def test_a_number_twice_in_the_file_is_a_problem_of_both_rows_without_a_target(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write_new_hires_csv(tmp_path / "source.csv", NewHireSpec(rows=3))
    lines = source.read_text(encoding="utf-8-sig").splitlines()
    header, first, second, third = lines
    delimiter = ";" if ";" in header else ","
    number = first.split(delimiter)[0]
    repeated = delimiter.join([number, *third.split(delimiter)[1:]])
    path = _write(tmp_path / "hires.csv", header, first, second, repeated)
    assert _validate(str(path), "--template", "new_hire") == EXIT_PROBLEMS
    rows = _problems(tmp_path / "hires.csv.validation.csv")
    assert [row["row"] for row in rows] == ["2", "4"]
    assert all(f"employee number {number} appears 2 times" in row["problem"] for row in rows)


def test_without_a_company_the_country_option_decides_the_identity_rule(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = Path(shutil.copy(SAMPLES / "nyanstallda.csv", tmp_path / "nyanstallda.csv"))
    assert _validate(str(path), "--template", "new_hire", "--country", "SE") == EXIT_CLEAN
    assert _validate(str(path), "--template", "new_hire") == EXIT_PROBLEMS
    out = capsys.readouterr().out
    assert "identity numbers as SE" in out and "identity numbers as NL" in out
    assert "Personnummer: 8 problems" in out


def test_header_problems_are_problems_of_the_header_row(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(
        tmp_path / "salary.csv",
        "Personeelsnummer;Salaris;Soort salaris;Ingangsdatum;Afdeling",
        "1001;3.612,50;Maandsalaris;01-12-2026;ICT",
    )
    assert _validate(str(path), "--template", "salary") == EXIT_PROBLEMS
    out = capsys.readouterr().out
    assert "Afdeling: 1 problem\n  row 1: not a column of template salary" in out
    assert _validate(str(path), "--template", "salary", "--ignore-column", "Afdeling") == 0

    misspelt = _write(
        tmp_path / "typo.csv",
        "Personeelsnummer;Salaris;Soort salaris;Ingangsdatm",
        "1001;3.612,50;Maandsalaris;01-12-2026",
    )
    assert _validate(str(misspelt), "--template", "salary") == EXIT_PROBLEMS
    (problem,) = _problems(tmp_path / "typo.csv.validation.csv")
    assert problem["column"] == "(header row)"
    assert "did you mean 'Ingangsdatum'" in problem["problem"]


def test_the_console_shows_the_first_20_and_the_file_has_them_all(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [f"{1001 + n};-{n + 1},00;Maandsalaris;01-12-2026" for n in range(30)]
    path = _write(tmp_path / "salary.csv", SALARY_HEADER, *rows)
    assert _validate(str(path), "--template", "salary") == EXIT_PROBLEMS
    out = capsys.readouterr().out
    assert "Salaris: 30 problems" in out
    assert out.count("\n  row ") == PROBLEMS_SHOWN
    assert f"(the first {PROBLEMS_SHOWN} of 30 problems shown)" in out
    assert len(_problems(tmp_path / "salary.csv.validation.csv")) == 30


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--template", "no_such_template"], "no_such_template"),
        (["--template", "salary", "--company", "99999"], "company 99999 is not one"),
        (["--template", "salary", "--emulator"], "give --company too"),
    ],
)
def test_a_bad_template_or_target_is_fatal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], arguments: list[str], message: str
) -> None:
    path = _write(tmp_path / "salary.csv", SALARY_HEADER, "1001;3.612,50;Maandsalaris;01-12-2026")
    assert _validate(str(path), *arguments) == EXIT_FATAL
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "salary.csv.validation.csv").exists()


# --- against a company ---------------------------------------------------------------------------
async def test_against_a_company_what_the_run_would_refuse_is_found_and_nothing_is_written(
    emulator_in_thread: RunningEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An existing number, a past-dated change and an unknown employee, through the CLI."""
    monkeypatch.setenv("NMBRS_USERNAME", DEMO_CREDENTIALS.username)
    monkeypatch.setenv("NMBRS_TOKEN", DEMO_CREDENTIALS.token)
    monkeypatch.setenv("NMBRS_DOMAIN", DEMO_CREDENTIALS.domain)
    emulator = emulator_in_thread
    employees_before = len(emulator.state.employees)
    salaries = _write(
        tmp_path / "salary.csv",
        SALARY_HEADER,
        "1001;3.612,50;Maandsalaris;01-06-2026",  # before the current period 2026-11
        "1002;4.050,00;Maandsalaris;01-12-2026",
        "9999;4.050,00;Maandsalaris;01-12-2026",  # no such employee in the company
    )
    hires = write_new_hires_csv(tmp_path / "hires.csv", NewHireSpec(rows=2, first_number=1010))

    def validate(path: Path, template: str) -> int:
        target = ["--company", COMPANY, "--endpoint", emulator.base_url]
        return _validate(str(path), "--template", template, *target, "-q")

    assert await anyio.to_thread.run_sync(validate, salaries, "salary") == EXIT_PROBLEMS
    rows = _problems(tmp_path / "salary.csv.validation.csv")
    assert [(row["row"], row["column"]) for row in rows] == [
        ("2", "Ingangsdatum"),
        ("4", "Personeelsnummer"),
    ]
    assert "--allow-past-periods" in rows[0]["problem"]
    assert rows[1]["problem"] == f"employee number 9999 does not exist in company {COMPANY}"

    assert await anyio.to_thread.run_sync(validate, hires, "new_hire") == EXIT_PROBLEMS
    rows = _problems(tmp_path / "hires.csv.validation.csv")
    assert [row["row"] for row in rows] == ["2"]
    assert "employee number 1010 already exists in company 54613" in rows[0]["problem"]

    assert _writes(emulator) == {}
    assert emulator.stats.calls_by_operation.get("Company_GetCurrentPeriod") == 2
    assert len(emulator.state.employees) == employees_before


async def test_validate_file_reads_the_target_and_the_run_agrees(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """What validate calls a problem is what run reports invalid, row for row."""
    from bulkimport.job import run_job

    path = Path(shutil.copy(SAMPLES / "new_hires.csv", tmp_path / "new_hires.csv"))
    job = ImportJob(
        input_path=path,
        template="new_hire",
        company_id=int(COMPANY),
        endpoint=emulator.base_url,
        credentials=DEMO_CREDENTIALS,
        timeout=5.0,
    )
    outcome = await validate_file(job, with_target=True)
    assert _writes(emulator) == {}
    assert "against company 54613" in format_validation(outcome)
    found = sorted({problem.row_number for problem in outcome.first})

    run = await run_job(job)
    invalid = [row for row in run.rows_not_ok if row.status.value == "invalid"]
    assert sorted({row.row_number for row in invalid}) == found == [8, 16, 23]


# --- a workbook made by `bulkimport template` ----------------------------------------------------
def test_a_blank_workbook_filled_in_passes_validate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "hires.xlsx"
    assert main(["template", "new_hire", "--output", str(path)]) == 0
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["Invullen"]
    headers = {str(cell.value): index for index, cell in enumerate(sheet[1], start=1)}
    typed: dict[str, str | int | float | datetime] = {
        "Personeelsnummer": 2002,
        "BSN": "123456782",
        "Voornaam": "Anna",
        "Achternaam": "de Vries",
        "Geslacht": "female",
        "Geboortedatum": datetime(1985, 3, 12),
        "Mobiel": "0612345678",
        "Datum in dienst": datetime(2026, 12, 1),
        "Salaris": 3100.5,
        "Soort salaris": "Bruto_Salaris_Fulltime",
        "Burgerlijke staat": "Gehuwd",
        "Onbepaalde tijd": "ja",
    }
    for label, value in typed.items():
        sheet.cell(2, headers[label], value)
    workbook.save(path)
    assert _validate(str(path), "--template", "new_hire") == EXIT_CLEAN
    assert _validate(str(path), "--template", "new_hire", "--company", COMPANY) == EXIT_CLEAN
    out = capsys.readouterr().out
    assert "checked 1 row against company 54613" in out

    sheet.cell(2, headers["BSN"], "123456789")  # a typo: fails the 11-check
    workbook.save(path)
    assert _validate(str(path), "--template", "new_hire") == EXIT_PROBLEMS
    assert "BSN: 1 problem" in capsys.readouterr().out
