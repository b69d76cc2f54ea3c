from __future__ import annotations

import csv
import tracemalloc
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from bulkimport.model import Cell, RowResult, RowStatus, SourceFormat, SourceInfo, SourceRow
from bulkimport.report import (
    REPORT_COLUMNS,
    FailedRowsWriter,
    ReportWriter,
    RunSummary,
    default_failed_path,
    default_report_base,
    format_summary,
    neutralise,
    report_paths,
    result_cells,
)
from bulkimport.sources import open_source

CSV_INFO = SourceInfo(
    path="hires.csv",
    format=SourceFormat.CSV,
    headers=("Personeelsnummer", "Naam", "Salaris"),
    encoding="utf-8-sig",
    delimiter=";",
)
XLSX_INFO = SourceInfo(
    path="hires.xlsx",
    format=SourceFormat.XLSX,
    headers=("Personeelsnummer", "Naam", "Datum in dienst"),
    sheet="Nieuwe medewerkers",
)
DANGEROUS = ["=1+1", "+31 6 1234", "-2+3+cmd|' /C calc'!A0", "@SUM(A1)", "\t=1", "\r=1"]


def read_csv(path: Path, *, encoding: str = "utf-8-sig", delimiter: str = ",") -> list[list[str]]:
    with path.open(encoding=encoding, newline="") as handle:
        return list(csv.reader(handle, delimiter=delimiter))


def read_xlsx(path: Path) -> list[tuple[object, ...]]:
    workbook = openpyxl.load_workbook(path)
    try:
        return list(workbook.active.iter_rows(values_only=True))  # type: ignore[union-attr]
    finally:
        workbook.close()


# -- pure formatting ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("result", "cells"),
    [
        (
            RowResult(
                2,
                RowStatus.OK,
                created=(("employee", 1057235), ("address", 88123)),
                attempts=3,
                duration=1.23456,
            ),
            ("ok", "employee=1057235; address=88123", "", None, "", 3, 1.235),
        ),
        (
            RowResult(3, RowStatus.INVALID, message="row 3, column 'BSN': 11-check fails"),
            ("invalid", "", "", None, "row 3, column 'BSN': 11-check fails", 0, 0.0),
        ),
        (
            RowResult(
                4,
                RowStatus.FAULT,
                created=(("employee", 7),),
                failed_operation="Address_Insert",
                fault_code=2001,
                message="Postcode is invalid",
                attempts=2,
                duration=0.5,
            ),
            ("fault", "employee=7", "Address_Insert", 2001, "Postcode is invalid", 2, 0.5),
        ),
        (
            RowResult(5, RowStatus.FAILED, failed_operation="Employee_Insert", attempts=6),
            ("failed", "", "Employee_Insert", None, "", 6, 0.0),
        ),
        (
            RowResult(6, RowStatus.SKIPPED, message="run stopped"),
            ("skipped", "", "", None, "run stopped", 0, 0.0),
        ),
        (
            RowResult(7, RowStatus.NEEDS_REVIEW, failed_operation="Employee_Insert"),
            ("needs_review", "", "Employee_Insert", None, "", 0, 0.0),
        ),
    ],
)
def test_result_cells_for_each_status(
    result: RowResult, cells: tuple[str | int | float | None, ...]
) -> None:
    assert result_cells(result) == cells
    assert len(cells) == len(REPORT_COLUMNS)


def test_every_status_is_covered_above() -> None:
    assert {s.value for s in RowStatus} == {
        "ok",
        "invalid",
        "fault",
        "failed",
        "skipped",
        "needs_review",
    }


@pytest.mark.parametrize("value", DANGEROUS)
def test_neutralise_quotes_formula_starts(value: str) -> None:
    assert neutralise(value) == "'" + value


@pytest.mark.parametrize(
    "value",
    ["-12,50", "+3.5", "-1.234,56", "-7", "Jansen", "", "a=b", "'=already quoted", None, 5],
)
def test_neutralise_leaves_safe_values(value: Cell) -> None:
    assert neutralise(value) == value


@pytest.mark.parametrize(
    "value", [-12, -12.5, Decimal("-3.10"), date(2024, 1, 31), datetime(2024, 1, 31, 8), True]
)
def test_neutralise_keeps_non_strings_as_they_are(value: Cell) -> None:
    assert neutralise(value) is value


def test_default_paths() -> None:
    assert default_report_base(Path("data/hires.csv")) == Path("data/hires.csv.report")
    assert default_failed_path(Path("data/hires.csv")) == Path("data/hires.failed.csv")
    assert default_failed_path(Path("data/hires.xlsx")) == Path("data/hires.failed.xlsx")


def test_a_csv_and_a_workbook_of_one_name_do_not_share_outputs() -> None:
    csv_input, xlsx_input = Path("data/hires.csv"), Path("data/hires.xlsx")
    csv_outputs = {*report_paths(default_report_base(csv_input)), default_failed_path(csv_input)}
    xlsx_outputs = {*report_paths(default_report_base(xlsx_input)), default_failed_path(xlsx_input)}
    assert len(csv_outputs) == len(xlsx_outputs) == 3
    assert not csv_outputs & xlsx_outputs


@pytest.mark.parametrize("base", ["out/run1", "out/run1.csv", "out/run1.XLSX"])
def test_report_paths_accept_a_base_or_a_file_name(base: str) -> None:
    assert report_paths(Path(base)) == (Path("out/run1.csv"), Path("out/run1.xlsx"))


def test_format_summary() -> None:
    summary = RunSummary(
        counts={RowStatus.OK: 4990, RowStatus.INVALID: 6, RowStatus.FAULT: 4},
        calls=35000,
        duration_s=250.0,
        throttled_calls=3,
        retries=12,
    )
    assert summary.rows == 5000
    assert summary.calls_per_s == 140.0
    assert format_summary(summary) == (
        "rows                5000\n"
        "  ok                4990\n"
        "  invalid              6\n"
        "  fault                4\n"
        "  failed               0\n"
        "  skipped              0\n"
        "  needs_review         0\n"
        "calls              35000\n"
        "duration         250.0 s\n"
        "calls/s            140.0\n"
        "retries               12\n"
        "throttled calls        3"
    )


def test_the_summary_says_the_rate_found_where_the_limit_is_not_published() -> None:
    summary = RunSummary(
        counts={RowStatus.OK: 1000},
        calls=7000,
        duration_s=75.0,
        retries=84,
        limit_published=False,
        found_rate=96.4,
        refused_calls=84,
    )
    assert format_summary(summary).splitlines()[-3:] == [
        "throttled calls       0",
        "rate found           96  calls/s (limit not published)",
        "refused calls        84  1.2% of calls",
    ]


def test_the_summary_says_when_the_limit_was_not_reached() -> None:
    summary = RunSummary(calls=500, duration_s=5.0, limit_published=False)
    assert format_summary(summary).splitlines()[-2:] == [
        "rate found           -  no call refused: the limit was not reached",
        "refused calls        0  0.0% of calls",
    ]


def test_refusals_under_a_published_limit_are_reported_too() -> None:
    summary = RunSummary(calls=1000, duration_s=8.0, found_rate=120.0, refused_calls=5)
    assert format_summary(summary).splitlines()[-2:] == [
        "rate found         120  calls/s (found from refusals)",
        "refused calls        5  0.5% of calls",
    ]
    assert "rate found" not in format_summary(replace(summary, refused_calls=0))


def test_summary_of_an_empty_run_divides_by_nothing() -> None:
    assert RunSummary().calls_per_s == 0.0
    lines = format_summary(RunSummary()).splitlines()
    assert [line.split()[-1] for line in lines if line.startswith("calls/s")] == ["0.0"]


# -- the report files -----------------------------------------------------------------------------


def test_report_csv_and_xlsx_for_csv_input(tmp_path: Path) -> None:
    base = tmp_path / "hires.report"
    with ReportWriter(base, CSV_INFO) as writer:
        writer.write(
            SourceRow(2, ("1001", "Jansen", "-12,50")),
            RowResult(2, RowStatus.OK, created=(("employee", 5),), attempts=1, duration=0.25),
        )
        writer.write(
            SourceRow(4, ("1002", '=HYPERLINK("x")', "")),
            RowResult(4, RowStatus.FAULT, failed_operation="Employee_Insert", fault_code=2001),
        )
    assert writer.paths == (tmp_path / "hires.report.csv", tmp_path / "hires.report.xlsx")
    assert (tmp_path / "hires.report.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert read_csv(tmp_path / "hires.report.csv", delimiter=";") == [
        ["Personeelsnummer", "Naam", "Salaris", *REPORT_COLUMNS],
        ["1001", "Jansen", "-12,50", "ok", "employee=5", "", "", "", "1", "0.25"],
        ["1002", '\'=HYPERLINK("x")', "", "fault", "", "Employee_Insert", "2001", "", "0", "0.0"],
    ]
    assert read_xlsx(tmp_path / "hires.report.xlsx") == [
        ("Personeelsnummer", "Naam", "Salaris", *REPORT_COLUMNS),
        ("1001", "Jansen", "-12,50", "ok", "employee=5", None, None, None, 1, 0.25),
        ("1002", '=HYPERLINK("x")', None, "fault", None, "Employee_Insert", 2001, None, 0, 0),
    ]
    workbook = openpyxl.load_workbook(tmp_path / "hires.report.xlsx")
    assert workbook.active["B3"].data_type == "s"  # type: ignore[index]  # text, not a formula
    workbook.close()
    assert not list(tmp_path.glob("*.partial"))


def test_report_for_xlsx_input_uses_commas_and_keeps_dates(tmp_path: Path) -> None:
    hired = datetime(2024, 3, 1)
    with ReportWriter(tmp_path / "r", XLSX_INFO) as writer:
        writer.write(
            SourceRow(2, (1001, "Jansen", hired)),
            RowResult(2, RowStatus.OK, created=(("employee", 5),)),
        )
    rows = read_csv(tmp_path / "r.csv")
    assert rows[1][:3] == ["1001", "Jansen", "2024-03-01"]
    assert read_xlsx(tmp_path / "r.xlsx")[1][:3] == (1001, "Jansen", hired)


@pytest.mark.parametrize("value", DANGEROUS)
def test_report_neutralises_each_dangerous_prefix_in_csv_and_xlsx(
    tmp_path: Path, value: str
) -> None:
    info = SourceInfo(path="x.csv", format=SourceFormat.CSV, headers=(value,))
    with ReportWriter(tmp_path / "r", info) as writer:
        writer.write(SourceRow(2, (value,)), RowResult(2, RowStatus.FAULT, message=value))

    header, row = read_csv(tmp_path / "r.csv")
    assert header[0] == "'" + value
    assert row[0] == "'" + value
    assert row[REPORT_COLUMNS.index("message") + 1] == "'" + value

    workbook = openpyxl.load_workbook(tmp_path / "r.xlsx")
    sheet = workbook.active
    assert sheet is not None
    # In XLSX a text cell is never run, so it shows as typed: no apostrophe to puzzle over.
    for cell in (sheet["A1"], sheet["A2"], sheet.cell(2, REPORT_COLUMNS.index("message") + 2)):
        assert cell.data_type == "s"
        assert cell.value == value
    workbook.close()


def test_report_cells_that_xml_cannot_hold_do_not_break_the_report(tmp_path: Path) -> None:
    info = SourceInfo(path="x.csv", format=SourceFormat.CSV, headers=("Naam", "Code"))
    with ReportWriter(tmp_path / "r", info) as writer:
        writer.write(SourceRow(2, ("Jan\x00sen", "#N/A")), RowResult(2, RowStatus.INVALID))
    assert read_csv(tmp_path / "r.csv")[1][:2] == ["Jan\x00sen", "#N/A"]
    workbook = openpyxl.load_workbook(tmp_path / "r.xlsx")
    sheet = workbook.active
    assert sheet is not None
    assert sheet["A2"].value == "Jan\ufffdsen"
    assert (sheet["B2"].data_type, sheet["B2"].value) == ("s", "#N/A")
    workbook.close()


def test_short_and_long_rows_stay_aligned_with_the_headers(tmp_path: Path) -> None:
    with ReportWriter(tmp_path / "r", CSV_INFO) as writer:
        writer.write(SourceRow(2, ("1001",)), RowResult(2, RowStatus.INVALID))
        writer.write(SourceRow(3, ("1", "2", "3", "4")), RowResult(3, RowStatus.INVALID))
    rows = read_csv(tmp_path / "r.csv", delimiter=";")
    assert rows[1][:4] == ["1001", "", "", "invalid"]
    assert rows[2][:4] == ["1", "2", "3", "invalid"]


def test_report_is_partial_until_closed_and_stays_partial_after_a_crash(tmp_path: Path) -> None:
    base = tmp_path / "r"
    with pytest.raises(RuntimeError), ReportWriter(base, CSV_INFO) as writer:
        writer.write(SourceRow(2, ("1", "a", "b")), RowResult(2, RowStatus.OK))
        writer.flush()
        partial = tmp_path / "r.csv.partial"
        assert read_csv(partial, delimiter=";")[1][0] == "1"  # readable while running
        assert not (tmp_path / "r.csv").exists()
        raise RuntimeError("crash")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.csv.partial", "r.xlsx.partial"]


def test_a_report_closed_before_a_fatal_error_keeps_its_final_names(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), ReportWriter(tmp_path / "r", CSV_INFO) as writer:
        writer.write(SourceRow(2, ("1", "a", "b")), RowResult(2, RowStatus.SKIPPED))
        writer.close()
        raise RuntimeError("authentication refused")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.csv", "r.xlsx"]


def test_report_refuses_rows_out_of_order_or_with_another_rows_result(tmp_path: Path) -> None:
    with ReportWriter(tmp_path / "r", CSV_INFO) as writer:
        writer.write(SourceRow(3, ("1", "a", "b")), RowResult(3, RowStatus.OK))
        with pytest.raises(ValueError, match="input order"):
            writer.write(SourceRow(2, ("1", "a", "b")), RowResult(2, RowStatus.OK))
        with pytest.raises(ValueError, match="result for row 5"):
            writer.write(SourceRow(4, ("1", "a", "b")), RowResult(5, RowStatus.OK))
    assert writer.rows_written == 1


def test_report_writing_streams_in_flat_memory(tmp_path: Path) -> None:
    """Rows go to disk as they come: memory after 18,000 more rows is what it was after 2,000.

    (20,000 rows rather than more: writing under tracemalloc is slow, and a retained row would
    cost hundreds of bytes, so 18,000 of them would show as megabytes.)
    """
    info = SourceInfo(path="x.csv", format=SourceFormat.CSV, headers=("Nummer", "Naam", "Plaats"))

    def write(writer: ReportWriter, numbers: range) -> None:
        for number in numbers:
            writer.write(
                SourceRow(number, (str(number), f"Medewerker {number}", f"Plaats {number}")),
                RowResult(number, RowStatus.OK, created=(("employee", number),), attempts=1),
            )

    tracemalloc.start()
    try:
        with ReportWriter(tmp_path / "big", info) as writer:
            write(writer, range(2, 2002))
            settled, _ = tracemalloc.get_traced_memory()
            tracemalloc.reset_peak()
            write(writer, range(2002, 20002))
            _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak - settled < 512 * 1024
    with (tmp_path / "big.csv").open(encoding="utf-8-sig") as handle:
        assert sum(1 for _ in handle) == 20001


# -- the failed-rows file -------------------------------------------------------------------------


def read_source(path: Path) -> tuple[SourceInfo, list[SourceRow]]:
    with open_source(path) as source:
        return source.info, list(source.rows())


def feed_back(input_path: Path, failed_path: Path) -> tuple[SourceInfo, list[SourceRow]]:
    """Read the input, send every row to the failed-rows file, read that file as input again."""
    info, rows = read_source(input_path)
    with FailedRowsWriter(failed_path, info) as writer:
        for row in rows:
            writer.write(row, RowResult(row.row_number, RowStatus.INVALID))
    return info, rows


CSV_LINES = [
    ["Personeelsnummer", "Opmerking", "Adres", "Formule", "Leeg", "Bedrag", "Naam"],
    ["1001", 'He said "hi"; then left', "line one\nline two", "=SUM(A1)", "", "-5", "{extra}"],
    ["1002", "", "Kerkstraat 1", "", "", "1.234,56", "x"],
]


@pytest.mark.parametrize(
    ("encoding", "delimiter", "extra"),
    [
        ("utf-8-sig", ";", "Ærø €"),
        ("utf-8", ",", "Åsa Öberg 😀"),
        ("cp1252", ";", "Müller €"),
        ("utf-8", "\t", "Zoë"),
    ],
)
def test_failed_rows_csv_round_trip(
    tmp_path: Path, encoding: str, delimiter: str, extra: str
) -> None:
    original = tmp_path / "in.csv"
    with original.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        for line in CSV_LINES:
            writer.writerow([cell.replace("{extra}", extra) for cell in line])
    failed = tmp_path / "in.failed.csv"
    info, rows = feed_back(original, failed)
    assert (info.encoding, info.delimiter) == (encoding, delimiter)

    again_info, again_rows = read_source(failed)
    assert failed.read_bytes().startswith(b"\xef\xbb\xbf") == (encoding == "utf-8-sig")
    assert (again_info.encoding, again_info.delimiter) == (encoding, delimiter)
    assert again_info.headers == info.headers == tuple(CSV_LINES[0])
    assert [r.cells for r in again_rows] == [r.cells for r in rows]
    assert rows[0].cells[-1] == extra
    assert rows[0].cells[3] == "=SUM(A1)"  # not neutralised: the file must feed back exactly


def test_failed_rows_xlsx_round_trip(tmp_path: Path) -> None:
    headers = ("Personeelsnummer", "Naam", "Datum in dienst", "Uren", "Actief", "Formule", "Fout")
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Blad 1"
    sheet.append(headers)
    sheet.append([1001, "Jansen", datetime(2024, 3, 1), 37.5, True, None, None])
    sheet.append([1002, "de Vries", None, None, False, None, "x"])
    for coordinate, text in (("F2", "=SUM(A1)"), ("G2", "#N/A")):
        sheet[coordinate].value = text
        sheet[coordinate].data_type = "s"  # text that looks like a formula or an error
    original = tmp_path / "in.xlsx"
    workbook.save(original)
    failed = tmp_path / "in.failed.xlsx"
    info, rows = feed_back(original, failed)

    again_info, again_rows = read_source(failed)
    assert again_info.sheet == info.sheet == "Blad 1"
    assert again_info.headers == info.headers == headers
    assert [r.cells for r in again_rows] == [r.cells for r in rows]
    assert rows[0].cells == (1001, "Jansen", datetime(2024, 3, 1), 37.5, True, "=SUM(A1)", "#N/A")
    stored = openpyxl.load_workbook(failed)
    assert stored["Blad 1"]["F2"].data_type == "s"  # text, not a formula
    stored.close()


def test_failed_rows_workbook_keeps_the_input_formats_of_dates_and_amounts(
    tmp_path: Path,
) -> None:
    headers = ("Personeelsnummer", "Datum in dienst", "Salaris", "Telefoon", "Uren")
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(headers)
    sheet.append([1001, datetime(2026, 12, 1), 3250.5, "0612345678", 8])
    sheet.append([1002, datetime(2027, 1, 4), 1234.56, "0687654321", 7.5])
    for row in (2, 3):
        sheet.cell(row, 2).number_format = "dd-mm-yyyy"
        sheet.cell(row, 3).number_format = "#,##0.00"
        sheet.cell(row, 4).number_format = "@"
    original = tmp_path / "in.xlsx"
    workbook.save(original)
    failed = tmp_path / "in.failed.xlsx"
    feed_back(original, failed)

    stored = openpyxl.load_workbook(failed)
    rows = list(stored.active.iter_rows(min_row=2))  # type: ignore[union-attr]
    date_cell, amount, phone, hours = rows[1][1], rows[1][2], rows[1][3], rows[1][4]
    assert (date_cell.value, date_cell.number_format) == (datetime(2027, 1, 4), "dd-mm-yyyy")
    assert date_cell.is_date
    assert (amount.value, amount.data_type, amount.number_format) == (1234.56, "n", "#,##0.00")
    assert (phone.value, phone.data_type) == ("0687654321", "s")
    assert (hours.value, hours.number_format) == (7.5, "General")
    stored.close()


def test_failed_rows_workbook_writes_dates_as_dates_when_the_input_format_is_unknown(
    tmp_path: Path,
) -> None:
    info = SourceInfo(
        path=str(tmp_path / "gone.xlsx"), format=SourceFormat.XLSX, headers=("Datum", "Tijdstip")
    )
    failed = tmp_path / "gone.failed.xlsx"
    with FailedRowsWriter(failed, info) as writer:
        row = SourceRow(2, (datetime(2026, 12, 1), datetime(2026, 12, 1, 8, 30)))
        writer.write(row, RowResult(2, RowStatus.INVALID))
    stored = openpyxl.load_workbook(failed)
    day, moment = stored.active["A2"], stored.active["B2"]  # type: ignore[index]
    assert (day.value, day.number_format, day.is_date) == (
        datetime(2026, 12, 1),
        "yyyy-mm-dd",
        True,
    )
    assert moment.number_format == "yyyy-mm-dd hh:mm:ss"
    stored.close()


def test_failed_rows_workbook_cuts_a_sheet_name_longer_than_excel_takes(tmp_path: Path) -> None:
    name = "Nieuwe medewerkers afdeling Financiën 2026"  # 42 characters; Excel takes 31
    info = SourceInfo(
        path=str(tmp_path / "gone.xlsx"), format=SourceFormat.XLSX, headers=("Naam",), sheet=name
    )
    failed = tmp_path / "gone.failed.xlsx"
    with FailedRowsWriter(failed, info) as writer:
        writer.write(SourceRow(2, ("Jansen",)), RowResult(2, RowStatus.INVALID))
    stored = openpyxl.load_workbook(failed)
    assert stored.sheetnames == [name[:31]]
    assert stored[name[:31]]["A2"].value == "Jansen"
    stored.close()


def test_failed_file_holds_only_rows_that_changed_nothing_and_should_be_sent_again(
    tmp_path: Path,
) -> None:
    results = [
        RowResult(2, RowStatus.OK, created=(("employee", 1),)),
        RowResult(3, RowStatus.INVALID),
        RowResult(4, RowStatus.FAULT, failed_operation="Employee_Insert", fault_code=2001),
        RowResult(5, RowStatus.FAILED, failed_operation="Employee_Insert"),
        RowResult(6, RowStatus.SKIPPED),
        RowResult(7, RowStatus.NEEDS_REVIEW, failed_operation="Employee_Insert"),
        RowResult(
            8, RowStatus.FAULT, created=(("employee", 9),), failed_operation="Address_Insert"
        ),
    ]
    path = tmp_path / "in.failed.csv"
    with FailedRowsWriter(path, CSV_INFO) as writer:
        for result in results:
            number = str(result.row_number)
            writer.write(SourceRow(result.row_number, (number, "x", "y")), result)
    assert [row[0] for row in read_csv(path, delimiter=";")] == ["Personeelsnummer", "3", "4", "5"]
    assert writer.rows_written == 3
    assert writer.partial_rows_left_out == 1


def test_no_failed_file_without_failed_rows(tmp_path: Path) -> None:
    path = tmp_path / "in.failed.csv"
    path.write_text("stale rows of an earlier run\n")
    with FailedRowsWriter(path, CSV_INFO) as writer:
        writer.write(SourceRow(2, ("1", "a", "b")), RowResult(2, RowStatus.OK))
    assert list(tmp_path.iterdir()) == []


def test_failed_file_stays_partial_after_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "in.failed.xlsx"
    with pytest.raises(RuntimeError), FailedRowsWriter(path, XLSX_INFO) as writer:
        writer.write(SourceRow(2, (1, "a", None)), RowResult(2, RowStatus.INVALID))
        raise RuntimeError("crash")
    assert [p.name for p in tmp_path.iterdir()] == ["in.failed.xlsx.partial"]


def test_calls_per_second_of_a_run_shorter_than_a_second_is_not_read_as_a_rate() -> None:
    """A resumed run that sent 9 reads in 0.06 s did not call at 150/s: the cap is per second."""
    assert RunSummary(calls=9, duration_s=0.06).calls_per_s == 9
    assert RunSummary(calls=300, duration_s=2.0).calls_per_s == 150
