"""Runs over REST against the emulator on loopback: every template end to end, the same
outcomes as over SOAP, tokens that expire or cannot refresh, the quota, Nmbrs' error shape,
and a lost reply to a POST settled without a duplicate."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

import aiohttp
import pytest

from bulkimport.emulator import EmulatorConfig, RunningEmulator, running_emulator
from bulkimport.emulator.app import CORE
from bulkimport.emulator.rest import DEMO_APPLICATION, RestConfig, uuid_of
from bulkimport.errors import ConfigError, LoginExpired, QuotaExceeded, RowFault
from bulkimport.job import ImportJob, run_job
from bulkimport.model import RowStatus
from bulkimport.nmbrs.rest.auth import ClientConfig, service_for
from bulkimport.nmbrs.rest.login import sign_in
from bulkimport.nmbrs.rest.schema import lookup_operation
from bulkimport.nmbrs.rest.tokens import TOKEN_DIR_VARIABLE, FileTokenStore, TokenSource
from bulkimport.nmbrs.rest.transport import RestSettings, RestTransport
from tests.conftest import EMULATOR_PERIOD
from tests.emulator.restcall import FakeClock

SAMPLES: Final = Path(__file__).resolve().parents[1] / "samples"
CLIENT: Final = ClientConfig(
    DEMO_APPLICATION.client_id, DEMO_APPLICATION.client_secret, DEMO_APPLICATION.subscription_key
)
DEMO_COMPANY: Final = 54613
TEMPLATES: Final = (
    ("new_hire", "new_hires.csv"),
    ("personal_info", "personal_info.csv"),
    ("address", "address.csv"),
    ("bank_account", "bank_account.csv"),
    ("salary", "salary.csv"),
    ("schedule", "schedule.csv"),
    ("contract", "contract.csv"),
)


@pytest.fixture
def token_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "tokens"
    monkeypatch.setenv(TOKEN_DIR_VARIABLE, str(directory))
    return directory


async def log_in(emulator: RunningEmulator, store: FileTokenStore, clock: Any = None) -> None:
    """`bulkimport login` as a browser would complete it: follow the announced URL."""
    urls: asyncio.Queue[str] = asyncio.Queue()
    service = service_for(emulator.origin, emulator.origin)
    extra = {} if clock is None else {"clock": clock}
    task = asyncio.create_task(
        sign_in(service, CLIENT, store, "default", announce=urls.put_nowait, open_browser=False,
                **extra)
    )  # fmt: skip
    async with aiohttp.ClientSession() as session, session.get(await urls.get()) as response:
        assert response.status == 200
    await task


@pytest.fixture
async def rest_emulator(token_dir: Path) -> AsyncIterator[RunningEmulator]:
    config = EmulatorConfig(current_period=EMULATOR_PERIOD, seed=1)
    async with running_emulator(config) as running:
        await log_in(running, FileTokenStore(token_dir))
        yield running


def job_for(
    emulator: RunningEmulator, template: str, sample: str, tmp_path: Path, **options: Any
) -> ImportJob:
    source = tmp_path / sample
    if not source.exists():
        shutil.copy(SAMPLES / sample, source)
    return ImportJob(
        input_path=source,
        template=template,
        company_id="DEMO B.V.",
        endpoint=emulator.origin,
        api="rest",
        rest_client=CLIENT,
        xlsx_report=False,
        seed=1,
        **options,
    )


def employee_numbers(emulator: RunningEmulator) -> list[object]:
    """Every employee's number as the emulator keeps it (one state for both doors)."""
    return [
        employee.personal_info.records[-1].get("EmployeeNumber")
        for employee in emulator.state.employees.values()
        if employee.personal_info.records
    ]


def statuses(report: Path) -> list[str]:
    lines = report.read_text(encoding="utf-8-sig").splitlines()
    header = lines[0].split(";")
    at = header.index("status")
    return [line.split(";")[at] for line in lines[1:]]


@pytest.mark.parametrize(("template", "sample"), TEMPLATES, ids=[t for t, _ in TEMPLATES])
async def test_each_template_over_rest_ends_as_it_does_over_soap(
    rest_emulator: RunningEmulator, tmp_path: Path, template: str, sample: str
) -> None:
    (tmp_path / "rest").mkdir()
    rest = await run_job(job_for(rest_emulator, template, sample, tmp_path / "rest"))
    soap_dir = tmp_path / "soap"
    soap_dir.mkdir()
    shutil.copy(SAMPLES / sample, soap_dir / sample)
    async with running_emulator(EmulatorConfig(current_period=EMULATOR_PERIOD, seed=1)) as other:
        soap = await run_job(
            ImportJob(
                input_path=soap_dir / sample,
                template=template,
                company_id=DEMO_COMPANY,
                endpoint=other.base_url,
                credentials=other.credentials,
                xlsx_report=False,
                seed=1,
            )
        )
    assert rest.summary.counts.get(RowStatus.OK, 0) > 0
    assert statuses(rest.report_paths[0]) == statuses(soap.report_paths[0])


async def test_new_hires_over_rest_are_in_the_one_state_soap_reads(
    rest_emulator: RunningEmulator, tmp_path: Path
) -> None:
    outcome = await run_job(job_for(rest_emulator, "new_hire", "new_hires.csv", tmp_path))
    assert outcome.summary.counts.get(RowStatus.OK, 0) == 22
    state = rest_emulator.state
    sanne = [
        employee
        for employee in state.employees.values()
        if employee.personal_info.records
        and employee.personal_info.records[-1].get("EmployeeNumber") == 2001
    ]
    assert len(sanne) == 1
    employee = sanne[0]
    record = employee.personal_info.records[-1]
    assert (record["FirstName"], record["LastName"], record["BSN"]) == (
        "Sanne",
        "Vries",
        "410980274",
    )
    assert [r["IBAN"] for _, r in employee.bank_accounts] == ["NL62ABNA2002977276"]
    assert len(employee.addresses) == 1 and len(employee.contracts) == 1


async def test_a_personal_info_put_keeps_what_the_row_leaves_empty(
    rest_emulator: RunningEmulator, tmp_path: Path
) -> None:
    before = dict(rest_emulator.state.employees[503293].personal_info.records[-1])
    outcome = await run_job(job_for(rest_emulator, "personal_info", "personal_info.csv", tmp_path))
    assert outcome.summary.counts.get(RowStatus.OK, 0) > 0
    after = rest_emulator.state.employees[503293].personal_info.records[-1]
    assert after["EmailPrivate"] == "j.dejong@example.nl"  # the row's new value
    assert after["TelephoneMobilePrivate"] == "06-41234567"
    for kept in ("FirstName", "Prefix", "LastName", "Initials", "Birthday", "BSN", "Gender"):
        assert after[kept] == before[kept], kept  # empty in the row: not cleared by the PUT


async def test_a_lost_reply_to_a_post_is_settled_without_a_duplicate(
    rest_emulator: RunningEmulator, tmp_path: Path
) -> None:
    rest_emulator.script("lost_reply", operation="createEmployeeAddress", count=3)
    rest_emulator.script("lost_reply", operation="createEmployee", count=2)
    rest_emulator.script("hostile_reply", operation="createEmployeeContract", count=2)
    rest_emulator.script("http_500", operation="createEmployeeBankAccount", count=2)
    outcome = await run_job(job_for(rest_emulator, "new_hire", "new_hires.csv", tmp_path))
    assert outcome.summary.counts.get(RowStatus.OK, 0) == 22
    numbers = employee_numbers(rest_emulator)
    assert len(numbers) == len(set(numbers))  # no employee twice
    for employee in rest_emulator.state.employees.values():
        # seeded and new employees have one record of each at most
        assert len(employee.addresses) <= 1
        assert len(employee.contracts) <= 1
        assert len(employee.bank_accounts) <= 1


async def test_refusals_for_the_rate_slow_the_run_down_and_lose_nothing(
    rest_emulator: RunningEmulator, tmp_path: Path
) -> None:
    rest_emulator.app[CORE].rest.throttle.calls_per_second = 20  # a low hidden limit
    outcome = await run_job(
        job_for(rest_emulator, "new_hire", "new_hires.csv", tmp_path, rate=60.0)
    )
    summary = outcome.summary
    assert summary.counts.get(RowStatus.OK, 0) == 22
    assert summary.refused_calls > 0  # 429 42908, retried
    assert summary.found_rate is not None and summary.found_rate < 60  # the governor found it
    assert not summary.limit_published
    assert len(set(employee_numbers(rest_emulator))) == len(employee_numbers(rest_emulator))


async def test_the_quota_stops_the_run_and_a_resume_finishes_it(
    rest_emulator: RunningEmulator, tmp_path: Path
) -> None:
    throttle = rest_emulator.app[CORE].rest.throttle
    throttle.quota = 40  # the pre-flight's reads and some rows, then 42909
    journal = tmp_path / "run.journal.sqlite"
    job = job_for(rest_emulator, "new_hire", "new_hires.csv", tmp_path, journal_path=journal,
                  concurrency=4)  # fmt: skip
    with pytest.raises(QuotaExceeded, match="42909"):
        await run_job(job)
    throttle.quota = None  # the quota renewed
    resumed = await run_job(job)  # the rows the stop cut short go on, nothing is sent twice
    assert resumed.resumed
    assert statuses(resumed.report_paths[0]).count("ok") == 22, resumed.summary.counts
    numbers = employee_numbers(rest_emulator)
    assert len(numbers) == len(set(numbers))


# --- the transport on its own ---------------------------------------------------------------
@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def timed_emulator(clock: FakeClock) -> AsyncIterator[RunningEmulator]:
    config = EmulatorConfig(
        current_period=EMULATOR_PERIOD, seed=1, rest=RestConfig(access_token_seconds=600)
    )
    async with running_emulator(config, clock=clock) as running:
        yield running


@pytest.fixture
async def signed_in_store(
    timed_emulator: RunningEmulator, tmp_path: Path, clock: FakeClock
) -> FileTokenStore:
    store = FileTokenStore(tmp_path / "tokens")
    await log_in(timed_emulator, store, clock)
    return store


def transport(emulator: RunningEmulator, tokens: TokenSource) -> RestTransport:
    return RestTransport(RestSettings(emulator.origin, CLIENT.subscription_key), tokens)


EMPLOYEE: Final = uuid_of("employee", 503293)
COMPANY: Final = uuid_of("company", DEMO_COMPANY)


async def test_a_token_that_expired_at_nmbrs_is_refreshed_once_and_the_call_made_once(
    timed_emulator: RunningEmulator, signed_in_store: FileTokenStore, clock: FakeClock
) -> None:
    frozen = FakeClock()  # the client's clock stands still: it does not know the token expired
    frozen.now = clock.now
    salary = lookup_operation("createEmployeeSalary")
    tokens = TokenSource(signed_in_store, CLIENT, clock=frozen)
    async with tokens, transport(timed_emulator, tokens) as rest:
        await rest.call(lookup_operation("getCompanies"), {})
        before = signed_in_store.load("default")
        clock.now += 3600  # the access token expired at the service
        new_id = await rest.call(
                salary,
                {"employeeId": EMPLOYEE, "body": {"startDate": date(2026, 12, 1),
                 "type": "Bruto_Salaris_Fulltime", "value": Decimal("4000")}},
            )  # fmt: skip
    after = signed_in_store.load("default")
    assert before is not None and after is not None
    assert after.refresh_token != before.refresh_token  # rotated and stored
    assert isinstance(new_id, str)
    employee = timed_emulator.state.employees[503293]
    assert [r["Value"] for _, r in employee.salaries.items()].count(Decimal("4000")) == 1


async def test_a_login_that_cannot_refresh_stops_with_log_in_again(
    timed_emulator: RunningEmulator, signed_in_store: FileTokenStore, clock: FakeClock
) -> None:
    stale = signed_in_store.load("default")
    assert stale is not None
    async with TokenSource(signed_in_store, CLIENT, clock=clock) as tokens:
        clock.now += 3600
        await tokens.access_token()  # refreshes: the stored refresh token is now spent
    signed_in_store.save("default", stale)  # e.g. an old copy of the login restored
    clock.now += 3600
    tokens = TokenSource(signed_in_store, CLIENT, clock=clock)
    async with tokens, transport(timed_emulator, tokens) as rest:
        with pytest.raises(LoginExpired, match="bulkimport login"):
            await rest.call(lookup_operation("getCompanies"), {})


async def test_nmbrs_refusals_become_row_faults_naming_code_and_fields(
    timed_emulator: RunningEmulator, signed_in_store: FileTokenStore, clock: FakeClock
) -> None:
    tokens = TokenSource(signed_in_store, CLIENT, clock=clock)
    async with tokens, transport(timed_emulator, tokens) as rest:
        with pytest.raises(RowFault) as refused:
            await rest.call(
                    lookup_operation("createEmployee"),
                    {"companyId": COMPANY,
                     "body": {"PersonalInfo": {"basicInfo": {"lastName": "X",
                                                             "employeeType": "payroll"}}}},
                )  # fmt: skip
        assert refused.value.fault_code == 40033
        assert "AdditionalEmployeeInfo.inServiceDate" in str(refused.value)
        with pytest.raises(RowFault) as missing:
            await rest.call(
                    lookup_operation("updateEmployeeSocialSecurityNumber"),
                    {"employeeId": "0b1d5e2a-0000-4000-8000-000000000000",
                     "body": {"socialSecurityNumber": "111222333"}},
                )  # fmt: skip
        assert missing.value.fault_code == 40401
        with pytest.raises(ConfigError, match="40404"):  # the company: the whole run
            await rest.call(
                lookup_operation("getCurrentPeriod"), {"companyId": uuid_of("company", 1)}
            )


@pytest.fixture(autouse=True)
def _no_display(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("DISPLAY", raising=False)
    yield
