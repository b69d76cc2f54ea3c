"""The receipt: one JSON file per run, beside its report, for auditors (each run its own file).

It says what was sent where, from which file and template (each with its SHA-256), how many
rows ended in each status, when the first and last call went out, how many calls were made and
how many the service penalised (throttled or refused), and the bulkimport version. No personal
data and no credentials: only hashes, counts, times and the target.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from bulkimport.model import NmbrsId, RowStatus

__all__ = ["Receipt", "beside_report", "write_receipt"]


@dataclass(frozen=True, slots=True)
class Receipt:
    input_path: str
    input_sha256: str
    template: str
    template_sha256: str
    api: str
    target: str
    environment: str | None
    company_id: NmbrsId
    counts: Mapping[RowStatus, int]
    first_call_at: datetime | None
    last_call_at: datetime | None
    calls: int
    penalised_calls: int  # answered with the service's throttle delay, or refused
    dry_run: bool
    plan_path: str | None = None
    plan_sha256: str | None = None

    def as_json(self) -> dict[str, Any]:
        from bulkimport import __version__  # the package imports the job, which imports this

        return {
            "bulkimport_version": __version__,
            "input": {"path": self.input_path, "sha256": self.input_sha256},
            "template": {"name": self.template, "sha256": self.template_sha256},
            "api": self.api,
            "target": self.target,
            "environment": self.environment,
            "company_id": self.company_id,
            "plan": (
                {"path": self.plan_path, "sha256": self.plan_sha256} if self.plan_path else None
            ),
            "dry_run": self.dry_run,
            "rows": {status.value: self.counts.get(status, 0) for status in RowStatus},
            "first_call_at": _moment(self.first_call_at),
            "last_call_at": _moment(self.last_call_at),
            "calls": self.calls,
            "penalised_calls": self.penalised_calls,
        }


def _moment(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat(timespec="milliseconds")


def beside_report(report_base: Path, suffix: str) -> Path:
    """`hires.csv.report` -> `hires.csv<suffix>`: the run's other files sit beside its report."""
    name = report_base.name
    for ending in (".csv", ".xlsx", ".report"):
        name = name.removesuffix(ending)
    return report_base.with_name(name + suffix)


def write_receipt(path: Path, receipt: Receipt) -> Path:
    """Write the receipt whole (a temporary file renamed), so it is never half a file."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(receipt.as_json(), indent=2) + "\n", encoding="utf-8")
    partial.replace(path)
    return path
