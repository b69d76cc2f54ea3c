"""A plan: what each row would change, compared with what the target has now. Pure: no I/O.

Built from a row's mapped calls and the before values the backend read for them
(`Backend.current_values`); written as a plan file that `run --plan` applies exactly (see
`planfile.py`). Values are compared and stored as text (`plan_text`), so that a plan read back
from its file compares the same as the one just made.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, Final

from bulkimport.backend import Effect
from bulkimport.model import CLEAR, CLEAR_MARKER, EmployeeRef, RowPlan, StepRef

__all__ = [
    "NOT_READ",
    "FieldChange",
    "PlanAction",
    "PlannedRow",
    "RiskPolicy",
    "RowUnchanged",
    "StepBefore",
    "format_plan_summary",
    "plan_row",
    "plan_text",
    "refused_row",
    "risky_rows",
    "shown_value",
    "stale_changes",
]

NOT_READ: Final = "(not read)"  # the before value of a field the API gives no read for
DEFAULT_SALARY_THRESHOLD: Final = Decimal("0.20")
# Fields whose values stay off the console (the plan file has them; a terminal may be shared).
# Field names as either API writes them (SOAP's "Salary.Value", REST's "body.value").
_PRIVATE_SUFFIXES: Final = ("IBAN", "BSN", "Birthday", "Number", "birthDate", "number")
_NAME_FIELDS: Final = frozenset({"FirstName", "LastName", "Initials", "Prefix",
                                 "firstName", "lastName", "initials", "prefix"})  # fmt: skip
_BIRTH_FIELDS: Final = frozenset({"Birthday", "birthDate"})
_END_FIELDS: Final = ("EndDate", "endDate")
_SALARY_FIELDS: Final = ("Salary.Value", "body.value")  # REST: only a salary's body has a value
_SHOWN_RISKS: Final = 10  # risky rows the console summary lists


class RowUnchanged(Exception):
    """The plan says `no change` for this row: it is not sent, and ends ok."""


class PlanAction(StrEnum):
    CREATE = "create"  # a new employee or a new record
    CHANGE = "change"  # existing data gets other values
    NO_CHANGE = "no change"  # the target already has every value: nothing is sent
    REFUSED = "refused"  # the row cannot go in as it is (reason and tip say why)


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One field a row writes: its value now (`before`, "" when empty) and after the row."""

    step: str
    field: str  # the call's dotted field path, e.g. "Salary.Value"
    before: str
    after: str  # CLEAR_MARKER when the row clears the field


@dataclass(frozen=True, slots=True)
class PlannedRow:
    row_number: int
    employee_number: int | None
    action: PlanAction
    changes: tuple[FieldChange, ...] = ()
    risks: tuple[str, ...] = ()
    reason: str = ""
    tip: str = ""


@dataclass(frozen=True, slots=True)
class RiskPolicy:
    """What makes a change risky enough to need --yes or a confirmation on a terminal."""

    salary_change: Decimal = DEFAULT_SALARY_THRESHOLD  # a share: 0.20 is 20%


@dataclass(frozen=True, slots=True)
class StepBefore:
    """What the target has for one call of a row: its effect, whether the row hires (then
    every call of it is new), and the values the call would replace: `{}` when there is
    nothing (no salary yet), None when not known (an insert adds a record; an update the
    API gives no read for)."""

    effect: Effect
    creates_employee: bool
    before: Mapping[str, Any] | None


def plan_text(value: Any) -> str:
    """A value as the plan shows and compares it: decimals without trailing zeros, dates ISO."""
    if value is None:
        return ""
    if value is CLEAR:
        return CLEAR_MARKER
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value.is_finite() else str(value)
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _leaves(values: Mapping[str, Any], prefix: str = "") -> Iterable[tuple[str, Any]]:
    """The call's values by dotted path, without the ids the run fills in."""
    for name, value in values.items():
        path = f"{prefix}{name}"
        if isinstance(value, EmployeeRef | StepRef):
            continue
        if isinstance(value, Mapping):
            yield from _leaves(value, f"{path}.")
        else:
            yield path, value


def plan_row(
    plan: RowPlan,
    employee_number: int | None,
    befores: Sequence[StepBefore],
    policy: RiskPolicy,
) -> PlannedRow:
    """Compare each call of a mapped row with what the target has (`befores`, one per call)."""
    changes: list[FieldChange] = []
    creates = False
    for call, state in zip(plan.calls, befores, strict=True):
        leaves = list(_leaves(call.values))
        if state.creates_employee or (state.before is None and state.effect is Effect.INSERT):
            creates = True
            changes += [
                FieldChange(call.step, path, "", plan_text(value))
                for path, value in leaves
                if value is not CLEAR
            ]
            continue
        if state.before is None:
            changes += [
                FieldChange(call.step, path, NOT_READ, plan_text(value)) for path, value in leaves
            ]
            continue
        if not state.before:  # nothing there yet: every value the call writes is new
            changes += [
                FieldChange(call.step, path, "", plan_text(value))
                for path, value in leaves
                if value is not CLEAR
            ]
            continue
        before = state.before
        for path, value in leaves:
            if path not in before:
                continue  # not data of the record (a date the change starts from, an id)
            old = plan_text(before[path])
            new = plan_text(value)
            if old != ("" if value is CLEAR else new):
                changes.append(FieldChange(call.step, path, old, new))
    if creates:
        action = PlanAction.CREATE
    elif changes:
        action = PlanAction.CHANGE
    else:
        action = PlanAction.NO_CHANGE
    return PlannedRow(
        plan.row_number,
        employee_number,
        action,
        tuple(changes),
        _risks(changes, policy, existing=not any(s.creates_employee for s in befores)),
    )


def refused_row(
    row_number: int, employee_number: int | None, reason: str, tip: str = ""
) -> PlannedRow:
    return PlannedRow(row_number, employee_number, PlanAction.REFUSED, reason=reason, tip=tip)


def _risks(
    changes: Sequence[FieldChange], policy: RiskPolicy, *, existing: bool
) -> tuple[str, ...]:
    """The risky changes of a row: big salary steps, bank accounts, names, birth dates, ends."""
    risks: list[str] = []
    for change in changes:
        name = change.field.rsplit(".", 1)[-1]
        had_value = change.before not in ("", NOT_READ)
        if change.field.endswith(_SALARY_FIELDS) and had_value:
            step = _salary_step(change.before, change.after)
            if step is not None and abs(step) > policy.salary_change:
                risks.append(f"salary {step:+.0%}")
        elif name == "IBAN" and had_value:
            risks.append("IBAN change")
        elif existing and had_value and name in _NAME_FIELDS:
            risks.append("name change")
        elif existing and had_value and name in _BIRTH_FIELDS:
            risks.append("birth-date change")
        elif name in _END_FIELDS and change.after not in ("", CLEAR_MARKER):
            risks.append("contract end date")
    return tuple(dict.fromkeys(risks))


def _salary_step(before: str, after: str) -> Decimal | None:
    """The change as a share of the old salary (0.35 is +35%); None when not numbers."""
    try:
        old, new = Decimal(before), Decimal(after or "0")
    except InvalidOperation:
        return None
    if old == 0:
        return None if new == 0 else Decimal(1)
    return (new - old) / old


def risky_rows(rows: Iterable[PlannedRow]) -> list[str]:
    """One line per row whose changes need a confirmation (what the console lists)."""
    return [
        f"row {row.row_number}{_employee(row)}: {', '.join(row.risks)}"
        for row in rows
        if row.risks and row.action in (PlanAction.CHANGE, PlanAction.CREATE)
    ]


def _risk_weight(row: PlannedRow) -> Decimal:
    """Orders the console's list: the largest salary step first, then by number of risks."""
    steps = [
        abs(step)
        for change in row.changes
        if change.field.endswith(_SALARY_FIELDS)
        and (step := _salary_step(change.before, change.after)) is not None
    ]
    return max(steps, default=Decimal(0)) + len(row.risks)


def stale_changes(planned: PlannedRow, fresh: PlannedRow) -> list[tuple[FieldChange, str]]:
    """The planned changes whose before value is no longer what the target has (now)."""
    now = {(change.step, change.field): change.before for change in fresh.changes}
    stale: list[tuple[FieldChange, str]] = []
    for change in planned.changes:
        current = now.get((change.step, change.field))
        if current is None:  # the field now already has the planned value
            current = change.after if change.after != CLEAR_MARKER else ""
        if current != change.before:
            stale.append((change, current))
    return stale


def shown_value(change: FieldChange, value: str) -> str:
    """A value for the console: personal data (IBAN, BSN, birth date) is not shown."""
    if change.field.endswith(_PRIVATE_SUFFIXES) and value not in ("", CLEAR_MARKER, NOT_READ):
        return "***"
    return value or "(empty)"


def format_plan_summary(rows: Sequence[PlannedRow]) -> str:
    """Counts per action, then the risky rows (riskiest first), the other changes and the
    refused rows; at most ten of each, the plan file has them all."""
    counts = Counter(row.action for row in rows)
    lines = [f"rows {len(rows)}"]
    lines += [f"  {action.value:<10} {counts.get(action, 0)}" for action in PlanAction]
    risky = sorted((row for row in rows if row.risks), key=_risk_weight, reverse=True)
    if risky:
        lines.append(f"risky changes ({len(risky)} rows; they need --yes or a confirmation):")
        for row in risky[:_SHOWN_RISKS]:
            lines.append(f"  row {row.row_number}{_employee(row)}: {', '.join(row.risks)}")
            lines += _change_lines(row)
        if len(risky) > _SHOWN_RISKS:
            lines.append(f"  ... and {len(risky) - _SHOWN_RISKS} more in the plan file")
    others = [row for row in rows if row.action is PlanAction.CHANGE and not row.risks]
    if others:
        lines.append(f"other changes ({len(others)} rows):")
        for row in others[:_SHOWN_RISKS]:
            lines.append(f"  row {row.row_number}{_employee(row)}:")
            lines += _change_lines(row)
        if len(others) > _SHOWN_RISKS:
            lines.append(f"  ... and {len(others) - _SHOWN_RISKS} more in the plan file")
    refused = [row for row in rows if row.action is PlanAction.REFUSED]
    for row in refused[:_SHOWN_RISKS]:
        tip = f" (tip: {row.tip})" if row.tip else ""
        lines.append(f"refused row {row.row_number}{_employee(row)}: {row.reason}{tip}")
    return "\n".join(lines)


def _change_lines(row: PlannedRow) -> list[str]:
    """A change's fields; of a creation only the risky ones (the plan file has them all)."""
    changes = row.changes
    if row.action is PlanAction.CREATE:
        changes = tuple(change for change in changes if change.field.endswith(_END_FIELDS))
    return [
        f"      {change.field}: {shown_value(change, change.before)} -> "
        f"{shown_value(change, change.after)}"
        for change in changes
    ]


def _employee(row: PlannedRow) -> str:
    return f" (employee {row.employee_number})" if row.employee_number is not None else ""
