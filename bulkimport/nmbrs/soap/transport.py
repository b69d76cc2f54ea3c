"""Sending one SOAP call: the only module that imports aiohttp and the rate limiter. Does I/O.

`AiohttpTransport` and `DryRunTransport` fill `bulkimport.backend.Transport` for SOAP.
`AiohttpTransport` makes ONE attempt per `call` and turns every outcome into a value or one
error of `bulkimport.errors`; retrying is the caller's job (`bulkimport.retry`).

How replies and failures are sorted:

    no connection (refused, DNS, connect timeout)  RetryableError  request certainly not sent
    TLS certificate not valid                      ConfigError     every call would fail
    reply timeout, disconnect, reset, bad payload  OutcomeUnknown  the request may have run
    HTTP 429, or 503 with Retry-After, no fault    SlowDown        refused for the rate before
                                                                   handling: wait Retry-After
    HTTP 503 without a SOAP fault                  RetryableError  refused before handling
    HTTP 500 without a SOAP fault (HTML page)      RetryableError  ASMX answers a method that
                                                                   ran with a SOAP fault, so
                                                                   the method did not run
    HTTP 502, 504, other 5xx without a fault       OutcomeUnknown  a gateway gave up waiting:
                                                                   the service may have run it
    HTTP 404 / 405                                 ConfigError     no such service at the URL
    fault 1006                                     RetryableError  Nmbrs: "retrying tends to
                                                                   solve the issue"
    faults 1000-1004, 2042-2044                    AuthenticationError
    any other fault (2xxx, 9999, soap:Client)      RowFault
    reply unreadable, hostile (DTD, entities),     ProtocolError   not retried
    oversize, other status, not the expected
    response element

Values the operation table refuses raise `bulkimport.backend.SchemaViolation` before anything is
sent or any limiter slot is taken; `DryRunTransport` raises exactly the same.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import math
import time
from collections import deque
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Final, Protocol

import aiohttp

from bulkimport.backend import (
    BackendOperation,
    Effect,
    SchemaViolation,
    Transport,
    TransportStats,
)
from bulkimport.config import Credentials, TransportSettings
from bulkimport.endpoints import check_endpoint
from bulkimport.errors import (
    AuthenticationError,
    ConfigError,
    OutcomeUnknown,
    ProtocolError,
    RetryableError,
    RowFault,
    SlowDown,
)
from bulkimport.http import api_session
from bulkimport.limiter import Admission, CallRateLimiter
from bulkimport.nmbrs.soap.envelope import (
    MAX_DOCUMENT_BYTES,
    Fault,
    UnsafeXml,
    build_request,
    parse_reply,
)
from bulkimport.nmbrs.soap.schema import ComplexType, Field, Operation, find_operation
from bulkimport.retry import parse_retry_after
from bulkimport.timeline import CallTimeline

__all__ = [
    "AUTHENTICATION_FAULT_CODES",
    "RETRYABLE_FAULT_CODES",
    "AiohttpTransport",
    "DryRunTransport",
    "LatencyBaseline",
    "RateLimiter",
    "Transport",
    "TransportStats",
    "check_endpoint",
    "classify_fault",
]

CONTENT_TYPE: Final = "text/xml; charset=utf-8"
RETRYABLE_FAULT_CODES: Final = frozenset({1006})
AUTHENTICATION_FAULT_CODES: Final = frozenset({1000, 1001, 1002, 1003, 1004, 2042, 2043, 2044})
# Nmbrs delays calls beyond its cap by 0.5 s; a reply this much slower than usual shows it.
THROTTLE_THRESHOLD: Final = 0.45
# A call this much slower than usual, no reply yet, is suspected: the limiter holds until the
# reply tells, rather than sending ~0.3 s more calls into a budget that others may have taken.
SUSPICION_THRESHOLD: Final = 0.15
LAG_TICK: Final = 0.02  # seconds between the wake-ups of the event-loop lag probe
LAG_SLACK: Final = 0.005  # a wake-up this late is timer rounding, not lag
LATENCY_SAMPLES: Final = 100_000
_REFUSED_BEFORE_HANDLING: Final = frozenset({500, 503})


class RateLimiter(Protocol):
    """What the transport needs of a limiter (CallRateLimiter; tests pass counting fakes)."""

    async def acquire(self) -> Admission: ...

    def note_throttled(self, admission: Admission) -> None: ...

    def note_suspected(self, admission: Admission) -> None: ...

    def note_spread(self, seconds: float) -> None: ...

    def note_lag(self, seconds: float) -> None: ...

    def note_refused(self) -> None: ...

    @property
    def refusals(self) -> int: ...

    @property
    def found_rate(self) -> float | None: ...

    @property
    def limit_published(self) -> bool: ...


def classify_fault(operation: Operation, fault: Fault) -> Exception:
    """The error a SOAP fault stands for (returned, not raised, so callers keep the context)."""
    if fault.code in RETRYABLE_FAULT_CODES:
        return RetryableError(f"{operation.name}: Nmbrs fault {fault.code}: {fault.message}")
    if fault.code in AUTHENTICATION_FAULT_CODES:
        return AuthenticationError(fault.code, fault.message)
    return RowFault(operation.name, fault.code, fault.message)


class LatencyBaseline:
    """A low quantile of recent reply times: what a call costs when Nmbrs does not delay it.

    A low quantile, not a mean, so that the throttled replies themselves barely move it; it
    still follows a server that really became slower once most calls are slower. Also the
    spread (5th to 95th percentile) of the replies not penalised, which bounds the network
    jitter the limiter allows for: with the penalised ones in it, a run penalised on more than
    one call in twenty read Nmbrs' half second as jitter, kept half a second of calls free, and
    never saw that others shared the account (simulated bursty others: 48% of calls penalised).
    """

    def __init__(self, *, size: int = 64, quantile: float = 0.2, min_samples: int = 8) -> None:
        self._samples: deque[float] = deque(maxlen=size)
        self._unpenalised: deque[float] = deque(maxlen=size)
        self._quantile = quantile
        self._min_samples = min_samples
        self._baseline: float | None = None
        self._spread: float | None = None
        self._since_update = 0

    @property
    def value(self) -> float | None:
        """None until enough replies were seen to judge."""
        return self._baseline

    @property
    def spread(self) -> float | None:
        """Seconds between the 5th and the 95th percentile; None until `value` is known."""
        return self._spread

    def add(self, latency: float, *, penalised: bool = False) -> None:
        self._samples.append(latency)
        if not penalised:
            self._unpenalised.append(latency)
        self._since_update += 1
        # Sorting 64 floats on every call would cost more than the rest of the bookkeeping.
        if len(self._samples) >= self._min_samples and (
            self._baseline is None or self._since_update >= 8
        ):
            ordered = sorted(self._samples)
            last = len(ordered) - 1
            self._baseline = ordered[int(self._quantile * last)]
            if len(self._unpenalised) >= self._min_samples:
                usual = sorted(self._unpenalised)
                last = len(usual) - 1
                self._spread = usual[round(0.95 * last)] - usual[round(0.05 * last)]
            self._since_update = 0


class AiohttpTransport:
    """SOAP 1.1 over aiohttp, under the rate limiter. Use as `async with AiohttpTransport(...)`.

    The session, connector and limiter are created in `__aenter__`, inside the running loop.
    The connector allows `settings.concurrency` connections: at the cap, calls in flight are
    rate x (latency + 0.5 s penalty), which exceeds aiohttp's default of 100.
    """

    def __init__(
        self,
        settings: TransportSettings,
        *,
        limiter: RateLimiter | None = None,
        throttle_threshold: float = THROTTLE_THRESHOLD,
        baseline: LatencyBaseline | None = None,
        max_reply_bytes: int = MAX_DOCUMENT_BYTES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._settings = settings
        self._limiter = limiter
        self._throttle_threshold = throttle_threshold
        self._baseline = baseline or LatencyBaseline()
        self._max_reply_bytes = max_reply_bytes
        self._clock = clock
        self._session: aiohttp.ClientSession | None = None
        self._root = (
            settings.base_url if settings.base_url.endswith("/") else settings.base_url + "/"
        )
        # Per operation: its URL and headers, built once (every call of a run reuses them).
        self._addresses: dict[tuple[str, str], tuple[str, dict[str, str]]] = {}
        self._calls = 0
        self._throttled = 0
        # Calls awaiting their reply and not yet suspected, oldest first: number -> start, slot.
        self._in_flight: dict[int, tuple[float, Admission]] = {}
        # How late this event loop runs: a reply that waited for a busy client (CPU
        # starvation, a stall) is late through no doing of Nmbrs, so that time is not counted
        # as the server's when judging whether a call was penalised.
        self._lag_probe: asyncio.Task[None] | None = None
        self._lag_probe_due = math.inf  # when the probe should wake next
        # The loop's clock, taken in __aenter__: asking for the running loop on every call
        # costs a getpid() system call each time (CPython checks for a fork).
        self._loop_time: Callable[[], float] | None = None
        self._last_lag, self._last_lag_at = 0.0, -math.inf  # its last wake-up: how late, when
        # Recent reply times for the benchmark's percentiles; bounded, so a long run stays flat.
        self._latencies: deque[float] = deque(maxlen=LATENCY_SAMPLES)
        self.timeline = CallTimeline()  # calls and penalties per second, for the HTML report

    @property
    def stats(self) -> TransportStats:
        limiter = self._limiter
        if limiter is None:
            return TransportStats(self._calls, self._throttled)
        return TransportStats(
            self._calls,
            self._throttled,
            refused=limiter.refusals,
            found_rate=limiter.found_rate,
            limit_published=limiter.limit_published,
        )

    @property
    def latencies(self) -> tuple[float, ...]:
        """Seconds from sending to the reply, for the most recent calls that got one."""
        return tuple(self._latencies)

    async def __aenter__(self) -> AiohttpTransport:
        check_endpoint(self._settings.base_url, insecure=self._settings.insecure)
        if self._limiter is None:
            self._limiter = CallRateLimiter(self._settings.rate)
        self._session = api_session(
            concurrency=self._settings.concurrency, timeout=self._settings.timeout, headers={}
        )
        self._loop_time = asyncio.get_running_loop().time
        self._lag_probe = asyncio.ensure_future(self._measure_loop_lag(self._loop_time))
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._lag_probe is not None:
            self._lag_probe.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._lag_probe
            self._lag_probe = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def call(self, step: BackendOperation, values: Mapping[str, Any]) -> Any:
        operation = find_operation(step.service, step.name)
        session, limiter = self._session, self._limiter
        if session is None or limiter is None:
            raise RuntimeError(
                "AiohttpTransport must be used as `async with AiohttpTransport(...)`"
            )
        body = build_request(operation, values, self._settings.credentials)
        url, headers = self._address_of(operation)
        admission = await limiter.acquire()
        self._calls += 1
        number = self._calls
        started = self._clock()
        self.timeline.count_call(started)
        self._watch_oldest(started)
        self._in_flight[number] = (started, admission)
        try:
            async with session.post(
                url, data=body, headers=headers, allow_redirects=False
            ) as response:
                document = await self._read_bounded(operation, response)
                status = response.status
                retry_header = response.headers.get("Retry-After")
                retry_after = (
                    None
                    if retry_header is None
                    else parse_retry_after(retry_header, datetime.now(UTC))
                )
        except aiohttp.ConnectionTimeoutError as exc:
            raise RetryableError(f"{operation.name}: no connection to {url} in time") from exc
        except TimeoutError as exc:  # after the request went out; ServerTimeoutError is one too
            raise OutcomeUnknown(f"{operation.name}: no reply from {url} in time") from exc
        except aiohttp.ClientConnectorCertificateError as exc:
            raise ConfigError(f"the TLS certificate of {url} is not valid: {exc}") from exc
        except aiohttp.ClientConnectorError as exc:
            raise RetryableError(f"{operation.name}: cannot connect to {url}: {exc}") from exc
        except aiohttp.ClientError as exc:  # disconnected, reset, broken payload, ...
            raise OutcomeUnknown(f"{operation.name}: connection lost: {exc!r}") from exc
        finally:
            self._in_flight.pop(number, None)
        replied = self._clock()
        latency = replied - started
        self._observe(latency, latency - self._loop_lag(), admission)
        try:
            return self._interpret(operation, url, status, document, retry_after)
        except SlowDown:
            limiter.note_refused()  # refused for the rate: the limiter finds what is allowed
            raise

    def _address_of(self, operation: Operation) -> tuple[str, dict[str, str]]:
        """The operation's URL and request headers."""
        address = self._addresses.get(operation.key)
        if address is None:
            url = f"{self._root}{operation.service}.asmx"
            # Quoted, as on Nmbrs' own help pages.
            headers = {"Content-Type": CONTENT_TYPE, "SOAPAction": f'"{operation.soap_action}"'}
            address = self._addresses[operation.key] = (url, headers)
        return address

    async def _read_bounded(self, operation: Operation, response: aiohttp.ClientResponse) -> bytes:
        limit = self._max_reply_bytes
        if response.content_length is not None and response.content_length > limit:
            raise ProtocolError(
                f"{operation.name}: reply of {response.content_length} bytes exceeds {limit}"
            )
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.content.iter_any():
            size += len(chunk)
            if size > limit:
                raise ProtocolError(f"{operation.name}: reply exceeds {limit} bytes")
            chunks.append(chunk)
        return b"".join(chunks)

    def _watch_oldest(self, now: float) -> None:
        """Tell the limiter about the oldest call in flight once it is late enough to suspect.

        Only the oldest: the check runs at every call start, so it stays O(1) per call.
        """
        baseline, spread = self._baseline.value, self._baseline.spread
        if baseline is None or spread is None or not self._in_flight:
            return
        number, (started, admission) = next(iter(self._in_flight.items()))
        waited = now - started - self._loop_lag()
        late = max(SUSPICION_THRESHOLD, 2 * spread)
        if waited >= baseline + min(late, self._throttle_threshold):
            del self._in_flight[number]  # suspected once; the next oldest is watched next
            assert self._limiter is not None  # set in __aenter__, checked in call()
            self._limiter.note_suspected(admission)

    async def _measure_loop_lag(self, loop_time: Callable[[], float]) -> None:
        # On the loop's own clock, not the injected one: lateness is the loop's, and a test's
        # fake clock must not turn its own jumps into lag.
        while True:
            self._lag_probe_due = loop_time() + LAG_TICK
            await asyncio.sleep(LAG_TICK)
            self._last_lag_at = loop_time()
            self._last_lag = self._last_lag_at - self._lag_probe_due
            if self._last_lag > LAG_SLACK and self._limiter is not None:
                self._limiter.note_lag(self._last_lag)  # calls admitted before went out late

    def _loop_lag(self) -> float:
        """How late this loop runs right now: the probe's wake-up just before, or its overdue.

        A reply that came in while the loop was busy is handled that much later; lateness
        earlier in the call's flight delayed other work, not this reply.
        """
        loop_time = self._loop_time
        assert loop_time is not None  # set in __aenter__, before any call
        now = loop_time()
        lag = now - self._lag_probe_due
        if now - self._last_lag_at <= LAG_TICK:
            lag = max(lag, self._last_lag)
        return lag if lag > LAG_SLACK else 0.0

    def _observe(self, latency: float, server_latency: float, admission: Admission) -> None:
        """Record a reply time; `server_latency` leaves out the time this loop ran late."""
        self._latencies.append(latency)
        limiter = self._limiter
        assert limiter is not None  # set in __aenter__, checked in call()
        baseline = self._baseline.value
        penalised = baseline is not None and server_latency >= baseline + self._throttle_threshold
        if penalised:
            self._throttled += 1
            self.timeline.count_penalised(self._clock() - latency)
            limiter.note_throttled(admission)
        self._baseline.add(server_latency, penalised=penalised)
        spread = self._baseline.spread
        if spread is not None:
            limiter.note_spread(spread)

    def _interpret(
        self,
        operation: Operation,
        url: str,
        status: int,
        document: bytes,
        retry_after: float | None,
    ) -> Any:
        try:
            reply = parse_reply(operation, document)
        except (UnsafeXml, SchemaViolation) as exc:
            if status == 200:
                raise ProtocolError(f"{operation.name}: unusable reply: {exc}") from exc
            raise _status_error(operation, url, status, retry_after) from exc
        if isinstance(reply, Fault):
            raise classify_fault(operation, reply)
        if status != 200:
            raise _status_error(operation, url, status, retry_after)
        return reply.value


def _status_error(
    operation: Operation, url: str, status: int, retry_after: float | None
) -> Exception:
    what = f"{operation.name}: HTTP {status} without a SOAP fault"
    if status == 429 or (status == 503 and retry_after is not None):
        return SlowDown(what, retry_after=retry_after)
    if status in _REFUSED_BEFORE_HANDLING:
        return RetryableError(what)
    if status >= 500:
        return OutcomeUnknown(what)
    if status in (404, 405):
        return ConfigError(f"no SOAP service answers at {url} (HTTP {status}): check the endpoint")
    return ProtocolError(what)


class DryRunTransport:
    """Builds every envelope (so values the table refuses fail exactly as in a real run),
    counts it, sends nothing, and answers with a stand-in:

    - inserts: a unique negative id (-1, -2, ...), never a real Nmbrs id;
    - void operations: None;
    - reads: what an empty result element decodes to: a dict holding only its lists, empty,
      or None for a simple result. (The pipeline sends the reads it depends on, such as the
      employee directory and merge reads, through a real transport.)
    """

    def __init__(self, credentials: Credentials) -> None:
        self._credentials = credentials
        self._calls = 0
        self._next_id = itertools.count(1)

    @property
    def stats(self) -> TransportStats:
        return TransportStats(self._calls, 0)

    async def call(self, step: BackendOperation, values: Mapping[str, Any]) -> Any:
        operation = find_operation(step.service, step.name)
        build_request(operation, values, self._credentials)
        self._calls += 1
        if operation.result is None:
            return None
        if operation.effect is Effect.INSERT:
            return -next(self._next_id)
        return _empty_value(operation.result)


def _empty_value(result: Field) -> Any:
    """What parse_reply decodes from an empty result element."""
    if isinstance(result.type, ComplexType):
        return {child.name: [] for child in result.type.fields if child.repeated}
    return None
