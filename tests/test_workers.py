"""Workers on arq and a real Redis: two worker processes, two emulator accounts, one killed.

The test starts its own `redis-server` (Debian's package; .ci/run installs it) on loopback.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack
from pathlib import Path

import anyio
import pytest
from redis.asyncio import Redis

from bulkimport.emulator import EmulatorConfig, RunningEmulator
from bulkimport.jobs.jobfile import load_job
from bulkimport.jobs.runner import account_key
from bulkimport.jobs.worker import LEASE_PREFIX, wait_for_run
from bulkimport.settings import named_accounts, read_config_file
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

LEASE_SECONDS = "2"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    """A redis-server of its own on loopback, nothing saved to disk."""
    server = shutil.which("redis-server")
    if server is None:
        missing = "redis-server is not installed: apt-get install redis-server (.ci/run does)"
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the worker tests, but {missing}")
        pytest.skip(missing)
    port = _free_port()
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        for _ in range(200):
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    return two_account_config(EMULATOR_PERIOD)


class Workers:
    """`bulkimport worker` processes, each logging to its own file."""

    def __init__(self, redis_url: str, config: Path, folder: Path, stack: ExitStack) -> None:
        self.redis_url, self.config, self.folder, self.stack = redis_url, config, folder, stack
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, *, without: str = "") -> None:
        """A worker named `name`; `without`: a variable left out of its environment."""
        log = self.stack.enter_context((self.folder / f"{name}.log").open("wb"))
        command = [
            sys.executable, "-m", "bulkimport", "worker", "--redis", self.redis_url,
            "--config", str(self.config), "--lease-seconds", LEASE_SECONDS, "--name", name,
        ]  # fmt: skip
        self.processes[name] = subprocess.Popen(
            command,
            env={k: v for k, v in environment().items() if k != without},
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def kill(self, name: str) -> None:
        process = self.processes.pop(name)
        process.send_signal(signal.SIGKILL)
        process.wait()

    def stop_all(self) -> None:
        for process in self.processes.values():
            process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def logs(self) -> str:
        return "\n".join(path.read_text() for path in sorted(self.folder.glob("*.log")))


@pytest.fixture
async def workers(
    redis_url: str, emulator: RunningEmulator, tmp_path: Path
) -> AsyncIterator[Workers]:
    logs = tmp_path / "logs"
    logs.mkdir()
    with ExitStack() as stack:
        running = Workers(redis_url, write_config(tmp_path, emulator), logs, stack)
        try:
            yield running
        finally:
            running.stop_all()


async def _wait_for(emulator: RunningEmulator, operation: str, calls: int) -> None:
    with anyio.fail_after(90):
        while emulator.stats.calls_by_operation[operation] < calls:  # noqa: ASYNC110
            await anyio.sleep(0.02)


async def test_two_workers_one_killed_mid_step_lose_nothing_double_nothing_and_hold_the_caps(
    emulator: RunningEmulator, workers: Workers, redis_url: str, tmp_path: Path
) -> None:
    rows = 100
    job_path = write_three_step_job(tmp_path, rows)
    accounts = named_accounts(read_config_file(workers.config), TOKENS)
    plan = load_job(job_path, accounts)
    workers.start("w1")
    workers.start("w2")
    submitted = await anyio.run_process(
        [sys.executable, "-m", "bulkimport", "job", "submit", str(job_path),
         "--config", str(workers.config), "--redis", redis_url],
        env=environment(),
        check=False,
    )  # fmt: skip
    assert submitted.returncode == 0, submitted.stderr.decode()
    run_id = submitted.stdout.decode().split()[2]

    # Kill whichever worker holds alpha's lease while alpha's new hires are under way.
    await _wait_for(emulator, "Employee_Insert", 40)
    redis = Redis.from_url(redis_url)
    try:
        owner = await redis.get(LEASE_PREFIX + account_key(accounts["alpha"]))
    finally:
        await redis.aclose()
    assert owner is not None
    holder = owner.decode().split("/")[0]
    workers.kill(holder)
    workers.start("w3")

    with anyio.fail_after(150):
        results, summary_path = await wait_for_run(redis_url, plan, run_id)
    assert [(r.name, r.state.value) for r in results] == [
        ("hires", "ok"),
        ("more_hires", "ok"),
        ("salaries", "ok"),
    ], workers.logs()
    assert any(r.resumed and r.worker != holder for r in results[:2])  # taken over, resumed
    assert numbers_in(emulator, 54613) == list(range(100_001, 100_001 + rows))  # once each
    assert numbers_in(emulator, 54614) == list(range(200_001, 200_001 + rows))
    assert salaried_from_start(emulator, 54613) == list(range(100_001, 100_001 + rows))
    stats = emulator.stats.snapshot()
    for account in (ALPHA, BETA):
        assert account_stats(stats, account)["max_calls_in_any_1s_window"] <= CAP + JITTER_ALLOWANCE
    assert summary_path is not None
    summary = json.loads(await anyio.Path(summary_path).read_text(encoding="utf-8"))
    assert summary["run_id"] == run_id and summary["exit_code"] == 0

    # The run is over: the same job may be submitted again (and finds every step done).
    again = await anyio.run_process(
        [sys.executable, "-m", "bulkimport", "job", "submit", str(job_path),
         "--config", str(workers.config), "--redis", redis_url, "--wait"],
        env=environment(),
        check=False,
    )  # fmt: skip
    assert again.returncode == 0, again.stderr.decode()
    assert again.stdout.decode().count("finished by an earlier run") == 3


async def test_a_job_still_on_the_queue_is_not_submitted_twice(
    emulator: RunningEmulator, redis_url: str, tmp_path: Path
) -> None:
    job_path = write_three_step_job(tmp_path, 5)
    config = write_config(tmp_path, emulator)
    command = [sys.executable, "-m", "bulkimport", "job", "submit", str(job_path)]
    command += ["--config", str(config), "--redis", redis_url]
    first = await anyio.run_process(command, env=environment(), check=False)
    second = await anyio.run_process(command, env=environment(), check=False)
    assert first.returncode == 0, first.stderr.decode()
    assert second.returncode == 3
    assert b"already on the queue" in second.stderr


def test_the_worker_recognises_the_journal_s_refusal_when_another_run_holds_it(
    tmp_path: Path,
) -> None:
    """A stalled worker past its lease still holds the journal: the new holder retries."""
    from bulkimport.errors import JournalMismatchError
    from bulkimport.jobs.worker import JOURNAL_BUSY
    from bulkimport.journal import Journal, RunTarget

    target = RunTarget("soap", "http://127.0.0.1:1/soap/v3/", None, "alpha", 54613)
    path = tmp_path / "step.journal.sqlite"

    def open_journal() -> Journal:
        return Journal.open(
            path,
            input_name="hires.csv",
            input_sha256="0" * 64,
            template="new_hire",
            template_sha256="1" * 64,
            target=target,
            options={},
        )

    with open_journal(), pytest.raises(JournalMismatchError, match=JOURNAL_BUSY):
        open_journal()


async def test_a_step_no_worker_can_run_is_recorded_failed_and_the_run_still_ends(
    emulator: RunningEmulator, workers: Workers, redis_url: str, tmp_path: Path
) -> None:
    job_path = write_three_step_job(tmp_path, 5)
    workers.start("w1", without="BETA_TOKEN")
    with anyio.fail_after(120):
        finished = await anyio.run_process(
            [sys.executable, "-m", "bulkimport", "job", "submit", str(job_path),
             "--config", str(workers.config), "--redis", redis_url, "--wait"],
            env=environment(),
            check=False,
        )  # fmt: skip
    output = finished.stdout.decode()
    assert finished.returncode == 2, finished.stderr.decode() + workers.logs()
    assert "salaries    failed" in output and "w1 has no token for account beta" in output
    assert numbers_in(emulator, 54613) == list(range(100_001, 100_006))
    assert emulator.stats.calls_by_operation["Salary_Update"] == 0


def test_a_redis_password_never_shows() -> None:
    from bulkimport.jobs.worker import shown_url

    assert shown_url("redis://:s3cret@cache:6379/0") == "redis://:***@cache:6379/0"
    assert shown_url("redis://user:s3cret@cache/1") == "redis://user:***@cache/1"
    assert shown_url("redis://127.0.0.1:6379") == "redis://127.0.0.1:6379"


async def test_a_worker_runs_a_rest_step_on_the_login_every_worker_reads(
    redis_url: str, tmp_path: Path
) -> None:
    """A REST account on a worker: the step signs in with the login in the token store the
    workers share (a folder named in their environment), the application's values from the
    environment; no secret reaches the worker's log."""
    from bulkimport.emulator import running_emulator
    from bulkimport.emulator.rest import DEMO_APPLICATION
    from bulkimport.nmbrs.rest.tokens import TOKEN_DIR_VARIABLE, FileTokenStore
    from tests.test_jobs_rest import APPLICATION_VARIABLES, _log_in
    from tests.test_rest_run import DEMO_COMPANY, SAMPLES

    tokens = tmp_path / "tokens"
    (tmp_path / "personal_info.csv").write_bytes((SAMPLES / "personal_info.csv").read_bytes())
    job_path = tmp_path / "job.toml"
    job_path.write_text(
        '[steps.people]\nfile = "personal_info.csv"\ntemplate = "personal_info"\n'
        'company = "DEMO B.V."\naccount = "acme"\n',
        encoding="utf-8",
    )
    env = {**environment(), **APPLICATION_VARIABLES, TOKEN_DIR_VARIABLE: str(tokens)}
    async with running_emulator(EmulatorConfig(current_period=EMULATOR_PERIOD, seed=1)) as emu:
        await _log_in(emu, FileTokenStore(tokens), "acme")
        config = tmp_path / "config.toml"
        config.write_text(
            f'[accounts.acme]\napi = "rest"\nendpoint = "{emu.origin}"\n', encoding="utf-8"
        )
        with (tmp_path / "w1.log").open("wb") as log:
            worker = await anyio.open_process(
                [sys.executable, "-m", "bulkimport", "worker", "--redis", redis_url,
                 "--config", str(config), "--lease-seconds", LEASE_SECONDS, "--name", "w1"],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )  # fmt: skip
            try:
                with anyio.fail_after(120):
                    finished = await anyio.run_process(
                        [sys.executable, "-m", "bulkimport", "job", "submit", str(job_path),
                         "--config", str(config), "--redis", redis_url, "--wait"],
                        env=env,
                        check=False,
                    )  # fmt: skip
            finally:
                worker.terminate()
                with anyio.fail_after(15):
                    await worker.wait()
        worker_log = (tmp_path / "w1.log").read_text()
        # The sample's row 5 names an employee who does not exist, on purpose: exit 1.
        assert finished.returncode == 1, finished.stderr.decode() + worker_log
        assert "people" in finished.stdout.decode()
        employee = next(
            e
            for e in emu.state.employees.values()
            if e.company_id == DEMO_COMPANY and e.number == 1001
        )
        person = employee.personal_info.valid_in(EMULATOR_PERIOD)
        assert person is not None and person["EmailPrivate"] == "j.dejong@example.nl"
    for secret in (DEMO_APPLICATION.client_secret, DEMO_APPLICATION.subscription_key):
        assert secret not in worker_log
    assert sorted(path.name for path in tokens.glob("*.json")) == ["acme.json"]
