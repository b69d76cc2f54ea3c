"""The call-rate cap: smooth pacing, an exact sliding-window log, and a control law. Async only.

Nmbrs allows 150 calls per second and delays the excess by half a second, counting calls where
they arrive, after the network, together with every other user of the same account.

Pacing. aiolimiter alone cannot keep a window exactly: `AsyncLimiter(150, 1)` starts with an
empty bucket and lets ~300 calls through in the first second and after every idle second, while
`AsyncLimiter(1, 1/150)` loses ~8% because asyncio rounds every timer up to a whole millisecond.
So two stages, passed in turn inside one FIFO gate:

1. pacing: `AsyncLimiter(2, 2 * period / limit)` spaces calls evenly; its two-call bucket
   absorbs the timer rounding. It paces at `limit` per period, a little faster than the window
   below allows, so that a call the event loop woke late is made up for, not lost;
2. the window: a log of recent admissions admits a call only when fewer than `limit` calls were
   admitted in the last `period + guard`, in ANY such window.

The guard: a call reaches the service a little after its admission, and not always equally
late, so evenly spaced admissions re-bunch on the way. If no call is later than another by
more than `guard`, `limit` calls in any `period + guard` become at most `limit` in any period
at the service, whatever the pacing did (a burst after an idle gap included). The guard is
BASE_JITTER_S, 15 ms, above the lateness measured on loopback on a quiet 2-core machine with
the emulator in its own process: p99 2.5-3.5 ms, max 5.5-14.4 ms over ten runs of 6,300
calls (about a third before the request left this process, the rest the service's own event
loop). Headroom in calls instead (148 in any 1 s, about the same rate) left no room after a
pacing burst: one run in five drew a penalty with 151 arrivals in a second; 147 held but lost
a call a second. With the guard, 150 calls in any 1.015 s pace ~147.8 a second.

A busy event loop makes calls later than that: one callback that runs 50 ms (a step starting,
a garbage collection) holds back the sends of calls admitted just before it. The transport's
probe reports how late the loop ran (`note_lag`), and the guard widens to the largest lag of
the last two periods: the call that such a late one could meet at the service is admitted a
period later, under the wider guard. Measured with 8 accounts at their caps in one process
(loop lag p99 11 ms, max 77 ms): without this, 156 arrivals in a second and 47 penalised
calls.

The control law sets `limit = floor(rate - others - trim) - headroom`, in calls per window:

- headroom: network jitter re-bunches calls by more than the guard. Until Nmbrs shows that
  this happens, none: the guard covers this machine's own lateness. While others share the
  account, the calls of one guard (2 at 150/s): their estimate rests on our calls counted at
  admission, and the service counted them on arrival, up to a guard later.
  After a penalty that the engine drew on its own, at its limit, it keeps
  `ceil(0.6 * calls per second * spread)` less the calls the guard already keeps free,
  `spread` being the measured spread (5th to 95th
  percentile) of its round-trip times, penalised ones left out. The client cannot tell the way in
  from the service's own time or the way back, so the spread is an upper bound of the jitter
  that matters. 0.6 from a simulation of paced calls with uniform jitter at 150/s: 0-50 ms
  needs 5-6 calls (145 a second drew ~4 penalties in 10,000 calls, 144 none), 0-30 ms 4-5,
  0-10 ms 2; the round trip's spread is ~0.9 x the jitter's plus the service's own spread.
- trim, for an isolated penalty at the engine's own limit (its own calls re-bunched): 1% of
  the rate off, given back at 1% per quiet period. The penalty was ours and the headroom now
  covers it: a small cut that recovers fast, not a halving that costs a third of the run.
- others, for a penalty on a call sent clearly below the engine's own limit (by more than its
  jitter could explain): someone else uses the account. The service saw more than the cap
  with `load` calls of ours in its last period, so the others use at least `rate + 1 - load`:
  the estimate jumps there in one step (and higher if a penalised reply that comes back later
  shows a lower load), and the engine holds its remaining budget for 120 quiet periods.
  Then it probes upward by 1% of the rate per quiet period, since the others may have finished.
  A penalty at the engine's limit while it shares the account means
  a probe found the edge: the estimate goes back up by 2% and the hold starts again. Each
  probe that finds the edge costs the calls sent until it is noticed (~0.3 s of calls, see
  below), so a two-minute hold keeps probing under 0.5% of the calls. For others that come
  in bursts this holds the budget their bursts leave: probing into every burst would cost
  more. Others take at most 90%.
- suspicion: a penalised reply comes back only after the half-second delay, and every call
  sent meanwhile into a budget that others took is penalised too (~90 calls at 150/s). So the
  transport reports a call that is late (its reply not in by 0.15 s beyond the usual time) and
  the window then admits fewer calls than were in that call's window, for at most half a second
  or until the reply tells; one hold at a time. A false alarm costs that pause once. (The
  transport leaves out of every round trip the time its own event loop ran late, so a busy
  client is not taken for a penalty.)

A signal about a call admitted before the last reaction carries no news (that call left at the
old limit), so it only restarts the quiet time, or raises the estimate of the others. A quiet
period is a full period without signals.

Refusals: a service that publishes no limit and refuses the excess (Nmbrs REST: 429 with code
42908, or a gateway's 429/503) instead of delaying it. The configured rate is then a first
guess and a ceiling (`limit_published=False` says so, for the report); `note_refused` drives
a second law, additive increase and multiplicative decrease around a budget below the rate:

- cut: on a refusal, the budget becomes 0.9 x the calls the service accepted in the last
  period (our admissions in it less the refusals heard in it), or 0.9 x the budget if that is
  lower. The accepted count measures the hidden limit at once, so a start far above it (150
  against 100) lands below it in one cut, not in four halvings that each cost a period of
  refusals. 0.9, not 0.5: a refusal costs one call and a retry, not the half-second of every
  call in the window that a SOAP penalty costs, so a shallow sawtooth (0.9-1.0 of the limit,
  0.95 on average) pays.
- at most one cut per period: the refusals that follow a cut within its period mostly report
  the old window (the service still counts the calls sent before the cut), so a second cut
  would undershoot; they only restart the quiet time. A cut a period later measures the new
  window, which is how a limit that drops mid-run (100 to 60) is found in two cuts.
- recovery: 0.5% of the configured rate per quiet period (0.75 calls/s per second at 150),
  half the SOAP trim's pace: there the penalty is known to be ours and brief, here the edge is
  unknown, every probe past it is refused, and the 10% cut takes ~13 s to win back, so at most
  one or two refusals every 13 s once found (~0.1% of the calls).
- the rate found (`found_rate`) is the median of the accepted counts at the last three cuts:
  each cut point is a direct reading of what the subscription allowed, where the budget held
  is below it by design; the median ignores one reading skewed by jitter or by a window that
  still held calls from before a drop, and follows a new limit after two cuts.
"""

from __future__ import annotations

import asyncio
import math
import statistics
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Final

from aiolimiter import AsyncLimiter

PACING_BURST: Final = 2  # the smallest bucket that absorbs asyncio's millisecond timer rounding
BASE_JITTER_S: Final = 0.015  # the guard: how much later than another a call may arrive
SPREAD_WEIGHT: Final = 0.6  # share of the round-trip spread kept free once jitter showed
TRIM_SHARE: Final = 0.01  # share of the rate taken off for a penalty at our own limit ...
TRIM_RECOVERY_SHARE: Final = 0.01  # ... and given back per quiet period
LAG_MEMORY_PERIODS: Final = 2  # how long a lag spike widens the guard
SUSPICION_S: Final = 0.5  # how long a late call without its reply yet holds the window
PROBE_SHARE: Final = 0.01  # share of the rate probed per quiet period after the hold
PROBE_BACKOFF_SHARE: Final = 0.02  # added back when a probe finds the edge
OTHERS_MAX_SHARE: Final = 0.9  # never leave the engine less than a tenth of the rate
HOLD_PERIODS: Final = 120  # quiet periods the estimate of the others holds before probing
REFUSAL_CUT: Final = 0.9  # the budget after a refusal, as a share of the calls accepted
REFUSAL_RECOVERY_SHARE: Final = 0.005  # share of the rate given back per quiet period after
CUT_POINTS: Final = 3  # cut points the rate found is the median of


@dataclass(frozen=True, slots=True)
class Admission:
    """One admitted call: when, and how many calls of ours were in its window (itself too)."""

    at: float
    load: int


class CallRateLimiter:
    """At most `limit` admissions in any window of `period` plus the guard, as close as it can.

    Create it inside the running event loop. `clock` must run at the pace of the loop's clock
    (the default is the loop's own); tests pass a virtual loop's clock. A fixed `headroom`
    replaces the adaptive one and the guard: the window is then exactly `period`.
    `limit_published=False`: `rate` is a first guess at a limit the service does not publish
    and enforces by refusing calls (see `note_refused`).
    """

    def __init__(
        self,
        rate: float = 150,
        *,
        period: float = 1.0,
        clock: Callable[[], float] | None = None,
        headroom: int | None = None,
        limit_published: bool = True,
    ) -> None:
        if not math.isfinite(rate) or rate < 1:
            raise ValueError(f"rate must be a finite number of at least 1 call, got {rate!r}")
        if not period > 0:
            raise ValueError(f"period must be positive, got {period!r}")
        if headroom is not None and headroom < 0:
            raise ValueError(f"headroom cannot be negative, got {headroom!r}")
        self._rate = float(rate)
        self._period = float(period)
        # The window the log keeps: a period, and the guard for lateness (module docstring).
        self._guard = BASE_JITTER_S if headroom is None else 0.0
        self._lag = 0.0  # the largest lag of the event loop lately, and until when it counts
        self._lag_until = -math.inf
        self._clock = clock or asyncio.get_running_loop().time
        self._headroom = headroom
        self._admitted: deque[float] = deque()  # admission times within the last window
        self._gate = asyncio.Lock()  # FIFO; a cancelled waiter leaves without taking a slot
        self._throttle_events = 0
        self._spread = 0.0  # measured spread of round-trip times, seconds
        self._jitter_seen = False  # a penalty at our own limit: our calls re-bunch on the way
        # Trim and others as they stood at the last signal; recovery runs from there.
        self._trim = 0.0
        self._others = 0.0
        self._throttled_at = -math.inf  # the last signal: quiet time counts from here
        self._reacted_at = -math.inf  # the last signal that changed the limit
        self._suspected_load = 0  # a late call's load, and until when it holds the window
        self._suspected_until = -math.inf
        self._limit_published = limit_published
        self._refusals = 0
        self._refused: deque[float] = deque()  # refusals heard within the last period
        self._budget = self._rate  # the refusal law's budget as it stood at the last refusal
        self._refused_at = -math.inf  # the last refusal: recovery counts from here
        self._cut_at = -math.inf
        self._cut_points: deque[int] = deque(maxlen=CUT_POINTS)
        self._paced_limit = self.window_limit()
        self._pacer = self._new_pacer(self._paced_limit)

    @property
    def rate(self) -> float:
        """The configured rate; `current_rate` is what applies now."""
        return self._rate

    @property
    def current_rate(self) -> float:
        """The budget less the others' estimated share and the trim: what applies now."""
        return self.budget - self.others - self.trim

    @property
    def budget(self) -> float:
        """The rate the refusal law allows: the configured rate until a call is refused."""
        if self._refused_at == -math.inf:
            return self._rate
        quiet = math.floor((self._clock() - self._refused_at) / self._period)
        return min(self._rate, self._budget + quiet * REFUSAL_RECOVERY_SHARE * self._rate)

    @property
    def governed(self) -> bool:
        """The limit is not published or the service refused calls: the rate is found, not set."""
        return not self._limit_published or self._refusals > 0

    @property
    def refusals(self) -> int:
        return self._refusals

    @property
    def limit_published(self) -> bool:
        return self._limit_published

    @property
    def found_rate(self) -> float | None:
        """Calls per period the service accepted at the last cuts (median); None before any."""
        if not self._cut_points:
            return None
        return float(statistics.median(self._cut_points))

    @property
    def others(self) -> float:
        """Calls per period other users of the account are estimated to make."""
        probing = self._quiet_periods() - HOLD_PERIODS
        if probing <= 0:
            return self._others
        return max(0.0, self._others - probing * PROBE_SHARE * self._rate)

    @property
    def trim(self) -> float:
        """Calls per period taken off after penalties at our own limit, not yet given back."""
        return max(0.0, self._trim - self._quiet_periods() * TRIM_RECOVERY_SHARE * self._rate)

    @property
    def headroom(self) -> int:
        """Calls per window kept free for network jitter beyond the guard."""
        if self._headroom is not None:
            return self._headroom
        guarded = math.floor(self._rate * self._guard / self._period)  # the guard's calls
        spread = max(0, self._spread_calls() - guarded) if self._jitter_seen else 0
        # Sharing: the load behind the estimate of the others was counted at admission, and
        # the service counted it on arrival, up to the guard later.
        sharing = guarded if self.others > 0 else 0
        return max(spread, sharing)

    @property
    def throttle_events(self) -> int:
        return self._throttle_events

    def window_limit(self) -> int:
        """How many calls the current budget admits in one window, headroom taken off."""
        limit = math.floor(self.current_rate) - self.headroom
        if self._clock() < self._suspected_until:
            limit = min(limit, self._suspected_load - 1)
        return max(1, limit)

    def note_lag(self, seconds: float) -> None:
        """The event loop just ran `seconds` late: calls admitted before went out that late."""
        now = self._clock()
        if seconds >= self._lag or now >= self._lag_until:
            self._lag = seconds
            self._lag_until = now + LAG_MEMORY_PERIODS * self._period

    def note_spread(self, seconds: float) -> None:
        """The spread of recent round-trip times (5th to 95th percentile), in seconds."""
        self._spread = max(0.0, seconds)

    def note_suspected(self, admission: Admission) -> None:
        """The call admitted as `admission` is late, its reply not in yet: it may be penalised.

        Until its reply tells (`note_throttled`), and at most `SUSPICION_S`, admit fewer calls
        than were in its window: if others took the budget, every call sent meanwhile would be
        penalised too. A false alarm (a stall) costs at most that pause.
        """
        now = self._clock()
        # One hold at a time: the calls behind the first suspect add nothing, and letting
        # them renew it would walk the limit down on a slow machine.
        if admission.at >= self._reacted_at and now >= self._suspected_until:
            self._suspected_load = admission.load
            self._suspected_until = now + SUSPICION_S

    def note_throttled(self, admission: Admission) -> None:
        """The reply to the call admitted as `admission` showed Nmbrs' throttle delay."""
        self._throttle_events += 1
        now = self._clock()
        others, trim = self.others, self.trim
        self._others, self._trim, self._throttled_at = others, trim, now
        evidence = math.floor(self._rate) + 1 - admission.load  # the others used at least this
        if admission.at < self._reacted_at:
            # Sent at the old limit: the reaction answered it. But replies come back out of
            # order, and one penalised with fewer of our calls in its window shows the others
            # used more than the call that drew the reaction showed.
            if others > 0:
                self._others = min(OTHERS_MAX_SHARE * self._rate, max(others, evidence))
            return
        self._reacted_at = now
        self._suspected_until = -math.inf  # answered: the law below takes over
        limit = self.window_limit()
        jitter_allowance = self._headroom if self._headroom is not None else self._spread_calls()
        if limit - admission.load > max(self.headroom, jitter_allowance):
            self._others = min(OTHERS_MAX_SHARE * self._rate, max(others, evidence))
        elif others > 0:
            self._others = min(
                OTHERS_MAX_SHARE * self._rate, others + PROBE_BACKOFF_SHARE * self._rate
            )
        else:
            self._trim = trim + TRIM_SHARE * self._rate
            self._jitter_seen = True

    def note_refused(self) -> None:
        """The service refused a call for the rate before handling it (HTTP 429, 42908)."""
        self._refusals += 1
        now = self._clock()
        horizon = now - self._period
        refused = self._refused
        while refused and refused[0] <= horizon:
            refused.popleft()
        refused.append(now)
        budget = self.budget
        self._budget, self._refused_at = budget, now
        if now - self._cut_at < self._period:
            return  # the window still holds the calls sent before the last cut
        self._cut_at = now
        admitted = sum(1 for at in self._admitted if at > horizon)
        accepted = max(1, admitted - len(refused))
        self._cut_points.append(accepted)
        self._budget = max(1.0, REFUSAL_CUT * min(budget, accepted))

    async def acquire(self) -> Admission:
        """Wait for a slot; returns when the call may start."""
        # One queue: the pacer and the window are passed inside the FIFO gate, so calls leave
        # one by one at the pacer's spacing. (A pacer in front of the gate let calls pile up
        # at the gate and leave in a bunch whenever the window widened, and the window log then
        # repeated that bunch every period: 162 arrivals in one second at the emulator.)
        async with self._gate:
            limit = self.window_limit()
            if limit != self._paced_limit:
                self._pacer = self._new_pacer(limit)
                self._paced_limit = limit
            await self._pacer.acquire()
            admitted = self._admitted
            while True:
                now = self._clock()
                horizon = now - self._period - self._guard_now(now)
                while admitted and admitted[0] <= horizon:
                    admitted.popleft()
                if len(admitted) < limit:
                    admitted.append(now)
                    return Admission(now, len(admitted) - self._outside_period(now))
                # The slot frees when the limit-th most recent call leaves the window, or
                # sooner if a suspicion that lowered the limit runs out.
                wait = admitted[-limit] - horizon
                if now < self._suspected_until:
                    wait = min(wait, self._suspected_until - now)
                await asyncio.sleep(wait)
                limit = self.window_limit()

    async def __aenter__(self) -> Admission:
        return await self.acquire()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Nothing to release: the limiter caps starts, not calls in flight."""

    def _guard_now(self, now: float) -> float:
        """The guard, widened to the event loop's recent lag (a fixed headroom has none)."""
        if self._guard and now < self._lag_until:
            return max(self._guard, self._lag)
        return self._guard

    def _outside_period(self, now: float) -> int:
        """Admissions in the window but in the guard before the last period (a few at most):
        the service counts a call's load over one period."""
        admitted, edge, stale = self._admitted, now - self._period, 0
        while stale < len(admitted) and admitted[stale] <= edge:
            stale += 1
        return stale

    def _quiet_periods(self) -> int:
        if self._throttled_at == -math.inf:
            return 0  # never throttled: nothing to recover from
        return max(0, math.floor((self._clock() - self._throttled_at) / self._period))

    def _spread_calls(self) -> int:
        return math.ceil(SPREAD_WEIGHT * self._rate / self._period * self._spread)

    def _new_pacer(self, limit: int) -> AsyncLimiter:
        """Spacing for `limit` calls per period, a little faster than the window: the log trims
        the small burst, and a call the loop woke late is made up for."""
        return AsyncLimiter(PACING_BURST, PACING_BURST * self._period / limit)
