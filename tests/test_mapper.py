"""The mapper: header binding, values and placeholders, skipped steps, and row problems."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from bulkimport.config import Country
from bulkimport.errors import CellProblem, InputFileError, RowInvalid
from bulkimport.mapping.mapper import MappingContext, bind_columns, map_row
from bulkimport.mapping.template import Template, load_builtin_template, load_template
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
from bulkimport.nmbrs.soap.schema import lookup_operation

NL = MappingContext(company_id=54613, country=Country.NL)
SE = MappingContext(company_id=61001, country=Country.SE)

HIRE = """
name = "hire"
description = "a small hire template"
creates_employee = true
key = "number"

[[columns]]
name = "number"
aliases = ["Personeelsnummer", "Anställningsnummer"]
type = "int"
required = true

[[columns]]
name = "first_name"
aliases = ["Voornaam", "Förnamn"]
type = "text"
required = true

[[columns]]
name = "start"
aliases = ["Datum in dienst", "Anställningsdatum"]
type = "date"
required = true

[[columns]]
name = "id_number"
aliases = ["BSN", "Personnummer"]
type = "identity_number"

[[columns]]
name = "iban"
aliases = ["IBAN"]
type = "iban"

[[columns]]
name = "account_type"
aliases = ["Soort rekening"]
type = "bank_account_type"
default = "Bankrekening1"

[[columns]]
name = "salary"
aliases = ["Salaris"]
type = "decimal"

[[columns]]
name = "salary_type"
aliases = ["Soort salaris"]
type = "salary_type"

[[operations]]
step = "employee"
operation = "Employee_Insert"

[operations.fields]
FirstName = { column = "first_name" }
StartDate = { column = "start" }
CompanyId = { context = "company_id" }
UnprotectedMode = { value = false }

[[operations]]
step = "personal"
operation = "PersonalInfo_UpdateCurrent"

[operations.fields]
EmployeeId = { step = "employee" }
PersonalInfo.Id = { step = "employee" }
PersonalInfo.Number = { column = "number" }
PersonalInfo.BSN = { column = "id_number" }
PersonalInfo.IdentificationType = { value = 0 }

[[operations]]
step = "bank"
operation = "BankAccount_InsertCurrent"
when_any = ["iban"]

[operations.fields]
EmployeeId = { step = "employee" }
BankAccount.Id = { value = 0 }
BankAccount.IBAN = { column = "iban" }
BankAccount.Type = { column = "account_type" }

[[operations]]
step = "salary"
operation = "Salary_UpdateCurrent"
when_any = ["salary", "salary_type"]

[operations.fields]
EmployeeId = { step = "employee" }
Salary.Value = { column = "salary" }
Salary.Type = { column = "salary_type" }
"""

PERSONAL = """
name = "personal"
description = "merge-based update"
creates_employee = false
key = "number"

[[columns]]
name = "number"
aliases = ["Personeelsnummer"]
type = "int"
required = true

[[columns]]
name = "first_name"
aliases = ["Voornaam"]
type = "text"

[[columns]]
name = "birthday"
aliases = ["Geboortedatum"]
type = "date"

[[operations]]
step = "personal"
operation = "PersonalInfo_UpdateCurrent"
merge_from = "PersonalInfo_GetCurrent"

[operations.fields]
EmployeeId = { employee = true }
PersonalInfo.FirstName = { column = "first_name" }
PersonalInfo.Birthday = { column = "birthday" }
"""

HIRE_HEADERS = (
    "Personeelsnummer",
    "Voornaam",
    "Datum in dienst",
    "BSN",
    "IBAN",
    "Soort rekening",
    "Salaris",
    "Soort salaris",
)


@pytest.fixture
def hire(tmp_path: Path) -> Template:
    path = tmp_path / "hire.toml"
    path.write_text(HIRE, encoding="utf-8")
    return load_template(path, lookup_operation)


@pytest.fixture
def personal(tmp_path: Path) -> Template:
    path = tmp_path / "personal.toml"
    path.write_text(PERSONAL, encoding="utf-8")
    return load_template(path, lookup_operation)


def info(*headers: str, path: str = "hires.csv") -> SourceInfo:
    return SourceInfo(path=path, format=SourceFormat.CSV, headers=headers)


def row(row_number: int, *cells: Cell, problems: tuple[CellProblem, ...] = ()) -> SourceRow:
    return SourceRow(row_number=row_number, cells=cells, problems=problems)


def problems_of(template: Template, source: SourceInfo, data: SourceRow) -> list[tuple[str, ...]]:
    with pytest.raises(RowInvalid) as caught:
        map_row(template, bind_columns(template, source), data, NL)
    return [(str(p.row_number), p.column, p.value, p.reason) for p in caught.value.problems]


# --- binding ---------------------------------------------------------------------------------
def test_headers_match_dutch_aliases_in_any_case_and_spacing(hire: Template) -> None:
    binding = bind_columns(
        hire, info("PERSONEELSNUMMER", "voornaam ", "datum_in_dienst", "Opmerking", "")
    )

    by_name = {bound.column.name: (bound.header, bound.index) for bound in binding.columns}
    assert by_name["number"] == ("PERSONEELSNUMMER", 0)
    assert by_name["first_name"] == ("voornaam ", 1)
    assert by_name["start"] == ("datum_in_dienst", 2)
    assert by_name["iban"] == ("iban", None)
    assert binding.unused_headers == ("Opmerking",)
    assert binding.absent_columns == (
        "id_number",
        "iban",
        "account_type",
        "salary",
        "salary_type",
    )


def test_headers_match_swedish_aliases_without_accents(hire: Template) -> None:
    binding = bind_columns(hire, info("Anstallningsnummer", "FÖRNAMN", "Anställningsdatum"))
    assert [bound.index for bound in binding.columns[:3]] == [0, 1, 2]
    assert binding.unused_headers == ()


def test_missing_required_column_names_its_aliases(hire: Template) -> None:
    with pytest.raises(InputFileError) as caught:
        bind_columns(hire, info("Personeelsnummer", "Datum in dienst", path="in.csv"))
    assert caught.value.path == "in.csv"
    assert caught.value.reason == (
        "missing required column 'first_name' (also accepted: Voornaam, Förnamn)"
    )


def test_every_missing_required_column_is_named(hire: Template) -> None:
    with pytest.raises(InputFileError) as caught:
        bind_columns(hire, info("Voornaam"))
    assert caught.value.reason == (
        "missing required column 'number' (also accepted: Personeelsnummer, "
        "Anställningsnummer); missing required column 'start' (also accepted: "
        "Datum in dienst, Anställningsdatum)"
    )


def test_two_headers_for_one_column_are_refused(hire: Template) -> None:
    with pytest.raises(InputFileError, match="columns 'Voornaam' and 'Förnamn' both fill"):
        bind_columns(hire, info("Personeelsnummer", "Voornaam", "Förnamn", "Datum in dienst"))


# --- mapping ---------------------------------------------------------------------------------
def test_full_row_maps_to_calls_with_placeholders(hire: Template) -> None:
    binding = bind_columns(hire, info(*HIRE_HEADERS))
    data = row(
        2, "2001", "Sanne", "01-12-2026", "111222333", "NL91 ABNA 0417 1643 00", "", "3.450,00",
        "Maandsalaris",
    )  # fmt: skip

    plan = map_row(hire, binding, data, NL)

    assert plan == RowPlan(
        row_number=2,
        employee_key="2001",
        skipped_steps=(),
        calls=(
            Call(
                "employee",
                "EmployeeService",
                "Employee_Insert",
                {
                    "FirstName": "Sanne",
                    "StartDate": date(2026, 12, 1),
                    "CompanyId": 54613,
                    "UnprotectedMode": False,
                },
            ),
            Call(
                "personal",
                "EmployeeService",
                "PersonalInfo_UpdateCurrent",
                {
                    "EmployeeId": StepRef("employee"),
                    "PersonalInfo": {
                        "Id": StepRef("employee"),
                        "Number": 2001,
                        "BSN": "111222333",
                        "IdentificationType": 0,
                    },
                },
            ),
            Call(
                "bank",
                "EmployeeService",
                "BankAccount_InsertCurrent",
                {
                    "EmployeeId": StepRef("employee"),
                    "BankAccount": {"Id": 0, "IBAN": "NL91ABNA0417164300", "Type": "Bankrekening1"},
                },
            ),
            Call(
                "salary",
                "EmployeeService",
                "Salary_UpdateCurrent",
                {
                    "EmployeeId": StepRef("employee"),
                    "Salary": {"Value": Decimal("3450.00"), "Type": "Bruto_Salaris_Fulltime"},
                },
            ),
        ),
    )


def test_optional_steps_are_skipped_and_empty_fields_left_out(hire: Template) -> None:
    binding = bind_columns(hire, info(*HIRE_HEADERS))

    plan = map_row(hire, binding, row(3, "2002", "Daan", "2026-12-01", "", "", "", "", ""), NL)

    assert [call.step for call in plan.calls] == ["employee", "personal"]
    assert plan.skipped_steps == ("bank", "salary")
    assert plan.calls[1].values["PersonalInfo"] == {
        "Id": StepRef("employee"),
        "Number": 2002,
        "IdentificationType": 0,
    }  # no BSN key at all: an empty cell is not sent


def test_short_rows_and_absent_columns_count_as_empty(hire: Template) -> None:
    binding = bind_columns(hire, info(*HIRE_HEADERS))
    plan = map_row(hire, binding, row(4, "2003", "Bram", "01-12-2026"), NL)
    assert plan.skipped_steps == ("bank", "salary")


def test_typed_cells_from_a_workbook(hire: Template) -> None:
    binding = bind_columns(hire, info(*HIRE_HEADERS))
    data = row(5, 2004, "Lotte", date(2026, 12, 7), 111222333, None, None, 3450.5, "Uurloon")

    plan = map_row(hire, binding, data, NL)

    assert plan.employee_key == "2004"
    assert plan.calls[0].values["StartDate"] == date(2026, 12, 7)
    assert plan.calls[1].values["PersonalInfo"]["BSN"] == "111222333"
    assert plan.calls[-1].values["Salary"] == {
        "Value": Decimal("3450.5"),
        "Type": "Bruto_Uurloon",
    }


def test_country_decides_the_identity_number_rule(hire: Template) -> None:
    binding = bind_columns(
        hire, info("Anställningsnummer", "Förnamn", "Anställningsdatum", "Personnummer")
    )
    data = row(2, "3001", "Anna", "2026-12-01", "19910417-9784")

    plan = map_row(hire, binding, data, SE)

    assert plan.calls[0].values["CompanyId"] == 61001
    assert plan.calls[1].values["PersonalInfo"]["BSN"] == "19910417-9784"
    with pytest.raises(RowInvalid, match="a BSN has 9 digits"):
        map_row(hire, binding, data, NL)


def test_every_problem_of_a_row_is_reported_together(hire: Template) -> None:
    reader_problem = CellProblem(6, "column J (no header)", "x", "a cell under no header")
    data = row(
        6, "20O1", "", "31-06-2026", "123456789", "NL91 ABNA 0417 1643 01", "spaarrekening",
        "3.450,00", "", problems=(reader_problem,),
    )  # fmt: skip

    found = problems_of(hire, info(*HIRE_HEADERS), data)

    assert found[0] == ("6", "column J (no header)", "x", "a cell under no header")
    assert [(column, value) for _, column, value, _ in found[1:]] == [
        ("Personeelsnummer", "20O1"),
        ("Voornaam", ""),
        ("Datum in dienst", "31-06-2026"),
        ("BSN", "123456789"),
        ("IBAN", "NL91 ABNA 0417 1643 01"),
        ("Soort rekening", "spaarrekening"),
        ("Soort salaris", ""),
    ]
    reasons = {column: reason for _, column, _, reason in found}
    assert reasons["Voornaam"] == "required"
    assert "11-check" in reasons["BSN"]
    assert reasons["Soort salaris"] == (
        "required for step 'salary' (Salary_UpdateCurrent Salary.Type)"
    )
    assert all(number == "6" for number, *_ in found)


def test_field_a_running_step_needs_from_a_column_the_file_lacks(hire: Template) -> None:
    source = info("Personeelsnummer", "Voornaam", "Datum in dienst", "Salaris")
    found = problems_of(hire, source, row(7, "2007", "Emma", "01-12-2026", "3.000,00"))
    assert found == [
        (
            "7",
            "salary_type",
            "",
            "the file has no such column; required for step 'salary' "
            "(Salary_UpdateCurrent Salary.Type)",
        )
    ]


def test_reader_problems_alone_make_the_row_invalid(hire: Template) -> None:
    problem = CellProblem(8, "Voornaam", "\u2400", "the cell contains a NUL character")
    data = row(8, "2008", "Ruben", "01-12-2026", problems=(problem,))
    with pytest.raises(RowInvalid) as caught:
        map_row(hire, bind_columns(hire, info(*HIRE_HEADERS)), data, NL)
    assert caught.value.problems == (problem,)


def test_update_rows_refer_to_the_employee_by_number(personal: Template) -> None:
    binding = bind_columns(personal, info("Personeelsnummer", "Voornaam", "Geboortedatum"))

    plan = map_row(personal, binding, row(2, "1001", "Jan", ""), NL)

    (call,) = plan.calls
    assert call.merge_from == "PersonalInfo_GetCurrent"
    assert call.values == {"EmployeeId": EmployeeRef(1001), "PersonalInfo": {"FirstName": "Jan"}}
    assert plan.employee_key == "1001"


def test_record_with_nothing_set_is_left_out(personal: Template) -> None:
    binding = bind_columns(personal, info("Personeelsnummer", "Voornaam", "Geboortedatum"))
    plan = map_row(personal, binding, row(3, "1002", "", ""), NL)
    assert plan.calls[0].values == {"EmployeeId": EmployeeRef(1002)}


def test_binding_belongs_to_its_template(hire: Template, personal: Template) -> None:
    binding = bind_columns(personal, info("Personeelsnummer"))
    with pytest.raises(ValueError, match="another template"):
        map_row(hire, binding, row(2, "1001"), NL)


def test_defaults_fill_empty_cells_of_a_shipped_template() -> None:
    template = load_builtin_template("schedule", lookup_operation)
    binding = bind_columns(
        template, info("Personeelsnummer", "Ingangsdatum", "Maandag", "Parttimepercentage")
    )

    plan = map_row(template, binding, row(2, "1003", "01-12-2026", "7,5", "20"), NL)

    schedule = plan.calls[0].values["Schedule"]
    assert schedule["HoursMonday"] == schedule["HoursMonday2"] == Decimal("7.5")
    assert schedule["HoursTuesday"] == schedule["HoursSunday2"] == Decimal(0)
