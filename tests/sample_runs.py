"""The sample new hires run against the emulator with faults scripted: rows of every kind.

Shared by the HTML report's tests and the browser test: 3 invalid rows (the sample's own
mistakes), one row refused with fault 2014 and one failed after its retries (HTTP 500 twice).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Final

from bulkimport.config import RetryPolicy
from bulkimport.emulator import DEMO_CREDENTIALS, RunningEmulator
from bulkimport.job import ImportJob, ImportOutcome, run_job

SAMPLES: Final = Path(__file__).resolve().parent.parent / "samples"
QUICK_RETRY: Final = RetryPolicy(max_attempts=2, base_delay=0.01, max_delay=0.02)


async def run_sample_with_faults(emulator: RunningEmulator, folder: Path) -> ImportOutcome:
    """Copy samples/new_hires.csv into `folder` and import it; the reports land beside it."""
    path = Path(shutil.copy(SAMPLES / "new_hires.csv", folder / "new_hires.csv"))
    emulator.script("nmbrs_fault", operation="BankAccount_InsertCurrent", fault_code=2014)
    emulator.script("http_500", operation="Address_InsertCurrent", count=2)
    return await run_job(
        ImportJob(
            input_path=path,
            template="new_hire",
            company_id=54613,
            endpoint=emulator.base_url,
            credentials=DEMO_CREDENTIALS,
            retry=QUICK_RETRY,
            concurrency=1,  # one row at a time: both HTTP 500s hit the same row's two attempts
        )
    )
