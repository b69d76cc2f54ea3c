"""Sign-in for Nmbrs' REST API, the pure parts: PKCE, the authorize URL, token replies, expiry.

Nmbrs grants only the OAuth 2.0 authorization code flow (REST.md section 2); bulkimport adds
PKCE (S256) and asks for `offline_access` so that one consent gives a refresh token, which
rotates on every use. No I/O here: `login` and `tokens` do the HTTP and the storing.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import urlencode, urlsplit

from bulkimport.errors import ConfigError, SignInError

NMBRS_IDENTITY_URL: Final = "https://identityservice.nmbrs.com"
NMBRS_API_URL: Final = "https://api.nmbrsapp.com"
DEFAULT_PROFILE: Final = "default"
# What the shipped templates, pre-flight and reconciliation call (REST.md's scope table and each
# operation's `security`); `offline_access` is what brings a refresh token. A scope cannot be
# widened without a new consent, so a template that needs more means logging in again.
SCOPES: Final = (
    "offline_access",
    "company.info.read",
    "employee.info",
    "employee.employment",
    "employee.bankaccount",
)
# Refresh this long before the stated expiry: a call must not leave with a token that dies on
# the way, and clocks differ.
EXPIRY_SKEW_SECONDS: Final = 60.0
CALLBACK_PATH: Final = "/callback"
_LOOPBACK_HOSTS: Final = frozenset({"127.0.0.1", "localhost", "::1"})


@dataclass(frozen=True, slots=True)
class ClientConfig:
    """The registered application (client id and secret) and its product subscription key."""

    client_id: str
    client_secret: str = field(repr=False)
    subscription_key: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class IdentityService:
    """Where to sign in and where the API lives that the login is for."""

    identity_url: str
    api_url: str

    @property
    def authorize_url(self) -> str:
        return f"{self.identity_url}/connect/authorize"

    @property
    def token_url(self) -> str:
        return f"{self.identity_url}/connect/token"

    @property
    def revocation_url(self) -> str:
        return f"{self.identity_url}/connect/revocation"


@dataclass(frozen=True, slots=True)
class StoredLogin:
    """One profile's login as kept in the token store. `access_expires_at` is epoch seconds."""

    identity_url: str
    api_url: str
    client_id: str
    refresh_token: str = field(repr=False)
    access_token: str = field(repr=False)
    access_expires_at: float
    scope: str

    def to_json(self) -> dict[str, Any]:
        return {
            "identity_url": self.identity_url,
            "api_url": self.api_url,
            "client_id": self.client_id,
            "refresh_token": self.refresh_token,
            "access_token": self.access_token,
            "access_expires_at": self.access_expires_at,
            "scope": self.scope,
        }

    @classmethod
    def from_json(cls, value: Any) -> StoredLogin:
        """Raises ValueError for anything that is not a login this module wrote."""
        if not isinstance(value, dict):
            raise ValueError("not a JSON object")
        texts = ("identity_url", "api_url", "client_id", "refresh_token", "access_token", "scope")
        if not all(isinstance(value.get(name), str) for name in texts):
            raise ValueError("a field is missing or not text")
        expires = value.get("access_expires_at")
        if isinstance(expires, bool) or not isinstance(expires, int | float):
            raise ValueError("access_expires_at is not a number")
        return cls(**{name: value[name] for name in texts}, access_expires_at=float(expires))


def service_for(identity_url: str, api_url: str) -> IdentityService:
    """Both URLs without a trailing slash; https, or http only on this machine.

    Raises:
        ConfigError: a URL that is not http(s), or plain http to another host (the client
            secret and the tokens would travel readable).
    """
    for url in (identity_url, api_url):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(f"{url!r} is not an http(s) URL")
        if parts.scheme == "http" and parts.hostname not in _LOOPBACK_HOSTS:
            raise ConfigError(f"{url!r}: plain http is only allowed on this machine")
    return IdentityService(identity_url.rstrip("/"), api_url.rstrip("/"))


def new_code_verifier() -> str:
    """64 unreserved characters (RFC 7636 allows 43 to 128)."""
    return secrets.token_urlsafe(48)


def code_challenge(verifier: str) -> str:
    """S256: base64url(sha256(verifier)) without padding (RFC 7636 4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def redirect_uri_for(port: int) -> str:
    """The loopback redirect URI (RFC 8252 7.3): any port, chosen when the listener starts."""
    return f"http://127.0.0.1:{port}{CALLBACK_PATH}"


def build_authorize_url(
    service: IdentityService,
    client_id: str,
    redirect_uri: str,
    state: str,
    verifier: str,
    scopes: tuple[str, ...] = SCOPES,
) -> str:
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": " ".join(scopes),
        "state": state,
        "code_challenge": code_challenge(verifier),
        "code_challenge_method": "S256",
    }
    return f"{service.authorize_url}?{urlencode(query)}"


def parse_callback(query: Mapping[str, str], expected_state: str) -> str:
    """The authorization code of a redirect to the loopback listener.

    Raises:
        SignInError: the state differs (a forged or stale redirect), or Nmbrs refused.
    """
    if not secrets.compare_digest(query.get("state", ""), expected_state):
        raise SignInError(
            "the sign-in redirect carries another state: start `bulkimport login` again"
        )
    if "error" in query:
        raise SignInError(f"Nmbrs refused the sign-in: {describe_oauth_error(query)}")
    code = query.get("code", "")
    if not code:
        raise SignInError("the sign-in redirect carries no authorization code")
    return code


def describe_oauth_error(body: Mapping[str, Any]) -> str:
    """`error: error_description` of an RFC 6749 error answer."""
    error = str(body.get("error", "unknown_error"))
    description = body.get("error_description")
    return f"{error}: {description}" if description else error


def parse_token_response(
    body: Any,
    service: IdentityService,
    client_id: str,
    now: float,
    previous_refresh_token: str | None = None,
) -> StoredLogin:
    """The login a token endpoint answer gives; a refresh without a new refresh token keeps the
    previous one (Nmbrs rotates, RFC 6749 allows either).

    Raises:
        SignInError: not a bearer token answer, or no refresh token (no `offline_access`).
    """
    if not isinstance(body, dict):
        raise SignInError("the token endpoint did not answer with a JSON object")
    access_token = body.get("access_token")
    expires_in = body.get("expires_in")
    refresh_token = body.get("refresh_token", previous_refresh_token)
    token_type = body.get("token_type", "Bearer")
    if not isinstance(access_token, str) or not access_token:
        raise SignInError("the token endpoint answered without an access token")
    if not isinstance(token_type, str) or token_type.lower() != "bearer":
        raise SignInError(f"the token endpoint answered a {token_type!r} token, not Bearer")
    if isinstance(expires_in, bool) or not isinstance(expires_in, int | float) or expires_in <= 0:
        raise SignInError("the token endpoint answered without a valid expires_in")
    if not isinstance(refresh_token, str) or not refresh_token:
        raise SignInError(
            "the token endpoint answered without a refresh token (was offline_access granted?)"
        )
    scope = body.get("scope")
    return StoredLogin(
        identity_url=service.identity_url,
        api_url=service.api_url,
        client_id=client_id,
        refresh_token=refresh_token,
        access_token=access_token,
        access_expires_at=now + float(expires_in),
        scope=scope
        if isinstance(scope, str)
        else " ".join(SCOPES),  # omitted: as asked (RFC 6749 5.1)
    )


def needs_refresh(login: StoredLogin, now: float, skew: float = EXPIRY_SKEW_SECONDS) -> bool:
    """True when the access token is expired or expires within `skew` seconds."""
    return login.access_expires_at - skew <= now
