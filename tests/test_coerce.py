from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from bulkimport.config import Country
from bulkimport.mapping.coerce import (
    MARITAL_STATUSES,
    CoercionError,
    ColumnType,
    coerce_cell,
    coerce_postal_code,
    display_value,
)
from bulkimport.model import Cell
from bulkimport.nmbrs.soap.schema import ADDRESS_TYPE, BANK_ACCOUNT_TYPE, GENDER, SALARY_TYPE

NL = Country.NL
SE = Country.SE


def ok(column_type: ColumnType, value: Cell, country: Country = NL) -> object:
    return coerce_cell(column_type, value, country=country)


def refused(column_type: ColumnType, value: Cell, country: Country = NL) -> str:
    with pytest.raises(CoercionError) as caught:
        coerce_cell(column_type, value, country=country)
    assert caught.value.reason
    assert str(caught.value) == caught.value.reason
    return caught.value.reason


@pytest.mark.parametrize("column_type", list(ColumnType))
@pytest.mark.parametrize("empty", [None, "", "   ", "\t"])
def test_empty_cells_are_none_for_every_type(column_type: ColumnType, empty: Cell) -> None:
    assert ok(column_type, empty) is None


# --- text, int -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("  Jan ", "Jan"),
        (12, "12"),
        (12.0, "12"),
        (12.5, "12.5"),
        (Decimal("1.50"), "1.50"),
        (True, "TRUE"),
        ("<&]]>é😀", "<&]]>é😀"),
    ],
)
def test_text(value: Cell, expected: str) -> None:
    assert ok(ColumnType.TEXT, value) == expected


def test_text_refuses_a_value_excel_turned_into_a_date() -> None:
    assert "Excel turned this into a date" in refused(ColumnType.TEXT, datetime(2025, 2, 1))


@pytest.mark.parametrize(
    ("value", "expected"),
    [("42", 42), ("-7", -7), ("+3", 3), (42, 42), (42.0, 42), (Decimal("5"), 5)],
)
def test_int(value: Cell, expected: int) -> None:
    result = ok(ColumnType.INT, value)
    assert result == expected
    assert type(result) is int


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("4.2", "whole number"),
        ("1 000", "whole number"),
        ("abc", "whole number"),
        (4.5, "whole number"),
        (True, "TRUE/FALSE"),
        ("2147483648", "too large"),
        (date(2025, 1, 1), "not a date"),
        ("٤٢", "whole number"),
    ],
)
def test_int_refused(value: Cell, reason: str) -> None:
    assert reason in refused(ColumnType.INT, value)


# --- decimals --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1234.56", "1234.56"),
        ("1234,56", "1234.56"),
        ("1.234,56", "1234.56"),
        ("1,234.56", "1234.56"),
        ("1 234,56", "1234.56"),
        ("1\u00a0234,56", "1234.56"),
        ("1.234.567,89", "1234567.89"),
        ("1,234,567.89", "1234567.89"),
        ("1.234.567", "1234567"),
        ("-1.234,56", "-1234.56"),
        ("-12,5", "-12.5"),
        ("+7", "7"),
        ("2500", "2500"),
        ("0,125", "0.125"),
        ("0.125", "0.125"),
        ("1234.567", "1234.567"),
        (",5", "0.5"),
        ("€ 2.500,00", "2500.00"),
        ("1 234", "1234"),
        ("12,50", "12.50"),  # the common forms take a fast path: same result, scale kept
        ("4,8", "4.8"),
        ("007.05", "7.05"),
    ],
)
def test_decimal_text(text: str, expected: str) -> None:
    result = ok(ColumnType.DECIMAL, text)
    assert isinstance(result, Decimal)
    assert result == Decimal(expected)
    assert str(result) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(2500, "2500"), (0.1, "0.1"), (1234.56, "1234.56"), (Decimal("3.10"), "3.10")],
)
def test_decimal_from_xlsx_numbers_has_no_binary_noise(value: Cell, expected: str) -> None:
    assert str(ok(ColumnType.DECIMAL, value)) == expected


@pytest.mark.parametrize("text", ["1.234", "1,234", "12.500", "-999,000"])
def test_decimal_refuses_what_is_truly_ambiguous(text: str) -> None:
    assert "ambiguous" in refused(ColumnType.DECIMAL, text)


@pytest.mark.parametrize(
    "value",
    [".", ",", "-", "1,2,3", "12,34.56", "1e5", "NaN", "Infinity", "1_000", "abc", "--5",
     "1.23.4", "€", float("nan"), float("inf"), Decimal("NaN"), True, date(2025, 1, 1)],
)  # fmt: skip
def test_decimal_refused(value: Cell) -> None:
    # An empty cell is no number and no refusal: test_empty_cells_are_none_for_every_type.
    assert "number" in refused(ColumnType.DECIMAL, value)


# --- dates -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2025-12-31", date(2025, 12, 31)),
        ("31-12-2025", date(2025, 12, 31)),
        ("1-3-2025", date(2025, 3, 1)),
        ("05-03-2025", date(2025, 3, 5)),  # day first, as in the Netherlands and Sweden
        ("31/12/2025", date(2025, 12, 31)),
        ("1/3/2025", date(2025, 3, 1)),
        ("31.12.2025", date(2025, 12, 31)),
        ("2025/12/31", date(2025, 12, 31)),
        ("2025-12-31 00:00:00", date(2025, 12, 31)),
        ("2025-12-31T14:30", date(2025, 12, 31)),
        ("29-02-2024", date(2024, 2, 29)),
        ("20251231", date(2025, 12, 31)),
        ("45658", date(2025, 1, 1)),  # Excel serial as text (a CSV exported from Excel)
        (45658, date(2025, 1, 1)),
        (45658.75, date(2025, 1, 1)),  # a time of day is dropped
        (Decimal("45658"), date(2025, 1, 1)),
        (20251231, date(2025, 12, 31)),
        (18264, date(1950, 1, 1)),  # serials count Excel's fictitious 29-02-1900
        (datetime(2025, 3, 1, 0, 0), date(2025, 3, 1)),
        (date(2025, 3, 1), date(2025, 3, 1)),
    ],
)
def test_date(value: Cell, expected: date) -> None:
    result = ok(ColumnType.DATE, value)
    assert result == expected
    assert type(result) is date


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("31-12-25", "year in full"),
        ("31/12/25", "year in full"),
        ("31-02-2025", "no such date"),
        ("29-02-2025", "no such date"),
        ("12/31/2025", "no such date"),  # month first is not a date here
        ("00-01-2025", "no such date"),
        ("31-12-1899", "before 1900"),
        ("2025", "not a date"),  # a year alone is not an Excel serial
        (2025, "not a date"),
        ("5", "not a date"),
        ("100000", "not a date"),
        ("31 december 2025", "like 31-12-2025"),
        ("yesterday", "like 31-12-2025"),
        ("31-12-2025 garbage", "like 31-12-2025"),
        (True, "like 31-12-2025"),
        (float("nan"), "not a date"),
    ],
)
def test_date_refused(value: Cell, reason: str) -> None:
    assert reason in refused(ColumnType.DATE, value)


# --- booleans --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "value",
    ["ja", "JA", "j", "yes", "Y", "1", "true", "TRUE", "waar", "sant", "x", True, 1, 1.0],
)
def test_boolean_true(value: Cell) -> None:
    assert ok(ColumnType.BOOLEAN, value) is True


@pytest.mark.parametrize(
    "value", ["nee", "n", "no", "0", "false", "onwaar", "nej", "falskt", "Nee", False, 0]
)
def test_boolean_false(value: Cell) -> None:
    assert ok(ColumnType.BOOLEAN, value) is False


@pytest.mark.parametrize("value", ["misschien", "2", 2, "jaa", date(2025, 1, 1)])
def test_boolean_refused(value: Cell) -> None:
    assert "yes or no" in refused(ColumnType.BOOLEAN, value)


# --- BSN and personnummer --------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("123456782", "123456782"),
        ("1234.56.782", "123456782"),
        ("123 456 782", "123456782"),
        ("12345672", "012345672"),  # Excel dropped the leading zero
        (12345672, "012345672"),
        (123456782.0, "123456782"),
        (Decimal("123456782"), "123456782"),
    ],
)
def test_bsn(value: Cell, expected: str) -> None:
    assert ok(ColumnType.BSN, value) == expected
    assert ok(ColumnType.IDENTITY_NUMBER, value, NL) == expected


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("123456789", "fails the 11-check"),
        ("000000000", "fails the 11-check"),
        ("1234567", "9 digits, this one has 7"),
        ("1234567890", "9 digits, this one has 10"),
        ("12345678X", "9 digits"),
        (123456782.5, "9 digits"),
        (True, "9 digits"),
    ],
)
def test_bsn_refused(value: Cell, reason: str) -> None:
    assert reason in refused(ColumnType.BSN, value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("19811228-9874", "19811228-9874"),
        ("198112289874", "19811228-9874"),
        ("811228-9874", "19811228-9874"),
        ("8112289874", "19811228-9874"),
        ("811228 9874", "19811228-9874"),
        (8112289874, "19811228-9874"),
        ("121212+1212", "19121212-1212"),  # "+": over 100 years old
        ("121212-1212", "20121212-1212"),
        ("701063-2391", "19701063-2391"),  # samordningsnummer: day + 60
        ("000101-0107", "20000101-0107"),
        (1010107, "20000101-0107"),  # Excel dropped the leading zeros
    ],
)
def test_personnummer(value: Cell, expected: str) -> None:
    assert ok(ColumnType.PERSONNUMMER, value, SE) == expected
    assert ok(ColumnType.IDENTITY_NUMBER, value, SE) == expected


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("811228-9875", "check digit"),
        ("811328-9873", "no such birth date"),  # Luhn-valid, month 13
        ("19811228+9874", "+ sign"),
        ("81122-9874", "like 19850709-9805"),
        ("abc", "like 19850709-9805"),
        ("21001231-0009", "in the future"),  # Luhn-valid
        (True, "like 19850709-9805"),
    ],
)
def test_personnummer_refused(value: Cell, reason: str) -> None:
    assert reason in refused(ColumnType.PERSONNUMMER, value, SE)


def test_identity_number_follows_the_country() -> None:
    assert "BSN" in refused(ColumnType.IDENTITY_NUMBER, "811228-9874", NL)
    assert "personnummer" in refused(ColumnType.IDENTITY_NUMBER, "123456782", SE)


# --- bank ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("NL91ABNA0417164300", "NL91ABNA0417164300"),
        ("nl91 abna 0417 1643 00", "NL91ABNA0417164300"),
        ("SE45 5000 0000 0583 9825 7466", "SE4550000000058398257466"),
        ("DE89-3704-0044-0532-0130-00", "DE89370400440532013000"),
    ],
)
def test_iban(value: str, expected: str) -> None:
    assert ok(ColumnType.IBAN, value) == expected


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("NL91ABNA0417164301", "check digits do not match"),
        ("NL91ABNA041716430", "from NL has 18 characters, this one has 17"),
        ("QQ91ABNA0417164300", "unknown country code QQ"),
        ("NL53 1234 0417 1643 00", "does not have the form used in NL"),  # mod 97 holds
        ("0417164300", "like NL91"),
        (417164300, "like NL91"),
    ],
)
def test_iban_refused(value: Cell, reason: str) -> None:
    assert reason in refused(ColumnType.IBAN, value)


@pytest.mark.parametrize(
    ("value", "expected"), [("ABNANL2A", "ABNANL2A"), ("abnanl2axxx", "ABNANL2AXXX")]
)
def test_bic(value: str, expected: str) -> None:
    assert ok(ColumnType.BIC, value) == expected


@pytest.mark.parametrize("value", ["ABNANL2", "ABNA NL 2A 1", "1BNANL2A", 12345678])
def test_bic_refused(value: Cell) -> None:
    assert "BIC" in refused(ColumnType.BIC, value)


# --- postal codes, countries, e-mail, phone --------------------------------------------------
@pytest.mark.parametrize(
    ("value", "country", "expected"),
    [
        ("1234AB", NL, "1234 AB"),
        ("1234 ab", NL, "1234 AB"),
        ("9999 ZZ", NL, "9999 ZZ"),
        ("12345", SE, "123 45"),
        ("123 45", SE, "123 45"),
        (11455, SE, "114 55"),
    ],
)
def test_postal_code(value: Cell, country: Country, expected: str) -> None:
    assert ok(ColumnType.POSTAL_CODE, value, country) == expected


@pytest.mark.parametrize(
    ("value", "country", "reason"),
    [
        ("0123 AB", NL, "Dutch postal code"),
        ("1234 SS", NL, "Dutch postal code"),
        ("1234", NL, "Dutch postal code"),
        ("1234 ABC", NL, "Dutch postal code"),
        ("1234AB", SE, "Swedish postal code"),
        ("01234", SE, "Swedish postal code"),
        (1234, SE, "Swedish postal code"),
    ],
)
def test_postal_code_refused(value: Cell, country: Country, reason: str) -> None:
    assert reason in refused(ColumnType.POSTAL_CODE, value, country)


@pytest.mark.parametrize(
    ("value", "country_code", "expected"),
    [
        ("3511ax", "NL", "3511 AX"),
        ("11151", "SE", "111 51"),
        ("1000", "BE", "1000"),
        (9000, "BE", "9000"),
        ("12345", "DE", "12345"),
        ("01067", "DE", "01067"),
        (1067, "DE", "01067"),  # a number cell lost the leading zero
        ("SW1A 1AA", "GB", "SW1A 1AA"),
        ("75008", "FR", "75008"),
        ("  D02  X285 ", "IE", "D02 X285"),
        ("10001-1234", "US", "10001-1234"),
    ],
)
def test_postal_code_by_the_address_country(value: Cell, country_code: str, expected: str) -> None:
    assert coerce_postal_code(value, country_code) == expected


@pytest.mark.parametrize(
    ("value", "country_code", "reason"),
    [
        ("SW1A 1AA", "NL", "Dutch postal code like 1234 AB"),
        ("12345", "NL", "Dutch postal code like 1234 AB"),
        ("1234 AB", "SE", "Swedish postal code like 123 45"),
        ("12345", "BE", "Belgian postal code of 4 digits"),
        ("0999", "BE", "Belgian postal code of 4 digits"),
        ("1234", "DE", "German postal code of 5 digits"),
        ("D-12345", "DE", "German postal code of 5 digits"),
        ("X" * 21, "GB", "at most 20 characters"),
        (date(2025, 1, 1), "GB", "postal code as text"),
    ],
)
def test_postal_code_by_the_address_country_refused(
    value: Cell, country_code: str, reason: str
) -> None:
    with pytest.raises(CoercionError) as caught:
        coerce_postal_code(value, country_code)
    assert reason in caught.value.reason


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("NL", "NL"),
        ("nl", "NL"),
        ("Nederland", "NL"),
        ("Sverige", "SE"),
        ("Sweden", "SE"),
        ("België", "BE"),
        ("Deutschland", "DE"),
        ("United Kingdom", "GB"),
        ("XK", "XK"),
    ],
)
def test_country_code(value: str, expected: str) -> None:
    assert ok(ColumnType.COUNTRY_CODE, value) == expected


@pytest.mark.parametrize("value", ["XX", "Atlantis", "N", 31])
def test_country_code_refused(value: Cell) -> None:
    assert "country code" in refused(ColumnType.COUNTRY_CODE, value)


@pytest.mark.parametrize("value", ["jan@example.nl", "j.de.vries+hr@mail.example.com"])
def test_email(value: str) -> None:
    assert ok(ColumnType.EMAIL, value) == value


@pytest.mark.parametrize("value", ["jan", "jan@", "@example.nl", "jan@example", "a b@c.nl", 5])
def test_email_refused(value: Cell) -> None:
    assert "e-mail address" in refused(ColumnType.EMAIL, value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("06 12345678", "06 12345678"),
        ("+31 (0)6-1234  5678", "+31 (0)6-1234 5678"),
        ("070-123 45 67", "070-123 45 67"),
        (612345678, "0612345678"),  # Excel dropped the leading 0
        (31612345678, "+31612345678"),
    ],
)
def test_phone(value: Cell, expected: str) -> None:
    assert ok(ColumnType.PHONE, value) == expected


@pytest.mark.parametrize("value", ["bel me", "123", "06-1234567890123456789", True])
def test_phone_refused(value: Cell) -> None:
    assert "phone number" in refused(ColumnType.PHONE, value)


# --- enumerations ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("man", "male"),
        ("M", "male"),
        ("male", "male"),
        ("Vrouw", "female"),
        ("V", "female"),
        ("F", "female"),
        ("kvinna", "female"),
        ("K", "female"),
        ("X", "undefined"),
        ("onbekend", "undefined"),
        ("undefined", "undefined"),
    ],
)
def test_gender(value: str, expected: str) -> None:
    assert ok(ColumnType.GENDER, value) == expected
    assert expected in GENDER.values


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("woonadres", "HomeAddress"),
        ("Home", "HomeAddress"),
        ("HomeAddress", "HomeAddress"),
        ("hem", "HomeAddress"),
        ("postadres", "PostAddress"),
        ("Postadress", "PostAddress"),
        ("vakantie adres", "HolidaysAddress"),
        ("weekend", "WeekendAddress"),
        ("verzuim", "AbsenceAddress"),
    ],
)
def test_address_type(value: str, expected: str) -> None:
    assert ok(ColumnType.ADDRESS_TYPE, value) == expected
    assert expected in ADDRESS_TYPE.values


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("bankrekening 1", "Bankrekening1"),
        ("Bankrekening2", "Bankrekening2"),
        ("1", "Bankrekening1"),
        (1, "Bankrekening1"),
        (5.0, "Bankrekening5"),
        ("standaard", "Standaard"),
        ("SPAARLOON", "Spaarloon"),
    ],
)
def test_bank_account_type(value: Cell, expected: str) -> None:
    assert ok(ColumnType.BANK_ACCOUNT_TYPE, value) == expected
    assert expected in BANK_ACCOUNT_TYPE.values


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("bruto fulltime", "Bruto_Salaris_Fulltime"),
        ("Bruto_Salaris_Fulltime", "Bruto_Salaris_Fulltime"),
        ("uurloon", "Bruto_Uurloon"),
        ("bruto uurloon", "Bruto_Uurloon"),
        ("Bruto parttime", "Bruto_Salaris_Partime"),
        ("werkgeverslasten", "Werkgerverslasten"),
        ("månadslön", "Bruto_Salaris_Fulltime"),
        ("timlön", "Bruto_Uurloon"),
    ],
)
def test_salary_type(value: str, expected: str) -> None:
    assert ok(ColumnType.SALARY_TYPE, value) == expected
    assert expected in SALARY_TYPE.values


@pytest.mark.parametrize(
    ("column_type", "value"),
    [
        (ColumnType.GENDER, "misschien"),
        (ColumnType.GENDER, True),
        (ColumnType.ADDRESS_TYPE, "kantoor"),
        (ColumnType.BANK_ACCOUNT_TYPE, "6"),
        (ColumnType.SALARY_TYPE, "veel"),
        (ColumnType.SALARY_TYPE, date(2025, 1, 1)),
    ],
)
def test_enum_refused_says_what_is_expected(column_type: ColumnType, value: Cell) -> None:
    assert refused(column_type, value).startswith("expected a")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Ongehuwd", "Ongehuwd"),
        ("ongetrouwd", "Ongehuwd"),
        ("single", "Ongehuwd"),
        ("ogift", "Ongehuwd"),
        ("GEHUWD", "Gehuwd"),
        ("getrouwd", "Gehuwd"),
        ("married", "Gehuwd"),
        ("gift", "Gehuwd"),
        ("samenwonend", "Samenwonend"),
        ("sambo", "Samenwonend"),
        ("geregistreerd partner", "Geregistreerd partnerschap"),
        ("registrerad partner", "Geregistreerd partnerschap"),
        ("gescheiden", "Gescheiden"),
        ("skild", "Gescheiden"),
        ("divorced", "Gescheiden"),
        ("weduwe", "Weduwe/weduwnaar"),
        ("änkling", "Weduwe/weduwnaar"),
        ("widowed", "Weduwe/weduwnaar"),
        ("onbekend", "Onbekend"),
        ("okänd", "Onbekend"),
    ],
)
def test_marital_status(value: str, expected: str) -> None:
    assert ok(ColumnType.MARITAL_STATUS, value) == expected


@pytest.mark.parametrize("value", ["xyz", "1", "ja", "bijna gehuwd", 2, True, date(2020, 1, 1)])
def test_marital_status_refused_with_the_accepted_values(value: Cell) -> None:
    reason = refused(ColumnType.MARITAL_STATUS, value)
    assert all(status in reason for status in MARITAL_STATUSES)


@pytest.mark.parametrize(
    ("column_type", "value"),
    [
        (ColumnType.BANK_ACCOUNT_TYPE, "None"),
        (ColumnType.BANK_ACCOUNT_TYPE, "geen"),
        (ColumnType.BANK_ACCOUNT_TYPE, 0),
        (ColumnType.SALARY_TYPE, "None"),
        (ColumnType.SALARY_TYPE, "geen"),
    ],
)
def test_none_is_refused_where_the_call_refuses_it(column_type: ColumnType, value: Cell) -> None:
    """BankAccount_InsertCurrent answers 2016 and Salary_Update* 2030 for Type None."""
    reason = refused(column_type, value)
    assert "accepted:" in reason and "None" not in reason.partition("accepted:")[2]


def test_every_enum_value_is_accepted_as_written() -> None:
    """Except None for bank account and salary types: their calls refuse it (2016, 2030)."""
    for column_type, enum in [
        (ColumnType.GENDER, GENDER),
        (ColumnType.ADDRESS_TYPE, ADDRESS_TYPE),
        (ColumnType.BANK_ACCOUNT_TYPE, BANK_ACCOUNT_TYPE),
        (ColumnType.SALARY_TYPE, SALARY_TYPE),
    ]:
        for value in enum.values:
            if value != "None" or column_type in (ColumnType.GENDER, ColumnType.ADDRESS_TYPE):
                assert ok(column_type, value) == value


# --- previews --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ""),
        ("Jan", "Jan"),
        (date(2025, 1, 2), "2025-01-02"),
        (datetime(2025, 1, 2, 3, 4), "2025-01-02 03:04:00"),
        (True, "TRUE"),
        (0.1, "0.1"),
        ("a\x00b\nc", "a\u2400b\u240ac"),
    ],
)
def test_display_value(value: Cell, expected: str) -> None:
    assert display_value(value) == expected


def test_display_value_is_short_for_a_huge_cell() -> None:
    shown = display_value("x" * 10_000_000)
    assert len(shown) <= 60
    assert shown.endswith("…")
