"""Binding a file's columns to a template: misspellings stop the run, nothing drops unnoticed."""

from __future__ import annotations

from datetime import date

import pytest

from bulkimport.config import Country
from bulkimport.errors import InputFileError
from bulkimport.mapping.mapper import MappingContext, bind_columns, header_hint, map_row
from bulkimport.mapping.template import Template, load_builtin_template
from bulkimport.model import Cell, SourceFormat, SourceInfo, SourceRow
from bulkimport.nmbrs.soap.schema import lookup_operation
from bulkimport.sources.headers import pick_header

CORE = ("Personeelsnummer", "Voornaam", "Achternaam", "Datum in dienst")
NL = MappingContext(company_id=54613, country=Country.NL)


@pytest.fixture(scope="module")
def hire() -> Template:
    return load_builtin_template("new_hire", lookup_operation)


def info(*headers: str, date1904: bool = False) -> SourceInfo:
    return SourceInfo("hires.csv", SourceFormat.CSV, headers, date1904=date1904)


# --- misspelt columns stop the run -------------------------------------------------------------
def test_headers_that_resemble_template_columns_stop_with_did_you_mean(hire: Template) -> None:
    with pytest.raises(InputFileError) as caught:
        bind_columns(hire, info(*CORE, "Burgerservicenr", "Geb. datum", "Bankrekening"))
    reason = caught.value.reason
    assert caught.value.path == "hires.csv"
    assert "'Burgerservicenr' (did you mean 'Burgerservicenummer', column identity_number?)" in (
        reason
    )
    assert "'Geb. datum' (did you mean 'Geboortedatum', column birth_date?)" in reason
    assert "'Bankrekening' (did you mean 'Bankrekeningnummer', column iban?)" in reason
    assert "--ignore-column" in reason


@pytest.mark.parametrize(
    ("header", "meant"),
    [
        ("Voornamen", "Voornaam"),  # a required column misspelt: named, not just "missing"
        ("Achternaaam", "Achternaam"),
        ("Postcodes", "Postcode"),
    ],
)
def test_one_misspelling_is_named(hire: Template, header: str, meant: str) -> None:
    headers = [h for h in CORE if h != meant] + [header]
    with pytest.raises(InputFileError, match=f"did you mean '{meant}'"):
        bind_columns(hire, info(*headers))


def test_a_header_like_several_columns_names_them_likeliest_first(hire: Template) -> None:
    with pytest.raises(InputFileError) as caught:
        bind_columns(hire, info(*CORE, "Emailadres"))
    assert (
        "'Emailadres' (did you mean 'E-mailadres werk', column email_work, "
        "or 'E-mailadres privé', column email_private?)"
    ) in caught.value.reason


def test_a_header_like_a_column_the_file_already_fills_is_only_not_imported(
    hire: Template,
) -> None:
    binding = bind_columns(hire, info(*CORE, "BSN", "Burgerservicenr"))
    assert binding.unused_headers == ("Burgerservicenr",)


def test_unrelated_columns_are_listed_as_not_imported(hire: Template) -> None:
    binding = bind_columns(hire, info(*CORE, "Afdeling", "Opmerking"))
    assert binding.unused_headers == ("Afdeling", "Opmerking")
    (warning,) = binding.warnings
    assert "not imported: 'Afdeling', 'Opmerking'" in warning
    assert "exit code 1" in warning


# --- --ignore-column -----------------------------------------------------------------------------
def test_ignored_columns_are_left_out_knowingly(hire: Template) -> None:
    binding = bind_columns(
        hire,
        info(*CORE, "Burgerservicenr", "Geb. datum", "Afdeling"),
        ignore_columns=("burgerservicenr", "GEB. DATUM", "Afdeling"),
    )
    assert binding.unused_headers == ()
    assert binding.ignored_headers == ("Burgerservicenr", "Geb. datum", "Afdeling")
    assert binding.warnings == (
        "left out as asked (--ignore-column): 'Burgerservicenr', 'Geb. datum', 'Afdeling'",
    )


def test_an_ignored_template_column_is_not_imported(hire: Template) -> None:
    binding = bind_columns(hire, info(*CORE, "BSN"), ignore_columns=("BSN",))
    assert "identity_number" in binding.absent_columns
    assert binding.ignored_headers == ("BSN",)


def test_ignoring_a_required_column_is_a_missing_column(hire: Template) -> None:
    with pytest.raises(InputFileError, match="missing required column 'first_name'"):
        bind_columns(hire, info(*CORE), ignore_columns=("Voornaam",))


def test_an_ignore_that_names_no_column_is_a_warning(hire: Template) -> None:
    binding = bind_columns(hire, info(*CORE), ignore_columns=("Afdeling",))
    assert binding.unmatched_ignores == ("Afdeling",)
    assert binding.warnings == ("--ignore-column 'Afdeling' names no column of the file",)


# --- the header hint ----------------------------------------------------------------------------
def test_the_hint_knows_every_alias_and_the_required_columns(hire: Template) -> None:
    hint = header_hint(hire)
    assert {"personeelsnummer", "burgerservicenummer", "iban"} <= hint.known
    assert len(hint.required) == 4
    assert hint.names_every_required(["PERSONEELSNUMMER", "Förnamn", "Efternamn", "Startdatum"])
    assert not hint.names_every_required(["Personeelsnummer", "Voornaam", "Achternaam"])


def test_pick_header_prefers_the_row_naming_the_required_columns(hire: Template) -> None:
    hint = header_hint(hire)
    rows = [["Nieuwe medewerkers"], ["Voornaam"], list(CORE)]
    assert pick_header(rows, hint) == 2
    assert pick_header(rows[:2], hint) == 1  # the most template columns
    assert pick_header([["Titel"], ["Nog een titel"]], hint) == 0  # binding names what lacks
    assert pick_header(rows, None) == 0


# --- 1904 workbooks ------------------------------------------------------------------------------
def start_date(hire: Template, source: SourceInfo, cell: Cell) -> object:
    binding = bind_columns(hire, source)
    plan = map_row(hire, binding, SourceRow(2, (2001, "Jan", "Smit", cell)), NL)
    return plan.calls[0].values["StartDate"]


def test_plain_numbers_in_a_1904_workbook_are_dates_in_that_system(hire: Template) -> None:
    serial_1904 = (date(2026, 12, 1) - date(1904, 1, 1)).days
    assert start_date(hire, info(*CORE, date1904=True), serial_1904) == date(2026, 12, 1)
    # The same number in an ordinary workbook is four years (and a day) earlier.
    assert start_date(hire, info(*CORE), serial_1904) == date(2022, 11, 30)


@pytest.mark.parametrize("cell", [20261201, "01-12-2026", date(2026, 12, 1)])
def test_other_dates_in_a_1904_workbook_are_unchanged(hire: Template, cell: Cell) -> None:
    assert start_date(hire, info(*CORE, date1904=True), cell) == date(2026, 12, 1)
