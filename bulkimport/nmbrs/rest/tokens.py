"""The REST token store and the TokenSource the REST backend asks for access tokens. Does I/O.

Logins live in the OS keyring when a real backend is there, else in one JSON file per profile
that only the user can read. Refresh tokens rotate: a refresh spends the stored one, so the new
one is saved before the new access token is used, under an OS file lock beside the store, and
whoever takes the lock first re-reads the store: a process that finds the login already
rotated by another uses that result instead of spending a refresh token that is gone.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import os
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, Final, Protocol

import aiohttp
import structlog

from bulkimport.errors import LoginExpired, RetryableError, SignInError
from bulkimport.logs import register_secret
from bulkimport.nmbrs.rest.auth import (
    EXPIRY_SKEW_SECONDS,
    ClientConfig,
    IdentityService,
    StoredLogin,
    describe_oauth_error,
    needs_refresh,
    parse_token_response,
)

TOKEN_DIR_VARIABLE: Final = "BULKIMPORT_TOKEN_DIR"  # noqa: S105 - a variable name, not a secret
KEYRING_SERVICE: Final = "bulkimport-nmbrs-rest"
_LOCK_POLL_SECONDS: Final = 0.05
_IDENTITY_TIMEOUT: Final = aiohttp.ClientTimeout(total=30)
# Backends that store nothing or store it readable: a file of our own (0600) is better.
_UNUSABLE_KEYRINGS: Final = ("keyring.backends.fail", "keyring.backends.null", "keyrings.alt.file")

_log = structlog.get_logger()


class TokenStore(Protocol):
    """Where logins are kept, one per profile; `lock_path` is the file that serialises refreshes."""

    def load(self, profile: str) -> StoredLogin | None: ...
    def save(self, profile: str, login: StoredLogin) -> None: ...
    def delete(self, profile: str) -> None: ...
    def lock_path(self, profile: str) -> Path: ...


def default_token_dir(environ: Mapping[str, str] = os.environ) -> Path:
    """`$XDG_CONFIG_HOME/bulkimport/tokens`, else `~/.config/bulkimport/tokens`."""
    base = environ.get("XDG_CONFIG_HOME") or str(Path("~/.config").expanduser())
    return Path(base) / "bulkimport" / "tokens"


def open_token_store(environ: Mapping[str, str] = os.environ) -> TokenStore:
    """`$BULKIMPORT_TOKEN_DIR` set: files there (how tests and CI keep off the keyring); else
    the OS keyring when a usable backend exists; else files in `default_token_dir()`."""
    chosen = environ.get(TOKEN_DIR_VARIABLE)
    if chosen:
        return FileTokenStore(Path(chosen))
    directory = default_token_dir(environ)
    if _usable_keyring():
        return KeyringTokenStore(directory)
    return FileTokenStore(directory)


def _usable_keyring() -> bool:
    try:
        import keyring
        from keyring.backends.chainer import ChainerBackend

        backend = keyring.get_keyring()
    except Exception:  # a broken keyring installation: fall back to the file
        return False
    backends = backend.backends if isinstance(backend, ChainerBackend) else [backend]
    return any(
        not type(b).__module__.startswith(_UNUSABLE_KEYRINGS)
        and "plaintext" not in type(b).__name__.lower()
        for b in backends
    )


def _private_directory(directory: Path) -> Path:
    """The store's directory, created 0700; an existing one is left as it is (the files in it
    are 0600 whatever the directory allows, and it may be a directory the user chose)."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    return directory


def _check_profile(profile: str) -> str:
    """A profile is a file name: letters, digits, `-`, `_`, `.` (no path tricks)."""
    if (
        not profile
        or profile.startswith(".")
        or not all(c.isalnum() or c in "-_." for c in profile)
    ):
        raise SignInError(f"profile {profile!r}: use letters, digits, '-', '_' or '.'")
    return profile


class FileTokenStore:
    """`<directory>/<profile>.json`, mode 0600 in a 0700 directory; replaced atomically."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _path(self, profile: str) -> Path:
        return self.directory / f"{_check_profile(profile)}.json"

    def load(self, profile: str) -> StoredLogin | None:
        path = self._path(profile)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise SignInError(f"cannot read the token file {path}: {exc.strerror}") from exc
        return _decode(text, str(path))

    def save(self, profile: str, login: StoredLogin) -> None:
        path = self._path(profile)
        _private_directory(self.directory)
        temporary = path.with_suffix(".tmp")  # saves are serialised by the lock file
        temporary.unlink(missing_ok=True)
        # Created 0600 (O_EXCL: never reusing a file with other bits): never readable by others.
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(login.to_json(), handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)  # a crash leaves the old login or the new one, never half

    def delete(self, profile: str) -> None:
        self._path(profile).unlink(missing_ok=True)

    def lock_path(self, profile: str) -> Path:
        return _private_directory(self.directory) / f"{_check_profile(profile)}.lock"


class KeyringTokenStore:
    """The OS keyring (service `bulkimport-nmbrs-rest`, one entry per profile); lock files in
    `directory`, which holds no secret."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def load(self, profile: str) -> StoredLogin | None:
        import keyring

        with _keyring_errors():
            text = keyring.get_password(KEYRING_SERVICE, _check_profile(profile))
        return None if text is None else _decode(text, f"the keyring entry {profile!r}")

    def save(self, profile: str, login: StoredLogin) -> None:
        import keyring

        with _keyring_errors():
            keyring.set_password(
                KEYRING_SERVICE, _check_profile(profile), json.dumps(login.to_json())
            )

    def delete(self, profile: str) -> None:
        import keyring
        from keyring.errors import PasswordDeleteError

        with _keyring_errors(), contextlib.suppress(PasswordDeleteError):
            keyring.delete_password(KEYRING_SERVICE, _check_profile(profile))

    def lock_path(self, profile: str) -> Path:
        return _private_directory(self.directory) / f"{_check_profile(profile)}.lock"


@contextlib.contextmanager
def _keyring_errors() -> Iterator[None]:
    """A locked or unreachable keyring (no D-Bus session, a refused unlock) is fatal."""
    from keyring.errors import KeyringError

    try:
        yield
    except KeyringError as exc:
        raise SignInError(f"the OS keyring refused: {exc}") from exc


def _decode(text: str, where: str) -> StoredLogin:
    try:
        login = StoredLogin.from_json(json.loads(text))
    except ValueError as exc:
        raise SignInError(f"{where} is not a stored login ({exc}): run `bulkimport login`") from exc
    register_secret(login.access_token)
    register_secret(login.refresh_token)
    return login


@contextlib.asynccontextmanager
async def locked(path: Path) -> AsyncIterator[None]:
    """An exclusive `flock` on `path`, polled so that waiting stays cancellable."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                await asyncio.sleep(_LOCK_POLL_SECONDS)
        yield
    finally:
        os.close(fd)  # closing releases the lock


class IdentityClient:
    """The identity service's token and revocation endpoints for one application."""

    def __init__(self, session: aiohttp.ClientSession, client: ClientConfig) -> None:
        self._session = session
        self._client = client

    async def redeem_code(
        self, service: IdentityService, code: str, redirect_uri: str, verifier: str, now: float
    ) -> StoredLogin:
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
        }
        status, body = await self._post(service.token_url, form)
        if status != 200:
            raise SignInError(f"Nmbrs refused the authorization code: {_describe(body, status)}")
        return self._parsed(body, service, now, None)

    async def refresh(
        self, service: IdentityService, login: StoredLogin, profile: str, now: float
    ) -> StoredLogin:
        """Spends `login.refresh_token`; the answer holds its successor.

        Raises:
            LoginExpired: `invalid_grant` (used, revoked or expired): only a new login helps.
            RetryableError: no answer or a 5xx: the refresh token may or may not be spent.
        """
        form = {"grant_type": "refresh_token", "refresh_token": login.refresh_token}
        status, body = await self._post(service.token_url, form)
        if status >= 500:
            raise RetryableError(f"the token endpoint answered HTTP {status}")
        if status != 200:
            if isinstance(body, dict) and body.get("error") == "invalid_grant":
                raise LoginExpired(profile, "Nmbrs no longer accepts its refresh token")
            raise SignInError(f"Nmbrs refused the token refresh: {_describe(body, status)}")
        return self._parsed(body, service, now, login.refresh_token)

    async def revoke(self, service: IdentityService, refresh_token: str) -> None:
        form = {"token": refresh_token, "token_type_hint": "refresh_token"}
        status, body = await self._post(service.revocation_url, form)
        if status != 200:
            raise SignInError(f"Nmbrs refused the revocation: {_describe(body, status)}")

    def _parsed(
        self, body: Any, service: IdentityService, now: float, previous: str | None
    ) -> StoredLogin:
        login = parse_token_response(body, service, self._client.client_id, now, previous)
        register_secret(login.access_token)
        register_secret(login.refresh_token)
        return login

    async def _post(self, url: str, form: dict[str, str]) -> tuple[int, Any]:
        """Client authentication in the body (client_secret_post), as REST.md's clients do."""
        form = {
            "client_id": self._client.client_id,
            "client_secret": self._client.client_secret,
            **form,
        }
        try:
            async with self._session.post(url, data=form, timeout=_IDENTITY_TIMEOUT) as response:
                text = await response.text()
                status = response.status
        except TimeoutError as exc:
            raise RetryableError(f"the identity service did not answer in time ({url})") from exc
        except aiohttp.ClientError as exc:
            raise RetryableError(f"cannot reach the identity service ({url}): {exc}") from exc
        try:
            return status, json.loads(text) if text else None
        except ValueError:
            return status, None


def _describe(body: Any, status: int) -> str:
    return describe_oauth_error(body) if isinstance(body, dict) else f"HTTP {status}"


class TokenSource:
    """Access tokens for one stored login, refreshed when they expire or after a 401.

    Use `async with TokenSource(...) as tokens`, then `await tokens.access_token()` before each
    call and `await tokens.refresh_after_401(token_that_was_refused)` once after a 401 (a second
    401 with the fresh token is the caller's fatal error).
    """

    def __init__(
        self,
        store: TokenStore,
        client: ClientConfig,
        profile: str = "default",
        *,
        clock: Callable[[], float] = time.time,
        skew: float = EXPIRY_SKEW_SECONDS,
    ) -> None:
        self.store = store
        self.profile = profile
        self._client = client
        self._clock = clock
        self._skew = skew
        self._login: StoredLogin | None = None
        self._lock = asyncio.Lock()
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> TokenSource:
        self._session = aiohttp.ClientSession()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    @property
    def api_url(self) -> str:
        """The API host the login is for (known after the first `access_token()`)."""
        if self._login is None:
            raise RuntimeError("access_token() has not been called yet")
        return self._login.api_url

    async def access_token(self) -> str:
        login = self._login
        if login is None:
            login = self._login = self._load()
        if needs_refresh(login, self._clock(), self._skew):
            login = await self._refresh(stale=login.access_token)
        return login.access_token

    async def refresh_after_401(self, rejected: str) -> str:
        """A token Nmbrs refused (revoked, or expired early): a fresh one, unless another task
        or process already replaced it."""
        return (await self._refresh(stale=rejected)).access_token

    def _load(self) -> StoredLogin:
        login = self.store.load(self.profile)
        if login is None:
            raise LoginExpired(self.profile, "no login is stored")
        return login

    def _usable(self, login: StoredLogin | None, stale: str) -> bool:
        return (
            login is not None
            and login.access_token != stale
            and not needs_refresh(login, self._clock(), self._skew)
        )

    async def _refresh(self, stale: str) -> StoredLogin:
        async with self._lock:
            if self._login is not None and self._usable(self._login, stale):
                return self._login  # another task of this process refreshed meanwhile
            async with locked(self.store.lock_path(self.profile)):
                stored = self._load()
                if self._usable(stored, stale):
                    _log.info("rest_login_adopted", profile=self.profile)
                    self._login = stored  # another process rotated it: never spend it twice
                    return stored
                if self._session is None:
                    raise RuntimeError("use TokenSource in `async with`")
                identity = IdentityClient(self._session, self._client)
                service = IdentityService(stored.identity_url, stored.api_url)
                fresh = await identity.refresh(service, stored, self.profile, self._clock())
                self.store.save(self.profile, fresh)  # before anyone uses the new access token
                _log.info("rest_login_refreshed", profile=self.profile)
                self._login = fresh
                return fresh
