"""Bad invocations, as a user types them: the documented exit code, one clear line, no traceback.

Every case runs `python -m bulkimport` in a subprocess (a hang fails the case instead of the
suite) against an emulator in its own process on 127.0.0.1, started once for the module.
"""

from __future__ import annotations

import http.server
import os
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import pytest

from bulkimport.cli import EXIT_FATAL, EXIT_OK, EXIT_ROWS_FAILED
from bulkimport.drill import emulator_process, fetch_json, post_json
from bulkimport.emulator import DEMO_CREDENTIALS
from bulkimport.synthetic import NewHireSpec, write_new_hires_csv

SAMPLES: Final = Path(__file__).resolve().parent.parent / "samples"
COMPANY: Final = "54613"
UNKNOWN_COMPANY: Final = "99999"
# Generous: the machine is shared; only a hang (`--concurrency 0` once did) should reach it.
INVOCATION_TIMEOUT_S: Final = 180


@dataclass(frozen=True, slots=True)
class Workspace:
    """A fresh folder with inputs, and where the emulator listens."""

    folder: Path
    base_url: str
    clean_csv: Path  # five valid new hires
    sample_csv: Path  # the shipped sample: 25 new hires, three with mistakes
    updates_csv: Path  # personal-info changes for the demo employees 1001-1010
    self_signed_url: str  # https on 127.0.0.1 with a certificate nobody vouches for


@dataclass(frozen=True, slots=True)
class Case:
    """One invocation: what to type, with or without the demo account, and what must happen."""

    arguments: Callable[[Workspace], list[str]]
    exit_code: int
    says: str = ""  # a fragment the one-line message must contain (stdout or stderr)
    credentials: bool = True
    creates: tuple[str, ...] = ()  # files (relative to the workspace) that must exist after
    setup: Callable[[Workspace], None] = field(default=lambda workspace: None)


def _run(*extra: str, file: str = "clean") -> Callable[[Workspace], list[str]]:
    """`run FILE --template new_hire --company 54613 --endpoint <emulator>` plus `extra`."""

    def build(workspace: Workspace) -> list[str]:
        path = {"clean": workspace.clean_csv, "sample": workspace.sample_csv}.get(file)
        return [
            "run", str(path or workspace.folder / file), "--template", "new_hire",
            "--company", COMPANY, "--endpoint", workspace.base_url, "--no-xlsx",
            *(argument.replace("{dir}", str(workspace.folder)) for argument in extra),
        ]  # fmt: skip

    return build


def _without_target(*extra: str) -> Callable[[Workspace], list[str]]:
    """`run` with no endpoint and no environment."""

    def build(workspace: Workspace) -> list[str]:
        return [
            "run", str(workspace.clean_csv), "--template", "new_hire", "--company", COMPANY,
            "--no-xlsx", *(argument.replace("{dir}", str(workspace.folder)) for argument in extra),
        ]  # fmt: skip

    return build


def _updates_of_unknown_company(workspace: Workspace) -> list[str]:
    return [
        "run", str(workspace.updates_csv), "--template", "personal_info",
        "--company", UNKNOWN_COMPANY, "--endpoint", workspace.base_url, "--no-xlsx",
    ]  # fmt: skip


def _closed_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def _write_config_without_endpoint(workspace: Workspace) -> None:
    config = workspace.folder / "home" / ".config" / "bulkimport" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(
        f'username = "{DEMO_CREDENTIALS.username}"\ntoken = "{DEMO_CREDENTIALS.token}"\n'
        f'domain = "{DEMO_CREDENTIALS.domain}"\n',
        encoding="utf-8",
    )


def _write_workbooks(workspace: Workspace) -> None:
    """`cut.xlsx` ends halfway through its bytes, `cut_sheet.xlsx` halfway through its sheet."""
    whole = (SAMPLES / "new_hires.xlsx").read_bytes()
    (workspace.folder / "cut.xlsx").write_bytes(whole[: len(whole) // 2])
    with (
        zipfile.ZipFile(SAMPLES / "new_hires.xlsx") as source,
        zipfile.ZipFile(workspace.folder / "cut_sheet.xlsx", "w", zipfile.ZIP_DEFLATED) as cut,
    ):
        for name in source.namelist():
            part = source.read(name)
            cut.writestr(name, part[: len(part) // 2] if "worksheets/" in name else part)


CASES: Final = {
    # Rates: impossible, and above Nmbrs' cap.
    "rate 0": Case(_without_target("--rate", "0"), EXIT_FATAL, "rate 0", credentials=False),
    "rate 0.5": Case(_run("--rate", "0.5"), EXIT_FATAL, "rate 0.5"),
    "rate -5": Case(_run("--rate", "-5"), EXIT_FATAL, "rate -5"),
    "rate nan": Case(_run("--rate", "nan"), EXIT_FATAL, "rate nan"),
    "rate inf": Case(_run("--rate", "inf"), EXIT_FATAL, "rate inf"),
    "rate 10000 (emulator)": Case(
        _without_target("--rate", "10000"), EXIT_FATAL, "cap of 150", credentials=False
    ),
    "rate abc": Case(_run("--rate", "abc"), EXIT_FATAL, "--rate"),
    # Calls in flight, timeouts, attempts.
    "concurrency -1": Case(_run("--concurrency", "-1"), EXIT_FATAL, "concurrency -1"),
    "concurrency 0": Case(_run("--concurrency", "0"), EXIT_FATAL, "concurrency 0"),
    "concurrency 10**9": Case(_run("--concurrency", "1000000000"), EXIT_FATAL, "concurrency"),
    "timeout 0": Case(_run("--timeout", "0"), EXIT_FATAL, "timeout 0"),
    "timeout -1": Case(_run("--timeout", "-1"), EXIT_FATAL, "timeout -1"),
    "max attempts 0": Case(_run("--max-attempts", "0"), EXIT_FATAL, "max attempts 0"),
    "company 0": Case(
        lambda w: [*_without_target()(w), "--company", "0"],
        EXIT_FATAL,
        "company 0",
        credentials=False,
    ),
    # Inputs and templates.
    "run .": Case(_run(file="."), EXIT_FATAL, "folder"),
    "a file that does not exist": Case(_run(file="nothing.csv"), EXIT_FATAL, "nothing.csv"),
    "a folder as template": Case(
        lambda w: [*_run()(w), "--template", str(w.folder)], EXIT_FATAL, "folder"
    ),
    "an unknown template": Case(
        lambda w: [*_run()(w), "--template", "no_such_template"], EXIT_FATAL, "no_such_template"
    ),
    "--sheet on a CSV": Case(_run("--sheet", "Blad1"), EXIT_FATAL, "--sheet"),
    "a workbook cut off halfway": Case(
        _run(file="cut.xlsx"), EXIT_FATAL, "cut.xlsx", setup=_write_workbooks
    ),
    "a workbook whose sheet is cut off halfway": Case(
        _run(file="cut_sheet.xlsx"), EXIT_FATAL, "cut_sheet.xlsx", setup=_write_workbooks
    ),
    # Outputs: missing folders are created before anything is sent.
    "--report into a missing folder": Case(
        _run("--report", "{dir}/nodir/r"), EXIT_OK, creates=("nodir/r.csv",)
    ),
    "--failed into a missing folder": Case(
        _run("--failed", "{dir}/nodir/f.csv", file="sample"),
        EXIT_ROWS_FAILED,
        creates=("nodir/f.csv",),
    ),
    "--journal into a missing folder": Case(
        _run("--journal", "{dir}/nodir/j.sqlite"), EXIT_OK, creates=("nodir/j.sqlite",)
    ),
    "--report below a file": Case(
        _run("--report", "{dir}/hires.csv/r"), EXIT_FATAL, "a file of that name"
    ),
    "--failed onto the input": Case(
        _run("--failed", "{dir}/hires.csv"), EXIT_FATAL, "overwrite the input"
    ),
    # Targets and credentials.
    "credentials without endpoint (environment)": Case(
        _without_target(), EXIT_FATAL, "--environment, or --emulator to mean it"
    ),
    "credentials without endpoint (config file)": Case(
        _without_target(),
        EXIT_FATAL,
        "--environment, or --emulator to mean it",
        credentials=False,
        setup=_write_config_without_endpoint,
    ),
    "credentials with --emulator": Case(_without_target("--emulator"), EXIT_OK),
    "--emulator with --endpoint": Case(_run("--emulator"), EXIT_FATAL, "--emulator"),
    "an endpoint without credentials": Case(
        _run(), EXIT_FATAL, "no Nmbrs credentials", credentials=False
    ),
    "a missing config file": Case(
        _run("--config", "{dir}/none.toml"), EXIT_FATAL, "none.toml", credentials=False
    ),
    "an ftp endpoint": Case(
        lambda w: [*_run()(w), "--endpoint", "ftp://127.0.0.1/soap/v3/"], EXIT_FATAL, "ftp"
    ),
    "plain http off this machine": Case(
        lambda w: [*_run()(w), "--endpoint", "http://192.0.2.1/soap/v3/"],
        EXIT_FATAL,
        "--insecure",
    ),
    "a wrong token": Case(_run(), EXIT_FATAL, "1001"),
    "a wrong token, dry run": Case(_run("--dry-run"), EXIT_FATAL, "1001"),
    "a wrong company (new hires)": Case(
        lambda w: [*_run()(w), "--company", UNKNOWN_COMPANY], EXIT_FATAL, UNKNOWN_COMPANY
    ),
    "a wrong company (updates)": Case(_updates_of_unknown_company, EXIT_FATAL, UNKNOWN_COMPANY),
    "an endpoint with a self-signed certificate": Case(
        lambda w: [*_run()(w), "--endpoint", w.self_signed_url], EXIT_FATAL, "certificate"
    ),
    "an unreachable endpoint": Case(
        lambda w: [*_run()(w), "--endpoint", f"http://127.0.0.1:{_closed_port()}/soap/v3/"],
        EXIT_FATAL,
        "127.0.0.1",
    ),
    # Other commands.
    "resume without a journal": Case(
        lambda w: ["resume", str(w.folder / "nothing.sqlite")], EXIT_FATAL, "nothing.sqlite"
    ),
    "an unknown command": Case(lambda w: ["import"], EXIT_FATAL, "invalid choice"),
}
WRONG_TOKEN_CASES: Final = {"a wrong token", "a wrong token, dry run"}


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with emulator_process([]) as url:
        yield url


@pytest.fixture(scope="module")
def self_signed_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An https server on loopback whose certificate is self-signed: TLS must refuse it."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is needed to make a self-signed certificate")
    folder = tmp_path_factory.mktemp("tls")
    key, cert = folder / "key.pem", folder / "cert.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}/soap/v3/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def workspace(base_url: str, self_signed_url: str, tmp_path: Path) -> Workspace:
    post_json(f"{base_url.split('/soap/')[0]}/reset")  # every case starts from the demo data
    return Workspace(
        folder=tmp_path,
        base_url=base_url,
        clean_csv=write_new_hires_csv(tmp_path / "hires.csv", NewHireSpec(rows=5)),
        sample_csv=Path(shutil.copy(SAMPLES / "new_hires.csv", tmp_path / "new_hires.csv")),
        updates_csv=Path(shutil.copy(SAMPLES / "personal_info.csv", tmp_path / "updates.csv")),
        self_signed_url=self_signed_url,
    )


def _environment(workspace: Workspace, *, credentials: bool, token: str) -> dict[str, str]:
    """This environment without an account or config file, plus the demo account if asked."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("NMBRS_")}
    environment["HOME"] = str(workspace.folder / "home")
    if credentials:
        environment.update(
            NMBRS_USERNAME=DEMO_CREDENTIALS.username,
            NMBRS_TOKEN=token,
            NMBRS_DOMAIN=DEMO_CREDENTIALS.domain,
        )
    return environment


def _invoke(arguments: list[str], environment: dict[str, str], cwd: Path) -> tuple[int, str]:
    try:
        finished = subprocess.run(
            [sys.executable, "-m", "bulkimport", *arguments],
            capture_output=True,
            text=True,
            env=environment,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            timeout=INVOCATION_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"bulkimport {' '.join(arguments)} hung for {INVOCATION_TIMEOUT_S} s")
    return finished.returncode, finished.stdout + finished.stderr


@pytest.mark.parametrize("name", list(CASES))
def test_bad_invocation_ends_with_its_exit_code_and_no_traceback(
    name: str, workspace: Workspace
) -> None:
    case = CASES[name]
    case.setup(workspace)
    token = "not-the-token" if name in WRONG_TOKEN_CASES else DEMO_CREDENTIALS.token
    environment = _environment(workspace, credentials=case.credentials, token=token)
    code, output = _invoke(case.arguments(workspace), environment, workspace.folder)
    assert "Traceback" not in output, output
    assert "TaskGroup" not in output, output
    assert "sub-exception" not in output, output
    assert code == case.exit_code, output
    assert case.says in output, output
    for created in case.creates:
        assert (workspace.folder / created).is_file(), output
    assert "not-the-token" not in output


def test_refused_options_send_nothing(workspace: Workspace) -> None:
    """Settings are checked before the first call: the service sees none of these runs."""
    root = workspace.base_url.split("/soap/")[0]
    before = fetch_json(f"{root}/stats")["calls_total"]
    environment = _environment(workspace, credentials=True, token=DEMO_CREDENTIALS.token)
    for extra in (["--rate", "0"], ["--concurrency", "0"], ["--failed", "{dir}/hires.csv"]):
        code, output = _invoke(_run(*extra)(workspace), environment, workspace.folder)
        assert code == EXIT_FATAL, output
    assert fetch_json(f"{root}/stats")["calls_total"] == before
