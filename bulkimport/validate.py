"""`bulkimport validate`: every check a run makes before its first write, and no write.

A file is read, its headers bound and each row coerced, mapped and guarded exactly as `run`
does it (job.open_input, mapping.bind_columns and map_row, job.row_guard over guards.RowGuard),
and with a company the target's read-only pre-flight (preflight.check_target) supplies the
facts the guard holds rows against: employee numbers the company already has, its current
period, and the employees an update file names. Nothing that changes data is ever sent: the
only calls are the pre-flight's reads.

Problems go to a CSV beside the input (`X.csv.validation.csv`: row, column, value, problem),
streamed in row order so that a million bad rows do not stay in memory; the console gets the
first few, grouped by column, and each column's count. Values are masked as a log line masks
them (BSN, IBAN, birth dates): the file and the console travel further than the input does.
`format_validation` is pure; `validate_file` does the I/O.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Final

from bulkimport.config import Country
from bulkimport.errors import CellProblem, ConfigError, InputFileError, RowInvalid
from bulkimport.guards import CompanyPeriod, PeriodKind, employee_number_of
from bulkimport.job import (
    ImportJob,
    backend_for,
    check_company,
    open_input,
    open_network,
    open_target,
    resolve_template,
    row_guard,
)
from bulkimport.logs import mask_text, mask_value
from bulkimport.mapping.mapper import MappingContext, bind_columns, map_row
from bulkimport.mapping.template import Template
from bulkimport.model import SourceFormat, SourceInfo
from bulkimport.preflight import TargetFacts
from bulkimport.report import REPORT_CSV_ENCODING, neutralise
from bulkimport.sources import RowSource
from bulkimport.validation import check_input_file, validate_job

PROBLEMS_SHOWN: Final = 20
PROBLEM_COLUMNS: Final = ("row", "column", "value", "problem")
# Without a target nothing is known of the company: no employee exists yet and no period is
# closed (every date a cell may hold is after this one), so only the file's own repeats count.
_NO_TARGET_PERIOD: Final = CompanyPeriod(1900, 1, PeriodKind.MONTH)


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing to correct: where, the value as masked, and what is expected instead."""

    row_number: int
    column: str
    value: str
    expected: str


@dataclass(slots=True)
class ValidationOutcome:
    """What `validate_file` found; `problems_path` is None when there was nothing to write."""

    rows: int = 0  # data rows read, hidden ones included
    rows_skipped: int = 0  # hidden rows: a run reports them skipped
    rows_with_problems: int = 0
    problems: int = 0
    by_column: dict[str, int] = field(default_factory=dict)  # in the order first found
    first: list[Problem] = field(default_factory=list)  # the first PROBLEMS_SHOWN
    problems_path: Path | None = None
    against: str = ""  # the company the rows were checked against, "" without a target
    country: Country = Country.NL  # whose identity numbers the rows were checked for

    @property
    def clean(self) -> bool:
        return self.problems == 0


def default_problems_path(input_path: Path) -> Path:
    """`data/hires.csv` -> `data/hires.csv.validation.csv`, beside the report of a run."""
    return input_path.with_name(f"{input_path.name}.validation.csv")


class _ProblemWriter:
    """Streams problems to the CSV as they are found; keeps only counts and the first few."""

    def __init__(self, path: Path, outcome: ValidationOutcome, info: SourceInfo | None) -> None:
        self._path = path
        self._partial = path.with_name(path.name + ".partial")
        self.outcome = outcome
        delimiter = info.delimiter if info and info.format is SourceFormat.CSV else ","
        self._file: IO[str] = self._partial.open("w", encoding=REPORT_CSV_ENCODING, newline="")
        self._csv = csv.writer(self._file, delimiter=delimiter)
        self._csv.writerow(PROBLEM_COLUMNS)

    def add(self, problems: tuple[CellProblem, ...]) -> None:
        outcome = self.outcome
        outcome.rows_with_problems += 1
        for found in problems:
            problem = Problem(
                found.row_number,
                found.column,
                mask_value(found.column, found.value),
                mask_text(found.reason),
            )
            outcome.problems += 1
            outcome.by_column[problem.column] = outcome.by_column.get(problem.column, 0) + 1
            if len(outcome.first) < PROBLEMS_SHOWN:
                outcome.first.append(problem)
            self._csv.writerow(
                [
                    problem.row_number,
                    neutralise(problem.column),
                    neutralise(problem.value),
                    neutralise(problem.expected),
                ]
            )

    def close(self, *, complete: bool) -> None:
        """A clean file leaves no problems file (an old one no longer tells the truth)."""
        self._file.close()
        if complete and self.outcome.problems:
            os.replace(self._partial, self._path)
            self.outcome.problems_path = self._path
        else:
            self._partial.unlink(missing_ok=True)
            if complete:
                self._path.unlink(missing_ok=True)


async def validate_file(
    job: ImportJob,
    *,
    with_target: bool,
    problems_path: Path | None = None,
    on_start: Callable[[str], None] | None = None,
    on_warning: Callable[[str], None] | None = None,
) -> ValidationOutcome:
    """Check `job`'s file as its run would, sending nothing that changes data.

    `with_target`: read the company (`job.company_id`) at the job's target first, as a run
    does, and hold the rows against it; without, `job.company_id` is not used and identity
    numbers follow `job.country` (the Netherlands when not given).

    Raises FatalError as a run would for a file that cannot be read, a bad template or a
    target that fails its pre-flight; problems with the headers or cells are the outcome.
    """
    announce = on_start or (lambda _: None)
    warn = on_warning or (lambda _: None)
    if with_target:
        validate_job(job)
    check_input_file(job.input_path)
    backend = backend_for(job.api)
    template = resolve_template(job.template, backend)
    path = problems_path or default_problems_path(job.input_path)
    if path.resolve() == job.input_path.resolve():
        raise ConfigError(f"the problems file {path} would overwrite the input file")
    outcome = ValidationOutcome()
    async with AsyncExitStack() as stack:
        facts = _no_target_facts(job)
        if with_target:
            target = await stack.enter_async_context(open_target(job))
            announce(f"target: {target.description}")
            network = await stack.enter_async_context(open_network(job, target))
            facts = await check_company(network, backend, job, target, announce)
            outcome.against = f"company {facts.company_id} {facts.company_name}".strip()
        outcome.country = facts.country
        source = stack.enter_context(open_input(job, template))
        for warning in source.warnings:
            warn(warning)
        read_warnings = len(source.warnings)
        writer = _ProblemWriter(path, outcome, source.info)
        complete = False
        try:
            _check_rows(job, template, source, facts, writer, with_target)
            complete = True
        finally:
            writer.close(complete=complete)
        for warning in source.warnings[read_warnings:]:  # found while the rows streamed
            warn(warning)
    return outcome


def _check_rows(
    job: ImportJob,
    template: Template,
    source: RowSource,
    facts: TargetFacts,
    writer: _ProblemWriter,
    with_target: bool,
) -> None:
    """Bind the headers, then each row as the pipeline takes it: mapped, then guarded."""
    info, outcome = source.info, writer.outcome
    try:
        binding = bind_columns(template, info, ignore_columns=job.ignore_columns)
    except InputFileError as error:  # misspelt, missing or doubled headers: no row can map
        writer.add((CellProblem(info.header_row_number, "(header row)", "", error.reason),))
        return
    for header in binding.unused_headers:
        writer.add(
            (
                CellProblem(
                    info.header_row_number,
                    header,
                    "",
                    f"not a column of template {template.name}: it would not be imported; "
                    "rename it, or leave it out knowingly with --ignore-column",
                ),
            )
        )
    guard, _ = row_guard(job, template, binding, facts, backend_for(job.api))
    context = MappingContext(company_id=facts.company_id, country=facts.country)
    existing = facts.employee_numbers
    updates_employees = with_target and not template.creates_employee
    for row in source.rows():
        outcome.rows += 1
        if row.skip_reason is not None:
            outcome.rows_skipped += 1
            continue
        number = employee_number_of(binding, row, facts.country)
        try:
            plan = map_row(template, binding, row, context)
            guard.check(plan, number if template.creates_employee else None, resuming=False)
        except RowInvalid as invalid:
            writer.add(invalid.problems)
            continue
        if updates_employees and number is not None and number not in existing:
            # What the run's employee lookup (rowrunner) refuses such a row with.
            writer.add(
                (
                    CellProblem(
                        row.row_number,
                        guard.number_header,
                        str(number),
                        f"employee number {number} does not exist in company {facts.company_id}",
                    ),
                )
            )


def _no_target_facts(job: ImportJob) -> TargetFacts:
    return TargetFacts(
        company_id=job.company_id,
        company_name="",
        country=job.country or Country.NL,
        period=_NO_TARGET_PERIOD,
        employees=(),
        notes=(),
    )


def format_validation(outcome: ValidationOutcome) -> str:
    """The console's account: rows checked, then the first problems under their column."""
    against = (
        f" against {outcome.against}"
        if outcome.against
        else f" (file only, no company: identity numbers as {outcome.country.value}, "
        "--country to change)"
    )
    skipped = f", {outcome.rows_skipped} hidden (skipped)" if outcome.rows_skipped else ""
    lines = [f"checked {outcome.rows} row{'s' if outcome.rows != 1 else ''}{against}{skipped}"]
    if outcome.clean:
        lines.append("no problems: the file can be imported as it is")
        return "\n".join(lines)
    columns = len(outcome.by_column)
    lines.append(
        f"{outcome.problems} problem{'s' if outcome.problems != 1 else ''} in "
        f"{outcome.rows_with_problems} row{'s' if outcome.rows_with_problems != 1 else ''}, "
        f"{columns} column{'s' if columns != 1 else ''}"
    )
    shown: dict[str, list[Problem]] = {}
    for problem in outcome.first:
        shown.setdefault(problem.column, []).append(problem)
    for column, count in outcome.by_column.items():
        lines.append(f"{column}: {count} problem{'s' if count != 1 else ''}")
        for problem in shown.get(column, []):
            value = f" {problem.value!r}" if problem.value else ""
            lines.append(f"  row {problem.row_number}{value}: {problem.expected}")
    if outcome.problems > len(outcome.first):
        lines.append(f"(the first {len(outcome.first)} of {outcome.problems} problems shown)")
    if outcome.problems_path is not None:
        lines.append(f"all problems: {outcome.problems_path}")
    return "\n".join(lines)
