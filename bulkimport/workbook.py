"""Blank files to fill in for a template: an XLSX that guides the person typing, or a CSV header.

Pure: `build_workbook` returns an openpyxl Workbook and `build_csv_header` the text; saving is
the command's (`bulkimport template`). Headers are the columns' labels in one language
(templates declare them per column, see templates/README.md), so a filled-in file binds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Final

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from bulkimport.config import Country
from bulkimport.mapping.coerce import CoercionError, ColumnType, coerce_cell, enumeration_values
from bulkimport.mapping.command import describe_checks
from bulkimport.mapping.template import LABEL_LANGUAGES, Column, Template

__all__ = ["LANGUAGES", "build_csv_header", "build_workbook", "csv_delimiter"]

LANGUAGES: Final = LABEL_LANGUAGES
LISTS_SHEET: Final = "Lists"  # hidden; holds the drop-down values (a list formula is <= 255 chars)
LAST_ROW: Final = 1_048_576  # Excel's last row: formats and lists hold however far one types


@dataclass(frozen=True, slots=True)
class _Words:
    """The few words of the workbook that follow its language; the explanations stay English."""

    data_sheet: str
    example_sheet: str
    columns_sheet: str
    yes: str
    no: str
    date_format: str  # Excel's number format, as the country writes dates
    date_example: str
    csv_delimiter: str


_WORDS: Final[Mapping[str, _Words]] = {
    "nl": _Words("Invullen", "Voorbeeld", "Uitleg", "ja", "nee", "dd-mm-yyyy", "31-12-2025", ";"),
    "sv": _Words("Fyll i", "Exempel", "Förklaring", "ja", "nej", "yyyy-mm-dd", "2025-12-31", ","),
    "en": _Words("Data", "Example", "Columns", "yes", "no", "yyyy-mm-dd", "2025-12-31", ","),
}
# Whose rules the example values are checked by (identity numbers, postal codes).
_COUNTRIES: Final[Mapping[str, Country]] = {"nl": Country.NL, "sv": Country.SE, "en": Country.NL}

TEXT_FORMAT: Final = "@"  # a text cell: 0612345678 keeps its leading zero
_NUMBER_FORMATS: Final[Mapping[ColumnType, str]] = {
    ColumnType.INT: "0",
    ColumnType.DECIMAL: "#,##0.00",
}
_FORMAT_WORDS: Final[Mapping[ColumnType, str]] = {
    ColumnType.TEXT: "text",
    ColumnType.INT: "a whole number",
    ColumnType.DECIMAL: "a number; decimals with a comma or a point",
    ColumnType.BOOLEAN: "yes or no",
    ColumnType.BSN: "a BSN: 9 digits passing the 11-check",
    ColumnType.PERSONNUMMER: "a personnummer: yyyymmdd-nnnn or yymmdd-nnnn",
    ColumnType.IDENTITY_NUMBER: "BSN (Dutch company) or personnummer (Swedish company)",
    ColumnType.IBAN: "an IBAN, with or without spaces",
    ColumnType.BIC: "a BIC of 8 or 11 characters",
    ColumnType.POSTAL_CODE: "a postal code in the form of its country (NL 1234 AB, SE 123 45)",
    ColumnType.COUNTRY_CODE: "a two-letter ISO country code",
    ColumnType.EMAIL: "an e-mail address",
    ColumnType.PHONE: "a phone number",
}
_REQUIRED_FILL: Final = PatternFill("solid", fgColor="F8CBAD")
_OPTIONAL_FILL: Final = PatternFill("solid", fgColor="DDEBF7")
_BOLD: Final = Font(bold=True)
_COMMENT_SIZE: Final = (180, 320)  # height, width in points: room for a few lines


def csv_delimiter(language: str) -> str:
    """`;` where Excel's list separator is one (Dutch), else `,`."""
    return _words(language).csv_delimiter


def build_csv_header(template: Template, language: str) -> str:
    """The header row, with a BOM so that Excel reads the UTF-8 (ä, ö, é) right."""
    labels = [
        _quote_csv(column.label(language), csv_delimiter(language)) for column in template.columns
    ]
    return "\ufeff" + csv_delimiter(language).join(labels) + "\r\n"


def _quote_csv(text: str, delimiter: str) -> str:
    if delimiter in text or '"' in text:
        return '"' + text.replace('"', '""') + '"'
    return text


def build_workbook(template: Template, language: str) -> Workbook:
    """The data sheet (active, headers only), an example sheet and one explaining every column."""
    words = _words(language)
    workbook = Workbook()
    data = workbook.active
    assert data is not None  # a new Workbook always has one sheet
    data.title = words.data_sheet
    example = workbook.create_sheet(words.example_sheet)
    explanation = workbook.create_sheet(words.columns_sheet)
    lists = workbook.create_sheet(LISTS_SHEET)
    lists.sheet_state = "hidden"
    list_ranges = _fill_lists(lists, template)
    for sheet in (data, example):
        _write_headers(sheet, template, language, words)
    for index, column in enumerate(template.columns, start=1):
        letter = get_column_letter(index)
        data.cell(1, index).comment = _header_comment(column, language, words)
        data.column_dimensions[letter].number_format = _number_format(column.type, words)
        validation = _validation(column, list_ranges, words)
        if validation is not None:
            validation.add(f"{letter}2:{letter}{LAST_ROW}")
            data.add_data_validation(validation)
        _write_example(example.cell(2, index), column, language, words)
    _write_explanation(explanation, template, language, words)
    return workbook


def _words(language: str) -> _Words:
    try:
        return _WORDS[language]
    except KeyError:
        raise ValueError(f"unknown language {language!r} (known: {', '.join(LANGUAGES)})") from None


def _write_headers(sheet: Worksheet, template: Template, language: str, words: _Words) -> None:
    for index, column in enumerate(template.columns, start=1):
        cell = sheet.cell(1, index, column.label(language))
        cell.font = _BOLD
        cell.fill = _REQUIRED_FILL if column.required else _OPTIONAL_FILL
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = max(len(column.label(language)) + 4, 14)
    sheet.freeze_panes = "A2"


def _number_format(column_type: ColumnType, words: _Words) -> str:
    if column_type is ColumnType.DATE:
        return words.date_format
    return _NUMBER_FORMATS.get(column_type, TEXT_FORMAT)


def _fill_lists(sheet: Worksheet, template: Template) -> dict[ColumnType, str]:
    """One column of values per enumeration the template uses; its absolute range by type."""
    ranges: dict[ColumnType, str] = {}
    for column in template.columns:
        values = enumeration_values(column.type)
        if not values or column.type in ranges:
            continue
        index = len(ranges) + 1
        letter = get_column_letter(index)
        sheet.cell(1, index, str(column.type))
        for row, value in enumerate(values, start=2):
            sheet.cell(row, index, value)
        last = len(values) + 1
        ranges[column.type] = f"{quote_sheetname(LISTS_SHEET)}!${letter}$2:${letter}${last}"
    return ranges


def _validation(
    column: Column, list_ranges: Mapping[ColumnType, str], words: _Words
) -> DataValidation | None:
    if column.type is ColumnType.BOOLEAN:
        formula = f'"{words.yes},{words.no}"'
    elif column.type in list_ranges:
        formula = list_ranges[column.type]
    else:
        return None
    # Not strict: the importer also accepts other spellings (vrouw, kvinna, female...).
    return DataValidation(
        type="list",
        formula1=formula,
        allow_blank=True,
        showErrorMessage=False,
        promptTitle=column.label("en")[:32],
        prompt=_format_words(column, words)[:255],
        showInputMessage=True,
    )


def _format_words(column: Column, words: _Words) -> str:
    if column.type is ColumnType.DATE:
        return f"a date, e.g. {words.date_example}"
    if column.type is ColumnType.BOOLEAN:
        return f"{words.yes} or {words.no}"
    values = enumeration_values(column.type)
    if values:
        return "one of: " + ", ".join(values)
    return _FORMAT_WORDS.get(column.type, str(column.type))


def _header_comment(column: Column, language: str, words: _Words) -> Comment:
    lines = [column.label(language) + (" (required)" if column.required else " (optional)")]
    if column.description:
        lines.append(column.description)
    lines.append(f"Format: {_format_words(column, words)}")
    if column.example:
        lines.append(f"Example: {column.example}")
    if column.default is not None:
        lines.append(f"Empty: {_literal(column.default)}")
    checks = describe_checks(column)
    if checks:
        lines.append(f"Checked: {checks}")
    comment = Comment("\n".join(lines), "bulkimport")
    comment.height, comment.width = _COMMENT_SIZE
    return comment


def _write_example(cell: Cell, column: Column, language: str, words: _Words) -> None:
    cell.number_format = _number_format(column.type, words)
    cell.value = _example_value(column, language, words)


def _example_value(
    column: Column, language: str, words: _Words
) -> str | int | Decimal | date | None:
    """The template's example as the cell a person would type: dates as dates, numbers as
    numbers, yes/no in the workbook's language; text as text."""
    if not column.example:
        return None
    typed = column.type in (ColumnType.DATE, ColumnType.INT, ColumnType.DECIMAL, ColumnType.BOOLEAN)
    if not typed:
        return column.example
    try:
        value = coerce_cell(column.type, column.example, country=_COUNTRIES[language])
    except CoercionError:
        return column.example
    if isinstance(value, bool):
        return words.yes if value else words.no
    if isinstance(value, int | Decimal | date):
        return value
    return column.example


def _write_explanation(sheet: Worksheet, template: Template, language: str, words: _Words) -> None:
    headers = (
        "Column",
        "Required",
        "Format",
        "Example",
        "When empty",
        "Checked before sending",
        "Description",
        "Also accepted as header",
    )
    sheet.append(headers)
    for column in template.columns:
        label = column.label(language)
        sheet.append(
            (
                label,
                "required" if column.required else "optional",
                _format_words(column, words),
                column.example,
                "" if column.default is None else _literal(column.default),
                describe_checks(column),
                column.description,
                ", ".join(header for header in column.headers if header != label),
            )
        )
    for cell in sheet[1]:
        cell.font = _BOLD
    for row in sheet.iter_rows(min_row=2):
        row[0].fill = _REQUIRED_FILL if row[1].value == "required" else _OPTIONAL_FILL
        for cell in row:
            cell.number_format = TEXT_FORMAT
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    for letter, width in zip("ABCDEFGH", (28, 10, 40, 22, 14, 40, 60, 50), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"
    note_row = len(template.columns) + 3
    sheet.cell(note_row, 1, "Orange headers are required, blue ones optional.")
    sheet.cell(note_row + 1, 1, f"Template: {template.name}. {template.description}")


def _literal(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)
