"""The REST door's HTTP face (aiohttp.web): the identity service and the /api operations.

Per API call: count the arrival, the gateway's checks (subscription key, quota, rate limit),
any injected fault, the bearer token, the body against its schema, then the operation; lists
come back in Nmbrs' page wrapper. Every refusal is Nmbrs' JSON error shape.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final
from urllib.parse import parse_qsl, unquote_plus, urlencode, urlsplit, urlunsplit

import structlog
from aiohttp import web

from bulkimport.emulator.app import CORE, NmbrsEmulator, _counted, _drop, _hang
from bulkimport.emulator.faults import FaultMode
from bulkimport.emulator.rest.oauth import OAuthError, TokenSet
from bulkimport.emulator.rest.problems import (
    RestError,
    invalid,
    not_found,
    service_unavailable,
    unknown_error,
)
from bulkimport.emulator.rest.resources import EMPLOYEE_TYPES, RestResources, parse_datetime
from bulkimport.emulator.rest.schemas import OPERATIONS, SCOPES
from bulkimport.emulator.rest.service import RestDoor
from bulkimport.emulator.rest.validation import Problem, validate
from bulkimport.emulator.state import Employee

DEFAULT_PAGE_SIZE: Final = 20
MAX_PAGE_SIZE: Final = 100
# What a broken proxy might answer instead of the API: not JSON, status 200.
_PROXY_PAGE: Final = b"<html><body><h1>Welcome to nginx!</h1></body></html>"

_log = structlog.get_logger()


@dataclass(frozen=True, slots=True)
class RestOperation:
    operation_id: str
    method: str
    path: str
    status: int
    scopes: list[str]
    body: Mapping[str, Any] | None


@dataclass(frozen=True, slots=True)
class Call:
    """What an operation gets from the request: path values, query values and the body."""

    path: Mapping[str, str]
    query: Mapping[str, str]
    body: Any


Action = Callable[[RestResources, Call], Any]


def add_routes(app: web.Application) -> None:
    """Serve the identity service and every operation of `schemas.OPERATIONS` on `app`."""
    app.router.add_get("/.well-known/openid-configuration", _discovery)
    app.router.add_get("/connect/authorize", _authorize)
    app.router.add_post("/connect/token", _token)
    app.router.add_post("/connect/revocation", _revocation)
    for operation_id, spec in OPERATIONS.items():
        operation = RestOperation(operation_id, **spec)
        app.router.add_route(operation.method, operation.path, _handler(operation))
    app.router.add_route("*", "/api/{tail:.*}", _unknown_path)


def _handler(operation: RestOperation) -> Callable[[web.Request], Any]:
    async def handle(request: web.Request) -> web.StreamResponse:
        return await _serve(request, operation)

    return handle


# --- API calls -----------------------------------------------------------------------------
async def _serve(request: web.Request, operation: RestOperation) -> web.StreamResponse:
    emulator = request.app[CORE]
    door = emulator.rest
    now = emulator.clock()
    emulator.stats.arrival(now, operation.operation_id)
    try:
        door.admit(request.headers, now)
    except RestError as error:
        if error.status == 429:
            emulator.stats.refusal(now)
        return _counted(emulator, _problem(emulator, error))
    decision = emulator.faults.decide(operation.operation_id)
    if decision.latency:
        await emulator.sleep(decision.latency)
    mode = decision.mode
    if mode is not None:
        emulator.stats.injected_faults[mode.value] += 1
    if mode is FaultMode.HTTP_503:
        return _counted(emulator, _problem(emulator, service_unavailable()))
    if mode in (FaultMode.HTTP_500, FaultMode.NMBRS_FAULT):
        return _counted(emulator, _problem(emulator, unknown_error()))
    if mode is FaultMode.DROP:
        _drop(request, emulator)
    if mode is FaultMode.HANG:
        return await _hang(request, emulator)
    response = await _answer(request, emulator, door, operation)
    if mode is FaultMode.LOST_REPLY:
        _drop(request, emulator)
    if mode is FaultMode.HOSTILE_REPLY:
        response = web.Response(status=200, body=_PROXY_PAGE, content_type="text/html")
    return _counted(emulator, response)


async def _answer(
    request: web.Request, emulator: NmbrsEmulator, door: RestDoor, operation: RestOperation
) -> web.Response:
    try:
        door.authenticate(request.headers, operation.scopes, emulator.clock())
        body = await _read_body(request, operation) if operation.body is not None else None
        paged = operation.method == "GET"
        page = _page_numbers(request.query) if paged else (1, 1)
        call = Call(request.match_info, request.query, body)
        result = ACTIONS[operation.operation_id](door.resources, call)
    except RestError as error:
        return _problem(emulator, error)
    except Exception as exc:  # an emulator bug: Nmbrs' 500, never a traceback
        # Only the type and the path: request values may hold personal data.
        _log.error("emulator_internal_error", error=type(exc).__name__, path=request.path)
        return _problem(emulator, unknown_error())
    if paged:
        result = _page(request, result, *page)
    return web.json_response(result, status=operation.status)


async def _read_body(request: web.Request, operation: RestOperation) -> Any:
    assert operation.body is not None
    if request.content_type != "application/json":
        raise invalid([("Content-Type", "must be application/json")])
    try:
        body = json.loads(await request.read())
    except web.HTTPRequestEntityTooLarge as exc:
        raise invalid([("body", "is too large")]) from exc
    except ValueError as exc:  # also UnicodeDecodeError
        raise invalid([("body", "is not valid JSON")]) from exc
    problems = validate(operation.body, body)
    if problems:
        raise invalid(problems)
    return body


def _problem(emulator: NmbrsEmulator, error: RestError) -> web.Response:
    emulator.stats.faults_by_code[str(error.code)] += 1
    return web.json_response(error.body(), status=error.status)


async def _unknown_path(request: web.Request) -> web.StreamResponse:
    return _problem(request.app[CORE], not_found())


# --- pagination ----------------------------------------------------------------------------
def _page_numbers(query: Mapping[str, str]) -> tuple[int, int]:
    problems: list[Problem] = []
    values = []
    for name, default, highest in (
        ("pageNumber", 1, None),
        ("pageSize", DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE),
    ):
        text = query.get(name)
        try:
            value = default if text is None else int(text)
        except ValueError:
            value = 0
        if value < 1 or (highest is not None and value > highest):
            limit = f" and at most {highest}" if highest else ""
            problems.append((name, f"must be a whole number of at least 1{limit}"))
        values.append(value)
    if problems:
        raise invalid(problems)
    return values[0], values[1]


def _page(request: web.Request, records: list[Any], number: int, size: int) -> dict[str, Any]:
    """Nmbrs' page wrapper; page links are absolute URLs, `nextPage` null on the last page."""
    total = len(records)
    pages = math.ceil(total / size)

    def link(page: int) -> str:
        return str(request.url.update_query(pageNumber=page, pageSize=size))

    return {
        "pagination": {
            "pageNumber": number,
            "pageSize": size,
            "firstPage": link(1),
            "lastPage": link(max(pages, 1)),
            "totalPages": pages,
            "totalRecords": total,
            "nextPage": link(number + 1) if number < pages else None,
            "previousPage": link(number - 1) if 1 < number <= pages + 1 else None,
        },
        "data": records[(number - 1) * size : number * size],
    }


# --- the operations ------------------------------------------------------------------------
def _filters(resources: RestResources, call: Call) -> tuple[Employee | None, datetime | None]:
    """The optional employeeId and createdFrom filters (problems become a 400)."""
    problems: list[Problem] = []
    employee_id = call.query.get("employeeId")
    if employee_id is not None:
        problems += validate({"type": "string", "format": "uuid"}, employee_id, "employeeId")
    text = call.query.get("createdFrom")
    if text is not None:
        problems += validate({"type": "string", "format": "date-time"}, text, "createdFrom")
    if problems:
        raise invalid(problems)
    employee = None if employee_id is None else resources.ids.employee(employee_id)
    if employee_id is not None and employee is None:
        raise _NoMatch
    return employee, None if text is None else parse_datetime(text)


class _NoMatch(Exception):
    """An employeeId filter that names no employee: the list is empty [inferred]."""


def _history(kind: str) -> Action:
    def read(resources: RestResources, call: Call) -> Any:
        company = resources.company(call.path["companyId"])
        try:
            employee, created_from = _filters(resources, call)
        except _NoMatch:
            return []
        return resources.history(kind, company, employee, created_from)

    return read


def _employee_list(resources: RestResources, call: Call) -> Any:
    company = resources.company(call.path["companyId"])
    types = None
    text = call.query.get("employeeType")
    if text is not None:
        types = frozenset(part.strip() for part in text.split(","))
        if not types <= set(EMPLOYEE_TYPES):
            raise invalid([("employeeType", "must list values of: " + ", ".join(EMPLOYEE_TYPES))])
    try:
        employee, created_from = _filters(resources, call)
    except _NoMatch:
        return []
    return resources.employee_list(company, types, employee, created_from)


def _on_employee(write: Callable[[RestResources, Any, Any], Any]) -> Action:
    def act(resources: RestResources, call: Call) -> Any:
        return write(resources, resources.employee(call.path["employeeId"]), call.body)

    return act


ACTIONS: Final[Mapping[str, Action]] = {
    "getCompanies": lambda resources, call: resources.companies(),
    "getCurrentPeriod": lambda resources, call: resources.current_period(
        resources.company(call.path["companyId"])
    ),
    "getCompanyAddresses": lambda resources, call: resources.company_addresses(
        resources.company(call.path["companyId"])
    ),
    "getEmployeesByCompany": _employee_list,
    "createEmployee": lambda resources, call: resources.create_employee(
        resources.company(call.path["companyId"]), call.body
    ),
    "getEmployee": lambda resources, call: resources.employee_info(
        resources.employee(call.path["employeeId"])
    ),
    "UpdateEmployeePersonalInfo": _on_employee(RestResources.update_personal_info),
    "updateEmployeeSocialSecurityNumber": _on_employee(RestResources.update_social_security_number),
    "createEmployeeAddress": _on_employee(RestResources.create_address),
    "createEmployeeBankAccount": _on_employee(RestResources.create_bank_account),
    "createEmployeeContract": _on_employee(RestResources.create_contract),
    "createEmployeeSalary": _on_employee(RestResources.create_salary),
    "createEmployeeSchedule": _on_employee(RestResources.create_schedule),
    "getEmployeePersonalInfoByCompany": _history("personalinfo"),
    "getAddressesByCompany": _history("addresses"),
    "getBankAccountsByCompany": _history("bankaccounts"),
    "getContractsByCompany": _history("contracts"),
    "getSalariesByCompany": _history("salaries"),
    "getSchedulesByCompany": _history("schedules"),
}


# --- the identity service ------------------------------------------------------------------
async def _discovery(request: web.Request) -> web.StreamResponse:
    base = f"{request.scheme}://{request.host}"
    return web.json_response(
        {
            "issuer": base,
            "authorization_endpoint": f"{base}/connect/authorize",
            "token_endpoint": f"{base}/connect/token",
            "revocation_endpoint": f"{base}/connect/revocation",
            "scopes_supported": list(SCOPES),
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        }
    )


async def _authorize(request: web.Request) -> web.StreamResponse:
    """The demo user consents at once: a valid request is redirected with its code."""
    emulator = request.app[CORE]
    authority = emulator.rest.authority
    query = request.query
    client_id, redirect_uri = query.get("client_id", ""), query.get("redirect_uri", "")
    try:
        authority.check_client(client_id, redirect_uri)
    except OAuthError as error:  # never redirect to an unverified URI (RFC 6749 4.1.2.1)
        return _oauth_error(error)
    state = query.get("state")
    try:
        code = authority.authorize(
            client_id,
            redirect_uri,
            query.get("response_type", ""),
            query.get("scope", ""),
            query.get("code_challenge", ""),
            query.get("code_challenge_method", ""),
            emulator.clock(),
        )
    except OAuthError as error:
        answer = {"error": error.error, "error_description": error.description}
    else:
        answer = {"code": code}
    if state is not None:
        answer["state"] = state
    raise web.HTTPFound(_with_query(redirect_uri, answer))


async def _token(request: web.Request) -> web.StreamResponse:
    emulator = request.app[CORE]
    authority = emulator.rest.authority
    form = await request.post()
    fields = {key: value for key, value in form.items() if isinstance(value, str)}
    now = emulator.clock()
    try:
        app = authority.authenticate(*_client_credentials(request, fields))
        grant_type = fields.get("grant_type", "")
        tokens: TokenSet
        if grant_type == "authorization_code":
            tokens = authority.redeem_code(
                app,
                fields.get("code", ""),
                fields.get("redirect_uri", ""),
                fields.get("code_verifier", ""),
                now,
            )
        elif grant_type == "refresh_token":
            tokens = authority.refresh(app, fields.get("refresh_token", ""), now)
        else:
            raise OAuthError("unsupported_grant_type", "authorization_code or refresh_token")
    except OAuthError as error:
        return _oauth_error(error)
    body: dict[str, Any] = {
        "access_token": tokens.access_token,
        "expires_in": tokens.expires_in,
        "token_type": "Bearer",
        "scope": tokens.scope,
    }
    if tokens.refresh_token is not None:
        body["refresh_token"] = tokens.refresh_token
    return web.json_response(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


async def _revocation(request: web.Request) -> web.StreamResponse:
    emulator = request.app[CORE]
    authority = emulator.rest.authority
    form = await request.post()
    fields = {key: value for key, value in form.items() if isinstance(value, str)}
    try:
        app = authority.authenticate(*_client_credentials(request, fields))
    except OAuthError as error:
        return _oauth_error(error)
    authority.revoke(app, fields.get("token", ""))
    return web.Response(status=200)


def _client_credentials(request: web.Request, fields: Mapping[str, str]) -> tuple[str, str]:
    """HTTP Basic (each part form-url-encoded, RFC 6749 2.3.1) or client_id/secret in the body."""
    header = request.headers.get("Authorization", "")
    if header[:6].lower() == "basic ":
        try:
            decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise OAuthError("invalid_client", "malformed Basic credentials") from exc
        client_id, _, secret = decoded.partition(":")
        return unquote_plus(client_id), unquote_plus(secret)
    return fields.get("client_id", ""), fields.get("client_secret", "")


def _oauth_error(error: OAuthError) -> web.Response:
    status = 401 if error.error == "invalid_client" else 400
    return web.json_response(
        {"error": error.error, "error_description": error.description}, status=status
    )


def _with_query(uri: str, values: Mapping[str, str]) -> str:
    parts = urlsplit(uri)
    query = urlencode([*parse_qsl(parts.query), *values.items()])
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))
