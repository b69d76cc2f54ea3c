"""Guards before any call of a row: employee numbers that exist or repeat, past-dated changes.

Each refused row must be `invalid` with a tip, and the emulator's counters must show that not
one call of it went out (the emulator answers the same calls with its own rules otherwise).
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path
from typing import Any, Final

import pytest

from bulkimport.backend import Effect
from bulkimport.emulator import DEMO_CREDENTIALS, RunningEmulator
from bulkimport.errors import RowInvalid
from bulkimport.guards import CompanyPeriod, PeriodKind, RowGuard, repeated_numbers
from bulkimport.job import ImportJob, ImportOutcome, run_job
from bulkimport.mapping.template import load_builtin_template
from bulkimport.model import Call, RowPlan, RowStatus
from bulkimport.nmbrs.soap.dating import SoapDating, change_date
from bulkimport.nmbrs.soap.schema import OPERATIONS, Operation
from bulkimport.synthetic import NewHireSpec, write_new_hires_csv
from tests.emulator.test_golden import GOLDEN_VALUES

COMPANY: Final = 54613  # monthly; the tests' current period is 2026-11 (from 01-11-2026)
FOUR_WEEKLY: Final = 54614  # 4-weekly; current period 2026-11 runs 08-10-2026 to 04-11-2026


def _job(emulator: RunningEmulator, path: Path, template: str, **options: Any) -> ImportJob:
    settings: dict[str, Any] = {
        "input_path": path,
        "template": template,
        "company_id": COMPANY,
        "endpoint": emulator.base_url,
        "credentials": DEMO_CREDENTIALS,
        "timeout": 5.0,
        "seed": 7,
    }
    settings.update(options)
    return ImportJob(**settings)


def _rows(outcome: ImportOutcome) -> list[dict[str, str]]:
    path = next(path for path in outcome.report_paths if path.suffix == ".csv")
    with path.open(encoding="utf-8-sig", newline="") as stream:
        return list(csv.DictReader(stream, delimiter=";"))


def _write(path: Path, header: str, *lines: str) -> Path:
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8-sig")
    return path


def _with_numbers(path: Path, numbers: list[int]) -> Path:
    """Give the rows of a synthetic new-hire file these employee numbers, in order."""
    header, *lines = path.read_text(encoding="utf-8-sig").splitlines()
    rows = [
        f"{number};{line.split(';', 1)[1]}" for number, line in zip(numbers, lines, strict=True)
    ]
    return _write(path, header, *rows)


def _inserts(emulator: RunningEmulator) -> int:
    return emulator.stats.calls_by_operation.get("Employee_Insert", 0)


# --- which value dates a change ------------------------------------------------------------------
DATED_BY: Final = {
    "Employee_Insert": ("StartDate",),
    "PersonalInfo_Update": ("Period",),
    "Contract_Insert": ("EmployeeContract", "StartDate"),
    "Contract_InsertCurrentPeriod": ("EmployeeContract", "StartDate"),
    "Salary_Update": ("Start",),
    "Schedule_Update": ("Start",),
}


@pytest.mark.parametrize(
    "operation", [op for op in OPERATIONS if op.effect is not Effect.READ], ids=lambda op: op.name
)
def test_every_change_operation_is_dated_or_acts_from_the_current_period(
    operation: Operation,
) -> None:
    """A new operation in the table must be placed here on purpose, not slip past the guard."""
    dated = change_date(operation, GOLDEN_VALUES[operation.name])
    expected = DATED_BY.get(operation.name)
    if expected is None:
        assert operation.name.endswith("Current"), operation.name
        assert dated is None
    else:
        assert dated is not None
        assert dated.path == expected


def test_repeated_numbers_counts_only_repeats() -> None:
    assert repeated_numbers([1, 2, None, 1, 3, 1, 2, None]) == {1: 3, 2: 2}


# --- employee numbers ----------------------------------------------------------------------------
async def test_a_new_hire_whose_number_exists_is_refused_before_any_call(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    path = _with_numbers(
        write_new_hires_csv(tmp_path / "h.csv", NewHireSpec(rows=3)), [1001, 2001, 1002]
    )
    outcome = await run_job(_job(emulator, path, "new_hire"))
    rows = _rows(outcome)
    assert [row["status"] for row in rows] == ["invalid", "ok", "invalid"]
    assert (
        "employee number 1001 already exists in company 54613 (employee id 503293)"
        in (rows[0]["message"])
    )
    assert "use a change template" in rows[0]["message"]
    assert _inserts(emulator) == 1


async def test_a_number_twice_in_the_file_refuses_both_rows(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    spec = NewHireSpec(rows=4)
    path = _with_numbers(write_new_hires_csv(tmp_path / "h.csv", spec), [2001, 2002, 2001, 2003])
    outcome = await run_job(_job(emulator, path, "new_hire"))
    statuses = [row["status"] for row in _rows(outcome)]
    assert statuses == ["invalid", "ok", "invalid", "ok"]
    assert "appears 2 times in the file" in _rows(outcome)[0]["message"]
    assert _inserts(emulator) == 2


async def test_the_same_hire_file_run_again_without_a_journal_creates_no_one(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    path = write_new_hires_csv(tmp_path / "h.csv", NewHireSpec(rows=5))
    first = await run_job(_job(emulator, path, "new_hire", keep_journal=False))
    assert first.summary.counts[RowStatus.OK] == 5
    calls_before = emulator.stats.calls_total
    by_operation_before = dict(emulator.stats.calls_by_operation)
    again = await run_job(_job(emulator, path, "new_hire", keep_journal=False))
    assert again.summary.counts[RowStatus.INVALID] == 5
    # Only the pre-flight's reads went out, and the summary counts exactly those.
    assert again.summary.calls == emulator.stats.calls_total - calls_before > 0
    grown = {
        name
        for name, count in emulator.stats.calls_by_operation.items()
        if count > by_operation_before.get(name, 0)
    }
    assert grown and all("_Get" in name for name in grown)
    assert _inserts(emulator) == 5
    strays = [
        e for e in emulator.state.employees.values() if e.company_id == COMPANY and e.number == 0
    ]
    assert strays == []


# --- past periods --------------------------------------------------------------------------------
SALARY_HEADER: Final = "Personeelsnummer;Salaris;Soort salaris;Ingangsdatum"


async def test_past_dated_salaries_are_refused_with_a_tip(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    path = _write(
        tmp_path / "salary.csv",
        SALARY_HEADER,
        "1001;3.612,50;Maandsalaris;01-06-2026",
        "1002;4.050,00;Maandsalaris;01-01-1900",
        "1003;2.875,00;Maandsalaris;31-10-2026",  # the last day before the current period
        "1004;3.100,00;Maandsalaris;01-11-2026",  # the current period's first day
        "1005;5.200,00;Maandsalaris;01-12-2026",
    )
    outcome = await run_job(_job(emulator, path, "salary"))
    rows = _rows(outcome)
    assert [row["status"] for row in rows] == ["invalid", "invalid", "invalid", "ok", "ok"]
    assert rows[0]["message"].startswith("Ingangsdatum: Salary_Update would change 01-06-2026")
    assert "--allow-past-periods" in rows[0]["message"]
    assert emulator.stats.calls_by_operation.get("Salary_Update", 0) == 2


async def test_allow_past_periods_sends_the_past_salary(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    path = _write(tmp_path / "salary.csv", SALARY_HEADER, "1001;3.612,50;Maandsalaris;01-06-2026")
    outcome = await run_job(_job(emulator, path, "salary", allow_past_periods=True))
    assert outcome.summary.counts[RowStatus.OK] == 1
    employee = emulator.state.employees[503293]
    assert (2026, 6) in [start for start, _ in employee.salaries.items()]


async def test_a_schedule_from_2020_is_refused_unless_allowed(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    path = _write(
        tmp_path / "schedule.csv",
        "Personeelsnummer;Ingangsdatum;Maandag;Dinsdag;Woensdag;Donderdag;Vrijdag;Parttimepercentage",
        "1003;01-03-2020;8;8;8;8;0;80",
    )
    refused = await run_job(_job(emulator, path, "schedule"))
    assert refused.summary.counts[RowStatus.INVALID] == 1
    assert emulator.stats.calls_by_operation.get("Schedule_Update", 0) == 0
    # The same file and journal again: its invalid rows sent nothing, so they are checked anew.
    allowed = await run_job(_job(emulator, path, "schedule", allow_past_periods=True))
    assert allowed.summary.counts[RowStatus.OK] == 1
    assert emulator.stats.calls_by_operation["Schedule_Update"] == 1


async def test_a_past_start_is_refused_and_sent_unprotected_when_allowed(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """The emulator refuses a past Employee_Insert or Contract_Insert without UnprotectedMode
    (2011), so an `ok` here shows that the flag went out."""
    spec = NewHireSpec(rows=2, start_date=date(2026, 9, 1))
    path = write_new_hires_csv(tmp_path / "h.csv", spec)
    refused = await run_job(_job(emulator, path, "new_hire", keep_journal=False))
    message = _rows(refused)[0]["message"]
    assert refused.summary.counts[RowStatus.INVALID] == 2
    assert message.startswith("Datum in dienst: Employee_Insert would change 01-09-2026")
    assert "Contract_Insert would change 01-09-2026" in message
    assert _inserts(emulator) == 0
    allowed = await run_job(
        _job(emulator, path, "new_hire", keep_journal=False, allow_past_periods=True)
    )
    assert allowed.summary.counts[RowStatus.OK] == 2
    assert emulator.stats.calls_by_operation["Contract_Insert"] == 2
    assert emulator.stats.faults_by_code.get("2011", 0) == 0


@pytest.mark.parametrize(
    ("start", "status"),
    [(date(2026, 10, 8), "ok"), (date(2026, 10, 7), "invalid"), (date(2026, 9, 1), "invalid")],
)
async def test_a_four_weekly_company_is_judged_by_its_own_period(
    emulator: RunningEmulator, tmp_path: Path, start: date, status: str
) -> None:
    path = write_new_hires_csv(tmp_path / "h.csv", NewHireSpec(rows=1, start_date=start))
    outcome = await run_job(_job(emulator, path, "new_hire", company_id=FOUR_WEEKLY))
    assert [row["status"] for row in _rows(outcome)] == [status]
    assert _inserts(emulator) == (1 if status == "ok" else 0)


# --- the guard itself, without a target ----------------------------------------------------------
def _guard(**overrides: Any) -> RowGuard:
    settings: dict[str, Any] = {
        "template": load_builtin_template("new_hire"),
        "company_id": COMPANY,
        "current_period": CompanyPeriod(2026, 11, PeriodKind.MONTH),
        "allow_past_periods": False,
        "existing_numbers": {1001: 503293},
        "repeated_numbers": {},
        "number_header": "Personeelsnummer",
        "headers": {},
        "dating": SoapDating(),
    }
    settings.update(overrides)
    return RowGuard(**settings)


def _hire(start: date) -> RowPlan:
    insert = Call(
        "employee",
        "EmployeeService",
        "Employee_Insert",
        {"LastName": "Jansen", "StartDate": start, "CompanyId": COMPANY, "UnprotectedMode": False},
    )
    salary = Call("salary", "EmployeeService", "Salary_Update", {"EmployeeId": 1, "Start": start})
    return RowPlan(2, (insert, salary))


def test_an_existing_number_is_no_conflict_for_a_row_this_journal_already_sent() -> None:
    """On resume the employee an earlier run created under this number is the row's own."""
    plan = _hire(date(2026, 12, 1))
    with pytest.raises(RowInvalid, match="already exists"):
        _guard().check(plan, 1001, resuming=False)
    assert _guard().check(plan, 1001, resuming=True) is plan


def test_allowed_past_changes_set_unprotected_mode_only_where_the_operation_has_it() -> None:
    plan = _guard(allow_past_periods=True).check(_hire(date(2026, 6, 1)), 2001, resuming=False)
    insert, salary = plan.calls
    assert insert.values["UnprotectedMode"] is True
    assert "UnprotectedMode" not in salary.values
    current = _hire(date(2026, 11, 1))
    assert _guard(allow_past_periods=True).check(current, 2001, resuming=False) is current
