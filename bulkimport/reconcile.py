"""Deciding whether an insert whose answer was lost took effect. Pure: no I/O.

Nmbrs inserts carry no key of ours, so a blind resend after a lost reply creates a second
employee, address, bank account or contract. Before any resend the pipeline reads the current
state and asks these functions: the effect is there (adopt its id), it is not (resend), or it
cannot be told for sure (the row needs review; never guess).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Final

from bulkimport.model import NmbrsId


@dataclass(frozen=True, slots=True)
class Found:
    """The lost call did take effect; `value` is what its reply would have carried."""

    value: Any


@dataclass(frozen=True, slots=True)
class NotFound:
    """No trace of the lost call: resending is safe."""


@dataclass(frozen=True, slots=True)
class Ambiguous:
    candidates: tuple[NmbrsId, ...]
    reason: str


Reconciled = Found | NotFound | Ambiguous


@dataclass(frozen=True, slots=True)
class EmployeeEntry:
    """One line of List_GetByCompany."""

    id: NmbrsId
    number: int
    display_name: str


@dataclass(frozen=True, slots=True)
class RecordCheck:
    """How to find a record an insert creates: the read that lists them and what identifies it.

    `record_field` is the request element holding the inserted record; `list_path` walks the
    read's result to the list of records; `match_fields` are compared between the sent record
    and each listed one.
    """

    read_operation: str
    employee_field: str
    record_field: str
    list_path: tuple[str, ...]
    match_fields: tuple[str, ...]
    id_field: str


def display_name_of(first_name: str | None, last_name: str | None) -> str:
    """First and last name as one text: the key rows of the same person are guarded by."""
    return " ".join(part for part in (first_name, last_name) if part)


# Dutch and German surname prefixes (tussenvoegsels) as the first words of a last name.
_SURNAME_PREFIX_WORDS: Final = frozenset(
    {"van", "de", "der", "den", "het", "'t", "ter", "ten", "te", "in", "op", "aan", "uit"}
    | {"von", "vom", "zu", "la", "le", "du", "d'", "l'", "da", "di", "dos", "del"}
)

# How many new employees with a matching DisplayName are read one by one before giving up.
MAX_CANDIDATES: Final = 20


def display_name_forms(
    first_name: str | None,
    last_name: str | None,
    *,
    prefix: str | None = None,
    initials: str | None = None,
) -> frozenset[str]:
    """Every DisplayName Nmbrs may list for an employee of these names, as name keys.

    Nmbrs does not document the format (API.md only shows "Jan de Vries" for employees whose
    PersonalInfo is complete), so all the usual ones are accepted [inferred]: "Jan de Vries",
    "de Vries, Jan", "Vries, Jan de" (the prefix behind), "J. de Vries" and "J.P. de Vries"
    (initials made from the first names, or the row's own). The prefix is found in front of
    the last name, or given apart: the row's PersonalInfo may already have been written when
    a crash lost the insert's answer. A match is only a candidate: the second read decides.
    """
    last = _words(last_name)
    first = _words(first_name)
    surnames = {split_surname_prefix(last)} if last else set()
    if last and _words(prefix):
        surnames.add((_words(prefix), last))
    given = {name for name in (first, _initials_of(first), _words(initials)) if name}
    forms: set[str] = set()
    for before, core in surnames:
        full = f"{before} {core}".strip()
        if not given:
            forms.add(full)
        for name in given:
            forms |= {f"{name} {full}", f"{full}, {name}"}
            if before:
                forms.add(f"{core}, {name} {before}")
    return frozenset(name_key(form) for form in forms)


def split_surname_prefix(last_name: str) -> tuple[str, str]:
    """("van der", "Berg") for "van der Berg"; ("", name) when the name has no prefix."""
    words = last_name.split()
    count = 0
    while count < len(words) - 1 and words[count].casefold() in _SURNAME_PREFIX_WORDS:
        count += 1
    return " ".join(words[:count]), " ".join(words[count:])


def name_key(value: str | None) -> str:
    """A name compared as a person reads it: case, dots and spacing do not matter."""
    text = re.sub(r"[.\s]+", " ", (value or "").casefold())
    return re.sub(r"\s*,\s*", ", ", text).strip()


def _words(value: str | None) -> str:
    return " ".join((value or "").split())


def _initials_of(first_name: str) -> str:
    return "".join(f"{word[0]}." for word in first_name.replace("-", " ").split())


def employee_insert_candidates(
    sent: Mapping[str, Any],
    employees: Iterable[EmployeeEntry],
    *,
    planned: Mapping[str, Any],
    baseline: frozenset[NmbrsId],
    claimed: set[NmbrsId] | frozenset[NmbrsId],
) -> tuple[NmbrsId, ...]:
    """The employees a lost Employee_Insert may have created, judged by DisplayName alone.

    `planned` is the PersonalInfo the row writes next (empty if none). Only employees that
    did not exist when the run started (`baseline`) and that no other row of this run has
    adopted (`claimed`) can be ours.
    """
    forms = display_name_forms(
        sent.get("FirstName"),
        sent.get("LastName"),
        prefix=planned.get("Prefix"),
        initials=planned.get("Initials"),
    )
    return tuple(
        entry.id
        for entry in employees
        if entry.id not in baseline
        and entry.id not in claimed
        and name_key(entry.display_name) in forms
    )


class Reading(StrEnum):
    """What the second read (PersonalInfo_GetCurrent) says of one candidate."""

    OURS = "ours"  # our names and this row's own employee number: the row wrote it
    CONFIRMED = "confirmed"  # our names, and nothing that this row would not have written
    SOMEONE_ELSE = "someone else"  # another first or last name: the DisplayName only looked alike
    CONTRADICTED = "contradicted"  # our names, but a number, BSN or birth date not the row's


# What a fresh employee lacks until the row's own PersonalInfo call sets it.
_SET_LATER: Final = ("EmployeeNumber", "BSN", "Birthday")


def read_candidate(
    sent: Mapping[str, Any],
    personal_info: Mapping[str, Any] | None,
    planned: Mapping[str, Any],
) -> Reading:
    """Judge one candidate by its PersonalInfo, against the insert and the row's PersonalInfo.

    The employee our insert made carries the names the insert sent (Nmbrs may keep a prefix
    apart from the last name) and no employee number, BSN or birth date, unless they are the
    row's own: the row writes them right after the insert, so a crash can lose the insert's
    answer after they were written. Whether Nmbrs numbers new employees itself is not
    documented; if it did, candidates would read as contradicted and rows go to review, never
    to a wrong employee.
    """
    if not personal_info:
        return Reading.CONTRADICTED
    first = name_key(personal_info.get("FirstName"))
    last = personal_info.get("LastName") or ""
    listed_last = {name_key(last), name_key(f"{personal_info.get('Prefix') or ''} {last}")}
    if (
        first != name_key(sent.get("FirstName"))
        or name_key(sent.get("LastName")) not in listed_last
    ):
        return Reading.SOMEONE_ELSE
    number = personal_info.get("EmployeeNumber") or personal_info.get("Number") or None
    listed = {**personal_info, "EmployeeNumber": number}
    for name in _SET_LATER:
        if listed.get(name) and not _same(planned.get(name), listed[name]):
            return Reading.CONTRADICTED
    # Employee numbers are unique in a company: only this row can have written its own.
    return Reading.OURS if number is not None else Reading.CONFIRMED


def judge_employee_insert(
    sent: Mapping[str, Any],
    readings: Mapping[Any, Mapping[str, Any] | None],  # candidate id -> its personal info
    planned: Mapping[str, Any],
    *,
    rivals: Collection[int] = (),
) -> Reconciled:
    """Decide a lost Employee_Insert from each candidate's PersonalInfo (id -> record).

    `rivals` are other rows whose insert with the same names is unsettled too. The employee
    that carries the row's own number is adopted. Otherwise only a sole confirmed candidate,
    with every other one plainly someone else and no rival that could own it. Namesakes, a
    candidate whose record contradicts the row, or candidates that are all someone else (Nmbrs
    may store our names in a way this does not recognise) leave the row for a person to
    review: a resend could make a duplicate.
    """
    if not readings:
        return NotFound()
    verdicts = {c: read_candidate(sent, info, planned) for c, info in readings.items()}
    ours = tuple(c for c, verdict in verdicts.items() if verdict is Reading.OURS)
    if len(ours) == 1:
        return Found(ours[0])
    confirmed = tuple(c for c, v in verdicts.items() if v in (Reading.OURS, Reading.CONFIRMED))
    contradicted = tuple(c for c, verdict in verdicts.items() if verdict is Reading.CONTRADICTED)
    name = display_name_of(sent.get("FirstName"), sent.get("LastName"))
    if len(confirmed) == 1 and not contradicted and not rivals:
        return Found(confirmed[0])
    if len(confirmed) == 1 and not contradicted:
        reason = (
            f"rows {', '.join(map(str, sorted(rivals)))} also sent an employee named {name!r}"
            " without seeing the answer"
        )
    elif len(confirmed) > 1:
        reason = f"{len(confirmed)} new employees named {name!r} appeared since the run started"
    elif contradicted:
        reason = (
            f"new employee(s) listed like {name!r} carry another number, BSN or birth date than"
            " this row, or no personal info: not the employee the lost insert would have made"
        )
    else:
        reason = f"new employee(s) listed like {name!r} have other names in their personal info"
    return Ambiguous(tuple(verdicts), reason)


def reconcile_record_insert(
    check: RecordCheck,
    sent: Mapping[str, Any],
    current: Any,
) -> Reconciled:
    """Match a lost record insert against the employee's current records of that kind."""
    record = sent.get(check.record_field) or {}
    matches = tuple(
        listed[check.id_field]
        for listed in _walk(current, check.list_path)
        if all(_same(record.get(name), listed.get(name)) for name in check.match_fields)
    )
    if not matches:
        return NotFound()
    if len(matches) == 1:
        return Found(matches[0])
    return Ambiguous(matches, f"{len(matches)} identical {check.record_field} records exist")


def _walk(value: Any, path: Sequence[str]) -> list[Mapping[str, Any]]:
    for name in path:
        if not isinstance(value, Mapping):
            return []
        value = value.get(name)
    if value is None:
        return []
    return [item for item in (value if isinstance(value, list) else [value]) if item]


def normalise_text(value: str | None) -> str:
    """Text compared as a person would: case and runs of spaces do not matter."""
    return " ".join((value or "").split()).casefold()


def _same(sent: Any, listed: Any) -> bool:
    """Compare a sent value with what Nmbrs lists, ignoring representation differences."""
    if sent is None:
        return listed in (None, "")
    if isinstance(sent, str):
        return isinstance(listed, str) and normalise_text(sent) == normalise_text(listed)
    if isinstance(sent, date) and not isinstance(sent, datetime):
        return isinstance(listed, date) and listed.timetuple()[:3] == sent.timetuple()[:3]
    if isinstance(sent, Decimal | int) and not isinstance(sent, bool):
        return isinstance(listed, Decimal | int) and Decimal(listed) == Decimal(sent)
    return bool(sent == listed)
