"""Secrets and personal data never reach a log line, over a whole run of the sample."""

from __future__ import annotations

import csv
import io
import re
import shutil
from pathlib import Path

import structlog

from bulkimport.emulator import DEMO_CREDENTIALS, RunningEmulator
from bulkimport.job import ImportJob, run_job
from bulkimport.logs import configure_logging, register_secret

SAMPLES = Path(__file__).resolve().parent.parent / "samples"


def _sensitive_values(path: Path) -> set[str]:
    """Every BSN, IBAN (compact and as written) and birth date of the sample file."""
    values: set[str] = set()
    with path.open(encoding="utf-8-sig", newline="") as stream:
        for row in csv.DictReader(stream, delimiter=";"):
            for column in ("BSN", "IBAN", "Geboortedatum"):
                if row[column]:
                    values.add(row[column])
                    values.add(re.sub(r"\s", "", row[column]))
    return values


async def test_a_verbose_run_logs_no_token_bsn_iban_or_birth_date(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    path = Path(shutil.copy(SAMPLES / "new_hires.csv", tmp_path / "new_hires.csv"))
    emulator.script("lost_reply", operation="Employee_Insert", count=2)
    emulator.script("nmbrs_fault", operation="BankAccount_InsertCurrent", fault_code=2014)
    buffer = io.StringIO()
    configure_logging(level="debug", json=True, stream=buffer)
    register_secret(DEMO_CREDENTIALS.token)
    try:
        outcome = await run_job(
            ImportJob(
                input_path=path,
                template="new_hire",
                company_id=54613,
                endpoint=emulator.base_url,
                credentials=DEMO_CREDENTIALS,
            )
        )
    finally:
        structlog.reset_defaults()
    logged = buffer.getvalue()
    assert outcome.summary.rows == 25
    assert logged.count('"event": "row"') == 25  # one canonical line per row was written
    assert "invalid" in logged and "fault" in logged
    assert DEMO_CREDENTIALS.token not in logged
    sensitive = _sensitive_values(path)
    assert len(sensitive) > 50  # 25 rows of BSN, IBAN (two ways) and birth date: nothing missed
    leaked = sorted(value for value in sensitive if value in logged)
    assert leaked == []
