"""Settings read from the environment and the config file, each with where it came from.

Does I/O (reads the config file). The one reader behind `run`'s credentials, the REST client
of `login`, and `config show`, so that what `config show` prints is what a run uses.
Precedence, highest first: command-line flag, environment variable, config file, default.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from bulkimport.config import (
    ENVIRONMENTS,
    NMBRS_CALLS_PER_SECOND,
    Credentials,
    NamedAccount,
    RestApplication,
)
from bulkimport.errors import ConfigError

DEFAULT_CONFIG: Final = Path("~/.config/bulkimport/config.toml")
DEFAULT_ORIGIN: Final = "default"
MASK: Final = "********"


@dataclass(frozen=True, slots=True)
class Setting:
    """One effective value and its origin: "default", "config file PATH", "environment
    variable NAME" or "command-line flag --NAME". A secret is never shown by `shown`."""

    name: str
    value: str
    origin: str = DEFAULT_ORIGIN
    secret: bool = field(default=False, repr=False)

    @property
    def shown(self) -> str:
        if not self.value:
            return "(not set)"
        return f"{MASK} (set)" if self.secret else self.value

    def __repr__(self) -> str:
        shown = MASK if self.secret and self.value else self.value
        return f"Setting({self.name!r}, {shown!r}, {self.origin!r})"


@dataclass(frozen=True, slots=True)
class ConfigFile:
    """The config file's tables as parsed; empty when the default file does not exist."""

    path: Path
    values: Mapping[str, Any] = field(default_factory=dict)
    exists: bool = False
    given: bool = False  # named with --config rather than the default location

    @property
    def origin(self) -> str:
        return f"config file {self.path}"

    def table(self, name: str) -> Mapping[str, Any]:
        """A `[name]` table, or an empty one."""
        table = self.values.get(name, {})
        if not isinstance(table, dict):
            raise ConfigError(f"{self.path}: `{name}` must be a table ([{name}])")
        return table


def read_config_file(config_path: Path | None) -> ConfigFile:
    """The file named by --config (which must exist) or the default one (which may not).

    Raises:
        ConfigError: the file cannot be read or is not TOML, or a named file does not exist.
    """
    path = (config_path or DEFAULT_CONFIG).expanduser()
    if path.is_file():
        try:
            values = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"cannot read config file {path}: {exc}") from exc
        return ConfigFile(path, values, exists=True, given=config_path is not None)
    if config_path is not None:
        raise ConfigError(f"config file {path} does not exist")
    return ConfigFile(path)


def pick(
    name: str,
    *,
    environ: Mapping[str, str],
    variable: str | None = None,
    file: ConfigFile | None = None,
    table: Mapping[str, Any] | None = None,
    flag: str | None = None,
    flag_value: str | None = None,
    default: str = "",
    default_origin: str = DEFAULT_ORIGIN,
    secret: bool = False,
) -> Setting:
    """The first of: the flag's value, the variable, the file's value (`table`, else the file's
    top level), the default. Empty values count as not set, as they always have."""
    if flag is not None and flag_value:
        return Setting(name, flag_value, f"command-line flag {flag}", secret)
    if variable is not None and environ.get(variable):
        return Setting(name, environ[variable], f"environment variable {variable}", secret)
    if file is not None:
        found = (file.values if table is None else table).get(name)
        if found not in (None, ""):
            if not isinstance(found, str):
                raise ConfigError(f"{file.path}: `{name}` must be text")
            return Setting(name, found, file.origin, secret)
    return Setting(name, default, default_origin if default else DEFAULT_ORIGIN, secret)


# --- the SOAP target and account (run, resume) ----------------------------------------------------
SOAP_VARIABLES: Final = {
    "username": "NMBRS_USERNAME",
    "token": "NMBRS_TOKEN",
    "domain": "NMBRS_DOMAIN",
}


def soap_settings(
    file: ConfigFile,
    environ: Mapping[str, str],
    *,
    endpoint_flag: str | None = None,
    environment_flag: str | None = None,
    emulator: bool = False,
) -> dict[str, Setting]:
    """The account from NMBRS_* variables, else the file; never from a plain flag.

    The target (endpoint, environment) comes from the flags; only when no flag names one
    (--endpoint, --environment, --emulator) from the file, so a flag never mixes with the file.
    """
    settings = {
        name: pick(name, environ=environ, variable=variable, file=file, secret=name == "token")
        for name, variable in SOAP_VARIABLES.items()
    }
    target_file = None if endpoint_flag or environment_flag or emulator else file
    for name, value in (("endpoint", endpoint_flag), ("environment", environment_flag)):
        settings[name] = pick(
            name, environ=environ, file=target_file, flag=f"--{name}", flag_value=value
        )
    return settings


# --- the REST application (login, logout) ---------------------------------------------------------
REST_VARIABLES: Final = {
    "client_id": "NMBRS_CLIENT_ID",
    "client_secret": "NMBRS_CLIENT_SECRET",
    "subscription_key": "NMBRS_SUBSCRIPTION_KEY",
}
DEMO_ORIGIN: Final = "default (the built-in emulator's demo application)"


def rest_settings(
    file: ConfigFile, environ: Mapping[str, str], fallback: Mapping[str, str] | None = None
) -> dict[str, Setting]:
    """Each value from its NMBRS_CLIENT_* variable, else the file's `[rest]` table, else
    `fallback` (the emulator's demo application)."""
    table = file.table("rest")
    return {
        key: pick(
            key,
            environ=environ,
            variable=variable,
            file=file,
            table=table,
            default=(fallback or {}).get(key, ""),
            default_origin=DEMO_ORIGIN,
            secret=key != "client_id",
        )
        for key, variable in REST_VARIABLES.items()
    }


# --- named accounts (job files) -------------------------------------------------------------------
ACCOUNT_APIS: Final = ("soap", "rest")
SOAP_ACCOUNT_KEYS: Final = frozenset({"username", "domain", "token_env"})
REST_ACCOUNT_KEYS: Final = frozenset(
    {"profile", "client_id", "client_secret_env", "subscription_key_env"}
)
ACCOUNT_KEYS: Final = frozenset({"api", "endpoint", "environment", "rate"})
KEYRING_SERVICE: Final = "bulkimport"

KeyringLookup = Callable[[str, str], "str | None"]


def token_variable(name: str) -> str:
    """The default variable of an account's token: NMBRS_TOKEN_<NAME>, upper case, _ for -."""
    return "NMBRS_TOKEN_" + "".join(ch if ch.isalnum() else "_" for ch in name.upper())


def named_accounts(
    file: ConfigFile, environ: Mapping[str, str], keyring_lookup: KeyringLookup | None = None
) -> dict[str, NamedAccount]:
    """The file's `[accounts.NAME]` tables, each with its token from the environment or keyring.

    The token comes from the variable `token_env` names (default `token_variable(NAME)`), else
    from the keyring (service "bulkimport", user "account:NAME"); never from the file, so a job
    file or config file can be shared without the secret. A REST account (`api = "rest"`)
    has no token: it signs in with the login stored for its `profile` (see `_rest_account`).

    Raises:
        ConfigError: a table has an unknown key, a missing username, an unknown api or
            environment, or a value of the wrong type.
    """
    tables = file.table("accounts")
    lookup = keyring_lookup or _keyring_password
    accounts: dict[str, NamedAccount] = {}
    for name, table in tables.items():
        where = f"{file.path}: [accounts.{name}]"
        if not isinstance(table, dict):
            raise ConfigError(f"{where} must be a table")
        if "token" in table:
            raise ConfigError(f"{where}: no token in the file; set token_env or use the keyring")
        api = table.get("api") or "soap"
        if api not in ACCOUNT_APIS:
            raise ConfigError(f"{where}: unknown api {api!r}; choose {', '.join(ACCOUNT_APIS)}")
        known = ACCOUNT_KEYS | (REST_ACCOUNT_KEYS if api == "rest" else SOAP_ACCOUNT_KEYS)
        unknown = sorted(set(table) - known)
        if unknown:
            raise ConfigError(
                f"{where}: unknown key(s) {', '.join(unknown)} for api {api!r};"
                f" known: {', '.join(sorted(known))}"
            )
        text = {key: _text(where, key, table.get(key)) for key in known - {"rate"}}
        environment = text["environment"] or None
        if environment is not None and environment not in ENVIRONMENTS:
            raise ConfigError(
                f"{where}: unknown environment {environment!r};"
                f" choose one of {', '.join(ENVIRONMENTS)}"
            )
        rate = table.get("rate", NMBRS_CALLS_PER_SECOND)
        if isinstance(rate, bool) or not isinstance(rate, int | float):
            raise ConfigError(f"{where}: rate must be a number of calls per second")
        if not 1 <= rate <= NMBRS_CALLS_PER_SECOND:
            raise ConfigError(f"{where}: rate must be 1 to {NMBRS_CALLS_PER_SECOND}, not {rate}")
        if api == "rest":
            accounts[name] = _rest_account(name, text, float(rate), file, environ)
            continue
        if not text["username"]:
            raise ConfigError(f"{where}: username is missing")
        variable = text["token_env"] or token_variable(name)
        token, source = environ.get(variable, ""), f"environment variable {variable}"
        if not token:
            token = lookup(KEYRING_SERVICE, f"account:{name}") or ""
            source = (
                f"keyring ({KEYRING_SERVICE}, account:{name})"
                if token
                else (f"not set: neither {variable} nor the keyring has it")
            )
        accounts[name] = NamedAccount(
            name=name,
            api=api,
            endpoint=text["endpoint"] or None,
            environment=environment,
            username=text["username"],
            domain=text["domain"],
            token_source=source,
            credentials=Credentials(text["username"], token, text["domain"]) if token else None,
            rate=float(rate),
        )
    return accounts


def _rest_account(
    name: str, text: Mapping[str, str], rate: float, file: ConfigFile, environ: Mapping[str, str]
) -> NamedAccount:
    """A REST account: its own stored login (profile, default the account's name) and the
    application's values: a secret or key from the variable the table names, else the
    shared ones (NMBRS_CLIENT_* or the file's [rest] table)."""
    shared = rest_settings(file, environ)
    values = {"client_id": text["client_id"] or shared["client_id"].value}
    missing: list[str] = [] if values["client_id"] else ["client_id"]
    sources: list[str] = []
    for key in ("client_secret", "subscription_key"):
        variable = text[f"{key}_env"]
        value = environ.get(variable, "") if variable else shared[key].value
        origin = f"environment variable {variable}" if variable else shared[key].origin
        values[key] = value
        if value:
            sources.append(f"{key} from {origin}")
        else:
            missing.append(f"{key} ({variable or REST_VARIABLES[key]} is not set)")
    application = None if missing else RestApplication(**values)
    return NamedAccount(
        name=name,
        api="rest",
        endpoint=text["endpoint"] or None,
        environment=text["environment"] or None,
        username="",
        domain="",
        token_source="; ".join(sources) if application else "missing " + ", ".join(missing),
        rate=rate,
        profile=text["profile"] or name,
        rest_application=application,
    )


def _text(where: str, key: str, value: object) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ConfigError(f"{where}: `{key}` must be text")
    return value


def _keyring_password(service: str, user: str) -> str | None:
    """The keyring's entry, or None when there is none or no usable keyring at all."""
    try:
        import keyring

        return keyring.get_password(service, user)
    except Exception:  # no backend, a locked or broken keyring: the secret is simply not there
        return None
