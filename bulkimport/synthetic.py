"""Realistic synthetic new hires for drills, benchmarks and tests. Pure apart from the writer.

Rows look like the shipped `samples/new_hires.csv` (Dutch headers, semicolons, decimal comma,
dd-mm-yyyy), with valid BSNs (11-check) and IBANs (mod 97), and optionally a share of rows
with a deliberate mistake so that a run has invalid rows to account for too.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Final

from bulkimport.mapping.identity import bsn_is_valid, iban_checksum_is_valid

NEW_HIRE_HEADERS: Final = (
    "Personeelsnummer", "Voorletters", "Voornaam", "Tussenvoegsel", "Achternaam", "Geslacht",
    "Geboortedatum", "BSN", "E-mail privé", "Straat", "Huisnummer", "Postcode", "Woonplaats",
    "IBAN", "Datum in dienst", "Onbepaalde tijd", "Uren per week", "Salaris", "Soort salaris",
    "Maandag", "Dinsdag", "Woensdag", "Donderdag", "Vrijdag", "Parttimepercentage",
)  # fmt: skip
CORE_HEADERS: Final = (*NEW_HIRE_HEADERS[:9], "Datum in dienst")

_FIRST_NAMES: Final = (
    "Sanne", "Daan", "Emma", "Lucas", "Julia", "Sem", "Tess", "Finn", "Lotte", "Milan",
    "Noor", "Levi", "Fleur", "Bram", "Eva", "Thijs", "Anouk", "Ruben", "Iris", "Jesse",
)  # fmt: skip
_LAST_NAMES: Final = (
    ("de", "Vries"), ("", "Jansen"), ("van", "Dijk"), ("", "Bakker"), ("", "Visser"),
    ("", "Smit"), ("", "Meijer"), ("de", "Boer"), ("", "Mulder"), ("de", "Groot"),
    ("", "Bos"), ("van den", "Berg"), ("", "Peters"), ("", "Hendriks"), ("van", "Leeuwen"),
)  # fmt: skip
_STREETS: Final = (
    ("Oudegracht", "3511", "Utrecht"), ("Prinsengracht", "1016", "Amsterdam"),
    ("Coolsingel", "3012", "Rotterdam"), ("Grote Markt", "9711", "Groningen"),
    ("Stratumseind", "5611", "Eindhoven"), ("Lange Voorhout", "2514", "Den Haag"),
)  # fmt: skip
_BANKS: Final = ("ABNA", "INGB", "RABO", "SNSB", "TRIO")


def make_bsn(rng: random.Random) -> str:
    """A random nine-digit number that passes the 11-check."""
    while True:
        digits = [rng.randrange(10) for _ in range(8)]
        total = sum(weight * digit for weight, digit in zip(range(9, 1, -1), digits, strict=True))
        check = total % 11
        if check < 10 and (digits[0] or digits[1]):
            bsn = "".join(map(str, digits)) + str(check)
            assert bsn_is_valid(bsn)
            return bsn


def make_iban(rng: random.Random) -> str:
    """A Dutch IBAN with a valid mod-97 check, printed in groups of four as people write it."""
    bank = rng.choice(_BANKS)
    account = f"{rng.randrange(10**10):010d}"
    numeric = "".join(str(int(ch, 36)) for ch in f"{bank}{account}NL00")
    check = 98 - int(numeric) % 97
    iban = f"NL{check:02d}{bank}{account}"
    assert iban_checksum_is_valid(iban)
    return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))


def _postcode_letters(rng: random.Random) -> str:
    """Two letters of a Dutch postal code; SA, SD and SS are never issued."""
    while (letters := rng.choice(_LETTERS) + rng.choice(_LETTERS)) in ("SA", "SD", "SS"):
        pass
    return letters


_LETTERS: Final = "ABCDEGHJKLMNPRSTVWXZ"


@dataclass(frozen=True, slots=True)
class NewHireSpec:
    """What to generate: how many rows, from which employee number, and how many mistakes."""

    rows: int
    first_number: int = 100_001
    start_date: date = date(2026, 12, 1)
    invalid_share: float = 0.0
    core_only: bool = False  # only the Employee_Insert and PersonalInfo columns
    seed: int = 1


def new_hire_rows(spec: NewHireSpec) -> Iterator[tuple[str, ...]]:
    """Rows of text cells in NEW_HIRE_HEADERS (or CORE_HEADERS) order; row i is deterministic."""
    rng = random.Random(spec.seed)
    for index in range(spec.rows):
        first = rng.choice(_FIRST_NAMES)
        prefix, last = rng.choice(_LAST_NAMES)
        birth = date(1960, 1, 1) + timedelta(days=rng.randrange(40 * 365))
        bsn = make_bsn(rng)
        if rng.random() < spec.invalid_share:
            bsn = bsn[:-1] + str((int(bsn[-1]) + 1) % 10)  # a typo the 11-check catches
        number = str(spec.first_number + index)
        gender = rng.choice(("Man", "Vrouw"))
        email = f"{first.lower()}.{last.lower()}{index}@example.nl"
        start = spec.start_date.strftime("%d-%m-%Y")
        core = (
            number, f"{first[0]}.", first, prefix, last, gender,
            birth.strftime("%d-%m-%Y"), bsn, email,
        )  # fmt: skip
        if spec.core_only:
            yield (*core, start)
            continue
        street, postcode, city = rng.choice(_STREETS)
        hours = rng.choice((40, 36, 32, 24))
        days = [8, 8, 8, 8, 8] if hours == 40 else [hours / 5] * 5
        yield (
            *core,
            street,
            str(rng.randrange(1, 300)),
            f"{postcode} {_postcode_letters(rng)}",
            city,
            make_iban(rng),
            start,
            rng.choice(("ja", "nee")),
            str(hours),
            f"{rng.randrange(2600, 6200)},{rng.randrange(100):02d}",
            "Maandsalaris",
            *(f"{day:g}".replace(".", ",") for day in days),
            f"{hours / 40 * 100:g}".replace(".", ","),
        )


def write_new_hires_csv(path: Path, spec: NewHireSpec) -> Path:
    """Stream the rows to a semicolon CSV with a BOM, as Excel in a Dutch locale saves it."""
    headers = CORE_HEADERS if spec.core_only else NEW_HIRE_HEADERS
    with path.open("w", encoding="utf-8-sig", newline="") as stream:
        writer = csv.writer(stream, delimiter=";")
        writer.writerow(headers)
        writer.writerows(new_hire_rows(spec))
    return path


SALARY_HEADERS: Final = ("Personeelsnummer", "Salaris", "Soort salaris", "Ingangsdatum")


def salary_change_rows(
    rows: int, employee_numbers: Sequence[int], start_date: date, *, seed: int = 1
) -> Iterator[tuple[str, ...]]:
    """Salary changes for existing employees (numbers reused in turn), in SALARY_HEADERS order."""
    rng = random.Random(seed)
    start = start_date.strftime("%d-%m-%Y")
    for index in range(rows):
        number = employee_numbers[index % len(employee_numbers)]
        if rng.random() < 0.8:
            euros = rng.randrange(2600, 6200)
            amount = f"{euros // 1000}.{euros % 1000:03d},{rng.randrange(100):02d}"
            kind = "Maandsalaris"
        else:
            amount, kind = f"{rng.randrange(14, 60)},{rng.randrange(100):02d}", "Uurloon"
        yield str(number), amount, kind, start


def write_salary_changes_csv(
    path: Path, rows: int, employee_numbers: Sequence[int], start_date: date
) -> Path:
    """Stream salary changes to a semicolon CSV with a BOM, like samples/salary.csv."""
    with path.open("w", encoding="utf-8-sig", newline="") as stream:
        writer = csv.writer(stream, delimiter=";")
        writer.writerow(SALARY_HEADERS)
        writer.writerows(salary_change_rows(rows, employee_numbers, start_date))
    return path
