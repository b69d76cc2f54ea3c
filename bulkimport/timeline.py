"""Calls per second over a run, for the HTML report's throughput chart. No I/O.

The transport counts each attempt in the second it started and each penalised one in the
second it started too: two list increments per call, nothing formatted until the run ends.
"""

from __future__ import annotations


class CallTimeline:
    """Per-second counts of calls started and of calls penalised, from the first call on."""

    __slots__ = ("_calls", "_origin", "_penalised")

    def __init__(self) -> None:
        self._origin: float | None = None
        self._calls: list[int] = []
        self._penalised: list[int] = []

    def count_call(self, started: float) -> None:
        """One call started at `started` (seconds on the transport's clock)."""
        self._calls[self._second(started)] += 1

    def count_penalised(self, started: float) -> None:
        """The call that started at `started` came back with the service's penalty delay."""
        self._penalised[self._second(started)] += 1

    def _second(self, at: float) -> int:
        if self._origin is None:
            self._origin = at
        second = max(0, int(at - self._origin))
        if second >= len(self._calls):
            grow = second + 1 - len(self._calls)
            self._calls.extend([0] * grow)
            self._penalised.extend([0] * grow)
        return second

    @property
    def calls_per_second(self) -> tuple[int, ...]:
        """Calls started in each second since the first call (the last second may be partial)."""
        return tuple(self._calls)

    @property
    def penalised_per_second(self) -> tuple[int, ...]:
        """Penalised calls in each second, aligned with `calls_per_second`."""
        return tuple(self._penalised)
