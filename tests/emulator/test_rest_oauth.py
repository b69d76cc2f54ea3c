"""The REST door's identity service and token checks, end to end over HTTP on 127.0.0.1."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from urllib.parse import quote

import aiohttp
import pytest

from bulkimport.emulator import RunningEmulator
from bulkimport.emulator.rest import DEMO_APPLICATION
from tests.emulator.restcall import (
    REDIRECT_URI,
    FakeClock,
    api,
    authorize,
    login,
    pkce_pair,
    redirect_values,
    rest_emulator,
    token_request,
)

ACCESS_SECONDS = 600.0


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def emulator(clock: FakeClock) -> AsyncIterator[RunningEmulator]:
    async with rest_emulator(clock, access_token_seconds=ACCESS_SECONDS) as running:
        yield running


async def test_discovery_names_the_endpoints(
    session: aiohttp.ClientSession, emulator: RunningEmulator
) -> None:
    async with session.get(f"{emulator.origin}/.well-known/openid-configuration") as response:
        assert response.status == 200
        document = await response.json()
    assert document["token_endpoint"] == f"{emulator.origin}/connect/token"
    assert document["authorization_endpoint"] == f"{emulator.origin}/connect/authorize"
    assert document["revocation_endpoint"] == f"{emulator.origin}/connect/revocation"
    assert document["code_challenge_methods_supported"] == ["S256"]
    assert "offline_access" in document["scopes_supported"]


async def test_the_whole_flow_from_consent_to_expiry(
    session: aiohttp.ClientSession, emulator: RunningEmulator, clock: FakeClock
) -> None:
    verifier, challenge = pkce_pair()
    consent = redirect_values(await authorize(session, emulator, challenge, state="s-42"))
    assert consent["state"] == "s-42"

    status, tokens = await token_request(
        session,
        emulator,
        {
            "grant_type": "authorization_code",
            "code": consent["code"],
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier,
        },
    )
    assert status == 200
    assert tokens["token_type"] == "Bearer"
    assert tokens["expires_in"] == ACCESS_SECONDS
    first_access, first_refresh = tokens["access_token"], tokens["refresh_token"]
    status, companies = await api(session, emulator, "GET", "/api/companies", first_access)
    assert status == 200
    assert {company["name"] for company in companies["data"]} >= {"DEMO B.V."}

    # The code was single use.
    status, body = await token_request(
        session,
        emulator,
        {
            "grant_type": "authorization_code",
            "code": consent["code"],
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier,
        },
    )
    assert (status, body["error"]) == (400, "invalid_grant")

    # Refresh rotates: the new refresh token works, the spent one is refused.
    status, rotated = await token_request(
        session, emulator, {"grant_type": "refresh_token", "refresh_token": first_refresh}
    )
    assert status == 200
    assert rotated["refresh_token"] != first_refresh
    status, body = await token_request(
        session, emulator, {"grant_type": "refresh_token", "refresh_token": first_refresh}
    )
    assert (status, body["error"]) == (400, "invalid_grant")
    status, _ = await api(session, emulator, "GET", "/api/companies", rotated["access_token"])
    assert status == 200

    # An access token expires after its configured lifetime.
    clock.now += ACCESS_SECONDS + 1
    status, body = await api(session, emulator, "GET", "/api/companies", rotated["access_token"])
    assert (status, body["code"], body["title"]) == (401, 40102, "Invalid_Token")

    # Revoking the refresh token ends the login: no refresh, no calls with its tokens.
    status, fresh = await token_request(
        session,
        emulator,
        {"grant_type": "refresh_token", "refresh_token": rotated["refresh_token"]},
    )
    assert status == 200
    async with session.post(
        f"{emulator.origin}/connect/revocation",
        data={
            "token": fresh["refresh_token"],
            "token_type_hint": "refresh_token",
            "client_id": DEMO_APPLICATION.client_id,
            "client_secret": DEMO_APPLICATION.client_secret,
        },
    ) as response:
        assert response.status == 200
    status, body = await token_request(
        session, emulator, {"grant_type": "refresh_token", "refresh_token": fresh["refresh_token"]}
    )
    assert (status, body["error"]) == (400, "invalid_grant")
    status, body = await api(session, emulator, "GET", "/api/companies", fresh["access_token"])
    assert (status, body["code"]) == (401, 40102)


async def test_a_code_expires_after_five_minutes(
    session: aiohttp.ClientSession, emulator: RunningEmulator, clock: FakeClock
) -> None:
    verifier, challenge = pkce_pair()
    code = redirect_values(await authorize(session, emulator, challenge))["code"]
    clock.now += 301
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
    assert (status, body["error"]) == (400, "invalid_grant")


async def test_a_wrong_verifier_spends_the_code(
    session: aiohttp.ClientSession, emulator: RunningEmulator
) -> None:
    verifier, challenge = pkce_pair()
    other_verifier, _ = pkce_pair()
    code = redirect_values(await authorize(session, emulator, challenge))["code"]
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI}
    status, body = await token_request(session, emulator, {**form, "code_verifier": other_verifier})
    assert (status, body["error"]) == (400, "invalid_grant")
    status, body = await token_request(session, emulator, {**form, "code_verifier": verifier})
    assert (status, body["error"]) == (400, "invalid_grant")


async def test_basic_client_authentication_is_accepted(
    session: aiohttp.ClientSession, emulator: RunningEmulator
) -> None:
    verifier, challenge = pkce_pair()
    code = redirect_values(await authorize(session, emulator, challenge))["code"]
    pair = f"{quote(DEMO_APPLICATION.client_id)}:{quote(DEMO_APPLICATION.client_secret)}"
    basic = base64.b64encode(pair.encode()).decode()
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "code_verifier": verifier,
    }
    async with session.post(
        f"{emulator.origin}/connect/token", data=form, headers={"Authorization": f"Basic {basic}"}
    ) as response:
        assert response.status == 200
        assert "access_token" in await response.json()


async def test_wrong_client_secret_is_invalid_client(
    session: aiohttp.ClientSession, emulator: RunningEmulator
) -> None:
    status, body = await token_request(
        session,
        emulator,
        {"grant_type": "refresh_token", "refresh_token": "x", "client_secret": "guess"},
    )
    assert (status, body["error"]) == (401, "invalid_client")


async def test_any_loopback_redirect_is_accepted_and_others_are_not(
    session: aiohttp.ClientSession, emulator: RunningEmulator
) -> None:
    _, challenge = pkce_pair()
    for uri in ("http://localhost:50123/cb", "http://[::1]:8080/", "http://127.0.0.1/x?keep=1"):
        values = redirect_values(await authorize(session, emulator, challenge, redirect_uri=uri))
        assert "code" in values
    response = await authorize(session, emulator, challenge, redirect_uri="https://evil.example/")
    assert response.status == 400
    assert "Location" not in response.headers


async def test_a_request_without_pkce_or_with_an_unknown_scope_is_refused(
    session: aiohttp.ClientSession, emulator: RunningEmulator
) -> None:
    values = redirect_values(await authorize(session, emulator, "short"))
    assert values["error"] == "invalid_request"
    _, challenge = pkce_pair()
    values = redirect_values(await authorize(session, emulator, challenge, scope="payroll.all"))
    assert values["error"] == "invalid_scope"


async def test_without_offline_access_there_is_no_refresh_token(
    session: aiohttp.ClientSession, emulator: RunningEmulator
) -> None:
    tokens = await login(session, emulator, scope="company.info.read")
    assert tokens.refresh is None


async def test_missing_and_invalid_tokens_get_nmbrs_codes(
    session: aiohttp.ClientSession, emulator: RunningEmulator
) -> None:
    status, body = await api(session, emulator, "GET", "/api/companies", None)
    assert (status, body["code"], body["title"]) == (401, 40101, "Missing_Token")
    assert body["type"] == "authenticationError"
    status, body = await api(session, emulator, "GET", "/api/companies", "not-a-token")
    assert (status, body["code"], body["title"]) == (401, 40102, "Invalid_Token")


async def test_the_subscription_key_is_checked(
    session: aiohttp.ClientSession, emulator: RunningEmulator
) -> None:
    tokens = await login(session, emulator)
    for headers in ({}, {"X-Subscription-Key": "someone-elses-key"}):
        status, body = await api(
            session, emulator, "GET", "/api/companies", tokens.access, headers=headers
        )
        assert (status, body["code"]) == (403, 40304)


async def test_a_token_without_the_scope_is_refused(
    session: aiohttp.ClientSession, emulator: RunningEmulator
) -> None:
    tokens = await login(session, emulator, scope="offline_access company.info.read")
    company = (await api(session, emulator, "GET", "/api/companies", tokens.access))[1]
    company_id = company["data"][0]["companyId"]
    status, body = await api(
        session, emulator, "GET", f"/api/companies/{company_id}/employees", tokens.access
    )
    assert (status, body["code"]) == (403, 40303)
