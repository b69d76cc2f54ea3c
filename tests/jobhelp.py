"""What the job tests share: two emulator accounts, a config naming them, a three-step job."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any, Final

from bulkimport.config import Credentials
from bulkimport.emulator import EmulatorConfig, RunningEmulator
from bulkimport.synthetic import NewHireSpec, write_new_hires_csv, write_salary_changes_csv

ALPHA: Final = Credentials("alpha-api", "alpha-token-1", "alpha")
BETA: Final = Credentials("beta-api", "beta-token-2", "beta")
TOKENS: Final = {"ALPHA_TOKEN": ALPHA.token, "BETA_TOKEN": BETA.token}
START: Final = date(2026, 12, 1)  # next period of the test emulator's companies
CAP: Final = 150
# Calls the emulator may count above the cap in one second when arrivals re-bunch on a loaded
# machine (its loop, or the GIL, delays some arrivals and not others); not sharing an account's
# limiter between its steps would show ~2 x CAP.
JITTER_ALLOWANCE: Final = 5


def two_account_config(period: tuple[int, int]) -> EmulatorConfig:
    return EmulatorConfig(current_period=period, seed=1, accounts=(ALPHA, BETA))


def write_config(folder: Path, emulator: RunningEmulator) -> Path:
    """Two named accounts on the emulator; their tokens only in the environment (TOKENS)."""
    path = folder / "config.toml"
    path.write_text(
        f"""
[accounts.alpha]
endpoint = "{emulator.base_url}"
username = "{ALPHA.username}"
domain = "{ALPHA.domain}"
token_env = "ALPHA_TOKEN"

[accounts.beta]
endpoint = "{emulator.base_url}"
username = "{BETA.username}"
domain = "{BETA.domain}"
token_env = "BETA_TOKEN"
""",
        encoding="utf-8",
    )
    return path


def write_three_step_job(folder: Path, rows: int) -> Path:
    """hires (54613, alpha) and more_hires (54614, alpha) side by side on one account; then
    salaries (54613, beta) after hires, for the employees hires created."""
    write_new_hires_csv(folder / "hires.csv", NewHireSpec(rows=rows, core_only=True))
    write_new_hires_csv(
        folder / "more_hires.csv",
        NewHireSpec(rows=rows, first_number=200_001, core_only=True, seed=2),
    )
    numbers = list(range(100_001, 100_001 + rows))
    write_salary_changes_csv(folder / "salaries.csv", rows, numbers, START)
    path = folder / "job.toml"
    path.write_text(
        """
[steps.hires]
file = "hires.csv"
template = "new_hire"
company = 54613
account = "alpha"

[steps.more_hires]
file = "more_hires.csv"
template = "new_hire"
company = 54614
account = "alpha"

[steps.salaries]
file = "salaries.csv"
template = "salary"
company = 54613
account = "beta"
after = ["hires"]
""",
        encoding="utf-8",
    )
    return path


def environment() -> dict[str, str]:
    """This process's environment with the accounts' tokens, for child processes."""
    return {**{k: v for k, v in os.environ.items() if not k.startswith("NMBRS_")}, **TOKENS}


def numbers_in(emulator: RunningEmulator, company: int) -> list[int]:
    return sorted(
        e.number
        for e in emulator.state.employees.values()
        if e.company_id == company and e.number >= 100_000
    )


def salaried_from_start(emulator: RunningEmulator, company: int) -> list[int]:
    """The new employees of the company with a salary from START's period on (2026-12)."""
    return sorted(
        employee.number
        for employee in emulator.state.employees.values()
        if employee.company_id == company
        and employee.number >= 100_000
        and any(start >= (2026, 12) for start, _ in employee.salaries.items())
    )


def account_stats(stats: Mapping[str, Any], account: Credentials) -> Mapping[str, Any]:
    by_account: Mapping[str, Any] = stats["by_account"]
    return by_account[f"{account.username}@{account.domain}"]  # type: ignore[no-any-return]
