"""The retry schedule and driver, with a scripted transport and a recording sleep (no waiting)."""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import pytest

from bulkimport.backend import BackendOperation, TransportStats
from bulkimport.config import RetryPolicy
from bulkimport.errors import (
    AuthenticationError,
    OutcomeUnknown,
    ProtocolError,
    QuotaExceeded,
    RetryableError,
    RowError,
    RowFault,
    SlowDown,
)
from bulkimport.nmbrs.soap.schema import Operation, lookup_operation
from bulkimport.retry import (
    Ambiguous,
    CallResult,
    Found,
    NeedsReview,
    NotFound,
    Reconciled,
    backoff_delay,
    call_with_retries,
    parse_retry_after,
)

INSERT = lookup_operation("Employee_Insert")
UPDATE = lookup_operation("PersonalInfo_UpdateCurrent")
READ = lookup_operation("List_GetByCompany")
POLICY = RetryPolicy(max_attempts=4, base_delay=0.25, max_delay=8.0)


class ScriptedTransport:
    """Answers each call with the next scripted outcome (a value or an exception to raise)."""

    def __init__(self, outcomes: list[Any], events: list[str]) -> None:
        self._outcomes = list(outcomes)
        self._events = events
        self.calls = 0

    @property
    def stats(self) -> TransportStats:
        return TransportStats(self.calls, 0)

    async def call(self, operation: BackendOperation, values: Mapping[str, Any]) -> Any:
        self.calls += 1
        self._events.append(f"call {self.calls}")
        outcome = self._outcomes.pop(0)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome


class Harness:
    def __init__(self, outcomes: list[Any], reconciled: list[Reconciled] | None = None) -> None:
        self.events: list[str] = []
        self.transport = ScriptedTransport(outcomes, self.events)
        self.sleeps: list[float] = []
        self._reconciled = list(reconciled or [])

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.events.append("sleep")

    async def reconcile(self) -> Reconciled:
        self.events.append("reconcile")
        return self._reconciled.pop(0)

    def on_attempt(self, attempt: int) -> None:
        self.events.append(f"attempt {attempt}")

    async def run(self, operation: Operation, *, reconcile: bool = True) -> CallResult:
        return await call_with_retries(
            self.transport,
            operation,
            {},
            policy=POLICY,
            rng=random.Random(3),
            sleep=self.sleep,
            reconcile=self.reconcile if reconcile else None,
            on_attempt=self.on_attempt,
        )


# --- backoff_delay --------------------------------------------------------------------------
@pytest.mark.parametrize("attempt", range(1, 30))
def test_backoff_uses_equal_jitter_below_the_cap(attempt: int) -> None:
    rng = random.Random(attempt)
    ceiling = min(POLICY.max_delay, POLICY.base_delay * 2 ** (attempt - 1))
    delays = [backoff_delay(attempt, POLICY, rng) for _ in range(200)]
    assert all(ceiling / 2 <= delay <= ceiling for delay in delays)
    assert max(delays) - min(delays) > ceiling / 4  # it really is jittered


def test_backoff_grows_exponentially_then_stays_at_the_cap() -> None:
    middle = [backoff_delay(n, POLICY, _MiddleRandom()) for n in range(1, 9)]
    assert middle == pytest.approx([0.1875, 0.375, 0.75, 1.5, 3.0, 6.0, 6.0, 6.0])


def test_backoff_survives_absurd_attempt_numbers() -> None:
    assert backoff_delay(10_000, POLICY, random.Random(1)) <= POLICY.max_delay


def test_backoff_counts_retries_from_one() -> None:
    with pytest.raises(ValueError, match="attempt"):
        backoff_delay(0, POLICY, random.Random(1))


class _MiddleRandom(random.Random):
    def uniform(self, a: float, b: float) -> float:
        return (a + b) / 2


# --- call_with_retries ----------------------------------------------------------------------
async def test_a_first_answer_is_returned_after_one_attempt() -> None:
    harness = Harness([1057235])
    result = await harness.run(INSERT)
    assert result == CallResult(1057235, 1)
    assert harness.events == ["attempt 1", "call 1"]


async def test_retryable_errors_wait_and_retry_until_an_answer() -> None:
    harness = Harness([RetryableError("503"), RetryableError("1006"), "2026-11-M"])
    result = await harness.run(READ)
    assert result == CallResult("2026-11-M", 3)
    assert harness.events == [
        "attempt 1", "call 1", "sleep", "attempt 2", "call 2", "sleep", "attempt 3", "call 3",
    ]  # fmt: skip
    assert 0.125 <= harness.sleeps[0] <= 0.25 and 0.25 <= harness.sleeps[1] <= 0.5


async def test_after_the_last_attempt_the_last_error_is_raised() -> None:
    errors = [RetryableError(f"try {n}") for n in range(1, 5)]
    harness = Harness(list(errors))
    with pytest.raises(RetryableError) as raised:
        await harness.run(READ)
    assert raised.value is errors[-1]
    assert harness.transport.calls == POLICY.max_attempts
    assert len(harness.sleeps) == POLICY.max_attempts - 1


@pytest.mark.parametrize(
    "error",
    [
        RowFault("Employee_Insert", 2004, "Unauthorized company"),
        RowFault("Employee_Insert", 9999, "Unknown"),
        AuthenticationError(1001, "Invalid Authentication"),
    ],
)
async def test_faults_and_authentication_errors_are_not_retried(error: Exception) -> None:
    harness = Harness([error, 1])
    with pytest.raises(type(error)):
        await harness.run(INSERT)
    assert harness.transport.calls == 1
    assert harness.sleeps == []


@pytest.mark.parametrize("operation", [READ, UPDATE])
async def test_a_lost_reply_of_a_read_or_update_is_simply_resent(operation: Operation) -> None:
    harness = Harness([OutcomeUnknown("dropped"), None])
    result = await harness.run(operation)
    assert result.attempts == 2
    assert "reconcile" not in harness.events


async def test_a_lost_insert_reply_is_not_resent_without_reconciliation() -> None:
    harness = Harness([OutcomeUnknown("dropped"), 1057235])
    with pytest.raises(OutcomeUnknown):
        await harness.run(INSERT, reconcile=False)
    assert harness.transport.calls == 1


async def test_a_lost_insert_that_took_effect_is_adopted_not_resent() -> None:
    harness = Harness([OutcomeUnknown("dropped")], [Found(1057240)])
    result = await harness.run(INSERT)
    assert result == CallResult(1057240, 1, reconciled=True)
    # The wait comes before the check, so that a slow server has finished the insert.
    assert harness.events == ["attempt 1", "call 1", "sleep", "reconcile"]


async def test_a_lost_insert_that_left_no_trace_is_resent_once_checked() -> None:
    harness = Harness([OutcomeUnknown("dropped"), 1057241], [NotFound()])
    result = await harness.run(INSERT)
    assert result == CallResult(1057241, 2)
    assert harness.events == ["attempt 1", "call 1", "sleep", "reconcile", "attempt 2", "call 2"]


async def test_an_ambiguous_lost_insert_needs_review_with_its_candidates() -> None:
    harness = Harness([OutcomeUnknown("dropped")], [Ambiguous((11, 12), "two new employees")])
    with pytest.raises(NeedsReview) as raised:
        await harness.run(INSERT)
    assert raised.value.candidates == (11, 12)
    assert raised.value.operation == "Employee_Insert"
    assert "11, 12" in str(raised.value)
    assert isinstance(raised.value, RowError)
    assert harness.transport.calls == 1


async def test_a_lost_insert_on_the_last_attempt_reports_that_nothing_was_created() -> None:
    outcomes: list[Any] = [OutcomeUnknown(f"dropped {n}") for n in range(4)]
    harness = Harness(outcomes, [NotFound()] * 4)
    with pytest.raises(RetryableError) as raised:
        await harness.run(INSERT)
    assert not isinstance(raised.value, OutcomeUnknown)
    assert "created nothing" in str(raised.value)
    assert harness.transport.calls == 4
    assert harness.events.count("reconcile") == 4
    assert harness.events[-2:] == ["call 4", "reconcile"]  # no wait after the last attempt


async def test_an_unreadable_insert_reply_is_reconciled_but_never_resent() -> None:
    adopted = Harness([ProtocolError("DTD")], [Found(7)])
    assert await adopted.run(INSERT) == CallResult(7, 1, reconciled=True)

    nothing = Harness([ProtocolError("DTD"), 8], [NotFound()])
    with pytest.raises(ProtocolError):
        await nothing.run(INSERT)
    assert nothing.transport.calls == 1

    unsure = Harness([ProtocolError("DTD")], [Ambiguous((), "cannot tell")])
    with pytest.raises(NeedsReview):
        await unsure.run(INSERT)


async def test_an_unreadable_reply_to_an_update_fails_at_once() -> None:
    harness = Harness([ProtocolError("not SOAP"), None])
    with pytest.raises(ProtocolError):
        await harness.run(UPDATE)
    assert harness.transport.calls == 1
    assert "reconcile" not in harness.events


def test_needs_review_can_be_raised_without_an_operation() -> None:
    review = NeedsReview((5,), "one candidate, but claimed by another row")
    assert review.operation == ""
    assert (
        str(review) == "outcome unknown (one candidate, but claimed by another row); candidates: 5"
    )


# --- refusals for the rate ------------------------------------------------------------------
NOW = datetime(2026, 12, 1, 6, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("5", 5.0),
        (" 120 ", 120.0),
        ("0", 0.0),
        ("Tue, 01 Dec 2026 06:00:30 GMT", 30.0),
        ("Tue, 01 Dec 2026 05:59:00 GMT", 0.0),  # already past: go now
        (None, None),
        ("", None),
        ("soon", None),
        ("-5", None),
        ("1.5", None),  # delay-seconds is a whole number
        ("Tue, 01 Dec 2026 06:00:30 -0000", None),  # no zone: not an HTTP date
    ],
)
def test_retry_after_is_read_as_seconds_or_an_http_date(
    header: str | None, seconds: float | None
) -> None:
    assert parse_retry_after(header, NOW) == seconds


async def test_a_refusal_for_the_rate_waits_what_the_service_asked() -> None:
    harness = Harness([SlowDown("429", retry_after=3.0), 1057235])
    result = await harness.run(INSERT)
    assert result == CallResult(1057235, 2)
    assert harness.events == ["attempt 1", "call 1", "sleep", "attempt 2", "call 2"]
    assert harness.sleeps == [3.0]


async def test_a_refusal_without_retry_after_backs_off_and_a_long_one_is_capped() -> None:
    harness = Harness([SlowDown("429"), SlowDown("503", retry_after=3600.0), 7])
    assert await harness.run(INSERT) == CallResult(7, 3)
    assert 0.125 <= harness.sleeps[0] <= 0.25
    assert harness.sleeps[1] == 60.0


async def test_refusals_on_every_attempt_raise_the_last() -> None:
    errors = [SlowDown(f"429 #{n}", retry_after=1.0) for n in range(1, 5)]
    harness = Harness(list(errors))
    with pytest.raises(SlowDown) as raised:
        await harness.run(UPDATE)
    assert raised.value is errors[-1]
    assert harness.events.count("call 4") == 1
    assert harness.sleeps == [1.0] * (POLICY.max_attempts - 1)


async def test_an_exhausted_quota_stops_at_once_and_is_no_refusal_for_the_rate() -> None:
    harness = Harness([QuotaExceeded("Out of call volume quota."), 1])
    with pytest.raises(QuotaExceeded, match=r"42909.*Out of call volume quota"):
        await harness.run(INSERT)
    assert harness.events == ["attempt 1", "call 1"]
