"""Blank workbooks: what a person filling one in sees, and that what they type then imports."""

from __future__ import annotations

import csv
import dataclasses
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from openpyxl.worksheet.worksheet import Worksheet

from bulkimport.cli import EXIT_OK, main
from bulkimport.config import Country
from bulkimport.errors import TemplateError
from bulkimport.mapping.coerce import enumeration_values
from bulkimport.mapping.mapper import MappingContext, bind_columns, map_row
from bulkimport.mapping.template import Template, load_builtin_template, load_template
from bulkimport.nmbrs.soap.schema import lookup_operation
from bulkimport.sources import open_source
from bulkimport.workbook import build_csv_header, build_workbook

TODAY = date(2026, 11, 15)


@pytest.fixture(autouse=True)
def _no_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("NMBRS_USERNAME", "NMBRS_TOKEN", "NMBRS_DOMAIN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


def _blank(tmp_path: Path, template: str, *options: str) -> Path:
    path = tmp_path / f"{template}.xlsx"
    assert main(["template", template, "--output", str(path), *options]) == EXIT_OK
    return path


def _header_index(sheet: Worksheet) -> dict[str, int]:
    return {str(cell.value): index for index, cell in enumerate(sheet[1], start=1)}


def _map_every_row(path: Path, template: Template, country: Country) -> int:
    """Bind and map each row as `run` does; a row that does not map raises."""
    context = MappingContext(company_id=54613, country=country, today=TODAY)
    count = 0
    with open_source(path) as source:
        binding = bind_columns(template, source.info)
        for row in source.rows():
            map_row(template, binding, row, context)
            count += 1
    return count


def test_the_data_sheet_guides_the_person_typing(tmp_path: Path) -> None:
    template = load_builtin_template("new_hire", lookup_operation)
    workbook = openpyxl.load_workbook(_blank(tmp_path, "new_hire"))
    sheet = workbook.active
    assert sheet is not None
    assert workbook.sheetnames == ["Invullen", "Voorbeeld", "Uitleg", "Lists"]
    assert workbook["Lists"].sheet_state == "hidden"
    assert sheet.freeze_panes == "A2"
    headers = _header_index(sheet)
    assert list(headers) == [column.label("nl") for column in template.columns]
    assert "Personeelsnummer" in headers and "Datum in dienst" in headers

    def letter(label: str) -> str:
        return openpyxl.utils.get_column_letter(headers[label])

    # Required headers look different from optional ones, and say so in their comment.
    number, nickname = sheet[f"{letter('Personeelsnummer')}1"], sheet[f"{letter('Roepnaam')}1"]
    assert number.fill.fgColor.rgb != nickname.fill.fgColor.rgb
    assert "(required)" in number.comment.text and "(optional)" in nickname.comment.text
    birth = sheet[f"{letter('Geboortedatum')}1"].comment.text
    assert "Format: a date, e.g. 31-12-2025" in birth and "Example: 17-05-1990" in birth
    # Formats of the columns: text stays text, dates and numbers are typed.
    formats = {label: sheet.column_dimensions[letter(label)].number_format for label in headers}
    assert formats["Mobiel"] == "@" and formats["BSN"] == "@" and formats["IBAN"] == "@"
    assert formats["Geboortedatum"] == "dd-mm-yyyy"
    assert formats["Salaris"] == "#,##0.00" and formats["Personeelsnummer"] == "0"
    # Drop-down lists for enumerations and yes/no columns.
    lists = {str(v.sqref).split(":")[0]: v for v in sheet.data_validations.dataValidation}
    gender = lists[f"{letter('Geslacht')}2"]
    assert gender.type == "list" and str(gender.sqref).endswith("1048576")
    lists_sheet = workbook["Lists"]
    column = gender.formula1.split("!")[1].replace("$", "").split(":")
    values = [cell.value for row in lists_sheet[column[0] : column[1]] for cell in row]
    assert tuple(values) == enumeration_values(template.column("gender").type)
    assert lists[f"{letter('Onbeschermde modus')}2"].formula1 == '"ja,nee"'
    assert f"{letter('Voornaam')}2" not in lists


def test_the_example_and_explanation_sheets(tmp_path: Path) -> None:
    template = load_builtin_template("new_hire", lookup_operation)
    workbook = openpyxl.load_workbook(_blank(tmp_path, "new_hire"))
    example = workbook["Voorbeeld"]
    values = {str(header.value): cell for header, cell in zip(example[1], example[2], strict=True)}
    assert values["Geboortedatum"].value == datetime(1990, 5, 17)
    assert values["Geboortedatum"].number_format == "dd-mm-yyyy"
    assert values["Salaris"].value == 3250 and values["Salaris"].data_type == "n"
    assert values["BSN"].value == "111222333" and values["BSN"].data_type == "s"
    assert values["Onbeschermde modus"].value == "nee"
    explanation = workbook["Uitleg"]
    rows = list(
        explanation.iter_rows(min_row=2, max_row=len(template.columns) + 1, values_only=True)
    )
    assert [row[0] for row in rows] == [column.label("nl") for column in template.columns]
    by_label = {row[0]: row for row in rows}
    assert by_label["Personeelsnummer"][1] == "required"
    assert "not before" in str(by_label["Einddatum contract"][5])
    assert "Burgerservicenummer" in str(by_label["BSN"][7])


def test_the_examples_and_typed_rows_import_cleanly(tmp_path: Path) -> None:
    """Copy the example row, then add rows as a person types them; every row maps."""
    template = load_builtin_template("new_hire", lookup_operation)
    path = _blank(tmp_path, "new_hire")
    workbook = openpyxl.load_workbook(path)
    sheet, example = workbook["Invullen"], workbook["Voorbeeld"]
    for index, cell in enumerate(example[2], start=1):
        sheet.cell(2, index, cell.value)
    headers = _header_index(sheet)
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
        sheet.cell(3, headers[label], value)
    workbook.save(path)
    assert _map_every_row(path, template, Country.NL) == 2


@pytest.mark.parametrize(
    ("language", "country", "expected"),
    [("sv", Country.SE, "Anställningsnummer"), ("en", Country.NL, "Employee number")],
)
def test_other_languages_name_the_columns_in_theirs(
    tmp_path: Path, language: str, country: Country, expected: str
) -> None:
    template = load_builtin_template("salary", lookup_operation)
    path = _blank(tmp_path, "salary", "--lang", language)
    workbook = openpyxl.load_workbook(path)
    sheet = workbook.active
    assert sheet is not None
    assert sheet["A1"].value == expected
    assert sheet.column_dimensions["D"].number_format == "yyyy-mm-dd"
    sheet.append([1001, 4200, "Bruto_Salaris_Fulltime", datetime(2026, 12, 1)])
    workbook.save(path)
    assert _map_every_row(path, template, country) == 1


def test_a_filled_in_workbook_passes_a_dry_run(tmp_path: Path) -> None:
    path = _blank(tmp_path, "salary")
    workbook = openpyxl.load_workbook(path)
    sheet = workbook.active
    assert sheet is not None
    sheet.append([1001, 4200.25, "bruto fulltime", datetime(2026, 12, 1)])
    workbook.save(path)
    arguments = ["run", str(path), "--template", "salary", "--company", "54613", "--dry-run"]
    assert main([*arguments, "--emulator"]) == EXIT_OK


@pytest.mark.parametrize(("language", "delimiter"), [("nl", ";"), ("sv", ","), ("en", ",")])
def test_the_csv_form_is_a_header_row_excel_reads(
    tmp_path: Path, language: str, delimiter: str
) -> None:
    template = load_builtin_template("address", lookup_operation)
    path = tmp_path / "address.csv"
    assert main(["template", "address", "--output", str(path), "--lang", language]) == EXIT_OK
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and raw.endswith(b"\r\n")
    with path.open(encoding="utf-8-sig", newline="") as stream:
        header = next(csv.reader(stream, delimiter=delimiter))
    assert header == [column.label(language) for column in template.columns]
    with path.open("a", encoding="utf-8", newline="") as stream:
        stream.write(delimiter.join(["1001", "Oudegracht", "12", "", "3511 AB", "Utrecht"]))
        stream.write(delimiter * (len(header) - 6) + "\r\n")
    assert _map_every_row(path, template, Country.NL) == 1


def test_a_comma_in_a_label_is_quoted_in_the_csv() -> None:
    template = load_builtin_template("salary", lookup_operation)
    first = template.columns[0]
    renamed = dataclasses.replace(first, labels={"en": "Number, employee"})
    header = build_csv_header(dataclasses.replace(template, columns=(renamed,)), "en")
    assert header == '\ufeff"Number, employee"\r\n'


def test_a_label_that_is_not_an_accepted_header_stops_the_template(tmp_path: Path) -> None:
    source = (Path(__file__).resolve().parent.parent / "templates" / "salary.toml").read_text(
        encoding="utf-8"
    )
    broken = tmp_path / "broken.toml"
    broken.write_text(source.replace('en = "Salary"', 'en = "Pay"'), encoding="utf-8")
    with pytest.raises(TemplateError, match=r"labels\.en: must be the column's name or one"):
        load_template(broken, lookup_operation)


def test_an_unknown_language_or_suffix_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(ValueError, match="unknown language 'de'"):
        build_workbook(load_builtin_template("salary", lookup_operation), "de")
    assert main(["template", "salary", "--output", str(tmp_path / "x.ods")]) == 2
    assert "give a file name ending in .xlsx or .csv" in capsys.readouterr().err
