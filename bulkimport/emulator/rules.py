"""Nmbrs' business rules as the emulator enforces them: identity numbers, IBANs, periods. Pure.

Each refusal is an `NmbrsFault` carrying the Nmbrs error code that the real service uses for it
(API.md section 7). Where Nmbrs documents no code for a rule, the choice is written next to it.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from enum import IntEnum, StrEnum
from typing import Final

from stdnum import iban as stdnum_iban
from stdnum import luhn
from stdnum.nl import bsn as stdnum_bsn
from stdnum.se import personnummer as stdnum_personnummer


class FaultCode(IntEnum):
    """The Nmbrs error codes the emulator answers with, titled as Nmbrs titles them."""

    INVALID_AUTHENTICATION = 1001
    UNAUTHORIZED_EMPLOYEE = 2003
    UNAUTHORIZED_COMPANY = 2004
    INVALID_PERIOD = 2006
    PROTECTED_MODE = 2011
    INVALID_IBAN = 2014
    INVALID_BANK_ACCOUNT_TYPE = 2016
    START_AFTER_END = 2028
    INVALID_SET_OF_VALUES = 2030
    IBAN_REQUIRED = 2032


FAULT_TITLES: Final = {
    FaultCode.INVALID_AUTHENTICATION: "Invalid Authentication",
    FaultCode.UNAUTHORIZED_EMPLOYEE: "Unauthorized Access",
    FaultCode.UNAUTHORIZED_COMPANY: "Unauthorized company",
    FaultCode.INVALID_PERIOD: "Invalid Period",
    FaultCode.PROTECTED_MODE: "Protected Mode",
    FaultCode.INVALID_IBAN: "Invalid IBAN",
    FaultCode.INVALID_BANK_ACCOUNT_TYPE: "Invalid bank account type",
    FaultCode.START_AFTER_END: "Start time after end time",
    FaultCode.INVALID_SET_OF_VALUES: "Invalid Set of Values",
    FaultCode.IBAN_REQUIRED: "IBAN required",
}


class NmbrsFault(Exception):
    """A business refusal; the emulator turns it into a soap:Server fault `---> NNNN: text`.

    The detail never repeats the refused value: BSNs and IBANs must not reach logs or reports.
    """

    def __init__(self, code: FaultCode, detail: str = "") -> None:
        self.code = code
        self.text = FAULT_TITLES[code] + (f": {detail}" if detail else "")
        super().__init__(f"{int(code)}: {self.text}")


class PeriodType(StrEnum):
    """How a company divides its payroll year; the value is the suffix of `yyyy-pp-type`."""

    MONTH = "M"
    FOUR_WEEKS = "4W"

    @property
    def periods_per_year(self) -> int:
        return 12 if self is PeriodType.MONTH else 13


# Four-weekly periods are taken as 28-day blocks from 1 January, the 13th running to 31
# December. Nmbrs aligns them to the company's own calendar; the emulator simplifies [I].
_FOUR_WEEKS: Final = timedelta(days=28)

Period = tuple[int, int]  # (year, period number)


def period_of(period_type: PeriodType, day: date) -> Period:
    """The payroll period a calendar date falls in."""
    if period_type is PeriodType.MONTH:
        return (day.year, day.month)
    index = (day - date(day.year, 1, 1)).days // _FOUR_WEEKS.days
    return (day.year, min(index + 1, 13))


def period_start(period_type: PeriodType, period: Period) -> date:
    """The first day of a payroll period."""
    year, number = period
    if period_type is PeriodType.MONTH:
        return date(year, number, 1)
    return date(year, 1, 1) + _FOUR_WEEKS * (number - 1)


def period_end(period_type: PeriodType, period: Period) -> date:
    """The last day of a payroll period."""
    year, number = period
    if number == period_type.periods_per_year:
        return date(year, 12, 31)
    return period_start(period_type, (year, number + 1)) - timedelta(days=1)


MIN_YEAR: Final = 1950
MAX_YEAR: Final = 2100


def check_period(period_type: PeriodType, year: int, number: int) -> Period:
    """Refuse a period the company's period type does not have (2006)."""
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise NmbrsFault(FaultCode.INVALID_PERIOD, f"year {year} is out of range")
    if not 1 <= number <= period_type.periods_per_year:
        raise NmbrsFault(
            FaultCode.INVALID_PERIOD,
            f"period {number} does not exist for a company with "
            f"{period_type.periods_per_year} periods a year",
        )
    return (year, number)


def check_unprotected(day: date, current_start: date, unprotected_mode: bool, what: str) -> None:
    """A date before the company's current period needs UnprotectedMode (TWK, 2011)."""
    if day < current_start and not unprotected_mode:
        raise NmbrsFault(
            FaultCode.PROTECTED_MODE,
            f"{what} lies before the company's current period; set UnprotectedMode to change "
            "a protected period",
        )


def check_order(start: date | None, end: date | None, what: str) -> None:
    """An end before its start is refused (2028)."""
    if start is not None and end is not None and end < start:
        raise NmbrsFault(FaultCode.START_AFTER_END, f"{what}: the end date lies before the start")


# --- identity numbers and bank accounts ------------------------------------------------------
# Checked with python-stdnum directly, never with the client's checks, so that a mistake in the
# client's validation shows up as a fault in the tests instead of being agreed with.
def is_valid_bsn(text: str) -> bool:
    """Dutch BSN: nine digits passing the 11-check."""
    return len(text) == 9 and text.isascii() and text.isdigit() and stdnum_bsn.is_valid(text)


_PERSONNUMMER_RE: Final = re.compile(r"(\d{2})?(\d{2})(\d{2})(\d{2})[-+]?(\d{3})(\d)")
_COORDINATION_DAY_OFFSET: Final = 60


def is_valid_personnummer(text: str) -> bool:
    """Swedish personnummer (stdnum) or samordningsnummer (day + 60, which stdnum lacks).

    Accepted forms: YYYYMMDD-NNNC, YYYYMMDDNNNC, YYMMDD-NNNC, YYMMDD+NNNC, YYMMDDNNNC.
    """
    match = _PERSONNUMMER_RE.fullmatch(text)
    if not match:
        return False
    century, year, month, day, serial, check = match.groups()
    if int(day) <= _COORDINATION_DAY_OFFSET:
        return bool(stdnum_personnummer.is_valid(text))
    birth_day = int(day) - _COORDINATION_DAY_OFFSET
    try:
        date(int((century or "20") + year), int(month), birth_day)  # 2000 is a leap year too
    except ValueError:
        return False
    return bool(luhn.is_valid(year + month + day + serial + check))


def is_valid_iban(text: str) -> bool:
    """ISO 13616 as the registry defines it per country: BBAN structure, length, mod 97."""
    return bool(stdnum_iban.is_valid(text))
