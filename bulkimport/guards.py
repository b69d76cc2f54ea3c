"""Row checks that need the target's facts, made before any call of the row goes out. Pure.

Two mistakes cannot be taken back once sent: a new hire whose employee number the company (or
another row of the file) already has, which leaves a stray employee behind when its
PersonalInfo call is refused; and a change dated before the company's current period, which
rewrites payroll that was already run. Both are refused here with a tip, as `invalid` rows.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from enum import StrEnum
from typing import Final, Protocol

from bulkimport.config import Country
from bulkimport.errors import CellProblem, RowInvalid
from bulkimport.mapping.coerce import CoercionError, coercer_for
from bulkimport.mapping.mapper import ColumnBinding
from bulkimport.mapping.template import ColumnSource, Template
from bulkimport.model import Call, NmbrsId, RowPlan, SourceRow


class PeriodKind(StrEnum):
    """The period types of Nmbrs' enumeration page (API.md section 6)."""

    MONTH = "M"
    FOUR_WEEKS = "4W"
    WEEK = "W"

    @property
    def periods_per_year(self) -> int:
        return {PeriodKind.MONTH: 12, PeriodKind.FOUR_WEEKS: 13, PeriodKind.WEEK: 53}[self]


# `Company_GetCurrentPeriod` answers `yyyy-pp-type`; the WSDL's example writes 4W, the
# enumeration page W4: both are read.
_PERIOD_TEXT: Final = re.compile(r"\s*(\d{4})-(\d{1,2})-(M|4W|W4|W1|W)\s*", re.IGNORECASE)
_KINDS: Final = {"M": PeriodKind.MONTH, "4W": PeriodKind.FOUR_WEEKS, "W4": PeriodKind.FOUR_WEEKS}


@dataclass(frozen=True, slots=True)
class CompanyPeriod:
    """A company's current payroll period, e.g. 2026-12 of a monthly company."""

    year: int
    number: int
    kind: PeriodKind

    @property
    def start(self) -> date:
        """The first day of the period.

        Four-weekly periods are taken as 28-day blocks from 1 January and weekly ones as
        7-day blocks: Nmbrs publishes no calendar for them [I]; a date near such a boundary
        may be judged a period early or late, never by more.
        """
        if self.kind is PeriodKind.MONTH:
            return date(self.year, self.number, 1)
        days = 28 if self.kind is PeriodKind.FOUR_WEEKS else 7
        return date(self.year, 1, 1) + timedelta(days=days * (self.number - 1))

    def __str__(self) -> str:
        return f"{self.year}-{self.number:02d} ({self.kind.value}, from {self.start:%d-%m-%Y})"


def parse_company_period(text: str | None) -> CompanyPeriod:
    """Read `Company_GetCurrentPeriod`'s answer; ValueError when it is not `yyyy-pp-type`."""
    match = _PERIOD_TEXT.fullmatch(text or "")
    if match is None:
        raise ValueError(f"not a period of the form yyyy-pp-type: {text!r}")
    year, number, kind_text = int(match[1]), int(match[2]), match[3].upper()
    kind = _KINDS.get(kind_text, PeriodKind.WEEK)
    if not 1 <= number <= kind.periods_per_year:
        raise ValueError(f"period {number} does not exist for period type {kind_text}: {text!r}")
    return CompanyPeriod(year, number, kind)


# --- which value dates a change ----------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ChangeDate:
    """The value that dates one call, and the request path it was read from."""

    path: tuple[str, ...]
    day: date | None  # for a date parameter
    period: tuple[int, int] | None  # (year, number) for Period + Year

    def is_before(self, current: CompanyPeriod) -> bool:
        if self.period is not None:
            return self.period < (current.year, current.number)
        return self.day is not None and self.day < current.start

    def describe(self) -> str:
        if self.period is not None:
            return f"period {self.period[0]}-{self.period[1]:02d}"
        assert self.day is not None
        return f"{self.day:%d-%m-%Y}"


class Dating(Protocol):
    """The backend's knowledge of how its calls are dated (nmbrs.soap.dating for SOAP)."""

    def change_date(self, call: Call) -> ChangeDate | None:
        """What dates this call's change; None when the call acts from the current period."""
        ...

    def unprotected(self, call: Call) -> Call:
        """The call allowed to change a past period, as far as its operation can be."""
        ...


# --- the guard ---------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class RowGuard:
    """The facts a row is checked against: what the target has, and what the file repeats."""

    template: Template
    company_id: NmbrsId
    current_period: CompanyPeriod
    allow_past_periods: bool
    existing_numbers: Mapping[int, NmbrsId]  # employee number -> EmployeeId, before this run
    repeated_numbers: Mapping[int, int]  # employee number -> how often the file has it
    number_header: str  # the file's header of the employee-number column
    headers: Mapping[tuple[str, tuple[str, ...]], str]  # (step, request path) -> file header
    dating: Dating

    def check(self, plan: RowPlan, employee_number: int | None, *, resuming: bool) -> RowPlan:
        """The plan to send; RowInvalid when a call of it must not go out.

        `resuming`: an earlier run of this journal already sent part of the row, so the
        employee it created is ours and its number is no longer a conflict.
        """
        problems = list(self._number_problems(plan.row_number, employee_number, resuming))
        past = [
            (call, dated)
            for call, dated in self._dated_calls(plan)
            if dated.is_before(self.current_period)
        ]
        if past and not self.allow_past_periods:
            problems.extend(
                self._past_problem(plan.row_number, call, dated) for call, dated in past
            )
        if problems:
            raise RowInvalid(problems)
        if not past:
            return plan
        return replace(
            plan,
            calls=tuple(
                self.dating.unprotected(call) if any(call is dated for dated, _ in past) else call
                for call in plan.calls
            ),
        )

    def _dated_calls(self, plan: RowPlan) -> Iterator[tuple[Call, ChangeDate]]:
        for call in plan.calls:
            dated = self.dating.change_date(call)
            if dated is not None:
                yield call, dated

    def _number_problems(
        self, row_number: int, number: int | None, resuming: bool
    ) -> Iterator[CellProblem]:
        if not self.template.creates_employee or number is None:
            return
        times = self.repeated_numbers.get(number)
        if times:
            yield CellProblem(
                row_number,
                self.number_header,
                str(number),
                f"employee number {number} appears {times} times in the file: every row with it "
                "is refused; keep one and give the others their own number",
            )
        existing = self.existing_numbers.get(number)
        if existing is not None and not resuming:
            yield CellProblem(
                row_number,
                self.number_header,
                str(number),
                f"employee number {number} already exists in company {self.company_id} "
                f"(employee id {existing}): use a change template, or correct the number",
            )

    def _past_problem(self, row_number: int, call: Call, dated: ChangeDate) -> CellProblem:
        header = self.headers.get((call.step, dated.path), ".".join(dated.path))
        return CellProblem(
            row_number,
            header,
            dated.describe(),
            f"{call.operation} would change {dated.describe()}, before company "
            f"{self.company_id}'s current period {self.current_period}: payroll of that period "
            "may already be run. Correct the date, or give --allow-past-periods if the change "
            "must reach back",
        )


# --- employee numbers ----------------------------------------------------------------------------
def employee_number_of(binding: ColumnBinding, row: SourceRow, country: Country) -> int | None:
    """The row's employee number (the template's key column), or None when it has none.

    Cheap enough for a first pass over a whole file: one cell is coerced, not the row.
    """
    for bound in binding.columns:
        if bound.column.name != binding.template.key or bound.index is None:
            continue
        cell = row.cells[bound.index] if bound.index < len(row.cells) else None
        try:
            value = coercer_for(bound.column.type)(cell, country)
        except CoercionError:
            return None  # the row is refused for its cell anyway
        return value if isinstance(value, int) and not isinstance(value, bool) else None
    return None


def repeated_numbers(numbers: Iterable[int | None]) -> dict[int, int]:
    """The numbers that occur more than once, with their count; holds one set, not the rows."""
    seen: set[int] = set()
    repeated: dict[int, int] = {}
    for number in numbers:
        if number is None:
            continue
        if number in seen:
            repeated[number] = repeated.get(number, 1) + 1
        else:
            seen.add(number)
    return repeated


def date_headers(
    template: Template, headers: Mapping[str, str]
) -> dict[tuple[str, tuple[str, ...]], str]:
    """For each step's request path fed by a column, the file's header of that column.

    `headers` maps template column names to the file's header text.
    """
    found: dict[tuple[str, tuple[str, ...]], str] = {}
    for step in template.operations:
        for mapping in step.fields:
            if isinstance(mapping.source, ColumnSource):
                found[(step.step, mapping.path)] = headers.get(
                    mapping.source.column, mapping.source.column
                )
    return found
