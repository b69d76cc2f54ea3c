"""The pre-flight: whole-run problems stop the run with exit 2 before anything is written.

The CLI runs in a child process against the emulator on 127.0.0.1, so each case is checked as
a person meets it: the exit code, one clear line, no traceback, and in the emulator's own
counters that no call that changes data went out.
"""

from __future__ import annotations

import shutil
import ssl
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Final

import anyio
import pytest
from aiohttp import web

from bulkimport.backend import Effect
from bulkimport.config import Country
from bulkimport.drill import demo_environment
from bulkimport.emulator import DEMO_CREDENTIALS, FaultMode, RunningEmulator
from bulkimport.errors import AuthenticationError, ConfigError
from bulkimport.guards import CompanyPeriod, PeriodKind, parse_company_period
from bulkimport.job import ImportJob, run_job
from bulkimport.model import RowStatus
from bulkimport.nmbrs.soap.schema import OPERATIONS
from bulkimport.preflight import QUICK_RETRY, decide_country, pick_company
from bulkimport.synthetic import NewHireSpec, write_new_hires_csv

SAMPLES: Final = Path(__file__).resolve().parent.parent / "samples"
READS: Final = frozenset(op.name for op in OPERATIONS if op.effect is Effect.READ)


def _writes(emulator: RunningEmulator) -> dict[str, int]:
    """Calls of the emulator that are not reads: what a refused run must not have made."""
    return {
        name: count
        for name, count in emulator.stats.calls_by_operation.items()
        if name not in READS and count
    }


async def _cli(
    path: Path, endpoint: str, *extra: str, token: str | None = None, company: int = 54613
) -> tuple[int, str]:
    environment = demo_environment()
    if token is not None:
        environment["NMBRS_TOKEN"] = token
    command = [
        sys.executable, "-m", "bulkimport", "run", str(path), "--template", "new_hire",
        "--company", str(company), "--endpoint", endpoint, "--no-xlsx", *extra,
    ]  # fmt: skip
    with anyio.fail_after(90):
        finished = await anyio.run_process(command, env=environment, check=False)
    return finished.returncode, finished.stderr.decode("utf-8", "replace")


def _assert_one_clear_line(err: str) -> None:
    assert "Traceback" not in err
    assert "TaskGroup" not in err
    assert "sub-exception" not in err
    assert len([line for line in err.splitlines() if line.startswith("error:")]) == 1


# --- credentials, company, endpoint, TLS ---------------------------------------------------------
async def test_wrong_token_exits_2_and_sends_nothing(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    path = write_new_hires_csv(tmp_path / "hires.csv", NewHireSpec(rows=5))
    code, err = await _cli(path, emulator.base_url, token="not-the-token")
    assert code == 2
    assert "1001" in err and "Invalid Authentication" in err
    _assert_one_clear_line(err)
    assert emulator.stats.calls_total >= 1  # it did ask
    assert _writes(emulator) == {}
    assert not (tmp_path / "hires.report.csv").exists()  # no run took place


async def test_dry_run_with_a_wrong_token_exits_2(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    path = write_new_hires_csv(tmp_path / "hires.csv", NewHireSpec(rows=5))
    code, err = await _cli(path, emulator.base_url, "--dry-run", token="not-the-token")
    assert code == 2
    assert "1001" in err
    _assert_one_clear_line(err)


async def test_wrong_company_exits_2_and_sends_nothing(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    path = write_new_hires_csv(tmp_path / "hires.csv", NewHireSpec(rows=5))
    code, err = await _cli(path, emulator.base_url, company=99999)
    assert code == 2
    assert "company 99999" in err and "54613" in err  # names what the account does reach
    _assert_one_clear_line(err)
    assert _writes(emulator) == {}


async def test_dry_run_with_a_wrong_company_exits_2(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    path = write_new_hires_csv(tmp_path / "hires.csv", NewHireSpec(rows=5))
    code, err = await _cli(path, emulator.base_url, "--dry-run", company=99999)
    assert code == 2
    assert "company 99999" in err


async def test_unreachable_endpoint_exits_2_after_a_few_quick_attempts(tmp_path: Path) -> None:
    with socket_bound_but_closed() as port:
        path = write_new_hires_csv(tmp_path / "hires.csv", NewHireSpec(rows=5))
        code, err = await _cli(path, f"http://127.0.0.1:{port}/soap/v3/")
    assert code == 2
    assert "cannot reach" in err
    assert f"{QUICK_RETRY.max_attempts} attempts" in err
    _assert_one_clear_line(err)
    assert not (tmp_path / "hires.report.csv").exists()


async def test_self_signed_tls_exits_2_with_the_reason(tmp_path: Path) -> None:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is needed to make a self-signed certificate")
    async with _tls_server(tmp_path, openssl) as port:
        path = write_new_hires_csv(tmp_path / "hires.csv", NewHireSpec(rows=3))
        code, err = await _cli(path, f"https://127.0.0.1:{port}/soap/v3/")
    assert code == 2
    assert "TLS certificate" in err and "not valid" in err
    _assert_one_clear_line(err)


# --- whole-run problems found during the run --------------------------------------------------
async def test_authentication_refused_mid_run_exits_2_with_one_line(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    path = write_new_hires_csv(tmp_path / "hires.csv", NewHireSpec(rows=5, core_only=True))
    emulator.script(
        FaultMode.NMBRS_FAULT, operation="PersonalInfo_UpdateCurrent", count=50, fault_code=1002
    )
    code, err = await _cli(path, emulator.base_url, "--concurrency", "1")
    assert code == 2
    assert "1002" in err
    _assert_one_clear_line(err)


async def test_company_gone_mid_run_exits_2_with_one_line(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    path = write_new_hires_csv(tmp_path / "hires.csv", NewHireSpec(rows=5, core_only=True))
    emulator.script(FaultMode.NMBRS_FAULT, operation="Employee_Insert", count=50, fault_code=2004)
    code, err = await _cli(path, emulator.base_url, "--concurrency", "1")
    assert code == 2
    assert "company 54613 is no longer accessible" in err
    _assert_one_clear_line(err)
    assert emulator.stats.calls_by_operation["Employee_Insert"] == 1  # stopped at the first


# --- the company's country ---------------------------------------------------------------------
async def test_swedish_company_by_endpoint_is_validated_as_swedish(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    path = Path(shutil.copy(SAMPLES / "nyanstallda.csv", tmp_path / "nyanstallda.csv"))
    outcome = await run_job(
        ImportJob(
            input_path=path,
            template="new_hire",
            company_id=61001,
            endpoint=emulator.base_url,  # no --environment se
            credentials=DEMO_CREDENTIALS,
        )
    )
    assert outcome.summary.counts[RowStatus.OK] == 8
    assert emulator.stats.calls_by_operation["Employee_Insert"] == 8


async def test_a_country_that_contradicts_the_company_is_refused(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    path = Path(shutil.copy(SAMPLES / "nyanstallda.csv", tmp_path / "nyanstallda.csv"))
    job = ImportJob(
        input_path=path,
        template="new_hire",
        company_id=61001,
        endpoint=emulator.base_url,
        credentials=DEMO_CREDENTIALS,
        country=Country.NL,
    )
    with pytest.raises(ConfigError, match="company 61001 is in SE"):
        await run_job(job)
    assert _writes(emulator) == {}


async def test_run_job_raises_the_authentication_error_itself(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """The Python API sees the FatalError, not an exception group around it."""
    path = write_new_hires_csv(tmp_path / "hires.csv", NewHireSpec(rows=2))
    wrong = type(DEMO_CREDENTIALS)(DEMO_CREDENTIALS.username, "wrong", DEMO_CREDENTIALS.domain)
    job = ImportJob(
        input_path=path,
        template="new_hire",
        company_id=54613,
        endpoint=emulator.base_url,
        credentials=wrong,
    )
    with pytest.raises(AuthenticationError):
        await run_job(job)


# --- pure parts --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected", "start"),
    [
        ("2026-12-M", CompanyPeriod(2026, 12, PeriodKind.MONTH), date(2026, 12, 1)),
        ("2010-4-4W", CompanyPeriod(2010, 4, PeriodKind.FOUR_WEEKS), date(2010, 3, 26)),
        ("2026-11-W4", CompanyPeriod(2026, 11, PeriodKind.FOUR_WEEKS), date(2026, 10, 8)),
        ("2026-13-4W", CompanyPeriod(2026, 13, PeriodKind.FOUR_WEEKS), date(2026, 12, 3)),
        ("2026-2-W", CompanyPeriod(2026, 2, PeriodKind.WEEK), date(2026, 1, 8)),
    ],
)
def test_current_period_is_read_in_both_spellings(
    text: str, expected: CompanyPeriod, start: date
) -> None:
    period = parse_company_period(text)
    assert period == expected
    assert period.start == start


@pytest.mark.parametrize("text", ["", None, "2026-13-M", "2026-0-M", "2026-14-4W", "12-2026"])
def test_a_period_that_is_not_yyyy_pp_type_is_refused(text: str | None) -> None:
    with pytest.raises(ValueError, match="period"):
        parse_company_period(text)


@pytest.mark.parametrize(
    ("iso", "requested", "expected", "noted"),
    [
        ("SE", None, Country.SE, False),
        ("nl", None, Country.NL, False),
        (None, None, Country.NL, True),
        ("BE", Country.SE, Country.SE, True),
    ],
)
def test_the_company_address_decides_the_country(
    iso: str | None, requested: Country | None, expected: Country, noted: bool
) -> None:
    country, note = decide_country(1, iso, requested, Country.NL)
    assert country is expected
    assert (note is not None) is noted


def test_a_request_against_the_company_country_is_refused() -> None:
    with pytest.raises(ConfigError, match="in SE"):
        decide_country(61001, "SE", Country.NL, Country.NL)


# --- helpers -----------------------------------------------------------------------------------
class socket_bound_but_closed:
    """A loopback port that was free a moment ago and has nobody listening now."""

    def __enter__(self) -> int:
        import socket

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port: int = probe.getsockname()[1]
        return port

    def __exit__(self, *exc: object) -> None:
        return None


def _self_signed(tmp_path: Path, openssl: str) -> tuple[Path, Path]:
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        [
            openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return key, cert


class _tls_server:
    """An aiohttp server with a self-signed certificate on 127.0.0.1 (any answer will do)."""

    def __init__(self, tmp_path: Path, openssl: str) -> None:
        self._tmp_path = tmp_path
        self._openssl = openssl
        self._runner: web.AppRunner | None = None

    async def __aenter__(self) -> int:
        key, cert = _self_signed(self._tmp_path, self._openssl)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", _answer_anything)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=context)
        await site.start()
        return int(self._runner.addresses[0][1])

    async def __aexit__(self, *exc: object) -> None:
        assert self._runner is not None
        await self._runner.cleanup()


async def _answer_anything(request: web.Request) -> web.Response:
    return web.Response(text="not Nmbrs")


@pytest.mark.parametrize(
    ("given", "expected"),
    [("DEMO B.V.", "c-1"), ("444445", "c-1"), ("C-2", "c-2"), (444446, "c-2")],
)
def test_a_company_is_named_by_id_number_or_exact_name(given: object, expected: str) -> None:
    companies = [("c-1", "444445", "DEMO B.V."), ("c-2", "444446", "Other B.V.")]
    assert pick_company(given, companies) == expected  # type: ignore[arg-type]


def test_an_unknown_or_ambiguous_company_names_the_candidates() -> None:
    companies = [("c-1", "1", "Twin B.V."), ("c-2", "2", "Twin B.V.")]
    with pytest.raises(ConfigError, match=r"ambiguous: c-1 .*c-2"):
        pick_company("Twin B.V.", companies)
    with pytest.raises(ConfigError, match=r"no company 'Nobody'.*Twin B\.V\."):
        pick_company("Nobody", companies)
