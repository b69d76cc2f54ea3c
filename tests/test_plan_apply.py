"""Plan, apply, undo, against the emulator on loopback; its state is the judge.

A plan reads what each row would change; `run --plan` applies exactly that (no-change rows are
not sent, rows whose target changed since are refused); planning again after the run shows no
change anywhere; the undo file a run writes puts the before values back; every run writes a
receipt.
"""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bulkimport.emulator import DEMO_CREDENTIALS, RunningEmulator
from bulkimport.errors import ConfigError
from bulkimport.job import ImportJob, ImportOutcome, resolve_template, run_job
from bulkimport.model import RowStatus
from bulkimport.plan import PlanAction, PlannedRow, RiskPolicy, format_plan_summary
from bulkimport.planfile import read_plan
from bulkimport.planning import PlanOutcome, make_plan

COMPANY = 54613
SAMPLES = Path(__file__).resolve().parent.parent / "samples"
NEXT_PERIOD = (2026, 12)  # the salary rows start on 01-12-2026
CURRENT_PERIOD = (2026, 11)


def _write(path: Path, headers: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream, delimiter=";")
        writer.writerow(headers)
        writer.writerows(rows)
    return path


def _salaries(tmp_path: Path, rows: list[tuple[int, str]]) -> Path:
    return _write(
        tmp_path / "salary.csv",
        ["Personeelsnummer", "Salaris", "Soort salaris", "Ingangsdatum"],
        [[str(number), amount, "Maandsalaris", "01-12-2026"] for number, amount in rows],
    )


def _job(emulator: RunningEmulator, path: Path, template: str, **changes: Any) -> ImportJob:
    return ImportJob(
        input_path=path,
        template=template,
        company_id=COMPANY,
        endpoint=emulator.base_url,
        credentials=DEMO_CREDENTIALS,
        timeout=5.0,
        seed=7,
        **changes,
    )


async def _plan(emulator: RunningEmulator, path: Path, template: str, **kw: Any) -> PlanOutcome:
    return await make_plan(_job(emulator, path, template), policy=RiskPolicy(**kw))


def _employee(emulator: RunningEmulator, number: int) -> Any:
    (found,) = [
        e
        for e in emulator.state.employees.values()
        if e.company_id == COMPANY and e.number == number
    ]
    return found


def _salary(emulator: RunningEmulator, number: int) -> Decimal:
    value: Decimal = _employee(emulator, number).salaries.valid_in(NEXT_PERIOD)["Value"]
    return value


def _personal(emulator: RunningEmulator, number: int) -> dict[str, Any]:
    info: dict[str, Any] = _employee(emulator, number).personal_info.valid_in(CURRENT_PERIOD)
    return info


def _report(outcome: ImportOutcome) -> dict[int, dict[str, str]]:
    path = next(path for path in outcome.report_paths if path.suffix == ".csv")
    with path.open(encoding="utf-8-sig", newline="") as stream:
        lines = csv.DictReader(stream, delimiter=";")
        return {number: line for number, line in enumerate(lines, start=2)}  # header is row 1


def _cells(path: Path, columns: tuple[str, ...]) -> set[str]:
    lines = list(csv.DictReader(path.read_text("utf-8-sig").splitlines(), delimiter=";"))
    return {line[column] for line in lines for column in columns}


def _by_row(plan: PlanOutcome) -> dict[int, PlannedRow]:
    return {row.row_number: row for row in plan.rows}


def _writes(emulator: RunningEmulator, operation: str) -> int:
    return int(emulator.stats.calls_by_operation.get(operation, 0))


async def test_plan_then_run_then_plan_again_shows_no_change(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    before_1001 = _salary(emulator, 1001)
    path = _salaries(tmp_path, [(1001, "4.100,00"), (1002, "5.000,00")])

    first = await _plan(emulator, path, "salary")

    assert [row.action for row in first.rows] == [PlanAction.CHANGE, PlanAction.CHANGE]
    (change,) = first.rows[0].changes
    assert (change.field, change.before, change.after) == (
        "Salary.Value",
        format(before_1001.normalize(), "f"),
        "4100",
    )
    assert _salary(emulator, 1001) == before_1001  # planning changed nothing
    applied = await run_job(_job(emulator, path, "salary", plan_path=first.paths[0]))
    assert applied.summary.counts[RowStatus.OK] == 2
    assert _salary(emulator, 1001) == Decimal("4100")

    again = await _plan(emulator, path, "salary")

    assert [row.action for row in again.rows] == [PlanAction.NO_CHANGE] * 2
    sent = _writes(emulator, "Salary_Update")
    rerun = await run_job(_job(emulator, path, "salary", plan_path=again.paths[0]))
    assert _writes(emulator, "Salary_Update") == sent  # no-change rows are not sent
    assert [(r["status"], r["message"]) for r in _report(rerun).values()] == [
        ("ok", "no change (plan): nothing sent")
    ] * 2


async def test_personal_info_plan_run_plan_again(emulator: RunningEmulator, tmp_path: Path) -> None:
    path = _write(
        tmp_path / "personal.csv",
        ["Personeelsnummer", "E-mail privé", "Burgerlijke staat"],
        [["1001", "j.dejong@example.nl", ""], ["1002", "", "Gehuwd"], ["9999", "x@example.nl", ""]],
    )
    first = _by_row(await _plan(emulator, path, "personal_info"))
    assert first[2].action is PlanAction.CHANGE
    assert [(c.field, c.after) for c in first[2].changes] == [
        ("PersonalInfo.EmailPrivate", "j.dejong@example.nl")
    ]
    assert first[4].action is PlanAction.REFUSED
    assert "9999 does not exist" in first[4].reason and first[4].tip

    plan_path = tmp_path / "personal.plan.csv"
    made = await make_plan(
        _job(emulator, path, "personal_info"), policy=RiskPolicy(), output=plan_path
    )
    header, saved = read_plan(made.paths[0])
    assert header.company_id == COMPANY and saved[3].action is PlanAction.CHANGE
    await run_job(_job(emulator, path, "personal_info", plan_path=plan_path))
    assert _personal(emulator, 1001)["EmailPrivate"] == "j.dejong@example.nl"

    again = _by_row(await _plan(emulator, path, "personal_info"))
    assert again[2].action is again[3].action is PlanAction.NO_CHANGE


async def test_a_row_whose_target_changed_since_the_plan_is_refused(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    path = _salaries(tmp_path, [(1001, "4.100,00"), (1003, "3.000,00")])
    plan = await _plan(emulator, path, "salary")
    # Someone else changes employee 1001's December salary after the plan was made.
    meddle = tmp_path / "meddle"
    meddle.mkdir()
    await run_job(_job(emulator, _salaries(meddle, [(1001, "9.999,00")]), "salary"))

    outcome = await run_job(_job(emulator, path, "salary", plan_path=plan.paths[0]))

    report = _report(outcome)
    assert report[2]["status"] == "invalid"
    assert "changed since the plan" in report[2]["message"]
    assert "9999" in report[2]["message"]
    assert _salary(emulator, 1001) == Decimal("9999")  # the stale row was not sent
    assert report[3]["status"] == "ok"
    assert _salary(emulator, 1003) == Decimal("3000")


async def test_the_undo_file_restores_the_before_values(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    salary_before = _salary(emulator, 1002)
    info_before = _personal(emulator, 1004)
    assert info_before["EmailPrivate"] is None
    changes = _write(
        tmp_path / "personal.csv",
        ["Personeelsnummer", "E-mail privé", "Burgerlijke staat", "Voornaam"],
        [["1004", "new@example.nl", "Gehuwd", "Annelies"]],
    )
    salary = _salaries(tmp_path, [(1002, "6.500,00")])

    ran = await run_job(_job(emulator, changes, "personal_info"))
    ran_salary = await run_job(_job(emulator, salary, "salary"))
    assert _personal(emulator, 1004)["EmailPrivate"] == "new@example.nl"
    assert _salary(emulator, 1002) == Decimal("6500")

    undo = next(path for path in ran.undo_paths if path.name.endswith(".undo.csv"))
    undo_salary = next(path for path in ran_salary.undo_paths if path.name.endswith(".undo.csv"))
    with undo.open(encoding="utf-8", newline="") as stream:
        (line,) = list(csv.DictReader(stream, delimiter=";"))
    assert line["E-mail privé"] == "{empty}"  # it was empty: the undo clears it again
    await run_job(_job(emulator, undo, "personal_info"))
    await run_job(_job(emulator, undo_salary, "salary"))

    restored = _personal(emulator, 1004)
    for name in ("EmailPrivate", "BurgerlijkeStaat", "FirstName", "LastName", "BSN"):
        assert restored[name] == info_before[name], name
    assert _salary(emulator, 1002) == salary_before


async def test_creations_are_listed_for_removal_by_hand(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    path = _write(
        tmp_path / "hires.csv",
        ["Personeelsnummer", "Voornaam", "Achternaam", "Datum in dienst"],
        [["3001", "Eva", "Smit", "01-12-2026"]],
    )
    plan = await _plan(emulator, path, "new_hire")
    assert plan.rows[0].action is PlanAction.CREATE
    new_values = {(change.field, change.before, change.after) for change in plan.rows[0].changes}
    assert ("PersonalInfo.LastName", "", "Smit") in new_values  # all of a new hire is new

    outcome = await run_job(_job(emulator, path, "new_hire", plan_path=plan.paths[0]))

    (removals,) = outcome.undo_paths
    with removals.open(encoding="utf-8", newline="") as stream:
        (line,) = list(csv.DictReader(stream))
    assert line["employee_number"] == "3001"
    assert str(_employee(emulator, 3001).id) in line["created"]


async def test_every_run_writes_a_receipt(emulator: RunningEmulator, tmp_path: Path) -> None:
    path = _salaries(tmp_path, [(1001, "4.100,00"), (4242, "1.000,00")])

    outcome = await run_job(_job(emulator, path, "salary"))

    assert outcome.receipt_path is not None
    receipt = json.loads(outcome.receipt_path.read_text(encoding="utf-8"))
    assert receipt["input"]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert receipt["template"] == {
        "name": "salary",
        "sha256": resolve_template("salary").digest,
    }
    assert receipt["api"] == "soap"
    assert receipt["target"] == emulator.base_url
    assert receipt["company_id"] == COMPANY
    assert receipt["rows"]["ok"] == 1 and receipt["rows"]["invalid"] == 1
    assert receipt["calls"] == outcome.summary.calls > 0
    assert receipt["penalised_calls"] == 0
    assert receipt["first_call_at"] <= receipt["last_call_at"]
    assert receipt["bulkimport_version"]
    assert receipt["plan"] is None and receipt["dry_run"] is False


async def test_a_plan_applies_only_to_the_file_it_was_made_for(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    path = _salaries(tmp_path, [(1001, "4.100,00")])
    plan = await _plan(emulator, path, "salary")
    _salaries(tmp_path, [(1001, "41.000,00")])  # edited after planning
    sent = _writes(emulator, "Salary_Update")

    with pytest.raises(ConfigError, match=r"changed\s+since: make a new plan"):
        await run_job(_job(emulator, path, "salary", plan_path=plan.paths[0]))

    assert _writes(emulator, "Salary_Update") == sent


async def test_a_plan_reads_company_wide_lists_where_one_call_serves_every_row(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    salaries = _salaries(tmp_path, [(number, "4.000,00") for number in range(1001, 1011)])
    people = _write(
        tmp_path / "personal.csv",
        ["Personeelsnummer", "E-mail privé", "Burgerlijke staat"],
        [[str(number), f"p{number}@example.nl", ""] for number in range(1001, 1010)]
        + [["1010", "", "Gehuwd"]],  # marital status: only the employee's own read has it as text
    )

    await _plan(emulator, salaries, "salary")
    await _plan(emulator, people, "personal_info")

    calls = emulator.stats.calls_by_operation
    assert calls.get("Salary_GetAll_AllEmployeesByCompany") == 1
    assert calls.get("PersonalInfo_GetAll_AllEmployeesByCompany") == 1
    assert calls.get("PersonalInfo_GetCurrent") == 1
    assert not calls.get("Salary_GetCurrent")


async def test_a_planned_creation_whose_record_appeared_since_is_refused(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    path = _write(
        tmp_path / "bank.csv",
        ["Personeelsnummer", "IBAN", "Tenaamstelling", "Soort rekening"],
        [["1003", "NL64 RABO 0318 4527 16", "A. Willems", "Bankrekening 2"]],
    )
    plan = await _plan(emulator, path, "bank_account")
    assert plan.rows[0].action is PlanAction.CREATE
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    other = _write(
        elsewhere / "bank.csv",
        ["Personeelsnummer", "IBAN", "Tenaamstelling", "Soort rekening"],
        [["1003", "NL91 ABNA 0417 1643 00", "A. Willems", "Bankrekening 2"]],
    )
    await run_job(_job(emulator, other, "bank_account"))
    sent = _writes(emulator, "BankAccount_InsertCurrent")

    outcome = await run_job(_job(emulator, path, "bank_account", plan_path=plan.paths[0]))

    assert "planned as a creation" in _report(outcome)[2]["message"]
    assert _writes(emulator, "BankAccount_InsertCurrent") == sent


async def test_a_later_run_keeps_the_earlier_receipt(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    path = _salaries(tmp_path, [(1001, "4.100,00")])
    first = await run_job(_job(emulator, path, "salary", keep_journal=False))
    second = await run_job(_job(emulator, path, "salary", keep_journal=False))
    assert first.receipt_path is not None and second.receipt_path is not None
    assert first.receipt_path != second.receipt_path
    assert first.receipt_path.exists() and second.receipt_path.exists()


async def test_the_console_summary_shows_no_identity_numbers_ibans_or_birth_dates(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    path = Path(shutil.copy(SAMPLES / "new_hires.csv", tmp_path / "new_hires.csv"))

    plan = await _plan(emulator, path, "new_hire")

    text = format_plan_summary(plan.rows)
    assert "refused row 8" in text and "refused row 16" in text  # the sample's mistakes
    private = _cells(path, ("BSN", "IBAN", "Geboortedatum"))
    assert len(private) > 60
    assert [value for value in private if value and value in text] == []
