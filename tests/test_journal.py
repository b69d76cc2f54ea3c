from __future__ import annotations

import hashlib
import re
import sqlite3
import subprocess
import sys
import textwrap
import uuid
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bulkimport.config import Credentials, TransportSettings
from bulkimport.errors import JournalMismatchError
from bulkimport.journal import (
    COMMIT_EVERY_WRITES,
    Journal,
    MemoryJournal,
    RunTarget,
    StepState,
    StepStatus,
    digest_file,
    read_run_info,
)
from bulkimport.model import RowResult, RowStatus

INPUT_SHA = "a" * 64
TEMPLATE_SHA = "b" * 64
TOKEN = "tok-3f9a1c7e5b2d4a6f8e0c"
TARGET = RunTarget(
    api="soap",
    endpoint="https://api.nmbrs.nl/soap/v3/",
    environment=None,
    domain="acme",
    company_id=54613,
)


def open_journal(
    path: Path,
    *,
    input_name: str = "hires.csv",
    input_sha256: str = INPUT_SHA,
    template: str = "new_hire",
    template_sha256: str = TEMPLATE_SHA,
    target: RunTarget = TARGET,
) -> Journal:
    return Journal.open(
        path,
        input_name=input_name,
        input_sha256=input_sha256,
        template=template,
        template_sha256=template_sha256,
        target=target,
        options={"company": 42},
    )


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


# -- create, reopen, resume ------------------------------------------------------------------------


def test_new_journal_has_a_run_id_and_is_not_resumed(tmp_path: Path) -> None:
    with open_journal(tmp_path / "run.journal") as journal:
        assert uuid.UUID(journal.run_id).version == 4
        assert journal.resumed is False
        assert journal.options == {"company": 42}
        assert journal.step_states(2) == {}
        assert journal.result_for(2) is None


def test_reopened_journal_resumes_with_all_state(tmp_path: Path) -> None:
    path = tmp_path / "run.journal"
    with open_journal(path) as journal:
        run_id = journal.run_id
        journal.record_plan(2, [("employee", "Employee_Insert"), ("address", "Address_Insert")])
        journal.mark_sent(2, "employee", "Employee_Insert")
        journal.mark_done(2, "employee", 1057235)
        journal.mark_sent(2, "address", "Address_Insert")
        journal.mark_sent(3, "employee", "Employee_Insert")
        journal.mark_failed(3, "employee", "Nmbrs fault 2001: BSN invalid", 2001)
        journal.record_result(RowResult(3, RowStatus.FAULT, fault_code=2001, attempts=1))

    with open_journal(path) as journal:
        assert journal.resumed is True
        assert journal.run_id == run_id
        assert journal.step_states(2) == {
            "employee": StepState(StepStatus.DONE, 1057235, 1, "Employee_Insert"),
            "address": StepState(StepStatus.SENT, None, 1, "Address_Insert"),
        }
        assert journal.step_states(3) == {
            "employee": StepState(
                StepStatus.FAILED, None, 1, "Employee_Insert", "Nmbrs fault 2001: BSN invalid", 2001
            )
        }
        assert journal.result_for(3) == RowResult(3, RowStatus.FAULT, fault_code=2001, attempts=1)
        assert journal.result_for(2) is None


def test_step_lifecycle(tmp_path: Path) -> None:
    with open_journal(tmp_path / "j") as journal:
        journal.record_plan(2, [("employee", "Employee_Insert")])
        assert journal.step_states(2)["employee"] == StepState(
            StepStatus.PENDING, None, 0, "Employee_Insert"
        )
        journal.mark_sent(2, "employee", "Employee_Insert")
        journal.mark_failed(2, "employee", "timeout", None)
        journal.mark_sent(2, "employee", "Employee_Insert")
        assert journal.step_states(2)["employee"] == StepState(
            StepStatus.SENT, None, 2, "Employee_Insert"
        )
        journal.record_plan(2, [("employee", "Employee_Insert")])  # a resume plans again
        journal.mark_done(2, "employee", 99)
        assert journal.step_states(2)["employee"] == StepState(
            StepStatus.DONE, 99, 2, "Employee_Insert"
        )


def test_closed_journal_leaves_no_wal_behind(tmp_path: Path) -> None:
    with open_journal(tmp_path / "j") as journal:
        journal.mark_sent(2, "employee", "Employee_Insert")
    assert [p.name for p in tmp_path.iterdir()] == ["j"]


# -- refusing the wrong journal --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"input_name": "hires.xlsx"},
            r"belongs to a run of hires\.csv, this run reads hires\.xlsx",
        ),
        ({"input_sha256": "c" * 64}, r"another version of the input file.*aaaaaaaaaaaa.*cccccccc"),
        ({"template": "salary"}, r"template 'new_hire', this run uses 'salary'"),
        ({"template_sha256": "d" * 64}, r"template 'new_hire' whose file has changed"),
    ],
)
def test_reopening_for_another_input_or_template_is_refused(
    tmp_path: Path, changes: dict[str, str], message: str
) -> None:
    path = tmp_path / "run.journal"
    open_journal(path).close()
    with pytest.raises(JournalMismatchError, match=message) as caught:
        open_journal(
            path,
            input_name=changes.get("input_name", "hires.csv"),
            input_sha256=changes.get("input_sha256", INPUT_SHA),
            template=changes.get("template", "new_hire"),
            template_sha256=changes.get("template_sha256", TEMPLATE_SHA),
        )
    assert str(path) in str(caught.value)
    assert "--journal" in str(caught.value)
    with open_journal(path) as journal:  # the original run is still resumable
        assert journal.resumed


@pytest.mark.parametrize(
    ("changes", "stored", "given"),
    [
        ({"company_id": 54614}, "company 54613", "company 54614"),
        ({"endpoint": "https://sandbox.nmbrs.nl/soap/v3/"}, "api.nmbrs.nl", "sandbox.nmbrs.nl"),
        ({"environment": "se"}, "nl/soap/v3/, domain", "(environment se)"),
        ({"domain": "other"}, "domain acme", "domain other"),
        ({"api": "rest"}, "soap https://", "rest https://"),
    ],
)
def test_reopening_for_another_target_is_refused_naming_both(
    tmp_path: Path, changes: dict[str, Any], stored: str, given: str
) -> None:
    path = tmp_path / "run.journal"
    open_journal(path).close()
    other = replace(TARGET, **changes)
    with pytest.raises(JournalMismatchError) as caught:
        open_journal(path, target=other)
    message = str(caught.value)
    assert f"against {TARGET.describe()}; this run targets {other.describe()}" in message
    # each description shows the part that differs
    assert stored in TARGET.describe() and stored not in other.describe()
    assert given in other.describe() and given not in TARGET.describe()
    assert str(path) in message
    with open_journal(path) as journal:  # the original run is still resumable
        assert journal.resumed
        assert journal.info.target == TARGET


@pytest.mark.parametrize(
    "changes",
    [
        {"api": "rest"},
        {"endpoint": "https://sandbox.nmbrs.nl/soap/v3/"},
        {"environment": "se"},
        {"domain": "other"},
        {"company_id": 54614},
    ],
)
def test_every_part_of_the_target_changes_its_key(changes: dict[str, Any]) -> None:
    other = replace(TARGET, **changes)
    assert other.key != TARGET.key
    assert other.key.startswith(f"{other.company_id}-")
    assert replace(TARGET).key == TARGET.key  # stable: an equal target has the same key
    assert re.fullmatch(r"\d+-[0-9a-f]{8}", other.key)


def test_a_journal_of_another_format_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "run.journal"
    open_journal(path).close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE run SET schema_version = 99")
    db.close()
    with pytest.raises(JournalMismatchError, match="journal format 99") as caught:
        open_journal(path)
    assert str(path) in str(caught.value)


def test_a_journal_of_the_previous_format_is_refused_by_its_version(tmp_path: Path) -> None:
    """Format 2 had no input name and no target: it is named, not misread as an empty file."""
    path = tmp_path / "old.journal"
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE run (id INTEGER PRIMARY KEY, schema_version INTEGER, run_id TEXT,"
            " created_at TEXT, input_sha256 TEXT, input_size INTEGER, template TEXT,"
            " template_sha256 TEXT, options TEXT)"
        )
        db.execute(
            "INSERT INTO run VALUES (1, 2, 'r', '2026-11-30', 'a', 1, 'new_hire', 'b', '{}')"
        )
    db.close()
    with pytest.raises(JournalMismatchError, match="journal format 2"):
        open_journal(path)
    with pytest.raises(JournalMismatchError, match="journal format 2"):
        read_run_info(path)


def test_a_journal_in_use_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "run.journal"
    with open_journal(path), pytest.raises(JournalMismatchError, match="in use"):
        open_journal(path)


def test_a_file_that_is_not_a_journal_is_refused(tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("not a database, but long enough to have a header " * 20)
    with pytest.raises(JournalMismatchError, match="not a bulkimport journal"):
        open_journal(text)
    assert text.read_text().startswith("not a database")

    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE customers (id INTEGER)")
    db.close()
    with pytest.raises(JournalMismatchError, match="not a bulkimport journal"):
        open_journal(other)


def test_read_run_info_tells_what_a_journal_belongs_to(tmp_path: Path) -> None:
    path = tmp_path / "run.journal"
    with Journal.open(
        path,
        input_name="hires.csv",
        input_sha256=INPUT_SHA,
        input_size=1234,
        template="new_hire",
        template_sha256=TEMPLATE_SHA,
        target=TARGET,
        options={"input": "hires.csv", "company_id": 42},
    ) as journal:
        with pytest.raises(JournalMismatchError, match="in use"):
            read_run_info(path)
        run_id = journal.run_id
        created_at = journal.info.created_at
    info = read_run_info(path)
    assert info.run_id == run_id
    assert info.created_at == created_at
    assert (info.input_sha256, info.input_size) == (INPUT_SHA, 1234)
    assert (info.template, info.template_sha256) == ("new_hire", TEMPLATE_SHA)
    assert (info.input_name, info.target) == ("hires.csv", TARGET)
    assert info.options == {"input": "hires.csv", "company_id": 42}


def test_read_run_info_never_creates_a_journal(tmp_path: Path) -> None:
    with pytest.raises(JournalMismatchError, match="there is no journal"):
        read_run_info(tmp_path / "missing.journal")
    assert list(tmp_path.iterdir()) == []
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE customers (id INTEGER)")
    db.close()
    with pytest.raises(JournalMismatchError, match="not a bulkimport journal"):
        read_run_info(other)


# -- durability across a killed process ------------------------------------------------------------

KILLED_RUN = """
import os, signal, sys
from pathlib import Path
from bulkimport.journal import Journal, RunTarget
from bulkimport.model import RowResult, RowStatus

class Clock:
    now = 0.0
    def __call__(self):
        return self.now

clock = Clock()
journal = Journal.open(
    Path(sys.argv[1]), input_name="hires.csv", input_sha256="a" * 64, template="new_hire",
    template_sha256="b" * 64, target=RunTarget("soap", "https://api.nmbrs.nl/soap/v3/", None,
    "acme", 54613), options={}, clock=clock,
)
journal.mark_sent(2, "employee", "Employee_Insert")
journal.mark_done(2, "employee", 501)        # batched ...
journal.mark_sent(3, "employee", "Employee_Insert")  # ... and committed by this mark_sent
clock.now = 1.0
journal.mark_done(3, "employee", 502)        # the batch is old enough: committed
journal.mark_sent(4, "employee", "Employee_Insert")
journal.mark_done(4, "employee", 503)        # batched: lost below, so row 4 stays "sent"
{extra}
os.kill(os.getpid(), signal.SIGKILL)
"""


def run_and_kill(path: Path, extra: str = "") -> None:
    script = textwrap.dedent(KILLED_RUN).replace("{extra}", extra)
    completed = subprocess.run(
        [sys.executable, "-c", script, str(path)], capture_output=True, timeout=60
    )
    assert completed.returncode == -9, completed.stderr.decode()


def test_mark_sent_survives_a_killed_process_and_lost_batches_err_towards_sent(
    tmp_path: Path,
) -> None:
    path = tmp_path / "run.journal"
    run_and_kill(path)
    assert read_run_info(path).template == "new_hire"
    with open_journal(path) as journal:
        assert journal.resumed
        assert journal.step_states(2)["employee"].status is StepStatus.DONE
        assert journal.step_states(3)["employee"] == StepState(
            StepStatus.DONE, 502, 1, "Employee_Insert"
        )
        assert journal.step_states(4)["employee"] == StepState(
            StepStatus.SENT, None, 1, "Employee_Insert"
        )
        assert journal.claimed_employee_ids() == {501, 502}


def test_a_full_batch_is_committed_without_waiting_for_the_clock(tmp_path: Path) -> None:
    path = tmp_path / "run.journal"
    extra = f"""
for number in range(10, 10 + {COMMIT_EVERY_WRITES} - 1):
    journal.record_result(RowResult(number, RowStatus.OK))
journal.mark_failed(5, "employee", "lost", None)
"""
    run_and_kill(path, extra)
    with open_journal(path) as journal:
        results = list(journal.iter_results())
        assert [r.row_number for r in results] == list(range(10, 10 + COMMIT_EVERY_WRITES - 1))
        assert journal.step_states(4)["employee"].status is StepStatus.DONE
        assert journal.step_states(5) == {}


def test_batched_writes_wait_for_the_interval(tmp_path: Path) -> None:
    clock = FakeClock()
    path = tmp_path / "j"
    journal = Journal.open(
        path,
        input_name="hires.csv",
        input_sha256=INPUT_SHA,
        template="t",
        template_sha256=TEMPLATE_SHA,
        target=TARGET,
        options={},
        clock=clock,
    )
    try:
        journal.mark_sent(2, "s", "Employee_Insert")
        journal.mark_done(2, "s", 1)
        wal = path.with_name("j-wal")
        size_before = wal.stat().st_size
        clock.now = 0.01
        journal.mark_done(2, "s", 2)
        assert wal.stat().st_size == size_before  # nothing committed yet
        clock.now = 0.06
        journal.mark_done(2, "s", 3)
        assert wal.stat().st_size > size_before
    finally:
        journal.close()


# -- secrets ---------------------------------------------------------------------------------------


def test_no_token_is_stored(tmp_path: Path) -> None:
    credentials = Credentials(username="payroll@example.nl", token=TOKEN, domain="acme")
    options: dict[str, object] = {
        "credentials": credentials,
        "transport": TransportSettings(base_url="http://127.0.0.1:1/", credentials=credentials),
        "token": TOKEN,
        "auth": {"Password": TOKEN, "api_token": TOKEN},
        "input": Path("hires.csv"),
        "rate": 140.0,
    }
    path = tmp_path / "run.journal"
    journal = Journal.open(
        path,
        input_name="hires.csv",
        input_sha256=INPUT_SHA,
        template="new_hire",
        template_sha256=TEMPLATE_SHA,
        target=TARGET,
        options=options,
    )
    journal.mark_sent(2, "employee", "Employee_Insert")
    on_disk = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    journal.close()
    on_disk += path.read_bytes()
    assert TOKEN.encode() not in on_disk
    assert b"payroll@example.nl" in on_disk

    with open_journal(path) as reopened:
        assert reopened.options["credentials"] == {
            "username": "payroll@example.nl",
            "domain": "acme",
        }
        transport = reopened.options["transport"]
        assert transport["credentials"] == reopened.options["credentials"]
        assert transport["rate"] == 150
        assert "token" not in reopened.options
        assert reopened.options["auth"] == {}
        assert reopened.options["input"] == "hires.csv"


# -- baseline and claimed employees ----------------------------------------------------------------


def test_baseline_is_recorded_once_and_survives_a_resume(tmp_path: Path) -> None:
    path = tmp_path / "j"
    with open_journal(path) as journal:
        assert journal.baseline(42) is None
        journal.record_baseline(42, [1, 2, 3])
        journal.record_baseline(7, [])
        journal.record_baseline(42, [1, 2, 3, 4])  # after the run created 4: ignored
        assert journal.baseline(42) == frozenset({1, 2, 3})
        assert journal.baseline(7) == frozenset()
    with open_journal(path) as journal:
        assert journal.baseline(42) == frozenset({1, 2, 3})
        assert journal.baseline(8) is None


def test_claimed_employee_ids_are_the_done_employee_inserts(tmp_path: Path) -> None:
    with open_journal(tmp_path / "j") as journal:
        journal.mark_sent(2, "employee", "Employee_Insert")
        journal.mark_done(2, "employee", 1001)
        journal.mark_sent(2, "address", "Address_Insert")
        journal.mark_done(2, "address", 555)
        journal.mark_sent(3, "employee", "Employee_Insert")  # outcome unknown: not claimed
        journal.mark_sent(4, "employee", "Employee_Insert")
        journal.mark_failed(4, "employee", "fault", 2001)
        journal.mark_sent(5, "hire", "Employee_Insert")
        journal.mark_done(5, "hire", 1002)
        assert journal.claimed_employee_ids() == {1001, 1002}


# -- results ---------------------------------------------------------------------------------------

RESULTS = [
    RowResult(2, RowStatus.OK, created=(("employee", 1057235), ("address", 88123)), attempts=3),
    RowResult(3, RowStatus.INVALID, message="row 3, column 'BSN': fails the 11-check"),
    RowResult(
        4,
        RowStatus.FAULT,
        failed_operation="Address_Insert",
        fault_code=2001,
        message="Postcode 'ü' <&> ]]> 😀",
        attempts=1,
        duration=0.1 + 0.2,
    ),
    RowResult(5, RowStatus.FAILED, failed_operation="Employee_Insert", attempts=6, duration=31.5),
    RowResult(6, RowStatus.SKIPPED),
    RowResult(
        7,
        RowStatus.NEEDS_REVIEW,
        failed_operation="Employee_Insert",
        details={
            "candidates": (1001, 1002),
            "seen": [datetime(2024, 3, 1, 8, 30), date(2024, 3, 1)],
            "salary": Decimal("3512.50"),
            "nested": {"ok": True, "none": None, 3: "int key"},
        },
    ),
]


@pytest.mark.parametrize("result", RESULTS, ids=lambda r: r.status.value)
def test_row_results_round_trip_exactly(tmp_path: Path, result: RowResult) -> None:
    path = tmp_path / "j"
    with open_journal(path) as journal:
        journal.record_result(result)
        assert journal.result_for(result.row_number) == result
    with open_journal(path) as journal:
        stored = journal.result_for(result.row_number)
        assert stored == result
        assert stored is not None
        assert type(stored.status) is RowStatus


def test_iter_results_in_row_order_across_pages(tmp_path: Path) -> None:
    with open_journal(tmp_path / "j") as journal:
        for number in [*range(2500, 1, -1)]:
            journal.record_result(RowResult(number, RowStatus.OK, attempts=number))
        journal.record_result(RowResult(7, RowStatus.FAULT))  # a later word replaces the first
        results = list(journal.iter_results())
    assert [r.row_number for r in results] == list(range(2, 2501))
    assert results[5] == RowResult(7, RowStatus.FAULT)


def test_digest_file(tmp_path: Path) -> None:
    content = b"Personeelsnummer;Naam\n" * 100_000
    path = tmp_path / "hires.csv"
    path.write_bytes(content)
    digest = digest_file(path, chunk_size=4096)
    assert digest.sha256 == hashlib.sha256(content).hexdigest()
    assert digest.size == len(content)


def test_unsettled_rows_are_those_that_sent_the_same_key_without_an_answer(
    tmp_path: Path,
) -> None:
    with open_journal(tmp_path / "j.sqlite") as journal:
        journal.mark_sent(2, "employee", "Employee_Insert", "jan jansen")
        journal.mark_sent(3, "employee", "Employee_Insert", "jan jansen")
        journal.mark_sent(4, "employee", "Employee_Insert", "piet pieters")
        journal.mark_sent(5, "employee", "Employee_Insert", "jan jansen")
        journal.mark_done(3, "employee", 1057236)
        journal.mark_failed(5, "employee", "refused", 2030)
        assert journal.unsettled_rows("Employee_Insert", "jan jansen") == {2}
        journal.mark_failed(2, "employee", "no answer after 6 attempts", None)
        assert journal.unsettled_rows("Employee_Insert", "jan jansen") == {2}
        assert journal.unsettled_rows("Employee_Insert", "piet pieters") == {4}


def test_memory_journal_keeps_what_reconciliation_needs_and_no_more() -> None:
    journal = MemoryJournal()
    journal.mark_sent(2, "employee", "Employee_Insert", "jan jansen")
    journal.mark_sent(3, "employee", "Employee_Insert", "jan jansen")
    journal.mark_sent(4, "employee", "Employee_Insert", "jan jansen")
    journal.mark_done(2, "employee", 1057235)
    journal.mark_failed(3, "employee", "refused", 2030)
    journal.mark_failed(4, "employee", "no answer", None)
    assert journal.claimed_employee_ids() == {1057235}
    assert journal.unsettled_rows("Employee_Insert", "jan jansen") == {4}
    assert journal.step_states(2)["employee"].status is StepStatus.DONE
    for row in (2, 3, 4):
        journal.record_result(RowResult(row, RowStatus.OK))
    assert journal.step_states(2) == {}
    assert journal.unsettled_rows("Employee_Insert", "jan jansen") == {4}  # may still apply
    assert journal.result_for(2) is None and not journal.resumed
