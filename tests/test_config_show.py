"""`bulkimport config show`: each effective setting, where it came from, secrets masked."""

from __future__ import annotations

from pathlib import Path

import pytest

from bulkimport.cli import EXIT_FATAL, EXIT_OK, main
from bulkimport.errors import ConfigError
from bulkimport.settings import ConfigFile, read_config_file, rest_settings, soap_settings

TOKEN = "soap-token-1234567890"
SECRET = "rest-secret-0987654321"
KEY = "subscription-key-5555"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in (
        "NMBRS_USERNAME",
        "NMBRS_TOKEN",
        "NMBRS_DOMAIN",
        "NMBRS_CLIENT_ID",
        "NMBRS_CLIENT_SECRET",
        "NMBRS_SUBSCRIPTION_KEY",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        f'username = "file-user"\ntoken = "{TOKEN}"\nenvironment = "sandbox"\n'
        f'[rest]\nclient_id = "file-client"\nclient_secret = "{SECRET}"\n',
        encoding="utf-8",
    )
    return path


def _show(capsys: pytest.CaptureFixture[str], *arguments: str) -> dict[str, tuple[str, str]]:
    """`config show`'s lines by setting name: (value, origin), split on the column gaps."""
    assert main(["config", "show", *arguments]) == EXIT_OK
    lines: dict[str, tuple[str, str]] = {}
    for line in capsys.readouterr().out.splitlines():
        name, value, *origin = [part.strip() for part in line.split("  ") if part.strip()]
        lines[name] = (value, origin[0] if origin else "")
    return lines


def test_each_setting_names_its_origin_and_secrets_are_masked(
    config: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("NMBRS_DOMAIN", "acme")
    monkeypatch.setenv("NMBRS_SUBSCRIPTION_KEY", KEY)
    shown = _show(capsys, "--config", str(config))
    origin = f"config file {config}"
    assert shown["config file"] == (str(config), "command-line flag --config")
    assert shown["target"][0] == "https://api-sandbox.nmbrs.nl/soap/v3/"
    assert shown["environment"] == ("sandbox", origin)
    assert shown["endpoint"] == ("(not set)", "default")
    assert shown["username"] == ("file-user", origin)
    assert shown["token"] == ("******** (set)", origin)
    assert shown["domain"] == ("acme", "environment variable NMBRS_DOMAIN")
    assert shown["rest.client_id"] == ("file-client", origin)
    assert shown["rest.client_secret"] == ("******** (set)", origin)
    assert shown["rest.subscription_key"] == (
        "******** (set)",
        "environment variable NMBRS_SUBSCRIPTION_KEY",
    )
    everything = repr(shown)
    assert TOKEN not in everything and SECRET not in everything and KEY not in everything


def test_a_flag_beats_the_environment_which_beats_the_file(
    config: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("NMBRS_USERNAME", "env-user")
    shown = _show(capsys, "--config", str(config), "--endpoint", "https://nmbrs.test/soap/v3/")
    assert shown["username"] == ("env-user", "environment variable NMBRS_USERNAME")
    assert shown["endpoint"] == ("https://nmbrs.test/soap/v3/", "command-line flag --endpoint")
    # A flag naming the target keeps the file's target out, as `run` does.
    assert shown["environment"] == ("(not set)", "default")
    assert shown["target"][0] == "https://nmbrs.test/soap/v3/"


def test_without_anything_the_target_is_the_built_in_emulator(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shown = _show(capsys)
    default_file = tmp_path / "home" / ".config" / "bulkimport" / "config.toml"
    assert shown["config file"] == (f"{default_file} (not found)", "default")
    assert shown["target"][0] == "the built-in emulator"
    assert shown["token"] == ("(not set)", "default")


def test_credentials_without_a_target_are_shown_as_a_run_would_refuse_them(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("NMBRS_USERNAME", "someone")
    monkeypatch.setenv("NMBRS_TOKEN", TOKEN)
    assert "a run would stop" in _show(capsys)["target"][0]
    assert _show(capsys, "--emulator")["target"] == (
        "the built-in emulator",
        "command-line flag --emulator",
    )


def test_a_missing_or_broken_config_file_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["config", "show", "--config", str(tmp_path / "nope.toml")]) == EXIT_FATAL
    assert "does not exist" in capsys.readouterr().err
    broken = tmp_path / "broken.toml"
    broken.write_text("token = \n", encoding="utf-8")
    assert main(["config", "show", "--config", str(broken)]) == EXIT_FATAL
    assert "cannot read config file" in capsys.readouterr().err


def test_the_reader_is_the_one_run_and_login_use(config: Path) -> None:
    """`run`'s credentials and `login`'s client come from these same functions."""
    file = read_config_file(config)
    soap = soap_settings(file, {"NMBRS_TOKEN": "env-token"}, emulator=True)
    assert (soap["token"].value, soap["token"].origin) == (
        "env-token",
        "environment variable NMBRS_TOKEN",
    )
    assert soap["environment"].value == ""  # --emulator: the file's target is not used
    assert TOKEN not in repr(soap_settings(file, {}))
    rest = rest_settings(file, {}, {"subscription_key": "demo-key"})
    assert rest["subscription_key"].origin.startswith("default (the built-in emulator's")


def test_a_setting_that_is_not_text_is_refused(tmp_path: Path) -> None:
    file = ConfigFile(tmp_path / "c.toml", {"username": 5}, exists=True)
    with pytest.raises(ConfigError, match="`username` must be text"):
        soap_settings(file, {})
