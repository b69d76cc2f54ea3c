"""One contract for every journal the pipeline can be given (the `Journal` protocol).

The SQLite journal is the reference. The others differ on purpose, and only where a `Kind`
flag says so:
- MemoryJournal keeps nothing past the process (never resumed), drops a row's step states
  once its result is recorded (memory follows the rows in flight) and keeps no results;
- DryRunJournal remembers nothing at all: a dry run sends nothing, so nothing needs settling.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bulkimport.journal import DryRunJournal, MemoryJournal, StepState, StepStatus
from bulkimport.model import RowResult, RowStatus
from bulkimport.pipeline import Journal
from tests.test_journal import open_journal

INSERT = "Employee_Insert"
ADDRESS = "Address_InsertCurrent"
KEY = "jan jansen"


@dataclass(frozen=True, slots=True)
class Kind:
    name: str
    remembers: bool  # steps, baselines and claims are kept while the process runs
    durable: bool  # reopening the file resumes the run with everything recorded
    keeps_results: bool  # result_for answers what record_result stored
    keeps_settled_steps: bool  # step states outlive the row's result


KINDS = [
    Kind("sqlite", remembers=True, durable=True, keeps_results=True, keeps_settled_steps=True),
    Kind("memory", remembers=True, durable=False, keeps_results=False, keeps_settled_steps=False),
    Kind("dry_run", remembers=False, durable=False, keeps_results=False, keeps_settled_steps=False),
]


class Subject:
    """One journal under test, and a way to close and reopen it where that means anything."""

    def __init__(self, kind: Kind, path: Path) -> None:
        self.kind = kind
        self._path = path
        self.journal: Journal = self._open()

    def _open(self) -> Journal:
        if self.kind.name == "sqlite":
            return open_journal(self._path)
        return MemoryJournal() if self.kind.name == "memory" else DryRunJournal()

    def reopen(self) -> Journal:
        """The journal the next run of the same input gets; only a file survives its process."""
        self.close()
        self.journal = self._open()
        return self.journal

    def close(self) -> None:
        close: Callable[[], None] | None = getattr(self.journal, "close", None)
        if close is not None:
            close()


@pytest.fixture(params=KINDS, ids=[kind.name for kind in KINDS])
def subject(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Subject]:
    made = Subject(request.param, tmp_path / "run.journal")
    yield made
    made.close()


def _states(kind: Kind, states: dict[str, StepState]) -> dict[str, StepState]:
    return states if kind.remembers else {}


def test_a_new_journal_knows_nothing(subject: Subject) -> None:
    journal = subject.journal
    assert journal.resumed is False
    assert journal.baseline(54613) is None
    assert journal.step_states(2) == {}
    assert journal.result_for(2) is None
    assert journal.claimed_employee_ids() == set()
    assert journal.unsettled_rows(INSERT, KEY) == set()


def test_the_first_baseline_of_a_company_stands(subject: Subject) -> None:
    journal = subject.journal
    journal.record_baseline(54613, [1, 2, 3])
    journal.record_baseline(54613, [1, 2, 3, 4])  # after the run created 4: ignored
    journal.record_baseline(61001, [])
    remembers = subject.kind.remembers
    assert journal.baseline(54613) == (frozenset({1, 2, 3}) if remembers else None)
    assert journal.baseline(61001) == (frozenset() if remembers else None)
    assert journal.baseline(7) is None


def test_a_planned_step_is_pending(subject: Subject) -> None:
    journal = subject.journal
    journal.record_plan(2, [("employee", INSERT), ("address", ADDRESS)])
    assert journal.step_states(2) == _states(
        subject.kind,
        {
            "employee": StepState(StepStatus.PENDING, None, 0, INSERT),
            "address": StepState(StepStatus.PENDING, None, 0, ADDRESS),
        },
    )
    assert journal.step_states(3) == {}


def test_a_step_goes_sent_failed_sent_done(subject: Subject) -> None:
    journal = subject.journal
    journal.record_plan(2, [("employee", INSERT)])
    journal.mark_sent(2, "employee", INSERT, KEY)
    assert journal.step_states(2) == _states(
        subject.kind, {"employee": StepState(StepStatus.SENT, None, 1, INSERT)}
    )
    journal.mark_failed(2, "employee", "no answer after 4 attempts", None)
    assert journal.step_states(2) == _states(
        subject.kind,
        {"employee": StepState(StepStatus.FAILED, None, 1, INSERT, "no answer after 4 attempts")},
    )
    journal.record_plan(2, [("employee", INSERT)])  # a resume plans again: states are kept
    journal.mark_sent(2, "employee", INSERT, KEY)
    assert journal.step_states(2) == _states(
        subject.kind, {"employee": StepState(StepStatus.SENT, None, 2, INSERT)}
    )
    journal.mark_done(2, "employee", 1057235)
    assert journal.step_states(2) == _states(
        subject.kind, {"employee": StepState(StepStatus.DONE, 1057235, 2, INSERT)}
    )


def test_a_fault_is_kept_with_its_code(subject: Subject) -> None:
    journal = subject.journal
    journal.mark_sent(3, "address", ADDRESS)
    journal.mark_failed(3, "address", "Nmbrs fault 2030", 2030)
    assert journal.step_states(3) == _states(
        subject.kind,
        {"address": StepState(StepStatus.FAILED, None, 1, ADDRESS, "Nmbrs fault 2030", 2030)},
    )


def test_a_resend_forgets_the_earlier_answer(subject: Subject) -> None:
    journal = subject.journal
    journal.mark_sent(2, "address", ADDRESS)
    journal.mark_done(2, "address", 555)
    journal.mark_sent(2, "address", ADDRESS)
    assert journal.step_states(2) == _states(
        subject.kind, {"address": StepState(StepStatus.SENT, None, 2, ADDRESS)}
    )


def test_unsettled_rows_are_inserts_sent_with_the_key_and_not_known_to_be_refused(
    subject: Subject,
) -> None:
    journal = subject.journal
    for row in (2, 3, 4, 5):
        journal.mark_sent(row, "employee", INSERT, KEY)
    journal.mark_sent(6, "employee", INSERT, "piet pieters")
    journal.mark_done(2, "employee", 1001)  # settled
    journal.mark_failed(3, "employee", "refused", 2030)  # Nmbrs refused it: nothing made
    journal.mark_failed(4, "employee", "no answer", None)  # may have been applied
    expected = {4, 5} if subject.kind.remembers else set()
    assert journal.unsettled_rows(INSERT, KEY) == expected
    assert journal.unsettled_rows(INSERT, "piet pieters") == (
        {6} if subject.kind.remembers else set()
    )
    assert journal.unsettled_rows(ADDRESS, KEY) == set()
    for row in (4, 5):  # a row's result does not settle its insert: it may still have applied
        journal.record_result(RowResult(row, RowStatus.FAILED))
    assert journal.unsettled_rows(INSERT, KEY) == expected


def test_claimed_employees_are_done_inserts_with_an_id(subject: Subject) -> None:
    journal = subject.journal
    journal.mark_sent(2, "employee", INSERT, KEY)
    journal.mark_done(2, "employee", 1001)
    journal.record_plan(3, [("employee", INSERT)])
    journal.mark_done(3, "employee", 1002)  # adopted by reconciliation on resume: never sent
    journal.mark_sent(2, "address", ADDRESS)
    journal.mark_done(2, "address", 555)  # not an employee
    journal.mark_sent(4, "employee", INSERT, KEY)  # outcome unknown
    journal.mark_sent(5, "employee", INSERT, KEY)
    journal.mark_failed(5, "employee", "refused", 2030)
    expected = {1001, 1002} if subject.kind.remembers else set()
    assert journal.claimed_employee_ids() == expected
    journal.record_result(RowResult(2, RowStatus.OK))
    assert journal.claimed_employee_ids() == expected  # a settled row keeps its employee


def test_results_and_settled_steps(subject: Subject) -> None:
    journal = subject.journal
    result = RowResult(
        2, RowStatus.FAULT, created=(("employee", 1001),), fault_code=2030, attempts=3
    )
    journal.record_plan(2, [("employee", INSERT)])
    journal.mark_sent(2, "employee", INSERT, KEY)
    journal.mark_done(2, "employee", 1001)
    journal.record_result(result)
    assert journal.result_for(2) == (result if subject.kind.keeps_results else None)
    assert journal.result_for(3) is None
    done = {"employee": StepState(StepStatus.DONE, 1001, 1, INSERT)}
    assert journal.step_states(2) == (done if subject.kind.keeps_settled_steps else {})
    replaced = RowResult(2, RowStatus.OK, created=(("employee", 1001),), attempts=1)
    journal.record_result(replaced)  # --retry-failed sends the row again
    assert journal.result_for(2) == (replaced if subject.kind.keeps_results else None)


def test_flush_then_resume_keeps_everything_a_durable_journal_recorded(subject: Subject) -> None:
    journal = subject.journal
    journal.record_baseline(54613, [1, 2])
    journal.record_plan(2, [("employee", INSERT), ("address", ADDRESS)])
    journal.mark_sent(2, "employee", INSERT, KEY)
    journal.mark_done(2, "employee", 1001)
    journal.mark_sent(2, "address", ADDRESS)
    journal.record_result(RowResult(3, RowStatus.INVALID, message="BSN"))
    journal.flush()
    assert journal.step_states(2) == _states(
        subject.kind,
        {
            "employee": StepState(StepStatus.DONE, 1001, 1, INSERT),
            "address": StepState(StepStatus.SENT, None, 1, ADDRESS),
        },
    )

    resumed = subject.reopen()
    if not subject.kind.durable:  # nothing outlives the process: the next run starts afresh
        assert resumed.resumed is False
        assert resumed.step_states(2) == {} and resumed.baseline(54613) is None
        return
    assert resumed.resumed is True
    assert resumed.baseline(54613) == frozenset({1, 2})
    assert resumed.step_states(2) == {
        "employee": StepState(StepStatus.DONE, 1001, 1, INSERT),
        "address": StepState(StepStatus.SENT, None, 1, ADDRESS),
    }
    assert resumed.claimed_employee_ids() == {1001}
    assert resumed.result_for(3) == RowResult(3, RowStatus.INVALID, message="BSN")
