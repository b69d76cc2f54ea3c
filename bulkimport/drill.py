"""The chaos drill: prove that nothing is lost and nothing is created twice. Does I/O.

An emulator runs in its own process with latency spikes, HTTP 503s, dropped connections and
lost replies; an importer process imports synthetic new hires and is killed with SIGKILL at
random moments; the same command resumes it until it finishes. Then the emulator's state and
the report are checked: every valid row's employee exists exactly once with all its records,
invalid rows created nothing, and every row has a final status.
"""

from __future__ import annotations

import asyncio
import csv
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Final

from bulkimport.synthetic import NewHireSpec, write_new_hires_csv

DRILL_COMPANY: Final = 54613
_URL_RE: Final = re.compile(r"(http://127\.0\.0\.1:\d+/soap/v3/)")
_RECORD_KINDS: Final = ("addresses", "bank_accounts", "contracts", "salaries", "schedules")
_INSERTED_KINDS: Final = ("addresses", "bank_accounts", "contracts")  # a resend would add one


@dataclass(frozen=True, slots=True)
class DrillSettings:
    rows: int = 2000
    kills: int = 2
    seed: int = 1
    invalid_share: float = 0.03
    latency_ms: float = 20.0
    latency_spread_ms: float = 250.0
    http_503_share: float = 0.05
    drop_share: float = 0.02
    lost_reply_share: float = 0.02
    rate: float = 150.0
    max_runs: int = 12
    workdir: Path | None = None
    api: str = "soap"  # "rest": the importer runs with --api rest, signed in once beforehand


@dataclass(slots=True)
class DrillResult:
    rows: int = 0
    valid_rows: int = 0
    invalid_rows: int = 0
    runs: int = 0
    kills: int = 0
    calls: int = 0
    injected_faults: dict[str, int] = field(default_factory=dict)
    report_statuses: dict[str, int] = field(default_factory=dict)
    rows_missing_from_report: int = 0
    rows_lost: int = 0  # valid rows whose employee is missing or incomplete
    duplicates: int = 0  # employees beyond one per valid row
    created_by_invalid_rows: int = 0
    orphans: int = 0  # employees this drill created that no row accounts for
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return (
            self.rows_lost == 0
            and self.duplicates == 0
            and self.created_by_invalid_rows == 0
            and self.orphans == 0
            and self.rows_missing_from_report == 0
        )


def next_month_start(today: date) -> date:
    """Synthetic hires start next month, so they never fall into a protected past period."""
    return date(today.year + today.month // 12, today.month % 12 + 1, 1)


@contextmanager
def emulator_process(arguments: Sequence[str]) -> Iterator[str]:
    """`bulkimport emulator` in a child process on 127.0.0.1; yields its SOAP base URL."""
    command = [sys.executable, "-m", "bulkimport", "emulator", "--port", "0", *arguments]
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + 30
        for line in process.stdout:
            match = _URL_RE.search(line)
            if match:
                break
            if time.monotonic() > deadline:
                raise RuntimeError("the emulator did not start within 30 s")
        else:
            raise RuntimeError(f"the emulator exited with code {process.wait()}")
        yield match[1]
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


def fetch_json(url: str) -> Any:
    """GET a JSON document from the emulator on loopback."""
    if not url.startswith("http://127.0.0.1:"):
        raise ValueError(f"the drill only talks to loopback, not {url}")
    with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 - loopback only
        return json.loads(response.read())


def post_json(url: str) -> Any:
    """POST an empty body to an emulator control endpoint on loopback (e.g. /reset)."""
    if not url.startswith("http://127.0.0.1:"):
        raise ValueError(f"the drill only talks to loopback, not {url}")
    request = urllib.request.Request(url, data=b"", method="POST")  # noqa: S310 - loopback only
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback only
        return json.loads(response.read())


def run_drill(settings: DrillSettings, say: Any = print) -> DrillResult:
    result = DrillResult()
    started = time.monotonic()
    rng = random.Random(settings.seed)
    with tempfile.TemporaryDirectory(prefix="bulkimport-drill-") as scratch:
        workdir = settings.workdir or Path(scratch)
        workdir.mkdir(parents=True, exist_ok=True)
        spec = NewHireSpec(
            rows=settings.rows,
            invalid_share=settings.invalid_share,
            start_date=next_month_start(date.today()),
            seed=settings.seed,
        )
        input_path = write_new_hires_csv(workdir / "drill_new_hires.csv", spec)
        emulator_arguments = [
            f"--latency-ms={settings.latency_ms}",
            f"--latency-spread-ms={settings.latency_spread_ms}",
            f"--http-503-share={settings.http_503_share}",
            f"--drop-share={settings.drop_share}",
            f"--lost-reply-share={settings.lost_reply_share}",
            f"--seed={settings.seed}",
        ]
        with emulator_process(emulator_arguments) as base_url:
            root = base_url.split("/soap/")[0]
            baseline = {employee["id"] for employee in fetch_json(f"{root}/state")["employees"]}
            command = [
                sys.executable, "-m", "bulkimport", "run", str(input_path),
                "--template", "new_hire", "--company", str(DRILL_COMPANY),
                "--endpoint", base_url, "--rate", str(settings.rate),
                "--timeout", "3", "--max-attempts", "10",
                "--journal", str(workdir / "drill.journal.sqlite"),
                "--report", str(workdir / "drill.report"),
            ]  # fmt: skip
            credentials = demo_environment()
            if settings.api == "rest":
                credentials |= rest_login(root, workdir / "tokens")
                command[command.index("--company") + 1] = rest_company_id(DRILL_COMPANY)
                command[command.index("--endpoint") + 1] = root
                command += ["--api", "rest"]
            expected_seconds = settings.rows * 7 / settings.rate
            errors_path = workdir / "drill.importer.log"
            while result.runs < settings.max_runs:
                result.runs += 1
                with errors_path.open("ab") as errors:
                    process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                        command, env=credentials, stdout=subprocess.DEVNULL, stderr=errors
                    )
                if result.kills < settings.kills:
                    # Somewhere in the first half of what is left, so every kill hits work.
                    delay = rng.uniform(1.5, max(2.0, expected_seconds / (2 * settings.kills)))
                    try:
                        process.wait(timeout=delay)
                    except subprocess.TimeoutExpired:
                        os.kill(process.pid, signal.SIGKILL)
                        process.wait()
                        result.kills += 1
                        say(f"run {result.runs}: killed with SIGKILL after {delay:.1f} s")
                        continue
                code = process.wait()
                say(f"run {result.runs}: exited with code {code}")
                if code in (0, 1):
                    break
                if code == 2:
                    log = errors_path.read_text(encoding="utf-8", errors="replace")
                    raise RuntimeError(f"the import failed: {log[-2000:]}")
            stats = fetch_json(f"{root}/stats")
            state = fetch_json(f"{root}/state")
        result.calls = int(stats.get("calls_total", 0))
        result.injected_faults = dict(stats.get("injected_faults", {}))
        _check(result, input_path, workdir / "drill.report.csv", state, baseline)
    result.seconds = time.monotonic() - started
    return result


def rest_company_id(company: int) -> str:
    """The REST companyId of an emulator company (the emulator maps SOAP ids to UUIDs)."""
    from bulkimport.emulator.rest import uuid_of

    return uuid_of("company", company)


def rest_login(origin: str, token_dir: Path) -> dict[str, str]:
    """Sign in once at the emulator, as `bulkimport login` would; the child importers' REST
    variables (demo application, token directory)."""
    from bulkimport.nmbrs.rest.auth import service_for
    from bulkimport.nmbrs.rest.login import sign_in
    from bulkimport.nmbrs.rest.session import demo_client
    from bulkimport.nmbrs.rest.tokens import TOKEN_DIR_VARIABLE, FileTokenStore

    client = demo_client()

    async def login() -> None:
        urls: asyncio.Queue[str] = asyncio.Queue()
        service = service_for(origin, origin)
        store = FileTokenStore(token_dir)
        task = asyncio.create_task(
            sign_in(service, client, store, "default", announce=urls.put_nowait,
                    open_browser=False)
        )  # fmt: skip
        url = await urls.get()
        await asyncio.to_thread(fetch_page, url)
        await task

    asyncio.run(login())
    return {
        TOKEN_DIR_VARIABLE: str(token_dir),
        "NMBRS_CLIENT_ID": client.client_id,
        "NMBRS_CLIENT_SECRET": client.client_secret,
        "NMBRS_SUBSCRIPTION_KEY": client.subscription_key,
    }


def fetch_page(url: str) -> None:
    """Open a loopback URL and follow its redirects, as a browser would."""
    if not url.startswith("http://127.0.0.1:"):
        raise ValueError(f"the drill only talks to loopback, not {url}")
    with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 - loopback only
        response.read()


def demo_environment() -> dict[str, str]:
    """This process's environment plus the emulator's demo credentials, for child importers."""
    from bulkimport.emulator import DEMO_CREDENTIALS

    environment = dict(os.environ)
    environment.update(
        NMBRS_USERNAME=DEMO_CREDENTIALS.username,
        NMBRS_TOKEN=DEMO_CREDENTIALS.token,
        NMBRS_DOMAIN=DEMO_CREDENTIALS.domain,
    )
    return environment


def _check(
    result: DrillResult,
    input_path: Path,
    report_path: Path,
    state: dict[str, Any],
    baseline: set[int],
) -> None:
    """Compare what the rows asked for with what the emulator holds and the report says."""
    with report_path.open(encoding="utf-8-sig", newline="") as stream:
        report = {row["Personeelsnummer"]: row for row in csv.DictReader(stream, delimiter=";")}
    with input_path.open(encoding="utf-8-sig", newline="") as stream:
        numbers = [row["Personeelsnummer"] for row in csv.DictReader(stream, delimiter=";")]
    result.rows = len(numbers)
    result.rows_missing_from_report = sum(1 for number in numbers if number not in report)
    result.report_statuses = dict(Counter(row["status"] for row in report.values()))
    invalid = {number for number, row in report.items() if row["status"] == "invalid"}
    result.invalid_rows = len(invalid)
    result.valid_rows = result.rows - result.invalid_rows

    created: dict[str, list[dict[str, Any]]] = {}
    for employee in state["employees"]:
        if employee["id"] not in baseline:
            created.setdefault(str(employee["number"]), []).append(employee)
    for number in numbers:
        found = created.get(number, [])
        if number in invalid:
            result.created_by_invalid_rows += len(found)
            continue
        if not found or not all(found[0].get(kind) for kind in _RECORD_KINDS):
            result.rows_lost += 1
        result.duplicates += max(0, len(found) - 1)
        for employee in found:
            result.duplicates += sum(
                max(0, len(employee.get(kind) or []) - 1) for kind in _INSERTED_KINDS
            )
    wanted = set(numbers)
    result.orphans = sum(len(found) for number, found in created.items() if number not in wanted)


def format_drill(result: DrillResult, settings: DrillSettings) -> str:
    lines = [
        f"rows                      {result.rows} ({result.valid_rows} valid, "
        f"{result.invalid_rows} invalid)",
        f"importer runs             {result.runs} (killed with SIGKILL {result.kills} times)",
        f"calls at the emulator     {result.calls}",
        f"injected faults           {json.dumps(result.injected_faults, sort_keys=True)}",
        f"report statuses           {json.dumps(result.report_statuses, sort_keys=True)}",
        f"rows missing from report  {result.rows_missing_from_report}",
        f"rows lost                 {result.rows_lost}",
        f"duplicate employees       {result.duplicates}",
        f"created by invalid rows   {result.created_by_invalid_rows}",
        f"orphan employees          {result.orphans}",
        f"time                      {result.seconds:.1f} s",
        f"verdict                   {'PASS' if result.passed else 'FAIL'}",
    ]
    return "\n".join(lines)
