"""End to end against the emulator on 127.0.0.1: files in, calls out, one report line per row."""

from __future__ import annotations

import bisect
import csv
import random
import shutil
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from contextlib import closing
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar, Final

import anyio
import anyio.lowlevel
import pytest

from bulkimport.config import Country, Credentials, RetryPolicy
from bulkimport.emulator import (
    DEMO_CREDENTIALS,
    EmulatorConfig,
    RunningEmulator,
    running_emulator,
)
from bulkimport.emulator.operations import HANDLERS
from bulkimport.emulator.state import DisplayNameFormat, EmulatorState
from bulkimport.errors import AuthenticationError, JournalMismatchError
from bulkimport.job import ImportJob, ImportOutcome, run_job
from bulkimport.limiter import Admission, CallRateLimiter
from bulkimport.model import RowStatus
from bulkimport.synthetic import (
    CORE_HEADERS,
    NewHireSpec,
    make_bsn,
    make_iban,
    new_hire_rows,
    write_new_hires_csv,
)
from tests.conftest import EMULATOR_PERIOD

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
COMPANY = 54613
FAST_RETRY = RetryPolicy(max_attempts=4, base_delay=0.01, max_delay=0.05)


def _job(emulator: RunningEmulator, path: Path, template: str, **options: Any) -> ImportJob:
    settings: dict[str, Any] = {
        "input_path": path,
        "template": template,
        "company_id": COMPANY,
        "endpoint": emulator.base_url,
        "credentials": DEMO_CREDENTIALS,
        "retry": FAST_RETRY,
        "timeout": 5.0,
        "seed": 7,
    }
    settings.update(options)
    return ImportJob(**settings)


def _copy_sample(name: str, tmp_path: Path) -> Path:
    return Path(shutil.copy(SAMPLES / name, tmp_path / name))


def _report_rows(outcome: ImportOutcome) -> list[dict[str, str]]:
    csv_path = next(path for path in outcome.report_paths if path.suffix == ".csv")
    with csv_path.open(encoding="utf-8-sig", newline="") as stream:
        sample = stream.readline()
        stream.seek(0)
        delimiter = ";" if sample.count(";") > sample.count(",") else ","
        return list(csv.DictReader(stream, delimiter=delimiter))


def _employees_by_number(emulator: RunningEmulator, company: int = COMPANY) -> dict[int, list[Any]]:
    found: dict[int, list[Any]] = {}
    for employee in emulator.state.employees.values():
        if employee.company_id == company:
            found.setdefault(employee.number, []).append(employee)
    return found


async def test_new_hire_sample_end_to_end(emulator: RunningEmulator, tmp_path: Path) -> None:
    path = _copy_sample("new_hires.csv", tmp_path)
    outcome = await run_job(_job(emulator, path, "new_hire"))

    rows = _report_rows(outcome)
    assert len(rows) == 25
    statuses = {row["Personeelsnummer"]: row["status"] for row in rows}
    invalid = sorted(number for number, status in statuses.items() if status == "invalid")
    assert len(invalid) == 3
    assert all(status == "ok" for status in statuses.values() if status != "invalid")
    employees = _employees_by_number(emulator)
    for row in rows:
        matches = employees.get(int(row["Personeelsnummer"]), [])
        if row["status"] != "ok":
            assert matches == []
            continue
        (employee,) = matches
        assert len(employee.addresses) == (1 if row["Straat"] else 0)
        assert len(employee.bank_accounts) == (1 if row["IBAN"] else 0)
        contract_cells = (
            "Einde proeftijd",
            "Einddatum contract",
            "Onbepaalde tijd",
            "Uren per week",
        )
        assert len(employee.contracts) == (1 if any(row[c] for c in contract_cells) else 0)
    assert outcome.failed_path is not None and outcome.failed_path.exists()


async def test_new_hire_workbook(emulator: RunningEmulator, tmp_path: Path) -> None:
    path = _copy_sample("new_hires.xlsx", tmp_path)
    outcome = await run_job(_job(emulator, path, "new_hire"))
    assert outcome.summary.counts[RowStatus.OK] == 22
    assert outcome.summary.counts[RowStatus.INVALID] == 3


async def test_swedish_new_hires(emulator: RunningEmulator, tmp_path: Path) -> None:
    path = _copy_sample("nyanstallda.csv", tmp_path)
    outcome = await run_job(_job(emulator, path, "new_hire", company_id=61001, country=Country.SE))
    assert outcome.summary.counts[RowStatus.OK] == outcome.summary.rows == 8
    assert len(_employees_by_number(emulator, 61001)) == 5 + 8


def _newest_personal_info(employee: Any) -> tuple[Any, ...]:
    record = employee.personal_info.records[-1]
    return record["EmailPrivate"], record["BurgerlijkeStaat"], record["PartnerLastName"]


def _newest_address(employee: Any) -> tuple[Any, ...]:
    _, record = employee.addresses[-1]
    return record["Street"], record["PostalCode"], record["Type"]


def _newest_bank_account(employee: Any) -> tuple[Any, ...]:
    _, record = employee.bank_accounts[-1]
    return record["IBAN"], record["Type"]


def _newest_salary(employee: Any) -> tuple[Any, ...]:
    record = employee.salaries.records[-1]
    return record["Value"], record["Type"], record["StartDate"].date()


def _newest_schedule(employee: Any) -> tuple[Any, ...]:
    record = employee.schedules.records[-1]
    return record["HoursWednesday"], record["ParttimePercentage"], record["StartDate"].date()


def _newest_contract(employee: Any) -> tuple[Any, ...]:
    record = employee.contracts[-1]
    return record["StartDate"].date(), record["Indefinite"], record["HoursPerWeek"]


_DEC_1: Final = date(2026, 12, 1)

# Per sample: what the newest record of each employee in the file must say afterwards (numbers
# the company does not have are left out: their rows must be refused).
_UPDATES: Final[dict[str, tuple[Callable[[Any], tuple[Any, ...]], dict[int, tuple[Any, ...]]]]] = {
    "personal_info": (
        _newest_personal_info,
        {
            1001: ("j.dejong@example.nl", "Ongehuwd", None),
            1002: (None, "Gehuwd", "Dam"),
            1004: (None, "Ongehuwd", None),
            1007: ("m.hoekstra@example.nl", "Samenwonend", None),
        },
    ),
    "address": (
        _newest_address,
        {
            1001: ("Biltstraat", "3572 BH", "HomeAddress"),
            1003: ("Javastraat", "1094 HJ", "HomeAddress"),
            1005: ("Postbus", "3500 BE", "PostAddress"),
            1008: ("Markt", "5611 EB", "HomeAddress"),
        },
    ),
    "bank_account": (
        _newest_bank_account,
        {
            1002: ("NL67INGB0006543210", "Bankrekening1"),
            1006: ("NL64RABO0318452716", "Bankrekening2"),
            1009: ("NL63TRIO0212345678", "Bankrekening1"),
        },
    ),
    "salary": (
        _newest_salary,
        {
            1001: (Decimal("3612.50"), "Bruto_Salaris_Fulltime", _DEC_1),
            1002: (Decimal("4050.00"), "Bruto_Salaris_Fulltime", _DEC_1),
            1003: (Decimal("2875.00"), "Bruto_Salaris_Fulltime", _DEC_1),
            1004: (Decimal("16.40"), "Bruto_Uurloon", _DEC_1),
            1005: (Decimal("5200.00"), "Bruto_Salaris_Fulltime", _DEC_1),
        },
    ),
    "schedule": (
        _newest_schedule,
        {
            1003: (Decimal(8), Decimal(80), _DEC_1),
            1006: (Decimal(0), Decimal(60), _DEC_1),
            1010: (Decimal("7.6"), Decimal(95), _DEC_1),
        },
    ),
    "contract": (
        _newest_contract,
        {
            1002: (_DEC_1, False, Decimal(36)),
            1007: (_DEC_1, True, Decimal(32)),
            1009: (_DEC_1, False, Decimal(24)),
        },
    ),
}


def _state_by_number(emulator: RunningEmulator) -> dict[int, Any]:
    return {e["number"]: e for e in emulator.state.snapshot()["employees"]}


@pytest.mark.parametrize("template", list(_UPDATES))
async def test_update_templates_land_on_the_employee_each_row_names(
    emulator: RunningEmulator, tmp_path: Path, template: str
) -> None:
    newest, expected = _UPDATES[template]
    path = _copy_sample(f"{template}.csv", tmp_path)
    before = _state_by_number(emulator)
    outcome = await run_job(_job(emulator, path, template))

    rows = _report_rows(outcome)
    statuses = {int(row["Personeelsnummer"]): (row["status"], row["message"]) for row in rows}
    unknown = {number for number in statuses if number not in expected}
    assert statuses == {
        **dict.fromkeys(expected, ("ok", "")),
        **{
            n: ("invalid", f"employee number {n} does not exist in company {COMPANY}")
            for n in unknown
        },
    }
    assert unknown == ({9999} if template == "personal_info" else set())
    employees = _employees_by_number(emulator)
    assert {number: newest(employees[number][0]) for number in expected} == expected
    after = _state_by_number(emulator)
    changed = {number for number, state in after.items() if state != before[number]}
    assert changed == set(expected)  # nobody else was touched


async def test_personal_info_keeps_fields_the_row_does_not_set(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    employee = next(e for e in emulator.state.employees.values() if e.number == 1001)
    before = employee.personal_info.records[-1]
    path = tmp_path / "pi.csv"
    path.write_text("Personeelsnummer;E-mail werk\n1001;nieuw@example.nl\n", encoding="utf-8")
    outcome = await run_job(_job(emulator, path, "personal_info"))
    assert outcome.summary.counts[RowStatus.OK] == 1
    after = employee.personal_info.records[-1]
    assert after["EmailWork"] == "nieuw@example.nl"
    for name in ("BSN", "FirstName", "LastName", "Birthday"):
        assert after[name] == before[name], name


async def test_retries_then_ok(emulator: RunningEmulator, tmp_path: Path) -> None:
    path = write_new_hires_csv(tmp_path / "hires.csv", NewHireSpec(rows=3, core_only=True))
    emulator.script("http_503", operation="Employee_Insert", count=2)
    emulator.script("drop", operation="PersonalInfo_UpdateCurrent", count=1)
    emulator.script("nmbrs_fault", operation="Employee_Insert", count=1, fault_code=1006)
    outcome = await run_job(_job(emulator, path, "new_hire", concurrency=1))
    assert outcome.summary.counts[RowStatus.OK] == 3
    attempts = [int(row["attempts"]) for row in _report_rows(outcome)]
    assert sum(attempts) == 3 * 2 + 4  # two calls a row, four of them retried once
    assert len(_employees_by_number(emulator)) == 10 + 3


async def test_lost_replies_are_reconciled_not_resent(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    path = write_new_hires_csv(tmp_path / "hires.csv", NewHireSpec(rows=4))
    emulator.script("lost_reply", operation="Employee_Insert", count=2)
    emulator.script("lost_reply", operation="Address_InsertCurrent", count=1)
    emulator.script("lost_reply", operation="BankAccount_InsertCurrent", count=1)
    emulator.script("lost_reply", operation="Contract_Insert", count=1)
    outcome = await run_job(_job(emulator, path, "new_hire", concurrency=2))
    assert outcome.summary.counts[RowStatus.OK] == 4
    employees = _employees_by_number(emulator)
    for number in range(100_001, 100_005):
        (employee,) = employees[number]
        assert len(employee.addresses) == 1
        assert len(employee.bank_accounts) == 1
        assert len(employee.contracts) == 1


async def test_business_fault_is_reported_not_retried(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    path = write_new_hires_csv(tmp_path / "hires.csv", NewHireSpec(rows=2))
    emulator.script("nmbrs_fault", operation="BankAccount_InsertCurrent", fault_code=2014)
    outcome = await run_job(_job(emulator, path, "new_hire", concurrency=1))
    rows = _report_rows(outcome)
    assert [row["status"] for row in rows] == ["fault", "ok"]
    assert rows[0]["failed_operation"] == "BankAccount_InsertCurrent"
    assert rows[0]["fault_code"] == "2014"
    assert rows[0]["attempts"] == "4"  # insert, personal info, address, refused bank account
    assert "employee=" in rows[0]["created_ids"]


async def test_authentication_fault_stops_the_run(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    path = write_new_hires_csv(tmp_path / "hires.csv", NewHireSpec(rows=5, core_only=True))
    wrong = Credentials(DEMO_CREDENTIALS.username, "not-the-token", DEMO_CREDENTIALS.domain)
    with pytest.raises(Exception) as caught:
        await run_job(_job(emulator, path, "new_hire", credentials=wrong))
    errors = _leaves(caught.value)
    assert any(isinstance(error, AuthenticationError) for error in errors)
    assert emulator.stats.calls_total <= 5  # stopped at once, not one call per row


def _leaves(error: BaseException) -> list[BaseException]:
    if isinstance(error, BaseExceptionGroup):
        return [leaf for inner in error.exceptions for leaf in _leaves(inner)]
    return [error]


async def test_stop_then_resume_sends_nothing_twice(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    path = write_new_hires_csv(tmp_path / "hires.csv", NewHireSpec(rows=40, core_only=True))
    journal = tmp_path / "run.journal.sqlite"
    stop = anyio.Event()
    emulator.script("slow", operation="PersonalInfo_UpdateCurrent", count=1, delay=0.3)

    async def stop_soon() -> None:
        """Stop once a few rows are under way, however fast this machine is."""
        with anyio.fail_after(30):
            while emulator.stats.calls_by_operation.get("PersonalInfo_UpdateCurrent", 0) < 3:  # noqa: ASYNC110
                await anyio.sleep(0.01)
        stop.set()

    async with anyio.create_task_group() as group:
        group.start_soon(stop_soon)
        first = await run_job(
            _job(emulator, path, "new_hire", journal_path=journal, concurrency=2), stop=stop
        )
    assert first.stopped_early
    rows = _report_rows(first)
    assert len(rows) == 40
    done_first = sum(1 for row in rows if row["status"] == "ok")
    assert 0 < done_first < 40
    assert {row["status"] for row in rows} <= {"ok", "skipped"}

    calls_before = emulator.stats.calls_total
    second = await run_job(_job(emulator, path, "new_hire", journal_path=journal))
    assert second.resumed
    assert second.summary.counts[RowStatus.OK] == 40
    employees = _employees_by_number(emulator)
    assert all(len(employees[n]) == 1 for n in range(100_001, 100_041))
    # the second run sends two calls for each row the first left, plus its own reads
    sent_again = emulator.stats.calls_total - calls_before
    assert sent_again < 2 * (40 - done_first) + 10


async def test_changed_input_under_the_same_journal_is_refused(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    path = write_new_hires_csv(tmp_path / "hires.csv", NewHireSpec(rows=2, core_only=True))
    journal = tmp_path / "run.journal.sqlite"
    await run_job(_job(emulator, path, "new_hire", journal_path=journal))
    write_new_hires_csv(path, NewHireSpec(rows=3, core_only=True))
    with pytest.raises(JournalMismatchError):
        await run_job(_job(emulator, path, "new_hire", journal_path=journal))


async def test_failed_rows_file_round_trip(emulator: RunningEmulator, tmp_path: Path) -> None:
    path = _copy_sample("new_hires.csv", tmp_path)
    first = await run_job(_job(emulator, path, "new_hire"))
    assert first.failed_path is not None
    with first.failed_path.open(encoding="utf-8-sig", newline="") as stream:
        failed = list(csv.reader(stream, delimiter=";"))
    header, rows = failed[0], failed[1:]
    assert len(rows) == 3
    # The person corrects the three mistakes in the file as it is and feeds it back.
    rng = random.Random(3)
    columns = {name: index for index, name in enumerate(header)}
    for row in rows:
        row[columns["BSN"]] = make_bsn(rng)
        row[columns["IBAN"]] = make_iban(rng)
        row[columns["Geboortedatum"]] = "30-06-1990"
    with first.failed_path.open("w", encoding="utf-8-sig", newline="") as stream:
        csv.writer(stream, delimiter=";").writerows([header, *rows])
    second = await run_job(_job(emulator, first.failed_path, "new_hire"))
    assert second.summary.counts[RowStatus.OK] == 3
    assert second.failed_path is None


async def test_dry_run_sends_nothing(emulator: RunningEmulator, tmp_path: Path) -> None:
    path = _copy_sample("new_hires.csv", tmp_path)
    outcome = await run_job(_job(emulator, path, "new_hire", dry_run=True))
    assert outcome.summary.counts[RowStatus.INVALID] == 3
    assert outcome.summary.counts[RowStatus.SKIPPED] == 22
    assert emulator.stats.calls_by_operation.get("Employee_Insert", 0) == 0
    assert outcome.summary.calls > 22  # every envelope was built


async def test_a_dry_run_of_a_long_file_still_hears_a_stop_part_way(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """A dry run sends nothing, so only its dispatch loop gives other tasks (a Ctrl-C) a turn."""
    rows = 3000
    path = write_new_hires_csv(tmp_path / "hires.csv", NewHireSpec(rows=rows, core_only=True))
    partial_report = tmp_path / "report.csv.partial"
    stop = anyio.Event()

    async def stop_once_rows_are_reported() -> None:
        # Polled at every turn this task gets: whether it gets one is what is tested.
        while not (partial_report.exists() and partial_report.stat().st_size > 16_384):
            await anyio.lowlevel.checkpoint()
        stop.set()

    async with anyio.create_task_group() as group:
        group.start_soon(stop_once_rows_are_reported)
        job = _job(emulator, path, "new_hire", dry_run=True, report_base=tmp_path / "report")
        outcome = await run_job(job, stop=stop)
        group.cancel_scope.cancel()
    assert outcome.stopped_early
    stopped = [row for row in _report_rows(outcome) if "the run was stopped" in row["message"]]
    assert 0 < len(stopped) < rows


class _RecordingLimiter(CallRateLimiter):
    """The real limiter, noting each admission on the clock it decides by."""

    made: ClassVar[list[_RecordingLimiter]] = []

    def __init__(self, rate: float = 150, **options: Any) -> None:
        super().__init__(rate, **options)
        self.configured_rate = rate
        self.admitted_at: list[float] = []
        _RecordingLimiter.made.append(self)

    async def acquire(self) -> Admission:
        admission = await super().acquire()
        self.admitted_at.append(admission.at)  # the time the window log holds
        return admission


async def test_every_call_passes_the_cap(
    emulator: RunningEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every call the server saw was admitted by the limiter at --rate (its timing is proven
    with a fake clock in test_limiter.py; wall-clock arrival windows are not asserted here)."""
    monkeypatch.setattr(_RecordingLimiter, "made", [])
    monkeypatch.setattr("bulkimport.nmbrs.soap.transport.CallRateLimiter", _RecordingLimiter)
    path = write_new_hires_csv(tmp_path / "hires.csv", NewHireSpec(rows=180, core_only=True))
    outcome = await run_job(_job(emulator, path, "new_hire", rate=60))
    assert outcome.summary.counts[RowStatus.OK] == 180
    (limiter,) = _RecordingLimiter.made
    assert limiter.configured_rate == 60
    assert len(limiter.admitted_at) == emulator.stats.calls_total == outcome.summary.calls
    times = limiter.admitted_at
    assert max(bisect.bisect_left(times, t + 1.0) - i for i, t in enumerate(times)) <= 60
    assert emulator.stats.throttled_calls == 0


async def test_lost_replies_for_people_with_the_same_name_are_not_confused(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """Reconciliation matches a lost Employee_Insert by name: namesakes must not swap ids."""
    path = write_new_hires_csv(tmp_path / "hires.csv", NewHireSpec(rows=6, core_only=True))
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    header = lines[0].split(";")
    first, last = header.index("Voornaam"), header.index("Achternaam")
    rows = []
    for line in lines[1:]:
        cells = line.split(";")
        cells[first], cells[last] = "Jan", "Jansen"
        rows.append(";".join(cells))
    path.write_text("\n".join([lines[0], *rows]) + "\n", encoding="utf-8-sig")
    emulator.script("lost_reply", operation="Employee_Insert", count=4)
    outcome = await run_job(_job(emulator, path, "new_hire", concurrency=6))
    assert outcome.summary.counts[RowStatus.OK] == 6
    employees = _employees_by_number(emulator)
    ids = set()
    for number in range(100_001, 100_007):
        (employee,) = employees[number]
        ids.add(employee.id)
    assert len(ids) == 6
    in_company = [e for e in emulator.state.employees.values() if e.company_id == COMPANY]
    assert len(in_company) == 10 + 6  # the ten demo employees, and no extra one left behind


# Rows whose names exercise each DisplayName form: a first name of two words, a hyphenated one,
# a prefix in its own column and one inside the last name cell.
_NAMES: Final = (
    ("Jan Pieter", "van der", "Berg"),
    ("Anna", "", "van den Heuvel"),
    ("Marie-Claire", "de", "Vries"),
    ("Kees", "", "Jansen"),
)


def _write_hires_named(path: Path, names: Sequence[tuple[str, str, str]]) -> Path:
    """Core new-hire rows (numbers from 100001) with the given first name, prefix, last name."""
    rows = list(new_hire_rows(NewHireSpec(rows=len(names), core_only=True)))
    first, prefix, last = (
        CORE_HEADERS.index(h) for h in ("Voornaam", "Tussenvoegsel", "Achternaam")
    )
    with path.open("w", encoding="utf-8-sig", newline="") as stream:
        writer = csv.writer(stream, delimiter=";")
        writer.writerow(CORE_HEADERS)
        for cells, (first_name, prefix_words, last_name) in zip(rows, names, strict=True):
            row = list(cells)
            row[first], row[prefix], row[last] = first_name, prefix_words, last_name
            writer.writerow(row)
    return path


@pytest.mark.parametrize("display_format", list(DisplayNameFormat))
async def test_lost_inserts_are_adopted_whatever_the_display_name_format(
    tmp_path: Path, display_format: DisplayNameFormat
) -> None:
    config = EmulatorConfig(
        current_period=EMULATOR_PERIOD, seed=1, display_name_format=display_format
    )
    async with running_emulator(config) as emulator:
        path = _write_hires_named(tmp_path / "hires.csv", _NAMES)
        emulator.script("lost_reply", operation="Employee_Insert", count=len(_NAMES))
        outcome = await run_job(_job(emulator, path, "new_hire", concurrency=2))

        assert outcome.summary.counts[RowStatus.OK] == len(_NAMES)
        assert emulator.stats.calls_by_operation["Employee_Insert"] == len(_NAMES)  # none resent
        employees = _employees_by_number(emulator)
        in_company = [e for e in emulator.state.employees.values() if e.company_id == COMPANY]
        assert len(in_company) == 10 + len(_NAMES)  # no duplicate, nobody left half-made
        for number, (first, prefix, last) in enumerate(_NAMES, start=100_001):
            (employee,) = employees[number]
            info = employee.personal_info.records[-1]
            assert (info["FirstName"], info["Prefix"] or "", info["LastName"]) == (
                first,
                prefix,
                last,
            )
        jan = employees[100_001][0].display_name
        assert (
            jan
            == {
                DisplayNameFormat.FIRST_LAST: "Jan Pieter van der Berg",
                DisplayNameFormat.LAST_FIRST: "Berg, Jan Pieter van der",
                DisplayNameFormat.INITIALS_LAST: "J. van der Berg",  # the row's own initials
            }[display_format]
        )


@pytest.mark.parametrize("display_format", list(DisplayNameFormat))
async def test_a_crash_after_the_personal_info_went_in_still_adopts_the_employee(
    tmp_path: Path, display_format: DisplayNameFormat
) -> None:
    """The insert's answer was journaled in a batch that a crash lost, after the row's
    PersonalInfo (number, prefix, initials) was written: the resume must recognise it."""
    config = EmulatorConfig(
        current_period=EMULATOR_PERIOD, seed=1, display_name_format=display_format
    )
    async with running_emulator(config) as emulator:
        path = _write_hires_named(tmp_path / "hires.csv", _NAMES[:1])
        journal = tmp_path / "hires.journal.sqlite"
        first = await run_job(_job(emulator, path, "new_hire", journal_path=journal))
        assert first.summary.counts[RowStatus.OK] == 1
        with closing(sqlite3.connect(journal)) as db, db:
            db.execute(
                "UPDATE step SET status = 'sent', result_id = NULL"
                " WHERE row_number = 2 AND step = 'employee'"
            )
            db.execute("DELETE FROM result WHERE row_number = 2")

        second = await run_job(_job(emulator, path, "new_hire", journal_path=journal))
        assert second.resumed
        (row,) = _report_rows(second)
        assert row["status"] == "ok", row
        assert emulator.stats.calls_by_operation["Employee_Insert"] == 1  # not sent again
        assert len(_employees_by_number(emulator)[100_001]) == 1


async def test_look_alike_display_names_are_told_apart_by_the_second_read(
    tmp_path: Path,
) -> None:
    """Jan and Joost Jansen are both "J. Jansen": only PersonalInfo says which is which."""
    config = EmulatorConfig(
        current_period=EMULATOR_PERIOD,
        seed=1,
        display_name_format=DisplayNameFormat.INITIALS_LAST,
    )
    names = (("Jan", "", "Jansen"), ("Joost", "", "Jansen"), ("Jet", "", "Jansen"))
    async with running_emulator(config) as emulator:
        path = _write_hires_named(tmp_path / "hires.csv", names)
        emulator.script("lost_reply", operation="Employee_Insert", count=len(names))
        outcome = await run_job(_job(emulator, path, "new_hire", concurrency=3))

        assert outcome.summary.counts[RowStatus.OK] == len(names)
        assert emulator.stats.calls_by_operation["Employee_Insert"] == len(names)
        employees = _employees_by_number(emulator)
        for number, (first, _, _) in enumerate(names, start=100_001):
            (employee,) = employees[number]
            assert employee.personal_info.records[-1]["FirstName"] == first


async def test_a_candidate_the_second_read_contradicts_needs_review(
    emulator: RunningEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The lost insert's employee already has a number: not the fresh one the row would make."""
    original = HANDLERS[("EmployeeService", "Employee_Insert")]

    def insert_then_numbered(state: EmulatorState, values: Mapping[str, Any]) -> Any:
        employee_id = original(state, values)
        employee = state.employees[employee_id]
        record = dict(employee.personal_info.records[-1], Number=4242, EmployeeNumber=4242)
        state.set_personal_info(employee, state.companies[COMPANY].current_period, record)
        return employee_id

    monkeypatch.setitem(HANDLERS, ("EmployeeService", "Employee_Insert"), insert_then_numbered)
    path = _write_hires_named(tmp_path / "hires.csv", _NAMES[:1])
    emulator.script("lost_reply", operation="Employee_Insert", count=1)
    outcome = await run_job(_job(emulator, path, "new_hire"))

    (row,) = _report_rows(outcome)
    assert row["status"] == "needs_review"
    assert "another number" in row["message"]
    assert emulator.stats.calls_by_operation["Employee_Insert"] == 1  # not resent
    assert emulator.stats.calls_by_operation.get("PersonalInfo_UpdateCurrent", 0) == 0
    assert 100_001 not in _employees_by_number(emulator)


async def test_slows_down_when_other_users_share_the_account(tmp_path: Path) -> None:
    """Nmbrs delays calls beyond 150/s by half a second; the engine notices and backs off."""
    # Others leave 10 calls a second: below the client's floor (15/s), so the throttle shows
    # on any machine that manages 11 calls in a second, however busy it is.
    config = EmulatorConfig(current_period=(2026, 11), other_users_calls_per_second=140, seed=2)
    async with running_emulator(config) as busy:
        path = write_new_hires_csv(tmp_path / "hires.csv", NewHireSpec(rows=40, core_only=True))
        outcome = await run_job(_job(busy, path, "new_hire"))
        assert outcome.summary.counts[RowStatus.OK] == 40
        # The client recognised Nmbrs' half-second delay in the replies it got (how far it then
        # slows down and recovers is checked with a fake clock in test_limiter.py).
        assert busy.stats.throttled_calls > 0
        assert outcome.summary.throttled_calls > 0
