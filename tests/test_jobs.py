"""Job files: parsed and checked before anything runs, run with one limiter per account,
resumed as a whole after a kill, and locked against a second run."""

from __future__ import annotations

import bisect
import json
import signal
import sys
from pathlib import Path
from typing import Any, ClassVar

import anyio
import pytest
from anyio.abc import ByteReceiveStream

from bulkimport.cli import main
from bulkimport.config import NamedAccount
from bulkimport.emulator import EmulatorConfig, RunningEmulator
from bulkimport.errors import ConfigError
from bulkimport.jobs.jobfile import job_problems, load_job, parse_job
from bulkimport.jobs.lock import JobAlreadyRunning, job_lock
from bulkimport.jobs.runner import StepState, run_plan, write_run_summary
from bulkimport.jobs.status import format_status, job_status
from bulkimport.limiter import Admission, CallRateLimiter
from bulkimport.settings import ConfigFile, named_accounts, read_config_file
from tests.conftest import EMULATOR_PERIOD
from tests.jobhelp import (
    ALPHA,
    BETA,
    CAP,
    JITTER_ALLOWANCE,
    TOKENS,
    account_stats,
    environment,
    numbers_in,
    salaried_from_start,
    two_account_config,
    write_config,
    write_three_step_job,
)

JOB = Path("/jobs/job.toml")


def _step(name: str, after: str = "", **extra: str) -> str:
    lines = [
        f"[steps.{name}]",
        f'file = "{name}.csv"',
        'template = "new_hire"',
        "company = 54613",
        'account = "alpha"',
    ]
    if after:
        lines.append(f"after = [{after}]")
    lines += [f"{key} = {value}" for key, value in extra.items()]
    return "\n".join(lines) + "\n"


# --- the job file, pure --------------------------------------------------------------------------
def test_steps_come_in_an_order_that_respects_after() -> None:
    plan = parse_job(JOB, _step("c", '"b"') + _step("b", '"a"') + _step("a"))
    assert [step.name for step in plan.steps] == ["a", "b", "c"]
    assert plan.step("c").after == ("b",)
    assert plan.step("a").file == Path("/jobs/a.csv")
    assert plan.state_dir == Path("/jobs/job.state")
    assert [step.name for step in plan.dependents("a")] == ["b"]


def test_a_cycle_is_refused_naming_the_steps() -> None:
    with pytest.raises(ConfigError, match=r"cycle: (a -> b -> a|b -> a -> b)"):
        parse_job(JOB, _step("a", '"b"') + _step("b", '"a"'))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (_step("a", '"nope"'), "after names an unknown step 'nope'"),
        (_step("a", '"a"'), "a step cannot come after itself"),
        (_step("a", colour='"red"'), "unknown key 'colour'"),
        ('[steps.a]\nfile = "a.csv"\n', "template is missing"),
        (_step("a").replace("54613", "-1"), "company must be a Nmbrs company id"),
        ("[job]\nstate = 3\n" + _step("a"), "state must be a folder path"),
        ("", "no steps"),
        ("[steps\n", "not valid TOML"),
    ],
)
def test_a_bad_job_file_is_refused_with_a_clear_message(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_job(JOB, text)


def test_every_problem_is_named_at_once() -> None:
    with pytest.raises(ConfigError, match="has 2 problems") as caught:
        parse_job(JOB, _step("a", '"x"') + _step("b", '"y"'))
    assert "'x'" in str(caught.value) and "'y'" in str(caught.value)


def _account(name: str, *, token: bool = True) -> NamedAccount:
    credentials = ALPHA if token else None
    return NamedAccount(name, "soap", "https://x/", None, "u", "d", "test", credentials)


def test_missing_files_accounts_tokens_and_templates_are_found_before_running() -> None:
    plan = parse_job(JOB, _step("a") + _step("b").replace('"alpha"', '"gamma"'))
    problems = job_problems(
        plan,
        {"alpha": _account("alpha", token=False)},
        file_exists=lambda path: path.name == "a.csv",
        template_problem=lambda name, api: None if name == "new_hire" else "unknown",
        need_secrets=True,
    )
    assert problems == [
        "[steps.a]: account 'alpha' has no token (test)",
        "[steps.b]: unknown account 'gamma' (accounts: alpha)",
        f"[steps.b]: file {Path('/jobs/b.csv')} does not exist",
    ]


# --- named accounts ------------------------------------------------------------------------------
def _config(text: str) -> ConfigFile:
    import tomllib

    return ConfigFile(Path("config.toml"), tomllib.loads(text), exists=True)


def test_an_account_takes_its_token_from_its_variable_then_the_keyring() -> None:
    file = _config(
        '[accounts.acme]\nenvironment = "sandbox"\nusername = "api@acme"\ndomain = "acme"\n'
        '[accounts.other-one]\nusername = "u2"\nrate = 100\n'
    )
    accounts = named_accounts(
        file,
        {"NMBRS_TOKEN_ACME": "t1"},
        keyring_lookup=lambda service, user: "t2" if user == "account:other-one" else None,
    )
    acme, other = accounts["acme"], accounts["other-one"]
    assert acme.credentials is not None and acme.credentials.token == "t1"
    assert acme.token_source == "environment variable NMBRS_TOKEN_ACME"
    assert acme.target == "https://api-sandbox.nmbrs.nl/soap/v3/"
    assert other.credentials is not None and other.credentials.token == "t2"
    assert other.token_source.startswith("keyring") and other.rate == 100
    assert "t1" not in repr(acme)


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('username = "u"\ntoken = "secret"', "no token in the file"),
        ('username = "u"\napi = "graphql"', "unknown api 'graphql'"),
        ('username = "u"\nenvironment = "mars"', "unknown environment 'mars'"),
        ('username = "u"\nrate = 500', "rate must be 1 to 150"),
        ('domain = "d"', "username is missing"),
        ('username = "u"\npassword = "p"', "unknown key"),
    ],
)
def test_a_bad_account_is_refused(table: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        named_accounts(_config(f"[accounts.a]\n{table}\n"), {}, keyring_lookup=lambda *_: None)


# --- running a job -------------------------------------------------------------------------------
@pytest.fixture
def emulator_config() -> EmulatorConfig:
    return two_account_config(EMULATOR_PERIOD)


class _RecordingLimiter(CallRateLimiter):
    """The real limiter, noting each admission on the clock it decides by."""

    made: ClassVar[list[_RecordingLimiter]] = []

    def __init__(self, rate: float = 150, **options: Any) -> None:
        super().__init__(rate, **options)
        self.admitted_at: list[float] = []
        _RecordingLimiter.made.append(self)

    async def acquire(self) -> Admission:
        admission = await super().acquire()
        self.admitted_at.append(admission.at)
        return admission


def _busiest_second(times: list[float]) -> int:
    return max(bisect.bisect_left(times, t + 1.0) - i for i, t in enumerate(times))


async def test_three_steps_over_two_accounts_and_two_companies_hold_each_account_s_cap(
    emulator: RunningEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """hires and more_hires run side by side on alpha: one limiter between them keeps alpha at
    its cap (two limiters would send ~300 calls/s); salaries runs on beta after hires.

    The cap is exact in the limiter's admissions (its own clock); at the emulator, which runs
    in this test's event loop, arrivals may re-bunch by a few calls (JITTER_ALLOWANCE)."""
    monkeypatch.setattr(_RecordingLimiter, "made", [])
    monkeypatch.setattr("bulkimport.jobs.runner.CallRateLimiter", _RecordingLimiter)
    rows = 120
    job_path = write_three_step_job(tmp_path, rows)
    accounts = named_accounts(read_config_file(write_config(tmp_path, emulator)), TOKENS)
    plan = load_job(job_path, accounts)
    run = await run_plan(plan, accounts)

    assert [(r.name, r.state) for r in run.results] == [
        ("hires", StepState.OK),
        ("more_hires", StepState.OK),
        ("salaries", StepState.OK),
    ]
    assert run.exit_code == 0
    assert numbers_in(emulator, 54613) == list(range(100_001, 100_001 + rows))
    assert numbers_in(emulator, 54614) == list(range(200_001, 200_001 + rows))
    assert salaried_from_start(emulator, 54613) == list(range(100_001, 100_001 + rows))
    stats = emulator.stats.snapshot()
    alpha, beta = account_stats(stats, ALPHA), account_stats(stats, BETA)
    assert alpha["calls_total"] == sum(r.calls for r in run.results if r.account == "alpha")
    assert beta["calls_total"] == run.results[2].calls
    alpha_limiter, beta_limiter = _RecordingLimiter.made  # one per account, not per step
    assert len(alpha_limiter.admitted_at) == alpha["calls_total"]
    assert len(beta_limiter.admitted_at) == beta["calls_total"]
    assert _busiest_second(alpha_limiter.admitted_at) <= CAP
    assert _busiest_second(beta_limiter.admitted_at) <= CAP
    assert alpha["max_calls_in_any_1s_window"] <= CAP + JITTER_ALLOWANCE
    assert beta["max_calls_in_any_1s_window"] <= CAP + JITTER_ALLOWANCE

    summary = json.loads(write_run_summary(run).read_text(encoding="utf-8"))
    assert summary["exit_code"] == 0
    assert [step["state"] for step in summary["steps"]] == ["ok", "ok", "ok"]
    assert summary["steps"][0]["counts"] == {"ok": rows}
    status = job_status(plan)
    assert [step.state for step in status.steps] == ["ok", "ok", "ok"]
    assert "hires" in format_status(status) and status.running is None


async def _read_all(stream: ByteReceiveStream | None) -> str:
    assert stream is not None
    return b"".join([chunk async for chunk in stream]).decode()


async def _wait_for(emulator: RunningEmulator, operation: str, calls: int) -> None:
    with anyio.fail_after(90):
        while emulator.stats.calls_by_operation[operation] < calls:  # noqa: ASYNC110
            await anyio.sleep(0.02)


async def test_a_job_killed_in_its_second_step_resumes_as_a_whole(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    rows = 80
    job_path = write_three_step_job(tmp_path, rows)
    config = write_config(tmp_path, emulator)
    command = [sys.executable, "-m", "bulkimport", "job", "run", str(job_path)]
    command += ["--config", str(config)]
    status_command = [*command[:4], "status", str(job_path), "--config", str(config)]
    plan = load_job(job_path, named_accounts(read_config_file(config), TOKENS))
    process = await anyio.open_process(command, env=environment())
    async with process:
        await _wait_for(emulator, "Salary_Update", 20)  # hires done: salaries under way
        during = job_status(plan)  # here: a status command's start-up would outlast the step
        process.send_signal(signal.SIGKILL)
        await process.wait()
    assert during.running is not None
    assert [step.state for step in during.steps] == ["ok", "ok", "running"]
    assert salaried_from_start(emulator, 54613) != list(range(100_001, 100_001 + rows))

    finished = await anyio.run_process(command, env=environment(), check=False)
    output = finished.stdout.decode()
    assert finished.returncode == 0, finished.stderr.decode()
    assert "hires       ok  (finished by an earlier run)" in output
    assert numbers_in(emulator, 54613) == list(range(100_001, 100_001 + rows))  # once each
    assert numbers_in(emulator, 54614) == list(range(200_001, 200_001 + rows))
    assert salaried_from_start(emulator, 54613) == list(range(100_001, 100_001 + rows))
    summary_path = Path(output.strip().splitlines()[-1].removeprefix("summary: "))
    summary = json.loads(await anyio.Path(summary_path).read_text(encoding="utf-8"))
    salaries = summary["steps"][2]
    assert salaries["resumed"] is True and salaries["counts"] == {"ok": rows}

    status = await anyio.run_process([*status_command, "--json"], env=environment())
    shown = json.loads(status.stdout)
    assert [step["state"] for step in shown["steps"]] == ["ok", "ok", "ok"]
    assert shown["last_run"] == str(summary_path) and shown["running"] is False


def test_a_running_job_is_not_run_again(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    job_path = tmp_path / "job.toml"
    job_path.write_text(_step("a"), encoding="utf-8")
    (tmp_path / "a.csv").write_text("Personeelsnummer\n1\n", encoding="utf-8")
    config = tmp_path / "config.toml"
    config.write_text('[accounts.alpha]\nusername = "u"\ntoken_env = "A"\n', encoding="utf-8")
    with job_lock(job_path):
        with pytest.raises(JobAlreadyRunning), job_lock(job_path):
            pass
        code = anyio.run(_run_cli, ["job", "run", str(job_path), "--config", str(config)])
    assert code == 3
    # Free again once the holder is gone, even without a clean exit (the kernel drops flock).
    with job_lock(job_path):
        pass


async def _run_cli(arguments: list[str]) -> int:
    """The command in its own process: the lock is per open file, so a thread would share it."""
    finished = await anyio.run_process(
        [sys.executable, "-m", "bulkimport", *arguments],
        env={**environment(), "A": "token"},
        check=False,
    )
    assert b"already running" in finished.stderr
    return finished.returncode


def test_a_bad_job_exits_2_before_anything_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    job_path = tmp_path / "job.toml"
    job_path.write_text(_step("a", '"b"') + _step("b", '"a"'), encoding="utf-8")
    config = tmp_path / "config.toml"
    config.write_text('[accounts.alpha]\nusername = "u"\n', encoding="utf-8")
    code = main(["job", "run", str(job_path), "--config", str(config)])
    error = capsys.readouterr().err
    assert code == 2
    assert "cycle" in error and "Traceback" not in error
    assert not (tmp_path / "job.state").exists()


def test_config_show_lists_the_accounts_and_where_each_token_is_never_the_token(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        '[accounts.acme]\nenvironment = "sandbox"\nusername = "api@acme.nl"\ndomain = "acme"\n'
        'token_env = "ACME_TOKEN"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("ACME_TOKEN", "sekrit-token")
    assert main(["config", "show", "--config", str(config)]) == 0
    shown = capsys.readouterr().out
    assert "accounts.acme  " in shown and "api-sandbox.nmbrs.nl" in shown
    assert "environment variable ACME_TOKEN" in shown
    assert "sekrit-token" not in shown


async def test_a_step_that_fails_blocks_the_steps_after_it_and_the_job_exits_2(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """A company the account does not reach fails its step in the pre-flight, nothing sent;
    the step after it is blocked; an independent step still runs."""
    rows = 5
    job_path = write_three_step_job(tmp_path, rows)
    text = job_path.read_text(encoding="utf-8").replace("company = 54613", "company = 99999", 1)
    job_path.write_text(text, encoding="utf-8")
    accounts = named_accounts(read_config_file(write_config(tmp_path, emulator)), TOKENS)
    run = await run_plan(load_job(job_path, accounts), accounts)
    hires, more_hires, salaries = run.results
    assert hires.state is StepState.FAILED and "99999" in (hires.error or "")
    assert more_hires.state is StepState.OK
    assert salaries.state is StepState.BLOCKED and "hires did not finish" in (salaries.error or "")
    assert run.exit_code == 2
    assert numbers_in(emulator, 54613) == []
    assert emulator.stats.calls_by_operation["Salary_Update"] == 0


@pytest.mark.parametrize(
    ("states", "code"),
    [
        ((StepState.OK, StepState.OK), 0),
        ((StepState.OK, StepState.ROWS_NOT_OK), 1),
        ((StepState.ROWS_NOT_OK, StepState.STOPPED), 130),
        ((StepState.STOPPED, StepState.BLOCKED), 2),
        ((StepState.FAILED, StepState.OK), 2),
    ],
)
def test_the_exit_code_a_scheduler_acts_on(states: tuple[StepState, ...], code: int) -> None:
    from bulkimport.jobs.runner import StepResult, exit_code_of

    assert exit_code_of([StepResult(f"s{n}", "a", state) for n, state in enumerate(states)]) == code


async def test_sigterm_stops_the_job_with_130_and_the_next_run_finishes_it(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """What a scheduler's stop does: calls in flight finish, every step's report is written,
    the steps not started are stopped, exit 130; the next run resumes and ends with 0."""
    rows = 150
    job_path = write_three_step_job(tmp_path, rows)
    config = write_config(tmp_path, emulator)
    command = [sys.executable, "-m", "bulkimport", "job", "run", str(job_path)]
    command += ["--config", str(config)]
    process = await anyio.open_process(command, env=environment())
    async with process:
        await _wait_for(emulator, "Employee_Insert", 30)
        process.send_signal(signal.SIGTERM)
        with anyio.fail_after(60):
            code = await process.wait()
        stderr = await _read_all(process.stderr)
    assert code == 130, stderr
    plan = load_job(job_path, named_accounts(read_config_file(config), TOKENS))
    stopped = job_status(plan)
    assert [step.state for step in stopped.steps] == ["started", "started", "not started"]
    assert stopped.running is None and stopped.last_run is not None
    summary = json.loads(await anyio.Path(stopped.last_run).read_text(encoding="utf-8"))
    assert summary["exit_code"] == 130
    assert [step["state"] for step in summary["steps"]] == ["stopped", "stopped", "stopped"]

    finished = await anyio.run_process(command, env=environment(), check=False)
    assert finished.returncode == 0, finished.stderr.decode()
    assert numbers_in(emulator, 54613) == list(range(100_001, 100_001 + rows))
    assert numbers_in(emulator, 54614) == list(range(200_001, 200_001 + rows))
    assert salaried_from_start(emulator, 54613) == list(range(100_001, 100_001 + rows))


async def test_finished_steps_are_left_alone_until_retry_failed_sends_their_failed_rows(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    from bulkimport.synthetic import write_salary_changes_csv
    from tests.jobhelp import START

    write_salary_changes_csv(tmp_path / "salaries.csv", 10, list(range(1001, 1011)), START)
    job_path = tmp_path / "job.toml"
    job_path.write_text(
        '[steps.salaries]\nfile = "salaries.csv"\ntemplate = "salary"\ncompany = 54613\n'
        'account = "alpha"\n',
        encoding="utf-8",
    )
    accounts = named_accounts(read_config_file(write_config(tmp_path, emulator)), TOKENS)
    plan = load_job(job_path, accounts)
    emulator.script("nmbrs_fault", operation="Salary_Update", count=2, fault_code=2016)

    (first,) = (await run_plan(plan, accounts)).results
    assert first.state is StepState.ROWS_NOT_OK and first.counts == {"ok": 8, "fault": 2}
    sent = emulator.stats.calls_by_operation["Salary_Update"]
    assert sent == 10

    (again,) = (await run_plan(plan, accounts)).results
    assert again.earlier and again.state is StepState.ROWS_NOT_OK
    assert emulator.stats.calls_by_operation["Salary_Update"] == sent  # nothing sent

    run = await run_plan(plan, accounts, retry_failed=True)
    (retried,) = run.results
    assert retried.state is StepState.OK and not retried.earlier and run.exit_code == 0
    assert emulator.stats.calls_by_operation["Salary_Update"] == sent + 2  # the two failed rows
    assert job_status(plan).steps[0].state == "ok"
