"""Fault injection: each mode, scripted and random, and the /control endpoint."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date

import aiohttp
import pytest

from bulkimport.emulator import (
    DEMO_CREDENTIALS,
    EmulatorConfig,
    FaultMode,
    FaultSettings,
    RunningEmulator,
    running_emulator,
)
from bulkimport.nmbrs.soap.envelope import Fault, UnsafeXml, build_request, parse_reply
from tests.emulator.soapcall import TEXT_XML, ok, operation, post

INSERT = operation("Employee_Insert")
INSERT_BODY = build_request(
    INSERT,
    {
        "FirstName": "A",
        "LastName": "B",
        "StartDate": date(2026, 12, 1),
        "CompanyId": 54613,
        "UnprotectedMode": False,
    },
    DEMO_CREDENTIALS,
)


class FakeTime:
    """A monotonic clock and a sleep that only moves it: no test waits for real."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


async def send_insert(
    session: aiohttp.ClientSession, emulator: RunningEmulator
) -> tuple[int, bytes]:
    return await post(session, emulator.url("EmployeeService"), INSERT_BODY, INSERT.soap_action)


def employees(emulator: RunningEmulator) -> int:
    return len(emulator.state.employees)


async def test_http_503_and_500_are_not_applied(
    session: aiohttp.ClientSession, emulator: RunningEmulator
) -> None:
    emulator.script(FaultMode.HTTP_503)
    emulator.script("http_500")
    status, body = await send_insert(session, emulator)
    assert (status, body) == (503, b"Service Unavailable")
    async with session.post(
        emulator.url("EmployeeService"),
        data=INSERT_BODY,
        headers={"SOAPAction": INSERT.soap_action, "Content-Type": TEXT_XML},
    ) as response:
        assert response.status == 500
        assert response.content_type == "text/html"
    assert employees(emulator) == 15
    assert (await send_insert(session, emulator))[0] == 200
    assert emulator.stats.snapshot()["injected_faults"] == {"http_503": 1, "http_500": 1}


async def test_drop_closes_the_connection_before_handling(
    session: aiohttp.ClientSession, emulator: RunningEmulator
) -> None:
    emulator.script(FaultMode.DROP)
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await send_insert(session, emulator)
    assert employees(emulator) == 15


async def test_lost_reply_applies_the_change_then_drops(
    session: aiohttp.ClientSession, emulator: RunningEmulator
) -> None:
    emulator.script(FaultMode.LOST_REPLY)
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await send_insert(session, emulator)
    assert employees(emulator) == 16  # the insert happened: a blind resend would duplicate it
    assert emulator.stats.snapshot()["responses_by_status"] == {"dropped": 1}


async def test_hang_never_answers_until_the_client_gives_up(emulator: RunningEmulator) -> None:
    emulator.script(FaultMode.HANG)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=0.3)) as impatient:
        with pytest.raises(TimeoutError):
            await send_insert(impatient, emulator)
    assert employees(emulator) == 15
    async with aiohttp.ClientSession() as patient:
        assert (await send_insert(patient, emulator))[0] == 200


async def test_hostile_reply_is_a_dtd_bomb_after_applying(
    session: aiohttp.ClientSession, emulator: RunningEmulator
) -> None:
    emulator.script(FaultMode.HOSTILE_REPLY)
    status, body = await send_insert(session, emulator)
    assert status == 200
    assert b"<!ENTITY lol9" in body
    with pytest.raises(UnsafeXml):  # refused, never expanded
        parse_reply(INSERT, body)
    assert employees(emulator) == 16


async def test_scripted_nmbrs_fault_and_operation_filter(
    session: aiohttp.ClientSession, emulator: RunningEmulator
) -> None:
    emulator.script(FaultMode.NMBRS_FAULT, operation="Employee_Insert", count=2)
    assert len((await ok(session, emulator, "List_GetAll"))["Company"]) == 3  # not affected
    for _ in range(2):
        status, body = await send_insert(session, emulator)
        reply = parse_reply(INSERT, body)
        assert isinstance(reply, Fault) and status == 500
        assert (reply.code, reply.message) == (1006, "Generic Login Security Failure")
    assert (await send_insert(session, emulator))[0] == 200
    assert employees(emulator) == 16
    assert emulator.stats.snapshot()["faults_by_code"] == {"1006": 2}


async def test_slow_and_latency_use_the_injected_sleep() -> None:
    fake = FakeTime()
    config = EmulatorConfig(current_period=(2026, 11), faults=FaultSettings(latency_ms=20))
    async with (
        running_emulator(config, clock=fake.clock, sleep=fake.sleep) as emulator,
        aiohttp.ClientSession() as session,
    ):
        emulator.script(FaultMode.SLOW, delay=3.0)
        assert (await send_insert(session, emulator))[0] == 200
        assert (await send_insert(session, emulator))[0] == 200
    assert fake.sleeps == [pytest.approx(3.02), pytest.approx(0.02)]


async def test_latency_spread_is_seeded() -> None:
    async def sleeps_with(seed: int) -> list[float]:
        fake = FakeTime()
        settings = FaultSettings(latency_ms=10, latency_spread_ms=40)
        config = EmulatorConfig(current_period=(2026, 11), faults=settings, seed=seed)
        async with (
            running_emulator(config, clock=fake.clock, sleep=fake.sleep) as emulator,
            aiohttp.ClientSession() as session,
        ):
            for _ in range(5):
                await send_insert(session, emulator)
        return fake.sleeps

    first, again, other = await sleeps_with(7), await sleeps_with(7), await sleeps_with(8)
    assert first == again != other
    assert all(0.010 <= seconds <= 0.050 for seconds in first)


@pytest.fixture
async def flaky() -> AsyncIterator[RunningEmulator]:
    config = EmulatorConfig(
        current_period=(2026, 11),
        seed=42,
        faults=FaultSettings(http_503_share=0.3, http_500_share=0.2),
    )
    async with running_emulator(config) as emulator:
        yield emulator


async def test_random_shares_follow_the_seed(
    session: aiohttp.ClientSession, flaky: RunningEmulator
) -> None:
    statuses = [(await send_insert(session, flaky))[0] for _ in range(60)]
    assert set(statuses) == {200, 500, 503}
    flaky.reset()  # the same seed again: the same sequence
    assert [(await send_insert(session, flaky))[0] for _ in range(60)] == statuses
    assert employees(flaky) == 15 + statuses.count(200)


async def test_set_faults_changes_random_shares(
    session: aiohttp.ClientSession, emulator: RunningEmulator
) -> None:
    emulator.set_faults(FaultSettings(drop_share=1.0))
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await send_insert(session, emulator)
    emulator.set_faults(FaultSettings())
    assert (await send_insert(session, emulator))[0] == 200


def test_fault_settings_refuse_impossible_shares() -> None:
    with pytest.raises(ValueError, match="shares"):
        FaultSettings(drop_share=0.6, hang_share=0.6)
    with pytest.raises(ValueError, match="negative"):
        FaultSettings(latency_ms=-1)


# --- /control ----------------------------------------------------------------------------------
async def test_control_sets_faults_and_scripts(
    session: aiohttp.ClientSession, emulator: RunningEmulator
) -> None:
    root = emulator.base_url.removesuffix("/soap/v3/")
    payload = {
        "faults": {"latency_ms": 0, "http_503_share": 0},
        "script": [{"mode": "http_503", "operation": "Employee_Insert", "count": 2}],
    }
    async with session.post(f"{root}/control", json=payload) as response:
        assert response.status == 200
        view = await response.json()
    assert view["script"] == [
        {
            "mode": "http_503",
            "operation": "Employee_Insert",
            "count": 2,
            "fault_code": 1006,
            "delay": 0.0,
        }
    ]
    assert (await send_insert(session, emulator))[0] == 503
    async with session.get(f"{root}/control") as response:
        assert (await response.json())["script"][0]["count"] == 1
    async with session.post(f"{root}/control", json={"clear_script": True}) as response:
        assert (await response.json())["script"] == []
    assert (await send_insert(session, emulator))[0] == 200


@pytest.mark.parametrize(
    "payload",
    [
        b"not json",
        b"[]",
        b'{"faults": {"drop_share": 2}}',
        b'{"faults": {"typo_share": 0.1}}',
        b'{"faults": {"drop_share": "much"}}',
        b'{"script": [{"mode": "explode"}]}',
        b'{"script": [{"mode": "drop", "count": 0}]}',
        b'{"script": {"mode": "drop"}}',
        b'{"script": [{"mode": "drop", "operation": "Employee_Create"}]}',
        b'{"surprise": 1}',
    ],
)
async def test_control_refuses_bad_input(
    session: aiohttp.ClientSession, emulator: RunningEmulator, payload: bytes
) -> None:
    root = emulator.base_url.removesuffix("/soap/v3/")
    async with session.post(f"{root}/control", data=payload) as response:
        assert response.status == 400
        assert "error" in await response.json()
    assert emulator.app is not None
