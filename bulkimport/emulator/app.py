"""The emulator's HTTP face (aiohttp.web): SOAP endpoints, WSDL, /state, /stats, /reset, /control.

Per call: read and parse (hardened parser, size limit), let any configured network jitter pass
(the way in), count the arrival, apply the rate-limit delay and any injected fault, route by
SOAPAction, decode strictly against the operation table, authenticate, run the operation.
Every failure becomes what ASMX would send: a SOAP fault (HTTP 500), or an empty HTTP 400 for
XML that is not well-formed; never a traceback.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import random
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Final, NoReturn

import structlog
from aiohttp import web
from lxml import etree

from bulkimport.config import Credentials
from bulkimport.emulator.accounts import NMBRS_CALLS_PER_SECOND, Country
from bulkimport.emulator.faults import (
    HOSTILE_REPLY,
    FaultMode,
    FaultPlan,
    FaultSettings,
    ScriptedFault,
)
from bulkimport.emulator.operations import HANDLERS
from bulkimport.emulator.rest.service import RestConfig, RestDoor
from bulkimport.emulator.rules import FAULT_TITLES, FaultCode, NmbrsFault
from bulkimport.emulator.soap.codec import SchemaViolation
from bulkimport.emulator.soap.envelope import (
    RequestParts,
    UnsafeXml,
    build_fault,
    build_response,
    read_call,
    split_request,
)
from bulkimport.emulator.soap.schema import OPERATIONS
from bulkimport.emulator.soap.shapes import SERVICES, Operation, service_namespace
from bulkimport.emulator.state import DisplayNameFormat, EmulatorState
from bulkimport.emulator.stats import UNAUTHENTICATED, RateLimiter, Stats, account_key
from bulkimport.emulator.wsdl import build_wsdl

DEMO_CREDENTIALS: Final = Credentials(
    username="demo@bulkimport.example",
    token="bulkimport-demo-token-3f9a1c7e5b2d4086",  # noqa: S106 - public demo account of the local emulator
    domain="demo",
)
SOAP_PATH: Final = "/soap/v3/"
MAX_REQUEST_BYTES: Final = 4 * 1024 * 1024  # ASP.NET's default maxRequestLength
_UNRECOGNISED: Final = "(unrecognised)"
_NO_ACTION: Final = (
    "Unable to handle request without a valid action parameter. Please supply a valid soap action."
)
_INJECTED_TITLES: Final = {1006: "Generic Login Security Failure", 9999: "Unknown"}
_ERROR_PAGE: Final = (
    b"<html><head><title>Runtime Error</title></head><body><h1>Server Error in '/' "
    b"Application.</h1></body></html>"
)

_log = structlog.get_logger()

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class EmulatorConfig:
    """How one emulator runs; `current_period` is (year, month), by default today's."""

    host: str = "127.0.0.1"
    port: int = 0
    accounts: tuple[Credentials, ...] = (DEMO_CREDENTIALS,)
    calls_per_second: int = NMBRS_CALLS_PER_SECOND
    other_users_calls_per_second: int = 0
    other_users_burst_calls: int = 0  # other users' calls arriving at once ...
    other_users_burst_every: float = 0.0  # ... every this many seconds
    inbound_jitter_ms: float = 0.0  # network jitter: each call arrives U(0, this) ms later
    throttle_delay: float = 0.5
    faults: FaultSettings = field(default_factory=FaultSettings)
    current_period: tuple[int, int] | None = None
    seed: int | None = None
    max_request_bytes: int = MAX_REQUEST_BYTES
    display_name_format: DisplayNameFormat = DisplayNameFormat.FIRST_LAST
    rest: RestConfig = field(default_factory=RestConfig)

    def __post_init__(self) -> None:
        if self.inbound_jitter_ms < 0:
            raise ValueError("inbound jitter cannot be negative")
        if self.other_users_calls_per_second < 0 or self.other_users_burst_calls < 0:
            raise ValueError("other users' calls cannot be negative")
        if self.other_users_burst_calls and not self.other_users_burst_every > 0:
            raise ValueError("bursts of other users need a positive interval in seconds")


class NmbrsEmulator:
    """The service behind the HTTP layer: state, statistics, rate limiter and fault plan."""

    def __init__(self, config: EmulatorConfig, clock: Clock, sleep: Sleep) -> None:
        today = date.today()
        self.config = config
        self.state = EmulatorState(
            config.current_period or (today.year, today.month), config.display_name_format
        )
        self.stats = Stats()
        self.limiter = RateLimiter(
            config.calls_per_second,
            config.other_users_calls_per_second,
            config.throttle_delay,
            burst_calls=config.other_users_burst_calls,
            burst_every=config.other_users_burst_every,
        )
        self.faults = FaultPlan(config.faults, config.seed)
        self.rest = RestDoor(config.rest, self.state)
        self.jitter = random.Random(config.seed)  # its own stream: faults stay repeatable
        self.clock = clock
        self.sleep = sleep
        self.stopping = asyncio.Event()
        self._actions = {
            service: {op.soap_action: op for op in _operations_of(service)} for service in SERVICES
        }
        self._wsdl_cache: dict[tuple[str, str], bytes] = {}

    def reset(self) -> None:
        """Back to the seeded state, with empty statistics and no scripted faults."""
        self.state.reset()
        self.stats.reset()
        self.limiter.reset()
        self.faults.reset()
        self.rest.reset()
        self.jitter = random.Random(self.config.seed)

    def route(self, service: str, action: str | None) -> Operation | str:
        """The operation a SOAPAction names (quoted or not), or the ASMX refusal text."""
        if action is None:
            return _NO_ACTION
        value = action.strip()
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
        operation = self._actions[service].get(value)
        if operation is None:
            return f"Server did not recognize the value of HTTP Header SOAPAction: {value}."
        return operation

    def identify(self, service: str, parts: RequestParts | None) -> Credentials | None:
        """The configured account the auth header names, or None (missing, wrong, foreign ns).

        The header must be in the called service's namespace; children are matched by name in
        that namespace (others are ignored, as ASMX ignores them); Domain may be left out.
        """
        header = parts.header if parts is not None else None
        namespace = service_namespace(service)
        if header is None or etree.QName(header).namespace != namespace:
            return None
        given: dict[str, str] = {}
        for child in header:
            if isinstance(child.tag, str):
                qname = etree.QName(child)
                if qname.namespace == namespace:
                    given.setdefault(qname.localname, child.text or "")
        username, token = given.get("Username", ""), given.get("Token", "")
        domain = given.get("Domain", "")
        for account in self.config.accounts:
            if (
                hmac.compare_digest(account.username.encode(), username.encode())
                and hmac.compare_digest(account.token.encode(), token.encode())
                and domain in ("", account.domain)
            ):
                return account
        return None

    def answer(
        self,
        operation: Operation | str,
        parts: RequestParts | None,
        problem: Exception | None,
        account: Credentials | None,
    ) -> web.Response:
        """The reply to a call that no injected fault intercepted."""
        if isinstance(problem, UnsafeXml) and str(problem).startswith("not well-formed"):
            self.stats.faults_by_code["http_400"] += 1
            return web.Response(status=400)  # what ASMX sends for broken XML: 400, empty body
        if isinstance(problem, _TooLarge):
            return self._client_fault(str(problem), status=413)
        if isinstance(problem, _WrongContentType):
            return self._client_fault(str(problem), status=415)
        if isinstance(operation, str):
            return self._client_fault(operation)
        if problem is not None:
            return self._client_fault(f"Server was unable to read request. ---> {problem}")
        assert parts is not None
        try:
            values = read_call(operation, parts.call)
        except SchemaViolation as exc:
            return self._client_fault(
                f"Server was unable to read request. ---> There is an error in XML document: {exc}"
            )
        try:
            if account is None:
                raise NmbrsFault(FaultCode.INVALID_AUTHENTICATION)
            result = HANDLERS[operation.key](self.state, values)
        except NmbrsFault as fault:
            return self.server_fault(int(fault.code), fault.text)
        return _xml(200, build_response(operation, result))

    def server_fault(self, code: int, text: str) -> web.Response:
        self.stats.faults_by_code[str(code)] += 1
        message = f"Server was unable to process request. ---> {code}: {text}"
        return _xml(500, build_fault("soap:Server", message))

    def _client_fault(self, message: str, *, status: int = 500) -> web.Response:
        self.stats.faults_by_code["soap:Client"] += 1
        return _xml(status, build_fault("soap:Client", message))

    def wsdl(self, service: str, address: str) -> bytes:
        key = (service, address)
        document = self._wsdl_cache.get(key)
        if document is None:
            if len(self._wsdl_cache) >= 16:  # bounded: the address comes from the Host header
                self._wsdl_cache.clear()
            document = build_wsdl(service, service_namespace(service), address)
            self._wsdl_cache[key] = document
        return document


class _TooLarge(Exception):
    """The request body exceeds the configured limit (refused with HTTP 413, unread)."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"Maximum request length exceeded ({limit} bytes).")


class _WrongContentType(Exception):
    """Not a SOAP 1.1 request: the emulator speaks SOAP 1.1 (text/xml) only."""

    def __init__(self, content_type: str) -> None:
        super().__init__(
            f"Unsupported media type {content_type!r}: the emulator accepts SOAP 1.1 requests "
            "(Content-Type: text/xml; charset=utf-8) only."
        )


CORE: Final = web.AppKey("nmbrs_emulator", NmbrsEmulator)


def _operations_of(service: str) -> tuple[Operation, ...]:
    return tuple(operation for operation in OPERATIONS if operation.service == service)


def _xml(status: int, body: bytes) -> web.Response:
    return web.Response(status=status, body=body, content_type="text/xml", charset="utf-8")


# --- the SOAP endpoints ------------------------------------------------------------------------
async def _soap(request: web.Request) -> web.StreamResponse:
    emulator = request.app[CORE]
    service = request.match_info["service"]
    operation = emulator.route(service, request.headers.get("SOAPAction"))
    parts: RequestParts | None = None
    problem: Exception | None = None
    try:
        body = await request.read()
        if request.content_type != "text/xml":
            problem = _WrongContentType(request.content_type)
        else:
            parts = split_request(body)
    except web.HTTPRequestEntityTooLarge:
        problem = _TooLarge(emulator.config.max_request_bytes)
    except (UnsafeXml, SchemaViolation) as exc:
        problem = exc

    account = emulator.identify(service, parts)
    jitter_ms = emulator.config.inbound_jitter_ms
    if jitter_ms:  # the way in: the service sees (and counts) the call only after this
        await emulator.sleep(emulator.jitter.uniform(0.0, jitter_ms) / 1000.0)
    now = emulator.clock()
    name = operation.name if isinstance(operation, Operation) else None
    emulator.stats.arrival(now, name or _UNRECOGNISED)
    key = account_key(account) if account else UNAUTHENTICATED
    delay = emulator.limiter.arrive(key, now)
    if delay:
        emulator.stats.throttled_calls += 1
    if account is not None:
        emulator.stats.account_arrival(key, now, throttled=bool(delay))
    decision = emulator.faults.decide(name)
    if delay or decision.latency:
        await emulator.sleep(delay + decision.latency)

    mode = decision.mode
    if mode is not None:
        emulator.stats.injected_faults[mode.value] += 1
    if mode is FaultMode.HTTP_503:
        return _counted(emulator, web.Response(status=503, text="Service Unavailable"))
    if mode is FaultMode.HTTP_500:
        return _counted(
            emulator,
            web.Response(status=500, body=_ERROR_PAGE, content_type="text/html", charset="utf-8"),
        )
    if mode is FaultMode.DROP:
        _drop(request, emulator)
    if mode is FaultMode.HANG:
        return await _hang(request, emulator)
    if mode is FaultMode.NMBRS_FAULT:
        code = decision.fault_code
        return _counted(emulator, emulator.server_fault(code, _fault_title(code)))

    response = emulator.answer(operation, parts, problem, account)
    if mode is FaultMode.LOST_REPLY:
        _drop(request, emulator)
    if mode is FaultMode.HOSTILE_REPLY:
        response = _xml(200, HOSTILE_REPLY)
    return _counted(emulator, response)


def _fault_title(code: int) -> str:
    if code in FaultCode.__members__.values():
        return FAULT_TITLES[FaultCode(code)]
    return _INJECTED_TITLES.get(code, "Injected fault")


def _counted(emulator: NmbrsEmulator, response: web.Response) -> web.Response:
    emulator.stats.responses_by_status[str(response.status)] += 1
    return response


def _drop(request: web.Request, emulator: NmbrsEmulator) -> NoReturn:
    """Close the connection without an answer; the client sees a reset or a closed socket."""
    emulator.stats.responses_by_status["dropped"] += 1
    transport = request.transport
    if transport is not None:
        transport.abort()
    raise _Dropped


class _Dropped(Exception):
    """Unwinds a handler whose connection was closed on purpose (see `_safety_net`)."""


async def _hang(request: web.Request, emulator: NmbrsEmulator) -> web.StreamResponse:
    """Never answer: wait until the client gives up (or the emulator stops), then close."""
    while not emulator.stopping.is_set():
        transport = request.transport
        if transport is None or transport.is_closing():
            break
        try:
            await asyncio.wait_for(emulator.stopping.wait(), 0.05)
        except TimeoutError:
            continue
    _drop(request, emulator)


@web.middleware
async def _safety_net(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Deliberate drops end quietly; an emulator bug becomes fault 9999, never a traceback."""
    try:
        return await handler(request)
    except _Dropped:
        return web.Response(status=499)  # never sent: the transport is already closed
    except web.HTTPException:
        raise
    except Exception as exc:
        # Only the type and the path: request values may hold personal data.
        _log.error("emulator_internal_error", error=type(exc).__name__, path=request.path)
        return request.app[CORE].server_fault(9999, "Unknown")


# --- WSDL, state, stats, control ---------------------------------------------------------------
async def _service_page(request: web.Request) -> web.StreamResponse:
    emulator = request.app[CORE]
    service = request.match_info["service"]
    if any(key.lower() == "wsdl" for key in request.query):
        address = f"{request.scheme}://{request.host}{SOAP_PATH}{service}.asmx"
        return _xml(200, emulator.wsdl(service, address))
    names = "\n".join(op.name for op in _operations_of(service))
    return web.Response(text=f"{service} (bulkimport emulator of Nmbrs SOAP v3)\n\n{names}\n")


async def _state(request: web.Request) -> web.StreamResponse:
    return web.json_response(request.app[CORE].state.snapshot())


async def _stats(request: web.Request) -> web.StreamResponse:
    return web.json_response(request.app[CORE].stats.snapshot())


async def _reset(request: web.Request) -> web.StreamResponse:
    request.app[CORE].reset()
    return web.json_response({"reset": True})


def _control_view(emulator: NmbrsEmulator) -> dict[str, Any]:
    return {"faults": emulator.faults.settings.to_json(), "script": emulator.faults.pending()}


async def _get_control(request: web.Request) -> web.StreamResponse:
    return web.json_response(_control_view(request.app[CORE]))


async def _post_control(request: web.Request) -> web.StreamResponse:
    """JSON: {"faults": {...FaultSettings...}, "clear_script": true, "script": [{...}, ...]}."""
    emulator = request.app[CORE]
    try:
        data = json.loads(await request.read())
        if not isinstance(data, Mapping) or set(data) - {"faults", "script", "clear_script"}:
            raise ValueError("expected an object with faults, script and/or clear_script")
        settings = FaultSettings.from_json(data["faults"]) if "faults" in data else None
        script = data.get("script", [])
        if not isinstance(script, list):
            raise ValueError("script must be a list")
        entries = [ScriptedFault.from_json(item) for item in script]
    except ValueError as exc:  # json.JSONDecodeError is a ValueError
        return web.json_response({"error": str(exc)}, status=400)
    if settings is not None:
        emulator.faults.settings = settings
    if data.get("clear_script"):
        emulator.faults.clear_script()
    for entry in entries:
        emulator.faults.add(entry)
    return web.json_response(_control_view(emulator))


def create_app(
    config: EmulatorConfig | None = None,
    *,
    clock: Clock = time.monotonic,
    sleep: Sleep = asyncio.sleep,
) -> web.Application:
    """The aiohttp application; `clock` and `sleep` are injectable so tests need not wait."""
    config = config or EmulatorConfig()
    app = web.Application(client_max_size=config.max_request_bytes, middlewares=[_safety_net])
    app[CORE] = NmbrsEmulator(config, clock, sleep)
    services = "|".join(SERVICES)
    endpoint = f"{SOAP_PATH}{{service:{services}}}.asmx"
    app.router.add_post(endpoint, _soap)
    app.router.add_get(endpoint, _service_page)
    app.router.add_get("/state", _state)
    app.router.add_get("/stats", _stats)
    app.router.add_post("/reset", _reset)
    app.router.add_get("/control", _get_control)
    app.router.add_post("/control", _post_control)
    # Imported here: the REST door's HTTP module builds on this one (CORE, drops, hangs).
    from bulkimport.emulator.rest.door import add_routes

    add_routes(app)
    return app


# --- running it --------------------------------------------------------------------------------
class RunningEmulator:
    """A started emulator: its URL, live state and statistics, and fault controls."""

    def __init__(self, app: web.Application, base_url: str) -> None:
        self.app = app
        self.base_url = base_url  # services at base_url + "EmployeeService.asmx"
        self.origin = base_url.removesuffix(SOAP_PATH)  # REST at origin + "/api/...", OAuth too
        self._emulator = app[CORE]

    @property
    def state(self) -> EmulatorState:
        return self._emulator.state

    @property
    def stats(self) -> Stats:
        return self._emulator.stats

    @property
    def config(self) -> EmulatorConfig:
        return self._emulator.config

    @property
    def credentials(self) -> Credentials:
        """The first configured account (the demo account unless configured otherwise)."""
        return self._emulator.config.accounts[0]

    def country_of(self, company_id: int) -> Country | None:
        """The country of a company the emulator holds, None if it holds no such company."""
        company = self._emulator.state.companies.get(company_id)
        return None if company is None else company.country

    def url(self, service: str) -> str:
        return f"{self.base_url}{service}.asmx"

    def set_faults(self, settings: FaultSettings) -> None:
        self._emulator.faults.settings = settings

    def script(
        self,
        mode: FaultMode | str,
        *,
        operation: str | None = None,
        count: int = 1,
        fault_code: int = 1006,
        delay: float = 0.0,
    ) -> None:
        """The next `count` calls of `operation` (None: of any operation) get `mode`."""
        self._emulator.faults.add(
            ScriptedFault(FaultMode(mode), operation, count, fault_code, delay)
        )

    def clear_script(self) -> None:
        self._emulator.faults.clear_script()

    def reset(self) -> None:
        self._emulator.reset()


@asynccontextmanager
async def running_emulator(
    config: EmulatorConfig | None = None,
    *,
    clock: Clock = time.monotonic,
    sleep: Sleep = asyncio.sleep,
) -> AsyncIterator[RunningEmulator]:
    """Serve the emulator on config.host:config.port (port 0: a free port) while in the block."""
    config = config or EmulatorConfig()
    app = create_app(config, clock=clock, sleep=sleep)
    runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
    await runner.setup()
    try:
        site = web.TCPSite(runner, config.host, config.port)
        await site.start()
        host, port = runner.addresses[0][:2]
        shown = f"[{host}]" if ":" in host else host
        yield RunningEmulator(app, f"http://{shown}:{port}{SOAP_PATH}")
    finally:
        app[CORE].stopping.set()
        await runner.cleanup()


@asynccontextmanager
async def emulator_in_thread(
    config: EmulatorConfig | None = None,
) -> AsyncIterator[RunningEmulator]:
    """`running_emulator` on its own thread and event loop, while in the block.

    The built-in demo target: an emulator in the caller's loop would share its timers with the
    client, so the client's pacing would bunch the emulator's arrivals and the demo would show
    penalties the engine does not cause. Read its state from the caller only between calls.
    """
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="bulkimport-emulator", daemon=True)
    thread.start()
    stack = AsyncExitStack()
    try:
        started = stack.enter_async_context(running_emulator(config))
        yield await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(started, loop))
    finally:
        # Waits without awaiting, so that a cancelled caller still stops the thread; the
        # runner's shutdown takes at most about its one-second timeout.
        asyncio.run_coroutine_threadsafe(stack.aclose(), loop).result()
        loop.call_soon_threadsafe(loop.stop)
        thread.join()
        loop.close()
