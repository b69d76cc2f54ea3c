"""The retry schedule and the retry driver for one call. No I/O of its own: it waits through the
injected `sleep` and sends through the given Transport (so every attempt passes the limiter).

What each error does here:
- RetryableError: wait `backoff_delay` and send again, up to `policy.max_attempts` in total.
- SlowDown (refused for the rate): the same, but wait what the service asked for (its
  `Retry-After`, at most `MAX_RETRY_AFTER_S`) when it did, and tell the `limiter` first, so
  that the calls of every worker slow down, not only this one's retry.
- OutcomeUnknown on an INSERT: the first attempt may have created a record. Ask `reconcile`
  (after the backoff wait, so that a slow server has finished) before anything is resent:
  Found adopts the record, NotFound resends, Ambiguous raises NeedsReview. Without `reconcile`
  the error is raised as is: the caller must find out. On READ/UPDATE it is simply retried.
- ProtocolError on an INSERT: not retried, but reconciled the same way when `reconcile` is
  given, so that an unreadable reply to a call that did create a record is adopted, not lost.
- RowFault, AuthenticationError and any other error: raised at once.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, Final

import anyio

from bulkimport.backend import Effect
from bulkimport.config import RetryPolicy
from bulkimport.errors import (
    NeedsReview,
    OutcomeUnknown,
    ProtocolError,
    RetryableError,
    SlowDown,
)
from bulkimport.reconcile import Ambiguous, Found, NotFound, Reconciled

if TYPE_CHECKING:
    from bulkimport.backend import BackendOperation, Transport

__all__ = [
    "Ambiguous",
    "CallResult",
    "Found",
    "NeedsReview",
    "NotFound",
    "Reconciled",
    "backoff_delay",
    "call_with_retries",
    "parse_retry_after",
]

_MAX_EXPONENT = 62  # 2.0 ** 62 is far past any max_delay and far from a float overflow
# A longer Retry-After is more likely a misconfigured gateway than a plan: a run that sleeps
# for an hour looks hung, and the retry after a minute only costs one more refusal.
MAX_RETRY_AFTER_S: Final = 60.0


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a `Retry-After` header: delay-seconds or an HTTP date (RFC 9110).

    None when absent or unreadable (the caller then uses its own backoff); a date in the past
    is 0. `now` must be timezone-aware.
    """
    if value is None:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # "-0000" in the date: RFC 5322 says UTC
        return None
    return max(0.0, (when - now).total_seconds())


def backoff_delay(attempt: int, policy: RetryPolicy, rng: random.Random) -> float:
    """Seconds to wait before retry number `attempt` (1 = the first retry).

    Exponential from `policy.base_delay`, capped at `policy.max_delay`, with *equal* jitter: a
    uniform draw from [d/2, d]. Full jitter can draw ~0 and resend at once into the same 503 or,
    worse, read for a lost insert before the server has finished it; equal jitter keeps half
    of the wait and still spreads the workers apart. Always within [base/2, max_delay].
    """
    if attempt < 1:
        raise ValueError(f"attempt counts retries from 1, got {attempt}")
    ceiling = min(policy.max_delay, policy.base_delay * 2.0 ** min(attempt - 1, _MAX_EXPONENT))
    return ceiling / 2 + rng.uniform(0, ceiling / 2)


@dataclass(frozen=True, slots=True)
class CallResult:
    """The decoded result of a call and how many attempts it took (reconciliation reads aside)."""

    value: Any
    attempts: int
    reconciled: bool = False  # the value was adopted from reconciliation, not from a reply


async def call_with_retries(
    transport: Transport,
    operation: BackendOperation,
    values: Mapping[str, Any],
    *,
    policy: RetryPolicy,
    rng: random.Random,
    sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
    reconcile: Callable[[], Awaitable[Reconciled]] | None = None,
    on_attempt: Callable[[int], None] | None = None,
) -> CallResult:
    """Send one call until it gives a usable answer, following the rules of the module docstring.

    `on_attempt(n)` runs before attempt n is sent (the pipeline journals "sent" there).
    Errors from `reconcile` itself propagate unchanged.
    """
    is_insert = operation.effect is Effect.INSERT
    attempt = 0
    while True:
        attempt += 1
        if on_attempt is not None:
            on_attempt(attempt)
        try:
            return CallResult(await transport.call(operation, values), attempt)
        except ProtocolError as exc:
            if not (is_insert and reconcile is not None):
                raise
            adopted = _adopt(await reconcile(), operation, attempt, exc)
            if adopted is None:
                raise  # nothing was created: the row fails on the unreadable reply
            return adopted
        except OutcomeUnknown as exc:
            if not is_insert:
                last_error: RetryableError = exc
            elif reconcile is None:
                raise
            else:
                if attempt < policy.max_attempts:
                    await sleep(backoff_delay(attempt, policy, rng))
                adopted = _adopt(await reconcile(), operation, attempt, exc)
                if adopted is not None:
                    return adopted
                if attempt >= policy.max_attempts:
                    raise RetryableError(
                        f"{operation.name}: no answer after {attempt} attempts; "
                        "reconciliation found that the last one created nothing"
                    ) from exc
                continue  # already waited before reconciling
        except SlowDown as exc:  # the transport already told its limiter
            if attempt >= policy.max_attempts:
                raise
            await sleep(_slow_down_delay(exc, attempt, policy, rng))
            continue
        except RetryableError as exc:
            last_error = exc
        if attempt >= policy.max_attempts:
            raise last_error
        await sleep(backoff_delay(attempt, policy, rng))


def _slow_down_delay(
    refusal: SlowDown, attempt: int, policy: RetryPolicy, rng: random.Random
) -> float:
    """The wait the service asked for, within reason; else the usual backoff."""
    if refusal.retry_after is None:
        return backoff_delay(attempt, policy, rng)
    return min(max(0.0, refusal.retry_after), MAX_RETRY_AFTER_S)


def _adopt(
    outcome: Reconciled, operation: BackendOperation, attempt: int, cause: Exception
) -> CallResult | None:
    """Found: the result the lost reply would have carried. Ambiguous: NeedsReview. NotFound:
    None, nothing was created."""
    if isinstance(outcome, Found):
        return CallResult(outcome.value, attempt, reconciled=True)
    if isinstance(outcome, Ambiguous):
        raise NeedsReview(outcome.candidates, outcome.reason, operation=operation.name) from cause
    return None
