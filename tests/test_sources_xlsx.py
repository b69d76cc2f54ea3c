from __future__ import annotations

import io
import struct
import zipfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.utils.datetime import CALENDAR_MAC_1904

from bulkimport.errors import InputFileError
from bulkimport.model import SourceFormat, SourceInfo, SourceRow
from bulkimport.sources import HeaderHint, XlsxSource, open_source, xlsxfile

SHEET_XML = "xl/worksheets/sheet1.xml"


def workbook(tmp_path: Path, rows: list[list[Any]], name: str = "people.xlsx") -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Medewerkers"
    for row in rows:
        sheet.append(row)
    path = tmp_path / name
    book.save(path)
    return path


def rewrite_member(path: Path, member: str, change: Callable[[str], str]) -> None:
    """Edit one XML part of a saved workbook, for what openpyxl itself will not write."""
    with zipfile.ZipFile(path) as archive:
        parts = {info.filename: archive.read(info) for info in archive.infolist()}
    parts[member] = change(parts[member].decode()).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)


def read_all(path: Path, sheet: str | None = None) -> tuple[SourceInfo, list[SourceRow], list[str]]:
    with open_source(path, sheet=sheet) as source:
        assert isinstance(source, XlsxSource)
        return source.info, list(source.rows()), source.warnings


def refusal(path: Path, sheet: str | None = None) -> InputFileError:
    with pytest.raises(InputFileError) as caught, open_source(path, sheet=sheet) as source:
        list(source.rows())
    assert str(path) in str(caught.value)
    return caught.value


# --- values ----------------------------------------------------------------------------------
def test_dates_numbers_and_booleans_are_kept_as_values(tmp_path: Path) -> None:
    path = workbook(
        tmp_path,
        [
            ["Naam", "Geboortedatum", "Salaris", "Uren", "Actief", "BSN"],
            ["  Jan ", datetime(1985, 7, 9), 2500.5, 38, True, "012345672"],
        ],
    )
    info, rows, warnings = read_all(path)
    assert info.format is SourceFormat.XLSX
    assert info.sheet == "Medewerkers"
    assert info.headers == ("Naam", "Geboortedatum", "Salaris", "Uren", "Actief", "BSN")
    assert rows == [SourceRow(2, ("Jan", datetime(1985, 7, 9), 2500.5, 38, True, "012345672"))]
    assert warnings == []


def test_serial_date_in_a_number_cell_stays_a_number(tmp_path: Path) -> None:
    _, rows, _ = read_all(workbook(tmp_path, [["Datum in dienst"], [45658]]))
    assert rows == [SourceRow(2, (45658,))]


def test_time_of_day_becomes_text(tmp_path: Path) -> None:
    path = workbook(tmp_path, [["Begintijd"], [0.5]])
    book = openpyxl.load_workbook(path)
    sheet = book.active
    assert sheet is not None
    sheet["A2"].number_format = "h:mm"
    book.save(path)
    _, rows, _ = read_all(path)
    assert rows == [SourceRow(2, ("12:00:00",))]


def test_date_formatted_number_out_of_range_is_an_error_cell(tmp_path: Path) -> None:
    path = workbook(tmp_path, [["Datum"], [datetime(2025, 1, 1)], ["x"]])
    rewrite_member(path, SHEET_XML, lambda xml: xml.replace("<v>45658</v>", "<v>99999999999</v>"))
    _, rows, _ = read_all(path)
    (problem,) = rows[0].problems
    assert (problem.row_number, problem.column, problem.value) == (2, "Datum", "#VALUE!")


# --- shape of the sheet ----------------------------------------------------------------------
def test_trailing_empty_rows_and_columns_are_ignored(tmp_path: Path) -> None:
    path = workbook(tmp_path, [["Naam", "Plaats"], ["Jan", "Ede"]])
    book = openpyxl.load_workbook(path)
    sheet = book.active
    assert sheet is not None
    for coordinate in ("Z1", "Z2", "A500", "AB10000"):
        sheet[coordinate].number_format = "0.00"  # styled but empty cells
    sheet["C1"] = "   "
    book.save(path)
    info, rows, _ = read_all(path)
    assert info.headers == ("Naam", "Plaats")
    assert rows == [SourceRow(2, ("Jan", "Ede"))]


def test_rows_after_a_gap_of_empty_rows_are_read(tmp_path: Path) -> None:
    path = workbook(tmp_path, [["Naam"], ["Jan"], [], [], [], ["Piet"], [None], ["Kees"]])
    _, rows, _ = read_all(path)
    assert rows == [SourceRow(2, ("Jan",)), SourceRow(6, ("Piet",)), SourceRow(8, ("Kees",))]


def test_header_below_empty_rows(tmp_path: Path) -> None:
    path = workbook(tmp_path, [[], [None, None], ["Naam", "Plaats"], ["Jan", "Ede"]])
    info, rows, _ = read_all(path)
    assert info.header_row_number == 3
    assert rows == [SourceRow(4, ("Jan", "Ede"))]


def test_data_right_of_the_headers_is_a_problem(tmp_path: Path) -> None:
    path = workbook(tmp_path, [["Naam", None, "Plaats"], ["Jan", "x", "Ede", None, "y"]])
    info, rows, _ = read_all(path)
    assert info.headers == ("Naam", "", "Plaats")
    (row,) = rows
    assert row.cells == ("Jan", "x", "Ede")
    assert [(p.row_number, p.column, p.value) for p in row.problems] == [
        (2, "column B (no header)", "x"),
        (2, "column E (no header)", "y"),
    ]


def test_header_cells_that_are_numbers_or_dates_become_text(tmp_path: Path) -> None:
    path = workbook(tmp_path, [["Naam", 2025, datetime(2025, 1, 1)], ["Jan", 1, 2]])
    info, _, _ = read_all(path)
    assert info.headers == ("Naam", "2025", "2025-01-01")


# --- sheets ----------------------------------------------------------------------------------
def two_sheets(tmp_path: Path) -> Path:
    path = workbook(tmp_path, [["Naam"], ["Jan"]])
    book = openpyxl.load_workbook(path)
    second = book.create_sheet("Adressen")
    second.append(["Straat"])
    second.append(["Dorpsstraat 1"])
    book.save(path)
    return path


def test_first_sheet_by_default(tmp_path: Path) -> None:
    info, rows, _ = read_all(two_sheets(tmp_path))
    assert info.sheet == "Medewerkers"
    assert rows == [SourceRow(2, ("Jan",))]


@pytest.mark.parametrize("name", ["Adressen", "adressen "])
def test_second_sheet_by_name(tmp_path: Path, name: str) -> None:
    info, rows, _ = read_all(two_sheets(tmp_path), sheet=name)
    assert info.sheet == "Adressen"
    assert rows == [SourceRow(2, ("Dorpsstraat 1",))]


def test_missing_sheet_lists_the_sheets(tmp_path: Path) -> None:
    error = refusal(two_sheets(tmp_path), sheet="Salarissen")
    assert "'Salarissen'" in error.reason
    assert "'Medewerkers', 'Adressen'" in error.reason


def test_empty_sheet(tmp_path: Path) -> None:
    assert "empty" in refusal(workbook(tmp_path, [])).reason


def test_duplicate_headers_name_row_and_columns(tmp_path: Path) -> None:
    error = refusal(workbook(tmp_path, [[], ["Voornaam", "Naam", "voornaam"]]))
    assert error.row_number == 2
    assert "'voornaam' (columns A and C)" in error.reason


def test_1904_date_system_is_read_in_that_system(tmp_path: Path) -> None:
    path = workbook(tmp_path, [["Datum", "Serieel"], [datetime(2025, 1, 1), 44561]])
    book = openpyxl.load_workbook(path)
    book.epoch = CALENDAR_MAC_1904
    book.save(path)
    info, rows, warnings = read_all(path)
    # Date-formatted cells come out right; plain numbers stay numbers, and `date1904` tells
    # the mapper to count them from 1904 (tested in test_columns).
    assert rows == [SourceRow(2, (datetime(2025, 1, 1), 44561))]
    assert info.date1904
    assert "1904" in warnings[0]


def test_1900_date_system_is_not_flagged(tmp_path: Path) -> None:
    info, _, warnings = read_all(workbook(tmp_path, [["Datum"], [datetime(2025, 1, 1)]]))
    assert not info.date1904
    assert warnings == []


# --- hidden sheets and the active sheet --------------------------------------------------------
def hidden_first_sheet(tmp_path: Path) -> Path:
    book = openpyxl.Workbook()
    old = book.active
    assert old is not None
    old.title = "Oud"
    old.append(["Naam"])
    old.append(["Verborgen Piet"])
    new = book.create_sheet("Nieuw")
    new.append(["Naam"])
    new.append(["Jan"])
    book.active = 1
    old.sheet_state = "hidden"
    path = tmp_path / "hidden.xlsx"
    book.save(path)
    return path


def test_a_hidden_first_sheet_is_not_read(tmp_path: Path) -> None:
    info, rows, warnings = read_all(hidden_first_sheet(tmp_path))
    assert info.sheet == "Nieuw"
    assert rows == [SourceRow(2, ("Jan",))]
    assert any("hidden sheets ('Oud')" in warning for warning in warnings)


def test_a_hidden_sheet_is_read_when_named(tmp_path: Path) -> None:
    info, rows, warnings = read_all(hidden_first_sheet(tmp_path), sheet="Oud")
    assert info.sheet == "Oud"
    assert rows == [SourceRow(2, ("Verborgen Piet",))]
    assert any("'Oud' is hidden" in warning for warning in warnings)


def test_the_first_visible_sheet_when_the_active_one_is_hidden(tmp_path: Path) -> None:
    path = hidden_first_sheet(tmp_path)
    # A workbook whose activeTab points at the hidden sheet (Excel never saves one; others do).
    rewrite_member(path, "xl/workbook.xml", lambda xml: xml.replace('activeTab="1"', ""))
    info, rows, _ = read_all(path)
    assert info.sheet == "Nieuw"
    assert rows == [SourceRow(2, ("Jan",))]


def test_every_sheet_hidden_is_refused(tmp_path: Path) -> None:
    path = workbook(tmp_path, [["Naam"], ["Jan"]])
    rewrite_member(
        path,
        "xl/workbook.xml",
        lambda xml: xml.replace('state="visible"', 'state="hidden"'),
    )
    error = refusal(path)
    assert "every sheet of the workbook is hidden ('Medewerkers')" in error.reason
    assert "--sheet" in error.reason


def test_the_active_sheet_is_read_and_the_others_named(tmp_path: Path) -> None:
    path = two_sheets(tmp_path)
    book = openpyxl.load_workbook(path)
    book.active = 1
    book.save(path)
    info, rows, warnings = read_all(path)
    assert info.sheet == "Adressen"
    assert rows == [SourceRow(2, ("Dorpsstraat 1",))]
    assert any("other sheets ('Medewerkers')" in warning for warning in warnings)


# --- hidden rows -------------------------------------------------------------------------------
def hidden_rows(tmp_path: Path) -> Path:
    path = workbook(tmp_path, [["Naam"], ["Jan"], ["Piet"], ["Kees"], ["Els"]])
    book = openpyxl.load_workbook(path)
    sheet = book.active
    assert sheet is not None
    sheet.row_dimensions[3].hidden = True
    sheet.row_dimensions[5].hidden = True
    book.save(path)
    return path


def test_hidden_rows_are_skipped_with_the_reason_and_announced_before_reading(
    tmp_path: Path,
) -> None:
    with open_source(hidden_rows(tmp_path)) as source:
        # Known as soon as the file is open, before a single row is handed on.
        assert any("has hidden rows" in warning for warning in source.warnings)
        rows = list(source.rows())
        assert "2 hidden row(s) were skipped" in source.warnings[-1]
    assert [(row.row_number, row.cells, row.skip_reason is None) for row in rows] == [
        (2, ("Jan",), True),
        (3, ("Piet",), False),
        (4, ("Kees",), True),
        (5, ("Els",), False),
    ]
    assert rows[1].skip_reason is not None
    assert "hidden" in rows[1].skip_reason
    assert "--include-hidden-rows" in rows[1].skip_reason


def test_hidden_rows_are_imported_when_asked(tmp_path: Path) -> None:
    with open_source(hidden_rows(tmp_path), include_hidden_rows=True) as source:
        rows = list(source.rows())
        warnings = source.warnings
    assert [row.skip_reason for row in rows] == [None] * 4
    assert [row.cells for row in rows] == [("Jan",), ("Piet",), ("Kees",), ("Els",)]
    assert any("they are imported" in warning for warning in warnings)


@pytest.mark.parametrize("chunk", [7, 13, 64 * 1024])
def test_the_hidden_row_scan_finds_a_tag_cut_by_a_chunk_boundary(
    monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    monkeypatch.setattr(xlsxfile, "_CHUNK_BYTES", chunk)
    sheet = b'<sheetData><row r="1" spans="1:1"><c r="A1"/></row><x:row r="2" hidden="1">'
    assert xlsxfile._find_hidden_row(io.BytesIO(sheet))
    assert not xlsxfile._find_hidden_row(io.BytesIO(sheet.replace(b'hidden="1"', b'ht="3"')))


# --- the header row below title rows -----------------------------------------------------------
HINT = HeaderHint(
    known=frozenset({"personeelsnummer", "voornaam", "achternaam", "geboortedatum"}),
    required=(frozenset({"personeelsnummer"}), frozenset({"voornaam"})),
)


def titled(tmp_path: Path) -> Path:
    return workbook(
        tmp_path,
        [
            ["Nieuwe medewerkers december 2026"],
            [],
            ["Opgesteld door HR", None, "versie 2"],
            ["Personeelsnummer", "Voornaam", "Achternaam"],
            [2001, "Jan", "Smit"],
            [2002, "Els", "Bos"],
        ],
    )


def test_title_rows_above_the_header_are_skipped_and_the_header_row_named(
    tmp_path: Path,
) -> None:
    with open_source(titled(tmp_path), header_hint=HINT) as source:
        info = source.info
        rows = list(source.rows())
        warnings = source.warnings
    assert info.headers == ("Personeelsnummer", "Voornaam", "Achternaam")
    assert info.header_row_number == 4
    assert rows == [SourceRow(5, (2001, "Jan", "Smit")), SourceRow(6, (2002, "Els", "Bos"))]
    assert warnings == [
        "header row found on row 4: the rows above it were taken as titles and not imported"
    ]


def test_without_a_hint_the_first_row_with_text_is_the_header(tmp_path: Path) -> None:
    info, rows, _ = read_all(titled(tmp_path))
    assert info.header_row_number == 1
    assert info.headers == ("Nieuwe medewerkers december 2026",)
    assert rows[0].row_number == 3


def test_a_header_lacking_a_required_column_is_still_found_below_titles(tmp_path: Path) -> None:
    path = workbook(tmp_path, [["Overzicht"], ["Personeelsnummer", "Achternaam"], [1, "Smit"]])
    with open_source(path, header_hint=HINT) as source:
        assert source.info.header_row_number == 2
        assert list(source.rows()) == [SourceRow(3, (1, "Smit"))]


def test_rows_read_while_looking_for_the_header_are_not_lost(tmp_path: Path) -> None:
    """No row names every required column: the best one is taken, the rows after it kept."""
    rows_in = [["Titel"], ["Personeelsnummer", "Geboortedatum"]] + [[n, "x"] for n in range(30)]
    with open_source(workbook(tmp_path, rows_in), header_hint=HINT) as source:
        assert source.info.header_row_number == 2
        rows = list(source.rows())
    assert [row.row_number for row in rows] == list(range(3, 33))


# --- formulas and error cells ----------------------------------------------------------------
def test_formula_without_cached_value_is_a_problem(tmp_path: Path) -> None:
    path = workbook(tmp_path, [["Naam", "Salaris"], ["Jan", "=1000*2"], ["Piet", 3000]])
    _, rows, _ = read_all(path)
    (problem,) = rows[0].problems
    assert (problem.row_number, problem.column) == (2, "Salaris")
    assert "formula" in problem.reason
    assert rows[0].cells == ("Jan", None)
    assert rows[1] == SourceRow(3, ("Piet", 3000))


def test_formula_with_cached_value_gives_the_value(tmp_path: Path) -> None:
    path = workbook(tmp_path, [["Salaris", "Toelichting"], ["=1000*2", '=IF(1,"","x")']])

    def cache(xml: str) -> str:
        xml = xml.replace("<f>1000*2</f><v></v>", "<f>1000*2</f><v>2000</v>")
        return xml.replace('<c r="B2"><f>', '<c r="B2" t="str"><f>')

    rewrite_member(path, SHEET_XML, cache)
    _, rows, _ = read_all(path)
    assert rows == [SourceRow(2, (2000, None))]


@pytest.mark.parametrize("error", ["#N/A", "#REF!", "#DIV/0!", "#VALUE!", "#NAME?"])
def test_error_cells_are_problems(tmp_path: Path, error: str) -> None:
    path = workbook(tmp_path, [["Naam", "Salaris"], ["Jan", error], ["Piet", 1]])
    _, rows, _ = read_all(path)
    (problem,) = rows[0].problems
    assert (problem.row_number, problem.column, problem.value) == (2, "Salaris", error)
    assert error in problem.reason
    assert rows[1] == SourceRow(3, ("Piet", 1))


def test_a_sheet_damaged_half_way_names_the_row(tmp_path: Path) -> None:
    path = workbook(tmp_path, [["Naam"], ["Jan"], ["Piet"], ["Kees"]])
    kees = '<c r="A4" t="inlineStr"><is><t>Kees</t></is></c>'
    broken = '<c r="A4" t="s"><v>999</v></c>'  # a shared string that does not exist
    rewrite_member(path, SHEET_XML, lambda xml: xml.replace(kees, broken))
    with open_source(path) as source:
        rows = source.rows()
        assert next(rows).row_number == 2
        assert next(rows).row_number == 3
        with pytest.raises(InputFileError) as caught:
            next(rows)
    assert caught.value.row_number == 4
    assert "damaged" in caught.value.reason


# --- hostile archives ------------------------------------------------------------------------
def test_zip_bomb_is_refused_before_inflating(tmp_path: Path) -> None:
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr(SHEET_XML, b"\0" * 50_000_000)
    assert path.stat().st_size < 200_000
    error = refusal(path)
    assert "zip bomb" in error.reason
    assert "sheet1.xml" in error.reason


def test_archive_too_large_once_unpacked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(xlsxfile, "MAX_UNCOMPRESSED_BYTES", 1000)
    error = refusal(workbook(tmp_path, [["Naam"], ["Jan"]]))
    assert "would unpack to" in error.reason


def test_xml_entities_are_refused(tmp_path: Path) -> None:
    path = workbook(tmp_path, [["Naam"], ["Jan"]])
    bomb = '<!DOCTYPE lol [<!ENTITY lol "lol">]>'
    rewrite_member(path, SHEET_XML, lambda xml: bomb + xml)
    error = refusal(path)
    assert "entities" in error.reason
    assert "sheet1.xml" in error.reason


ENTITY_TEXT = "GEHEIM-UIT-DE-DTD"


@pytest.mark.parametrize("member", [SHEET_XML, "xl/workbook.xml", "[Content_Types].xml"])
def test_a_dtd_after_a_70_kb_comment_is_refused(tmp_path: Path, member: str) -> None:
    path = workbook(tmp_path, [["Naam"], ["Jan"]])
    prolog = (
        '<?xml version="1.0" encoding="UTF-8"?><!--' + "x" * 70_000 + "-->"
        f'<!DOCTYPE worksheet [<!ENTITY e "{ENTITY_TEXT}">]>'
    )
    rewrite_member(path, member, lambda xml: prolog + xml.replace(">Jan<", ">&e;<"))
    error = refusal(path)
    assert "DTD" in error.reason
    assert member in error.reason
    assert ENTITY_TEXT not in str(error)


def test_a_dtd_in_a_utf16_part_is_refused(tmp_path: Path) -> None:
    path = workbook(tmp_path, [["Naam"], ["Jan"]])
    with zipfile.ZipFile(path) as archive:
        parts = {info.filename: archive.read(info) for info in archive.infolist()}
    xml = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE w [<!ENTITY e "x">]>'
    parts[SHEET_XML] = (xml + parts[SHEET_XML].decode()).encode("utf-16")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    assert "DTD" in refusal(path).reason


def test_an_overlong_prolog_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(xlsxfile, "MAX_PROLOG_BYTES", 100_000)
    path = workbook(tmp_path, [["Naam"], ["Jan"]])
    rewrite_member(path, SHEET_XML, lambda xml: "<!--" + "x" * 300_000 + "-->" + xml)
    assert "does not start its content" in refusal(path).reason


def test_parts_that_are_not_xml_are_left_alone(tmp_path: Path) -> None:
    path = workbook(tmp_path, [["Naam"], ["Jan"]])
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("xl/media/image1.png", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40)
        archive.writestr("xl/printerSettings/printerSettings1.bin", b"\x00\x01<!DOCTYPE")
    _, rows, _ = read_all(path)
    assert rows == [SourceRow(2, ("Jan",))]


def test_openpyxl_parses_with_defusedxml() -> None:
    """A dependency of ours: openpyxl's own parsing refuses entity declarations too."""
    assert openpyxl.xml.DEFUSEDXML


# --- cut off workbooks -------------------------------------------------------------------------
def test_a_sheet_part_damaged_half_way_is_refused_before_any_row(tmp_path: Path) -> None:
    path = workbook(tmp_path, [["Naam", "Nummer"]] + [[f"naam {n}", n] for n in range(3000)])
    data = path.read_bytes()
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(SHEET_XML)
    name_length, extra_length = struct.unpack(
        "<HH", data[info.header_offset + 26 : info.header_offset + 30]
    )
    start = info.header_offset + 30 + name_length + extra_length
    middle = start + info.compress_size // 2
    end = start + info.compress_size
    path.write_bytes(data[:middle] + bytes(end - middle) + data[end:])
    with pytest.raises(InputFileError) as caught:
        open_source(path)
    assert "cut off part-way" in caught.value.reason
    assert "nothing was imported" in caught.value.reason


def test_sheet_xml_cut_off_half_way_keeps_the_rows_before_it(tmp_path: Path) -> None:
    path = workbook(tmp_path, [["Naam"]] + [[f"naam {n}"] for n in range(100)])
    rewrite_member(path, SHEET_XML, lambda xml: xml[: xml.index('<row r="51"') + 20])
    with open_source(path) as source:
        rows = source.rows()
        read = [next(rows).row_number for _ in range(49)]
        with pytest.raises(InputFileError) as caught:
            list(rows)
    assert read == list(range(2, 51))
    assert caught.value.row_number == 51
    assert "from row 51 on were not imported" in caught.value.reason


def test_too_many_parts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(xlsxfile, "MAX_ARCHIVE_ENTRIES", 3)
    assert "packed parts" in refusal(workbook(tmp_path, [["Naam"]])).reason


def test_parts_openpyxl_cannot_keep_raise_no_warning(tmp_path: Path) -> None:
    """Real Excel files carry data-validation extensions; pytest turns warnings into errors."""
    path = workbook(tmp_path, [["Naam"], ["Jan"]])
    extension = '<extLst><ext uri="{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}"/></extLst>'
    rewrite_member(
        path, SHEET_XML, lambda xml: xml.replace("</worksheet>", extension + "</worksheet>")
    )
    _, rows, warnings = read_all(path)
    assert rows == [SourceRow(2, ("Jan",))]
    assert warnings == []


def test_a_cell_over_excels_limit_is_a_problem_with_a_short_preview(tmp_path: Path) -> None:
    path = workbook(tmp_path, [["Naam", "Opmerking"], ["Jan", "LANG"], ["Piet", "kort"]])
    # openpyxl cuts text at Excel's limit when it writes, so the cell is grown afterwards.
    rewrite_member(path, SHEET_XML, lambda xml: xml.replace(">LANG<", ">" + "x" * 100_000 + "<"))
    _, rows, _ = read_all(path)
    (problem,) = rows[0].problems
    assert (problem.row_number, problem.column) == (2, "Opmerking")
    assert len(problem.value) <= 60
    assert "100,000 characters" in problem.reason
    assert rows[1] == SourceRow(3, ("Piet", "kort"))
