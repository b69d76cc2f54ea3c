"""The shipped templates and samples: exact values per template, and requests the schema accepts."""

from __future__ import annotations

import argparse
import subprocess
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bulkimport.config import Country, Credentials
from bulkimport.errors import RowInvalid
from bulkimport.mapping import command
from bulkimport.mapping.mapper import MappingContext, bind_columns, map_row
from bulkimport.mapping.template import (
    Template,
    list_builtin_templates,
    load_builtin_template,
)
from bulkimport.model import (
    Call,
    Cell,
    EmployeeRef,
    RowPlan,
    SourceFormat,
    SourceInfo,
    SourceRow,
    StepRef,
)
from bulkimport.nmbrs.soap.envelope import build_request
from bulkimport.nmbrs.soap.schema import lookup_operation
from bulkimport.sources import open_source

REPOSITORY = Path(__file__).resolve().parent.parent
SAMPLES = REPOSITORY / "samples"
NL = MappingContext(company_id=54613, country=Country.NL)
SE = MappingContext(company_id=61001, country=Country.SE)
CREDENTIALS = Credentials(username="api@example.nl", token="0123456789abcdef", domain="demo")
SHIPPED = {"new_hire", "personal_info", "address", "bank_account", "salary", "schedule", "contract"}

NEW_EMPLOYEE_ID = 700_001
EXISTING_EMPLOYEE_ID = 500_001


def map_one(name: str, cells: Mapping[str, Cell], context: MappingContext = NL) -> RowPlan:
    template = load_builtin_template(name)
    binding = bind_columns(template, SourceInfo("sample.csv", SourceFormat.CSV, tuple(cells)))
    return map_row(template, binding, SourceRow(2, tuple(cells.values())), context)


def resolve(value: Any) -> Any:
    """What the pipeline does with placeholders: the new or the looked-up EmployeeId."""
    if isinstance(value, StepRef):
        return NEW_EMPLOYEE_ID
    if isinstance(value, EmployeeRef):
        return EXISTING_EMPLOYEE_ID
    if isinstance(value, Mapping):
        return {name: resolve(item) for name, item in value.items()}
    return value


CURRENT_PERSONAL_INFO: dict[str, Any] = {
    "Id": EXISTING_EMPLOYEE_ID,
    "Number": 1001,
    "EmployeeNumber": 1001,
    "FirstName": "Jan",
    "LastName": "Jong",
    "Prefix": "de",
    "IdentificationType": 0,
    "Birthday": date(1980, 1, 1),
}


def request_values(call: Call) -> dict[str, Any]:
    """The values the pipeline sends: placeholders resolved, a merge_from record laid over
    the current record (the row's fields win)."""
    values: dict[str, Any] = resolve(call.values)
    if call.merge_from is not None:
        assert call.merge_from == "PersonalInfo_GetCurrent"
        values["PersonalInfo"] = CURRENT_PERSONAL_INFO | values.get("PersonalInfo", {})
    return values


def build_all(plan: RowPlan) -> list[bytes]:
    """Every call of the plan as an envelope: proves the values fit the operation table."""
    documents = []
    for call in plan.calls:
        operation = lookup_operation(call.operation)
        assert operation.service == call.service
        documents.append(build_request(operation, request_values(call), CREDENTIALS))
    return documents


# --- the templates ---------------------------------------------------------------------------
def test_all_shipped_templates_load() -> None:
    templates = list_builtin_templates()
    assert {t.name for t in templates} == SHIPPED
    for template in templates:
        assert template.key == "employee_number"
        assert "Personeelsnummer" in template.key_column.aliases
        assert template.description.strip()
        assert all(column.aliases for column in template.columns), template.name
        assert all(column.example for column in template.columns), template.name
        assert template.creates_employee is (template.name == "new_hire")


def test_file_names_match_template_names() -> None:
    names = {path.stem for path in (REPOSITORY / "templates").glob("*.toml")}
    assert names == SHIPPED  # an empty folder must not pass
    for name in names:
        assert load_builtin_template(name).name == name


def test_core_personal_columns_have_swedish_aliases() -> None:
    template = load_builtin_template("new_hire")
    expected = {
        "employee_number": "Anställningsnummer",
        "first_name": "Förnamn",
        "last_name": "Efternamn",
        "identity_number": "Personnummer",
        "start_date": "Anställningsdatum",
        "birth_date": "Födelsedatum",
    }
    for column, alias in expected.items():
        assert alias in template.column(column).aliases


def test_identity_number_follows_the_country_and_says_so() -> None:
    for name in ("new_hire", "personal_info"):
        template = load_builtin_template(name)
        assert str(template.column("identity_number").type) == "identity_number"
        assert "personnummer" in template.description and "inferred" in template.description


NEW_HIRE_ROW: dict[str, Cell] = {
    "Personeelsnummer": "2001",
    "Voorletters": "S.",
    "Voornaam": "Sanne",
    "Tussenvoegsel": "de",
    "Achternaam": "Vries",
    "Roepnaam": "",
    "Geslacht": "Vrouw",
    "Geboortedatum": "12-03-1994",
    "BSN": "111222333",
    "Nationaliteitscode": "1",
    "E-mail privé": "sanne.devries@example.nl",
    "Mobiel": "06-12345678",
    "Straat": "Oudegracht",
    "Huisnummer": "118",
    "Toevoeging": "",
    "Postcode": "3511ax",
    "Woonplaats": "Utrecht",
    "Land": "NL",
    "IBAN": "NL91 ABNA 0417 1643 00",
    "BIC": "ABNANL2A",
    "Tenaamstelling": "S. de Vries",
    "Datum in dienst": "01-12-2026",
    "Einde proeftijd": "31-12-2026",
    "Einddatum contract": "",
    "Onbepaalde tijd": "ja",
    "Uren per week": "32",
    "Salaris": "3.450,00",
    "Soort salaris": "Maandsalaris",
    "Maandag": "8",
    "Dinsdag": "8",
    "Woensdag": "8",
    "Donderdag": "8",
    "Vrijdag": "",
    "Parttimepercentage": "80",
}


def test_new_hire_maps_every_step_exactly() -> None:
    plan = map_one("new_hire", NEW_HIRE_ROW)

    new_id = StepRef("employee")
    hours = {"Monday": 8, "Tuesday": 8, "Wednesday": 8, "Thursday": 8, "Friday": 0}
    hours |= {"Saturday": 0, "Sunday": 0}
    schedule = {f"Hours{day}": Decimal(n) for day, n in hours.items()}
    schedule |= {f"Hours{day}2": Decimal(n) for day, n in hours.items()}
    assert plan.employee_key == "2001"
    assert plan.skipped_steps == ()
    assert [(c.step, c.operation) for c in plan.calls] == [
        ("employee", "Employee_Insert"),
        ("personal_info", "PersonalInfo_UpdateCurrent"),
        ("address", "Address_InsertCurrent"),
        ("bank_account", "BankAccount_InsertCurrent"),
        ("contract", "Contract_Insert"),
        ("salary", "Salary_UpdateCurrent"),
        ("schedule", "Schedule_UpdateCurrent"),
    ]
    values = [call.values for call in plan.calls]
    assert values[0] == {
        "FirstName": "Sanne",
        "LastName": "Vries",
        "StartDate": date(2026, 12, 1),
        "CompanyId": 54613,
        "UnprotectedMode": False,
    }
    assert values[1] == {
        "EmployeeId": new_id,
        "PersonalInfo": {
            "Id": new_id,
            "Number": 2001,
            "EmployeeNumber": 2001,
            "BSN": "111222333",
            "FirstName": "Sanne",
            "Initials": "S.",
            "Prefix": "de",
            "LastName": "Vries",
            "Gender": "female",
            "NationalityCode": 1,
            "IdentificationType": 0,
            "TelephoneMobilePrivate": "06-12345678",
            "EmailPrivate": "sanne.devries@example.nl",
            "Birthday": date(1994, 3, 12),
        },
    }
    assert values[2] == {
        "EmployeeId": new_id,
        "Address": {
            "Id": 0,
            "Default": True,
            "Street": "Oudegracht",
            "HouseNumber": "118",
            "PostalCode": "3511 AX",
            "City": "Utrecht",
            "CountryISOCode": "NL",
            "Type": "HomeAddress",
        },
    }
    assert values[3] == {
        "EmployeeId": new_id,
        "BankAccount": {
            "Id": 0,
            "IBAN": "NL91ABNA0417164300",
            "BIC": "ABNANL2A",
            "Name": "S. de Vries",
            "Type": "Bankrekening1",
        },
    }
    assert values[4] == {
        "EmployeeId": new_id,
        "EmployeeContract": {
            "ContractID": 0,
            "StartDate": date(2026, 12, 1),
            "TrialPeriod": date(2026, 12, 31),
            "EmployementType": 0,
            "EmploymentSequenceTaxId": 1,
            "Indefinite": True,
            "HoursPerWeek": Decimal(32),
        },
        "UnprotectedMode": False,
    }
    assert values[5] == {
        "EmployeeId": new_id,
        "Salary": {"Value": Decimal("3450.00"), "Type": "Bruto_Salaris_Fulltime"},
    }
    assert values[6] == {
        "EmployeeId": new_id,
        "Schedule": {
            **schedule,
            "ParttimePercentage": Decimal(80),
            "StartDate": date(2026, 12, 1),
        },
        "CompanyRoosterNr": 0,
    }


def test_new_hire_requests_fit_the_schema_in_order() -> None:
    documents = build_all(map_one("new_hire", NEW_HIRE_ROW))
    contract = documents[4].decode()
    # Empty nillable contract dates go out as nil, never as 0001-01-01.
    assert '<EndDate xsi:nil="true"/>' in contract
    assert '<CreationDate xsi:nil="true"/>' in contract
    assert "<HoursPerWeek>32</HoursPerWeek>" in contract
    assert b"<Number>2001</Number><EmployeeNumber>2001</EmployeeNumber>" in documents[1]


def test_new_hire_with_only_the_required_columns_is_two_calls() -> None:
    row = {"Personeelsnummer": "2002", "Voornaam": "Daan", "Achternaam": "Jansen"}
    plan = map_one("new_hire", row | {"Datum in dienst": "01-12-2026"})
    assert [call.step for call in plan.calls] == ["employee", "personal_info"]
    assert plan.skipped_steps == ("address", "bank_account", "contract", "salary", "schedule")
    build_all(plan)


def test_new_hire_with_swedish_headers() -> None:
    row: dict[str, Cell] = {
        "Anställningsnummer": "3001",
        "Förnamn": "Anna",
        "Efternamn": "Lindqvist",
        "Personnummer": "199104179784",
        "Kön": "Kvinna",
        "Gatuadress": "Storgatan 12",
        "Postnummer": "11151",
        "Ort": "Stockholm",
        "Anställningsdatum": "2026-12-01",
        "Lön": "34500",
        "Lönetyp": "Månadslön",
    }
    plan = map_one("new_hire", row, SE)

    assert plan.calls[0].values["CompanyId"] == 61001
    info = plan.calls[1].values["PersonalInfo"]
    assert (info["BSN"], info["Gender"]) == ("19910417-9784", "female")
    assert plan.calls[2].values["Address"]["PostalCode"] == "111 51"
    assert [call.step for call in plan.calls][-1] == "salary"
    build_all(plan)


def test_personal_info_merges_over_the_current_record() -> None:
    plan = map_one(
        "personal_info",
        {"Personeelsnummer": "1001", "E-mail privé": "j.dejong@example.nl", "Mobiel": ""},
    )

    (call,) = plan.calls
    assert call.merge_from == "PersonalInfo_GetCurrent"
    assert call.values == {
        "EmployeeId": EmployeeRef(1001),
        "PersonalInfo": {
            "Id": EmployeeRef(1001),
            "Number": 1001,
            "EmailPrivate": "j.dejong@example.nl",
        },
    }
    (document,) = build_all(plan)
    assert b"<LastName>Jong</LastName>" in document  # kept from the current record
    assert b"<EmailPrivate>j.dejong@example.nl</EmailPrivate>" in document
    with pytest.raises(ValueError, match="IdentificationType"):
        # Without the merge the record lacks required fields: merge_from is not optional.
        build_request(lookup_operation(call.operation), resolve(call.values), CREDENTIALS)


def test_address_maps_exactly() -> None:
    plan = map_one(
        "address",
        {
            "Personeelsnummer": "1005",
            "Straat": "Postbus",
            "Huisnummer": "1200",
            "Postcode": "3500 BE",
            "Woonplaats": "Utrecht",
            "Soort adres": "Postadres",
        },
    )
    assert plan.calls[0].values == {
        "EmployeeId": EmployeeRef(1005),
        "Address": {
            "Id": 0,
            "Default": True,
            "Street": "Postbus",
            "HouseNumber": "1200",
            "PostalCode": "3500 BE",
            "City": "Utrecht",
            "Type": "PostAddress",
        },
    }
    build_all(plan)


def test_bank_account_maps_exactly() -> None:
    plan = map_one(
        "bank_account",
        {"Personeelsnummer": "1006", "IBAN": "nl91abna0417164300", "Soort rekening": "2"},
    )
    assert plan.calls[0].values == {
        "EmployeeId": EmployeeRef(1006),
        "BankAccount": {"Id": 0, "IBAN": "NL91ABNA0417164300", "Type": "Bankrekening2"},
    }
    build_all(plan)


def test_salary_maps_exactly() -> None:
    plan = map_one(
        "salary",
        {
            "Personeelsnummer": "1004",
            "Salaris": "16,40",
            "Soort salaris": "Uurloon",
            "Ingangsdatum": "01-12-2026",
        },
    )
    assert plan.calls[0].operation == "Salary_Update"
    assert plan.calls[0].values == {
        "EmployeeId": EmployeeRef(1004),
        "Salary": {"Value": Decimal("16.40"), "Type": "Bruto_Uurloon"},
        "Start": date(2026, 12, 1),
    }
    build_all(plan)


def test_schedule_maps_exactly() -> None:
    days = ("Maandag", "Dinsdag", "Woensdag", "Donderdag", "Vrijdag")
    row: dict[str, Cell] = {"Personeelsnummer": "1010", "Ingangsdatum": "01-12-2026"}
    row |= dict.fromkeys(days, "7,6")
    row["Parttimepercentage"] = "95"
    plan = map_one("schedule", row)

    values = plan.calls[0].values
    assert values["EmployeeId"] == EmployeeRef(1010)
    assert values["Start"] == values["Schedule"]["StartDate"] == date(2026, 12, 1)
    assert values["CompanyRoosterNr"] == 0
    assert values["Schedule"]["ParttimePercentage"] == Decimal(95)
    week = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
    for week_suffix in ("", "2"):
        hours = [values["Schedule"][f"Hours{day}{week_suffix}"] for day in week]
        assert hours == [Decimal("7.6")] * 5 + [Decimal(0)] * 2
    build_all(plan)


def test_contract_maps_exactly() -> None:
    plan = map_one(
        "contract",
        {
            "Personeelsnummer": "1009",
            "Begindatum contract": "01-12-2026",
            "Einde proeftijd": "",
            "Einddatum contract": "31-05-2027",
            "Onbepaalde tijd": "nee",
            "Uren per week": "24",
            "Schriftelijk contract": "ja",
        },
    )
    assert plan.calls[0].values == {
        "EmployeeId": EmployeeRef(1009),
        "EmployeeContract": {
            "ContractID": 0,
            "StartDate": date(2026, 12, 1),
            "EndDate": date(2027, 5, 31),
            "EmployementType": 0,
            "EmploymentSequenceTaxId": 1,
            "Indefinite": False,
            "WrittenContract": True,
            "HoursPerWeek": Decimal(24),
        },
        "UnprotectedMode": False,
    }
    (document,) = build_all(plan)
    assert b'<TrialPeriod xsi:nil="true"/>' in document


# --- the samples -----------------------------------------------------------------------------
def map_file(
    path: Path, template: Template, context: MappingContext
) -> tuple[list[RowPlan], dict[int, list[tuple[str, str]]]]:
    plans: list[RowPlan] = []
    invalid: dict[int, list[tuple[str, str]]] = {}
    with open_source(path) as source:
        binding = bind_columns(template, source.info)
        assert binding.unused_headers == ()
        for row in source.rows():
            try:
                plans.append(map_row(template, binding, row, context))
            except RowInvalid as exc:
                invalid[row.row_number] = [(p.column, p.value) for p in exc.problems]
    return plans, invalid


NEW_HIRE_MISTAKES = {
    8: [("BSN", "123456789")],
    16: [("IBAN", "NL60 KNAB 6521 6077 70")],
    23: [("Geboortedatum", "31-06-1993")],
}


@pytest.mark.parametrize("name", ["new_hires.csv", "new_hires.xlsx"])
def test_dutch_new_hires_sample_shows_exactly_its_three_mistakes(name: str) -> None:
    plans, invalid = map_file(SAMPLES / name, load_builtin_template("new_hire"), NL)

    assert invalid == NEW_HIRE_MISTAKES
    assert len(plans) == 22
    numbers = [int(plan.employee_key or 0) for plan in plans]
    assert numbers == sorted(set(numbers)) and numbers[0] == 2001
    for plan in plans:
        start = plan.calls[0].values["StartDate"]
        assert (start.year, start.month) == (2026, 12)
        build_all(plan)
    # the holiday worker has only personal details and an address
    assert plans[-1].skipped_steps == ("bank_account", "contract", "salary", "schedule")


def test_workbook_and_csv_samples_hold_the_same_data() -> None:
    template = load_builtin_template("new_hire")
    from_csv, _ = map_file(SAMPLES / "new_hires.csv", template, NL)
    from_xlsx, _ = map_file(SAMPLES / "new_hires.xlsx", template, NL)
    assert from_csv == from_xlsx


def test_swedish_sample_maps_cleanly_for_a_swedish_company() -> None:
    plans, invalid = map_file(SAMPLES / "nyanstallda.csv", load_builtin_template("new_hire"), SE)
    assert invalid == {}
    assert len(plans) == 8
    for plan in plans:
        assert plan.calls[0].values["CompanyId"] == 61001
        assert plan.calls[3].values["BankAccount"]["IBAN"].startswith("SE")
        build_all(plan)


@pytest.mark.parametrize(
    "name", ["personal_info", "address", "bank_account", "salary", "schedule", "contract"]
)
def test_update_samples_refer_to_seeded_employees(name: str) -> None:
    plans, invalid = map_file(SAMPLES / f"{name}.csv", load_builtin_template(name), NL)
    assert invalid == {}
    numbers = {int(plan.employee_key or 0) for plan in plans}
    assert numbers and numbers <= set(range(1001, 1011)) | {9999}
    for plan in plans:
        build_all(plan)


def test_one_update_sample_names_an_unknown_employee() -> None:
    plans, _ = map_file(SAMPLES / "personal_info.csv", load_builtin_template("personal_info"), NL)
    assert [plan.row_number for plan in plans if plan.employee_key == "9999"] == [5]


def _committed_samples() -> list[str]:
    """The sample files in git: the README's commands leave reports and journals beside them."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--", "."],
            cwd=SAMPLES,
            capture_output=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError) as exc:
        pytest.skip(f"needs a git checkout to tell samples from run outputs ({exc})")
    return [name for name in listed.stdout.decode().split("\0") if name]


def test_samples_readme_lists_every_sample() -> None:
    readme = (SAMPLES / "README.md").read_text(encoding="utf-8")
    samples = [name for name in _committed_samples() if name != "README.md"]
    assert "new_hires.csv" in samples
    for name in samples:
        assert f"`{name}`" in readme


# --- the command -----------------------------------------------------------------------------
def run_command(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser()
    handler = command.add(parser)
    code = handler(parser.parse_args(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_templates_command_lists_every_template(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_command(capsys)
    assert code == 0
    for name in SHIPPED:
        assert f"\n{name}  (" in f"\n{out}"
    assert "Personeelsnummer" in out


def test_templates_command_shows_one_with_its_columns(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_command(capsys, "salary")
    assert code == 0
    assert out.startswith("salary  (updates existing employees; key column: employee_number)")
    assert "1. salary: Salary_Update" in out
    lines = {line.split()[0]: line for line in out.splitlines()[6:] if line.strip()}
    assert lines["salary_type"].split()[1:3] == ["salary_type", "yes"]
    assert "Soort salaris" in lines["salary_type"]
    assert "Bruto_Salaris_Fulltime" in lines["salary_type"]


def test_templates_command_checks_a_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text('name = "x"\n', encoding="utf-8")
    code, out, err = run_command(capsys, "--file", str(broken))
    assert (code, out) == (2, "")
    assert str(broken) in err


def test_templates_command_unknown_name(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_command(capsys, "salaris")
    assert code == 2
    assert "unknown template 'salaris'" in err
