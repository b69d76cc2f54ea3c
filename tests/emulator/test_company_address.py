"""CompanyService.Address_GetCurrent: the company's own address, whose country the client reads."""

from __future__ import annotations

import aiohttp
import pytest

from bulkimport.emulator import RunningEmulator
from tests.emulator.soapcall import fault, ok


@pytest.mark.parametrize(
    ("company", "country", "city"),
    [(54613, "NL", "Amsterdam"), (54614, "NL", "Utrecht"), (61001, "SE", "Stockholm")],
)
async def test_each_company_shows_its_country(
    session: aiohttp.ClientSession,
    emulator: RunningEmulator,
    company: int,
    country: str,
    city: str,
) -> None:
    address = await ok(session, emulator, "Address_GetCurrent", {"CompanyId": company})
    assert address["CountryISOCode"] == country
    assert address["City"] == city
    assert address["Default"] is True


async def test_an_unknown_company_is_unauthorized(
    session: aiohttp.ClientSession, emulator: RunningEmulator
) -> None:
    await fault(session, emulator, "Address_GetCurrent", {"CompanyId": 1}, 2004)
