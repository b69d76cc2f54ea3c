"""What a plan calls a change, a no-change and a risk; `{empty}`; the intent column. Pure,
plus the bank-account and confirmation paths end to end against the emulator."""

from __future__ import annotations

import csv
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from bulkimport.backend import Effect
from bulkimport.cli import EXIT_FATAL, EXIT_OK, main
from bulkimport.config import Country
from bulkimport.confirm import confirm, is_real_target
from bulkimport.emulator import DEMO_CREDENTIALS, RunningEmulator
from bulkimport.errors import ConfigError, RowInvalid
from bulkimport.job import ImportJob, resolve_template
from bulkimport.mapping.mapper import MappingContext, bind_columns, map_row
from bulkimport.model import CLEAR, Call, EmployeeRef, RowPlan, SourceFormat, SourceInfo, SourceRow
from bulkimport.plan import PlanAction, RiskPolicy, StepBefore, format_plan_summary, plan_row
from bulkimport.planfile import PlanHeader, read_plan, write_plan
from bulkimport.planning import make_plan

UPDATE = StepBefore(Effect.UPDATE, False, None)


def _row(step: str, operation: str, values: dict[str, Any]) -> RowPlan:
    return RowPlan(2, (Call(step, "EmployeeService", operation, values),))


def _salary(amount: str) -> RowPlan:
    return _row(
        "salary",
        "Salary_Update",
        {
            "EmployeeId": EmployeeRef(1001),
            "Salary": {"Value": Decimal(amount), "Type": "Bruto_Salaris_Fulltime"},
            "Start": date(2026, 12, 1),
        },
    )


def _before(values: dict[str, Any], effect: Effect = Effect.UPDATE) -> list[StepBefore]:
    return [StepBefore(effect, False, values)]


SALARY_NOW = {"Salary.Value": Decimal("3000.00"), "Salary.Type": "Bruto_Salaris_Fulltime"}


@pytest.mark.parametrize(
    ("amount", "threshold", "risks"),
    [
        ("3500", Decimal("0.20"), ()),  # +16.7%
        ("3750", Decimal("0.20"), ("salary +25%",)),
        ("2000", Decimal("0.20"), ("salary -33%",)),
        ("3500", Decimal("0.10"), ("salary +17%",)),  # the threshold is configurable
    ],
)
def test_a_salary_step_above_the_threshold_is_risky(
    amount: str, threshold: Decimal, risks: tuple[str, ...]
) -> None:
    planned = plan_row(_salary(amount), 1001, _before(SALARY_NOW), RiskPolicy(threshold))
    assert planned.action is PlanAction.CHANGE
    assert planned.risks == risks


def test_the_same_salary_is_no_change_and_the_start_date_is_not_compared() -> None:
    planned = plan_row(_salary("3000"), 1001, _before(SALARY_NOW), RiskPolicy())
    assert planned.action is PlanAction.NO_CHANGE
    assert planned.changes == ()


def _personal(**fields: Any) -> RowPlan:
    return _row(
        "personal_info",
        "PersonalInfo_UpdateCurrent",
        {"EmployeeId": EmployeeRef(1001), "PersonalInfo": {"Id": EmployeeRef(1001), **fields}},
    )


PERSON_NOW = {
    "PersonalInfo.FirstName": "Jan",
    "PersonalInfo.LastName": "Vries",
    "PersonalInfo.Birthday": datetime(1980, 5, 17),
    "PersonalInfo.EmailPrivate": "jan@example.nl",
    "PersonalInfo.Nickname": None,
}


@pytest.mark.parametrize(
    ("fields", "risk"),
    [
        ({"LastName": "Jong"}, "name change"),
        ({"FirstName": "Johan"}, "name change"),
        ({"Birthday": date(1981, 5, 17)}, "birth-date change"),
    ],
)
def test_a_name_or_birth_date_change_of_an_existing_employee_is_risky(
    fields: dict[str, Any], risk: str
) -> None:
    planned = plan_row(_personal(**fields), 1001, _before(PERSON_NOW), RiskPolicy())
    assert planned.risks == (risk,)


def test_filling_in_an_empty_name_is_not_a_risk_and_email_is_never_one() -> None:
    planned = plan_row(
        _personal(Nickname="Jantje", EmailPrivate="new@example.nl"),
        1001,
        _before(PERSON_NOW),
        RiskPolicy(),
    )
    assert planned.action is PlanAction.CHANGE
    assert planned.risks == ()


def test_the_clear_marker_is_a_change_only_when_there_is_something_to_clear() -> None:
    cleared = plan_row(_personal(EmailPrivate=CLEAR), 1001, _before(PERSON_NOW), RiskPolicy())
    assert [(c.field, c.before, c.after) for c in cleared.changes] == [
        ("PersonalInfo.EmailPrivate", "jan@example.nl", "{empty}")
    ]
    empty = plan_row(_personal(Nickname=CLEAR), 1001, _before(PERSON_NOW), RiskPolicy())
    assert empty.action is PlanAction.NO_CHANGE


def test_an_iban_change_is_risky_and_a_new_account_is_a_creation() -> None:
    account = _row(
        "bank_account",
        "BankAccount_InsertCurrent",
        {
            "EmployeeId": EmployeeRef(1001),
            "BankAccount": {"Id": 0, "IBAN": "NL91ABNA0417164300", "Type": "Bankrekening1"},
        },
    )
    existing = {"BankAccount.IBAN": "NL20INGB0001234567", "BankAccount.Type": "Bankrekening1"}
    changed = plan_row(account, 1001, _before(existing, Effect.INSERT), RiskPolicy())
    assert changed.action is PlanAction.CHANGE
    assert changed.risks == ("IBAN change",)
    new = plan_row(account, 1001, [StepBefore(Effect.INSERT, False, None)], RiskPolicy())
    assert new.action is PlanAction.CREATE
    assert new.risks == ()


def test_a_contract_end_date_is_risky() -> None:
    contract = _row(
        "contract",
        "Contract_Insert",
        {
            "EmployeeId": EmployeeRef(1001),
            "EmployeeContract": {"StartDate": date(2026, 12, 1), "EndDate": date(2027, 11, 30)},
            "UnprotectedMode": False,
        },
    )
    planned = plan_row(contract, 1001, [StepBefore(Effect.INSERT, False, None)], RiskPolicy())
    assert planned.action is PlanAction.CREATE
    assert planned.risks == ("contract end date",)


def test_a_new_hire_is_a_creation_whose_names_are_no_risk() -> None:
    hire = RowPlan(
        2,
        (
            Call("employee", "EmployeeService", "Employee_Insert", {"LastName": "Smit"}),
            Call("personal_info", "EmployeeService", "PersonalInfo_UpdateCurrent",
                 {"PersonalInfo": {"LastName": "Smit", "Birthday": date(1990, 1, 1)}}),
        ),
    )  # fmt: skip
    befores = [StepBefore(Effect.INSERT, True, None), StepBefore(Effect.UPDATE, True, None)]
    planned = plan_row(hire, 3001, befores, RiskPolicy())
    assert planned.action is PlanAction.CREATE
    assert planned.risks == ()


def test_the_summary_lists_the_riskiest_first_and_hides_personal_data() -> None:
    small = plan_row(_salary("3750"), 1001, _before(SALARY_NOW), RiskPolicy())
    big = plan_row(_salary("9000"), 1002, _before(SALARY_NOW), RiskPolicy())
    birthday = plan_row(
        _personal(Birthday=date(1981, 5, 17)), 1003, _before(PERSON_NOW), RiskPolicy()
    )
    text = format_plan_summary([small, big, birthday])
    assert text.index("salary +200%") < text.index("salary +25%")
    assert "1980-05-17" not in text and "1981-05-17" not in text
    assert "change     3" in text


def test_a_plan_file_reads_back_as_written(tmp_path: Path) -> None:
    rows = [
        plan_row(_salary("3750"), 1001, _before(SALARY_NOW), RiskPolicy()),
        replace(
            plan_row(_personal(EmailPrivate="=cmd|x"), 1002, _before(PERSON_NOW), RiskPolicy()),
            row_number=3,
        ),
    ]
    header = PlanHeader("in.csv", "ab" * 32, "salary", "cd" * 32, 54613, "t", "0.2", "now")
    csv_path, xlsx_path = write_plan(tmp_path / "in.plan.csv", header, rows)
    read_header, read_rows = read_plan(csv_path)
    assert read_header == header
    assert read_rows == {2: rows[0], 3: rows[1]}  # a formula-like value survives its quote
    with csv_path.open(encoding="utf-8", newline="") as stream:
        csv_lines = [tuple(line) for line in csv.reader(line for line in stream if line[0] != "#")]
    book = openpyxl.load_workbook(xlsx_path)
    assert book.sheetnames == ["plan", "about"]
    plan_lines = [
        tuple("" if cell is None else cell for cell in line)
        for line in book["plan"].iter_rows(values_only=True)
    ]
    assert plan_lines == csv_lines  # the same lines, "'=cmd|x" quoted in both
    assert any("'=cmd|x" in line for line in plan_lines)
    assert book["plan"].freeze_panes == "A2"
    assert [row for row in book["about"].iter_rows(values_only=True)][:2] == [
        ("input", "in.csv"),
        ("input_sha256", "ab" * 32),
    ]
    book.close()
    assert write_plan(tmp_path / "named.xlsx", header, rows)[0] == tmp_path / "named.csv"
    assert write_plan(tmp_path / "bare", header, rows)[0] == tmp_path / "bare.csv"


# --- {empty} and the intent column, as a row maps ---------------------------------------------
def _map(template_name: str, headers: tuple[str, ...], cells: tuple[str, ...]) -> RowPlan:
    template = resolve_template(template_name)
    info = SourceInfo("f.csv", SourceFormat.CSV, headers, delimiter=";")
    binding = bind_columns(template, info)
    return map_row(template, binding, SourceRow(2, cells), MappingContext(54613, Country.NL))


def test_the_clear_marker_goes_into_a_whole_record_update() -> None:
    plan = _map("personal_info", ("Personeelsnummer", "E-mail privé"), ("1001", "{EMPTY}"))
    assert plan.calls[0].values["PersonalInfo"]["EmailPrivate"] is CLEAR


@pytest.mark.parametrize(
    ("template", "headers", "cells", "reason"),
    [
        ("address",
         ("Personeelsnummer", "Straat", "Huisnummer", "Postcode", "Woonplaats", "Toevoeging"),
         ("1001", "Kade", "1", "3511 AB", "Utrecht", "{empty}"), "only whole-record updates"),
        ("salary", ("Personeelsnummer", "Salaris", "Soort salaris", "Ingangsdatum"),
         ("1001", "{empty}", "Maandsalaris", "01-12-2026"), "this column is required"),
        ("personal_info", ("Personeelsnummer", "Action"), ("1001", "hire"),
         "the row says hire, but template personal_info changes existing employees"),
        ("new_hire", ("Personeelsnummer", "Voornaam", "Achternaam", "Datum in dienst", "Actie"),
         ("3001", "Eva", "Smit", "01-12-2026", "wijziging"), "the row says change"),
        ("salary", ("Personeelsnummer", "Salaris", "Soort salaris", "Ingangsdatum", "action"),
         ("1001", "1,00", "Maandsalaris", "01-12-2026", "fire"), "action must be hire or change"),
    ],
)  # fmt: skip
def test_a_row_that_cannot_mean_what_it_says_is_invalid(
    template: str, headers: tuple[str, ...], cells: tuple[str, ...], reason: str
) -> None:
    with pytest.raises(RowInvalid) as raised:
        _map(template, headers, cells)
    assert reason in str(raised.value)


def test_a_row_whose_action_matches_its_template_maps() -> None:
    plan = _map(
        "personal_info", ("Personeelsnummer", "Action", "Roepnaam"), ("1001", "Change", "J")
    )
    assert plan.calls[0].values["PersonalInfo"]["Nickname"] == "J"


# --- end to end ---------------------------------------------------------------------------------
async def test_an_iban_change_is_planned_from_the_employees_account(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    path = tmp_path / "bank.csv"
    path.write_text(
        "Personeelsnummer;IBAN;Tenaamstelling;Soort rekening\n"
        "1002;NL67 INGB 0006 5432 10;P. Bakker;Bankrekening 1\n"
        "1003;NL64 RABO 0318 4527 16;A. Willems;Bankrekening 2\n",
        encoding="utf-8",
    )
    job = ImportJob(
        input_path=path,
        template="bank_account",
        company_id=54613,
        endpoint=emulator.base_url,
        credentials=DEMO_CREDENTIALS,
        timeout=5.0,
    )
    rows = (await make_plan(job, policy=RiskPolicy())).rows
    assert rows[0].action is PlanAction.CHANGE and rows[0].risks == ("IBAN change",)
    assert rows[1].action is PlanAction.CREATE  # no Bankrekening2 yet: a new account


def test_production_needs_a_yes() -> None:
    assert is_real_target(None, "sandbox")
    assert is_real_target("https://api.nmbrs.nl/soap/v3/", None)
    assert not is_real_target("http://127.0.0.1:8080/soap/v3/", None)
    assert not is_real_target(None, None)  # the built-in emulator
    confirm("go", assume_yes=True, interactive=lambda: False)
    confirm("go", assume_yes=False, interactive=lambda: True, ask=lambda _: "yes")
    with pytest.raises(ConfigError, match="not confirmed"):
        confirm("go", assume_yes=False, interactive=lambda: True, ask=lambda _: "no")
    with pytest.raises(ConfigError, match="give --yes"):
        confirm("go", assume_yes=False, interactive=lambda: False)


def test_run_against_a_real_host_without_yes_stops_with_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("NMBRS_USERNAME", "someone@example.nl")
    monkeypatch.setenv("NMBRS_TOKEN", "secret-token-value")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    path = tmp_path / "salary.csv"
    path.write_text(
        "Personeelsnummer;Salaris;Soort salaris;Ingangsdatum\n1001;1,00;Maandsalaris;01-12-2026\n"
    )
    code = main(["run", str(path), "--template", "salary", "--company", "54613",
                 "--environment", "sandbox"])  # fmt: skip
    assert code == EXIT_FATAL
    assert "give --yes" in capsys.readouterr().err
    assert not (tmp_path / "salary.csv.report.csv").exists()  # nothing was started


def test_a_risky_plan_runs_only_with_yes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("NMBRS_USERNAME", "NMBRS_TOKEN", "NMBRS_DOMAIN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    path = tmp_path / "salary.csv"
    path.write_text(
        "Personeelsnummer;Salaris;Soort salaris;Ingangsdatum\n"
        "1001;99.000,00;Maandsalaris;01-12-2026\n"
    )
    assert main(["plan", str(path), "--template", "salary", "--company", "54613"]) == EXIT_OK
    out = capsys.readouterr().out
    assert "risky changes (1 rows" in out
    plan = tmp_path / "salary.csv.plan.csv"

    assert main(["run", "--plan", str(plan)]) == EXIT_FATAL
    assert "risky" in capsys.readouterr().err
    assert not (tmp_path / "salary.csv.report.csv").exists()

    assert main(["run", "--plan", str(plan), "--yes"]) == EXIT_OK
    with (tmp_path / "salary.csv.report.csv").open(encoding="utf-8-sig") as stream:
        assert [row["status"] for row in csv.DictReader(stream, delimiter=";")] == ["ok"]


def test_a_run_without_a_plan_asks_about_the_risky_changes_it_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("NMBRS_USERNAME", "NMBRS_TOKEN", "NMBRS_DOMAIN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    path = tmp_path / "salary.csv"
    path.write_text(
        "Personeelsnummer;Salaris;Soort salaris;Ingangsdatum\n"
        "1001;99.000,00;Maandsalaris;01-12-2026\n"
    )
    arguments = ["run", str(path), "--template", "salary", "--company", "54613"]

    assert main(arguments) == EXIT_FATAL
    err = capsys.readouterr().err
    assert "risky: row 2 (employee 1001): salary +" in err and "give --yes" in err
    assert not (tmp_path / "salary.csv.report.csv").exists()  # stopped before anything was sent

    assert main([*arguments, "--yes"]) == EXIT_OK


def test_run_plan_reads_the_file_as_the_plan_did(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("NMBRS_USERNAME", "NMBRS_TOKEN", "NMBRS_DOMAIN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    path = tmp_path / "salary.csv"
    path.write_text(
        "Personeelsnummer;Salaris;Soort salaris;Ingangsdatum;Opmerking\n"
        "1001;4.300,00;Maandsalaris;01-12-2026;akkoord HR\n"
    )
    planning = ["plan", str(path), "--template", "salary", "--company", "54613"]
    assert main([*planning, "--ignore-column", "Opmerking"]) == EXIT_OK
    header, _ = read_plan(tmp_path / "salary.csv.plan.csv")
    assert header.options["ignore_columns"] == ["Opmerking"]

    # Without the plan's --ignore-column the unknown column would end the run with exit 1.
    assert main(["run", "--plan", str(tmp_path / "salary.csv.plan.csv")]) == EXIT_OK


def test_rest_field_names_carry_the_same_risks_and_stay_hidden() -> None:
    salary = RowPlan(
        2,
        (
            Call("salary", "", "createEmployeeSalary", {
                "employeeId": EmployeeRef(1001),
                "body": {"startDate": date(2026, 12, 1), "value": Decimal(4000)},
            }),
        ),
    )  # fmt: skip
    raised = plan_row(
        salary, 1001, _before({"body.value": Decimal(3000)}, Effect.INSERT), RiskPolicy()
    )
    assert raised.risks == ("salary +33%",)
    person = RowPlan(
        3,
        (
            Call("personal_info", "", "UpdateEmployeePersonalInfo", {
                "employeeId": EmployeeRef(1002),
                "body": {"basicInfo": {"lastName": "Smit"},
                         "birthInfo": {"birthDate": date(1981, 5, 17)}},
            }),
        ),
    )  # fmt: skip
    now = {"body.basicInfo.lastName": "Jansen", "body.birthInfo.birthDate": date(1980, 5, 17)}
    renamed = plan_row(person, 1002, _before(now), RiskPolicy())
    assert renamed.risks == ("name change", "birth-date change")
    text = format_plan_summary([raised, renamed])
    assert "1980-05-17" not in text and "1981-05-17" not in text
