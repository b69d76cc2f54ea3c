"""Row rules: everything knowable from a row is refused while mapping, before any call is sent.

Pure: literal rows through the shipped templates (each refused case names row, column, value
and reason), and every load-time error of the template keys that declare the rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from bulkimport.config import Country
from bulkimport.errors import CellProblem, RowInvalid, TemplateError
from bulkimport.mapping.command import format_template
from bulkimport.mapping.mapper import MappingContext, bind_columns, map_row
from bulkimport.mapping.template import DateBound, load_builtin_template, load_template
from bulkimport.model import Call, Cell, RowPlan, SourceFormat, SourceInfo, SourceRow
from bulkimport.nmbrs.soap.schema import lookup_operation

TODAY = date(2026, 12, 1)
NL = MappingContext(company_id=54613, country=Country.NL, today=TODAY)
SE = MappingContext(company_id=61001, country=Country.SE, today=TODAY)

# A new hire that maps cleanly; each case below changes a few cells.
HIRE: dict[str, Cell] = {
    "Personeelsnummer": "2101",
    "Voornaam": "Eva",
    "Achternaam": "Smit",
    "Geboortedatum": "12-03-1994",
    "BSN": "123456782",
    "Burgerlijke staat": "",
    "Straat": "Oudegracht",
    "Huisnummer": "118",
    "Postcode": "3511 AX",
    "Woonplaats": "Utrecht",
    "Land": "NL",
    "IBAN": "NL91ABNA0417164300",
    "BIC": "",
    "Tenaamstelling": "E. Smit",
    "Datum in dienst": "01-12-2026",
    "Einde proeftijd": "",
    "Einddatum contract": "",
    "Onbepaalde tijd": "",
    "Uren per week": "",
    "Salaris": "3.000,00",
    "Soort salaris": "Maandsalaris",
    "Maandag": "",
    "Parttimepercentage": "",
}


def map_cells(
    template_name: str, cells: Mapping[str, Cell], context: MappingContext = NL
) -> RowPlan:
    template = load_builtin_template(template_name, lookup_operation)
    binding = bind_columns(template, SourceInfo("rows.csv", SourceFormat.CSV, tuple(cells)))
    return map_row(template, binding, SourceRow(2, tuple(cells.values())), context)


def problems_of(
    template_name: str, cells: Mapping[str, Cell], context: MappingContext = NL
) -> tuple[CellProblem, ...]:
    with pytest.raises(RowInvalid) as caught:
        map_cells(template_name, cells, context)
    return caught.value.problems


def hire(**changes: Cell) -> dict[str, Cell]:
    cells = dict(HIRE)
    for header, value in changes.items():
        cells[header.replace("_", " ")] = value
    return cells


def call(plan: RowPlan, step: str) -> Call:
    return next(c for c in plan.calls if c.step == step)


def test_the_base_hire_maps_cleanly() -> None:
    plan = map_cells("new_hire", HIRE)
    assert [c.step for c in plan.calls] == [
        "employee",
        "personal_info",
        "address",
        "bank_account",
        "salary",
    ]


# --- refused: one problem, naming row, column, value and reason ---------------------------------
@pytest.mark.parametrize(
    ("changes", "column", "value", "reason"),
    [
        ({"Salaris": "-100"}, "Salaris", "-100", "must not be negative"),
        ({"Salaris": "-0,01"}, "Salaris", "-0,01", "must not be negative"),
        ({"IBAN": ""}, "IBAN", "", "required when 'Tenaamstelling' is filled in"),
        (
            {"IBAN": "", "Tenaamstelling": "", "BIC": "ABNANL2A"},
            "IBAN",
            "",
            "required when 'BIC' is filled in",
        ),
        ({"Burgerlijke_staat": "xyz"}, "Burgerlijke staat", "xyz", "Ongehuwd, Gehuwd"),
        ({"Geboortedatum": "01-01-2030"}, "Geboortedatum", "01-01-2030", "in the future"),
        ({"Geboortedatum": "02-12-2026"}, "Geboortedatum", "02-12-2026", "in the future"),
        ({"Geboortedatum": "30-11-1906"}, "Geboortedatum", "30-11-1906", "120 years ago"),
        ({"Straat": ""}, "Straat", "", "required when 'Huisnummer', 'Postcode', 'Woonplaats'"),
        ({"Huisnummer": ""}, "Huisnummer", "", "required when 'Straat'"),
        ({"Postcode": ""}, "Postcode", "", "required when 'Straat'"),
        ({"Woonplaats": ""}, "Woonplaats", "", "required when 'Straat'"),
        ({"Land": "BE", "Postcode": "1000", "Huisnummer": ""}, "Huisnummer", "", "required"),
        ({"Land": "DE", "Postcode": "3511 AX"}, "Postcode", "3511 AX", "German postal code"),
        ({"Land": "BE", "Postcode": "10000"}, "Postcode", "10000", "Belgian postal code"),
        ({"Land": "SE", "Postcode": "3511 AX"}, "Postcode", "3511 AX", "Swedish postal code"),
        ({"Land": "", "Postcode": "SW1A 1AA"}, "Postcode", "SW1A 1AA", "Dutch postal code"),
        (
            {"Einddatum_contract": "30-11-2026"},
            "Einddatum contract",
            "30-11-2026",
            "lies before 'Datum in dienst' (2026-12-01)",
        ),
        (
            {"Einde_proeftijd": "15-11-2026"},
            "Einde proeftijd",
            "15-11-2026",
            "lies before 'Datum in dienst'",
        ),
        (
            {"Onbepaalde_tijd": "ja", "Einddatum_contract": "30-11-2027"},
            "Einddatum contract",
            "30-11-2027",
            "must be empty when 'Onbepaalde tijd' is yes",
        ),
        ({"Uren_per_week": "200"}, "Uren per week", "200", "must be 168 or less"),
        ({"Uren_per_week": "-1"}, "Uren per week", "-1", "must not be negative"),
        (
            {"Maandag": "25", "Parttimepercentage": "100"},
            "Maandag",
            "25",
            "must be 24 or less",
        ),
        ({"Maandag": "8", "Parttimepercentage": "120"}, "Parttimepercentage", "120", "100 or"),
        ({"Personeelsnummer": "0"}, "Personeelsnummer", "0", "must be 1 or more"),
        ({"Soort_salaris": "geen"}, "Soort salaris", "geen", "expected a salary type"),
    ],
)
def test_new_hire_row_refused(
    changes: dict[str, Cell], column: str, value: str, reason: str
) -> None:
    (problem,) = problems_of("new_hire", hire(**changes))
    assert (problem.row_number, problem.column, problem.value) == (2, column, value)
    assert reason in problem.reason


def test_every_problem_of_a_row_is_reported_together() -> None:
    problems = problems_of(
        "new_hire",
        hire(Salaris="-1", IBAN="", Burgerlijke_staat="xyz", Geboortedatum="01-01-2030"),
    )
    assert {p.column for p in problems} == {"Salaris", "IBAN", "Burgerlijke staat", "Geboortedatum"}


def test_a_missing_column_is_named_when_the_rule_needs_it() -> None:
    cells = {k: v for k, v in HIRE.items() if k != "IBAN"}
    (problem,) = problems_of("new_hire", cells)
    assert problem.column == "iban"
    assert problem.reason.startswith("the file has no such column; required when")


# --- accepted --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("changes", "country", "postal_code"),
    [
        ({"Land": "DE", "Postcode": "12345", "Huisnummer": ""}, "DE", "12345"),
        ({"Land": "Duitsland", "Postcode": "01067", "Huisnummer": ""}, "DE", "01067"),
        ({"Land": "GB", "Postcode": "SW1A 1AA", "Huisnummer": ""}, "GB", "SW1A 1AA"),
        ({"Land": "BE", "Postcode": "1000"}, "BE", "1000"),
        ({"Land": "SE", "Postcode": "11151", "Huisnummer": ""}, "SE", "111 51"),
        ({"Land": "", "Postcode": "3511ax"}, None, "3511 AX"),
    ],
)
def test_postal_code_follows_the_address_country(
    changes: dict[str, Cell], country: str | None, postal_code: str
) -> None:
    address = call(map_cells("new_hire", hire(**changes)), "address").values["Address"]
    assert address["PostalCode"] == postal_code
    assert address.get("CountryISOCode") == country


def test_a_swedish_company_takes_swedish_postal_codes_without_a_country_column() -> None:
    cells = {
        "Anställningsnummer": "3001",
        "Förnamn": "Anna",
        "Efternamn": "Lindqvist",
        "Gatuadress": "Storgatan 12",
        "Postnummer": "11151",
        "Ort": "Stockholm",
        "Anställningsdatum": "2026-12-01",
    }
    address = call(map_cells("new_hire", cells, SE), "address").values["Address"]
    assert address["PostalCode"] == "111 51"
    assert "HouseNumber" not in address  # Swedish streets carry the number


@pytest.mark.parametrize(
    "changes",
    [
        {"Salaris": "0"},
        {"Geboortedatum": "01-12-2026"},  # born today
        {"Geboortedatum": "02-12-1906"},  # 119 years old
        {"Einddatum_contract": "01-12-2026"},  # a contract of one day
        {"Onbepaalde_tijd": "ja"},
        {"Onbepaalde_tijd": "nee", "Einddatum_contract": "30-11-2027"},
        {"Uren_per_week": "168"},
        {"Maandag": "24", "Parttimepercentage": "100"},
        {"Burgerlijke_staat": "gehuwd"},
        {"Straat": "", "Huisnummer": "", "Postcode": "", "Woonplaats": "", "Land": ""},
        {"IBAN": "", "Tenaamstelling": ""},
    ],
)
def test_new_hire_row_accepted(changes: dict[str, Cell]) -> None:
    map_cells("new_hire", hire(**changes))


def test_marital_status_is_sent_as_nmbrs_names_it() -> None:
    plan = map_cells("new_hire", hire(Burgerlijke_staat="getrouwd"))
    assert call(plan, "personal_info").values["PersonalInfo"]["BurgerlijkeStaat"] == "Gehuwd"


def test_no_address_no_bank_account_means_no_such_calls() -> None:
    plan = map_cells(
        "new_hire",
        hire(
            Straat="",
            Huisnummer="",
            Postcode="",
            Woonplaats="",
            Land="",
            IBAN="",
            Tenaamstelling="",
        ),
    )
    assert "address" in plan.skipped_steps and "bank_account" in plan.skipped_steps


# --- the update templates ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("template", "cells", "column", "reason"),
    [
        (
            "salary",
            {"Personeelsnummer": "1001", "Salaris": "-3.450,00", "Soort salaris": "Maandsalaris",
             "Ingangsdatum": "01-12-2026"},
            "Salaris",
            "must not be negative",
        ),
        (
            "schedule",
            {"Personeelsnummer": "1001", "Ingangsdatum": "01-12-2026", "Parttimepercentage": "80",
             "Uren maandag": "25"},
            "Uren maandag",
            "must be 24 or less",
        ),
        (
            "contract",
            {"Personeelsnummer": "1001", "Begindatum contract": "01-12-2026",
             "Einddatum contract": "30-11-2026"},
            "Einddatum contract",
            "lies before 'Begindatum contract'",
        ),
        (
            "contract",
            {"Personeelsnummer": "1001", "Begindatum contract": "01-12-2026",
             "Einddatum contract": "30-11-2027", "Onbepaalde tijd": "ja"},
            "Einddatum contract",
            "must be empty when 'Onbepaalde tijd' is yes",
        ),
        (
            "personal_info",
            {"Personeelsnummer": "1001", "Geboortedatum": "01-01-2030"},
            "Geboortedatum",
            "in the future",
        ),
        (
            "personal_info",
            {"Personeelsnummer": "1001", "Burgerlijke staat": "xyz"},
            "Burgerlijke staat",
            "accepted: Ongehuwd",
        ),
        (
            "address",
            {"Personeelsnummer": "1001", "Straat": "Unter den Linden", "Huisnummer": "1",
             "Postcode": "1011 AB", "Woonplaats": "Berlin", "Land": "DE"},
            "Postcode",
            "German postal code",
        ),
        (
            "bank_account",
            {"Personeelsnummer": "1001", "IBAN": "NL53 1234 0417 1643 00"},
            "IBAN",
            "does not have the form used in NL",
        ),
        (
            "bank_account",
            {"Personeelsnummer": "1001", "IBAN": "NL91ABNA0417164300", "Soort rekening": "geen"},
            "Soort rekening",
            "expected a bank account type",
        ),
    ],
)  # fmt: skip
def test_update_row_refused(
    template: str, cells: dict[str, Cell], column: str, reason: str
) -> None:
    (problem,) = problems_of(template, cells)
    assert (problem.row_number, problem.column) == (2, column)
    assert reason in problem.reason


@pytest.mark.parametrize(
    ("country", "postal_code", "expected"),
    [("DE", "12345", "12345"), ("GB", "SW1A 1AA", "SW1A 1AA"), ("", "1011ab", "1011 AB")],
)
def test_address_template_takes_foreign_postal_codes(
    country: str, postal_code: str, expected: str
) -> None:
    cells = {
        "Personeelsnummer": "1001",
        "Straat": "Unter den Linden",
        "Huisnummer": "1",
        "Postcode": postal_code,
        "Woonplaats": "Berlin",
        "Land": country,
    }
    (address_call,) = map_cells("address", cells).calls
    assert address_call.values["Address"]["PostalCode"] == expected


@pytest.mark.parametrize(
    ("country", "postal_code", "context", "refused"),
    [
        ("", "1011 AB", NL, True),
        ("NL", "1011 AB", SE, True),
        ("BE", "1000", NL, True),
        ("DE", "12345", NL, False),
        ("", "111 51", SE, False),
    ],
)
def test_address_template_wants_a_house_number_in_nl_and_be(
    country: str, postal_code: str, context: MappingContext, refused: bool
) -> None:
    cells = {
        "Personeelsnummer": "1001",
        "Straat": "Storgatan 12",
        "Postcode": postal_code,
        "Woonplaats": "Stockholm",
        "Land": country,
    }
    if not refused:
        map_cells("address", cells, context)
        return
    (problem,) = problems_of("address", cells, context)
    assert (problem.column, problem.reason) == (
        "house_number",
        "the file has no such column; required when 'Straat', 'Postcode' or 'Woonplaats' "
        "is filled in",
    )


def test_an_invalid_country_reports_the_country_only() -> None:
    cells = {
        "Personeelsnummer": "1001",
        "Straat": "Unter den Linden",
        "Huisnummer": "1",
        "Postcode": "12345",
        "Woonplaats": "Berlin",
        "Land": "Atlantis",
    }
    (problem,) = problems_of("address", cells)
    assert (problem.column, problem.value) == ("Land", "Atlantis")


# --- declaring rules in a template -----------------------------------------------------------
HEADER = """
name = "t"
key = "number"

[[columns]]
name = "number"
type = "int"
required = true
min = 1
"""

STEP = """
[[operations]]
step = "salary"
operation = "Salary_Update"

[operations.fields]
EmployeeId = { employee = true }
Salary.Value = { column = "amount" }
Salary.Type = { value = "Bruto_Uurloon" }
Start = { column = "start" }
"""

AMOUNT_AND_START = """
[[columns]]
name = "amount"
type = "decimal"
required = true

[[columns]]
name = "start"
type = "date"
required = true
"""


def write(tmp_path: Path, columns: str) -> Path:
    path = tmp_path / "t.toml"
    path.write_text(HEADER + AMOUNT_AND_START + columns + STEP, encoding="utf-8")
    return path


def test_rules_compile_to_column_slots(tmp_path: Path) -> None:
    columns = """
[[columns]]
name = "born"
type = "date"
min = "today - 120 years"
max = "today"

[[columns]]
name = "until"
type = "date"
not_before = "start"
empty_if = "open_ended"

[[columns]]
name = "open_ended"
type = "boolean"

[[columns]]
name = "postal"
type = "postal_code"
required_with = ["city"]
country_column = "country"

[[columns]]
name = "house"
type = "text"
required_with = ["postal", "city"]
required_in = ["NL"]
country_column = "country"

[[columns]]
name = "city"
type = "text"

[[columns]]
name = "country"
type = "country_code"
"""
    template = load_template(write(tmp_path, columns), lookup_operation)
    rules = template.rules
    assert rules.bounds == (
        (0, Decimal(1), None),
        (3, DateBound(years_from_today=-120), DateBound()),
    )
    assert rules.not_before == ((4, 2),)
    assert rules.empty_if == ((4, 5),)
    assert rules.required_with == (
        (6, (8,), frozenset(), 9),
        (7, (6, 8), frozenset({"NL"}), 9),
    )
    assert dict(rules.postal_countries) == {6: 9}


@pytest.mark.parametrize(
    ("today", "years", "expected"),
    [
        (date(2026, 12, 1), -120, date(1906, 12, 1)),
        (date(2028, 2, 29), -1, date(2027, 2, 28)),
        (date(2026, 12, 1), 0, date(2026, 12, 1)),
    ],
)
def test_a_date_bound_moves_with_today(today: date, years: int, expected: date) -> None:
    assert DateBound(years_from_today=years).resolve(today) == expected


@pytest.mark.parametrize(
    ("columns", "message"),
    [
        ('[[columns]]\nname = "x"\ntype = "text"\nmin = 0\n', "only int, decimal and date"),
        ('[[columns]]\nname = "x"\ntype = "date"\nmax = "tomorrow"\n', "write a date"),
        ('[[columns]]\nname = "x"\ntype = "date"\nmax = 5\n', "write a date"),
        ('[[columns]]\nname = "x"\ntype = "int"\nmin = 1.5\n', "whole number"),
        ('[[columns]]\nname = "x"\ntype = "int"\nmin = true\n', "must be a number"),
        ('[[columns]]\nname = "x"\ntype = "int"\nmin = 5\nmax = 1\n', "is more than max"),
        ('[[columns]]\nname = "x"\ntype = "text"\nrequired_with = ["nope"]\n', "unknown column"),
        ('[[columns]]\nname = "x"\ntype = "text"\nrequired_with = ["x"]\n', "itself"),
        ('[[columns]]\nname = "x"\ntype = "text"\nrequired_with = []\n', "at least one"),
        ('[[columns]]\nname = "x"\ntype = "text"\nrequired_with = "amount"\n', "list of column"),
        (
            '[[columns]]\nname = "x"\ntype = "text"\nrequired = true\nrequired_with = ["amount"]\n',
            "required anyway",
        ),
        ('[[columns]]\nname = "x"\ntype = "text"\nnot_before = "start"\n', "only for date"),
        ('[[columns]]\nname = "x"\ntype = "date"\nnot_before = "amount"\n', "must be a date col"),
        ('[[columns]]\nname = "x"\ntype = "date"\nempty_if = "start"\n', "must be a boolean col"),
        ('[[columns]]\nname = "x"\ntype = "text"\ncountry_column = "amount"\n', "only for postal"),
        (
            '[[columns]]\nname = "x"\ntype = "postal_code"\ncountry_column = "amount"\n',
            "must be a country_code column",
        ),
        ('[[columns]]\nname = "x"\ntype = "text"\nrequired_in = ["NL"]\n', "needs required_with"),
    ],
)
def test_rule_declaration_errors(tmp_path: Path, columns: str, message: str) -> None:
    path = write(tmp_path, columns)
    with pytest.raises(TemplateError) as caught:
        load_template(path, lookup_operation)
    assert str(caught.value).startswith(f"{path}: ")
    assert message in str(caught.value)


def test_templates_command_shows_the_rules() -> None:
    page = format_template(load_builtin_template("new_hire", lookup_operation))
    _, _, checks = page.partition("  checked before sending:\n")
    lines = checks.splitlines()
    assert "    salary: at least 0; required with any of salary_type" in lines
    assert "    birth_date: from today - 120 years to today" in lines
    assert "    iban: required with any of bic, account_holder, bank_account_type" in lines
    assert "    contract_end_date: not before start_date; empty when indefinite is yes" in lines
    assert (
        "    postal_code: required with any of street, house_number, house_number_addition, "
        "city, country_code, address_type; in the form of the country in country_code" in lines
    )
    assert any(
        line.startswith("    house_number: required with")
        and line.endswith("(addresses in NL, BE)")
        for line in lines
    )
