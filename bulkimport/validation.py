"""A job's settings checked before anything is sent: one clear line instead of a traceback.

`validate_job` is pure. `check_input_file` and `prepare_output_folders` look at the file system
(the shell's part): the input must be a file, and the folders the reports go to must exist or
be creatable before the first call, not after it.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Final
from urllib.parse import urlsplit

from bulkimport.config import MAX_CONCURRENCY, NMBRS_CALLS_PER_SECOND
from bulkimport.endpoints import is_loopback
from bulkimport.errors import ConfigError, InputFileError
from bulkimport.report import html_report_path, report_paths

if TYPE_CHECKING:
    from bulkimport.job import ImportJob

MIN_RATE: Final = 1.0  # the limiter paces whole calls per one-second window


def validate_job(job: ImportJob) -> None:
    """Refuse settings that cannot work, or would do something other than what was meant.

    Raises:
        ConfigError: naming the setting, the value given and what would be accepted.
    """
    if isinstance(job.company_id, int) and job.company_id <= 0:
        raise ConfigError(f"company {job.company_id} is not a Nmbrs company id (a positive number)")
    _validate_rate(job)
    if not 1 <= job.concurrency <= MAX_CONCURRENCY:
        raise ConfigError(
            f"concurrency {job.concurrency} is not possible: give 1 to {MAX_CONCURRENCY} "
            "calls in flight"
        )
    if not (math.isfinite(job.timeout) and job.timeout > 0):
        raise ConfigError(f"timeout {job.timeout:g} is not possible: give a number of seconds > 0")
    if job.retry.max_attempts < 1:
        raise ConfigError(
            f"max attempts {job.retry.max_attempts} is not possible: every call needs at least 1"
        )
    for name, delay in (("base delay", job.retry.base_delay), ("max delay", job.retry.max_delay)):
        if not (math.isfinite(delay) and delay >= 0):
            raise ConfigError(f"retry {name} {delay:g} is not possible: give seconds >= 0")
    _validate_target(job)


def _validate_rate(job: ImportJob) -> None:
    rate = job.rate
    if not (math.isfinite(rate) and rate >= MIN_RATE):
        raise ConfigError(
            f"rate {rate:g} is not possible: give {MIN_RATE:g} to {NMBRS_CALLS_PER_SECOND} "
            "calls per second"
        )
    # An emulator on this machine may be driven faster (the benchmark measures the engine's
    # own cost that way); anything else may be Nmbrs, which allows 150 calls per second.
    if rate > NMBRS_CALLS_PER_SECOND and not is_loopback_url(job.endpoint):
        raise ConfigError(
            f"rate {rate:g} is above Nmbrs' cap of {NMBRS_CALLS_PER_SECOND} calls per second: "
            f"give {MIN_RATE:g} to {NMBRS_CALLS_PER_SECOND}"
        )


def is_loopback_url(url: str | None) -> bool:
    host = urlsplit(url).hostname if url else None
    return host is not None and is_loopback(host)


def _validate_target(job: ImportJob) -> None:
    """Credentials mean a real account: never let them fall through to the emulator unnoticed."""
    named_target = bool(job.endpoint or job.environment)
    if job.emulator and named_target:
        raise ConfigError(
            "--emulator contradicts --endpoint/--environment: the built-in emulator has no "
            "address to give"
        )
    if job.credentials is not None and not named_target and not job.emulator:
        raise ConfigError(
            "Nmbrs credentials are set but no endpoint or environment is: this would go to the "
            "built-in emulator; give --environment, or --emulator to mean it"
        )


def check_input_file(path: Path) -> None:
    """The input must be a regular file (a folder or a device cannot be imported)."""
    if not path.exists():
        raise InputFileError(str(path), "no such file")
    if path.is_dir():
        raise InputFileError(str(path), "is a folder; give the CSV or XLSX file to import")
    if not path.is_file():
        raise InputFileError(str(path), "is not a regular file; give a CSV or XLSX file")


def prepare_output_folders(
    input_path: Path, report_base: Path, failed_path: Path, journal_path: Path | None
) -> None:
    """Create the folders the outputs go to, and refuse an output that would replace the input.

    Done before the first call: a report that cannot be written after the calls were sent
    leaves changes in Nmbrs that nobody can account for.
    """
    outputs = {
        path: "report" for path in (*report_paths(report_base), html_report_path(report_base))
    }
    outputs[failed_path] = "failed-rows file"
    if journal_path is not None:
        outputs[journal_path] = "journal"
    source = input_path.resolve()
    for path, role in outputs.items():
        if path.resolve() == source:
            raise ConfigError(f"the {role} {path} would overwrite the input file")
        if path.is_dir():
            raise ConfigError(f"the {role} {path} is a folder; give a file name")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except (FileExistsError, NotADirectoryError) as exc:
            raise ConfigError(
                f"cannot create the folder {path.parent} for the {role}: a file of that name "
                "is in the way"
            ) from exc
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise ConfigError(
                f"cannot create the folder {path.parent} for the {role}: {reason}"
            ) from exc
