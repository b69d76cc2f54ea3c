"""`bulkimport bench`: figures against the cap (on loopback, over a jittery network, on an
account shared with other users), the engine's own cost, and the usual way.

Every measurement runs the emulator in a separate process on 127.0.0.1, so the client's CPU
and memory are its own. The machine may be shared: CPU time is reported beside wall time, and
the engine's cost is the least of a few runs (others' load only ever adds to it, as timeit
assumes). Benchmarks report; they never pass or fail on timings.
"""

from __future__ import annotations

import importlib.util
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio

from bulkimport.config import NMBRS_CALLS_PER_SECOND, Country, RetryPolicy
from bulkimport.drill import (
    demo_environment,
    emulator_process,
    fetch_json,
    next_month_start,
    post_json,
)
from bulkimport.errors import ConfigError
from bulkimport.model import RowStatus
from bulkimport.synthetic import (
    SALARY_HEADERS,
    NewHireSpec,
    salary_change_rows,
    write_new_hires_csv,
    write_salary_changes_csv,
)

if TYPE_CHECKING:
    from bulkimport.job import ImportJob

BENCH_COMPANY = 54613
DEMO_EMPLOYEE_NUMBERS = tuple(range(1001, 1011))  # the seeded employees of company 54613
# What `--scenarios` can pick, in the order they run (zeep's speedup needs loopback's figure).
SCENARIOS = ("loopback", "network", "shared", "engine", "streaming", "zeep", "accounts", "rest")
# What `bench` runs by default: the SOAP figures; `--api rest` runs the REST one.
SOAP_SCENARIOS = SCENARIOS[:-1]
REST_SCENARIOS = ("rest",)
# REST: the first seconds are the governor's search for the unpublished limit.
REST_SEARCH_S = 30


@dataclass(frozen=True, slots=True)
class BenchSettings:
    capped_rows: int = 900  # about 6,300 calls at 7 a row; also the network and shared runs
    latency_ms: float = 100.0
    latency_spread_ms: float = 40.0
    network_jitter_ms: float = 50.0  # on the way in, before Nmbrs counts the call
    others_calls_per_second: int = 50  # other users of the account, steadily ...
    others_burst_calls: int = 100  # ... or this many at once
    others_burst_every: float = 2.0  # every this many seconds (the same 50/s on average)
    uncapped_rows: int = 1500
    uncapped_repeats: int = 5  # journaled runs of the engine cost; the least CPU is reported
    csv_rows: int = 1_000_000
    csv_small_rows: int = 10_000
    xlsx_rows: int = 100_000
    new_hire_rows: int = 20_000
    zeep_rows: int = 15
    accounts: int = 4  # accounts driven at their caps by one process (a job file's steps)
    account_rows: int = 300  # new hires per account, about 2,100 calls
    rate: float = NMBRS_CALLS_PER_SECOND
    concurrency: int = 100
    scenarios: tuple[str, ...] = SOAP_SCENARIOS
    rest_rows: int = 1200  # about 8,400 calls: some 85 s at 100 calls/s
    rest_limit: int = 100  # the emulator's hidden REST limit, calls/s
    rest_start_rate: float = NMBRS_CALLS_PER_SECOND  # the governor's first guess


def _latency_arguments(settings: BenchSettings) -> list[str]:
    """The emulator options for Nmbrs-like latency (the capped and the zeep measurements)."""
    return [
        f"--latency-ms={settings.latency_ms}",
        f"--latency-spread-ms={settings.latency_spread_ms}",
    ]


def _percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def _steady_rate(per_second: list[int]) -> float:
    """Arrivals per second over the full seconds between the first and the last one."""
    inner = per_second[1:-1]
    return statistics.fmean(inner) if inner else 0.0


def _demo_job(path: Path, base_url: str, **options: Any) -> ImportJob:
    from bulkimport.emulator import DEMO_CREDENTIALS
    from bulkimport.job import ImportJob

    return ImportJob(
        input_path=path,
        template="new_hire",
        company_id=BENCH_COMPANY,
        endpoint=base_url,
        credentials=DEMO_CREDENTIALS,
        country=Country.NL,
        retry=RetryPolicy(max_attempts=4, base_delay=0.05, max_delay=0.5),
        **options,
    )


async def _run_job(job: ImportJob) -> Any:
    from bulkimport.job import run_job

    return await run_job(job)


def measure_capped(settings: BenchSettings, workdir: Path) -> dict[str, float]:
    """New hires at the cap against ~100 ms latency: how close to the physical minimum."""
    stats, outcome = _run_at_the_cap(settings, workdir, "capped", [])
    summary = outcome.summary
    calls = int(stats["calls_total"])
    latencies = list(outcome.call_latencies_s)
    achieved = calls / summary.duration_s
    span = float(stats["arrivals_span_s"])
    at_service = (calls - 1) / span if span > 0 else 0.0
    return {
        "capped_rows": float(summary.rows),
        "capped_rows_ok": float(summary.counts.get(RowStatus.OK, 0)),
        "capped_calls": float(calls),
        "capped_seconds": summary.duration_s,
        "capped_calls_per_s": achieved,
        "cap_calls_per_s": settings.rate,
        # As for the network and shared scenarios: between the first and the last arrival at
        # the service; the run's own start (pre-flight) and end are in capped_calls_per_s.
        "capped_calls_per_s_at_service": at_service,
        "cap_utilisation": at_service / settings.rate,
        "steady_calls_per_s": _steady_rate(stats["arrivals_per_second"]),
        "max_calls_in_1s_window": float(stats["max_calls_in_any_1s_window"]),
        "throttled_calls": float(stats["throttled_calls"]),
        "capped_penalised_share": _penalised_share(stats),
        "latency_p50_ms": _percentile(latencies, 0.50) * 1000,
        "latency_p95_ms": _percentile(latencies, 0.95) * 1000,
        "latency_p99_ms": _percentile(latencies, 0.99) * 1000,
        "wall_over_physical_minimum": summary.duration_s / (calls / settings.rate),
    }


def measure_network(settings: BenchSettings, workdir: Path) -> dict[str, float]:
    """The loopback run with network jitter on the way in, which re-bunches paced calls."""
    jitter = [f"--inbound-jitter-ms={settings.network_jitter_ms}"]
    stats, _ = _run_at_the_cap(settings, workdir, "network", jitter)
    return _shared_cap_figures("network", stats, settings.rate)


def measure_shared(settings: BenchSettings, workdir: Path) -> dict[str, float]:
    """The loopback run while other users of the account call steadily, then in bursts."""
    steady = [f"--other-users-calls-per-second={settings.others_calls_per_second}"]
    bursty = [
        f"--other-users-burst-calls={settings.others_burst_calls}",
        f"--other-users-burst-every={settings.others_burst_every}",
    ]
    bursty_average = settings.others_burst_calls / settings.others_burst_every
    steady_stats, _ = _run_at_the_cap(settings, workdir, "shared_steady", steady)
    bursty_stats, _ = _run_at_the_cap(settings, workdir, "shared_bursty", bursty)
    available = settings.rate - settings.others_calls_per_second
    return {
        **_shared_cap_figures("shared_steady", steady_stats, available),
        **_shared_cap_figures("shared_bursty", bursty_stats, settings.rate - bursty_average),
    }


def _run_at_the_cap(
    settings: BenchSettings, workdir: Path, name: str, emulator_options: list[str]
) -> tuple[dict[str, Any], Any]:
    """New hires at the cap against an emulator with ~100 ms latency; its /stats and the outcome."""
    path = write_new_hires_csv(
        workdir / f"{name}.csv",
        NewHireSpec(rows=settings.capped_rows, start_date=next_month_start(date.today())),
    )
    options = [*_latency_arguments(settings), "--seed=1", *emulator_options]
    with emulator_process(options) as base_url:
        job = _demo_job(path, base_url, rate=settings.rate, concurrency=settings.concurrency)
        outcome = anyio.run(_run_job, job)
        stats = fetch_json(base_url.split("/soap/")[0] + "/stats")
    return stats, outcome


def measure_rest(settings: BenchSettings, workdir: Path) -> dict[str, float]:
    """New hires over REST against a hidden limit: the rate the governor finds, the calls
    per second after its first search, and the share of calls refused with 429."""
    from bulkimport.drill import rest_company_id, rest_login
    from bulkimport.job import ImportJob
    from bulkimport.nmbrs.rest.session import demo_client

    path = write_new_hires_csv(
        workdir / "rest.csv",
        NewHireSpec(rows=settings.rest_rows, start_date=next_month_start(date.today())),
    )
    options = [
        *_latency_arguments(settings),
        "--seed=1",
        f"--rest-calls-per-second={settings.rest_limit}",
    ]
    with emulator_process(options) as base_url:
        root = base_url.split("/soap/")[0]
        environment = rest_login(root, workdir / "tokens")
        saved = {name: os.environ.get(name) for name in environment}
        os.environ.update(environment)  # the run finds the login where `login` stored it
        try:
            job = ImportJob(
                input_path=path,
                template="new_hire",
                company_id=rest_company_id(BENCH_COMPANY),
                endpoint=root,
                api="rest",
                rest_client=demo_client(),
                country=Country.NL,
                rate=settings.rest_start_rate,
                concurrency=settings.concurrency,
                retry=RetryPolicy(max_attempts=10, base_delay=0.05, max_delay=1.0),
                xlsx_report=False,
                keep_journal=False,
            )
            outcome = anyio.run(_run_job, job)
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
        stats = fetch_json(root + "/stats")
    summary = outcome.summary
    arrivals = list(stats["arrivals_per_second"])
    refused = list(stats.get("refused_per_second", []))
    refused += [0] * (len(arrivals) - len(refused))
    accepted = [a - r for a, r in zip(arrivals, refused, strict=False)]
    after = accepted[REST_SEARCH_S:-1]  # full seconds after the search, the last one partial
    calls = int(stats["calls_total"])
    refusals = int(stats.get("faults_by_code", {}).get("42908", 0))
    return {
        "rest_rows": float(summary.rows),
        "rest_rows_ok": float(summary.counts.get(RowStatus.OK, 0)),
        "rest_calls": float(calls),
        "rest_seconds": summary.duration_s,
        "rest_hidden_limit_calls_per_s": float(settings.rest_limit),
        "rest_start_rate_calls_per_s": settings.rest_start_rate,
        "rest_calls_per_s": calls / summary.duration_s if summary.duration_s else 0.0,
        "rest_accepted_per_s_after_30s": statistics.fmean(after) if after else 0.0,
        "rest_share_of_limit_after_30s": (
            statistics.fmean(after) / settings.rest_limit if after else 0.0
        ),
        "rest_found_rate_calls_per_s": summary.found_rate or 0.0,
        "rest_found_rate_share_of_limit": (summary.found_rate or 0.0) / settings.rest_limit,
        "rest_share_429": refusals / max(1, calls),
    }


def _penalised_share(stats: Mapping[str, Any]) -> float:
    """The share of calls Nmbrs delayed by its half-second penalty."""
    return float(stats["throttled_calls"]) / max(1, int(stats["calls_total"]))


def _shared_cap_figures(name: str, stats: Mapping[str, Any], available: float) -> dict[str, float]:
    """Calls/s between the first and the last arrival at the service, against what was free."""
    calls = int(stats["calls_total"])
    span = float(stats["arrivals_span_s"])
    per_s = (calls - 1) / span if span > 0 else 0.0
    return {
        f"{name}_calls": float(calls),
        f"{name}_calls_per_s": per_s,
        f"{name}_available_calls_per_s": available,
        f"{name}_utilisation": per_s / available,
        f"{name}_busiest_1s_at_service": float(stats["max_calls_in_any_1s_window"]),
        f"{name}_penalised_calls": float(stats["throttled_calls"]),
        f"{name}_penalised_share": _penalised_share(stats),
    }


def measure_uncapped(settings: BenchSettings, workdir: Path) -> dict[str, float]:
    """The same work with the cap lifted and no latency: what the client itself costs.

    After a small warm-up run (imports, compiled templates, first connections), the rows go
    in twice against a reset emulator, without and with the journal, to show its cost.
    """
    start = next_month_start(date.today())
    warm_up = write_new_hires_csv(workdir / "warm_up.csv", NewHireSpec(rows=50, start_date=start))
    path = write_new_hires_csv(
        workdir / "uncapped.csv", NewHireSpec(rows=settings.uncapped_rows, start_date=start)
    )
    with emulator_process(["--calls-per-second=1000000"]) as base_url:
        root = base_url.split("/soap/")[0]
        options: dict[str, Any] = {"rate": 1_000_000, "concurrency": settings.concurrency}
        anyio.run(_run_job, _demo_job(warm_up, base_url, keep_journal=False, **options))
        post_json(f"{root}/reset")
        without_journal = anyio.run(
            _run_job, _demo_job(path, base_url, keep_journal=False, **options)
        )
        calls_without = int(fetch_json(f"{root}/stats")["calls_total"])
        runs: list[tuple[float, float, int]] = []  # CPU ms per 1,000 calls, calls/s, calls
        for repeat in range(max(1, settings.uncapped_repeats)):
            post_json(f"{root}/reset")
            journal_path = workdir / f"uncapped-{repeat}.journal.sqlite"
            journaled = _demo_job(path, base_url, journal_path=journal_path, **options)
            cpu_before = _process_cpu_s(resource.RUSAGE_SELF)
            with_journal = anyio.run(_run_job, journaled)
            cpu_s = _process_cpu_s(resource.RUSAGE_SELF) - cpu_before
            calls = int(fetch_json(f"{root}/stats")["calls_total"])
            runs.append(
                (cpu_s * 1000 / calls * 1000, calls / with_journal.summary.duration_s, calls)
            )
    cpu_per_1k = [cpu for cpu, _, _ in runs]
    least_cpu, calls_per_s, calls = min(runs)
    return {
        "uncapped_calls": float(calls),
        "uncapped_calls_per_s": calls_per_s,
        "client_cpu_ms_per_1k_calls": least_cpu,
        "client_cpu_ms_per_1k_calls_median": statistics.median(cpu_per_1k),
        "uncapped_calls_per_s_without_journal": calls_without / without_journal.summary.duration_s,
    }


def _process_cpu_s(who: int) -> float:
    """User plus system CPU seconds of this process (RUSAGE_SELF: every thread of it, so the
    emulator must run elsewhere) or of its finished children (RUSAGE_CHILDREN)."""
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


@dataclass(frozen=True, slots=True)
class _ChildRun:
    seconds: float  # wall clock, which others' load on a shared machine stretches
    cpu_seconds: float  # the child's own user and system CPU
    peak_rss_mb: float


def _dry_run(path: Path, template: str, base_url: str, workdir: Path) -> _ChildRun:
    """Run a dry run in a child process; its wall time, CPU time and peak RSS.

    Its CPU is what this process's finished children used more after it than before: the
    emulator, also a child, is still running then and not counted.
    """
    command = [
        sys.executable, "-m", "bulkimport", "run", str(path), "--template", template,
        "--company", str(BENCH_COMPANY), "--endpoint", base_url, "--dry-run",
        "--no-xlsx", "--report", str(workdir / f"{path.stem}.report"),
    ]  # fmt: skip
    started = time.monotonic()
    children_cpu = _process_cpu_s(resource.RUSAGE_CHILDREN)
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            command, env=demo_environment(), stdout=subprocess.DEVNULL, stderr=errors
        )
        peak_kb = _watch_peak_rss_kb(process)
        seconds = time.monotonic() - started
        cpu_seconds = _process_cpu_s(resource.RUSAGE_CHILDREN) - children_cpu
        if process.returncode not in (0, 1):
            errors.seek(0)
            raise RuntimeError(f"dry run of {path.name} failed: {errors.read().decode()}")
    return _ChildRun(seconds, cpu_seconds, peak_kb / 1024)


def _watch_peak_rss_kb(process: subprocess.Popen[bytes]) -> int:
    """The child's own peak RSS (VmHWM), read from /proc until it exits.

    Not getrusage: Linux carries ru_maxrss across exec, so a child forked from this big
    process would report at least this process's size whatever it did itself.
    """
    status_path = Path(f"/proc/{process.pid}/status")
    peak = 0
    while process.poll() is None:
        try:
            for line in status_path.read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]))
        except (OSError, ValueError):
            pass  # exited between poll() and the read
        time.sleep(0.02)
    return peak


def _write_salary_xlsx(path: Path, rows: int, start: date) -> None:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Salariswijzigingen")
    sheet.append(list(SALARY_HEADERS))
    for number, amount, kind, _ in salary_change_rows(rows, DEMO_EMPLOYEE_NUMBERS, start):
        whole = float(amount.replace(".", "").replace(",", "."))
        sheet.append([int(number), whole, kind, start])  # real numbers and dates, as Excel has
    workbook.save(path)


def measure_streaming(settings: BenchSettings, workdir: Path) -> dict[str, float]:
    """Read, validate, map and build every envelope (the dry-run path) of large files.

    The million rows are salary changes (one call a row), the commonest recurring upload;
    full new hires (25 columns, 7 calls a row) are measured on a smaller file.
    """
    start = next_month_start(date.today())
    numbers = DEMO_EMPLOYEE_NUMBERS
    big = write_salary_changes_csv(workdir / "salary_big.csv", settings.csv_rows, numbers, start)
    small = write_salary_changes_csv(
        workdir / "salary_small.csv", settings.csv_small_rows, numbers, start
    )
    hires = write_new_hires_csv(
        workdir / "new_hires_stream.csv", NewHireSpec(rows=settings.new_hire_rows, start_date=start)
    )
    workbook = workdir / "salary.xlsx"
    _write_salary_xlsx(workbook, settings.xlsx_rows, start)
    with emulator_process([]) as base_url:
        csv = _dry_run(big, "salary", base_url, workdir)
        csv_small = _dry_run(small, "salary", base_url, workdir)
        xlsx = _dry_run(workbook, "salary", base_url, workdir)
        new_hire = _dry_run(hires, "new_hire", base_url, workdir)
    return {
        "csv_rows": float(settings.csv_rows),
        "csv_rows_per_s": settings.csv_rows / csv.seconds,
        "csv_rows_per_cpu_s": settings.csv_rows / csv.cpu_seconds,
        "csv_peak_rss_mb": csv.peak_rss_mb,
        "csv_small_rows": float(settings.csv_small_rows),
        "csv_small_peak_rss_mb": csv_small.peak_rss_mb,
        "csv_rss_growth_vs_small": csv.peak_rss_mb / csv_small.peak_rss_mb - 1,
        "xlsx_rows": float(settings.xlsx_rows),
        "xlsx_rows_per_s": settings.xlsx_rows / xlsx.seconds,
        "xlsx_rows_per_cpu_s": settings.xlsx_rows / xlsx.cpu_seconds,
        "xlsx_peak_rss_mb": xlsx.peak_rss_mb,
        "new_hire_rows": float(settings.new_hire_rows),
        "new_hire_rows_per_s": settings.new_hire_rows / new_hire.seconds,
        "new_hire_rows_per_cpu_s": settings.new_hire_rows / new_hire.cpu_seconds,
        "new_hire_peak_rss_mb": new_hire.peak_rss_mb,
    }


def measure_zeep(
    settings: BenchSettings, workdir: Path, capped_calls_per_s: float | None
) -> dict[str, float]:
    """The usual alternative: a zeep client loaded from the WSDL, one call after another.

    The speedup is against the loopback run at the cap, when that ran too.
    """
    from bulkimport.zeepclient import run_sequential_new_hires

    path = write_new_hires_csv(
        workdir / "zeep.csv",
        NewHireSpec(rows=settings.zeep_rows, start_date=next_month_start(date.today())),
    )
    with emulator_process(_latency_arguments(settings)) as base_url:
        calls, seconds = run_sequential_new_hires(path, base_url, BENCH_COMPANY)
    per_s = calls / seconds
    figures = {"zeep_calls": float(calls), "zeep_sequential_calls_per_s": per_s}
    if capped_calls_per_s is not None:
        figures["speedup_vs_zeep"] = capped_calls_per_s / per_s
    return figures


def run_bench(settings: BenchSettings, say: Callable[[str], None]) -> dict[str, float]:
    from bulkimport.logs import configure_logging

    unknown = set(settings.scenarios) - set(SCENARIOS)
    if unknown:
        raise ConfigError(
            f"unknown bench scenario(s) {', '.join(sorted(unknown))}; "
            f"choose from {', '.join(SCENARIOS)}"
        )
    if "zeep" in settings.scenarios and importlib.util.find_spec("zeep") is None:
        raise ConfigError("the benchmark compares with zeep: pip install -e '.[bench]'")
    configure_logging(level="warning")  # one line per row would cost the client its own time
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="bulkimport-bench-") as scratch:
        workdir = Path(scratch)
        steps: dict[str, tuple[str, Callable[[], Mapping[str, float]]]] = {
            "loopback": ("at the cap", lambda: measure_capped(settings, workdir)),
            "network": ("at the cap, network jitter", lambda: measure_network(settings, workdir)),
            "shared": ("at the cap, other users", lambda: measure_shared(settings, workdir)),
            "engine": ("engine cost", lambda: measure_uncapped(settings, workdir)),
            "streaming": ("streaming", lambda: measure_streaming(settings, workdir)),
            "zeep": (
                "sequential zeep",
                lambda: measure_zeep(settings, workdir, figures.get("capped_calls_per_s")),
            ),
            "accounts": (
                f"{settings.accounts} accounts at their caps in one process",
                lambda: measure_accounts(settings, workdir),
            ),
            "rest": ("REST against a hidden limit", lambda: measure_rest(settings, workdir)),
        }
        for scenario in SCENARIOS:
            if scenario not in settings.scenarios:
                continue
            title, step = steps[scenario]
            say(f"measuring {title} ...")
            started = time.monotonic()
            figures.update(step())
            say(f"  done in {time.monotonic() - started:.1f} s")
    return figures


def measure_accounts(settings: BenchSettings, workdir: Path) -> dict[str, float]:
    """A job of one new-hire step per account, all at their caps in this one process, against
    one emulator (another process) that serves every account with ~100 ms latency: calls/s per
    account and in total, and this process's CPU per 1,000 calls and per second."""
    from bulkimport.config import Credentials, NamedAccount
    from bulkimport.job import resolve_template
    from bulkimport.jobs.jobfile import JobPlan, JobStep
    from bulkimport.jobs.runner import run_plan

    resolve_template("new_hire")  # imports and the template's first load: not per-call cost
    count = settings.accounts
    credentials = [Credentials(f"bench{n}", f"bench-token-{n}", f"bench{n}") for n in range(count)]
    options = [*_latency_arguments(settings), "--seed=1"]
    options += [f"--account={c.username}:{c.token}:{c.domain}" for c in credentials]
    start = next_month_start(date.today())
    steps = tuple(
        JobStep(
            name=f"account{n}",
            file=write_new_hires_csv(
                workdir / f"account{n}.csv",
                NewHireSpec(
                    rows=settings.account_rows,
                    first_number=100_001 + n * 100_000,
                    start_date=start,
                    seed=n + 1,
                ),
            ),
            template="new_hire",
            company=BENCH_COMPANY,
            account=f"bench{n}",
        )
        for n in range(count)
    )
    plan = JobPlan(workdir / "accounts.toml", steps, workdir / "accounts.state")
    # The emulator's CPU, its start-up included, is known once it has exited and been waited for.
    emulator_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with emulator_process(options) as base_url:
        accounts = {
            c.username: NamedAccount(
                c.username, "soap", base_url, None, c.username, c.domain, "bench", c, settings.rate
            )
            for c in credentials
        }
        cpu_before = resource.getrusage(resource.RUSAGE_SELF)
        run = anyio.run(run_plan, plan, accounts)
        cpu_after = resource.getrusage(resource.RUSAGE_SELF)
        stats = fetch_json(base_url.split("/soap/")[0] + "/stats")
    emulator_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_s = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    emulator_cpu_s = (emulator_after.ru_utime - emulator_before.ru_utime) + (
        emulator_after.ru_stime - emulator_before.ru_stime
    )
    wall_s = (run.finished_at - run.started_at).total_seconds()
    per_account = [result.calls / result.duration_s for result in run.results]
    busiest = [entry["max_calls_in_any_1s_window"] for entry in stats["by_account"].values()]
    calls = sum(result.calls for result in run.results)
    return {
        "accounts": float(count),
        "accounts_rows_ok": float(sum(r.counts.get("ok", 0) for r in run.results)),
        "accounts_calls": float(calls),
        "accounts_seconds": wall_s,
        "accounts_calls_per_s_total": calls / wall_s,
        "accounts_calls_per_s_per_account_min": min(per_account),
        "accounts_calls_per_s_per_account_mean": statistics.fmean(per_account),
        "accounts_busiest_1s_of_any_account": float(max(busiest)),
        "accounts_penalised_calls": float(stats["throttled_calls"]),
        "accounts_client_cpu_s": cpu_s,
        "accounts_client_cpu_ms_per_1k_calls": cpu_s * 1000 / calls * 1000,
        "accounts_client_cpu_share_of_a_core": cpu_s / wall_s,
        "accounts_emulator_cpu_s": emulator_cpu_s,
        "accounts_machine_load_1min": os.getloadavg()[0],
    }


def format_table(figures: Mapping[str, float]) -> str:
    width = max(len(name) for name in figures)
    lines = []
    for name, value in figures.items():
        shown = f"{value:,.3f}" if abs(value) < 10 else f"{value:,.1f}"
        lines.append(f"{name.ljust(width)}  {shown}")
    return "\n".join(lines)


def figures_json(figures: Mapping[str, float]) -> str:
    return json.dumps({name: round(value, 4) for name, value in figures.items()}, sort_keys=False)
