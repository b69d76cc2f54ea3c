"""Pure business rules: identity numbers, IBANs, periods; and the handler table's coverage."""

from __future__ import annotations

from datetime import date

import pytest

from bulkimport.emulator.operations import HANDLERS
from bulkimport.emulator.rules import (
    FaultCode,
    NmbrsFault,
    PeriodType,
    check_period,
    check_unprotected,
    is_valid_bsn,
    is_valid_iban,
    is_valid_personnummer,
    period_end,
    period_of,
    period_start,
)
from bulkimport.nmbrs.soap.schema import OPERATIONS


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        ("123456782", True),
        ("111222333", True),
        ("123456789", False),
        ("12345678", False),
        ("1234567820", False),
        ("000000000", False),
        ("12345678a", False),
        ("\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18\uff12", False),  # full-width
    ],
)
def test_bsn_eleven_check(text: str, valid: bool) -> None:
    assert is_valid_bsn(text) is valid


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        ("19850412-6080", True),
        ("198504126080", True),
        ("850412-6080", True),
        ("850412+6080", True),
        ("8504126080", True),
        ("19850412-6081", False),
        ("19851312-6080", False),  # month 13
        ("19850472-6087", True),  # samordningsnummer: day 12 + 60
        ("1985-04-12", False),
    ],
)
def test_personnummer_luhn(text: str, valid: bool) -> None:
    assert is_valid_personnummer(text) is valid


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        ("NL91ABNA0417164300", True),
        ("NL91 ABNA 0417 1643 00", True),
        ("nl91abna0417164300", True),
        ("NL92ABNA0417164300", False),
        ("NL91ABNA04171643000", False),  # wrong length for NL
        ("DE89370400440532013000", True),
        ("SE4550000000058398257466", True),
        ("XX00", False),
    ],
)
def test_iban_mod_97(text: str, valid: bool) -> None:
    assert is_valid_iban(text) is valid


def test_monthly_periods() -> None:
    assert period_of(PeriodType.MONTH, date(2026, 11, 24)) == (2026, 11)
    assert period_start(PeriodType.MONTH, (2026, 2)) == date(2026, 2, 1)
    assert period_end(PeriodType.MONTH, (2026, 2)) == date(2026, 2, 28)
    assert period_end(PeriodType.MONTH, (2026, 12)) == date(2026, 12, 31)


def test_four_weekly_periods() -> None:
    assert period_of(PeriodType.FOUR_WEEKS, date(2026, 1, 28)) == (2026, 1)
    assert period_of(PeriodType.FOUR_WEEKS, date(2026, 1, 29)) == (2026, 2)
    assert period_of(PeriodType.FOUR_WEEKS, date(2026, 12, 31)) == (2026, 13)
    assert period_start(PeriodType.FOUR_WEEKS, (2026, 13)) == date(2026, 12, 3)
    assert period_end(PeriodType.FOUR_WEEKS, (2026, 13)) == date(2026, 12, 31)


@pytest.mark.parametrize(
    ("period_type", "year", "number", "ok"),
    [
        (PeriodType.MONTH, 2026, 12, True),
        (PeriodType.MONTH, 2026, 13, False),
        (PeriodType.FOUR_WEEKS, 2026, 13, True),
        (PeriodType.FOUR_WEEKS, 2026, 14, False),
        (PeriodType.MONTH, 1900, 1, False),
        (PeriodType.MONTH, 2026, 0, False),
    ],
)
def test_check_period(period_type: PeriodType, year: int, number: int, ok: bool) -> None:
    if ok:
        assert check_period(period_type, year, number) == (year, number)
    else:
        with pytest.raises(NmbrsFault) as caught:
            check_period(period_type, year, number)
        assert caught.value.code is FaultCode.INVALID_PERIOD


def test_protected_period_needs_unprotected_mode() -> None:
    start = date(2026, 11, 1)
    check_unprotected(date(2026, 11, 1), start, False, "StartDate")
    check_unprotected(date(2026, 10, 31), start, True, "StartDate")
    with pytest.raises(NmbrsFault, match="2011: Protected Mode"):
        check_unprotected(date(2026, 10, 31), start, False, "StartDate")


def test_every_table_operation_has_a_handler() -> None:
    assert set(HANDLERS) == {op.key for op in OPERATIONS}
