"""The streaming XLSX writer: what it writes reads back, with openpyxl, as what was given."""

from __future__ import annotations

import struct
import zipfile
from collections.abc import Sequence
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from lxml import etree
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel

from bulkimport.model import Cell
from bulkimport.sheetwriter import (
    ColumnFormat,
    FixedSheet,
    XlsxSheetWriter,
    column_letter,
    excel_serial,
)

HOSTILE = [
    "=SUM(A1)",
    '=HYPERLINK("http://x","y")',
    "+31 6 1234",
    "@cmd",
    "#N/A",
    "#DIV/0!",
    "a & b < c > d \" e ' f",
    "&amp; stays as typed",
    "<![CDATA[x]]>",
    "line one\nline two\r\nline three\rend",
    "\ttabbed",
    "  leading and trailing spaces  ",
    "emoji 😀 and 𝄞 beyond the BMP",
    "x" * 32_767,  # the most text an Excel cell holds
]


def write(path: Path, header: Sequence[str], rows: Sequence[Sequence[Cell]]) -> Path:
    with XlsxSheetWriter(path, "report", header) as writer:
        for row in rows:
            writer.append(row)
    return path


def read(path: Path, *, read_only: bool) -> list[tuple[object, ...]]:
    workbook = openpyxl.load_workbook(path, read_only=read_only)
    try:
        sheet = workbook.active
        assert sheet is not None
        return [tuple(row) for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()


@pytest.mark.parametrize("read_only", [True, False])
def test_every_cell_type_reads_back_as_written(tmp_path: Path, read_only: bool) -> None:
    row: list[Cell] = [
        "Jansen",
        0,
        -7,
        2**53,
        2.5,
        0.1 + 0.2,  # needs all 17 digits to come back exactly
        -1e-300,
        Decimal("1234.50"),
        True,
        False,
        date(2024, 3, 1),
        datetime(2024, 3, 1, 13, 45, 30),
        datetime(2024, 3, 1),
    ]
    path = write(tmp_path / "r.xlsx", [f"c{i}" for i in range(len(row))], [row])
    header, back = read(path, read_only=read_only)
    assert header == tuple(f"c{i}" for i in range(len(row)))
    expected = [*row[:7], 1234.5, True, False, datetime(2024, 3, 1), *row[11:]]
    assert list(back) == expected
    assert [type(value) for value in back] == [type(value) for value in expected]


def test_dates_get_date_formats_and_numbers_general(tmp_path: Path) -> None:
    path = write(
        tmp_path / "r.xlsx",
        ["when", "at", "amount"],
        [[date(2024, 3, 1), datetime(2024, 3, 1, 9, 30), 12.5]],
    )
    workbook = openpyxl.load_workbook(path)
    sheet = workbook.active
    assert sheet is not None
    assert sheet["A2"].number_format == "yyyy-mm-dd"
    assert sheet["B2"].number_format == "yyyy-mm-dd hh:mm:ss"
    assert sheet["C2"].number_format == "General"
    assert [sheet[ref].is_date for ref in ("A2", "B2", "C2")] == [True, True, False]
    workbook.close()


def test_a_midnight_datetime_shows_as_a_date_as_in_the_csv_report(tmp_path: Path) -> None:
    path = write(tmp_path / "r.xlsx", ["hired"], [[datetime(2024, 3, 1)]])
    workbook = openpyxl.load_workbook(path)
    cell = workbook.active["A2"]  # type: ignore[index]
    assert (cell.value, cell.number_format) == (datetime(2024, 3, 1), "yyyy-mm-dd")
    workbook.close()


def test_column_formats_apply_to_their_kind_of_value_only(tmp_path: Path) -> None:
    amount = '[$€-413] #,##0.00 "<&>"'  # a format code with characters XML must escape
    formats = [
        ColumnFormat(numbers=amount),
        ColumnFormat(dates="dd-mm-yyyy"),
        ColumnFormat(numbers=amount),
        ColumnFormat(),
    ]
    rows: list[list[Cell]] = [
        [1234.5, date(2024, 3, 1), Decimal("7"), 3],
        [datetime(2024, 3, 1, 8), datetime(2024, 3, 1, 8), "text", True],
        [2, 2.5, None, date(2024, 3, 1)],
    ]
    path = tmp_path / "r.xlsx"
    with XlsxSheetWriter(path, "Blad 1", ["a", "b", "c", "d"], formats=formats) as writer:
        for row in rows:
            writer.append(row)
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["Blad 1"]
    assert [[cell.number_format for cell in row] for row in sheet.iter_rows(min_row=2)] == [
        [amount, "dd-mm-yyyy", amount, "General"],
        ["yyyy-mm-dd hh:mm:ss", "dd-mm-yyyy", "General", "General"],
        [amount, "General", "General", "yyyy-mm-dd"],
    ]
    assert sheet["A2"].value == 1234.5
    assert sheet["B3"].value == datetime(2024, 3, 1, 8)
    workbook.close()


@pytest.mark.parametrize("read_only", [True, False])
def test_hostile_strings_read_back_as_typed_text(tmp_path: Path, read_only: bool) -> None:
    path = write(tmp_path / "r.xlsx", HOSTILE, [HOSTILE])
    header, row = read(path, read_only=read_only)
    assert header == row == tuple(HOSTILE)
    if not read_only:
        workbook = openpyxl.load_workbook(path)
        sheet = workbook.active
        assert sheet is not None
        assert {cell.data_type for cell in sheet[2]} == {"s"}  # no formula, no error value
        workbook.close()


def test_characters_xml_cannot_hold_become_replacement_characters(tmp_path: Path) -> None:
    text = "Jan\x00sen\x01\x08\x0b\x0c\x0e\x1f\ufffe\uffff\ud800 ok"
    path = write(tmp_path / "r.xlsx", ["Naam\x07"], [[text]])
    assert read(path, read_only=True) == [
        ("Naam\ufffd",),
        ("Jan\ufffdsen" + "\ufffd" * 9 + " ok",),
    ]


def test_values_a_number_cell_cannot_hold_are_written_as_text(tmp_path: Path) -> None:
    aware = datetime(2024, 3, 1, 9, 30, tzinfo=timezone(timedelta(hours=1)))
    row: list[Cell] = [float("nan"), float("inf"), Decimal("-Infinity"), Decimal("NaN"), aware]
    path = write(tmp_path / "r.xlsx", ["a", "b", "c", "d", "e"], [row])
    assert read(path, read_only=False)[1] == (
        "nan",
        "inf",
        "-Infinity",
        "NaN",
        "2024-03-01 09:30:00+01:00",  # Excel has no time zones: the offset stays readable
    )


def test_empty_values_leave_gaps_and_later_cells_keep_their_columns(tmp_path: Path) -> None:
    path = write(tmp_path / "r.xlsx", ["a", "b", "c", "d"], [[None, "x", "", 4], [], ["y"]])
    assert read(path, read_only=False)[1:] == [
        (None, "x", None, 4),
        (None, None, None, None),
        ("y", None, None, None),
    ]


def test_a_row_longer_than_the_header_is_cut_to_it(tmp_path: Path) -> None:
    path = write(tmp_path / "r.xlsx", ["a", "b"], [[1, 2, 3]])
    assert read(path, read_only=False) == [("a", "b"), (1, 2)]


def test_header_is_bold_and_frozen(tmp_path: Path) -> None:
    path = write(tmp_path / "r.xlsx", ["Naam", "status"], [["Jansen", "ok"]])
    workbook = openpyxl.load_workbook(path)
    sheet = workbook.active
    assert sheet is not None
    assert sheet.title == "report"
    assert sheet.freeze_panes == "A2"
    assert [cell.font.b for cell in sheet[1]] == [True, True]
    assert [cell.font.b for cell in sheet[2]] == [False, False]
    workbook.close()


def test_an_empty_report_is_its_header(tmp_path: Path) -> None:
    path = write(tmp_path / "r.xlsx", ["Naam", "status"], [])
    assert read(path, read_only=True) == [("Naam", "status")]
    assert read(path, read_only=False) == [("Naam", "status")]


def test_the_package_has_its_parts_and_each_part_is_well_formed_xml(tmp_path: Path) -> None:
    path = tmp_path / "r.xlsx"
    about = FixedSheet("about & <more>", [("made", datetime(2024, 1, 1, 8))])
    with XlsxSheetWriter(path, "report", ["a & b", "c"], fixed_sheets=[about]) as writer:
        writer.append(["<x>", 1])
        writer.append([date(2024, 1, 1), True])
    with zipfile.ZipFile(path) as package:
        assert package.testzip() is None
        names = package.namelist()
        assert names[-1] == "xl/worksheets/sheet1.xml"  # the streamed part goes last
        assert set(names) == {
            "[Content_Types].xml",
            "_rels/.rels",
            "xl/workbook.xml",
            "xl/_rels/workbook.xml.rels",
            "xl/styles.xml",
            "xl/worksheets/sheet1.xml",
            "xl/worksheets/sheet2.xml",
        }
        parts = {name: etree.fromstring(package.read(name)) for name in names}
    overrides = {
        element.get("PartName")
        for element in parts["[Content_Types].xml"]
        if element.tag.endswith("Override")
    }
    assert overrides == {f"/{name}" for name in names if not name.endswith(".rels")} - {
        "/[Content_Types].xml"
    }
    main = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    rows = parts["xl/worksheets/sheet1.xml"].find(f"{main}sheetData")
    assert rows is not None
    assert [row.get("r") for row in rows] == ["1", "2", "3"]
    assert [cell.get("r") for cell in rows[2]] == ["A3", "B3"]


def test_a_sheet_under_4_gib_carries_no_zip64_record(tmp_path: Path) -> None:
    """Office is known to refuse ZIP64 records in a small package; Python adds them to a member
    opened for streaming with force_zip64, so the writer must not."""
    path = write(tmp_path / "r.xlsx", ["n", "text"], [[n, "x" * 100] for n in range(5000)])
    with zipfile.ZipFile(path) as package, path.open("rb") as raw:
        for info in package.infolist():
            raw.seek(info.header_offset)
            local = struct.unpack("<4sHHHHHIIIHH", raw.read(30))
            local_extra = raw.read(local[9] + local[10])[local[9] :]
            assert local[0] == b"PK\x03\x04"
            assert local[1] < 45, info.filename  # version 4.5 is ZIP64's
            assert 0xFFFFFFFF not in local[7:9], info.filename
            for extra in (local_extra, info.extra):
                ids = []
                while extra:
                    ids.append(int.from_bytes(extra[:2], "little"))
                    extra = extra[4 + int.from_bytes(extra[2:4], "little") :]
                assert 1 not in ids, info.filename  # header id 1: the ZIP64 extra field
    assert [p.name for p in tmp_path.iterdir()] == ["r.xlsx"]  # the rows' file is gone


def test_fixed_sheets_follow_the_streamed_one_plain_and_whole(tmp_path: Path) -> None:
    path = tmp_path / "plan.xlsx"
    about = FixedSheet("about", [("input", "=in.csv"), ("rows", 2), (), ("made", date(2024, 1, 1))])
    empty = FixedSheet("empty", [])
    with XlsxSheetWriter(path, "plan", ["row"], fixed_sheets=[about, empty]) as writer:
        writer.append([2])
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames == ["plan", "about", "empty"]
    assert [tuple(row) for row in workbook["about"].iter_rows(values_only=True)] == [
        ("input", "=in.csv"),
        ("rows", 2),
        (None, None),
        ("made", datetime(2024, 1, 1)),
    ]
    assert workbook["about"]["A1"].font.b is False
    assert workbook["about"].freeze_panes is None
    assert workbook["about"]["B4"].number_format == "yyyy-mm-dd"
    assert workbook["empty"].max_row == 1 and workbook["empty"]["A1"].value is None
    assert [tuple(row) for row in workbook["plan"].iter_rows(values_only=True)] == [("row",), (2,)]
    workbook.close()


def test_sheet_names_must_differ_as_excel_compares_them(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="each one different"):
        XlsxSheetWriter(tmp_path / "r.xlsx", "Plan", ["a"], fixed_sheets=[FixedSheet("plan", [])])
    assert not (tmp_path / "r.xlsx").exists()


def test_sheet_names_excel_refuses_are_refused(tmp_path: Path) -> None:
    for name in ("", "a" * 32, "a/b", "[x]", "what?"):
        with pytest.raises(ValueError, match="sheet name"):
            XlsxSheetWriter(tmp_path / "r.xlsx", name, ["a"])
    path = write(tmp_path / "ok.xlsx", ["a"], [])
    with XlsxSheetWriter(path, "Nieuwe 'medewerkers' & <co>", ["a"]):
        pass
    assert openpyxl.load_workbook(path).sheetnames == ["Nieuwe 'medewerkers' & <co>"]


def test_what_was_appended_before_an_exception_stays_readable(tmp_path: Path) -> None:
    path = tmp_path / "r.xlsx"
    with pytest.raises(RuntimeError), XlsxSheetWriter(path, "report", ["n"]) as writer:
        for number in range(1000):
            writer.append([number])
        raise RuntimeError("crash")
    assert [p.name for p in tmp_path.iterdir()] == ["r.xlsx"]
    rows = read(path, read_only=True)
    assert len(rows) == 1001
    assert rows[-1] == (999,)
    writer.close()  # a second close does nothing


@pytest.mark.parametrize("index", [0, 1, 25, 26, 51, 701, 702, 16_383])
def test_column_letters_are_excels(index: int) -> None:
    assert column_letter(index) == get_column_letter(index + 1)


@pytest.mark.parametrize(
    "value",
    [
        date(1899, 12, 30),
        date(1900, 1, 1),
        date(1900, 2, 28),
        date(1900, 3, 1),
        date(2024, 2, 29),
        datetime(1900, 1, 1, 12),
        datetime(2024, 3, 1, 23, 59, 59, 999_000),
        datetime(9999, 12, 31, 6),
    ],
)
def test_date_serials_are_the_ones_openpyxl_writes(value: date) -> None:
    assert excel_serial(value) == to_excel(value)  # type: ignore[no-untyped-call]
