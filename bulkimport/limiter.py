"""The call-rate cap: smooth pacing from aiolimiter plus an exact sliding-window log. Async only.

Nmbrs allows 150 calls per second and delays the excess by half a second. aiolimiter alone
cannot keep that exactly: `AsyncLimiter(150, 1)` starts with an empty bucket and lets ~300 calls
through in the first second and after every idle second, while `AsyncLimiter(1, 1/150)` loses ~8%
because asyncio rounds every timer up to a whole millisecond. So two stages, passed in turn
inside one FIFO gate:

1. pacing: `AsyncLimiter(2, 2 / limit)` spaces calls evenly at the window's limit; its two-call
   bucket absorbs the timer rounding, so it keeps up;
2. the cap: a log of recent acquisition times admits a call only when fewer than
   `limit = floor(rate) - headroom` calls were admitted in the last `period`, in ANY window.
   The headroom leaves room for event-loop and network jitter that re-bunches calls on their
   way to Nmbrs: by default the calls of 10 ms at the current rate (2 at 150/s; measured, 5 ms
   of jitter turns 149 sent calls into 151 arrivals, 148 into 150), still 98.6% of 150/s.

Other users of the same account share the cap, so the limiter also slows down by itself (AIMD):
`note_throttled()` cuts the rate to 80% (at most once per period, floor 10% of the configured
rate) and every full period without a throttle signal adds back 10% of the configured rate.
"""

from __future__ import annotations

import asyncio
import math
from collections import deque
from collections.abc import Callable
from types import TracebackType
from typing import Final

from aiolimiter import AsyncLimiter

PACING_BURST: Final = 2  # the smallest bucket that absorbs asyncio's millisecond timer rounding
DECREASE_FACTOR: Final = 0.5  # as TCP halves its window: the budget left by others may be small
RECOVERY_STEP: Final = 0.05  # share of the configured rate added back per quiet period
FLOOR_SHARE: Final = 0.1  # never slow down below this share of the configured rate
JITTER_ALLOWANCE: Final = 0.01  # seconds of arrival jitter the default headroom absorbs


class CallRateLimiter:
    """At most `rate` acquisitions in any window of `period` seconds, and close to that rate.

    Create it inside the running event loop. `clock` must run at the pace of the loop's clock
    (the default is the loop's own); tests pass a virtual loop's clock.
    """

    def __init__(
        self,
        rate: float = 150,
        *,
        period: float = 1.0,
        clock: Callable[[], float] | None = None,
        headroom: int | None = None,
    ) -> None:
        if not math.isfinite(rate) or rate < 1:
            raise ValueError(f"rate must be a finite number of at least 1 call, got {rate!r}")
        if not period > 0:
            raise ValueError(f"period must be positive, got {period!r}")
        if headroom is not None and headroom < 0:
            raise ValueError(f"headroom cannot be negative, got {headroom!r}")
        self._rate = float(rate)
        self._period = float(period)
        self._clock = clock or asyncio.get_running_loop().time
        self._headroom = headroom
        self._floor = max(1.0, self._rate * FLOOR_SHARE)
        self._admitted: deque[float] = deque()  # acquisition times within the last period
        self._gate = asyncio.Lock()  # FIFO; a cancelled waiter leaves without taking a slot
        self._throttle_events = 0
        # AIMD state: the rate right after the last cut, when that was, and the last signal.
        self._decreased_to = self._rate
        self._decreased_at = -math.inf
        self._throttled_at = -math.inf
        self._paced_limit = self.window_limit()
        self._pacer = self._new_pacer(self._paced_limit)

    @property
    def rate(self) -> float:
        """The configured rate; `current_rate` is what applies now."""
        return self._rate

    @property
    def current_rate(self) -> float:
        if self._decreased_to >= self._rate:
            return self._rate
        quiet_periods = math.floor((self._clock() - self._throttled_at) / self._period)
        if quiet_periods <= 0:
            return self._decreased_to
        recovered = self._decreased_to + quiet_periods * RECOVERY_STEP * self._rate
        return min(self._rate, recovered)

    @property
    def throttle_events(self) -> int:
        return self._throttle_events

    def window_limit(self) -> int:
        """How many calls the current rate admits in one window, headroom taken off."""
        rate = self.current_rate
        headroom = self._headroom
        if headroom is None:
            headroom = math.ceil(rate * JITTER_ALLOWANCE / self._period)
        return max(1, math.floor(rate) - headroom)

    def note_throttled(self) -> None:
        """A reply showed Nmbrs' throttle delay: slow down, unless we just did."""
        self._throttle_events += 1
        now = self._clock()
        # In-flight calls report the same overload together; one cut per period is enough,
        # but every signal restarts the quiet time that recovery waits for.
        if now - self._decreased_at >= self._period:
            self._decreased_to = max(self._floor, self.current_rate * DECREASE_FACTOR)
            self._decreased_at = now
        self._throttled_at = now

    async def acquire(self) -> None:
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
                horizon = now - self._period
                while admitted and admitted[0] <= horizon:
                    admitted.popleft()
                if len(admitted) < limit:
                    admitted.append(now)
                    return
                # The slot frees when the limit-th most recent call leaves the window.
                await asyncio.sleep(admitted[-limit] - horizon)

    async def __aenter__(self) -> None:
        await self.acquire()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Nothing to release: the limiter caps starts, not calls in flight."""

    def _new_pacer(self, limit: int) -> AsyncLimiter:
        """Spacing for `limit` calls per period: the window then only trims the small burst."""
        return AsyncLimiter(PACING_BURST, PACING_BURST * self._period / limit)
