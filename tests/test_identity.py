from __future__ import annotations

import pytest

from bulkimport.mapping.identity import (
    IBAN_LENGTHS,
    bsn_is_valid,
    iban_checksum_is_valid,
    luhn_is_valid,
)


@pytest.mark.parametrize("bsn", ["123456782", "012345672", "111222333", "999999990"])
def test_bsn_that_passes_the_11_check(bsn: str) -> None:
    assert bsn_is_valid(bsn)


@pytest.mark.parametrize(
    "bsn",
    [
        "123456789",
        "123456783",
        "000000000",
        "12345678",
        "1234567820",
        "12345678a",
        "\uff1123456782",
    ],
)
def test_bsn_that_fails(bsn: str) -> None:
    assert not bsn_is_valid(bsn)


@pytest.mark.parametrize("digits", ["8112289874", "7010632391", "8507099805", "0001010107"])
def test_luhn_valid(digits: str) -> None:
    assert luhn_is_valid(digits)


@pytest.mark.parametrize("digits", ["8112289875", "8112289884", "", "81122898x4"])
def test_luhn_invalid(digits: str) -> None:
    assert not luhn_is_valid(digits)


@pytest.mark.parametrize(
    "iban",
    [
        "NL91ABNA0417164300",
        "SE4550000000058398257466",
        "GB82WEST12345698765432",
        "DE89370400440532013000",
    ],
)
def test_iban_mod97_valid(iban: str) -> None:
    assert iban_checksum_is_valid(iban)
    assert IBAN_LENGTHS[iban[:2]] == len(iban)


@pytest.mark.parametrize(
    "iban", ["NL91ABNA0417164301", "NL19ABNA0417164300", "NL91", "NL91ABNA04171643-0"]
)
def test_iban_mod97_invalid(iban: str) -> None:
    assert not iban_checksum_is_valid(iban)
