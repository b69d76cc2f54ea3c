"""The REST door's settings and its state beside the shared one: tokens, limits, resources. No I/O.

The gateway checks in the order a call meets them: the subscription key, then the call quota
and the hidden rate limit of that key (both answered 429), then the bearer token and its scopes.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from bulkimport.emulator.rest.oauth import DEMO_APPLICATION, Authority, Grant, OAuthApplication
from bulkimport.emulator.rest.problems import (
    RestError,
    invalid_subscription,
    invalid_token,
    missing_token,
    quota_exceeded,
    too_many_calls,
    unauthorized_access,
)
from bulkimport.emulator.rest.resources import RestResources
from bulkimport.emulator.state import EmulatorState

ONE_HOUR: Final = 3600.0  # access token lifetime (REST.md section 2, third-party figure)
THIRTY_DAYS: Final = 30 * 24 * 3600.0  # refresh token lifetime (idem)


@dataclass(frozen=True, slots=True)
class RestConfig:
    """The REST door's settings.

    `calls_per_second` is the hidden limit per subscription key: Nmbrs publishes none, the
    bench measures how close a client gets to it. `call_quota` (None: unlimited) counts the
    calls a key may make in all before every call gets 42909.
    """

    calls_per_second: int = 100
    call_quota: int | None = None
    access_token_seconds: float = ONE_HOUR
    refresh_token_seconds: float = THIRTY_DAYS
    applications: tuple[OAuthApplication, ...] = (DEMO_APPLICATION,)

    def __post_init__(self) -> None:
        if self.calls_per_second < 1 or (self.call_quota is not None and self.call_quota < 0):
            raise ValueError("the REST limit must be at least 1 call/s and the quota not negative")
        if self.access_token_seconds <= 0 or self.refresh_token_seconds <= 0:
            raise ValueError("token lifetimes must be positive")


class Throttle:
    """Per subscription key: a call quota, then at most `calls_per_second` admitted calls in
    any one-second window. Refused calls do not count against either [inferred]."""

    def __init__(self, calls_per_second: int, quota: int | None) -> None:
        self.calls_per_second = calls_per_second
        self.quota = quota
        self.reset()

    def reset(self) -> None:
        self._admitted: dict[str, deque[float]] = {}
        self._used: dict[str, int] = {}

    def admit(self, key: str, now: float) -> RestError | None:
        used = self._used.get(key, 0)
        if self.quota is not None and used >= self.quota:
            return quota_exceeded()
        times = self._admitted.setdefault(key, deque())
        while times and times[0] <= now - 1.0:
            times.popleft()
        if len(times) >= self.calls_per_second:
            return too_many_calls()
        times.append(now)
        self._used[key] = used + 1
        return None


class RestDoor:
    """Everything the REST door keeps; `reset()` is part of the emulator's reset."""

    def __init__(self, config: RestConfig, state: EmulatorState) -> None:
        self.config = config
        self.authority = Authority(
            config.applications, config.access_token_seconds, config.refresh_token_seconds
        )
        self.throttle = Throttle(config.calls_per_second, config.call_quota)
        self.resources = RestResources(state)

    def reset(self) -> None:
        self.authority.reset()
        self.throttle.reset()
        self.resources.reset()

    def admit(self, headers: Mapping[str, str], now: float) -> None:
        """The gateway's checks before a call reaches the API: key, quota, rate."""
        key = headers.get("X-Subscription-Key", "")
        if key not in self.authority.subscription_keys():
            raise invalid_subscription()
        refusal = self.throttle.admit(key, now)
        if refusal is not None:
            raise refusal

    def authenticate(self, headers: Mapping[str, str], scopes: list[str], now: float) -> Grant:
        """The grant of the call's bearer token, if it is live and covers one of `scopes`."""
        header = headers.get("Authorization", "")
        if not header.strip():
            raise missing_token()
        scheme, _, token = header.strip().partition(" ")
        grant = self.authority.grant_for(token.strip(), now) if scheme.lower() == "bearer" else None
        if grant is None:
            raise invalid_token()
        if not grant.scopes.intersection(scopes):
            raise unauthorized_access(
                "The token was not consented for this operation; it needs one of the scopes "
                + ", ".join(scopes)
                + "."
            )
        return grant
