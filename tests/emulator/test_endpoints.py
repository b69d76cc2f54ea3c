"""GET /state, GET /stats, POST /reset, the WSDL endpoint, and the seeded demo data."""

from __future__ import annotations

from datetime import date

import aiohttp

from bulkimport.emulator import RunningEmulator
from bulkimport.emulator.rules import is_valid_bsn, is_valid_iban, is_valid_personnummer
from bulkimport.emulator.seed import SEED_EMPLOYEES
from tests.emulator.soapcall import ok


def root_of(emulator: RunningEmulator) -> str:
    return emulator.base_url.removesuffix("/soap/v3/")


async def get_json(session: aiohttp.ClientSession, url: str) -> dict[str, object]:
    async with session.get(url) as response:
        assert response.status == 200
        data = await response.json()
        assert isinstance(data, dict)
        return data


def test_seeded_identity_numbers_and_ibans_are_valid() -> None:
    for seed in SEED_EMPLOYEES:
        check = is_valid_bsn if seed.company_id != 61001 else is_valid_personnummer
        assert check(seed.identity_number), seed.number
        assert is_valid_iban(seed.iban), seed.number
    assert [s.number for s in SEED_EMPLOYEES] == [*range(1001, 1011), *range(5001, 5006)]


async def test_state_shows_companies_and_employees_with_their_records(
    session: aiohttp.ClientSession, emulator: RunningEmulator
) -> None:
    state = await get_json(session, f"{root_of(emulator)}/state")
    companies = state["companies"]
    assert isinstance(companies, list)
    assert [(c["id"], c["country"], c["period_type"], c["current_period"]) for c in companies] == [
        (54613, "NL", "M", "2026-11-M"),
        (54614, "NL", "4W", "2026-11-4W"),
        (61001, "SE", "M", "2026-11-M"),
    ]
    employees = state["employees"]
    assert isinstance(employees, list) and len(employees) == 15
    jan = employees[0]
    assert (jan["id"], jan["number"], jan["display_name"], jan["start_date"]) == (
        503293,
        1001,
        "Jan de Vries",
        "2018-04-01",
    )
    assert (
        jan["personal_info"][0]["year"] == 2018
        and jan["personal_info"][0]["record"]["BSN"] == "725763863"
    )
    assert jan["salaries"][0]["record"]["Value"] == "4250.00"
    assert jan["contracts"][0]["StartDate"] == "2018-04-01T00:00:00"
    assert jan["bank_accounts"][0]["record"]["IBAN"] == "NL34INGB7817592285"


async def test_reset_restores_the_seed_and_clears_stats(
    session: aiohttp.ClientSession, emulator: RunningEmulator
) -> None:
    values = {
        "FirstName": "N",
        "LastName": "N",
        "StartDate": date(2026, 12, 1),
        "CompanyId": 54613,
        "UnprotectedMode": False,
    }
    assert await ok(session, emulator, "Employee_Insert", values) == 1057235
    stats = await get_json(session, f"{root_of(emulator)}/stats")
    assert stats["calls_total"] == 1 and stats["calls_by_operation"] == {"Employee_Insert": 1}
    state_before = emulator.state
    async with session.post(f"{root_of(emulator)}/reset") as response:
        assert response.status == 200
    assert emulator.state is state_before and len(emulator.state.employees) == 15
    stats = await get_json(session, f"{root_of(emulator)}/stats")
    assert stats["calls_total"] == 0 and stats["arrivals_per_second"] == []
    assert await ok(session, emulator, "Employee_Insert", values) == 1057235  # ids start over


async def test_wsdl_is_served_for_the_asking_host(
    session: aiohttp.ClientSession, emulator: RunningEmulator
) -> None:
    for query in ("WSDL", "wsdl"):
        async with session.get(f"{emulator.url('EmployeeService')}?{query}") as response:
            assert response.status == 200
            text = await response.text()
        assert f'location="{emulator.url("EmployeeService")}"' in text
        assert 'soapAction="https://api.nmbrs.nl/soap/v3/EmployeeService/Employee_Insert"' in text
