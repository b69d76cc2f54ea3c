"""CallRateLimiter on a virtual-time event loop: timers fire at once, time jumps to them."""

from __future__ import annotations

import asyncio
import bisect
import random
import selectors
from collections import deque
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import pytest

from bulkimport.emulator.stats import RateLimiter as NmbrsRateRule
from bulkimport.limiter import BASE_JITTER_S, Admission, CallRateLimiter
from bulkimport.nmbrs.soap.transport import SUSPICION_THRESHOLD, THROTTLE_THRESHOLD, LatencyBaseline

T = TypeVar("T")
_TICK = 1e-7  # seconds the virtual clock moves on each turn of the loop
GUARDED = 1.0 + BASE_JITTER_S  # the window the limiter keeps: a second and the guard


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
    assert limit == 150  # no headroom before any sign of jitter: the guard covers lateness
    assert max_in_window(times, period=GUARDED) == limit  # so a call may be 15 ms late ...
    assert max_in_window(times) == limit  # ... and no second at the service holds more
    achieved = (len(times) - 1) / (max(times) - min(times))
    assert achieved == pytest.approx(150 / GUARDED, rel=0.002)


def test_calls_are_spread_over_the_window_not_bunched(run: Any) -> None:
    """Smooth spacing leaves room for network jitter; a burst of 150 at once would not."""

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
    assert max_in_window(times, period=GUARDED) <= 150


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
    assert max_in_window(times, period=GUARDED) <= 150


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
    guarded = period + (BASE_JITTER_S if headroom is None else 0.0)
    assert max_in_window(times, guarded) == limit


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


def test_an_isolated_late_call_trims_a_little_sizes_the_headroom_and_recovers_fast() -> None:
    clock = FakeClock()
    limiter = CallRateLimiter(150, clock=clock)
    limiter.note_spread(0.05)
    assert limiter.window_limit() == 150  # no sign of jitter yet: the guard only
    limiter.note_throttled(Admission(clock.now - 0.6, load=150))  # drawn at our own limit
    assert limiter.current_rate == pytest.approx(148.5)  # trimmed by 1%, not halved
    # ceil(0.6 x 150/s x 50 ms) = 5 calls for the spread, less the 2 the guard keeps free
    assert limiter.headroom == 3
    assert limiter.window_limit() == 145
    assert limiter.others == 0
    clock.now += 0.99
    assert limiter.window_limit() == 145
    clock.now += 0.01  # one full quiet period gives the trim back
    assert limiter.current_rate == 150
    assert limiter.window_limit() == 147
    limiter.note_spread(0.01)  # the headroom follows the measured spread: the guard covers it
    assert limiter.window_limit() == 150


def test_replies_about_calls_sent_before_the_reaction_do_not_cut_again() -> None:
    clock = FakeClock()
    limiter = CallRateLimiter(150, clock=clock)
    limiter.note_throttled(Admission(clock.now - 0.6, load=150))
    reacted = limiter.window_limit()
    for step in range(1, 40):  # the rest of the overload, reported by calls in flight
        limiter.note_throttled(Admission(clock.now - 0.6 + step / 150, load=150))
        clock.now += 1 / 150
    assert limiter.window_limit() == reacted
    assert limiter.throttle_events == 40
    clock.now += 0.8
    assert limiter.window_limit() == reacted  # each signal restarted the quiet time
    clock.now += 0.2
    assert limiter.window_limit() > reacted


def test_a_penalty_well_below_our_own_limit_converges_on_what_others_leave_and_holds() -> None:
    clock = FakeClock()
    limiter = CallRateLimiter(150, clock=clock)
    # Penalised with 101 calls of ours in the window: the others used at least 50.
    limiter.note_throttled(Admission(clock.now - 0.6, load=101))
    assert limiter.others == 50
    assert limiter.window_limit() == 98  # 150 - 50, less the guard's 2 calls while sharing
    clock.now += 120.99  # held through 120 quiet periods
    assert limiter.window_limit() == 98
    clock.now += 0.01
    assert limiter.others == pytest.approx(48.5)  # then probing by 1% of the rate per period
    clock.now += 2.0
    assert limiter.others == pytest.approx(45.5)
    assert limiter.window_limit() == 102
    # The probe found the edge: a penalty at our own limit puts 2% back and holds again.
    limiter.note_throttled(Admission(clock.now - 0.6, load=103))
    assert limiter.others == pytest.approx(48.5)
    assert limiter.window_limit() == 99
    clock.now += 120.5
    assert limiter.window_limit() == 99


def test_a_late_call_without_its_reply_holds_the_window_until_the_reply_tells() -> None:
    clock = FakeClock()
    limiter = CallRateLimiter(150, clock=clock)
    suspect = Admission(clock.now - 0.25, load=101)
    limiter.note_suspected(suspect)
    assert limiter.window_limit() == 100  # no more calls in the window than when it left
    assert limiter.others == 0  # nothing concluded yet
    clock.now += 0.49
    assert limiter.window_limit() == 100
    clock.now += 0.01  # a false alarm (a stall) costs at most half a second
    assert limiter.window_limit() == 150
    limiter.note_suspected(suspect)
    clock.now += 0.3
    limiter.note_throttled(suspect)  # the reply came, half a second late: the law decides
    assert limiter.window_limit() == 98
    limiter.note_suspected(suspect)  # sent before that reaction: no news
    assert limiter.window_limit() == 98


def test_others_never_leave_the_engine_less_than_a_tenth() -> None:
    clock = FakeClock()
    limiter = CallRateLimiter(150, clock=clock)
    limiter.note_throttled(Admission(clock.now - 0.6, load=1))
    assert limiter.others == pytest.approx(135)
    assert limiter.window_limit() == 13  # a tenth of the rate, less the guard's calls


def test_a_lowered_limit_lowers_the_window(run: Any) -> None:
    async def main() -> tuple[list[float], float]:
        loop = asyncio.get_running_loop()
        limiter = CallRateLimiter(150)
        await acquire_all(limiter, tasks=200, each=1)
        limiter.note_throttled(Admission(loop.time(), load=101))
        cut_at = loop.time()
        return await acquire_all(limiter, tasks=200, each=1), cut_at

    times, cut_at = run(main)
    assert max_in_window([t for t in times if t < cut_at + 1.0]) <= 98


@dataclass
class Simulated:
    """What a closed-loop run against a simulated Nmbrs gave: own arrivals and penalties."""

    arrivals: list[float]
    penalised: int
    limiter: CallRateLimiter

    @property
    def calls_per_s(self) -> float:
        return (len(self.arrivals) - 1) / (max(self.arrivals) - min(self.arrivals))


async def simulate(
    calls: int, *, jitter: float = 0.0, others: int = 0, burst: tuple[int, float] = (0, 0.0)
) -> Simulated:
    """100 callers through the limiter to Nmbrs' rate rule, on the virtual clock.

    Each call takes U(0, jitter) to reach the service, which counts it then (with the others'
    simulated calls) and delays it 0.5 s beyond 150 in a second; replies take 100-140 ms more.
    The caller suspects late calls and reads the delay from the round trip as the transport does.
    """
    loop = asyncio.get_running_loop()
    rng = random.Random(5)
    limiter = CallRateLimiter(150)
    service = NmbrsRateRule(150, others, 0.5, burst_calls=burst[0], burst_every=burst[1])
    baseline = LatencyBaseline()
    arrivals: list[float] = []
    penalised = 0
    left = calls
    in_flight: dict[int, tuple[float, Admission]] = {}

    async def one_call() -> None:
        nonlocal penalised
        admission = await limiter.acquire()
        sent = loop.time()
        if in_flight and baseline.value is not None and baseline.spread is not None:
            oldest, (started, suspect) = next(iter(in_flight.items()))
            late = min(max(SUSPICION_THRESHOLD, 2 * baseline.spread), THROTTLE_THRESHOLD)
            if sent - started >= baseline.value + late:
                del in_flight[oldest]
                limiter.note_suspected(suspect)
        in_flight[id(admission)] = (sent, admission)
        await asyncio.sleep(rng.uniform(0, jitter))
        arrivals.append(loop.time())
        delay = service.arrive(("demo", "demo"), loop.time())
        penalised += delay > 0
        await asyncio.sleep(delay + 0.1 + rng.uniform(0, 0.04))
        in_flight.pop(id(admission), None)
        round_trip = loop.time() - sent
        late = baseline.value is not None and round_trip >= baseline.value + THROTTLE_THRESHOLD
        if late:
            limiter.note_throttled(admission)
        baseline.add(round_trip, penalised=late)
        if baseline.spread is not None:
            limiter.note_spread(baseline.spread)

    async def caller() -> None:
        nonlocal left
        while left > 0:
            left -= 1
            await one_call()

    await asyncio.gather(*(caller() for _ in range(100)))
    return Simulated(arrivals, penalised, limiter)


def test_closed_loop_on_loopback_keeps_the_cap_exactly(run: Any) -> None:
    result: Simulated = run(lambda: simulate(3000))
    assert result.penalised == 0
    assert max_in_window(result.arrivals) <= 150
    assert result.calls_per_s >= 0.975 * 150


def test_closed_loop_with_jitter_sizes_its_headroom_and_keeps_the_rate(run: Any) -> None:
    result: Simulated = run(lambda: simulate(4500, jitter=0.05))
    assert result.limiter.headroom > 3  # it learned that its calls re-bunch on the way
    assert result.penalised <= 0.002 * 4500
    assert result.calls_per_s >= 0.92 * 150


def test_closed_loop_with_a_steady_other_user_converges_on_the_rest_and_holds(run: Any) -> None:
    result: Simulated = run(lambda: simulate(4000, others=50))
    assert result.limiter.others == pytest.approx(50, abs=3)
    settled = [t for t in result.arrivals if t >= 3.0]
    assert max_in_window(settled) <= 100
    assert result.penalised <= 50  # the calls sent before the first late one was suspected
    assert (len(settled) - 1) / (max(settled) - min(settled)) >= 0.9 * 100


def test_closed_loop_with_bursty_other_users_holds_what_their_bursts_leave(run: Any) -> None:
    """100 calls every 2 s: the budget left in a burst's second is 50, and that is held."""
    result: Simulated = run(lambda: simulate(3000, burst=(100, 2.0)))
    assert result.limiter.others == pytest.approx(100, abs=3)
    settled = [t for t in result.arrivals if t >= 2.0]
    assert max_in_window(settled) <= 50
    assert result.penalised <= 50  # the calls sent before the first late one was suspected
    assert (len(settled) - 1) / (max(settled) - min(settled)) >= 0.9 * 50


# --- a service that publishes no limit and refuses the excess (Nmbrs REST, 429/42908) --------
def test_a_refusal_cuts_below_what_was_accepted_once_a_period_and_recovers_slowly(run: Any) -> None:
    async def main() -> None:
        limiter = CallRateLimiter(150, limit_published=False)
        assert limiter.governed and limiter.found_rate is None
        assert limiter.budget == 150  # the first guess, until a refusal
        await acquire_all(limiter, tasks=100, each=1)
        for _ in range(10):  # refusals heard at one instant: one cut
            limiter.note_refused()
        assert limiter.refusals == 10
        assert limiter.found_rate == 99  # 100 admitted in the window, 1 refused when it cut
        assert limiter.budget == pytest.approx(0.9 * 99)
        assert limiter.window_limit() == 89  # no headroom: the guard covers lateness
        await asyncio.sleep(0.99)
        limiter.note_refused()  # within the period of the cut: restarts the quiet time only
        assert limiter.budget == pytest.approx(0.9 * 99)
        await asyncio.sleep(1.0)  # one quiet period: 0.5% of 150 back
        assert limiter.budget == pytest.approx(0.9 * 99 + 0.75)
        await asyncio.sleep(100)
        assert limiter.budget == 150  # never above the configured rate

    run(main)


def test_a_published_limit_is_not_governed_until_a_refusal(run: Any) -> None:
    async def main() -> None:
        limiter = CallRateLimiter(150)
        assert not limiter.governed
        await acquire_all(limiter, tasks=50, each=1)
        limiter.note_refused()
        assert limiter.governed and limiter.found_rate == 49
        assert limiter.current_rate == pytest.approx(0.9 * 49)

    run(main)


@dataclass
class Refusing:
    """What a closed-loop run against a service with a hidden sliding-window limit gave."""

    arrivals: list[tuple[float, bool]]  # (when, accepted) for every attempt that reached it
    limiter: CallRateLimiter

    @property
    def refused_share(self) -> float:
        return sum(not accepted for _, accepted in self.arrivals) / len(self.arrivals)

    def accepted_per_s(self, start: float, end: float) -> float:
        return sum(accepted and start <= t < end for t, accepted in self.arrivals) / (end - start)


async def simulate_refusals(
    seconds: float, hidden_limit: Callable[[float], int], *, start_rate: float = 150
) -> Refusing:
    """100 callers through the limiter to a service that accepts at most `hidden_limit(t)` calls
    in any second and refuses the rest at once; a refused call is retried as the retry driver
    does (the limiter told, a backoff of 0.125-0.25 s). Way in 0-20 ms, replies 80-120 ms."""
    loop = asyncio.get_running_loop()
    rng = random.Random(7)
    limiter = CallRateLimiter(start_rate, limit_published=False)
    accepted_at: deque[float] = deque()
    arrivals: list[tuple[float, bool]] = []

    def arrive(now: float) -> bool:
        while accepted_at and accepted_at[0] <= now - 1.0:
            accepted_at.popleft()
        accepted = len(accepted_at) < hidden_limit(now)
        if accepted:
            accepted_at.append(now)
        arrivals.append((now, accepted))
        return accepted

    async def caller() -> None:
        while loop.time() < seconds:
            await limiter.acquire()
            await asyncio.sleep(rng.uniform(0, 0.02))
            accepted = arrive(loop.time())
            await asyncio.sleep(rng.uniform(0.08, 0.12))
            if not accepted:
                limiter.note_refused()
                await asyncio.sleep(rng.uniform(0.125, 0.25))

    await asyncio.gather(*(caller() for _ in range(100)))
    return Refusing(arrivals, limiter)


def test_a_hidden_limit_is_found_from_above_with_few_refusals(run: Any) -> None:
    result: Refusing = run(lambda: simulate_refusals(90, lambda _: 100))
    assert result.limiter.governed
    assert result.accepted_per_s(30, 90) >= 0.85 * 100
    assert result.refused_share <= 0.02
    assert result.limiter.found_rate == pytest.approx(100, abs=5)
    assert result.limiter.refusals == sum(not accepted for _, accepted in result.arrivals)


def test_a_hidden_limit_that_drops_mid_run_is_followed_down(run: Any) -> None:
    result: Refusing = run(lambda: simulate_refusals(100, lambda t: 100 if t < 40 else 60))
    assert result.accepted_per_s(10, 40) >= 0.85 * 100
    assert result.accepted_per_s(50, 100) >= 0.85 * 60
    assert result.refused_share <= 0.02
    assert result.limiter.found_rate == pytest.approx(60, abs=4)


def test_a_reply_that_comes_late_with_fewer_of_ours_in_its_window_raises_the_estimate() -> None:
    """Penalised replies come back out of order: the lowest load seen is the best evidence."""
    clock = FakeClock()
    limiter = CallRateLimiter(150, clock=clock)
    limiter.note_throttled(Admission(clock.now - 0.6, load=52))
    assert limiter.others == 99
    limiter.note_throttled(Admission(clock.now - 0.61, load=51))  # sent before: more evidence
    assert limiter.others == 100
    assert limiter.window_limit() == 48
    limiter.note_throttled(Admission(clock.now - 0.59, load=53))  # less evidence: no change
    assert limiter.others == 100


def test_a_late_event_loop_widens_the_guard_for_two_periods() -> None:
    """A call admitted just before a 60 ms stall went out 60 ms late: the call 150 later must
    be admitted at least 1.06 s after it, or both meet in one second at the service."""
    clock = FakeClock()
    limiter = CallRateLimiter(150, clock=clock)
    assert limiter._guard_now(clock.now) == BASE_JITTER_S
    limiter.note_lag(0.06)
    assert limiter._guard_now(clock.now) == 0.06
    limiter.note_lag(0.01)  # a smaller lag does not shorten it
    clock.now += 1.99
    assert limiter._guard_now(clock.now) == 0.06
    clock.now += 0.01
    assert limiter._guard_now(clock.now) == BASE_JITTER_S
    assert CallRateLimiter(150, clock=clock, headroom=0)._guard_now(clock.now) == 0.0


def test_after_a_stall_the_window_holds_the_wider_guard(run: Any) -> None:
    async def main() -> tuple[list[float], float, list[float]]:
        limiter = CallRateLimiter(150)
        before = await acquire_all(limiter, tasks=200, each=1)
        stalled_at = asyncio.get_running_loop().time()
        limiter.note_lag(0.08)  # the last calls before it may reach Nmbrs 80 ms late
        return before, stalled_at, await acquire_all(limiter, tasks=300, each=1)

    before, stalled_at, after = run(main)
    everything = sorted(before + after)
    # While the wider guard holds, each call has at most 150 in the 1.08 s up to it.
    for admitted in (t for t in after if t < stalled_at + 2.0):
        since = bisect.bisect_right(everything, admitted - 1.08)
        assert bisect.bisect_right(everything, admitted) - since <= 150
    assert max(after) - min(after) < 2.2  # the rate held up: 300 calls in about two seconds


def test_closed_loop_with_bursts_that_land_on_a_full_window_still_finds_them(run: Any) -> None:
    """The first burst lands when our window is nearly full, so the first estimate is low and
    many calls are penalised: their half second must not pass for jitter, or the others are
    never found (this phase penalised 48% of the calls when it did)."""

    async def main() -> Simulated:
        await asyncio.sleep(0.9)  # the bursts keep to the clock: the run starts 0.9 s into one
        return await simulate(3000, burst=(100, 2.0))

    result: Simulated = run(main)
    assert result.limiter.others >= 90
    assert result.penalised <= 0.12 * 3000
