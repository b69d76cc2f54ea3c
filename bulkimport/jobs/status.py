"""`job status`: where each step of a job stands, read from its state folder. I/O, read only.

A step is finished when its result file exists for the input as it is now; else started when
its journal exists (the rows recorded so far are counted), else not started.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bulkimport.jobs.jobfile import JobPlan, JobStep
from bulkimport.jobs.lock import lock_holder
from bulkimport.jobs.runner import finished_result, step_paths


@dataclass(frozen=True, slots=True)
class StepStatus:
    name: str
    account: str
    after: tuple[str, ...]
    state: str  # "ok", "rows not ok", "started", "running", "not started", "file missing"
    counts: Mapping[str, int] = field(default_factory=dict)
    journal: str | None = None


@dataclass(frozen=True, slots=True)
class JobStatus:
    plan: JobPlan
    steps: tuple[StepStatus, ...]
    running: str | None  # the pid holding the job's lock, "" if unknown, None if not running
    last_run: Path | None

    def as_json(self) -> dict[str, Any]:
        return {
            "job": str(self.plan.path),
            "running": self.running is not None,
            "pid": self.running or None,
            "last_run": str(self.last_run) if self.last_run else None,
            "steps": [
                {
                    "name": step.name,
                    "account": step.account,
                    "after": list(step.after),
                    "state": step.state,
                    "counts": dict(step.counts),
                    "journal": step.journal,
                }
                for step in self.steps
            ],
        }


def job_status(plan: JobPlan) -> JobStatus:
    steps = [_step_status(plan, step) for step in plan.steps]
    runs = sorted((plan.state_dir / "runs").glob("*.json"))
    return JobStatus(plan, tuple(steps), lock_holder(plan.path), runs[-1] if runs else None)


def _step_status(plan: JobPlan, step: JobStep) -> StepStatus:
    def status(
        state: str, counts: Mapping[str, int] | None = None, journal: Path | None = None
    ) -> StepStatus:
        return StepStatus(
            step.name,
            step.account,
            step.after,
            state,
            counts or {},
            str(journal) if journal else None,
        )

    if not step.file.is_file():
        return status("file missing")
    paths = step_paths(plan, step)
    result = finished_result(paths)
    if result is not None:
        return status(result.state.value, result.counts)
    if paths.journal.exists():
        counts = journal_counts(paths.journal)
        return status("running" if counts is None else "started", counts, paths.journal)
    return status("not started")


def journal_counts(path: Path) -> dict[str, int] | None:
    """Final statuses recorded so far by status; None while a run holds the journal."""
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=0.2)
    except sqlite3.Error:
        return None
    try:
        rows = db.execute("SELECT status, count(*) FROM result GROUP BY status").fetchall()
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc):
            return None
        return {}
    except sqlite3.DatabaseError:
        return {}
    finally:
        db.close()
    return {str(status): int(count) for status, count in rows}


def format_status(status: JobStatus) -> str:
    """One line per step, plus whether the job runs now and its last summary."""
    lines = [f"job {status.plan.path}"]
    if status.running is not None:
        lines.append(f"running now (process {status.running or 'unknown'})")
    width = max(len(step.name) for step in status.steps)
    for step in status.steps:
        counts = ", ".join(f"{count} {name}" for name, count in step.counts.items())
        after = f" after {', '.join(step.after)}" if step.after else ""
        detail = f" ({counts})" if counts else ""
        lines.append(f"  {step.name:<{width}}  {step.state}{detail}  [{step.account}{after}]")
    if status.last_run is not None:
        lines.append(f"last run summary: {status.last_run}")
        try:
            exit_code = json.loads(status.last_run.read_text(encoding="utf-8"))["exit_code"]
            lines[-1] += f" (exit code {exit_code})"
        except (OSError, ValueError, KeyError):
            pass
    return "\n".join(lines)
