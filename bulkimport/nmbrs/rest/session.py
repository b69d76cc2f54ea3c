"""Opening a REST run's sign-in: a stored login, or an unattended one at the built-in emulator.
Does I/O.

Against Nmbrs a person signs in once (`bulkimport login`); runs then use the stored login and
refresh it. The built-in emulator consents for its demo user at once, so a run against it
signs in by itself, into a token store that lives as long as the run.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Final

import aiohttp

from bulkimport.errors import ConfigError
from bulkimport.nmbrs.rest.auth import NMBRS_API_URL, ClientConfig, service_for
from bulkimport.nmbrs.rest.login import sign_in
from bulkimport.nmbrs.rest.tokens import FileTokenStore, TokenSource, open_token_store

__all__ = ["NO_REST_SANDBOX", "demo_client", "emulator_tokens", "rest_api_url", "stored_tokens"]

NO_REST_SANDBOX: Final = (
    "Nmbrs has no REST sandbox: test against a demo environment on production (a company "
    "named extdev-<AppName>, affiliate code DEMO), or run against the built-in emulator "
    "(leave out --environment and --endpoint)"
)


def demo_client() -> ClientConfig:
    """The emulator's demo application (client id, secret, subscription key)."""
    from bulkimport.emulator.rest import DEMO_APPLICATION

    return ClientConfig(
        DEMO_APPLICATION.client_id,
        DEMO_APPLICATION.client_secret,
        DEMO_APPLICATION.subscription_key,
    )


@asynccontextmanager
async def emulator_tokens(origin: str, profile: str = "default") -> AsyncIterator[TokenSource]:
    """Sign in at the emulator (its authorize page consents at once) and hand out tokens."""
    client = demo_client()
    with tempfile.TemporaryDirectory(prefix="bulkimport-rest-") as directory:
        store = FileTokenStore(Path(directory))
        urls: asyncio.Queue[str] = asyncio.Queue()
        service = service_for(origin, origin)
        login = asyncio.create_task(
            sign_in(service, client, store, profile, announce=urls.put_nowait, open_browser=False)
        )
        async with aiohttp.ClientSession() as session:  # what a browser would do
            url = await urls.get()
            async with session.get(url) as response:
                await response.read()
        await login
        async with TokenSource(store, client, profile) as tokens:
            yield tokens


@asynccontextmanager
async def stored_tokens(client: ClientConfig, profile: str) -> AsyncIterator[TokenSource]:
    """The login `bulkimport login` stored for `profile`."""
    async with TokenSource(open_token_store(), client, profile) as tokens:
        yield tokens


def rest_api_url(endpoint: str | None, environment: str | None) -> str:
    """Where REST calls go: an explicit endpoint, else Nmbrs' one host; no sandbox exists."""
    if environment == "sandbox":
        raise ConfigError(NO_REST_SANDBOX)
    return (endpoint or NMBRS_API_URL).rstrip("/")
