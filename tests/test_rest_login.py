"""REST sign-in end to end against the emulator: login, the token store, rotation, logout.

Tokens live in a file store under tmp_path (never the real home directory or keyring); the
emulator and the TokenSource share a fake clock, so tokens expire without waiting.
"""

from __future__ import annotations

import asyncio
import os
import stat
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail, null
from keyring.errors import KeyringLocked, PasswordDeleteError
from structlog.testing import capture_logs

from bulkimport.cli import main
from bulkimport.emulator import RunningEmulator
from bulkimport.emulator.rest import DEMO_APPLICATION
from bulkimport.errors import ConfigError, LoginExpired, SignInError
from bulkimport.nmbrs.rest.auth import (
    SCOPES,
    ClientConfig,
    IdentityService,
    StoredLogin,
    build_authorize_url,
    code_challenge,
    needs_refresh,
    parse_callback,
    parse_token_response,
    service_for,
)
from bulkimport.nmbrs.rest.login import load_client_config, sign_in, sign_out
from bulkimport.nmbrs.rest.tokens import (
    KEYRING_SERVICE,
    TOKEN_DIR_VARIABLE,
    FileTokenStore,
    IdentityClient,
    KeyringTokenStore,
    TokenSource,
    locked,
    open_token_store,
)
from tests.emulator.restcall import FakeClock, api, rest_emulator, token_request

ACCESS_SECONDS = 600.0
CLIENT = ClientConfig(
    DEMO_APPLICATION.client_id, DEMO_APPLICATION.client_secret, DEMO_APPLICATION.subscription_key
)
SERVICE = IdentityService("https://identity.example", "https://api.example")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def emulator(clock: FakeClock) -> AsyncIterator[RunningEmulator]:
    async with rest_emulator(clock, access_token_seconds=ACCESS_SECONDS) as running:
        yield running


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as client:
        yield client


@pytest.fixture
def store(tmp_path: Path) -> FileTokenStore:
    return FileTokenStore(tmp_path / "tokens")


@pytest.fixture
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """No real home, config, keyring or credentials: a file store under tmp_path."""
    for name in ("NMBRS_CLIENT_ID", "NMBRS_CLIENT_SECRET", "NMBRS_SUBSCRIPTION_KEY", "DISPLAY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "home" / ".config"))
    monkeypatch.setenv(TOKEN_DIR_VARIABLE, str(tmp_path / "tokens"))
    yield dict(os.environ)


async def follow(session: aiohttp.ClientSession, url: str) -> str:
    """What a browser does: open the authorize URL and follow the redirect to the listener."""
    async with session.get(url) as response:
        assert response.status == 200, await response.text()
        return await response.text()


async def signed_in(
    emulator: RunningEmulator,
    session: aiohttp.ClientSession,
    store: FileTokenStore,
    clock: FakeClock,
    profile: str = "default",
) -> StoredLogin:
    urls: asyncio.Queue[str] = asyncio.Queue()
    service = service_for(emulator.origin, emulator.origin)
    task = asyncio.create_task(
        sign_in(
            service,
            CLIENT,
            store,
            profile,
            announce=urls.put_nowait,
            open_browser=False,
            clock=clock,
        )
    )
    page = await follow(session, await urls.get())
    assert "Signed in" in page
    return await task


async def works(session: aiohttp.ClientSession, emulator: RunningEmulator, token: str) -> bool:
    status, _ = await api(session, emulator, "GET", "/api/companies", token)
    return status == 200


async def refresh_is_accepted(
    session: aiohttp.ClientSession, emulator: RunningEmulator, refresh_token: str
) -> bool:
    status, _ = await token_request(
        session, emulator, {"grant_type": "refresh_token", "refresh_token": refresh_token}
    )
    return status == 200


# --- pure parts ----------------------------------------------------------------------------
def test_code_challenge_matches_rfc_7636_appendix_b() -> None:
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert code_challenge(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_the_authorize_url_asks_for_code_pkce_and_offline_access() -> None:
    url = build_authorize_url(SERVICE, "app", "http://127.0.0.1:5000/callback", "st", "v" * 43)
    assert url.startswith("https://identity.example/connect/authorize?")
    for part in (
        "response_type=code",
        "client_id=app",
        "redirect_uri=http%3A%2F%2F127.0.0.1%3A5000%2Fcallback",
        "state=st",
        f"code_challenge={code_challenge('v' * 43)}",
        "code_challenge_method=S256",
        "scope=offline_access+company.info.read",
    ):
        assert part in url
    assert "offline_access" in SCOPES


@pytest.mark.parametrize(
    ("expires_at", "now", "expected"),
    [
        (2000.0, 1000.0, False),
        (2000.0, 1939.0, False),
        (2000.0, 1940.0, True),
        (2000.0, 2500, True),
    ],
)
def test_a_token_is_refreshed_a_minute_before_it_expires(
    expires_at: float, now: float, expected: bool
) -> None:
    login = StoredLogin("i", "a", "c", "r", "t", expires_at, "s")
    assert needs_refresh(login, now) is expected


def test_a_stored_login_survives_a_round_trip_and_refuses_garbage() -> None:
    login = StoredLogin("i", "a", "c", "r", "t", 12.5, "s")
    assert StoredLogin.from_json(login.to_json()) == login
    assert "'r'" not in repr(login) and "'t'" not in repr(login)
    with pytest.raises(ValueError):
        StoredLogin.from_json({**login.to_json(), "access_expires_at": "soon"})


def test_a_rotating_answer_replaces_the_refresh_token_and_a_silent_one_keeps_it() -> None:
    answer = {"access_token": "a1", "expires_in": 3600, "token_type": "Bearer"}
    rotated = parse_token_response({**answer, "refresh_token": "r2"}, SERVICE, "c", 100.0, "r1")
    kept = parse_token_response(answer, SERVICE, "c", 100.0, "r1")
    assert (rotated.refresh_token, rotated.access_expires_at) == ("r2", 3700.0)
    assert kept.refresh_token == "r1"
    with pytest.raises(SignInError, match="offline_access"):
        parse_token_response(answer, SERVICE, "c", 100.0)
    with pytest.raises(SignInError, match="expires_in"):
        parse_token_response({**answer, "expires_in": 0, "refresh_token": "r"}, SERVICE, "c", 1.0)


def test_the_callback_must_carry_our_state_and_a_code() -> None:
    assert parse_callback({"state": "s", "code": "c"}, "s") == "c"
    with pytest.raises(SignInError, match="another state"):
        parse_callback({"state": "forged", "code": "c"}, "s")
    with pytest.raises(SignInError, match="access_denied"):
        parse_callback({"state": "s", "error": "access_denied"}, "s")


def test_plain_http_is_only_allowed_on_this_machine() -> None:
    assert service_for("http://127.0.0.1:8080/", "http://localhost:1").identity_url == (
        "http://127.0.0.1:8080"
    )
    with pytest.raises(ConfigError, match="plain http"):
        service_for("http://identity.example", "https://api.nmbrsapp.com")


def test_client_values_come_from_variables_then_the_rest_table(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        'username = "soap"\n[rest]\nclient_id = "file-id"\nclient_secret = "file-secret"\n'
        'subscription_key = "file-key"\n'
    )
    client = load_client_config(config, {"NMBRS_CLIENT_ID": "env-id"})
    assert (client.client_id, client.client_secret, client.subscription_key) == (
        "env-id",
        "file-secret",
        "file-key",
    )
    assert "file-secret" not in repr(client)
    other = tmp_path / "soap-only.toml"
    other.write_text('username = "soap"\n')
    with pytest.raises(ConfigError, match="NMBRS_CLIENT_ID"):
        load_client_config(other, {})
    with pytest.raises(ConfigError, match="does not exist"):
        load_client_config(tmp_path / "missing.toml", {})


# --- against the emulator ------------------------------------------------------------------
async def test_login_stores_a_working_login_in_a_private_file(
    emulator: RunningEmulator,
    session: aiohttp.ClientSession,
    store: FileTokenStore,
    clock: FakeClock,
) -> None:
    login = await signed_in(emulator, session, store, clock, profile="debtor-a")
    path = store.directory / "debtor-a.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(store.directory.stat().st_mode) == 0o700
    assert store.load("debtor-a") == login
    assert login.api_url == emulator.origin
    assert login.access_expires_at == clock.now + ACCESS_SECONDS
    async with TokenSource(store, CLIENT, "debtor-a", clock=clock) as tokens:
        assert await tokens.access_token() == login.access_token  # fresh: no refresh spent
    assert await works(session, emulator, login.access_token)
    assert store.load("debtor-a") == login


async def test_an_expired_token_is_refreshed_and_the_rotated_token_stored(
    emulator: RunningEmulator,
    session: aiohttp.ClientSession,
    store: FileTokenStore,
    clock: FakeClock,
) -> None:
    login = await signed_in(emulator, session, store, clock)
    async with TokenSource(store, CLIENT, clock=clock) as tokens:
        clock.now += ACCESS_SECONDS - 30  # inside the skew: refreshed before it dies on the way
        token = await tokens.access_token()
        assert token != login.access_token
        assert await works(session, emulator, token)
        stored = store.load("default")
        assert stored is not None
        assert (stored.access_token, stored.access_expires_at) == (token, clock.now + 600)
        assert stored.refresh_token != login.refresh_token
        assert await tokens.access_token() == token  # no second refresh while it is fresh
    assert not await refresh_is_accepted(session, emulator, login.refresh_token)


async def test_after_a_401_the_token_is_refreshed_once_and_a_stale_401_adopts(
    emulator: RunningEmulator,
    session: aiohttp.ClientSession,
    store: FileTokenStore,
    clock: FakeClock,
) -> None:
    login = await signed_in(emulator, session, store, clock)
    async with (
        TokenSource(store, CLIENT, clock=clock) as first,
        TokenSource(store, CLIENT, clock=clock) as second,
    ):
        assert await second.access_token() == login.access_token
        fresh = await first.refresh_after_401(login.access_token)
        assert fresh != login.access_token
        # `second` saw the old token refused too: it takes the stored successor, no new rotation.
        assert await second.refresh_after_401(login.access_token) == fresh
    stored = store.load("default")
    assert stored is not None and stored.access_token == fresh
    assert await refresh_is_accepted(session, emulator, stored.refresh_token)


async def test_two_sources_refreshing_at_once_rotate_once_and_lose_nothing(
    emulator: RunningEmulator,
    session: aiohttp.ClientSession,
    store: FileTokenStore,
    clock: FakeClock,
) -> None:
    login = await signed_in(emulator, session, store, clock)
    clock.now += ACCESS_SECONDS
    # Separate asyncio locks: only the file lock keeps them from spending the same token twice.
    async with (
        TokenSource(store, CLIENT, clock=clock) as first,
        TokenSource(store, CLIENT, clock=clock) as second,
    ):
        tokens = await asyncio.gather(
            first.access_token(), second.access_token(), first.access_token()
        )
    assert len(set(tokens)) == 1
    assert tokens[0] != login.access_token
    assert await works(session, emulator, tokens[0])
    stored = store.load("default")
    assert stored is not None
    assert await refresh_is_accepted(session, emulator, stored.refresh_token)


CHILD = """
import asyncio, sys
from bulkimport.emulator.rest import DEMO_APPLICATION as D
from bulkimport.nmbrs.rest.auth import ClientConfig
from bulkimport.nmbrs.rest.tokens import TokenSource, open_token_store

async def main():
    client = ClientConfig(D.client_id, D.client_secret, D.subscription_key)
    async with TokenSource(open_token_store(), client) as tokens:
        print("ready", flush=True)
        print(await tokens.access_token(), flush=True)

asyncio.run(main())
"""


async def test_another_process_waits_for_the_lock_and_adopts_the_rotation(
    emulator: RunningEmulator,
    session: aiohttp.ClientSession,
    store: FileTokenStore,
    clock: FakeClock,
    isolated_env: dict[str, str],
) -> None:
    login = await signed_in(emulator, session, store, clock)
    store.save("default", StoredLogin(**{**login.to_json(), "access_expires_at": 0.0}))
    async with locked(store.lock_path("default")):
        child = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            CHILD,
            env=isolated_env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        assert child.stdout is not None
        assert await child.stdout.readline() == b"ready\n"
        # While the child waits for the lock, this process rotates the login, as a run would.
        identity = IdentityClient(session, CLIENT)
        service = IdentityService(login.identity_url, login.api_url)
        rotated = await identity.refresh(service, login, "default", 2e10)
        store.save("default", rotated)
    out, err = await child.communicate()
    assert child.returncode == 0, err.decode()
    assert out.decode().splitlines()[-1] == rotated.access_token
    assert "rest_login_adopted" in out.decode()  # it re-read the store under the lock
    assert await refresh_is_accepted(session, emulator, rotated.refresh_token)


async def test_a_spent_refresh_token_means_log_in_again(
    emulator: RunningEmulator,
    session: aiohttp.ClientSession,
    store: FileTokenStore,
    clock: FakeClock,
) -> None:
    login = await signed_in(emulator, session, store, clock, profile="debtor-b")
    assert await refresh_is_accepted(session, emulator, login.refresh_token)  # spent elsewhere
    clock.now += ACCESS_SECONDS
    async with TokenSource(store, CLIENT, "debtor-b", clock=clock) as tokens:
        with pytest.raises(LoginExpired, match="bulkimport login --profile debtor-b"):
            await tokens.access_token()
    async with TokenSource(store, CLIENT, "nobody", clock=clock) as tokens:
        with pytest.raises(LoginExpired, match="no login is stored"):
            await tokens.access_token()


async def test_logout_revokes_so_the_refresh_token_is_refused(
    emulator: RunningEmulator,
    session: aiohttp.ClientSession,
    store: FileTokenStore,
    clock: FakeClock,
) -> None:
    login = await signed_in(emulator, session, store, clock)
    assert await sign_out(CLIENT, store, "default") is True
    assert store.load("default") is None
    assert not await refresh_is_accepted(session, emulator, login.refresh_token)
    assert not await works(session, emulator, login.access_token)
    assert await sign_out(CLIENT, store, "default") is False


async def test_a_forged_redirect_is_ignored_and_no_consent_times_out(
    emulator: RunningEmulator,
    session: aiohttp.ClientSession,
    store: FileTokenStore,
    clock: FakeClock,
) -> None:
    urls: asyncio.Queue[str] = asyncio.Queue()
    service = service_for(emulator.origin, emulator.origin)
    task = asyncio.create_task(
        sign_in(service, CLIENT, store, "x", announce=urls.put_nowait, open_browser=False)
    )
    url = await urls.get()
    redirect = url.split("redirect_uri=")[1].split("&")[0].replace("%3A", ":").replace("%2F", "/")
    async with session.get(redirect, params={"state": "forged", "code": "c"}) as response:
        assert response.status == 400
    assert not task.done()
    await follow(session, url)
    assert (await task).client_id == CLIENT.client_id
    with pytest.raises(SignInError, match="no sign-in arrived"):
        await sign_in(
            service, CLIENT, store, "y", announce=lambda _: None, open_browser=False, wait_seconds=0
        )
    assert store.load("y") is None


async def test_no_secret_or_token_reaches_the_logs(
    emulator: RunningEmulator,
    session: aiohttp.ClientSession,
    store: FileTokenStore,
    clock: FakeClock,
) -> None:
    with capture_logs() as entries:
        login = await signed_in(emulator, session, store, clock)
        clock.now += ACCESS_SECONDS
        async with TokenSource(store, CLIENT, clock=clock) as tokens:
            fresh = await tokens.access_token()
        await sign_out(CLIENT, store, "default")
    logged = repr(entries)
    assert {entry["event"] for entry in entries} >= {"rest_login_stored", "rest_login_refreshed"}
    for secret in (
        CLIENT.client_secret,
        CLIENT.subscription_key,
        login.access_token,
        login.refresh_token,
        fresh,
    ):
        assert secret not in logged


# --- the command line ----------------------------------------------------------------------
async def run_cli(env: dict[str, str], *args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bulkimport",
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def test_the_login_and_logout_commands_end_to_end(
    emulator: RunningEmulator, session: aiohttp.ClientSession, isolated_env: dict[str, str]
) -> None:
    login = await run_cli(isolated_env, "login", "--emulator", emulator.origin, "--no-browser")
    assert login.stderr is not None
    lines: list[str] = []
    while not lines or not lines[-1].startswith("http"):
        line = (await login.stderr.readline()).decode()
        assert line, "".join(lines)
        lines.append(line)
    await follow(session, lines[-1].strip())
    out, err = await login.communicate()
    assert login.returncode == 0, err.decode()
    assert "signed in: profile 'default'" in err.decode()
    assert out == b""  # log lines below warning stay quiet; nothing but the outcome is said
    token_file = Path(isolated_env[TOKEN_DIR_VARIABLE]) / "default.json"
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    stored = open_token_store(isolated_env).load("default")
    assert stored is not None
    assert await works(session, emulator, stored.access_token)

    logout = await run_cli(isolated_env, "logout")
    _, err = await logout.communicate()
    assert logout.returncode == 0, err.decode()
    assert not token_file.exists()
    assert not await refresh_is_accepted(session, emulator, stored.refresh_token)

    again = await run_cli(isolated_env, "logout")  # needs no credentials: nothing to revoke
    _, err = await again.communicate()
    assert (again.returncode, err.decode()) == (
        0,
        "not signed in: no login stored for profile 'default'\n",
    )


def test_login_without_credentials_fails_with_one_line(
    isolated_env: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["login", "--no-browser"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("error: login failed: no REST client_id: set NMBRS_CLIENT_ID")


# --- where tokens are kept -----------------------------------------------------------------
class MemoryKeyring(KeyringBackend):
    """An OS keyring stand-in: the tests never touch the real one."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # keyring's is unannotated
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.entries.pop((service, username), None) is None:
            raise PasswordDeleteError(username)


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


def test_a_usable_keyring_holds_the_login_and_the_directory_only_the_lock(
    memory_keyring: MemoryKeyring, tmp_path: Path
) -> None:
    environ = {"XDG_CONFIG_HOME": str(tmp_path)}
    store = open_token_store(environ)
    assert isinstance(store, KeyringTokenStore)
    login = StoredLogin("i", "a", "c", "refresh-1", "access-1", 5.0, "s")
    store.save("debtor-a", login)
    assert store.load("debtor-a") == login
    assert list(memory_keyring.entries) == [(KEYRING_SERVICE, "debtor-a")]
    assert store.lock_path("debtor-a") == tmp_path / "bulkimport" / "tokens" / "debtor-a.lock"
    assert not list((tmp_path / "bulkimport" / "tokens").glob("*.json"))
    store.delete("debtor-a")
    store.delete("debtor-a")  # already gone: nothing to do
    assert store.load("debtor-a") is None


@pytest.mark.parametrize("backend", [fail.Keyring, null.Keyring])
def test_without_a_real_keyring_tokens_go_to_a_private_file(
    backend: type[KeyringBackend], tmp_path: Path
) -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(backend())
    try:
        store = open_token_store({"XDG_CONFIG_HOME": str(tmp_path)})
    finally:
        keyring.set_keyring(previous)
    assert isinstance(store, FileTokenStore)
    assert store.directory == tmp_path / "bulkimport" / "tokens"


class LockedKeyring(MemoryKeyring):
    def get_password(self, service: str, username: str) -> str | None:
        raise KeyringLocked("the user did not unlock it")


def test_a_locked_keyring_is_a_clear_fatal_error() -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(LockedKeyring())
    try:
        with pytest.raises(SignInError, match="the OS keyring refused: the user did not"):
            KeyringTokenStore(Path("unused")).load("default")
    finally:
        keyring.set_keyring(previous)


def test_a_profile_name_cannot_leave_the_token_directory(store: FileTokenStore) -> None:
    with pytest.raises(SignInError, match="profile"):
        store.load("../elsewhere")
