"""The emulator's identity service: authorization codes with PKCE, rotating refresh tokens. Pure.

Nmbrs' identity service (REST.md section 2) grants only the authorization code flow. The
emulator's demo user consents at once, so `authorize` returns the code without a page; the
clock is injected so tests can let tokens expire without waiting.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import secrets
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit

from bulkimport.emulator.rest.schemas import SCOPES

CODE_SECONDS: Final = 300.0  # "only valid for 5 minutes" (developer.nmbrs.com/auth)
OFFLINE_ACCESS: Final = "offline_access"
_LOOPBACK_HOSTS: Final = frozenset({"127.0.0.1", "localhost", "::1"})
_VERIFIER_CHARACTERS: Final = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
)


@dataclass(frozen=True, slots=True)
class OAuthApplication:
    """A registered application: its client credentials and its product subscription key."""

    client_id: str
    client_secret: str
    subscription_key: str


DEMO_APPLICATION: Final = OAuthApplication(
    client_id="bulkimport-demo",
    client_secret="bulkimport-demo-secret",  # noqa: S106 - public demo application of the local emulator
    subscription_key="bulkimport-demo-subscription-key",
)


class OAuthError(Exception):
    """An RFC 6749 error: `error` is the code the client sees, `description` says why."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description


@dataclass(frozen=True, slots=True)
class Grant:
    """One consent: the application it was given to and the scopes it covers."""

    number: int
    client_id: str
    scopes: frozenset[str]


@dataclass(frozen=True, slots=True)
class TokenSet:
    access_token: str
    expires_in: int
    refresh_token: str | None
    scope: str


@dataclass(frozen=True, slots=True)
class _PendingCode:
    client_id: str
    redirect_uri: str
    challenge: str
    scopes: frozenset[str]
    expires: float


def is_loopback_redirect(uri: str) -> bool:
    """Any http URI on a loopback host, as RFC 8252 allows native applications."""
    try:
        parts = urlsplit(uri)
        parts.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError:
        return False
    return parts.scheme == "http" and parts.hostname in _LOOPBACK_HOSTS and not parts.fragment


def pkce_challenge(verifier: str) -> str:
    """S256: base64url(sha256(verifier)) without padding (RFC 7636)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class Authority:
    """Codes, grants and tokens of one emulator; `reset()` forgets them all."""

    def __init__(
        self,
        applications: tuple[OAuthApplication, ...],
        access_seconds: float,
        refresh_seconds: float,
    ) -> None:
        self.applications = {app.client_id: app for app in applications}
        self.access_seconds = access_seconds
        self.refresh_seconds = refresh_seconds
        self.reset()

    def reset(self) -> None:
        self._codes: dict[str, _PendingCode] = {}
        self._grants: dict[int, Grant] = {}
        self._access: dict[str, tuple[int, float]] = {}  # token -> (grant, expiry)
        self._refresh: dict[str, tuple[int, float]] = {}
        self._numbers = itertools.count(1)

    def subscription_keys(self) -> frozenset[str]:
        return frozenset(app.subscription_key for app in self.applications.values())

    # --- /connect/authorize ----------------------------------------------------------------
    def check_client(self, client_id: str, redirect_uri: str) -> None:
        """Errors that must not redirect (RFC 6749 4.1.2.1): unknown client, bad redirect URI."""
        if client_id not in self.applications:
            raise OAuthError("invalid_client", "unknown client_id")
        if not is_loopback_redirect(redirect_uri):
            raise OAuthError("invalid_request", "redirect_uri must be an http loopback URI")

    def authorize(
        self,
        client_id: str,
        redirect_uri: str,
        response_type: str,
        scope: str,
        challenge: str,
        challenge_method: str,
        now: float,
    ) -> str:
        """The demo user's consent at once: a single-use code for a valid request."""
        self.check_client(client_id, redirect_uri)
        if response_type != "code":
            raise OAuthError("unsupported_response_type", "only response_type=code is granted")
        scopes = frozenset(scope.split())
        unknown = scopes - set(SCOPES)
        if not scopes or unknown:
            raise OAuthError("invalid_scope", "unknown scope(s): " + " ".join(sorted(unknown)))
        if challenge_method != "S256" or not 43 <= len(challenge) <= 128:
            raise OAuthError("invalid_request", "PKCE with code_challenge_method=S256 is required")
        code = secrets.token_urlsafe(32)
        self._codes[code] = _PendingCode(
            client_id, redirect_uri, challenge, scopes, now + CODE_SECONDS
        )
        return code

    # --- /connect/token --------------------------------------------------------------------
    def authenticate(self, client_id: str, client_secret: str) -> OAuthApplication:
        app = self.applications.get(client_id)
        if app is None or not hmac.compare_digest(
            app.client_secret.encode(), client_secret.encode()
        ):
            raise OAuthError("invalid_client", "client authentication failed")
        return app

    def redeem_code(
        self, app: OAuthApplication, code: str, redirect_uri: str, verifier: str, now: float
    ) -> TokenSet:
        pending = self._codes.pop(code, None)  # single use, whatever happens next
        if pending is None or pending.expires <= now or pending.client_id != app.client_id:
            raise OAuthError("invalid_grant", "the code is unknown, used or expired")
        if pending.redirect_uri != redirect_uri:
            raise OAuthError("invalid_grant", "redirect_uri differs from the authorize request")
        if not (43 <= len(verifier) <= 128 and set(verifier) <= _VERIFIER_CHARACTERS) or (
            not hmac.compare_digest(pkce_challenge(verifier), pending.challenge)
        ):
            raise OAuthError("invalid_grant", "code_verifier does not match the code_challenge")
        grant = Grant(next(self._numbers), app.client_id, pending.scopes)
        self._grants[grant.number] = grant
        return self._issue(grant, now)

    def refresh(self, app: OAuthApplication, token: str, now: float) -> TokenSet:
        """Rotation: the refresh token is spent by this call, a new one comes back."""
        entry = self._refresh.pop(token, None)
        grant = self._grants.get(entry[0]) if entry else None
        if entry is None or grant is None or entry[1] <= now or grant.client_id != app.client_id:
            raise OAuthError("invalid_grant", "the refresh token is unknown, used or expired")
        return self._issue(grant, now)

    def _issue(self, grant: Grant, now: float) -> TokenSet:
        access = secrets.token_urlsafe(32)
        self._access[access] = (grant.number, now + self.access_seconds)
        refresh = None
        if OFFLINE_ACCESS in grant.scopes:
            refresh = secrets.token_urlsafe(32)
            self._refresh[refresh] = (grant.number, now + self.refresh_seconds)
        return TokenSet(access, int(self.access_seconds), refresh, " ".join(sorted(grant.scopes)))

    # --- /connect/revocation ---------------------------------------------------------------
    def revoke(self, app: OAuthApplication, token: str) -> None:
        """A refresh token ends its whole grant (every token of it); an access token itself.

        Unknown tokens are ignored, as RFC 7009 asks.
        """
        entry = self._refresh.get(token)
        if entry is not None:
            grant = self._grants.get(entry[0])
            if grant is not None and grant.client_id == app.client_id:
                self._end_grant(grant.number)
            return
        access = self._access.get(token)
        if access is not None and self._grants[access[0]].client_id == app.client_id:
            del self._access[token]

    def _end_grant(self, number: int) -> None:
        del self._grants[number]
        for tokens in (self._access, self._refresh):
            for token in [t for t, (grant, _) in tokens.items() if grant == number]:
                del tokens[token]

    # --- API calls -------------------------------------------------------------------------
    def grant_for(self, access_token: str, now: float) -> Grant | None:
        """The grant a live access token belongs to; None if unknown, revoked or expired."""
        entry = self._access.get(access_token)
        if entry is None:
            return None
        if entry[1] <= now:
            del self._access[access_token]
            return None
        return self._grants.get(entry[0])
