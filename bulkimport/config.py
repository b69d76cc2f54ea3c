"""Run settings: where to send, as whom, how fast. Pure values; reading env/files is in the CLI."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final


class Country(StrEnum):
    """Decides the identity-number rule: Dutch BSN (11-check) or Swedish personnummer (Luhn)."""

    NL = "NL"
    SE = "SE"


@dataclass(frozen=True, slots=True)
class Environment:
    name: str
    base_url: str  # the services live at <base_url><Service>.asmx
    country: Country


ENVIRONMENTS: Final = {
    "nl": Environment("nl", "https://api.nmbrs.nl/soap/v3/", Country.NL),
    "se": Environment("se", "https://api.nmbrs.se/soap/v3/", Country.SE),
    "sandbox": Environment("sandbox", "https://api-sandbox.nmbrs.nl/soap/v3/", Country.NL),
}

NMBRS_CALLS_PER_SECOND: Final = 150
# Rows in flight are held in memory (the pipeline reads ahead 4x the calls in flight), and at
# 150 calls/s more than this many calls in flight only wait in the limiter's queue.
MAX_CONCURRENCY: Final = 1000


@dataclass(frozen=True, slots=True)
class Credentials:
    """The AuthHeaderWithDomain values. The token never shows in a repr."""

    username: str
    token: str = field(repr=False)
    domain: str = ""

    def __repr__(self) -> str:
        return f"Credentials(username={self.username!r}, token='***', domain={self.domain!r})"


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Bounded exponential backoff with equal jitter; every attempt passes the limiter again."""

    max_attempts: int = 6
    base_delay: float = 0.25
    max_delay: float = 8.0


@dataclass(frozen=True, slots=True)
class TransportSettings:
    """How calls go out: where, as whom, how fast. Retrying is the caller's (RetryPolicy)."""

    base_url: str
    credentials: Credentials
    rate: float = NMBRS_CALLS_PER_SECOND
    concurrency: int = 100
    timeout: float = 30.0
    insecure: bool = False


REST_API_HOST: Final = "https://api.nmbrsapp.com"  # Nmbrs' one REST host, every environment


@dataclass(frozen=True, slots=True)
class RestApplication:
    """A REST account's registered application and the subscription key its calls carry (the
    key is what Nmbrs' hidden rate limit counts)."""

    client_id: str
    client_secret: str = field(repr=False)
    subscription_key: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class NamedAccount:
    """An `[accounts.NAME]` table of the config file: one Nmbrs account a job step names.

    The secret is never in the file: `token_source` says where it was found (an environment
    variable or the keyring), `credentials` is None when it was found nowhere. A REST account
    signs in with its own stored login (`profile`, made once with `bulkimport login
    --profile`) and carries its application's values in `rest_application` (None when a
    value was found nowhere).
    """

    name: str
    api: str  # "soap" or "rest"
    endpoint: str | None
    environment: str | None
    username: str  # SOAP
    domain: str  # SOAP
    token_source: str
    credentials: Credentials | None = None  # SOAP
    rate: float = NMBRS_CALLS_PER_SECOND  # lower it when other tools share the account
    profile: str = ""  # REST: the stored login this account's runs use and refresh
    rest_application: RestApplication | None = None  # REST

    @property
    def has_secrets(self) -> bool:
        """What a run on it needs was found: the token (SOAP), the application's values (REST)."""
        if self.api == "rest":
            return self.rest_application is not None
        return self.credentials is not None

    @property
    def target(self) -> str:
        """Where its calls go, as a person reads it."""
        if self.endpoint:
            return self.endpoint
        if self.api == "rest":
            return REST_API_HOST
        environment = ENVIRONMENTS.get(self.environment or "nl")
        return environment.base_url if environment else f"environment {self.environment!r}"
