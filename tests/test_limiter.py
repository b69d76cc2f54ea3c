"""CallRateLimiter on a virtual-time event loop: timers fire at once, time jumps to them."""

from __future__ import annotations

import asyncio
import bisect
import random
import selectors
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

import pytest

from bulkimport.limiter import CallRateLimiter

T = TypeVar("T")
_TICK = 1e-7  # seconds the virtual clock moves on each turn of the loop


class _VirtualSelector(selectors.DefaultSelector):
    """Never sleeps: when nothing is ready, the loop's clock jumps over the timeout.

    Like a real clock it also moves a little on every turn of the loop, or a timer that
    aiolimiter sets a rounding error into the future would fire again and again at one instant.
    """

    def __init__(self, loop: VirtualTimeLoop) -> None:
        super().__init__()
        self._loop = loop

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        if timeout is None:
            return super().select(None)
        ready = super().select(0)
        if not ready:
            self._loop.now += max(timeout, _TICK)
        return ready


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    def __init__(self) -> None:
        self.now = 0.0
        super().__init__(_VirtualSelector(self))

    def time(self) -> float:
        return self.now


@pytest.fixture
def run() -> Iterator[Callable[[Callable[[], Awaitable[T]]], T]]:
    loop = VirtualTimeLoop()

    def run_in_loop(main: Callable[[], Awaitable[T]]) -> T:
        async def wrapper() -> T:
            return await main()

        return loop.run_until_complete(wrapper())

    yield run_in_loop
    loop.close()


def max_in_window(times: list[float], period: float = 1.0) -> int:
    """Most acquisitions in any half-open window [t, t + period)."""
    ordered = sorted(times)
    return max(
        (bisect.bisect_left(ordered, t + period) - i for i, t in enumerate(ordered)), default=0
    )


async def acquire_all(limiter: CallRateLimiter, tasks: int, each: int) -> list[float]:
    loop = asyncio.get_running_loop()
    times: list[float] = []

    async def worker() -> None:
        for _ in range(each):
            await limiter.acquire()
            times.append(loop.time())

    await asyncio.gather(*(worker() for _ in range(tasks)))
    return times


def test_a_burst_never_exceeds_the_window_and_keeps_the_rate(run: Any) -> None:
    async def main() -> tuple[list[float], int]:
        limiter = CallRateLimiter(150)
        return await acquire_all(limiter, tasks=500, each=6), limiter.window_limit()

    times, limit = run(main)
    assert limit == 148  # 150 less the default headroom of 10 ms of calls
    assert max_in_window(times) == limit
    achieved = (len(times) - 1) / (max(times) - min(times))
    assert achieved >= 0.98 * 150


def test_calls_are_spread_over_the_window_not_bunched(run: Any) -> None:
    """Smooth spacing leaves room for network jitter; a burst of 148 at once would not."""

    async def main() -> list[float]:
        return await acquire_all(CallRateLimiter(150), tasks=300, each=2)

    times = run(main)
    assert max_in_window(times, period=0.1) <= 15 + 2  # 150/s for 100 ms, plus the small bucket


def test_the_first_second_is_not_a_double_burst(run: Any) -> None:
    async def main() -> list[float]:
        return await acquire_all(CallRateLimiter(150), tasks=400, each=1)

    times = run(main)
    assert sum(1 for t in times if t < 1.0) <= 150


def test_idle_gaps_do_not_let_a_burst_through(run: Any) -> None:
    async def main() -> list[float]:
        limiter = CallRateLimiter(150)
        times: list[float] = []
        for gap in (1.3, 0.4, 5.0, 1.0):
            times += await acquire_all(limiter, tasks=300, each=1)
            await asyncio.sleep(gap)
        times += await acquire_all(limiter, tasks=300, each=1)
        return times

    times = run(main)
    assert len(times) == 1500
    assert max_in_window(times) <= 148


def test_many_waiters_arriving_at_random_stay_under_the_cap(run: Any) -> None:
    rng = random.Random(7)

    async def main() -> list[float]:
        limiter = CallRateLimiter(150, period=1.0)
        loop = asyncio.get_running_loop()
        times: list[float] = []

        async def caller() -> None:
            for _ in range(5):
                await asyncio.sleep(rng.uniform(0, 2))
                await limiter.acquire()
                times.append(loop.time())

        await asyncio.gather(*(caller() for _ in range(400)))
        return times

    times = run(main)
    assert len(times) == 2000
    assert max_in_window(times) <= 148


@pytest.mark.parametrize(
    ("rate", "period", "headroom"), [(10, 1.0, 0), (5, 0.5, 1), (300, 2.0, None)]
)
def test_other_rates_and_periods_hold_their_window(
    run: Any, rate: float, period: float, headroom: int | None
) -> None:
    async def main() -> tuple[list[float], int]:
        limiter = CallRateLimiter(rate, period=period, headroom=headroom)
        return await acquire_all(limiter, tasks=50, each=20), limiter.window_limit()

    times, limit = run(main)
    assert limit <= rate
    assert max_in_window(times, period) == limit


def test_a_cancelled_waiter_does_not_use_a_slot(run: Any) -> None:
    async def main() -> tuple[list[float], float]:
        loop = asyncio.get_running_loop()
        limiter = CallRateLimiter(10, headroom=0)
        times = await acquire_all(limiter, tasks=1, each=10)  # 10 calls within [0, 1)
        assert max(times) < 1.0
        waiter = asyncio.ensure_future(limiter.acquire())
        await asyncio.sleep(0.05)
        assert not waiter.done()  # the window is full until t = 1.0
        waiter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter
        await limiter.acquire()
        return times, loop.time()

    times, admitted_at = run(main)
    # The slot the cancelled waiter was waiting for goes to the next caller, on time.
    assert admitted_at == pytest.approx(min(times) + 1.0, abs=1e-3)


def test_the_limiter_is_an_async_context_manager(run: Any) -> None:
    async def main() -> list[float]:
        loop = asyncio.get_running_loop()
        limiter = CallRateLimiter(3, headroom=0)
        times = []
        for _ in range(4):
            async with limiter:
                times.append(loop.time())
        return times

    times = run(main)
    assert times[2] < 1.0 <= times[3]


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_throttling_cuts_the_rate_once_per_period_and_it_recovers_additively() -> None:
    clock = FakeClock()
    limiter = CallRateLimiter(150, clock=clock)
    assert limiter.current_rate == 150
    limiter.note_throttled()
    assert limiter.current_rate == pytest.approx(75)  # halved
    clock.now += 0.5
    limiter.note_throttled()  # the same overload reported by another call in flight
    assert limiter.current_rate == pytest.approx(75)
    assert limiter.throttle_events == 2
    clock.now += 0.9  # recovery waits for a full quiet period after the last signal
    assert limiter.current_rate == pytest.approx(75)
    clock.now += 0.1
    assert limiter.current_rate == pytest.approx(82.5)  # plus 5% of 150 per quiet second
    clock.now += 9.0
    assert limiter.current_rate == pytest.approx(150)
    clock.now += 10.0
    assert limiter.current_rate == 150
    assert limiter.window_limit() == 148


def test_persistent_throttling_bottoms_out_at_a_tenth() -> None:
    clock = FakeClock()
    limiter = CallRateLimiter(150, clock=clock)
    rates = []
    for _ in range(40):
        limiter.note_throttled()
        rates.append(limiter.current_rate)
        clock.now += 0.5  # signals keep coming: never a quiet period, so no recovery
    assert rates[:6] == pytest.approx([75, 75, 37.5, 37.5, 18.75, 18.75])
    assert rates == sorted(rates, reverse=True)
    assert rates[-1] == pytest.approx(15)
    assert limiter.throttle_events == 40
    assert limiter.window_limit() == 14


def test_a_lowered_rate_lowers_the_window(run: Any) -> None:
    async def main() -> tuple[list[float], float]:
        loop = asyncio.get_running_loop()
        limiter = CallRateLimiter(150)
        await acquire_all(limiter, tasks=200, each=1)
        limiter.note_throttled()
        cut_at = loop.time()
        return await acquire_all(limiter, tasks=200, each=1), cut_at

    times, cut_at = run(main)
    during_cut = [t for t in times if t < cut_at + 1.0]
    assert max_in_window(during_cut) <= 120 - 2


@pytest.mark.parametrize("rate", [0, 0.5, -1, float("inf"), float("nan")])
def test_unusable_rates_are_refused(rate: float) -> None:
    with pytest.raises(ValueError, match="rate"):
        CallRateLimiter(rate, clock=FakeClock())


def test_a_limiter_needs_a_running_loop_unless_given_a_clock() -> None:
    with pytest.raises(RuntimeError):
        CallRateLimiter(150)
