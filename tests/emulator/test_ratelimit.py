"""Nmbrs' documented rate limit (150 calls/s, then half a second) and the arrival statistics."""

from __future__ import annotations

import threading

import aiohttp
import pytest

from bulkimport.config import Credentials
from bulkimport.emulator import (
    DEMO_CREDENTIALS,
    EmulatorConfig,
    emulator_in_thread,
    running_emulator,
)
from bulkimport.emulator.stats import MAX_SECONDS_KEPT, RateLimiter, SlidingWindow, Stats
from bulkimport.nmbrs.soap.envelope import build_request
from tests.emulator.soapcall import operation, post
from tests.emulator.test_faults import FakeTime

LIST_ALL = operation("List_GetAll")


def test_sliding_window_counts_the_last_second_exactly() -> None:
    window = SlidingWindow()
    assert [window.add(t) for t in (0.0, 0.5, 0.9, 1.0, 1.6, 2.6)] == [1, 2, 3, 3, 3, 1]


def test_rate_limiter_delays_the_excess_per_account() -> None:
    limiter = RateLimiter(calls_per_second=150, other_users_calls_per_second=0, throttle_delay=0.5)
    demo = ("demo@bulkimport.example", "demo")
    delays = [limiter.arrive(demo, 10.0 + i / 1000) for i in range(151)]
    assert delays == [0.0] * 150 + [0.5]
    assert limiter.arrive(("other@example", ""), 10.2) == 0.0  # another account's own budget
    assert limiter.arrive(demo, 11.0005) == 0.5  # still 150 arrivals after 10.0005 in the window
    assert limiter.arrive(demo, 12.0) == 0.0


def test_other_users_take_part_of_the_budget() -> None:
    limiter = RateLimiter(
        calls_per_second=150, other_users_calls_per_second=100, throttle_delay=0.5
    )
    delays = [limiter.arrive(("u", "d"), 5.0) for _ in range(51)]
    assert delays.count(0.5) == 1 and delays[-1] == 0.5


def test_stats_stay_bounded_after_many_calls() -> None:
    stats = Stats()
    for index in range(100_000):
        stats.arrival(index / 16, "Employee_Insert")  # 16 calls/s for 6250 s (exact floats)
    snapshot = stats.snapshot()
    assert snapshot["calls_total"] == 100_000
    assert snapshot["max_calls_in_any_1s_window"] == 16
    assert len(snapshot["arrivals_per_second"]) == MAX_SECONDS_KEPT
    assert snapshot["arrivals_per_second_offset"] == 6250 - MAX_SECONDS_KEPT
    assert snapshot["arrivals_span_s"] == 99_999 / 16  # first to last arrival
    assert set(snapshot["arrivals_per_second"]) == {16}


async def test_the_emulator_delays_a_call_beyond_the_limit_with_a_fake_clock() -> None:
    fake = FakeTime()
    config = EmulatorConfig(current_period=(2026, 11), calls_per_second=3)
    body = build_request(LIST_ALL, {}, DEMO_CREDENTIALS)
    stranger = build_request(LIST_ALL, {}, Credentials("nobody@example", "x"))
    async with (
        running_emulator(config, clock=fake.clock, sleep=fake.sleep) as emulator,
        aiohttp.ClientSession() as session,
    ):
        url = emulator.url("CompanyService")

        async def send(document: bytes = body) -> int:
            return (await post(session, url, document, LIST_ALL.soap_action))[0]

        assert [await send() for _ in range(3)] == [200, 200, 200]
        assert fake.sleeps == []
        assert await send(stranger) == 500  # 1001, and counted under no account
        assert fake.sleeps == []
        assert await send() == 200  # the 4th of this account within one second
        assert fake.sleeps == [0.5]
        fake.now += 1.0
        assert await send() == 200
        assert fake.sleeps == [0.5]
        stats = emulator.stats.snapshot()
    assert stats["throttled_calls"] == 1
    assert stats["calls_total"] == 6
    assert stats["max_calls_in_any_1s_window"] == 5
    assert stats["arrivals_per_second"] == [5, 1]
    assert stats["arrivals_span_s"] == pytest.approx(1.5)  # the 0.5 s delay moved the clock too
    assert stats["calls_by_operation"] == {"List_GetAll": 6}
    assert stats["faults_by_code"] == {"1001": 1}


@pytest.mark.parametrize(("other_users", "throttled"), [(0, 0), (2, 2)])
async def test_simulated_other_users(other_users: int, throttled: int) -> None:
    fake = FakeTime()
    config = EmulatorConfig(
        current_period=(2026, 11), calls_per_second=3, other_users_calls_per_second=other_users
    )
    body = build_request(LIST_ALL, {}, DEMO_CREDENTIALS)
    async with (
        running_emulator(config, clock=fake.clock, sleep=fake.sleep) as emulator,
        aiohttp.ClientSession() as session,
    ):
        for _ in range(3):
            await post(session, emulator.url("CompanyService"), body, LIST_ALL.soap_action)
            fake.now += 0.01
        assert emulator.stats.throttled_calls == throttled


def test_bursty_other_users_take_the_budget_for_the_second_after_each_burst() -> None:
    limiter = RateLimiter(150, 0, 0.5, burst_calls=100, burst_every=2.0)
    assert [limiter.others_in_window(t) for t in (10.0, 10.5, 10.999, 11.0, 11.5, 12.0)] == [
        100, 100, 100, 0, 0, 100,
    ]  # fmt: skip
    account = ("u", "d")
    during = [limiter.arrive(account, 10.2 + i / 1000) for i in range(51)]
    assert during == [0.0] * 50 + [0.5]
    limiter.reset()
    after = [limiter.arrive(account, 11.2 + i / 1000) for i in range(150)]
    assert after == [0.0] * 150  # no burst in (10.2, 11.35]: the whole budget is free
    limiter = RateLimiter(150, 30, 0.5, burst_calls=100, burst_every=2.0)
    assert limiter.others_in_window(10.5) == 130  # steady and bursty add up


@pytest.mark.parametrize(
    "options",
    [
        {"inbound_jitter_ms": -1.0},
        {"other_users_calls_per_second": -5},
        {"other_users_burst_calls": 10},
        {"other_users_burst_calls": 10, "other_users_burst_every": -2.0},
    ],
)
def test_impossible_network_and_other_users_are_refused(options: dict[str, float]) -> None:
    with pytest.raises(ValueError, match=r"jitter|other users"):
        EmulatorConfig(**options)  # type: ignore[arg-type]


@pytest.mark.parametrize(("seed", "throttled"), [(1, 0), (6, 1)])
async def test_the_service_counts_a_call_after_its_inbound_jitter(
    seed: int, throttled: int
) -> None:
    """Two calls sent at one instant, 1 call/s allowed: their jitters decide if one is late."""
    fake = FakeTime()
    config = EmulatorConfig(
        current_period=(2026, 11), calls_per_second=1, inbound_jitter_ms=2000, seed=seed
    )
    body = build_request(LIST_ALL, {}, DEMO_CREDENTIALS)
    async with (
        running_emulator(config, clock=fake.clock, sleep=fake.sleep) as emulator,
        aiohttp.ClientSession() as session,
    ):
        for _ in range(2):
            sent_at = fake.now
            await post(session, emulator.url("CompanyService"), body, LIST_ALL.soap_action)
            fake.now = sent_at  # both leave the client at the same instant
        stats = emulator.stats.snapshot()
    first_jitter, second_jitter = fake.sleeps[0], fake.sleeps[1]
    assert 0 <= first_jitter < second_jitter <= 2
    # Seed 1 draws jitters more than a second apart, seed 6 less: counted where they arrive.
    assert (second_jitter - first_jitter > 1.0) == (throttled == 0)
    assert stats["throttled_calls"] == throttled
    assert fake.sleeps[2:] == [0.5] * throttled
    assert stats["calls_total"] == 2


async def test_the_emulator_in_its_own_thread_serves_the_callers_loop() -> None:
    body = build_request(LIST_ALL, {}, DEMO_CREDENTIALS)
    async with (
        emulator_in_thread(EmulatorConfig(current_period=(2026, 11))) as emulator,
        aiohttp.ClientSession() as session,
    ):
        status, _ = await post(session, emulator.url("CompanyService"), body, LIST_ALL.soap_action)
        assert status == 200
        assert emulator.stats.calls_total == 1
        threads = {thread.name for thread in threading.enumerate()}
        assert "bulkimport-emulator" in threads
    assert "bulkimport-emulator" not in {thread.name for thread in threading.enumerate()}


def test_stats_count_each_account_on_its_own() -> None:
    """Two accounts at 100 calls/s each: 200 in a second in all, 100 for each account."""
    stats = Stats()
    for index in range(200):
        now = index / 200
        account = ("a", "da") if index % 2 else ("b", "db")
        stats.arrival(now, "Employee_Insert")
        stats.account_arrival(account, now, throttled=index == 1)
    snapshot = stats.snapshot()
    assert snapshot["max_calls_in_any_1s_window"] == 200
    assert snapshot["by_account"] == {
        "a@da": {"calls_total": 100, "max_calls_in_any_1s_window": 100, "throttled_calls": 1},
        "b@db": {"calls_total": 100, "max_calls_in_any_1s_window": 100, "throttled_calls": 0},
    }
    stats.reset()
    assert stats.snapshot()["by_account"] == {}
