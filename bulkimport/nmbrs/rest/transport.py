"""Sending one REST call: aiohttp under the rate limiter, bearer token and subscription key.
Does I/O.

`RestTransport` fills `bulkimport.backend.Transport` for REST: ONE attempt per `call` (a list
read is one page: the backend asks for each page as a read of its own, so a lost page is
retried alone), every outcome a value or one error of `bulkimport.errors`; retrying is the
caller's job (`bulkimport.retry`).

    no connection (refused, DNS, connect timeout)  RetryableError   certainly not sent
    reply timeout, disconnect, reset               OutcomeUnknown   the request may have run
    401                                            refresh the token once and send again (the
                                                   gateway refused it before handling); a
                                                   second 401: LoginExpired (exit 2, resumable)
    403 (40303 scope, 40304 subscription)          AuthenticationError  every call would fail
    404 40404 (the company)                        ConfigError      the run's target is gone
    404 other (40401: the employee)                RowFault         that row
    400 and other 4xx                              RowFault         code, title, detail and
                                                                    the invalid-params names
    429 42908                                      SlowDown         the limiter slows down;
                                                                    Retry-After is honoured
    429 42909                                      QuotaExceeded    stop the run, resumable
    5xx after a POST                               OutcomeUnknown   reconciled before a resend
    5xx otherwise                                  RetryableError
    2xx that is not JSON (a proxy's page)          ProtocolError    not retried (an insert is
                                                                    reconciled)
"""

from __future__ import annotations

import json
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Final, Protocol

import aiohttp

from bulkimport.backend import BackendOperation, Effect, TransportStats
from bulkimport.endpoints import check_endpoint
from bulkimport.errors import (
    AuthenticationError,
    ConfigError,
    LoginExpired,
    OutcomeUnknown,
    ProtocolError,
    QuotaExceeded,
    RetryableError,
    RowFault,
    SlowDown,
)
from bulkimport.http import api_session
from bulkimport.limiter import CallRateLimiter
from bulkimport.nmbrs.rest.codec import EncodedRequest, encode_request
from bulkimport.nmbrs.rest.schema import lookup_operation
from bulkimport.nmbrs.rest.table import RestOperation
from bulkimport.retry import parse_retry_after
from bulkimport.timeline import CallTimeline

__all__ = [
    "DryRunRestTransport",
    "RestSettings",
    "RestTransport",
    "TokenProvider",
    "describe_problem",
]

MAX_REPLY_BYTES: Final = 32 * 1024 * 1024
TOO_MANY_CALLS: Final = 42908
QUOTA_EXCEEDED: Final = 42909
COMPANY_NOT_FOUND: Final = 40404
LATENCY_SAMPLES: Final = 100_000
# A dry run's stand-in for the ids POSTs would have returned.
DRY_RUN_ID: Final = "00000000-0000-0000-0000-000000000000"


class TokenProvider(Protocol):
    """Access tokens (nmbrs.rest.tokens.TokenSource)."""

    profile: str

    async def access_token(self) -> str: ...

    async def refresh_after_401(self, rejected: str) -> str: ...


class RateLimiter(Protocol):
    async def acquire(self) -> Any: ...

    def note_refused(self) -> None: ...

    @property
    def refusals(self) -> int: ...

    @property
    def found_rate(self) -> float | None: ...

    @property
    def limit_published(self) -> bool: ...


@dataclass(frozen=True, slots=True)
class RestSettings:
    """Where the API is and how hard to call it. `rate` is the first guess at the limit Nmbrs
    does not publish; the limiter adapts it on 429s."""

    api_url: str
    subscription_key: str
    rate: float = 100.0
    concurrency: int = 100
    timeout: float = 30.0
    insecure: bool = False


def describe_problem(status: int, body: Any) -> tuple[int | None, str]:
    """Nmbrs' JSON error shape as (code, "title: detail (fields: a, b)") for the report."""
    if not isinstance(body, Mapping):
        return None, f"HTTP {status}"
    code = body.get("code")
    parts = [str(part) for part in (body.get("title"), body.get("detail")) if part]
    message = ": ".join(parts) or f"HTTP {status}"
    invalid = body.get("invalid-params")
    if isinstance(invalid, list) and invalid:
        named = [
            f"{item.get('name')} ({item.get('reason')})" if item.get("reason") else item.get("name")
            for item in invalid
            if isinstance(item, Mapping)
        ]
        message += "; invalid: " + ", ".join(str(name) for name in named)
    return (code if isinstance(code, int) and not isinstance(code, bool) else None), message


class RestTransport:
    """Nmbrs REST over aiohttp. Use as `async with RestTransport(...)`: the session and the
    limiter are made inside the running loop."""

    def __init__(
        self,
        settings: RestSettings,
        tokens: TokenProvider,
        *,
        limiter: RateLimiter | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._settings = settings
        self._tokens = tokens
        self._limiter = limiter
        self._clock = clock
        self._root = settings.api_url.rstrip("/")
        self._session: aiohttp.ClientSession | None = None
        self._calls = 0
        self._latencies: deque[float] = deque(maxlen=LATENCY_SAMPLES)
        self.timeline = CallTimeline()  # calls and 429 refusals per second, for the HTML report

    @property
    def stats(self) -> TransportStats:
        limiter = self._limiter
        if limiter is None:
            return TransportStats(self._calls, limit_published=False)
        return TransportStats(
            self._calls,
            refused=limiter.refusals,
            found_rate=limiter.found_rate,
            limit_published=limiter.limit_published,
        )

    @property
    def latencies(self) -> tuple[float, ...]:
        return tuple(self._latencies)

    async def __aenter__(self) -> RestTransport:
        check_endpoint(self._root + "/", insecure=self._settings.insecure)
        if self._limiter is None:
            self._limiter = CallRateLimiter(self._settings.rate, limit_published=False)
        self._session = api_session(
            concurrency=self._settings.concurrency,
            timeout=self._settings.timeout,
            headers={"Accept": "application/json"},
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def call(self, step: BackendOperation, values: Mapping[str, Any]) -> Any:
        operation = lookup_operation(step.name)
        request = encode_request(operation, values)  # SchemaViolation before anything is sent
        return _result(operation, await self._send(operation, request))

    async def _send(self, operation: RestOperation, request: EncodedRequest) -> Any:
        token = await self._tokens.access_token()
        status, body, retry_after = await self._attempt(operation, request, token)
        if status == 401:  # refused at the gateway, before handling: safe to send again
            token = await self._tokens.refresh_after_401(token)
            status, body, retry_after = await self._attempt(operation, request, token)
            if status == 401:
                raise LoginExpired(
                    self._tokens.profile, "Nmbrs refuses the access token even after a refresh"
                )
        return self._interpret(operation, status, body, retry_after)

    async def _attempt(
        self, operation: RestOperation, request: EncodedRequest, token: str
    ) -> tuple[int, Any, float | None]:
        session, limiter = self._session, self._limiter
        if session is None or limiter is None:
            raise RuntimeError("RestTransport must be used as `async with RestTransport(...)`")
        url = self._root + request.path
        headers = {
            "Authorization": f"Bearer {token}",
            "X-Subscription-Key": self._settings.subscription_key,
        }
        data = None
        if request.body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(request.body).encode()
        await limiter.acquire()
        self._calls += 1
        started = self._clock()
        self.timeline.count_call(started)
        try:
            async with session.request(
                operation.method,
                url,
                params=request.query,
                data=data,
                headers=headers,
                allow_redirects=False,
            ) as response:
                raw = await _read_bounded(operation, response)
                status = response.status
                retry_after = parse_retry_after(
                    response.headers.get("Retry-After"), datetime.now(UTC)
                )
                content_type = response.content_type
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
        self._latencies.append(self._clock() - started)
        body: Any = None
        if raw and content_type in ("application/json", "application/problem+json"):
            try:
                body = json.loads(raw)
            except ValueError:
                body = _NOT_JSON
        elif raw:
            body = _NOT_JSON
        return status, body, retry_after

    def _interpret(
        self, operation: RestOperation, status: int, body: Any, retry_after: float | None
    ) -> Any:
        name = operation.name
        if 200 <= status < 300:
            if body is _NOT_JSON:
                raise ProtocolError(f"{name}: HTTP {status} but the reply is not JSON")
            return body
        code, message = describe_problem(status, body)
        if status == 429:
            if code == QUOTA_EXCEEDED:
                raise QuotaExceeded(message)
            assert self._limiter is not None
            self._limiter.note_refused()  # refused for the rate: the limiter finds the limit
            # The gateway refuses at once: the second it answers is the second it was sent.
            self.timeline.count_penalised(self._clock())
            raise SlowDown(f"{name}: HTTP 429 {message}", retry_after=retry_after)
        if status >= 500:
            text = f"{name}: HTTP {status} {message}"
            if operation.effect is Effect.INSERT:
                raise OutcomeUnknown(text)
            raise RetryableError(text)
        if status == 403:
            raise AuthenticationError(code or 403, message)
        if status == 404 and code == COMPANY_NOT_FOUND:
            raise ConfigError(f"{name}: the company is not there ({code}: {message})")
        if 400 <= status < 500:
            raise RowFault(name, code, message)
        raise ProtocolError(f"{name}: unexpected HTTP {status}")


_NOT_JSON: Final = object()


async def _read_bounded(operation: RestOperation, response: aiohttp.ClientResponse) -> bytes:
    """The whole reply body, refused beyond MAX_REPLY_BYTES (no unbounded memory)."""
    length = response.content_length
    if length is not None and length > MAX_REPLY_BYTES:
        raise ProtocolError(f"{operation.name}: a reply of {length} bytes is too large")
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_any():
        size += len(chunk)
        if size > MAX_REPLY_BYTES:
            raise ProtocolError(f"{operation.name}: the reply exceeds {MAX_REPLY_BYTES} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _result(operation: RestOperation, body: Any) -> Any:
    """What a call gives the core: a POST's new id; a read's answer as it came (the backend
    reads it); nothing for a PUT."""
    if operation.effect is Effect.INSERT and operation.result is not None:
        new_id = body.get(operation.result.name) if isinstance(body, Mapping) else None
        if not isinstance(new_id, str) or not new_id:
            raise ProtocolError(f"{operation.name}: the 201 answer carries no new id")
        return new_id
    if operation.effect is Effect.UPDATE:
        return None
    if not isinstance(body, Mapping):
        raise ProtocolError(f"{operation.name}: the answer is not a JSON object")
    return body


class DryRunRestTransport:
    """Builds every request as it would be sent (so a value the document refuses fails the
    row) and sends nothing; a POST gives back a stand-in id."""

    @property
    def stats(self) -> TransportStats:
        return TransportStats(limit_published=False)

    async def call(self, step: BackendOperation, values: Mapping[str, Any]) -> Any:
        operation = lookup_operation(step.name)
        encode_request(operation, values)
        if operation.effect is Effect.INSERT:
            return DRY_RUN_ID
        return None
