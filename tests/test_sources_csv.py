from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest

from bulkimport.errors import InputFileError
from bulkimport.model import SourceFormat, SourceInfo, SourceRow
from bulkimport.sources import CsvSource, HeaderHint, open_source
from bulkimport.sources.csvfile import RECORD_LINE_LIMIT


def write(tmp_path: Path, content: str | bytes, name: str = "people.csv") -> Path:
    path = tmp_path / name
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return path


def read_all(path: Path) -> tuple[SourceInfo, list[SourceRow], list[str]]:
    with open_source(path) as source:
        assert isinstance(source, CsvSource)
        rows = list(source.rows())
        return source.info, rows, source.warnings


def refusal(path: Path) -> InputFileError:
    with pytest.raises(InputFileError) as caught, open_source(path) as source:
        list(source.rows())
    assert str(path) in str(caught.value)
    return caught.value


# --- encodings -------------------------------------------------------------------------------
def test_utf8_with_bom_reads_the_first_header_cleanly(tmp_path: Path) -> None:
    path = write(tmp_path, b"\xef\xbb\xbfVoornaam;Achternaam\r\nJos\xc3\xa9;Jansen\r\n")
    info, rows, warnings = read_all(path)
    assert info.headers == ("Voornaam", "Achternaam")
    assert info.encoding == "utf-8-sig"
    assert info.format is SourceFormat.CSV
    assert rows == [SourceRow(2, ("José", "Jansen"))]
    assert warnings == []


def test_utf8_without_bom(tmp_path: Path) -> None:
    path = write(tmp_path, "Förnamn,Efternamn\nÅsa,Öberg\n")
    info, rows, warnings = read_all(path)
    assert info.encoding == "utf-8"
    assert rows == [SourceRow(2, ("Åsa", "Öberg"))]
    assert warnings == []


def test_utf16_with_bom(tmp_path: Path) -> None:
    path = write(tmp_path, "Voornaam\tPlaats\r\nJosé\tÅre\r\n".encode("utf-16"))
    info, rows, _ = read_all(path)
    assert info.encoding == "utf-16"
    assert info.delimiter == "\t"
    assert rows == [SourceRow(2, ("José", "Åre"))]


def test_cp1252_fallback_with_a_warning(tmp_path: Path) -> None:
    path = write(tmp_path, "Naam;Plaats\r\nRené;Hengelo\r\n".encode("cp1252"))
    info, rows, warnings = read_all(path)
    assert info.encoding == "cp1252"
    assert rows == [SourceRow(2, ("René", "Hengelo"))]
    assert len(warnings) == 1
    assert "cp1252" in warnings[0]
    assert "line 2" in warnings[0]


def test_a_late_cp1252_byte_loses_no_row(tmp_path: Path) -> None:
    """The bad byte sits far beyond the first chunk: the whole file is still read as cp1252."""
    lines = ["Nummer;Naam"] + [f"{n};Naam {n}" for n in range(1, 150_001)] + ["150001;Zoë"]
    path = write(tmp_path, ("\r\n".join(lines) + "\r\n").encode("cp1252"))
    info, rows, warnings = read_all(path)
    assert info.encoding == "cp1252"
    assert len(rows) == 150_001
    assert rows[-1] == SourceRow(150_002, ("150001", "Zoë"))
    assert "line 150002" in warnings[0]


def test_neither_utf8_nor_cp1252_is_refused_naming_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, b"Naam;Plaats\r\nJan;Ede\r\nPiet;\x81\xff\r\n")
    error = refusal(path)
    assert "line 3" in error.reason
    assert "CSV UTF-8" in error.reason


def test_a_bom_that_lies_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, b"\xef\xbb\xbfNaam\r\nRen\xe9\r\n")
    error = refusal(path)
    assert "UTF-8 marker" in error.reason
    assert "line 2" in error.reason


# --- delimiters ------------------------------------------------------------------------------
@pytest.mark.parametrize("delimiter", [";", ",", "\t"])
def test_delimiter_is_detected_from_the_header(tmp_path: Path, delimiter: str) -> None:
    other = "," if delimiter != "," else ";"
    d = delimiter
    text = f'Naam{d}Salaris{d}Plaats\n"Jansen{d} J"{d}1{other}5{d}Ede\n'
    info, rows, _ = read_all(write(tmp_path, text))
    assert info.delimiter == delimiter
    assert rows == [SourceRow(2, (f"Jansen{delimiter} J", f"1{other}5", "Ede"))]


def test_a_quoted_delimiter_in_the_header_does_not_count(tmp_path: Path) -> None:
    info, _, _ = read_all(write(tmp_path, '"Naam, voluit";"Bedrag, bruto";Plaats\n'))
    assert info.delimiter == ";"
    assert info.headers == ("Naam, voluit", "Bedrag, bruto", "Plaats")


def test_excel_sep_line_is_honoured_and_is_not_a_row(tmp_path: Path) -> None:
    info, rows, _ = read_all(write(tmp_path, "sep=,\r\nNaam,Plaats;Regio\r\nJan,Ede;Gld\r\n"))
    assert info.delimiter == ","
    assert info.header_row_number == 1
    assert rows == [SourceRow(2, ("Jan", "Ede;Gld"))]


def test_a_one_column_file(tmp_path: Path) -> None:
    info, rows, _ = read_all(write(tmp_path, "Personeelsnummer\n1\n2\n"))
    assert info.headers == ("Personeelsnummer",)
    assert [row.cells for row in rows] == [("1",), ("2",)]


# --- row numbers as a spreadsheet shows them -------------------------------------------------
def test_row_numbers_count_records_and_blank_lines_like_a_spreadsheet(tmp_path: Path) -> None:
    text = (
        "\r\n"  # row 1: blank, so the header is row 2
        "Naam;Adres\r\n"  # row 2
        "Jan;Dorpsstraat 1\r\n"  # row 3
        "\r\n"  # row 4: blank, skipped but counted
        "  ;  \r\n"  # row 5: only spaces, skipped
        'Piet;"Kerkweg 2\r\nAchterhuis"\r\n'  # row 6: one row over two lines
        ";;\r\n"  # row 7: only delimiters
        "Kees;Laan 3\r\n"  # row 8
    )
    info, rows, _ = read_all(write(tmp_path, text))
    assert info.header_row_number == 2
    assert rows == [
        SourceRow(3, ("Jan", "Dorpsstraat 1")),
        SourceRow(6, ("Piet", "Kerkweg 2\r\nAchterhuis")),
        SourceRow(8, ("Kees", "Laan 3")),
    ]


HINT = HeaderHint(
    known=frozenset({"personeelsnummer", "voornaam", "achternaam"}),
    required=(frozenset({"personeelsnummer"}), frozenset({"voornaam"})),
)
TITLED = (
    "\r\n"  # row 1: blank
    "Nieuwe medewerkers december 2026;;\r\n"  # row 2: a title
    "Opgesteld door HR, versie 2\r\n"  # row 3: a title without semicolons
    "\r\n"  # row 4: blank
    "Personeelsnummer;Voornaam;Achternaam\r\n"  # row 5: the header
    "2001;Jan;Smit\r\n"  # row 6
    "\r\n"  # row 7: blank
    '2002;"Els";"Bos, van"\r\n'  # row 8
)


def test_title_lines_above_the_header_are_skipped_and_the_header_row_named(
    tmp_path: Path,
) -> None:
    with open_source(write(tmp_path, TITLED), header_hint=HINT) as source:
        info = source.info
        rows = list(source.rows())
        warnings = source.warnings
    assert info.headers == ("Personeelsnummer", "Voornaam", "Achternaam")
    assert info.delimiter == ";"
    assert info.header_row_number == 5
    assert rows == [
        SourceRow(6, ("2001", "Jan", "Smit")),
        SourceRow(8, ("2002", "Els", "Bos, van")),
    ]
    assert warnings == [
        "header row found on row 5: the rows above it were taken as titles and not imported"
    ]


def test_title_lines_after_an_excel_sep_line(tmp_path: Path) -> None:
    text = "sep=,\nPersoneel 2026\nPersoneelsnummer,Voornaam\n1,Jan\n"
    with open_source(write(tmp_path, text), header_hint=HINT) as source:
        assert source.info.header_row_number == 2
        assert source.info.delimiter == ","
        assert list(source.rows()) == [SourceRow(3, ("1", "Jan"))]


def test_a_header_on_the_first_line_gives_no_warning(tmp_path: Path) -> None:
    text = "Personeelsnummer;Voornaam\n1;Jan\n"
    with open_source(write(tmp_path, text), header_hint=HINT) as source:
        assert source.info.header_row_number == 1
        assert list(source.rows()) == [SourceRow(2, ("1", "Jan"))]
        assert source.warnings == []


def test_without_a_hint_the_first_line_with_text_is_the_header(tmp_path: Path) -> None:
    info, rows, warnings = read_all(write(tmp_path, TITLED))
    assert info.header_row_number == 2
    assert rows[0].row_number == 3
    assert warnings == []


def test_lines_read_while_looking_for_the_header_are_not_lost(tmp_path: Path) -> None:
    """No line names every required column: the best is taken and the lines after it kept."""
    text = "Titel\nPersoneelsnummer;Achternaam\n" + "".join(f"{n};x\n" for n in range(30))
    with open_source(write(tmp_path, text), header_hint=HINT) as source:
        assert source.info.header_row_number == 2
        rows = list(source.rows())
    assert [row.row_number for row in rows] == list(range(3, 33))
    assert rows[-1].cells == ("29", "x")


def test_cells_are_stripped_and_empty_cells_are_none(tmp_path: Path) -> None:
    _, rows, _ = read_all(write(tmp_path, 'A;B;C;D\n  x ;;" ";y\n'))
    assert rows == [SourceRow(2, ("x", None, None, "y"))]


def test_excel_text_formula_cells_read_as_excel_shows_them(tmp_path: Path) -> None:
    text = 'Telefoon;BSN;Naam\n="0612345678";"=""012345672""";Jan\n="";x;=SUM(1)\n'
    _, rows, _ = read_all(write(tmp_path, text))
    assert rows == [
        SourceRow(2, ("0612345678", "012345672", "Jan")),
        SourceRow(3, (None, "x", "=SUM(1)")),
    ]


def test_short_rows_are_padded(tmp_path: Path) -> None:
    _, rows, _ = read_all(write(tmp_path, "A;B;C\nx\n"))
    assert rows == [SourceRow(2, ("x", None, None))]


def test_last_line_without_newline(tmp_path: Path) -> None:
    _, rows, _ = read_all(write(tmp_path, 'A;B\nx;"y\ny"'))
    assert rows == [SourceRow(2, ("x", "y\ny"))]


def test_header_only_gives_no_rows_and_a_warning(tmp_path: Path) -> None:
    _, rows, warnings = read_all(write(tmp_path, "A;B\n\n"))
    assert rows == []
    assert warnings == ["the file has a header row but no data rows"]


def test_rows_can_be_read_once(tmp_path: Path) -> None:
    with open_source(write(tmp_path, "A\n1\n")) as source:
        list(source.rows())
        with pytest.raises(RuntimeError):
            list(source.rows())


# --- broken rows do not stop the file --------------------------------------------------------
def test_more_cells_than_headers_is_a_problem_of_that_row(tmp_path: Path) -> None:
    text = "Naam;Plaats\nJan;Ede;extra\nPiet;Epe;;\nKees;Ede\n"
    _, rows, _ = read_all(write(tmp_path, text))
    assert [row.row_number for row in rows] == [2, 3, 4]
    (problem,) = rows[0].problems
    assert (problem.row_number, problem.column, problem.value) == (
        2,
        "column C (no header)",
        "extra",
    )
    assert "no header" in problem.reason
    assert rows[0].cells == ("Jan", "Ede")
    assert rows[1].problems == ()  # trailing empty cells are normal in exports
    assert rows[2].problems == ()


def test_data_under_a_blank_header_is_a_problem_of_that_row(tmp_path: Path) -> None:
    text = "Naam;;Plaats;;\nJan;;Ede\nPiet;oeps;Epe\n"
    info, rows, _ = read_all(write(tmp_path, text))
    assert info.headers == ("Naam", "", "Plaats")  # trailing blank headers dropped
    assert rows[0].problems == ()
    (problem,) = rows[1].problems
    assert (problem.row_number, problem.column, problem.value) == (
        3,
        "column B (no header)",
        "oeps",
    )


def test_unbalanced_quote_is_reported_at_the_row_where_it_opened(tmp_path: Path) -> None:
    text = (
        'Naam;Plaats;Salaris\nJan;Ede;100\nPiet;"Epe;200\nKees;Ede;300\nAnna;Ede;"400"\n'
        "Bram;Ede;500\n"
    )
    path = write(tmp_path, text)
    _, rows, _ = read_all(path)
    assert [row.row_number for row in rows] == [2, 3, 4, 5, 6]
    broken = rows[1]
    assert broken.cells == ("Piet", "Epe;200", None)
    (problem,) = broken.problems
    assert problem.row_number == 3
    assert problem.column == "Plaats"
    assert "quote" in problem.reason
    assert "not closed" in problem.reason
    assert rows[2] == SourceRow(4, ("Kees", "Ede", "300"))
    assert rows[3] == SourceRow(5, ("Anna", "Ede", "400"))
    assert rows[4] == SourceRow(6, ("Bram", "Ede", "500"))


def test_unbalanced_quote_running_to_the_end_of_the_file(tmp_path: Path) -> None:
    _, rows, _ = read_all(write(tmp_path, 'Naam;Plaats\nJan;Ede\nPiet;"Epe\nKees;Ede\n'))
    assert [row.row_number for row in rows] == [2, 3, 4]
    assert "before the end of the file" in rows[1].problems[0].reason
    assert rows[2] == SourceRow(4, ("Kees", "Ede"))


def test_unbalanced_quote_is_cut_off_after_the_line_limit(tmp_path: Path) -> None:
    body = "".join(f"Naam {n};Plaats {n}\n" for n in range(3, 3 + 2 * RECORD_LINE_LIMIT))
    text = 'Naam;Plaats\nPiet;"Epe\n' + body + 'Anna;"Ede"\n'
    _, rows, _ = read_all(write(tmp_path, text))
    assert len(rows) == 1 + 2 * RECORD_LINE_LIMIT + 1
    assert f"within {RECORD_LINE_LIMIT} lines" in rows[0].problems[0].reason
    assert rows[0].row_number == 2
    assert rows[1] == SourceRow(3, ("Naam 3", "Plaats 3"))
    assert rows[-1] == SourceRow(3 + 2 * RECORD_LINE_LIMIT, ("Anna", "Ede"))
    assert all(not row.problems for row in rows[1:])


def test_text_after_a_closing_quote_is_a_problem_of_that_row(tmp_path: Path) -> None:
    _, rows, _ = read_all(write(tmp_path, 'Naam;Plaats\nJan;"Ede"x\nPiet;Epe\n'))
    assert [row.row_number for row in rows] == [2, 3]
    (problem,) = rows[0].problems
    assert (problem.row_number, problem.column) == (2, "Plaats")
    assert "closing quote" in problem.reason
    assert rows[0].cells == ("Jan", "Edex")
    assert rows[1].problems == ()


def test_nul_bytes_are_a_problem_of_their_cell(tmp_path: Path) -> None:
    text = "Naam;Plaats\n" + "Jan;Ede\n" * 50 + "Piet;E\x00pe\n" + "Kees;Ede\n"
    _, rows, _ = read_all(write(tmp_path, text))
    assert len(rows) == 52
    (problem,) = rows[50].problems
    assert (problem.row_number, problem.column) == (52, "Plaats")
    assert problem.value == "E\u2400pe"
    assert "NUL" in problem.reason
    assert rows[51] == SourceRow(53, ("Kees", "Ede"))


def test_a_10_mb_cell_is_a_problem_with_a_short_preview(tmp_path: Path) -> None:
    huge = "x" * 10_000_000
    text = f'Naam;Opmerking\nJan;kort\nPiet;{huge}\nKees;"{huge}"\nAnna;kort\n'
    _, rows, _ = read_all(write(tmp_path, text))
    assert [row.row_number for row in rows] == [2, 3, 4, 5]
    for row in rows[1:3]:
        (problem,) = row.problems
        assert problem.column == "Opmerking"
        assert len(problem.value) <= 60
        assert "10,000,000 characters" in problem.reason
        assert "32,767" in problem.reason
    assert rows[3] == SourceRow(5, ("Anna", "kort"))


def test_one_thousand_columns(tmp_path: Path) -> None:
    headers = [f"Kolom {n}" for n in range(1000)]
    values = [str(n) for n in range(1000)]
    text = ";".join(headers) + "\n" + ";".join(values) + "\n"
    info, rows, _ = read_all(write(tmp_path, text))
    assert len(info.headers) == 1000
    assert rows == [SourceRow(2, tuple(values))]


# --- files that cannot be read at all --------------------------------------------------------
def test_empty_file(tmp_path: Path) -> None:
    assert refusal(write(tmp_path, b"")).reason == "the file is empty"


def test_only_blank_lines_means_no_header_row(tmp_path: Path) -> None:
    assert "no header row" in refusal(write(tmp_path, "\r\n\r\n;;\r\n")).reason


@pytest.mark.parametrize(
    ("header", "named"),
    [
        ("Naam;Plaats;Naam", "'Naam' (columns A and C)"),
        ("Datum in dienst;Naam;datum_in_dienst", "'datum_in_dienst' (columns A and C)"),
    ],
)
def test_duplicate_headers_are_named(tmp_path: Path, header: str, named: str) -> None:
    error = refusal(write(tmp_path, header + "\n1;2;3\n"))
    assert named in error.reason
    assert error.row_number == 1
    assert "row 1" in str(error)


def test_unclosed_quote_in_the_header(tmp_path: Path) -> None:
    error = refusal(write(tmp_path, '\nNaam;"Plaats\nJan;Ede\n'))
    assert error.row_number == 2
    assert "header" in error.reason


# --- streaming -------------------------------------------------------------------------------
def test_memory_stays_flat_while_streaming(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    with path.open("w", encoding="utf-8", newline="") as stream:
        stream.write("Nummer;Naam;Plaats;Opmerking\r\n")
        for number in range(30_000):
            stream.write(f"{number};Naam {number};Plaats {number % 50};{'x' * 300}\r\n")
    size = path.stat().st_size
    tracemalloc.start()
    try:
        count = 0
        with open_source(path) as source:
            for _ in source.rows():
                count += 1
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 30_000
    assert size > 9_000_000
    assert peak < 3_500_000  # buffers of about 1 MiB, never the whole file
