"""Cell values (text from CSV, typed values from XLSX) -> values the SOAP codec accepts. Pure.

`coerce_cell` is on the hot path of million-row files: patterns are compiled once, the
common inputs take no exception, and an empty cell costs one comparison.

Decisions a person may run into (each has a test):
- Dates are read day first (31-12-2025, 31/12/2025, 31.12.2025) or ISO (2025-12-31); a
  two-digit year is refused, as is a date before 1900. A time after the date is dropped.
- Excel serial numbers (from a number-formatted cell or a CSV exported from one) count as
  dates only between 10000 and 99999 (18-05-1927 to 14-10-2173), so that a stray year
  such as 2025 or a small number is refused instead of becoming a date in 1900-1905.
  They follow Excel's 1900 date system including its fictitious 29-02-1900.
- Numbers take a comma or a point as decimal separator and a point, comma or space as
  thousands separator. A single separator followed by exactly three digits (1.234, 1,234)
  is refused as ambiguous unless the part before it is 0 or starts with 0.
- Postal codes follow the address's country: NL (1234 AB), SE (123 45), BE (4 digits), DE (5
  digits); other countries' codes are free text. Which country is the mapper's choice (the
  row's country column when filled, else the company's); a lone cell follows the company.
- Identity and bank numbers are checked by python-stdnum (`bulkimport.mapping.identity`).
- Enumerations take Nmbrs' own value or a Dutch, Swedish or English word for it; anything else
  is refused with the accepted values listed, never sent as it is.
- A phone number that Excel stored as a number has lost its leading 0; it is restored.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache
from typing import Final

from bulkimport.config import Country
from bulkimport.mapping.identity import (
    PERSONNUMMER_EXPECTED,
    InvalidIdentity,
    bsn_is_valid,
    check_iban,
    parse_personnummer,
)
from bulkimport.model import Cell
from bulkimport.nmbrs.soap.schema import ADDRESS_TYPE, BANK_ACCOUNT_TYPE, GENDER, SALARY_TYPE

PREVIEW_CHARS: Final = 60
_INT32_MIN: Final = -(2**31)
_INT32_MAX: Final = 2**31 - 1
_FIRST_YEAR: Final = 1900
_SERIAL_MIN: Final = 10_000
_SERIAL_MAX: Final = 99_999
# Excel counts a 29-02-1900 that never was (serial 60), so from 01-03-1900 on its serials are
# days since 30-12-1899; every serial in the accepted range is past that fictitious day.
_EXCEL_EPOCH: Final = date(1899, 12, 30)


class ColumnType(StrEnum):
    TEXT = "text"
    INT = "int"
    DECIMAL = "decimal"
    DATE = "date"
    BOOLEAN = "boolean"
    BSN = "bsn"
    PERSONNUMMER = "personnummer"
    IDENTITY_NUMBER = "identity_number"  # BSN in NL, personnummer in SE
    IBAN = "iban"
    BIC = "bic"
    POSTAL_CODE = "postal_code"
    COUNTRY_CODE = "country_code"
    EMAIL = "email"
    PHONE = "phone"
    GENDER = "gender"
    ADDRESS_TYPE = "address_type"
    BANK_ACCOUNT_TYPE = "bank_account_type"
    SALARY_TYPE = "salary_type"
    MARITAL_STATUS = "marital_status"


class CoercionError(ValueError):
    """A cell value that does not fit its column; `reason` says what is expected instead."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# --- previews --------------------------------------------------------------------------------
# Control characters become their visible "control picture" (NUL -> U+2400) in messages.
_CONTROL_PICTURES: Final = {code: 0x2400 + code for code in range(32)} | {127: 0x2421}


def display_value(value: Cell) -> str:
    """A short, printable rendering of a cell for messages (at most ~60 characters)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        text = value.isoformat(sep=" ")
    elif isinstance(value, date):
        text = value.isoformat()
    elif isinstance(value, bool):
        text = "TRUE" if value else "FALSE"
    elif isinstance(value, float):
        text = repr(value)
    else:
        text = str(value)
    if len(text) > PREVIEW_CHARS:
        text = text[: PREVIEW_CHARS - 1] + "…"
    return text.translate(_CONTROL_PICTURES)


# --- small helpers ---------------------------------------------------------------------------
def _enum_key(text: str) -> str:
    """Case-, accent-, space- and punctuation-free form used to look up friendly spellings."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if char.isalnum())


def _digits_of_number(value: Cell) -> str | None:
    """The digits of an XLSX number that is an identifier (BSN, personnummer), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and value >= 0:
        return str(value)
    if isinstance(value, float) and value >= 0 and value.is_integer():
        return str(int(value))
    if isinstance(value, Decimal) and value >= 0 and _is_whole(value):
        return str(int(value))
    return None


def _is_whole(value: Decimal) -> bool:
    return value.is_finite() and value == value.to_integral_value()


def _is_ascii_digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


# --- text ------------------------------------------------------------------------------------
def _coerce_text(value: Cell, country: Country) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, datetime | date):
        raise CoercionError(
            "Excel turned this into a date; format the column as Text and type it again"
        )
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


# --- numbers ---------------------------------------------------------------------------------
_INT_TEXT: Final = re.compile(r"[+-]?[0-9]+")


def _coerce_int(value: Cell, country: Country) -> int:
    number: int
    if isinstance(value, str):
        if not _INT_TEXT.fullmatch(value):
            raise CoercionError("expected a whole number like 42")
        number = int(value)
    elif isinstance(value, bool):
        raise CoercionError("expected a whole number, not TRUE/FALSE")
    elif isinstance(value, int):
        number = value
    elif (isinstance(value, float) and value.is_integer()) or (
        isinstance(value, Decimal) and _is_whole(value)
    ):
        number = int(value)
    elif isinstance(value, float | Decimal):
        raise CoercionError("expected a whole number like 42")
    else:
        raise CoercionError("expected a whole number like 42, not a date")
    if not _INT32_MIN <= number <= _INT32_MAX:
        raise CoercionError("the number is too large (at most 2147483647)")
    return number


_SPACES: Final = str.maketrans("", "", " \u00a0\u202f")
_PLAIN_DECIMAL: Final = re.compile(r"[+-]?[0-9]+")
_DECIMAL_EXPECTED: Final = "expected a number like 1234,56 or 1.234,56"


def _is_grouped(integer_part: str, separator: str) -> bool:
    """True if `integer_part` is digits in groups of three (first group 1-3) split by separator."""
    groups = integer_part.split(separator)
    head = groups[0]
    if not (1 <= len(head) <= 3 and _is_ascii_digits(head)):
        return False
    return all(len(group) == 3 and _is_ascii_digits(group) for group in groups[1:])


# The form nearly every payroll file uses (2704,83 or 12.5): one separator, one or two decimals,
# so never the ambiguous 1,234. Taken before the general rules, with the result they give.
_SIMPLE_DECIMAL: Final = re.compile(r"([0-9]+)[,.]([0-9]{1,2})")


def _parse_decimal_text(text: str) -> Decimal:
    simple = _SIMPLE_DECIMAL.fullmatch(text)
    if simple:
        return Decimal(f"{simple[1]}.{simple[2]}")
    had_spaces = " " in text or "\u00a0" in text or "\u202f" in text
    if had_spaces:
        text = text.translate(_SPACES)
    if text.startswith("€"):
        text = text[1:]
    if _PLAIN_DECIMAL.fullmatch(text):
        return Decimal(text)
    negative = text.startswith("-")
    if text[:1] in "+-":
        text = text[1:]
    last_comma = text.rfind(",")
    last_point = text.rfind(".")
    if last_comma < 0 and last_point < 0:
        raise CoercionError(_DECIMAL_EXPECTED)
    decimal_sep, thousands_sep = (",", ".") if last_comma > last_point else (".", ",")
    if thousands_sep in text:
        # Both separators: the last one is the decimal separator, the other groups thousands.
        integer_part, _, fraction = text.rpartition(decimal_sep)
        if not _is_grouped(integer_part, thousands_sep):
            raise CoercionError(_DECIMAL_EXPECTED)
        integer_part = integer_part.replace(thousands_sep, "")
    elif text.count(decimal_sep) > 1:
        # 1.234.567: one separator used several times can only group thousands.
        if not _is_grouped(text, decimal_sep):
            raise CoercionError(_DECIMAL_EXPECTED)
        integer_part, fraction = text.replace(decimal_sep, ""), ""
    else:
        integer_part, _, fraction = text.partition(decimal_sep)
        if (
            len(fraction) == 3
            and 1 <= len(integer_part) <= 3
            and not integer_part.startswith("0")
            and not had_spaces
        ):
            raise CoercionError(
                f"ambiguous number: write {integer_part}{decimal_sep}{fraction}0 for a "
                f"decimal or {integer_part}{fraction} for a whole number"
            )
    if not integer_part:
        if not fraction:
            raise CoercionError(_DECIMAL_EXPECTED)  # a separator alone
        integer_part = "0"
    if not _is_ascii_digits(integer_part) or (fraction and not _is_ascii_digits(fraction)):
        raise CoercionError(_DECIMAL_EXPECTED)
    sign = "-" if negative else ""
    return Decimal(f"{sign}{integer_part}.{fraction}" if fraction else f"{sign}{integer_part}")


def _coerce_decimal(value: Cell, country: Country) -> Decimal:
    if isinstance(value, str):
        return _parse_decimal_text(value)
    if isinstance(value, bool):
        raise CoercionError("expected a number, not TRUE/FALSE")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise CoercionError(_DECIMAL_EXPECTED)
        return Decimal(repr(value))  # repr is the shortest round-trip form: no binary noise
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise CoercionError(_DECIMAL_EXPECTED)
        return value
    raise CoercionError("expected a number, not a date")


# --- dates -----------------------------------------------------------------------------------
_DATE_EXPECTED: Final = "expected a date like 31-12-2025"
_DAY_FIRST: Final = re.compile(r"([0-9]{1,2})([-/.])([0-9]{1,2})\2([0-9]{2,4})")
_YEAR_FIRST: Final = re.compile(r"([0-9]{4})([-/.])([0-9]{1,2})\2([0-9]{1,2})")
_TIME_SUFFIX: Final = re.compile(r"(?:[ T][0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?)?")


def _make_date(year: int, month: int, day: int) -> date:
    if year < _FIRST_YEAR:
        raise CoercionError(f"the year {year} is before 1900; {_DATE_EXPECTED}")
    try:
        return date(year, month, day)
    except ValueError:
        raise CoercionError(f"no such date (day {day}, month {month}); {_DATE_EXPECTED}") from None


def _date_from_serial(serial: float) -> date:
    """An Excel serial date (1900 date system); a fraction is a time of day and is dropped."""
    if not _SERIAL_MIN <= serial <= _SERIAL_MAX:
        raise CoercionError(f"a number, not a date; {_DATE_EXPECTED}")
    return _EXCEL_EPOCH + timedelta(days=int(serial))


def _parse_date_text(text: str) -> date:
    if len(text) == 10 and text.isascii():
        # Fast path for the two forms nearly every file uses: 31-12-2025 and 2025-12-31.
        if text[2] == text[5] and text[2] in "-/." and text[:2].isdigit():
            day, month, year = text[:2], text[3:5], text[6:]
        elif text[4] == text[7] == "-" and text[:4].isdigit():
            year, month, day = text[:4], text[5:7], text[8:]
        else:
            day = month = year = ""
        if month.isdigit() and day.isdigit() and year.isdigit():
            return _make_date(int(year), int(month), int(day))
    match = _DAY_FIRST.match(text)
    if match and _TIME_SUFFIX.fullmatch(text, match.end()):
        day, _, month, year = match.groups()
        if len(year) != 4:
            raise CoercionError("write the year in full (4 digits), like 31-12-2025")
        return _make_date(int(year), int(month), int(day))
    match = _YEAR_FIRST.match(text)
    if match and _TIME_SUFFIX.fullmatch(text, match.end()):
        year, _, month, day = match.groups()
        return _make_date(int(year), int(month), int(day))
    if _is_ascii_digits(text):
        if len(text) == 8:  # yyyymmdd, common in Swedish systems
            return _make_date(int(text[:4]), int(text[4:6]), int(text[6:]))
        return _date_from_serial(int(text))
    raise CoercionError(_DATE_EXPECTED)


def _coerce_date(value: Cell, country: Country) -> date:
    if isinstance(value, str):
        return _parse_date_text(value)
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool):
        raise CoercionError(_DATE_EXPECTED)
    if isinstance(value, int | float | Decimal):
        if isinstance(value, int) and 19_000_101 <= value <= 99_991_231:
            text = str(value)  # yyyymmdd typed as a number
            return _make_date(int(text[:4]), int(text[4:6]), int(text[6:]))
        return _date_from_serial(float(value))
    raise CoercionError(_DATE_EXPECTED)


# --- booleans --------------------------------------------------------------------------------
_BOOLEANS: Final[dict[str, bool]] = {
    **dict.fromkeys(("ja", "j", "yes", "y", "1", "true", "waar", "sant", "x", "on"), True),
    **dict.fromkeys(("nee", "n", "no", "0", "false", "onwaar", "nej", "falskt", "off"), False),
}
_BOOLEAN_EXPECTED: Final = "expected yes or no (ja/nee, ja/nej, 1/0, true/false)"


def _coerce_boolean(value: Cell, country: Country) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        answer = _BOOLEANS.get(value.casefold())
        if answer is None:
            raise CoercionError(_BOOLEAN_EXPECTED)
        return answer
    if isinstance(value, int | float | Decimal) and value in (0, 1):
        return value == 1
    raise CoercionError(_BOOLEAN_EXPECTED)


# --- identity numbers ------------------------------------------------------------------------
_ID_SEPARATORS: Final = str.maketrans("", "", " .-")


def _coerce_bsn(value: Cell, country: Country) -> str:
    digits = value.translate(_ID_SEPARATORS) if isinstance(value, str) else _digits_of_number(value)
    if digits is None or not _is_ascii_digits(digits):
        raise CoercionError("expected a BSN of 9 digits")
    if len(digits) == 8:  # Excel dropped the leading zero
        digits = "0" + digits
    if len(digits) != 9:
        raise CoercionError(f"a BSN has 9 digits, this one has {len(digits)}")
    if not bsn_is_valid(digits):
        raise CoercionError("not a valid BSN (fails the 11-check)")
    return digits


def _personnummer_text(value: Cell) -> str | None:
    if isinstance(value, str):
        return value
    digits = _digits_of_number(value)
    if digits is not None and len(digits) < 10:
        return digits.zfill(10)  # Excel dropped the leading zero of a 200x birth year
    return digits


def _coerce_personnummer(value: Cell, country: Country) -> str:
    text = _personnummer_text(value)
    if text is None:
        raise CoercionError(PERSONNUMMER_EXPECTED)
    try:
        return parse_personnummer(text, date.today())
    except InvalidIdentity as exc:
        raise CoercionError(exc.reason) from None


def _coerce_identity_number(value: Cell, country: Country) -> str:
    if country is Country.SE:
        return _coerce_personnummer(value, country)
    return _coerce_bsn(value, country)


# --- bank ------------------------------------------------------------------------------------
_IBAN_SEPARATORS: Final = str.maketrans("", "", " -\u00a0")
_IBAN_SHAPE: Final = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]+")
_IBAN_EXPECTED: Final = "expected an IBAN like NL91 ABNA 0417 1643 00"


def _coerce_iban(value: Cell, country: Country) -> str:
    if not isinstance(value, str):
        raise CoercionError(_IBAN_EXPECTED)
    iban = value.translate(_IBAN_SEPARATORS).upper()
    if not _IBAN_SHAPE.fullmatch(iban):
        raise CoercionError(_IBAN_EXPECTED)
    try:
        return check_iban(iban)
    except InvalidIdentity as exc:
        raise CoercionError(exc.reason) from None


_BIC: Final = re.compile(r"[A-Z]{6}[A-Z0-9]{2}(?:[A-Z0-9]{3})?")


def _coerce_bic(value: Cell, country: Country) -> str:
    bic = value.replace(" ", "").upper() if isinstance(value, str) else ""
    if not _BIC.fullmatch(bic):
        raise CoercionError("expected a BIC of 8 or 11 characters like ABNANL2A")
    return bic


# --- addresses and contact -------------------------------------------------------------------
_NL_POSTAL_CODE: Final = re.compile(r"([1-9][0-9]{3}) ?([A-Za-z]{2})")
_SE_POSTAL_CODE: Final = re.compile(r"([1-9][0-9]{2}) ?([0-9]{2})")
_BE_POSTAL_CODE: Final = re.compile(r"[1-9][0-9]{3}")
_DE_POSTAL_CODE: Final = re.compile(r"[0-9]{5}")
_POSTAL_CODE_MAX_CHARS: Final = 20


def coerce_postal_code(value: Cell, country_code: str) -> str:
    """A postal code in the form of the address's country (ISO code); others as free text.

    Raises:
        CoercionError: the code does not have its country's form.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        # A number cell lost the leading zero of a German code such as 01067 (Dresden).
        value = str(value).zfill(5) if country_code == "DE" else str(value)
    if not isinstance(value, str):
        raise CoercionError("expected a postal code as text")
    if country_code == "NL":
        match = _NL_POSTAL_CODE.fullmatch(value)
        letters = match[2].upper() if match else ""
        if match is None or letters in ("SA", "SD", "SS"):  # never issued in the Netherlands
            raise CoercionError("expected a Dutch postal code like 1234 AB")
        return f"{match[1]} {letters}"
    if country_code == "SE":
        match = _SE_POSTAL_CODE.fullmatch(value)
        if match is None:
            raise CoercionError("expected a Swedish postal code like 123 45")
        return f"{match[1]} {match[2]}"
    if country_code == "BE":
        if not _BE_POSTAL_CODE.fullmatch(value):
            raise CoercionError("expected a Belgian postal code of 4 digits like 1000")
        return value
    if country_code == "DE":
        if not _DE_POSTAL_CODE.fullmatch(value):
            raise CoercionError("expected a German postal code of 5 digits like 10115")
        return value
    text = " ".join(value.split())
    if len(text) > _POSTAL_CODE_MAX_CHARS:
        raise CoercionError(f"a postal code has at most {_POSTAL_CODE_MAX_CHARS} characters")
    return text


def _coerce_postal_code(value: Cell, country: Country) -> str:
    return coerce_postal_code(value, country.value)


# ISO 3166-1 alpha-2, plus XK (Kosovo), which banks and Nmbrs use.
_ISO_COUNTRY_CODES: Final = """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ
    BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM
    DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS
    GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN
    KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ
    MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM
    PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV
    SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI
    VN VU WF WS XK YE YT ZA ZM ZW
"""
_COUNTRY_CODES: Final = frozenset(_ISO_COUNTRY_CODES.split())
# Names a Dutch or Swedish office writes instead of the code (keys as _enum_key makes them).
_COUNTRY_NAMES: Final[dict[str, str]] = {
    **dict.fromkeys(("nederland", "netherlands", "thenetherlands", "holland", "nld",
                     "nederlanderna", "paysbas"), "NL"),
    **dict.fromkeys(("sverige", "sweden", "zweden", "swe", "schweden"), "SE"),
    **dict.fromkeys(("belgie", "belgium", "belgien", "belgique", "bel"), "BE"),
    **dict.fromkeys(("duitsland", "germany", "deutschland", "tyskland", "deu"), "DE"),
    **dict.fromkeys(("frankrijk", "france", "frankrike", "fra"), "FR"),
    **dict.fromkeys(("verenigdkoninkrijk", "unitedkingdom", "uk", "engeland", "england",
                     "storbritannien", "greatbritain", "gbr"), "GB"),
    **dict.fromkeys(("noorwegen", "norway", "norge", "nor"), "NO"),
    **dict.fromkeys(("denemarken", "denmark", "danmark", "dnk"), "DK"),
    **dict.fromkeys(("finland", "suomi", "fin"), "FI"),
    **dict.fromkeys(("spanje", "spain", "spanien", "espana", "esp"), "ES"),
    **dict.fromkeys(("italie", "italy", "italien", "italia", "ita"), "IT"),
    **dict.fromkeys(("polen", "poland", "polska", "pol"), "PL"),
    **dict.fromkeys(("portugal", "prt"), "PT"),
    **dict.fromkeys(("oostenrijk", "austria", "osterrike", "aut"), "AT"),
    **dict.fromkeys(("zwitserland", "switzerland", "schweiz", "che"), "CH"),
    **dict.fromkeys(("luxemburg", "luxembourg", "lux"), "LU"),
    **dict.fromkeys(("ierland", "ireland", "irland", "irl"), "IE"),
    **dict.fromkeys(("turkije", "turkey", "turkiye", "turkiet", "tur"), "TR"),
    **dict.fromkeys(("marokko", "morocco", "marocko", "mar"), "MA"),
    **dict.fromkeys(("suriname", "sur"), "SR"),
    **dict.fromkeys(("verenigdestaten", "unitedstates", "usa", "vs", "amerika"), "US"),
}  # fmt: skip


def _coerce_country_code(value: Cell, country: Country) -> str:
    if isinstance(value, str):
        code = value.upper()
        if code in _COUNTRY_CODES:
            return code
        named = _COUNTRY_NAMES.get(_enum_key(value))
        if named is not None:
            return named
    raise CoercionError("expected a country code like NL or SE")


_EMAIL: Final = re.compile(r"[^@\s]+@[^@\s.]+(?:\.[^@\s.]+)+")


def _coerce_email(value: Cell, country: Country) -> str:
    if not isinstance(value, str) or len(value) > 254 or not _EMAIL.fullmatch(value):
        raise CoercionError("expected an e-mail address like name@example.nl")
    return value


_PHONE: Final = re.compile(r"\+?[0-9 ()./-]{6,30}")


def _coerce_phone(value: Cell, country: Country) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        # A number cell has lost the leading 0 (or the + of an international number).
        digits = str(value)
        international = digits.startswith(("31", "46")) and len(digits) >= 11
        return ("+" if international else "0") + digits
    if isinstance(value, str) and _PHONE.fullmatch(value):
        digit_count = sum(char.isdigit() for char in value)
        if 6 <= digit_count <= 15:
            return " ".join(value.split())
    raise CoercionError("expected a phone number like 06 12345678 or +31 6 12345678")


# --- enumerations ----------------------------------------------------------------------------
def _enum_table(values: tuple[str, ...], friendly: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """Lookup from each exact value and each friendly spelling (as keys) to the exact value.

    Only the values in `friendly` are accepted: an enumeration value that a call refuses
    (bank account type or salary type None) is left out so that the row fails before sending.
    """
    table = {_enum_key(value): value for value in friendly}
    for value, spellings in friendly.items():
        assert value in values, value  # a typo here would send a value Nmbrs refuses
        table.update((_enum_key(spelling), value) for spelling in spellings)
    return table


_GENDERS: Final = _enum_table(
    GENDER.values,
    {
        "male": ("m", "man", "mannelijk", "heer", "dhr", "manlig", "male", "mr"),
        "female": ("v", "f", "vrouw", "vrouwelijk", "mevrouw", "mevr", "mw", "kvinna", "k",
                   "kvinnlig", "female", "mrs", "ms"),
        "undefined": ("x", "o", "onbekend", "unknown", "okand", "anders", "annat", "other"),
    },
)  # fmt: skip
_ADDRESS_TYPES: Final = _enum_table(
    ADDRESS_TYPE.values,
    {
        "HomeAddress": ("home", "woonadres", "huisadres", "thuis", "woon", "thuisadres", "hem",
                        "hemadress", "bostadsadress", "folkbokforingsadress"),
        "PostAddress": ("post", "postadres", "correspondentieadres", "postadress",
                        "utdelningsadress", "postal", "mailing"),
        "AbsenceAddress": ("absence", "verzuimadres", "afwezigheidsadres", "verzuim",
                           "franvaroadress"),
        "HolidaysAddress": ("holiday", "holidays", "vakantieadres", "vakantie",
                            "semesteradress", "semester"),
        "WeekendAddress": ("weekend", "weekendadres", "helgadress", "helg"),
    },
)  # fmt: skip
_BANK_ACCOUNT_TYPES: Final = _enum_table(
    BANK_ACCOUNT_TYPE.values,
    {
        "Bankrekening1": ("1", "bankrekening 1", "rekening 1", "bank account 1", "konto 1"),
        "Bankrekening2": ("2", "bankrekening 2", "rekening 2", "bank account 2", "konto 2"),
        "Bankrekening3": ("3", "bankrekening 3", "rekening 3", "bank account 3", "konto 3"),
        "Bankrekening4": ("4", "bankrekening 4", "rekening 4", "bank account 4", "konto 4"),
        "Bankrekening5": ("5", "bankrekening 5", "rekening 5", "bank account 5", "konto 5"),
        "Standaard": ("standaard", "standard", "default", "hoofdrekening", "lonekonto"),
        "Spaarloon": ("spaarloon",),
        "Levensloop": ("levensloop", "levensloopregeling"),
    },
)
_SALARY_TYPES: Final = _enum_table(
    SALARY_TYPE.values,
    {
        "Bruto_Salaris_Fulltime": ("bruto fulltime", "fulltime", "bruto salaris fulltime",
                                   "bruto salaris", "bruto maandsalaris", "maandsalaris",
                                   "manadslon", "brutto manadslon"),
        "Bruto_Salaris_Partime": ("bruto parttime", "parttime", "partime", "bruto partime",
                                  "bruto salaris parttime", "deltid"),
        "Bruto_Uurloon": ("uurloon", "bruto uurloon", "timlon", "brutto timlon", "hourly"),
        "Netto_Salaris_Partime_incl_looncomp": ("netto parttime incl looncomponenten",
                                                "netto salaris parttime incl looncomp"),
        "Netto_Salaris_Partime_excl_looncomp": ("netto parttime excl looncomponenten",
                                                "netto salaris parttime excl looncomp"),
        "Netto_Uurloon_incl_looncomp": ("netto uurloon incl looncomponenten",
                                        "netto uurloon incl looncomp"),
        "Netto_Uurloon_excl_looncomp": ("netto uurloon excl looncomponenten",
                                        "netto uurloon excl looncomp", "netto uurloon"),
        "Werkgerverslasten": ("werkgeverslasten", "werkgevers lasten"),
    },
)  # fmt: skip


# BurgerlijkeStaat is a free string in the v3 schema; "Ongehuwd" is the value real clients send
# (API.md 4.3). The other values are the Dutch names of the seven statuses that Nmbrs' REST API
# enumerates (MaritalStatus), written the way "Ongehuwd" is [inferred].
MARITAL_STATUSES: Final = (
    "Ongehuwd",
    "Gehuwd",
    "Samenwonend",
    "Geregistreerd partnerschap",
    "Gescheiden",
    "Weduwe/weduwnaar",
    "Onbekend",
)
_MARITAL_STATUSES: Final = _enum_table(
    MARITAL_STATUSES,
    {
        "Ongehuwd": ("ongehuwd", "ongetrouwd", "alleenstaand", "single", "unmarried",
                     "not married", "ogift", "ensamstaende"),
        "Gehuwd": ("gehuwd", "getrouwd", "married", "gift"),
        "Samenwonend": ("samenwonend", "samenwonen", "living together", "cohabiting", "sambo"),
        "Geregistreerd partnerschap": ("geregistreerd partnerschap", "geregistreerd partner",
                                       "registered partner", "registered partnership",
                                       "civil partnership", "registrerad partner",
                                       "registrerat partnerskap"),
        "Gescheiden": ("gescheiden", "divorced", "skild", "skild fran"),
        "Weduwe/weduwnaar": ("weduwe/weduwnaar", "weduwe", "weduwnaar", "verweduwd", "widowed",
                             "widow", "widower", "anka", "ankling", "ankeman"),
        "Onbekend": ("onbekend", "unknown", "not specified", "okand", "ej angivet"),
    },
)  # fmt: skip


_ENUM_TABLES: Final[dict[ColumnType, dict[str, str]]] = {
    ColumnType.GENDER: _GENDERS,
    ColumnType.ADDRESS_TYPE: _ADDRESS_TYPES,
    ColumnType.BANK_ACCOUNT_TYPE: _BANK_ACCOUNT_TYPES,
    ColumnType.SALARY_TYPE: _SALARY_TYPES,
    ColumnType.MARITAL_STATUS: _MARITAL_STATUSES,
}


def enumeration_values(column_type: ColumnType) -> tuple[str, ...]:
    """The values an enumeration column takes, as they are sent (drop-down lists); () if none."""
    table = _ENUM_TABLES.get(column_type, {})
    return tuple(dict.fromkeys(table.values()))


def _accepted(values: tuple[str, ...]) -> str:
    return ", ".join(values)


def _enum_coercer(table: dict[str, str], expected: str) -> Callable[[Cell, Country], str]:
    @lru_cache(maxsize=1024)  # a column repeats a handful of spellings a million times
    def lookup(text: str) -> str | None:
        return table.get(_enum_key(text))

    def coerce(value: Cell, country: Country) -> str:
        if isinstance(value, bool | date):
            raise CoercionError(expected)
        text = str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
        found = lookup(text)
        if found is None:
            raise CoercionError(expected)
        return found

    return coerce


# --- dispatch --------------------------------------------------------------------------------
_COERCERS: Final[dict[ColumnType, Callable[[Cell, Country], object]]] = {
    ColumnType.TEXT: _coerce_text,
    ColumnType.INT: _coerce_int,
    ColumnType.DECIMAL: _coerce_decimal,
    ColumnType.DATE: _coerce_date,
    ColumnType.BOOLEAN: _coerce_boolean,
    ColumnType.BSN: _coerce_bsn,
    ColumnType.PERSONNUMMER: _coerce_personnummer,
    ColumnType.IDENTITY_NUMBER: _coerce_identity_number,
    ColumnType.IBAN: _coerce_iban,
    ColumnType.BIC: _coerce_bic,
    ColumnType.POSTAL_CODE: _coerce_postal_code,
    ColumnType.COUNTRY_CODE: _coerce_country_code,
    ColumnType.EMAIL: _coerce_email,
    ColumnType.PHONE: _coerce_phone,
    ColumnType.GENDER: _enum_coercer(
        _GENDERS,
        "expected a gender: man, vrouw or onbekend (M/V/X; accepted: male, female, undefined)",
    ),
    ColumnType.ADDRESS_TYPE: _enum_coercer(
        _ADDRESS_TYPES,
        "expected an address type: woonadres, postadres, verzuim, vakantie, weekend (accepted: "
        f"{_accepted(tuple(ADDRESS_TYPE.values))})",
    ),
    ColumnType.BANK_ACCOUNT_TYPE: _enum_coercer(
        _BANK_ACCOUNT_TYPES,
        "expected a bank account type: 1 to 5, standaard, spaarloon, levensloop (accepted: "
        f"{_accepted(tuple(v for v in BANK_ACCOUNT_TYPE.values if v != 'None'))})",
    ),
    ColumnType.SALARY_TYPE: _enum_coercer(
        _SALARY_TYPES,
        "expected a salary type such as bruto fulltime, bruto parttime, uurloon (accepted: "
        f"{_accepted(tuple(v for v in SALARY_TYPE.values if v != 'None'))})",
    ),
    ColumnType.MARITAL_STATUS: _enum_coercer(
        _MARITAL_STATUSES,
        f"expected a marital status (burgerlijke staat); accepted: {_accepted(MARITAL_STATUSES)}"
        " or the same in English or Swedish (married, gift, ...)",
    ),
}


CellCoercer = Callable[[Cell, Country], object]


def _cell_coercer(coerce: CellCoercer) -> CellCoercer:
    def coerce_present(value: Cell, country: Country) -> object:
        if value is None:
            return None
        if isinstance(value, str):
            value = value.strip()
            if not value:
                return None
        return coerce(value, country)

    return coerce_present


_CELL_COERCERS: Final = {type_: _cell_coercer(coerce) for type_, coerce in _COERCERS.items()}


def coercer_for(column_type: ColumnType) -> CellCoercer:
    """`coerce_cell` for one column type, to look up once per column instead of once per cell."""
    return _CELL_COERCERS[column_type]


def coerce_cell(column_type: ColumnType, value: Cell, *, country: Country) -> object:
    """The cell as the value its column holds, or None for an empty cell.

    Raises:
        CoercionError: the value does not fit; `reason` says what is expected.
    """
    return _CELL_COERCERS[column_type](value, country)
