"""Recognising a lost Employee_Insert: DisplayName forms, the second read, the verdict. Pure."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from bulkimport.reconcile import (
    Ambiguous,
    EmployeeEntry,
    Found,
    NotFound,
    Reading,
    display_name_forms,
    employee_insert_candidates,
    judge_employee_insert,
    name_key,
    read_candidate,
    split_surname_prefix,
)

SENT = {"FirstName": "Jan Pieter", "LastName": "van der Berg"}
# What the row's PersonalInfo call writes once the insert's id is known.
PLANNED = {
    "EmployeeNumber": 100_001,
    "BSN": "123456782",
    "Birthday": date(1990, 5, 17),
    "Initials": "J.",
}


def _fresh(first: str = "Jan Pieter", last: str = "van der Berg", **fields: Any) -> dict[str, Any]:
    """PersonalInfo of an employee just made by Employee_Insert: names only, number 0."""
    return {"Id": 0, "Number": 0, "FirstName": first, "LastName": last, **fields}


@pytest.mark.parametrize(
    "listed",
    [
        "Jan Pieter van der Berg",  # first last, the prefix inside the last name
        "jan  pieter VAN DER berg",  # case and spacing
        "van der Berg, Jan Pieter",  # last, first
        "Berg, Jan Pieter van der",  # last, first with the prefix behind
        "J.P. van der Berg",  # initials
        "J. P. van der Berg",
        "Berg, J.P. van der",
        "van der Berg, J.P.",
    ],
)
def test_every_plausible_display_name_is_a_candidate(listed: str) -> None:
    assert name_key(listed) in display_name_forms("Jan Pieter", "van der Berg")


@pytest.mark.parametrize(
    "listed", ["Jan van der Berg", "Pieter van der Berg", "J. van der Berg", "Berg, Jan", "Berg"]
)
def test_other_names_are_not_candidates(listed: str) -> None:
    assert name_key(listed) not in display_name_forms("Jan Pieter", "van der Berg")


def test_hyphenated_first_names_give_initials_per_part() -> None:
    assert name_key("M.C. de Vries") in display_name_forms("Marie-Claire", "de Vries")


@pytest.mark.parametrize(
    "listed",
    ["Jan Pieter van der Berg", "Berg, Jan Pieter van der", "J. van der Berg", "J.P. Berg"],
)
def test_the_row_s_own_prefix_and_initials_count_too(listed: str) -> None:
    """Once the row's PersonalInfo is written, Nmbrs may show its prefix and initials."""
    forms = display_name_forms("Jan Pieter", "Berg", prefix="van der", initials="J.")
    assert name_key(listed) in forms


def test_a_last_name_alone_is_its_own_display_name() -> None:
    assert display_name_forms(None, "Jansen") == frozenset({"jansen"})
    assert display_name_forms("Jan", None) == frozenset()


@pytest.mark.parametrize(
    ("last", "split"),
    [
        ("van der Berg", ("van der", "Berg")),
        ("de Vries", ("de", "Vries")),
        ("Jansen", ("", "Jansen")),
        ("van", ("", "van")),  # a last name is never all prefix
    ],
)
def test_surname_prefixes_are_split_off(last: str, split: tuple[str, str]) -> None:
    assert split_surname_prefix(last) == split


def test_candidates_are_new_unclaimed_employees_with_a_matching_name() -> None:
    employees = [
        EmployeeEntry(1, 1001, "J.P. van der Berg"),  # existed before the run
        EmployeeEntry(2, 0, "J.P. van der Berg"),  # adopted by another row
        EmployeeEntry(3, 0, "Berg, Jan Pieter van der"),
        EmployeeEntry(4, 0, "Kees Jansen"),
    ]
    found = employee_insert_candidates(
        SENT, employees, planned={}, baseline=frozenset({1}), claimed={2}
    )
    assert found == (3,)


@pytest.mark.parametrize(
    ("info", "reading"),
    [
        (_fresh(), Reading.CONFIRMED),
        (_fresh(last="Berg", Prefix="van der"), Reading.CONFIRMED),  # Nmbrs split the prefix
        (_fresh(first="JAN PIETER"), Reading.CONFIRMED),
        (_fresh(first="Jan"), Reading.SOMEONE_ELSE),
        (_fresh(last="Berg"), Reading.SOMEONE_ELSE),
        (_fresh(Number=4242, EmployeeNumber=4242), Reading.CONTRADICTED),
        (_fresh(BSN="111222333"), Reading.CONTRADICTED),
        (_fresh(Birthday=datetime(1991, 5, 17)), Reading.CONTRADICTED),
        (None, Reading.CONTRADICTED),
        # the row's own PersonalInfo was written before a crash lost the insert's answer
        (
            _fresh(
                Number=100_001,
                EmployeeNumber=100_001,
                BSN="123456782",
                Birthday=datetime(1990, 5, 17),
            ),
            Reading.OURS,
        ),
    ],
)
def test_the_second_read_confirms_or_contradicts(
    info: dict[str, Any] | None, reading: Reading
) -> None:
    assert read_candidate(SENT, info, PLANNED) is reading


def test_without_a_planned_record_any_number_contradicts() -> None:
    assert read_candidate(SENT, _fresh(Number=100_001), {}) is Reading.CONTRADICTED


def test_no_candidate_means_the_insert_did_not_apply() -> None:
    assert judge_employee_insert(SENT, {}, PLANNED) == NotFound()


def test_one_confirmed_candidate_is_adopted() -> None:
    assert judge_employee_insert(SENT, {7: _fresh()}, PLANNED) == Found(7)


def test_a_look_alike_does_not_stop_the_confirmed_one_being_adopted() -> None:
    """ "J. Jansen" is Jan and Joost alike in the initials format; the second read tells."""
    readings = {7: _fresh(first="Jan"), 8: _fresh()}
    assert judge_employee_insert(SENT, readings, PLANNED) == Found(8)


def test_the_employee_with_the_row_s_own_number_is_adopted_whoever_else_is_in_flight() -> None:
    readings = {7: _fresh(), 8: _fresh(Number=100_001, EmployeeNumber=100_001)}
    assert judge_employee_insert(SENT, readings, PLANNED, rivals={5}) == Found(8)


def test_a_fresh_namesake_is_not_adopted_while_another_row_may_own_it() -> None:
    settled = judge_employee_insert(SENT, {7: _fresh()}, PLANNED, rivals={5, 3})
    assert settled == Ambiguous(
        (7,),
        "rows 3, 5 also sent an employee named 'Jan Pieter van der Berg' without seeing the answer",
    )


@pytest.mark.parametrize(
    ("readings", "reason"),
    [
        ({7: _fresh(), 8: _fresh()}, "2 new employees named"),
        ({7: _fresh(EmployeeNumber=4242, Number=4242)}, "another number"),
        ({7: _fresh(), 8: _fresh(BSN="111222333")}, "another number"),
        ({7: None}, "no personal info"),
        ({7: _fresh(first="Jan")}, "other names"),
    ],
)
def test_unsure_means_review(readings: dict[int, dict[str, Any] | None], reason: str) -> None:
    settled = judge_employee_insert(SENT, readings, PLANNED)
    assert isinstance(settled, Ambiguous)
    assert settled.candidates == tuple(readings)
    assert reason in settled.reason
