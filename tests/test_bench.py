"""`bulkimport bench` at a tiny size: every figure is there and sane (timings are not judged)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bulkimport.bench import BenchSettings, run_bench
from bulkimport.errors import ConfigError

EXPECTED_KEYS = {
    "capped_calls_per_s",
    "cap_utilisation",
    "capped_calls_per_s_at_service",
    "max_calls_in_1s_window",
    "throttled_calls",
    "latency_p50_ms",
    "latency_p95_ms",
    "latency_p99_ms",
    "wall_over_physical_minimum",
    "uncapped_calls_per_s",
    "client_cpu_ms_per_1k_calls",
    "client_cpu_ms_per_1k_calls_median",
    "csv_rows_per_s",
    "csv_rows_per_cpu_s",
    "xlsx_rows_per_cpu_s",
    "new_hire_rows_per_cpu_s",
    "csv_peak_rss_mb",
    "csv_small_peak_rss_mb",
    "xlsx_rows_per_s",
    "xlsx_peak_rss_mb",
    "new_hire_rows_per_s",
    "zeep_sequential_calls_per_s",
    "speedup_vs_zeep",
    "capped_penalised_share",
    *(
        f"{scenario}_{figure}"
        for scenario in ("network", "shared_steady", "shared_bursty")
        for figure in (
            "calls_per_s",
            "available_calls_per_s",
            "utilisation",
            "busiest_1s_at_service",
            "penalised_share",
        )
    ),
}


def test_bench_smoke(tmp_path: Path) -> None:
    output = tmp_path / "bench.json"
    sizes = {"capped": 20, "uncapped": 20, "csv": 300, "csv-small": 100, "xlsx": 100}
    sizes |= {"new-hire": 50, "zeep": 1, "account": 20}
    size_options = [part for name, rows in sizes.items() for part in (f"--{name}-rows", str(rows))]
    size_options += ["--accounts", "2", "--uncapped-repeats", "2"]
    finished = subprocess.run(
        [sys.executable, "-m", "bulkimport", "bench", *size_options, "--json", str(output)],
        capture_output=True,
        text=True,
        check=False,
        timeout=240,
    )
    assert finished.returncode == 0, finished.stderr
    last_line = finished.stdout.strip().splitlines()[-1]
    figures = json.loads(last_line)
    assert figures == json.loads(output.read_text(encoding="utf-8"))
    assert set(figures) >= EXPECTED_KEYS
    assert all(isinstance(value, int | float) for value in figures.values())
    signed = {"csv_rss_growth_vs_small"}  # the small file may peak a little higher
    assert all(value >= 0 for name, value in figures.items() if name not in signed)
    assert figures["capped_calls"] >= 20 * 7
    # Counts, not timings: no window can hold more calls than were made.
    assert 0 < figures["max_calls_in_1s_window"] <= figures["capped_calls"]
    assert figures["cap_utilisation"] > 0
    assert figures["latency_p50_ms"] <= figures["latency_p95_ms"] <= figures["latency_p99_ms"]
    assert figures["zeep_calls"] == 7
    assert figures["csv_peak_rss_mb"] > 10
    for scenario in ("network", "shared_steady", "shared_bursty"):
        assert figures[f"{scenario}_calls"] >= 20 * 7
        assert 0 <= figures[f"{scenario}_penalised_share"] <= 1
    assert figures["network_available_calls_per_s"] == 150
    assert figures["shared_steady_available_calls_per_s"] == 100
    assert figures["accounts"] == 2 and figures["accounts_rows_ok"] == 2 * 20
    assert figures["accounts_calls"] >= 2 * 20 * 7
    assert figures["accounts_busiest_1s_of_any_account"] <= 150


def test_rest_bench_smoke(tmp_path: Path) -> None:
    """`bench --api rest`: new hires over REST against the emulator's hidden limit."""
    finished = subprocess.run(
        [sys.executable, "-m", "bulkimport", "bench", "--api", "rest", "--rest-rows", "30"],
        capture_output=True,
        text=True,
        check=False,
        timeout=240,
    )
    assert finished.returncode == 0, finished.stderr
    figures = json.loads(finished.stdout.strip().splitlines()[-1])
    assert figures["rest_rows"] == 30
    assert figures["rest_rows_ok"] > 0
    assert figures["rest_calls"] >= figures["rest_rows_ok"] * 7
    assert figures["rest_hidden_limit_calls_per_s"] == 100
    assert 0 <= figures["rest_share_429"] <= 1
    assert "capped_calls" not in figures  # the SOAP scenarios did not run


def test_an_unknown_scenario_is_refused_before_anything_runs() -> None:
    ran: list[str] = []
    with pytest.raises(ConfigError, match="nearby"):
        run_bench(BenchSettings(scenarios=("loopback", "nearby")), say=ran.append)
    assert ran == []
