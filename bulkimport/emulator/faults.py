"""Faults on demand: random shares for drills and benches, scripted faults for tests. No I/O.

A scripted fault hits the next `count` calls of one operation (or of any operation) and takes
precedence over the random shares, which are drawn from a PRNG seeded by the config, so a
drill with a seed is repeatable.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass, fields
from enum import StrEnum
from typing import Any, Final

from bulkimport.emulator.operations import HANDLERS
from bulkimport.emulator.rest.schemas import OPERATIONS as REST_OPERATIONS

# SOAP operation names and REST operationIds (e.g. createEmployee) can both be scripted.
_OPERATION_NAMES: Final = frozenset([*(name for _, name in HANDLERS), *REST_OPERATIONS])


class FaultMode(StrEnum):
    """What happens to one call instead of a normal answer."""

    HTTP_503 = "http_503"  # 503 from the front end, not handled
    HTTP_500 = "http_500"  # 500 with an HTML error page (no SOAP fault), not handled
    DROP = "drop"  # connection closed before handling: the change is NOT applied
    HANG = "hang"  # no reply ever; the connection stays open until the client gives up
    LOST_REPLY = "lost_reply"  # change applied, then the connection dropped before the answer
    HOSTILE_REPLY = "hostile_reply"  # change applied, reply carries a DTD with an entity bomb
    NMBRS_FAULT = "nmbrs_fault"  # a soap:Server fault with `fault_code` (1006 by default)
    SLOW = "slow"  # handled normally after an extra `delay` seconds


@dataclass(frozen=True, slots=True)
class FaultSettings:
    """Random faults, each a share of calls in [0, 1]; latency = latency_ms + U(0, spread)."""

    latency_ms: float = 0.0
    latency_spread_ms: float = 0.0
    http_503_share: float = 0.0
    http_500_share: float = 0.0
    drop_share: float = 0.0
    hang_share: float = 0.0
    lost_reply_share: float = 0.0
    hostile_reply_share: float = 0.0

    def __post_init__(self) -> None:
        if self.latency_ms < 0 or self.latency_spread_ms < 0:
            raise ValueError("latency cannot be negative")
        shares = [getattr(self, f.name) for f in fields(self) if f.name.endswith("_share")]
        if any(not 0 <= share <= 1 for share in shares) or sum(shares) > 1:
            raise ValueError("fault shares must lie in [0, 1] and add up to at most 1")

    @classmethod
    def from_json(cls, data: Any) -> FaultSettings:
        """Build from a JSON object; unknown keys and wrong types raise ValueError."""
        if not isinstance(data, dict):
            raise ValueError("faults must be a JSON object")
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown fault setting(s): {', '.join(sorted(unknown))}")
        for key, value in data.items():
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"{key} must be a number")
        return cls(**{key: float(value) for key, value in data.items()})

    def to_json(self) -> dict[str, float]:
        return asdict(self)


_RANDOM_MODES: Final = (
    ("http_503_share", FaultMode.HTTP_503),
    ("http_500_share", FaultMode.HTTP_500),
    ("drop_share", FaultMode.DROP),
    ("hang_share", FaultMode.HANG),
    ("lost_reply_share", FaultMode.LOST_REPLY),
    ("hostile_reply_share", FaultMode.HOSTILE_REPLY),
)


@dataclass(frozen=True, slots=True)
class ScriptedFault:
    """The next `count` calls of `operation` (None: any operation) get `mode`."""

    mode: FaultMode
    operation: str | None = None
    count: int = 1
    fault_code: int = 1006
    delay: float = 0.0

    def __post_init__(self) -> None:
        if self.count < 1 or self.delay < 0 or not 1000 <= self.fault_code <= 9999:
            raise ValueError("count must be >= 1, delay >= 0, fault_code a four-digit code")
        if self.operation is not None and self.operation not in _OPERATION_NAMES:
            raise ValueError(f"{self.operation!r} is not an emulated operation")

    @classmethod
    def from_json(cls, data: Any) -> ScriptedFault:
        if not isinstance(data, dict) or "mode" not in data:
            raise ValueError("a script entry must be a JSON object with a mode")
        try:
            return cls(
                mode=FaultMode(data["mode"]),
                operation=_optional_str(data.get("operation")),
                count=_int(data.get("count", 1)),
                fault_code=_int(data.get("fault_code", 1006)),
                delay=float(data.get("delay", 0.0)),
            )
        except (TypeError, KeyError) as exc:
            raise ValueError(f"bad script entry: {exc}") from exc

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "mode": self.mode.value}


def _optional_str(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise ValueError("operation must be a string")


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{value!r} is not a whole number")
    return value


@dataclass(frozen=True, slots=True)
class Decision:
    """What the emulator does with one call: extra seconds to wait, then a mode (or none)."""

    latency: float
    mode: FaultMode | None = None
    fault_code: int = 1006


class FaultPlan:
    """Decides each call's fate: the first matching script entry, else the random shares."""

    def __init__(self, settings: FaultSettings, seed: int | None) -> None:
        self.settings = settings
        self._seed = seed
        self._random = random.Random(seed)
        self._script: list[tuple[ScriptedFault, int]] = []  # (entry, calls left)

    def reset(self) -> None:
        self._random = random.Random(self._seed)
        self._script.clear()

    def add(self, entry: ScriptedFault) -> None:
        self._script.append((entry, entry.count))

    def clear_script(self) -> None:
        self._script.clear()

    def pending(self) -> list[dict[str, Any]]:
        return [{**entry.to_json(), "count": left} for entry, left in self._script]

    def decide(self, operation: str | None) -> Decision:
        latency = self._latency()
        for index, (entry, left) in enumerate(self._script):
            if entry.operation is None or entry.operation == operation:
                if left == 1:
                    del self._script[index]
                else:
                    self._script[index] = (entry, left - 1)
                extra = entry.delay if entry.mode is FaultMode.SLOW else 0.0
                return Decision(latency + extra, entry.mode, entry.fault_code)
        return Decision(latency, self._random_mode())

    def _latency(self) -> float:
        settings = self.settings
        milliseconds = settings.latency_ms
        if settings.latency_spread_ms:
            milliseconds += self._random.uniform(0.0, settings.latency_spread_ms)
        return milliseconds / 1000.0

    def _random_mode(self) -> FaultMode | None:
        settings = self.settings
        if not any(getattr(settings, name) for name, _ in _RANDOM_MODES):
            return None
        draw = self._random.random()
        for name, mode in _RANDOM_MODES:
            draw -= getattr(settings, name)
            if draw < 0:
                return mode
        return None


# A reply an attacker or a broken proxy might send: a DTD whose entities expand to ~3 GB
# ("billion laughs"). A safe client must refuse it without expanding anything.
HOSTILE_REPLY: Final = (
    b'<?xml version="1.0" encoding="utf-8"?>\n'
    b"<!DOCTYPE lolz [\n"
    b' <!ENTITY lol "lol">\n'
    b' <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">\n'
    b' <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">\n'
    b' <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">\n'
    b' <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">\n'
    b' <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">\n'
    b' <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">\n'
    b' <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">\n'
    b' <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">\n'
    b' <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">\n'
    b"]>\n"
    b'<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">'
    b"<soap:Body><Result>&lol9;</Result></soap:Body></soap:Envelope>"
)
