"""Helpers for the REST door's tests: sign in as the demo application and call the API."""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import parse_qs, urlsplit

import aiohttp

from bulkimport.emulator import EmulatorConfig, RunningEmulator, running_emulator
from bulkimport.emulator.rest import DEMO_APPLICATION, RestConfig
from tests.conftest import EMULATOR_PERIOD

REDIRECT_URI: Final = "http://127.0.0.1:8765/callback"
SCOPE: Final = (
    "offline_access company.info.read employee.info employee.employment employee.bankaccount"
)
KEY_HEADER: Final = {"X-Subscription-Key": DEMO_APPLICATION.subscription_key}


class FakeClock:
    """The emulator's clock (and a TokenSource's), moved by the test: no waiting for expiry."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@asynccontextmanager
async def rest_emulator(
    clock: FakeClock, *, access_token_seconds: float
) -> AsyncIterator[RunningEmulator]:
    """An emulator on 127.0.0.1 whose access tokens live `access_token_seconds` on `clock`."""
    config = EmulatorConfig(
        current_period=EMULATOR_PERIOD,
        seed=1,
        rest=RestConfig(access_token_seconds=access_token_seconds),
    )
    async with running_emulator(config, clock=clock) as running:
        yield running


@dataclass(frozen=True, slots=True)
class Tokens:
    access: str
    refresh: str | None
    expires_in: int


def pkce_pair() -> tuple[str, str]:
    """A code verifier and its S256 challenge, computed here, not with the emulator's code."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


async def authorize(
    session: aiohttp.ClientSession,
    emulator: RunningEmulator,
    challenge: str,
    *,
    scope: str = SCOPE,
    redirect_uri: str = REDIRECT_URI,
    state: str = "xyz",
) -> aiohttp.ClientResponse:
    params = {
        "response_type": "code",
        "client_id": DEMO_APPLICATION.client_id,
        "redirect_uri": redirect_uri,
        "scope": scope,
        "state": state,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    async with session.get(
        f"{emulator.origin}/connect/authorize", params=params, allow_redirects=False
    ) as response:
        await response.read()
        return response


def redirect_values(response: aiohttp.ClientResponse) -> dict[str, str]:
    """The query values of an authorize redirect (code, state or error)."""
    assert response.status == 302, response.status
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    return {key: values[0] for key, values in query.items()}


async def token_request(
    session: aiohttp.ClientSession, emulator: RunningEmulator, form: dict[str, str]
) -> tuple[int, dict[str, Any]]:
    form = {
        "client_id": DEMO_APPLICATION.client_id,
        "client_secret": DEMO_APPLICATION.client_secret,
        **form,
    }
    async with session.post(f"{emulator.origin}/connect/token", data=form) as response:
        return response.status, await response.json()


async def login(
    session: aiohttp.ClientSession, emulator: RunningEmulator, *, scope: str = SCOPE
) -> Tokens:
    """The whole authorization code flow with PKCE, as an unattended client runs it."""
    verifier, challenge = pkce_pair()
    code = redirect_values(await authorize(session, emulator, challenge, scope=scope))["code"]
    status, body = await token_request(
        session,
        emulator,
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier,
        },
    )
    assert status == 200, body
    return Tokens(body["access_token"], body.get("refresh_token"), body["expires_in"])


async def api(
    session: aiohttp.ClientSession,
    emulator: RunningEmulator,
    method: str,
    path: str,
    token: str | None,
    *,
    json: Any = None,
    params: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, Any]:
    """One API call with the demo subscription key; the decoded JSON reply (None if empty)."""
    sent = dict(KEY_HEADER if headers is None else headers)
    if token is not None:
        sent["Authorization"] = f"Bearer {token}"
    async with session.request(
        method, f"{emulator.origin}{path}", json=json, params=params, headers=sent
    ) as response:
        body = await response.read()
        return response.status, (await response.json() if body else None)


def new_hire_body(number: int, last_name: str = "Jansen") -> dict[str, Any]:
    """A createEmployee body as a REST client would build it for the new_hire template."""
    return {
        "PersonalInfo": {
            "basicInfo": {
                "employeeNumber": number,
                "firstName": "Eva",
                "initials": "E.",
                "lastName": last_name,
                "employeeType": "payroll",
            },
            "birthInfo": {"birthDate": "1990-05-17", "gender": "female"},
            "contactInfo": {"businessEmail": "eva.jansen@demo.example"},
            "period": {"year": 2026, "period": 11},
        },
        "AdditionalEmployeeInfo": {"inServiceDate": "2026-11-01"},
    }
