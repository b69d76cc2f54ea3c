"""Arrival counting: the rate limit Nmbrs documents, and the counters of GET /stats. No I/O.

Both keep only the arrivals of the last second (plus one integer per elapsed second), so they
stay cheap after any number of calls.
"""

from __future__ import annotations

import math
from collections import Counter, deque
from typing import Any, Final

from bulkimport.emulator.accounts import Account

WINDOW_SECONDS: Final = 1.0
MAX_SECONDS_KEPT: Final = 3600  # arrivals_per_second covers the last hour


class SlidingWindow:
    """How many arrivals fall in the last second, (now - 1 s, now]; exact, not bucketed."""

    __slots__ = ("_times",)

    def __init__(self) -> None:
        self._times: deque[float] = deque()

    def add(self, now: float) -> int:
        times = self._times
        horizon = now - WINDOW_SECONDS
        while times and times[0] <= horizon:
            times.popleft()
        times.append(now)
        return len(times)


AccountKey = tuple[str, str]  # (username, domain)
UNAUTHENTICATED: Final[AccountKey] = ("", "")


class RateLimiter:
    """ "You can make 150 calls per second, if this is exceeded a delay of half a second will
    occur. Be aware that other users might do a call at the same second." (Nmbrs)

    Per account: an arrival that makes more than `calls_per_second` arrivals in the last
    second, counting the simulated arrivals of other users of the same account, waits
    `throttle_delay` before it is handled. It is a delay, not a fault. Other users call
    steadily (`other_users_calls_per_second` in every second) and/or in bursts (`burst_calls`
    at once every `burst_every` seconds of the clock, as a scheduled sync job would).
    """

    def __init__(
        self,
        calls_per_second: int,
        other_users_calls_per_second: int,
        throttle_delay: float,
        *,
        burst_calls: int = 0,
        burst_every: float = 0.0,
    ) -> None:
        if burst_calls and not burst_every > 0:
            raise ValueError("bursts of other users need a positive interval")
        self.calls_per_second = calls_per_second
        self.other_users_calls_per_second = other_users_calls_per_second
        self.throttle_delay = throttle_delay
        self.burst_calls = burst_calls
        self.burst_every = burst_every
        self._windows: dict[AccountKey, SlidingWindow] = {}

    def reset(self) -> None:
        self._windows.clear()

    def others_in_window(self, now: float) -> int:
        """Simulated calls of other users in (now - 1 s, now]."""
        others = self.other_users_calls_per_second
        if self.burst_calls:
            every = self.burst_every
            bursts = math.floor(now / every) - math.floor((now - WINDOW_SECONDS) / every)
            others += bursts * self.burst_calls
        return others

    def arrive(self, account: AccountKey, now: float) -> float:
        """Count one arrival; return the delay (seconds) it must wait before handling."""
        window = self._windows.get(account)
        if window is None:
            window = self._windows[account] = SlidingWindow()
        in_window = window.add(now) + self.others_in_window(now)
        return self.throttle_delay if in_window > self.calls_per_second else 0.0


def account_key(credentials: Account) -> AccountKey:
    return (credentials.username, credentials.domain)


class AccountCounters:
    """One account's share of the arrivals: its cap is its own, so it is checked on its own."""

    __slots__ = ("calls", "max_in_window", "throttled", "window")

    def __init__(self) -> None:
        self.calls = 0
        self.max_in_window = 0
        self.throttled = 0
        self.window = SlidingWindow()


class Stats:
    """Live counters; `snapshot()` is what GET /stats returns."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.calls_total = 0
        self.calls_by_operation: Counter[str] = Counter()
        self.faults_by_code: Counter[str] = Counter()
        self.injected_faults: Counter[str] = Counter()
        self.responses_by_status: Counter[str] = Counter()
        self.throttled_calls = 0
        self.max_calls_in_any_1s_window = 0
        self._window = SlidingWindow()
        self._first_arrival: float | None = None
        self._last_arrival = 0.0
        self._first_second = 0  # index of arrivals_per_second[0] since the first arrival
        self._per_second: list[int] = []
        self._accounts: dict[AccountKey, AccountCounters] = {}
        self._refused_per_second: list[int] = []  # arrivals refused at the gateway (REST 429)

    def account_arrival(self, account: AccountKey, now: float, *, throttled: bool) -> None:
        """Count an arrival that named a configured account (after `arrival`)."""
        counters = self._accounts.get(account)
        if counters is None:
            counters = self._accounts[account] = AccountCounters()
        counters.calls += 1
        counters.throttled += throttled
        counters.max_in_window = max(counters.max_in_window, counters.window.add(now))

    def arrival(self, now: float, operation: str) -> None:
        self.calls_total += 1
        self.calls_by_operation[operation] += 1
        in_window = self._window.add(now)
        if in_window > self.max_calls_in_any_1s_window:
            self.max_calls_in_any_1s_window = in_window
        if self._first_arrival is None:
            self._first_arrival = now
        self._last_arrival = now
        second = int(now - self._first_arrival) - self._first_second
        per_second = self._per_second
        if second >= len(per_second):
            per_second.extend([0] * (second + 1 - len(per_second)))
        per_second[second] += 1
        excess = len(per_second) - MAX_SECONDS_KEPT
        if excess > 0:
            del per_second[:excess]
            self._first_second += excess

    def refusal(self, now: float) -> None:
        """The arrival just counted was refused for the rate or the quota (REST 429)."""
        first = self._first_arrival if self._first_arrival is not None else now
        second = int(now - first) - self._first_second
        refused = self._refused_per_second
        if second >= len(refused):
            refused.extend([0] * (second + 1 - len(refused)))
        refused[second] += 1
        excess = len(refused) - MAX_SECONDS_KEPT
        if excess > 0:
            del refused[:excess]

    def arrivals_span(self) -> float:
        """Seconds from the first arrival to the last one (0 before two arrivals)."""
        first = self._first_arrival
        return 0.0 if first is None else self._last_arrival - first

    def snapshot(self) -> dict[str, Any]:
        return {
            "calls_total": self.calls_total,
            "calls_by_operation": dict(self.calls_by_operation),
            "faults_by_code": dict(self.faults_by_code),
            "throttled_calls": self.throttled_calls,
            "max_calls_in_any_1s_window": self.max_calls_in_any_1s_window,
            "arrivals_per_second": list(self._per_second),
            "arrivals_per_second_offset": self._first_second,
            "refused_per_second": list(self._refused_per_second),
            "arrivals_span_s": self.arrivals_span(),
            "injected_faults": dict(self.injected_faults),
            "responses_by_status": dict(self.responses_by_status),
            "by_account": {
                f"{username}@{domain}": {
                    "calls_total": counters.calls,
                    "max_calls_in_any_1s_window": counters.max_in_window,
                    "throttled_calls": counters.throttled,
                }
                for (username, domain), counters in self._accounts.items()
            },
        }
