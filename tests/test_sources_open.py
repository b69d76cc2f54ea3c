from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
import pytest

from bulkimport.errors import InputFileError
from bulkimport.model import SourceFormat, SourceRow
from bulkimport.sources import RowSource, normalise_header, open_source
from bulkimport.sources.headers import column_label, column_letter

OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")


def refusal(path: Path) -> InputFileError:
    with pytest.raises(InputFileError) as caught, open_source(path) as source:
        list(source.rows())
    assert str(path) in str(caught.value)
    return caught.value


def test_a_source_satisfies_the_protocol(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("Naam\nJan\n", encoding="utf-8")
    source: RowSource = open_source(str(path))
    with source:
        assert source.info.path == str(path)
        assert list(source.rows()) == [SourceRow(2, ("Jan",))]


def test_csv_renamed_xlsx_is_read_as_csv_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "people.xlsx"
    path.write_text("Naam;Plaats\nJan;Ede\n", encoding="utf-8")
    with open_source(path) as source:
        assert source.info.format is SourceFormat.CSV
        assert list(source.rows()) == [SourceRow(2, ("Jan", "Ede"))]
        assert any(".xlsx but holds CSV text" in warning for warning in source.warnings)


def test_workbook_named_csv_is_read_as_a_workbook_with_a_warning(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Naam"])
    sheet.append(["Jan"])
    path = tmp_path / "people.csv"
    book.save(path)
    with open_source(path) as source:
        assert source.info.format is SourceFormat.XLSX
        assert list(source.rows()) == [SourceRow(2, ("Jan",))]
        assert any("is an Excel workbook" in warning for warning in source.warnings)


def test_sheet_option_on_a_csv_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("Naam\nJan\n", encoding="utf-8")
    with pytest.raises(InputFileError) as caught:
        open_source(path, sheet="Blad2")
    assert "--sheet 'Blad2'" in caught.value.reason
    assert "CSV file" in caught.value.reason


def test_corrupt_zip(tmp_path: Path) -> None:
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK\x03\x04" + b"\x00garbage" * 100)
    assert "damaged" in refusal(path).reason


def test_truncated_workbook(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    path = tmp_path / "cut.xlsx"
    book.save(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    reason = refusal(path).reason
    assert "damaged or cut off" in reason
    assert "nothing was imported" in reason


def test_zip_that_is_not_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "letter.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("word/document.xml", "<document/>")
    assert "Word document" in refusal(path).reason


def test_password_protected_workbook(tmp_path: Path) -> None:
    path = tmp_path / "secret.xlsx"
    directory_entry = "EncryptedPackage".encode("utf-16-le")
    path.write_bytes(OLE_MAGIC + b"\x00" * 1000 + directory_entry + b"\x00" * 1000)
    error = refusal(path)
    assert "password" in error.reason
    assert "save it again" in error.reason


def test_old_xls_workbook(tmp_path: Path) -> None:
    path = tmp_path / "old.xls"
    path.write_bytes(OLE_MAGIC + b"\x00" * 4000)
    assert ".xls" in refusal(path).reason


def test_binary_file_is_an_unknown_format(tmp_path: Path) -> None:
    path = tmp_path / "photo.csv"
    path.write_bytes(bytes(range(256)) * 40)
    assert "neither CSV text nor an Excel workbook" in refusal(path).reason


def test_missing_file(tmp_path: Path) -> None:
    assert refusal(tmp_path / "nope.csv").reason == "the file does not exist"


def test_folder(tmp_path: Path) -> None:
    assert "folder" in refusal(tmp_path).reason


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("Datum in dienst", "datum_in_dienst"),
        ("Datum in dienst", "DATUM IN DIENST "),
        ("Datum in dienst", "datum-in-dienst."),
        ("Förnamn", "fornamn"),
        ("Anställningsdatum", "anstallningsdatum"),
        ("Geboortedatum", "geboorte datum"),
        ("Straße", "strasse"),
    ],
)
def test_normalise_header_matches_spellings(left: str, right: str) -> None:
    assert normalise_header(left) == normalise_header(right)


def test_normalise_header_keeps_different_names_apart() -> None:
    assert normalise_header("Voornaam") != normalise_header("Achternaam")
    assert normalise_header("Datum in dienst") == "datumindienst"


@pytest.mark.parametrize(
    ("index", "letters"), [(0, "A"), (25, "Z"), (26, "AA"), (701, "ZZ"), (702, "AAA")]
)
def test_column_letter(index: int, letters: str) -> None:
    assert column_letter(index) == letters


def test_column_label() -> None:
    assert column_label(("Naam", ""), 0) == "Naam"
    assert column_label(("Naam", ""), 1) == "column B (no header)"
    assert column_label(("Naam",), 2) == "column C (no header)"
