"""AiohttpTransport against real servers on 127.0.0.1: the emulator, and a small scripted app
for the replies the emulator does not give (gateway errors, redirects, oversize, odd XML)."""

from __future__ import annotations

import asyncio
import random
import shutil
import socket
import ssl
import subprocess
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bulkimport.backend import SchemaViolation
from bulkimport.config import Credentials, RetryPolicy, TransportSettings
from bulkimport.emulator import DEFAULT_EMPLOYEE_TYPE, RunningEmulator
from bulkimport.errors import (
    AuthenticationError,
    ConfigError,
    OutcomeUnknown,
    ProtocolError,
    RetryableError,
    RowFault,
    SlowDown,
)
from bulkimport.limiter import Admission
from bulkimport.nmbrs.soap.envelope import build_fault, build_response, split_request
from bulkimport.nmbrs.soap.schema import lookup_operation
from bulkimport.nmbrs.soap.transport import (
    AiohttpTransport,
    DryRunTransport,
    LatencyBaseline,
    TransportStats,
    check_endpoint,
)
from bulkimport.retry import Found, NotFound, Reconciled, call_with_retries

INSERT = lookup_operation("Employee_Insert")
LIST = lookup_operation("List_GetByCompany")
PERSONAL_INFO = lookup_operation("PersonalInfo_GetCurrent")
UPDATE = lookup_operation("PersonalInfo_UpdateCurrent")
PERIOD = lookup_operation("Company_GetCurrentPeriod")
COMPANY = 54613
NEW_HIRE = {
    "FirstName": "Jan",
    "LastName": "Jansen",
    "StartDate": date(2026, 11, 1),
    "CompanyId": COMPANY,
    "UnprotectedMode": False,
}
CREDENTIALS = Credentials("api-user@example.nl", "0123456789abcdef", "mycompany")
NO_WAIT_POLICY = RetryPolicy(max_attempts=3, base_delay=0.0, max_delay=0.0)


class CountingLimiter:
    """Lets every call through at once and counts what the transport asks of it."""

    def __init__(self) -> None:
        self.acquired = 0
        self.throttle_signals: list[Admission] = []
        self.suspected: list[Admission] = []
        self.spread: float | None = None
        self.lags: list[float] = []
        self.refusals = 0
        self.found_rate: float | None = None
        self.limit_published = True

    async def acquire(self) -> Admission:
        self.acquired += 1
        return Admission(at=float(self.acquired), load=self.acquired)

    def note_throttled(self, admission: Admission) -> None:
        self.throttle_signals.append(admission)

    def note_suspected(self, admission: Admission) -> None:
        self.suspected.append(admission)

    def note_spread(self, seconds: float) -> None:
        self.spread = seconds

    def note_lag(self, seconds: float) -> None:
        self.lags.append(seconds)

    def note_refused(self) -> None:
        self.refusals += 1


async def no_sleep(seconds: float) -> None:
    return None


def settings_for(base_url: str, **changes: Any) -> TransportSettings:
    values: dict[str, Any] = {"credentials": CREDENTIALS, "timeout": 5.0}
    values.update(changes)
    return TransportSettings(base_url, **values)


# --- against the emulator -------------------------------------------------------------------
@pytest.fixture
async def transport(emulator: RunningEmulator) -> AsyncIterator[AiohttpTransport]:
    settings = settings_for(emulator.base_url, credentials=emulator.credentials)
    async with AiohttpTransport(settings) as opened:
        yield opened


async def test_an_insert_returns_the_new_id(
    emulator: RunningEmulator, transport: AiohttpTransport
) -> None:
    employee_id = await transport.call(INSERT, NEW_HIRE)
    assert isinstance(employee_id, int)
    assert employee_id in emulator.state.employees
    assert transport.stats == TransportStats(calls=1, throttled=0)


async def test_a_read_returns_decoded_records(transport: AiohttpTransport) -> None:
    listed = await transport.call(
        LIST, {"CompanyId": COMPANY, "EmployeeType": DEFAULT_EMPLOYEE_TYPE}
    )
    assert listed["Employee"]
    assert all(isinstance(employee["Id"], int) for employee in listed["Employee"])


@pytest.mark.parametrize(
    "name",
    [
        "<b>&amp; ]]> \"quoted\" 'single'",
        "Zoë 😀 Ünïcödé",
        "שלום עליכם",  # right-to-left
        "مرحبا \u200fبالعالم",  # noqa: RUF001 - right-to-left text, with a right-to-left mark
        "tab\tand  double  spaces",
    ],
)
async def test_awkward_values_round_trip_exactly(transport: AiohttpTransport, name: str) -> None:
    employee_id = await transport.call(INSERT, {**NEW_HIRE, "FirstName": name})
    stored = await transport.call(PERSONAL_INFO, {"EmployeeId": employee_id})
    assert stored["FirstName"] == name


async def test_a_business_fault_is_a_row_fault_with_its_code(transport: AiohttpTransport) -> None:
    with pytest.raises(RowFault) as raised:
        await transport.call(LIST, {"CompanyId": 1, "EmployeeType": DEFAULT_EMPLOYEE_TYPE})
    assert raised.value.fault_code == 2004
    assert raised.value.operation == "List_GetByCompany"


async def test_refused_credentials_stop_the_run(emulator: RunningEmulator) -> None:
    settings = settings_for(emulator.base_url, credentials=Credentials("x@example.nl", "wrong"))
    async with AiohttpTransport(settings) as transport:
        with pytest.raises(AuthenticationError) as raised:
            await transport.call(INSERT, NEW_HIRE)
    assert raised.value.fault_code == 1001


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("http_503", RetryableError),
        ("http_500", RetryableError),
        ("drop", OutcomeUnknown),
        ("lost_reply", OutcomeUnknown),
        ("hostile_reply", ProtocolError),
    ],
)
async def test_injected_failures_are_sorted(
    emulator: RunningEmulator, transport: AiohttpTransport, mode: str, expected: type[Exception]
) -> None:
    emulator.script(mode, operation="Employee_Insert")
    with pytest.raises(expected) as raised:
        await transport.call(INSERT, NEW_HIRE)
    if expected is RetryableError:
        assert not isinstance(raised.value, OutcomeUnknown)  # safe to resend an insert


async def test_a_hanging_server_times_out_as_outcome_unknown(emulator: RunningEmulator) -> None:
    emulator.script("hang", operation="Employee_Insert")
    settings = settings_for(emulator.base_url, credentials=emulator.credentials, timeout=0.3)
    async with AiohttpTransport(settings) as transport:
        with pytest.raises(OutcomeUnknown, match="no reply"):
            await transport.call(INSERT, NEW_HIRE)


@pytest.mark.parametrize(
    ("mode", "fault_code"), [("nmbrs_fault", 1006), ("http_503", 1006), ("http_500", 1006)]
)
async def test_transient_failures_then_success_through_the_retry_driver(
    emulator: RunningEmulator, mode: str, fault_code: int
) -> None:
    emulator.script(mode, operation="Employee_Insert", count=2, fault_code=fault_code)
    limiter = CountingLimiter()
    settings = settings_for(emulator.base_url, credentials=emulator.credentials)
    async with AiohttpTransport(settings, limiter=limiter) as transport:
        result = await call_with_retries(
            transport, INSERT, NEW_HIRE, policy=NO_WAIT_POLICY, rng=random.Random(1), sleep=no_sleep
        )
    assert result.attempts == 3
    assert result.value in emulator.state.employees
    assert limiter.acquired == 3  # every attempt passed the limiter
    assert transport.stats.calls == 3


async def test_a_dropped_insert_is_reconciled_through_the_limiter_too(
    emulator: RunningEmulator,
) -> None:
    """The reconciliation read and the resend each take a slot like any other call."""
    emulator.script("drop", operation="Employee_Insert")
    limiter = CountingLimiter()
    settings = settings_for(emulator.base_url, credentials=emulator.credentials)
    async with AiohttpTransport(settings, limiter=limiter) as transport:
        before = await transport.call(
            LIST, {"CompanyId": COMPANY, "EmployeeType": DEFAULT_EMPLOYEE_TYPE}
        )

        async def reconcile() -> Reconciled:
            now = await transport.call(
                LIST, {"CompanyId": COMPANY, "EmployeeType": DEFAULT_EMPLOYEE_TYPE}
            )
            new = {e["Id"] for e in now["Employee"]} - {e["Id"] for e in before["Employee"]}
            return Found(new.pop()) if new else NotFound()

        result = await call_with_retries(
            transport,
            INSERT,
            NEW_HIRE,
            policy=NO_WAIT_POLICY,
            rng=random.Random(1),
            sleep=no_sleep,
            reconcile=reconcile,
        )
    assert result.attempts == 2 and not result.reconciled  # the drop happened before handling
    assert limiter.acquired == 4  # list, insert (dropped), list, insert


# --- against a scripted app -----------------------------------------------------------------
Responder = Callable[[web.Request], Awaitable[web.StreamResponse]]


class ScriptedServer:
    """An aiohttp.web app on 127.0.0.1 that answers with whatever the test sets."""

    def __init__(self) -> None:
        self.respond: Responder = self._echo_period
        self.requests: list[tuple[dict[str, str], bytes]] = []

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.requests.append((dict(request.headers), await request.read()))
        return await self.respond(request)

    @staticmethod
    async def _echo_period(request: web.Request) -> web.StreamResponse:
        return xml(build_response(PERIOD, "2026-11-M"))


def xml(body: bytes, status: int = 200) -> web.Response:
    return web.Response(body=body, status=status, content_type="text/xml", charset="utf-8")


@pytest.fixture
async def scripted() -> AsyncIterator[tuple[ScriptedServer, str]]:
    server = ScriptedServer()
    app = web.Application()
    app.router.add_post("/soap/v3/{service}", server.handle)
    test_server = TestServer(app, host="127.0.0.1")
    await test_server.start_server()
    try:
        yield server, str(test_server.make_url("/soap/v3/"))
    finally:
        await test_server.close()


async def test_requests_carry_the_soap_headers_and_the_envelope(
    scripted: tuple[ScriptedServer, str],
) -> None:
    server, base_url = scripted
    async with AiohttpTransport(settings_for(base_url)) as transport:
        assert await transport.call(PERIOD, {"CompanyId": COMPANY}) == "2026-11-M"
    headers, body = server.requests[0]
    assert headers["Content-Type"] == "text/xml; charset=utf-8"
    assert (
        headers["SOAPAction"]
        == '"https://api.nmbrs.nl/soap/v3/CompanyService/Company_GetCurrentPeriod"'
    )
    parts = split_request(body)
    assert parts.call.tag == "{https://api.nmbrs.nl/soap/v3/CompanyService}Company_GetCurrentPeriod"
    assert parts.header is not None and parts.header.findtext("{*}Token") == CREDENTIALS.token


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>
<Company_GetCurrentPeriodResponse xmlns="https://api.nmbrs.nl/soap/v3/CompanyService">
<Company_GetCurrentPeriodResult>&lol3;</Company_GetCurrentPeriodResult>
</Company_GetCurrentPeriodResponse></soap:Body></soap:Envelope>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>
<Company_GetCurrentPeriodResponse xmlns="https://api.nmbrs.nl/soap/v3/CompanyService">
<Company_GetCurrentPeriodResult>&xxe;</Company_GetCurrentPeriodResult>
</Company_GetCurrentPeriodResponse></soap:Body></soap:Envelope>"""
WRONG_ELEMENT = build_response(lookup_operation("Employee_Insert"), 5)


def fault(faultstring: str) -> bytes:
    return build_fault("soap:Server", faultstring)


REPLIES: list[tuple[str, int, bytes, type[Exception]]] = [
    ("billion-laughs", 200, BILLION_LAUGHS, ProtocolError),
    ("external-entity", 200, EXTERNAL_ENTITY, ProtocolError),
    ("html-200", 200, b"<html><body>Welcome</body></html>", ProtocolError),
    ("empty-200", 200, b"", ProtocolError),
    ("wrong-response-element", 200, WRONG_ELEMENT, ProtocolError),
    ("fault-2014", 500, fault("Server was unable to process request. ---> 2014: IBAN"), RowFault),
    ("fault-without-code", 500, fault("Server did not recognize the SOAPAction"), RowFault),
    ("fault-1003", 500, fault("---> 1003: Unauthorized Access Data"), AuthenticationError),
    ("fault-2043", 500, fault("---> 2043: Invalid domain"), AuthenticationError),
    ("fault-1006", 500, fault("---> 1006: Generic Login Security Failure"), RetryableError),
    ("fault-with-200", 200, fault("---> 2030: Invalid Set of Values"), RowFault),
    ("html-500", 500, b"<html><head><title>Runtime Error</title></head></html>", RetryableError),
    ("503", 503, b"", RetryableError),
    ("429", 429, b"slow down", SlowDown),
    ("502", 502, b"<html>Bad Gateway</html>", OutcomeUnknown),
    ("504", 504, b"", OutcomeUnknown),
    ("404", 404, b"Not Found", ConfigError),
    ("400", 400, b"", ProtocolError),
    ("redirect", 301, b"", ProtocolError),
]


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [pytest.param(status, body, expected, id=name) for name, status, body, expected in REPLIES],
)
async def test_replies_are_sorted_by_what_the_run_should_do(
    scripted: tuple[ScriptedServer, str], status: int, body: bytes, expected: type[Exception]
) -> None:
    server, base_url = scripted

    async def respond(request: web.Request) -> web.StreamResponse:
        headers = {"Location": "https://elsewhere.example/"} if status == 301 else None
        return web.Response(body=body, status=status, content_type="text/xml", headers=headers)

    server.respond = respond
    async with AiohttpTransport(settings_for(base_url)) as transport:
        with pytest.raises(expected) as raised:
            await transport.call(PERIOD, {"CompanyId": COMPANY})
    if expected is RetryableError:
        assert not isinstance(raised.value, OutcomeUnknown | SlowDown)
    if expected is RowFault:
        assert isinstance(raised.value, RowFault)
        assert raised.value.fault_code in (2014, 2030, None)
    assert len(server.requests) == 1  # no redirect followed, nothing resent


@pytest.mark.parametrize(
    ("status", "header", "retry_after"),
    [
        (429, "7", 7.0),
        (429, None, None),
        (429, "whenever", None),
        (503, "2", 2.0),
        (503, "Thu, 01 Jan 1970 00:00:00 GMT", 0.0),  # a date long past: go now
    ],
)
async def test_a_refusal_for_the_rate_is_slow_down_with_the_wait_asked_for(
    scripted: tuple[ScriptedServer, str], status: int, header: str | None, retry_after: float | None
) -> None:
    server, base_url = scripted

    async def respond(request: web.Request) -> web.StreamResponse:
        headers = {"Retry-After": header} if header is not None else None
        return web.Response(status=status, headers=headers)

    server.respond = respond
    async with AiohttpTransport(settings_for(base_url)) as transport:
        with pytest.raises(SlowDown) as raised:
            await transport.call(PERIOD, {"CompanyId": COMPANY})
        assert transport.stats.refused == 1  # its limiter heard the refusal
    assert raised.value.retry_after == retry_after
    assert len(server.requests) == 1


async def test_a_gateway_error_on_an_insert_is_an_unknown_outcome(
    scripted: tuple[ScriptedServer, str],
) -> None:
    server, base_url = scripted

    async def respond(request: web.Request) -> web.StreamResponse:
        return web.Response(status=504)

    server.respond = respond
    async with AiohttpTransport(settings_for(base_url)) as transport:
        with pytest.raises(OutcomeUnknown):
            await transport.call(INSERT, NEW_HIRE)


async def test_an_oversize_reply_is_refused_without_reading_it_all(
    scripted: tuple[ScriptedServer, str],
) -> None:
    server, base_url = scripted

    async def respond(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/xml"})
        await response.prepare(request)
        for _ in range(64):  # chunked: no Content-Length to refuse up front
            await response.write(b"<a>" + b"x" * 1024 + b"</a>")
        await response.write_eof()
        return response

    server.respond = respond
    async with AiohttpTransport(settings_for(base_url), max_reply_bytes=16 * 1024) as transport:
        with pytest.raises(ProtocolError, match="exceeds"):
            await transport.call(PERIOD, {"CompanyId": COMPANY})


async def test_a_refused_connection_is_retryable_and_certainly_not_sent() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with AiohttpTransport(settings_for(f"http://127.0.0.1:{port}/soap/v3/")) as transport:
        with pytest.raises(RetryableError) as raised:
            await transport.call(INSERT, NEW_HIRE)
    assert not isinstance(raised.value, OutcomeUnknown)


async def test_a_slow_reply_signals_the_throttle_to_the_limiter(
    scripted: tuple[ScriptedServer, str],
) -> None:
    server, base_url = scripted
    slow = asyncio.Event()
    clock = [100.0]  # the transport's clock; only the server moves it, so a busy CPU cannot

    async def respond(request: web.Request) -> web.StreamResponse:
        # 0.3 s stands in for Nmbrs' half-second penalty, 0.01 s for an ordinary reply.
        clock[0] += 0.3 if slow.is_set() else 0.01
        return xml(build_response(PERIOD, "2026-11-M"))

    server.respond = respond
    limiter = CountingLimiter()
    transport = AiohttpTransport(
        settings_for(base_url),
        limiter=limiter,
        throttle_threshold=0.2,
        baseline=LatencyBaseline(min_samples=4),
        clock=lambda: clock[0],
    )
    async with transport:
        for _ in range(6):
            await transport.call(PERIOD, {"CompanyId": COMPANY})
        assert limiter.throttle_signals == []
        assert limiter.spread is not None and limiter.spread < 0.2
        slow.set()
        await transport.call(PERIOD, {"CompanyId": COMPANY})
    assert limiter.throttle_signals == [Admission(at=7.0, load=7)]  # the slow call's own slot
    assert transport.stats == TransportStats(calls=7, throttled=1)
    assert transport.stats.throttled == 1


async def test_a_reply_late_because_this_process_stalled_is_not_taken_for_the_penalty(
    scripted: tuple[ScriptedServer, str],
) -> None:
    server, base_url = scripted
    answered = asyncio.Event()

    async def respond(request: web.Request) -> web.StreamResponse:
        answered.set()
        return xml(build_response(PERIOD, "2026-11-M"))

    server.respond = respond
    limiter = CountingLimiter()
    transport = AiohttpTransport(
        settings_for(base_url),
        limiter=limiter,
        throttle_threshold=0.2,
        baseline=LatencyBaseline(min_samples=4),
    )
    async with transport:
        for _ in range(6):
            await transport.call(PERIOD, {"CompanyId": COMPANY})
        answered.clear()
        call = asyncio.ensure_future(transport.call(PERIOD, {"CompanyId": COMPANY}))
        await answered.wait()
        time.sleep(0.5)  # noqa: ASYNC251 - the point: this event loop stalls with a reply due
        await call
    assert max(transport.latencies) >= 0.5  # the client saw a late reply ...
    assert limiter.throttle_signals == []  # ... but not Nmbrs' penalty
    assert transport.stats.throttled == 0


async def test_a_late_call_is_suspected_before_its_reply_when_the_next_call_starts(
    scripted: tuple[ScriptedServer, str],
) -> None:
    server, base_url = scripted
    slow = asyncio.Event()

    async def respond(request: web.Request) -> web.StreamResponse:
        if slow.is_set():
            slow.clear()  # only the first call after the switch is slow
            await asyncio.sleep(1.0)  # stands in for Nmbrs' half-second penalty
        return xml(build_response(PERIOD, "2026-11-M"))

    server.respond = respond
    limiter = CountingLimiter()
    transport = AiohttpTransport(
        settings_for(base_url),
        limiter=limiter,
        throttle_threshold=0.2,
        baseline=LatencyBaseline(min_samples=4),
    )
    async with transport:
        for _ in range(6):
            await transport.call(PERIOD, {"CompanyId": COMPANY})
        slow.set()
        late = asyncio.ensure_future(transport.call(PERIOD, {"CompanyId": COMPANY}))
        await asyncio.sleep(0.1)
        assert limiter.suspected == []  # in flight, but not late yet
        await asyncio.sleep(0.25)
        await transport.call(PERIOD, {"CompanyId": COMPANY})
        assert limiter.suspected == [Admission(at=7.0, load=7)]
        assert limiter.throttle_signals == []  # no reply yet
        await late
        await transport.call(PERIOD, {"CompanyId": COMPANY})
    assert limiter.suspected == [Admission(at=7.0, load=7)]  # once per call
    assert limiter.throttle_signals == [Admission(at=7.0, load=7)]


async def test_values_the_table_refuses_fail_before_taking_a_slot(
    scripted: tuple[ScriptedServer, str],
) -> None:
    server, base_url = scripted
    limiter = CountingLimiter()
    async with AiohttpTransport(settings_for(base_url), limiter=limiter) as transport:
        with pytest.raises(SchemaViolation, match="Unknown"):
            await transport.call(INSERT, {**NEW_HIRE, "Unknown": 1})
    assert limiter.acquired == 0 and server.requests == []


async def test_the_transport_must_be_entered_before_use() -> None:
    transport = AiohttpTransport(settings_for("http://127.0.0.1:1/soap/v3/"))
    with pytest.raises(RuntimeError, match="async with"):
        await transport.call(PERIOD, {"CompanyId": COMPANY})


# --- TLS and endpoints ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "url",
    [
        "https://api.nmbrs.nl/soap/v3/",
        "https://api-sandbox.nmbrs.nl/soap/v3/",
        "http://127.0.0.1:8000/soap/v3/",
        "http://127.8.9.10/soap/v3/",
        "http://localhost:8000/soap/v3/",
        "http://[::1]:8000/soap/v3/",
    ],
)
def test_https_and_loopback_endpoints_are_accepted(url: str) -> None:
    check_endpoint(url, insecure=False)


@pytest.mark.parametrize(
    "url",
    [
        "http://api.nmbrs.nl/soap/v3/",
        "http://10.0.0.5:8000/soap/v3/",
        "http://localhost.evil.example/soap/v3/",
        "http://128.0.0.1/soap/v3/",
    ],
)
def test_plain_http_elsewhere_needs_insecure(url: str) -> None:
    with pytest.raises(ConfigError, match="insecure"):
        check_endpoint(url, insecure=False)
    check_endpoint(url, insecure=True)


@pytest.mark.parametrize(
    "url",
    ["ftp://api.nmbrs.nl/", "api.nmbrs.nl/soap/v3/", "https:///soap/", "https://u:p@api.nmbrs.nl/"],
)
def test_unusable_endpoints_are_refused_even_when_insecure(url: str) -> None:
    with pytest.raises(ConfigError):
        check_endpoint(url, insecure=True)


async def test_the_transport_checks_its_endpoint_on_entry() -> None:
    with pytest.raises(ConfigError):
        async with AiohttpTransport(settings_for("http://api.nmbrs.nl/soap/v3/")):
            pass


@pytest.fixture
def self_signed_certificate(tmp_path: Path) -> tuple[Path, Path]:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is needed to make a self-signed certificate")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    return key, cert


@pytest.fixture
async def self_signed_https(self_signed_certificate: tuple[Path, Path]) -> AsyncIterator[str]:
    key, cert = self_signed_certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    server = ScriptedServer()
    app = web.Application()
    app.router.add_post("/soap/v3/{service}", server.handle)
    test_server = TestServer(app, host="127.0.0.1", scheme="https")
    await test_server.start_server(ssl=context)
    try:
        yield str(test_server.make_url("/soap/v3/"))
    finally:
        await test_server.close()


async def test_an_unverifiable_certificate_stops_the_run(self_signed_https: str) -> None:
    assert self_signed_https.startswith("https://")
    async with AiohttpTransport(settings_for(self_signed_https, insecure=True)) as transport:
        with pytest.raises(ConfigError, match="certificate"):
            await transport.call(PERIOD, {"CompanyId": COMPANY})


# --- dry run --------------------------------------------------------------------------------
async def test_a_dry_run_builds_counts_and_answers_with_stand_ins() -> None:
    transport = DryRunTransport(CREDENTIALS)
    assert await transport.call(INSERT, NEW_HIRE) == -1
    assert await transport.call(INSERT, NEW_HIRE) == -2
    assert await transport.call(UPDATE, {"EmployeeId": -1, "PersonalInfo": None}) is None
    assert await transport.call(LIST, {"CompanyId": COMPANY, "EmployeeType": 1}) == {"Employee": []}
    assert await transport.call(PERIOD, {"CompanyId": COMPANY}) is None
    assert transport.stats == TransportStats(calls=5, throttled=0)


async def test_a_dry_run_refuses_the_same_values_as_a_real_run() -> None:
    transport = DryRunTransport(CREDENTIALS)
    with pytest.raises(SchemaViolation, match="StartDate"):
        await transport.call(INSERT, {**NEW_HIRE, "StartDate": "1 November"})
    assert transport.stats.calls == 0


# --- the latency baseline -------------------------------------------------------------------
def test_the_baseline_is_a_low_quantile_that_ignores_a_few_slow_replies() -> None:
    baseline = LatencyBaseline(min_samples=8)
    for latency in [0.1] * 7:
        baseline.add(latency)
    assert baseline.value is None  # not enough seen to judge
    baseline.add(0.1)
    assert baseline.value == pytest.approx(0.1)
    for latency in [0.6, 0.12, 0.6, 0.11, 0.6, 0.1, 0.6, 0.1]:
        baseline.add(latency)
    assert baseline.value == pytest.approx(0.1)


def test_the_spread_runs_from_the_5th_to_the_95th_percentile() -> None:
    baseline = LatencyBaseline(size=64, min_samples=8)
    for index in range(64):
        baseline.add(0.1 + index / 630)  # 0.100 ... 0.200 s
    assert baseline.spread == pytest.approx(0.09, abs=0.004)


def test_penalised_replies_do_not_count_as_jitter() -> None:
    """Nmbrs' half-second delay is not the network's: a tenth of the replies penalised must not
    turn the spread into half a second of calls kept free."""
    baseline = LatencyBaseline(size=64, min_samples=8)
    for index in range(64):
        penalised = index % 10 == 0
        baseline.add(0.6 if penalised else 0.1 + index / 6300, penalised=penalised)
    assert baseline.spread is not None and baseline.spread < 0.02
    assert baseline.value == pytest.approx(0.1, abs=0.01)


def test_the_baseline_follows_a_server_that_really_became_slower() -> None:
    baseline = LatencyBaseline(size=16, min_samples=4)
    for _ in range(16):
        baseline.add(0.05)
    for _ in range(24):  # it is recomputed every 8 replies
        baseline.add(0.8)
    assert baseline.value == pytest.approx(0.8)
