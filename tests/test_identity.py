"""The client's identity checks (python-stdnum plus our personnummer rules), literal inputs."""

from __future__ import annotations

from datetime import date

import pytest

from bulkimport.mapping.identity import (
    InvalidIdentity,
    bsn_is_valid,
    check_iban,
    iban_checksum_is_valid,
    parse_personnummer,
    personnummer_is_valid,
)

TODAY = date(2026, 12, 1)


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
        "1234.56.782",  # separators are the caller's to remove
        "\uff1123456782",
    ],
)
def test_bsn_that_fails(bsn: str) -> None:
    assert not bsn_is_valid(bsn)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("NL91ABNA0417164300", "NL91ABNA0417164300"),
        ("NL91 ABNA 0417 1643 00", "NL91ABNA0417164300"),
        ("SE4550000000058398257466", "SE4550000000058398257466"),
        ("GB82WEST12345698765432", "GB82WEST12345698765432"),
        ("DE89370400440532013000", "DE89370400440532013000"),
        ("BE71 0961 2345 6769", "BE71096123456769"),
    ],
)
def test_iban_accepted(text: str, expected: str) -> None:
    assert check_iban(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("NL91ABNA0417164301", "check digits do not match"),
        ("NL19ABNA0417164300", "check digits do not match"),
        # mod 97 holds, but a Dutch bank code is four letters: only the BBAN structure tells
        ("NL5312340417164300", "does not have the form used in NL"),
        ("GB45WEST123456987654A2", "does not have the form used in GB"),
        ("DE863704004405320130", "one from DE has 22 characters, this one has 20"),
        ("NL91ABNA041716430", "one from NL has 18 characters, this one has 17"),
        ("XX62ABNA0417164300", "unknown country code XX"),
    ],
)
def test_iban_refused(text: str, reason: str) -> None:
    with pytest.raises(InvalidIdentity) as caught:
        check_iban(text)
    assert reason in caught.value.reason


@pytest.mark.parametrize("iban", ["NL91ABNA0417164300", "NL5312340417164300"])
def test_iban_checksum_alone_is_mod_97(iban: str) -> None:
    """What log redaction uses to find an IBAN's end: the structure does not matter there."""
    assert iban_checksum_is_valid(iban)


@pytest.mark.parametrize("iban", ["NL91ABNA0417164301", "NL91", "NL91ABNA04171643-0"])
def test_iban_checksum_alone_refuses(iban: str) -> None:
    assert not iban_checksum_is_valid(iban)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("19850709-9805", "19850709-9805"),
        ("198507099805", "19850709-9805"),
        ("850709-9805", "19850709-9805"),
        ("8507099805", "19850709-9805"),
        ("850709 9805", "19850709-9805"),
        ("121212+1212", "19121212-1212"),  # + : aged 100 or more
        ("0001010107", "20000101-0107"),
        ("701063-2391", "19701063-2391"),  # samordningsnummer: day 03 + 60
        ("19701063-2391", "19701063-2391"),
        ("261231-0009", "19261231-0009"),  # a birthday later than today is 100 years back
    ],
)
def test_personnummer_forms(text: str, expected: str) -> None:
    assert parse_personnummer(text, TODAY) == expected
    assert personnummer_is_valid(text, TODAY)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("850709-9806", "check digit"),
        ("19850709+9805", "+ sign only goes with a 6-digit date"),
        ("811328-9873", "no such birth date"),  # Luhn holds, month 13
        ("701093-2395", "no such birth date"),  # samordningsnummer day 33
        ("21001231-0009", "in the future"),
        ("85070-9805", "like 19850709-9805"),
        ("abc", "like 19850709-9805"),
    ],
)
def test_personnummer_refused(text: str, reason: str) -> None:
    with pytest.raises(InvalidIdentity) as caught:
        parse_personnummer(text, TODAY)
    assert reason in caught.value.reason
    assert not personnummer_is_valid(text, TODAY)
