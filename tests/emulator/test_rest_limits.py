"""The REST door's pages, hidden rate limit, call quota and injected faults."""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest

from bulkimport.emulator import EmulatorConfig, FaultMode, RunningEmulator, running_emulator
from bulkimport.emulator.rest import RestConfig, uuid_of
from bulkimport.emulator.rest.service import Throttle
from tests.conftest import EMULATOR_PERIOD
from tests.emulator.restcall import api, login, new_hire_body

COMPANY = uuid_of("company", 54613)
EMPLOYEES = f"/api/companies/{COMPANY}/employees"


class FakeClock:
    def __init__(self) -> None:
        self.now = 500.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def rest_config() -> RestConfig:
    return RestConfig()


@pytest.fixture
async def emulator(clock: FakeClock, rest_config: RestConfig) -> AsyncIterator[RunningEmulator]:
    config = EmulatorConfig(current_period=EMULATOR_PERIOD, seed=1, rest=rest_config)
    async with running_emulator(config, clock=clock) as running:
        yield running


async def test_pages_follow_next_links_to_the_end(
    session: aiohttp.ClientSession, emulator: RunningEmulator
) -> None:
    tokens = await login(session, emulator)
    for number in range(2001, 2016):  # 10 seeded + 15 = 25 employees
        status, _ = await api(
            session, emulator, "POST", EMPLOYEES, tokens.access, json=new_hire_body(number)
        )
        assert status == 201
    status, first = await api(session, emulator, "GET", EMPLOYEES, tokens.access)
    assert status == 200
    pagination = first["pagination"]
    assert (pagination["pageNumber"], pagination["pageSize"]) == (1, 20)  # the defaults
    assert (pagination["totalRecords"], pagination["totalPages"]) == (25, 2)
    assert pagination["previousPage"] is None
    assert len(first["data"]) == 20

    seen: list[str] = []
    url: str | None = f"{emulator.origin}{EMPLOYEES}?pageSize=7"
    headers = {
        "X-Subscription-Key": "bulkimport-demo-subscription-key",
        "Authorization": f"Bearer {tokens.access}",
    }
    pages = 0
    while url:
        async with session.get(url, headers=headers) as response:
            assert response.status == 200
            page = await response.json()
        seen += [item["employeeId"] for item in page["data"]]
        url = page["pagination"]["nextPage"]
        pages += 1
    assert pages == 4
    assert len(seen) == len(set(seen)) == 25
    last = parse_qs(urlsplit(page["pagination"]["lastPage"]).query)
    assert (last["pageNumber"], last["pageSize"]) == (["4"], ["7"])


@pytest.mark.parametrize(
    ("params", "name"),
    [({"pageSize": "101"}, "pageSize"), ({"pageSize": "0"}, "pageSize"),
     ({"pageNumber": "x"}, "pageNumber")],
)  # fmt: skip
async def test_page_values_out_of_range_are_400(
    session: aiohttp.ClientSession, emulator: RunningEmulator, params: dict[str, str], name: str
) -> None:
    tokens = await login(session, emulator)
    status, body = await api(session, emulator, "GET", EMPLOYEES, tokens.access, params=params)
    assert (status, body["code"]) == (400, 40033)
    assert [param["name"] for param in body["invalid-params"]] == [name]


async def test_a_page_past_the_end_is_empty(
    session: aiohttp.ClientSession, emulator: RunningEmulator
) -> None:
    tokens = await login(session, emulator)
    status, body = await api(
        session, emulator, "GET", EMPLOYEES, tokens.access, params={"pageNumber": "9"}
    )
    assert status == 200
    assert (body["data"], body["pagination"]["nextPage"]) == ([], None)


@pytest.mark.parametrize("rest_config", [RestConfig(calls_per_second=3)])
async def test_calls_beyond_the_hidden_limit_get_42908(
    session: aiohttp.ClientSession, emulator: RunningEmulator, clock: FakeClock
) -> None:
    tokens = await login(session, emulator)
    statuses = [
        (await api(session, emulator, "GET", "/api/companies", tokens.access))[0] for _ in range(3)
    ]
    assert statuses == [200, 200, 200]
    status, body = await api(session, emulator, "GET", "/api/companies", tokens.access)
    assert (status, body["code"], body["title"], body["type"]) == (
        429,
        42908,
        "Too_Many_Calls",
        "throttlingError",
    )
    clock.now += 1.0  # the window has moved on
    status, _ = await api(session, emulator, "GET", "/api/companies", tokens.access)
    assert status == 200
    assert emulator.stats.faults_by_code["42908"] == 1


@pytest.mark.parametrize("rest_config", [RestConfig(call_quota=2)])
async def test_calls_beyond_the_quota_get_42909_for_good(
    session: aiohttp.ClientSession, emulator: RunningEmulator, clock: FakeClock
) -> None:
    tokens = await login(session, emulator)
    for _ in range(2):
        assert (await api(session, emulator, "GET", "/api/companies", tokens.access))[0] == 200
    for _ in range(2):
        status, body = await api(session, emulator, "GET", "/api/companies", tokens.access)
        assert (status, body["code"], body["title"]) == (429, 42909, "Quota_Exceeded")
        clock.now += 60.0


async def test_a_scripted_503_answers_nmbrs_json_and_changes_nothing(
    session: aiohttp.ClientSession, emulator: RunningEmulator
) -> None:
    tokens = await login(session, emulator)
    before = len(emulator.state.employees)
    emulator.script(FaultMode.HTTP_503, operation="createEmployee")
    status, body = await api(
        session, emulator, "POST", EMPLOYEES, tokens.access, json=new_hire_body(2001)
    )
    assert (status, body["code"], body["title"]) == (503, 50301, "Service_Unavailable")
    assert len(emulator.state.employees) == before
    status, _ = await api(
        session, emulator, "POST", EMPLOYEES, tokens.access, json=new_hire_body(2001)
    )
    assert status == 201


async def test_a_lost_reply_still_creates_the_employee(
    session: aiohttp.ClientSession, emulator: RunningEmulator
) -> None:
    tokens = await login(session, emulator)
    before = len(emulator.state.employees)
    emulator.script(FaultMode.LOST_REPLY, operation="createEmployee")
    with pytest.raises(aiohttp.ClientError):
        await api(session, emulator, "POST", EMPLOYEES, tokens.access, json=new_hire_body(2001))
    assert len(emulator.state.employees) == before + 1
    status, body = await api(
        session, emulator, "GET", EMPLOYEES, tokens.access, params={"pageSize": "100"}
    )
    assert status == 200
    numbers = [item["employeeBasicInfo"].get("employeeNumber") for item in body["data"]]
    assert numbers.count(2001) == 1


async def test_a_drop_changes_nothing(
    session: aiohttp.ClientSession, emulator: RunningEmulator
) -> None:
    tokens = await login(session, emulator)
    before = len(emulator.state.employees)
    emulator.script(FaultMode.DROP)
    with pytest.raises(aiohttp.ClientError):
        await api(session, emulator, "POST", EMPLOYEES, tokens.access, json=new_hire_body(2001))
    assert len(emulator.state.employees) == before


def test_the_limit_is_a_sliding_second_of_admitted_calls() -> None:
    throttle = Throttle(calls_per_second=2, quota=None)
    assert throttle.admit("key", 0.0) is None
    assert throttle.admit("key", 0.5) is None
    refused = throttle.admit("key", 0.9)
    assert refused is not None and refused.code == 42908
    assert throttle.admit("other-key", 0.9) is None  # per subscription key
    assert throttle.admit("key", 1.0) is None  # the call at 0.0 has left the window
    refused = throttle.admit("key", 1.2)  # 0.5 and 1.0 are still in it
    assert refused is not None and refused.code == 42908
