"""`bulkimport login` / `logout` behind the CLI: the consent round trip and revocation. Does I/O.

Sign-in listens on 127.0.0.1 (a free port) for the redirect, shows the authorize URL (and opens
it when a browser can), redeems the code with its PKCE verifier and stores the login. Whatever
follows the URL completes it: a person in a browser, or a test or CI job with an HTTP client.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import secrets
import sys
import time
import webbrowser
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Final

import aiohttp
import structlog
from aiohttp import web

from bulkimport.errors import ConfigError, SignInError
from bulkimport.logs import register_secret
from bulkimport.nmbrs.rest.auth import (
    CALLBACK_PATH,
    ClientConfig,
    IdentityService,
    StoredLogin,
    build_authorize_url,
    new_code_verifier,
    parse_callback,
    redirect_uri_for,
)
from bulkimport.nmbrs.rest.tokens import IdentityClient, TokenStore, locked
from bulkimport.settings import REST_VARIABLES, read_config_file, rest_settings

LOGIN_TIMEOUT_SECONDS: Final = 300.0  # an authorization code itself lives 5 minutes
_PAGE_DONE: Final = "Signed in to Nmbrs. You can close this window and return to bulkimport.\n"

_log = structlog.get_logger()


def load_client_config(
    config_path: Path | None,
    environ: Mapping[str, str] = os.environ,
    fallback: ClientConfig | None = None,
) -> ClientConfig:
    """Each value from its `NMBRS_*` variable, else the config file's `[rest]` table, else
    `fallback` (the built-in emulator's demo application). The secrets are registered for
    redaction before anything can log them.

    Raises:
        ConfigError: the file cannot be read, or a value is found nowhere.
    """
    file = read_config_file(config_path)
    defaults = None if fallback is None else dataclasses.asdict(fallback)
    values: dict[str, str] = {}
    for key, setting in rest_settings(file, environ, defaults).items():
        if not setting.value:
            raise ConfigError(
                f"no REST {key}: set {REST_VARIABLES[key]} or `{key}` under [rest] in {file.path}"
            )
        values[key] = setting.value
    register_secret(values["client_secret"])
    register_secret(values["subscription_key"])
    return ClientConfig(**values)


def can_open_browser(environ: Mapping[str, str] = os.environ) -> bool:
    """A desktop to show a browser on: always on macOS and Windows, with a display elsewhere."""
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"))


async def sign_in(
    service: IdentityService,
    client: ClientConfig,
    store: TokenStore,
    profile: str,
    *,
    announce: Callable[[str], None],
    open_browser: bool,
    wait_seconds: float = LOGIN_TIMEOUT_SECONDS,
    clock: Callable[[], float] = time.time,
) -> StoredLogin:
    """The authorization code flow with PKCE; the login is stored under `profile`.

    `announce` gets the authorize URL; the consent must come back within `wait_seconds`.

    Raises:
        SignInError: refused, a foreign redirect, timed out, or an unusable token answer.
    """
    store.lock_path(profile)  # a bad profile name fails before a browser opens
    verifier = new_code_verifier()
    state = secrets.token_urlsafe(24)
    loop = asyncio.get_running_loop()
    arrived: asyncio.Future[dict[str, str]] = loop.create_future()

    async def callback(request: web.Request) -> web.Response:
        query = dict(request.query)
        if query.get("state") != state:  # a stray or forged request: not ours, keep waiting
            return web.Response(status=400, text="This is not the sign-in bulkimport started.\n")
        if not arrived.done():
            arrived.set_result(query)
        failed = "error" in query or "code" not in query
        return web.Response(text="Sign-in failed: see bulkimport.\n" if failed else _PAGE_DONE)

    app = web.Application()
    app.router.add_get(CALLBACK_PATH, callback)
    runner = web.AppRunner(app, access_log=None)  # the query holds the code: no access log
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        redirect_uri = redirect_uri_for(port)
        url = build_authorize_url(service, client.client_id, redirect_uri, state, verifier)
        announce(url)
        if open_browser:
            # A failed browser start is not an error: the printed URL still works.
            with contextlib.suppress(webbrowser.Error):
                await asyncio.to_thread(webbrowser.open, url)
        try:
            query = await asyncio.wait_for(arrived, wait_seconds)
        except TimeoutError as exc:
            raise SignInError(f"no sign-in arrived within {wait_seconds:.0f} s") from exc
    finally:
        await runner.cleanup()
    code = parse_callback(query, state)
    async with aiohttp.ClientSession() as session:
        identity = IdentityClient(session, client)
        login = await identity.redeem_code(service, code, redirect_uri, verifier, clock())
    async with locked(store.lock_path(profile)):
        store.save(profile, login)
    _log.info("rest_login_stored", profile=profile, api_url=login.api_url)
    return login


async def sign_out(client: ClientConfig, store: TokenStore, profile: str) -> bool:
    """Revoke the profile's refresh token (its whole grant), then forget the login.

    Returns False when no login was stored. The login is kept if Nmbrs does not confirm the
    revocation, so that `logout` can be run again.
    """
    async with locked(store.lock_path(profile)):
        login = store.load(profile)
        if login is None:
            return False
        if login.client_id != client.client_id:
            raise SignInError(
                f"profile {profile!r} was signed in with client id {login.client_id!r}, "
                f"not {client.client_id!r}: only that application can revoke it"
            )
        service = IdentityService(login.identity_url, login.api_url)
        async with aiohttp.ClientSession() as session:
            await IdentityClient(session, client).revoke(service, login.refresh_token)
        store.delete(profile)
    _log.info("rest_login_revoked", profile=profile)
    return True
