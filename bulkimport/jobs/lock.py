"""The job lock: a file beside the job file, held with flock while the job runs. I/O.

flock, not a pid file: the kernel drops the lock when the process dies however it dies, so a
killed run never leaves a stale lock behind that a person must remove by hand.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bulkimport.errors import BulkImportError


class JobAlreadyRunning(BulkImportError):
    """Another process holds the job's lock (exit 3: a scheduler can skip this turn)."""


def lock_path(job_path: Path) -> Path:
    return job_path.with_name(f"{job_path.name}.lock")


@contextmanager
def job_lock(job_path: Path) -> Iterator[Path]:
    """Hold the job's lock while in the block.

    Raises:
        JobAlreadyRunning: another process holds it (its pid in the message when known).
    """
    path = lock_path(job_path)
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(descriptor, 32, 0).decode("ascii", "replace").strip()
            who = f" (process {holder})" if holder.isdigit() else ""
            raise JobAlreadyRunning(
                f"job {job_path} is already running{who}: its lock {path} is held"
            ) from None
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, f"{os.getpid()}\n".encode("ascii"), 0)
        try:
            yield path
        finally:
            os.ftruncate(descriptor, 0)
            fcntl.flock(descriptor, fcntl.LOCK_UN)
    finally:
        os.close(descriptor)


def lock_holder(job_path: Path) -> str | None:
    """The pid holding the job's lock, "" if held by an unknown process, None if free."""
    path = lock_path(job_path)
    if not path.exists():
        return None
    descriptor = os.open(path, os.O_RDONLY)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return os.pread(descriptor, 32, 0).decode("ascii", "replace").strip()
        fcntl.flock(descriptor, fcntl.LOCK_UN)
        return None
    finally:
        os.close(descriptor)
