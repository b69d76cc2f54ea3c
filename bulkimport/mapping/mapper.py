"""Rows -> planned calls, through a template. Pure: no I/O, no event loop.

This is the hot path of a million-row file, so a template is compiled once per input file
(`bind_columns`): headers are matched to column slots and each step's request structure
becomes a small tree of leaves that read the coerced row directly. `map_row` then coerces the
cells, checks them, and fills the trees; it never walks the template's TOML structure.

Everything knowable from the row itself is checked here, before any call of the row is sent
(a row must never stop halfway, after its employee was created): each cell's type, the
template's row rules (bounds, required_with, not_before, empty_if) and postal codes in the
form of the address's own country.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from difflib import SequenceMatcher
from typing import Any, Final

from bulkimport.backend import ComplexType, Field
from bulkimport.config import Country
from bulkimport.errors import CellProblem, InputFileError, RowInvalid
from bulkimport.mapping.coerce import (
    CellCoercer,
    CoercionError,
    ColumnType,
    coerce_postal_code,
    coercer_for,
    display_value,
)
from bulkimport.mapping.template import (
    Bound,
    Column,
    ColumnSource,
    ContextSource,
    DateBound,
    EmployeeSource,
    FieldMapping,
    LiteralSource,
    OperationStep,
    StepSource,
    Template,
)
from bulkimport.model import (
    CLEAR,
    CLEAR_MARKER,
    Call,
    Cell,
    EmployeeRef,
    NmbrsId,
    RowPlan,
    SourceInfo,
    SourceRow,
    StepRef,
)
from bulkimport.sources.headers import HeaderHint, normalise_header

# How alike an unknown header and a template header must be (difflib's ratio of their matching
# keys) to be taken for a misspelling: "Burgerservicenr" and "Burgerservicenummer" are 0.88,
# "Bankrekening" and "Bankrekeningnummer" 0.80, "Geb. datum" and "Geboortedatum" 0.76.
SIMILAR_HEADER_RATIO: Final = 0.75
_GUESSES: Final = 3  # columns named at most per misspelt header, likeliest first
# A 1904 workbook's serial 0 is 1904-01-01, which is 1462 in Excel's usual 1900 system.
_DAYS_1904_TO_1900: Final = 1462
_YYYYMMDD_FROM: Final = 19_000_101  # coerce reads an int from here on as yyyymmdd, not a serial


@dataclass(frozen=True, slots=True)
class MappingContext:
    """What the run knows that rows do not: the company, and its country's identity rule."""

    company_id: NmbrsId
    country: Country
    today: date = field(default_factory=date.today)  # what birth dates may not be after

    @property
    def company_country(self) -> str:
        """The company's ISO country code (a template's `company_country` context value)."""
        return self.country.value


class _Invalid:
    """Marks a cell that already has a problem, so it counts as filled but is never sent."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<invalid>"


_INVALID: Final = _Invalid()

# The optional intent column any template takes (normalised headers), and its words.
INTENT_HEADERS: Final = frozenset({"action", "actie", "atgard", "intent"})
INTENT_WORDS: Final = {
    "hire": "hire", "new": "hire", "indienst": "hire", "nieuw": "hire", "anstall": "hire",
    "change": "change", "update": "change", "wijziging": "change", "wijzig": "change",
    "andring": "change",
}  # fmt: skip

# Leaf kinds, as small ints because they are compared for every leaf of every row.
_COLUMN, _CONSTANT, _EMPLOYEE, _CONTEXT = range(4)


@dataclass(frozen=True, slots=True)
class _Leaf:
    name: str
    kind: int
    slot: int  # column slot for _COLUMN, else -1
    constant: Any  # literal or StepRef for _CONSTANT, attribute name for _CONTEXT, and for
    # _COLUMN the attribute sent when the cell is empty ("": none)
    required: bool
    label: str  # "Operation Field.Path", for problems


@dataclass(frozen=True, slots=True)
class _Group:
    name: str
    children: tuple[_Leaf | _Group, ...]
    always: bool  # the record is required, so it is sent even when nothing under it is set


@dataclass(frozen=True, slots=True)
class _CompiledStep:
    step: str
    service: str
    operation: str
    merge_from: str | None
    when_slots: tuple[int, ...]  # empty: always runs
    request: tuple[_Leaf | _Group, ...]


@dataclass(frozen=True, slots=True)
class _CellPlan:
    slot: int
    index: int
    coerce: CellCoercer
    header: str
    column: Column


@dataclass(frozen=True, slots=True)
class BoundColumn:
    """A template column and where the file has it (`index` None: not in the file)."""

    column: Column
    header: str  # the file's header text, or the column name when the file lacks it
    index: int | None


@dataclass(frozen=True, slots=True, eq=False)
class ColumnBinding:
    """A template compiled against one file's headers; build it once per file."""

    template: Template
    path: str
    columns: tuple[BoundColumn, ...]  # in template column order (slot = position)
    unused_headers: tuple[str, ...]  # file headers no column accepts: dropped, not imported
    ignored_headers: tuple[str, ...]  # file headers left out on purpose (--ignore-column)
    unmatched_ignores: tuple[str, ...]  # --ignore-column names that no header has
    _steps: tuple[_CompiledStep, ...] = field(repr=False)
    _cells: tuple[_CellPlan, ...] = field(repr=False)  # the file's columns, left to right
    _unfilled: tuple[tuple[int, Column], ...] = field(repr=False)  # columns not in the file
    _key_slot: int = field(repr=False)
    _uses_employee: bool = field(repr=False)
    # The file's intent column (`action`: hire / change), as (index, header); None: it has none.
    _intent: tuple[int, str] | None = field(default=None, repr=False)

    @property
    def intent_index(self) -> int | None:
        """Where the file has the intent column (`action`: hire / change), if it has one."""
        return None if self._intent is None else self._intent[0]

    @property
    def absent_columns(self) -> tuple[str, ...]:
        """Optional template columns the file does not have."""
        return tuple(bound.column.name for bound in self.columns if bound.index is None)

    @property
    def warnings(self) -> tuple[str, ...]:
        """What a person must hear before anything is sent: columns that will not go in."""
        notes: list[str] = []
        if self.unused_headers:
            listed = ", ".join(map(repr, self.unused_headers))
            notes.append(
                f"not imported: {listed} (not columns of template {self.template.name}); "
                "the run ends with exit code 1 unless each is named with --ignore-column"
            )
        if self.ignored_headers:
            listed = ", ".join(map(repr, self.ignored_headers))
            notes.append(f"left out as asked (--ignore-column): {listed}")
        notes.extend(
            f"--ignore-column {name!r} names no column of the file"
            for name in self.unmatched_ignores
        )
        return tuple(notes)


def header_hint(template: Template) -> HeaderHint:
    """What the readers need to find this template's header row below title rows."""
    return HeaderHint(
        known=frozenset(normalise_header(h) for c in template.columns for h in c.headers),
        required=tuple(
            frozenset(normalise_header(h) for h in c.headers)
            for c in template.columns
            if c.required
        ),
    )


def bind_columns(
    template: Template, info: SourceInfo, *, ignore_columns: Sequence[str] = ()
) -> ColumnBinding:
    """Match the file's headers to the template's columns and compile the template for them.

    Headers named in `ignore_columns` are left out, even when a template column accepts them.

    Raises:
        InputFileError: a required column is missing, two headers fill one column, or a
            header the template does not know looks like a misspelling of one it does
            ("did you mean ..."): that column's data would silently stay behind.
    """
    owner: dict[str, Column] = {}
    for declared in template.columns:
        for header in declared.headers:
            owner[normalise_header(header)] = declared
    ignore_keys = {normalise_header(name) or name: name for name in ignore_columns}
    found: dict[str, tuple[int, str]] = {}
    unused: list[str] = []
    ignored: list[str] = []
    matched_ignores: set[str] = set()
    intent: tuple[int, str] | None = None
    for index, header in enumerate(info.headers):
        if not header.strip():
            continue
        key = normalise_header(header) or header
        if key in ignore_keys:
            ignored.append(header)
            matched_ignores.add(key)
            continue
        column = owner.get(key)
        if column is None and key in INTENT_HEADERS and intent is None:
            intent = (index, header)
            continue
        if column is None:
            unused.append(header)
            continue
        if column.name in found:
            first = found[column.name][1]
            raise InputFileError(
                info.path,
                f"columns {first!r} and {header!r} both fill template column {column.name!r}; "
                f"keep one",
            )
        found[column.name] = (index, header)
    misspelt = _misspelt_headers(template, unused, found)
    if misspelt:
        raise InputFileError(
            info.path,
            f"the header names columns that template {template.name} does not have but that "
            "look like its own: "
            + ", ".join(misspelt)
            + ". Nothing was sent: rename the header, or give --ignore-column NAME to leave "
            "a column out",
        )
    missing = [
        column for column in template.columns if column.required and column.name not in found
    ]
    if missing:
        raise InputFileError(info.path, "; ".join(_missing_message(c) for c in missing))
    bound = tuple(
        BoundColumn(c, found[c.name][1], found[c.name][0])
        if c.name in found
        else BoundColumn(c, c.name, None)
        for c in template.columns
    )
    slots = {c.name: slot for slot, c in enumerate(template.columns)}
    steps = tuple(_compile_step(step, slots) for step in template.operations)
    uses_employee = any(
        isinstance(m.source, EmployeeSource) for step in template.operations for m in step.fields
    )
    return ColumnBinding(
        template=template,
        path=info.path,
        columns=bound,
        unused_headers=tuple(unused),
        ignored_headers=tuple(ignored),
        unmatched_ignores=tuple(
            name for key, name in ignore_keys.items() if key not in matched_ignores
        ),
        _intent=intent,
        _steps=steps,
        _cells=tuple(
            sorted(
                (
                    _CellPlan(slot, b.index, _coercer(b.column, info), b.header, b.column)
                    for slot, b in enumerate(bound)
                    if b.index is not None
                ),
                key=lambda plan: plan.index,
            )
        ),
        _unfilled=tuple((slot, b.column) for slot, b in enumerate(bound) if b.index is None),
        _key_slot=slots[template.key],
        _uses_employee=uses_employee,
    )


def _misspelt_headers(
    template: Template, unused: Sequence[str], found: dict[str, tuple[int, str]]
) -> list[str]:
    """For each unknown header like a header of columns the file lacks, the likeliest ones."""
    accepted = [
        (normalise_header(header), header, column)
        for column in template.columns
        if column.name not in found
        for header in column.headers
    ]
    guesses: list[str] = []
    for header in unused:
        key = normalise_header(header)
        if not key:
            continue
        best: dict[str, tuple[float, str]] = {}  # per column: its closest header
        for other_key, other, column in accepted:
            ratio = SequenceMatcher(None, key, other_key).ratio()
            if ratio >= SIMILAR_HEADER_RATIO and ratio > best.get(column.name, (0.0, ""))[0]:
                best[column.name] = (ratio, other)
        likeliest = sorted(best.items(), key=lambda item: -item[1][0])[:_GUESSES]
        if likeliest:
            listed = ", or ".join(f"{other!r}, column {name}" for name, (_, other) in likeliest)
            guesses.append(f"{header!r} (did you mean {listed}?)")
    return guesses


def _coercer(column: Column, info: SourceInfo) -> CellCoercer:
    coerce = coercer_for(column.type)
    if info.date1904 and column.type is ColumnType.DATE:
        return _in_1904_system(coerce)
    return coerce


def _in_1904_system(coerce: CellCoercer) -> CellCoercer:
    """A date column of a 1904 workbook: its plain numbers count days from 1904-01-01."""

    def coerce_1904(value: Cell, country: Country) -> object:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return coerce(value, country)
        if 0 <= value < _YYYYMMDD_FROM:
            value += _DAYS_1904_TO_1900
        return coerce(value, country)

    return coerce_1904


def _missing_message(column: Column) -> str:
    also = f" (also accepted: {', '.join(column.aliases)})" if column.aliases else ""
    return f"missing required column {column.name!r}{also}"


def _compile_step(step: OperationStep, slots: dict[str, int]) -> _CompiledStep:
    operation = step.operation
    merged = None if step.merge_from is None else step.merge_from.result
    merged_type = None if merged is None else merged.type
    by_path = {m.path: m for m in step.fields}
    prefixes = {m.path[:depth] for m in step.fields for depth in range(1, len(m.path))}

    def compile_fields(
        fields: Sequence[Field], prefix: tuple[str, ...], in_merged: bool
    ) -> tuple[_Leaf | _Group, ...]:
        nodes: list[_Leaf | _Group] = []
        for schema_field in fields:
            path = (*prefix, schema_field.name)
            if isinstance(schema_field.type, ComplexType):
                if path not in prefixes and not schema_field.required:
                    continue
                is_merged = in_merged or schema_field.type is merged_type
                children = compile_fields(schema_field.type.fields, path, is_merged)
                nodes.append(_Group(schema_field.name, children, schema_field.required))
            elif path in by_path:
                nodes.append(_compile_leaf(by_path[path], operation.name, slots, in_merged))
        return tuple(nodes)

    return _CompiledStep(
        step=step.step,
        service=operation.service,
        operation=operation.name,
        merge_from=None if step.merge_from is None else step.merge_from.name,
        when_slots=tuple(slots[name] for name in step.when_any),
        request=compile_fields(operation.request, (), False),
    )


def _compile_leaf(
    mapping: FieldMapping, operation: str, slots: dict[str, int], in_merged: bool
) -> _Leaf:
    name = mapping.path[-1]
    required = mapping.field.required and not in_merged
    label = f"{operation} {mapping.dotted}"
    source = mapping.source
    if isinstance(source, ColumnSource):
        return _Leaf(name, _COLUMN, slots[source.column], source.otherwise, required, label)
    if isinstance(source, LiteralSource):
        return _Leaf(name, _CONSTANT, -1, source.value, required, label)
    if isinstance(source, StepSource):
        return _Leaf(name, _CONSTANT, -1, StepRef(source.step), required, label)
    if isinstance(source, EmployeeSource):
        return _Leaf(name, _EMPLOYEE, -1, None, required, label)
    assert isinstance(source, ContextSource)
    return _Leaf(name, _CONTEXT, -1, source.name, required, label)


# --- per row ---------------------------------------------------------------------------------
def map_row(
    template: Template, binding: ColumnBinding, row: SourceRow, context: MappingContext
) -> RowPlan:
    """Coerce and map one row; RowInvalid carries every problem of the row at once."""
    if binding.template is not template:
        raise ValueError("the binding was made for another template")
    row_number = row.row_number
    problems: list[CellProblem] = list(row.problems)
    values, given = _coerce_row(binding, row, context.country, problems)
    _check_rules(binding, row, values, given, context, problems)

    if binding._intent is not None:
        _check_intent(binding, row, binding._intent, problems)
    key = values[binding._key_slot]
    employee: object = _INVALID
    if binding._uses_employee and isinstance(key, int):
        employee = EmployeeRef(key)

    calls: list[Call] = []
    skipped: list[str] = []
    missing: dict[int, str] = {}
    for step in binding._steps:
        if step.when_slots and not any(map(given.__getitem__, step.when_slots)):
            skipped.append(step.step)
            continue
        request = _fill(step.request, values, employee, context, missing, step.step)
        if step.merge_from is None and _clears(request):
            problems.extend(_unclearable(binding, row, values, step))
        calls.append(Call(step.step, step.service, step.operation, request, step.merge_from))
    for slot, reason in missing.items():
        bound = binding.columns[slot]
        if bound.index is None:
            reason = f"the file has no such column; {reason}"
        problems.append(CellProblem(row_number, bound.header, "", reason))
    if problems:
        raise RowInvalid(problems)
    return RowPlan(
        row_number=row_number,
        calls=tuple(calls),
        employee_key=str(key),
        skipped_steps=tuple(skipped),
    )


def _check_intent(
    binding: ColumnBinding, row: SourceRow, intent: tuple[int, str], problems: list[CellProblem]
) -> None:
    """The row's `action` must be what the template does: a mistyped employee number in a file
    of changes then fails instead of hiring someone, and a new hire cannot change someone."""
    index, header = intent
    cell = row.cells[index] if index < len(row.cells) else None
    text = normalise_header(str(cell)) if cell is not None else ""
    if not text:
        return
    said = INTENT_WORDS.get(text)
    does = "hire" if binding.template.creates_employee else "change"
    if said is None:
        problems.append(
            CellProblem(row.row_number, header, str(cell), "action must be hire or change")
        )
    elif said != does:
        what = "hires new employees" if does == "hire" else "changes existing employees"
        problems.append(
            CellProblem(
                row.row_number,
                header,
                str(cell),
                f"the row says {said}, but template {binding.template.name} {what}; "
                f"check the employee number, or use a template that does {said}",
            )
        )


def _clears(values: object) -> bool:
    if values is CLEAR:
        return True
    return isinstance(values, dict) and any(map(_clears, values.values()))


def _unclearable(
    binding: ColumnBinding, row: SourceRow, values: list[object], step: _CompiledStep
) -> list[CellProblem]:
    """Only a whole-record update (`merge_from`) clears a field by leaving it out."""
    reason = (
        f"{CLEAR_MARKER} cannot clear a field of {step.operation}: only whole-record updates "
        "clear; leave the cell empty to keep the field as it is"
    )
    return [
        CellProblem(row.row_number, binding.columns[slot].header, CLEAR_MARKER, reason)
        for slot, value in enumerate(values)
        if value is CLEAR
    ]


def _coerce_row(
    binding: ColumnBinding, row: SourceRow, country: Country, problems: list[CellProblem]
) -> tuple[list[object], list[bool]]:
    """Coerce every column; values hold defaults for empty cells and _INVALID for bad ones."""
    cells = row.cells
    count = len(cells)
    size = len(binding.columns)
    values: list[object] = [None] * size
    given = [False] * size
    postal_countries = binding.template.rules.postal_countries
    for plan in binding._cells:
        slot = plan.slot
        if slot in postal_countries:
            continue  # after the loop, once the row's country is known
        raw: Cell = cells[plan.index] if plan.index < count else None
        if isinstance(raw, str) and raw.strip().lower() == CLEAR_MARKER:
            if plan.column.required or plan.column.name == binding.template.key:
                reason = f"{CLEAR_MARKER} clears a field, and this column is required"
                problems.append(CellProblem(row.row_number, plan.header, raw, reason))
                values[slot] = _INVALID
            else:
                values[slot] = CLEAR
            given[slot] = True
            continue
        try:
            value = plan.coerce(raw, country)
        except CoercionError as exc:
            problems.append(
                CellProblem(row.row_number, plan.header, display_value(raw), exc.reason)
            )
            values[slot] = _INVALID
            given[slot] = True
            continue
        if value is not None:
            values[slot] = value
            given[slot] = True
        elif plan.column.defaults is not None:
            values[slot] = plan.column.defaults[country]
        elif plan.column.required:
            problems.append(CellProblem(row.row_number, plan.header, "", "required"))
            values[slot] = _INVALID
    for slot, column in binding._unfilled:  # optional by construction: bind_columns checked
        if column.defaults is not None:
            values[slot] = column.defaults[country]
    for slot, country_slot in postal_countries.items():
        _coerce_postal_code(
            binding, row, slot, values[country_slot], country, values, given, problems
        )
    return values, given


def _coerce_postal_code(
    binding: ColumnBinding,
    row: SourceRow,
    slot: int,
    row_country: object,
    country: Country,
    values: list[object],
    given: list[bool],
    problems: list[CellProblem],
) -> None:
    """The postal code in its address's form: the row's country when filled, else the company's."""
    bound = binding.columns[slot]
    raw: Cell = None
    if bound.index is not None and bound.index < len(row.cells):
        raw = row.cells[bound.index]
    if isinstance(raw, str):
        raw = raw.strip()
    if raw is None or raw == "":
        if bound.column.required:
            problems.append(CellProblem(row.row_number, bound.header, "", "required"))
            values[slot] = _INVALID
        return
    given[slot] = True
    if row_country is _INVALID:
        values[slot] = _INVALID  # the country's own problem is reported; its form is unknown
        return
    country_code = row_country if isinstance(row_country, str) else country.value
    try:
        values[slot] = coerce_postal_code(raw, country_code)
    except CoercionError as exc:
        reason = f"{exc.reason} (the address is in {country_code})"
        problems.append(CellProblem(row.row_number, bound.header, display_value(raw), reason))
        values[slot] = _INVALID


def _check_rules(
    binding: ColumnBinding,
    row: SourceRow,
    values: list[object],
    given: list[bool],
    context: MappingContext,
    problems: list[CellProblem],
) -> None:
    """The template's row rules over the coerced values; cells already invalid are left out."""
    today = context.today
    rules = binding.template.rules
    columns = binding.columns

    def problem(slot: int, reason: str) -> None:
        index = columns[slot].index
        if index is None:
            reason = f"the file has no such column; {reason}"
        raw = row.cells[index] if index is not None and index < len(row.cells) else None
        problems.append(
            CellProblem(row.row_number, columns[slot].header, display_value(raw), reason)
        )

    for slot, low, high in rules.bounds:
        value = values[slot]
        if value is None or value is _INVALID:
            continue
        reason = _bound_problem(value, low, high, today)
        if reason:
            problem(slot, reason)
    for slot, others, countries, country_slot in rules.required_with:
        if given[slot]:
            continue
        if countries:
            row_country = values[country_slot] if country_slot >= 0 else None
            if (row_country if isinstance(row_country, str) else context.country) not in countries:
                continue
        filled = [columns[other].header for other in others if given[other]]
        if filled:
            problem(slot, f"required when {_listed(filled)} is filled in")
    for slot, other in rules.not_before:
        value, earliest = values[slot], values[other]
        if isinstance(value, date) and isinstance(earliest, date) and value < earliest:
            problem(
                slot,
                f"lies before {columns[other].header!r} ({earliest.isoformat()}); check both dates",
            )
    for slot, other in rules.empty_if:
        if values[other] is True and given[slot] and values[slot] is not _INVALID:
            problem(slot, f"must be empty when {columns[other].header!r} is yes; clear one of them")


def _bound_problem(value: object, low: Bound | None, high: Bound | None, today: date) -> str:
    """Why the value lies outside [low, high], with a tip; empty when it lies inside."""
    if isinstance(value, date):
        if isinstance(high, DateBound) and value > high.resolve(today):
            if high.fixed is None and high.years_from_today == 0:
                return "lies in the future; check the year"
            return f"lies after {high.resolve(today).isoformat()}; check the year"
        if isinstance(low, DateBound) and value < low.resolve(today):
            if low.fixed is None:
                return f"lies more than {-low.years_from_today} years ago; check the year"
            return f"lies before {low.fixed.isoformat()}; check the year"
        return ""
    if not isinstance(value, int | Decimal) or isinstance(value, bool):
        return ""
    if isinstance(low, Decimal) and value < low:
        if low == 0:
            return "must not be negative; write the amount without a minus sign"
        return f"must be {low} or more" + (f" (at most {high})" if high is not None else "")
    if isinstance(high, Decimal) and value > high:
        return f"must be {high} or less" + (f" (at least {low})" if low is not None else "")
    return ""


def _listed(headers: list[str]) -> str:
    quoted = [repr(header) for header in headers]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"


def _fill(
    nodes: tuple[_Leaf | _Group, ...],
    values: list[object],
    employee: object,
    context: MappingContext,
    missing: dict[int, str],
    step: str,
) -> dict[str, Any]:
    """One request level as a dict; required leaves left empty are noted in `missing`."""
    out: dict[str, Any] = {}
    for node in nodes:
        if isinstance(node, _Group):
            inner: dict[int, str] = {}
            record = _fill(node.children, values, employee, context, inner, step)
            if record or node.always:
                out[node.name] = record
                for slot, reason in inner.items():
                    missing.setdefault(slot, reason)
            continue
        kind = node.kind
        if kind == _COLUMN:
            value = values[node.slot]
            if value is None and node.constant:
                value = getattr(context, node.constant)
            if value is None:
                if node.required:
                    missing.setdefault(node.slot, f"required for step {step!r} ({node.label})")
                continue
        elif kind == _CONSTANT:
            value = node.constant
        elif kind == _EMPLOYEE:
            value = employee
        else:
            value = getattr(context, node.constant)
        out[node.name] = value
    return out
