"""Rows whose mistake is knowable are refused before their first call, against the emulator.

A new hire with a negative salary, an account holder without IBAN, marital status `xyz` or a
birth date in 2030 used to create the employee (and address) before Nmbrs refused a later call:
half-made people. Now each is `invalid` and no call of that row reaches the service. Foreign
addresses go in. The emulator's own checks come from python-stdnum, not from the client.
"""

from __future__ import annotations

import ast
import csv
from pathlib import Path
from typing import Any

import pytest

import bulkimport.emulator
from bulkimport.backend import Effect
from bulkimport.config import Country
from bulkimport.emulator import DEMO_CREDENTIALS, RunningEmulator
from bulkimport.emulator.rules import is_valid_iban, is_valid_personnummer
from bulkimport.job import ImportJob, ImportOutcome, run_job
from bulkimport.model import RowStatus
from bulkimport.nmbrs.soap.schema import lookup_operation

COMPANY = 54613
HEADERS = [
    "Personeelsnummer",
    "Voornaam",
    "Achternaam",
    "Geboortedatum",
    "Burgerlijke staat",
    "Straat",
    "Huisnummer",
    "Postcode",
    "Woonplaats",
    "Land",
    "IBAN",
    "Tenaamstelling",
    "Datum in dienst",
    "Salaris",
    "Soort salaris",
]
GOOD: dict[str, str] = {
    "Personeelsnummer": "2101",
    "Voornaam": "Eva",
    "Achternaam": "Smit",
    "Geboortedatum": "12-03-1994",
    "Burgerlijke staat": "gehuwd",
    "Straat": "Oudegracht",
    "Huisnummer": "118",
    "Postcode": "3511 AX",
    "Woonplaats": "Utrecht",
    "Land": "NL",
    "IBAN": "NL91 ABNA 0417 1643 00",
    "Tenaamstelling": "E. Smit",
    "Datum in dienst": "01-12-2026",
    "Salaris": "3.000,00",
    "Soort salaris": "Maandsalaris",
}


def _write_rows(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, HEADERS, delimiter=";")
        writer.writeheader()
        writer.writerows(rows)
    return path


def _job(emulator: RunningEmulator, path: Path, template: str) -> ImportJob:
    return ImportJob(
        input_path=path,
        template=template,
        company_id=COMPANY,
        endpoint=emulator.base_url,
        credentials=DEMO_CREDENTIALS,
        timeout=5.0,
        seed=7,
    )


def _report(outcome: ImportOutcome) -> list[dict[str, str]]:
    csv_path = next(path for path in outcome.report_paths if path.suffix == ".csv")
    with csv_path.open(encoding="utf-8-sig", newline="") as stream:
        sample = stream.readline()
        stream.seek(0)
        delimiter = ";" if sample.count(";") > sample.count(",") else ","
        return list(csv.DictReader(stream, delimiter=delimiter))


def _employees(emulator: RunningEmulator) -> list[Any]:
    return [e for e in emulator.state.employees.values() if e.company_id == COMPANY]


@pytest.mark.parametrize(
    ("changes", "column"),
    [
        ({"Salaris": "-3.000,00"}, "Salaris"),
        ({"IBAN": ""}, "IBAN"),  # the account holder (Tenaamstelling) is still there
        ({"Burgerlijke staat": "xyz"}, "Burgerlijke staat"),
        ({"Geboortedatum": "01-01-2030"}, "Geboortedatum"),
        ({"Straat": ""}, "Straat"),
        ({"Land": "DE", "Postcode": "3511 AX"}, "Postcode"),
    ],
)
async def test_a_knowable_mistake_sends_no_call_of_the_row(
    emulator: RunningEmulator, tmp_path: Path, changes: dict[str, str], column: str
) -> None:
    path = _write_rows(tmp_path / "hires.csv", [{**GOOD, **changes}])
    employees_before = len(_employees(emulator))

    outcome = await run_job(_job(emulator, path, "new_hire"))

    (row,) = _report(outcome)
    assert row["status"] == RowStatus.INVALID
    assert row["message"].startswith(f"{column}: ")
    assert outcome.summary.counts[RowStatus.INVALID] == 1
    assert len(_employees(emulator)) == employees_before  # no half-made person
    writes = {
        name: count
        for name, count in emulator.stats.calls_by_operation.items()
        if lookup_operation(name).effect is not Effect.READ
    }
    assert writes == {}


async def test_the_same_row_without_the_mistake_goes_in(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """The control: the good row is complete, so the refusals above are about their change."""
    path = _write_rows(tmp_path / "hires.csv", [GOOD])
    outcome = await run_job(_job(emulator, path, "new_hire"))

    assert outcome.summary.counts[RowStatus.OK] == 1
    (employee,) = [e for e in _employees(emulator) if e.number == 2101]
    assert len(employee.addresses) == 1 and len(employee.bank_accounts) == 1


@pytest.mark.parametrize(
    ("country", "postal_code", "city"),
    [("DE", "12345", "Berlin"), ("GB", "SW1A 1AA", "London"), ("BE", "1000", "Brussel")],
)
async def test_foreign_addresses_go_in(
    emulator: RunningEmulator, tmp_path: Path, country: str, postal_code: str, city: str
) -> None:
    row = {**GOOD, "Land": country, "Postcode": postal_code, "Woonplaats": city}
    path = _write_rows(tmp_path / "hires.csv", [row])

    outcome = await run_job(_job(emulator, path, "new_hire"))

    assert outcome.summary.counts[RowStatus.OK] == 1, _report(outcome)
    (employee,) = [e for e in _employees(emulator) if e.number == 2101]
    ((_, address),) = employee.addresses
    assert (address["CountryISOCode"], address["PostalCode"]) == (country, postal_code)


async def test_address_template_takes_a_german_address(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    path = tmp_path / "address.csv"
    path.write_text(
        "Personeelsnummer;Straat;Huisnummer;Postcode;Woonplaats;Land\n"
        "1001;Unter den Linden;1;12345;Berlin;DE\n"
        "1002;Downing Street;10;SW1A 2AA;London;GB\n",
        encoding="utf-8",
    )
    outcome = await run_job(_job(emulator, path, "address"))
    assert outcome.summary.counts[RowStatus.OK] == 2, _report(outcome)


@pytest.mark.parametrize(
    "personnummer", ["19850709-9805", "850709-9805", "8507099805", "121212+1212", "701063-2391"]
)
async def test_every_personnummer_form_the_client_accepts_the_emulator_accepts(
    emulator: RunningEmulator, tmp_path: Path, personnummer: str
) -> None:
    """Two independent checks (ours, stdnum in the emulator) agree on each accepted form."""
    path = tmp_path / "nyanstallda.csv"
    path.write_text(
        "Anställningsnummer,Förnamn,Efternamn,Personnummer,Anställningsdatum\n"
        f"3101,Anna,Berg,{personnummer},2026-12-01\n",
        encoding="utf-8",
    )
    job = ImportJob(
        input_path=path,
        template="new_hire",
        company_id=61001,
        country=Country.SE,
        endpoint=emulator.base_url,
        credentials=DEMO_CREDENTIALS,
        timeout=5.0,
        seed=7,
    )
    outcome = await run_job(job)
    assert outcome.summary.counts[RowStatus.OK] == 1, _report(outcome)


# --- the emulator checks by itself ---------------------------------------------------------------
def test_the_emulator_imports_no_client_checks() -> None:
    """Its rules come from Nmbrs' documents and python-stdnum, so a client mistake shows."""
    package = Path(bulkimport.emulator.__file__).parent
    imported: set[str] = set()
    for source in package.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module)
            elif isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
    client = {m for m in imported if m.startswith(("bulkimport.mapping", "bulkimport.logs"))}
    assert client == set()
    assert {"stdnum.nl", "stdnum.se", "stdnum"} <= imported


@pytest.mark.parametrize(
    ("iban", "valid"),
    [
        ("NL91ABNA0417164300", True),
        ("GB82WEST12345698765432", True),
        ("NL5312340417164300", False),  # mod 97 holds; a Dutch bank code is letters
        ("NL91ABNA0417164301", False),
    ],
)
def test_emulator_iban_checks_the_bban_structure(iban: str, valid: bool) -> None:
    assert is_valid_iban(iban) is valid


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        ("19850709-9805", True),
        ("850709+9805", True),
        ("701063-2391", True),  # samordningsnummer, which stdnum lacks
        ("701093-2395", False),  # samordningsnummer with day 33
        ("850709-9806", False),
    ],
)
def test_emulator_personnummer(text: str, valid: bool) -> None:
    assert is_valid_personnummer(text) is valid
