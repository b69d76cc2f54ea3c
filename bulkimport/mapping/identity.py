"""Identity and bank numbers: Dutch BSN, Swedish personnummer, IBAN. Pure.

The checks come from python-stdnum (kept up to date with the national and IBAN registries);
this module only adds what stdnum lacks and what a payroll file needs: the one personnummer
parser of the client (samordningsnummer, the century of a 10-digit form, the `+` of people
aged 100 and up), and reasons a person can act on. Log redaction and cell coercion both use it.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Final

from stdnum import iban as stdnum_iban
from stdnum import luhn, numdb
from stdnum.exceptions import ValidationError
from stdnum.iso7064 import mod_97_10
from stdnum.nl import bsn as stdnum_bsn
from stdnum.se import personnummer as stdnum_personnummer

# The SWIFT IBAN registry as stdnum ships it: per country the BBAN structure, e.g. "4!a10!n".
_IBAN_REGISTRY: Final = numdb.get("iban")
_BBAN_PART: Final = re.compile(r"([0-9]+)!?[nac]")
# Days of a samordningsnummer (coordination number) are the birth day plus 60.
_COORDINATION_DAY_OFFSET: Final = 60


class InvalidIdentity(ValueError):
    """A number that is not a valid identity or bank number; `reason` says why, for a person."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def bsn_is_valid(digits: str) -> bool:
    """Nine ASCII digits passing the BSN 11-check (stdnum.nl.bsn; all zeros is refused)."""
    return (
        len(digits) == 9 and digits.isascii() and digits.isdigit() and stdnum_bsn.is_valid(digits)
    )


def check_iban(text: str) -> str:
    """The compact IBAN when it is valid for its country: BBAN structure, length and mod 97.

    Raises:
        InvalidIdentity: with the first thing that is wrong, for a person to fix.
    """
    try:
        return str(stdnum_iban.validate(text, check_country=True))
    except ValidationError:
        raise InvalidIdentity(_iban_reason(stdnum_iban.compact(text))) from None


def _iban_reason(compact: str) -> str:
    country = compact[:2]
    structure = _IBAN_REGISTRY.info(compact)[0][1].get("bban")
    if structure is None:
        return f"not a valid IBAN (unknown country code {country})"
    length = 4 + sum(int(count) for count in _BBAN_PART.findall(structure))
    if len(compact) != length:
        return (
            f"not a valid IBAN (one from {country} has {length} characters, "
            f"this one has {len(compact)})"
        )
    if not iban_checksum_is_valid(compact):
        return "not a valid IBAN (the check digits do not match; a typo?)"
    return f"not a valid IBAN (the bank or account part does not have the form used in {country})"


def iban_checksum_is_valid(iban: str) -> bool:
    """ISO 13616 mod-97 alone: what log redaction uses to find where an IBAN ends in a text.

    Validation of a cell uses `check_iban`, which also checks the country's BBAN structure.
    """
    if not (iban.isascii() and iban.isalnum()) or len(iban) < 5:
        return False
    return bool(mod_97_10.is_valid(iban[4:] + iban[:4]))


# 6 or 8 date digits, an optional - or +, 4 digits (serial and check digit).
_PERSONNUMMER: Final = re.compile(r"([0-9]{2})?([0-9]{6})([-+]?)([0-9]{4})")
PERSONNUMMER_EXPECTED: Final = "expected a personnummer like 19850709-9805 or 850709-9805"


def parse_personnummer(text: str, today: date) -> str:
    """A Swedish personnummer or samordningsnummer as YYYYMMDD-NNNC.

    Accepts YYYYMMDD-NNNC, YYYYMMDDNNNC, YYMMDD-NNNC, YYMMDDNNNC and YYMMDD+NNNC (aged 100 or
    more). Without a century the birth date is the latest one not after `today` (stdnum looks
    only at the year, so it would take a birthday later this year as in the future).
    stdnum.se.personnummer checks ordinary numbers; it does not know samordningsnummer (day +
    60), whose check digit is verified with stdnum's Luhn and whose date is checked here.

    Raises:
        InvalidIdentity: with the reason.
    """
    match = _PERSONNUMMER.fullmatch(text.replace(" ", ""))
    if match is None:
        raise InvalidIdentity(PERSONNUMMER_EXPECTED)
    century_text, yymmdd, separator, serial = match.groups()
    if century_text is not None and separator == "+":
        raise InvalidIdentity(f"the + sign only goes with a 6-digit date; {PERSONNUMMER_EXPECTED}")
    if not luhn.is_valid(yymmdd + serial):
        raise InvalidIdentity("not a valid personnummer (the check digit does not match)")
    two_digit_year, month, day = int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:])
    coordination = day > _COORDINATION_DAY_OFFSET
    birth_day = day - _COORDINATION_DAY_OFFSET if coordination else day
    if century_text is not None:
        year = int(century_text) * 100 + two_digit_year
    else:
        year = (today.year // 100) * 100 + two_digit_year
        if (year, month, birth_day) > (today.year, today.month, today.day):
            year -= 100
        if separator == "+":
            year -= 100
    normalised = f"{year:04d}{yymmdd[2:]}-{serial}"
    try:
        born = date(year, month, birth_day)
        if not coordination:
            stdnum_personnummer.validate(normalised)
    except (ValueError, ValidationError):
        raise InvalidIdentity("not a valid personnummer (no such birth date)") from None
    if born > today:
        raise InvalidIdentity("not a valid personnummer (the birth date is in the future)")
    return normalised


def personnummer_is_valid(text: str, today: date | None = None) -> bool:
    """Whether `parse_personnummer` accepts the text (log redaction asks this of digit runs)."""
    try:
        parse_personnummer(text, date.today() if today is None else today)
    except InvalidIdentity:
        return False
    return True


__all__ = [
    "PERSONNUMMER_EXPECTED",
    "InvalidIdentity",
    "bsn_is_valid",
    "check_iban",
    "iban_checksum_is_valid",
    "parse_personnummer",
    "personnummer_is_valid",
]
