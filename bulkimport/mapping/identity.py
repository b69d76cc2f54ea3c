"""Check digits of identity and bank numbers: Dutch BSN, Swedish personnummer, IBAN. Pure.

Each function takes the compact form (digits only, or upper-case letters and digits for an
IBAN) and answers whether its check digits hold; formatting and friendly messages live in
`bulkimport.mapping.coerce`.
"""

from __future__ import annotations

from typing import Final

# A -> "10" ... Z -> "35", the IBAN rule for letters.
_LETTER_NUMBERS: Final = {ord("A") + offset: str(10 + offset) for offset in range(26)}

# IBAN length per country, from the SWIFT IBAN registry (release 2024). XK is Kosovo.
IBAN_LENGTHS: Final[dict[str, int]] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BI": 27, "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27,
    "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27,
    "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22,
    "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32,
    "LI": 21, "LT": 20, "LU": 20, "LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19,
    "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18, "NO": 15, "OM": 23, "PK": 24,
    "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33, "SA": 24, "SC": 31,
    "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25, "SV": 28, "TL": 23,
    "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}  # fmt: skip


def bsn_is_valid(digits: str) -> bool:
    """The BSN 11-check ("elfproef"): weights 9..2 and -1 over nine digits, sum divisible by 11.

    All zeros passes the arithmetic but is never issued, so it is refused.
    """
    if len(digits) != 9 or not (digits.isascii() and digits.isdigit()) or digits == "000000000":
        return False
    d = [code - 48 for code in digits.encode()]  # unrolled: this runs once per row
    total = 9 * d[0] + 8 * d[1] + 7 * d[2] + 6 * d[3] + 5 * d[4] + 4 * d[5] + 3 * d[6] + 2 * d[7]
    return (total - d[8]) % 11 == 0


def luhn_is_valid(digits: str) -> bool:
    """The Luhn (mod 10) check that the last digit of a personnummer carries."""
    if not digits or not (digits.isascii() and digits.isdigit()):
        return False
    total = 0
    for position, char in enumerate(reversed(digits)):
        digit = int(char)
        if position % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def iban_checksum_is_valid(iban: str) -> bool:
    """ISO 13616 mod-97: move the first four characters to the end, letters become 10..35."""
    if not (iban.isascii() and iban.isalnum()) or len(iban) < 5:
        return False
    rearranged = (iban[4:] + iban[:4]).upper()
    return int(rearranged.translate(_LETTER_NUMBERS)) % 97 == 1
