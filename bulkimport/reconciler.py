"""Finding out whether a lost insert took effect: the reads (through the backend) behind the
pure decisions of `bulkimport.reconcile`. Reads go through the run's retried `read`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from bulkimport.backend import Backend, BackendOperation, ReadFunction
from bulkimport.directory import EmployeeDirectory
from bulkimport.model import NmbrsId
from bulkimport.reconcile import (
    MAX_CANDIDATES,
    Ambiguous,
    EmployeeEntry,
    Reconciled,
    employee_insert_candidates,
    judge_employee_insert,
    reconcile_record_insert,
)

if TYPE_CHECKING:  # the pipeline owns the journal protocol
    from bulkimport.pipeline import Journal

__all__ = ["Reconciler"]


class Reconciler:
    """Settles lost inserts for one run: knows the employees that existed before it."""

    def __init__(
        self,
        *,
        backend: Backend,
        directory: EmployeeDirectory,
        journal: Journal,
        read: ReadFunction,
        company_id: NmbrsId,
    ) -> None:
        self._backend = backend
        self._directory = directory
        self._journal = journal
        self._read = read
        self._company_id = company_id
        self._baseline: frozenset[NmbrsId] = frozenset()

    async def load_baseline(self, known_employees: tuple[EmployeeEntry, ...] | None) -> None:
        """Remember which employees existed before this run created any.

        A journal that already has the baseline keeps it: a resumed run must not count the
        employees its first part created as existing before.
        """
        stored = self._journal.baseline(self._company_id)
        if stored is None:
            employees = known_employees
            if employees is None:
                employees = await self._directory.refresh(self._company_id)
            stored = frozenset(entry.id for entry in employees)
            self._journal.record_baseline(self._company_id, stored)
        self._baseline = stored

    async def settle(
        self,
        row_number: int,
        planned_personal_info: Mapping[str, Any],
        operation: BackendOperation,
        values: Mapping[str, Any],
        *,
        match_key: str,
    ) -> Reconciled:
        """Found (adopt its id), NotFound (send again) or Ambiguous (needs review)."""
        if operation.creates_employee:
            others = self._journal.unsettled_rows(operation.name, match_key) - {row_number}
            employees = await self._directory.refresh(self._company_id)
            sent = self._backend.inserted_employee(values)
            candidates = employee_insert_candidates(
                sent,
                employees,
                planned=planned_personal_info,
                baseline=self._baseline,
                claimed=self._journal.claimed_employee_ids(),
            )
            if len(candidates) > MAX_CANDIDATES:
                return Ambiguous(
                    candidates, f"{len(candidates)} new employees look like {match_key!r}"
                )
            # The DisplayName format is inferred: each candidate is confirmed by its record.
            readings = {
                candidate: await self._backend.personal_info(self._read, candidate)
                for candidate in candidates
            }
            return judge_employee_insert(sent, readings, planned_personal_info, rivals=others)
        check = self._backend.record_check(operation)
        if check is None:
            return Ambiguous((), f"no way to check whether {operation.name} took effect")
        current = await self._backend.listed_records(self._read, operation, check, values)
        return reconcile_record_insert(check, values, current)
