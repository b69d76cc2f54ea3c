"""The plan file: CSV (what `run --plan` reads back) and XLSX (to read and filter in Excel).

One line per field a row changes (a row without changes has one line), so a spreadsheet filter
on `action` or `risk` shows what matters. The CSV starts with `#` lines that name what the plan
was made for: the input file and its hash, the template and its hash, the company and target.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from bulkimport.errors import ConfigError
from bulkimport.model import NmbrsId
from bulkimport.plan import FieldChange, PlanAction, PlannedRow
from bulkimport.report import neutralise
from bulkimport.sheetwriter import FixedSheet, XlsxSheetWriter

__all__ = ["PLAN_COLUMNS", "PlanHeader", "default_plan_path", "read_plan", "write_plan"]

PLAN_COLUMNS: Final = (
    "row", "employee_number", "action", "risk", "step", "field", "before", "after", "reason", "tip",
)  # fmt: skip
_MAGIC: Final = "# bulkimport plan"
_FORMULA_PREFIXES: Final = ("=", "+", "-", "@", "\t", "\r")  # what `neutralise` quotes


@dataclass(frozen=True, slots=True)
class PlanHeader:
    """What a plan was made for; `run --plan` refuses to apply it to anything else."""

    input_path: str
    input_sha256: str
    template: str
    template_sha256: str
    company_id: NmbrsId  # as the plan's API knows it: a number on SOAP, a UUID on REST
    target: str
    salary_threshold: str
    made_at: str
    # How the file was read and checked (sheet, ignore_columns, include_hidden_rows,
    # allow_past_periods): `run --plan` reads it the same way.
    options: Mapping[str, object] = field(default_factory=dict)


def default_plan_path(input_path: Path) -> Path:
    """Beside the input, named after its full name: `salary.csv.plan.csv`."""
    return input_path.with_name(f"{input_path.name}.plan.csv")


def _lines(rows: Iterable[PlannedRow]) -> Iterable[tuple[str, ...]]:
    for row in rows:
        number = "" if row.employee_number is None else str(row.employee_number)
        head = (str(row.row_number), number, row.action.value, "; ".join(row.risks))
        tail = (row.reason, row.tip)
        if not row.changes:
            yield (*head, "", "", "", "", *tail)
        for change in row.changes:
            yield (*head, change.step, change.field, change.before, change.after, *tail)


def write_plan(path: Path, header: PlanHeader, rows: Sequence[PlannedRow]) -> tuple[Path, Path]:
    """The CSV at `path` (given as .xlsx or without .csv: the CSV beside it) and an XLSX
    beside it; returns both paths."""
    if path.suffix.lower() == ".xlsx":
        path = path.with_suffix(".csv")
    elif path.suffix.lower() != ".csv":
        path = path.with_name(path.name + ".csv")
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as stream:
        stream.write(_MAGIC + "\n")
        for name, value in _header_items(header):
            stream.write(f"# {name}={value}\n")
        writer = csv.writer(stream)
        writer.writerow(PLAN_COLUMNS)
        writer.writerows(tuple(neutralise(cell) for cell in line) for line in _lines(rows))
    xlsx_path = path.with_suffix(".xlsx")
    about = FixedSheet(
        "about", [(name, neutralise(value)) for name, value in _header_items(header)]
    )
    with XlsxSheetWriter(xlsx_path, "plan", PLAN_COLUMNS, fixed_sheets=[about]) as sheet:
        for line in _lines(rows):
            sheet.append([neutralise(cell) for cell in line])
    return path, xlsx_path


def _header_items(header: PlanHeader) -> list[tuple[str, str]]:
    return [
        ("input", header.input_path),
        ("input_sha256", header.input_sha256),
        ("template", header.template),
        ("template_sha256", header.template_sha256),
        ("company", str(header.company_id)),
        ("target", header.target),
        ("salary_threshold", header.salary_threshold),
        ("made_at", header.made_at),
        ("options", json.dumps(dict(header.options), sort_keys=True)),
    ]


def read_plan(path: Path) -> tuple[PlanHeader, dict[int, PlannedRow]]:
    """A plan CSV written by `write_plan`; ConfigError (exit 2) when it is not one."""
    if not path.is_file():
        raise ConfigError(f"plan file {path} does not exist")
    if path.suffix.lower() != ".csv":
        raise ConfigError(f"plan file {path}: give the plan's CSV (the XLSX is for reading)")
    with path.open(encoding="utf-8", newline="") as stream:
        if stream.readline().rstrip("\r\n") != _MAGIC:
            raise ConfigError(f"{path} is not a bulkimport plan (its first line is not {_MAGIC!r})")
        items: dict[str, str] = {}
        position = stream.tell()
        while (line := stream.readline()).startswith("# "):
            name, _, value = line[2:].rstrip("\r\n").partition("=")
            items[name] = value
            position = stream.tell()
        stream.seek(position)
        try:
            header = PlanHeader(
                input_path=items["input"],
                input_sha256=items["input_sha256"],
                template=items["template"],
                template_sha256=items["template_sha256"],
                company_id=_company_id(items["company"]),
                target=items["target"],
                salary_threshold=items["salary_threshold"],
                made_at=items["made_at"],
                options=json.loads(items.get("options") or "{}"),
            )
        except (KeyError, ValueError) as error:
            raise ConfigError(f"plan file {path}: its header lacks {error}") from None
        return header, _rows(path, csv.DictReader(stream))


def _company_id(text: str) -> NmbrsId:
    return int(text) if text.isdigit() else text


def _as_written(cell: str) -> str:
    """A value as it was before `neutralise` quoted it for spreadsheets."""
    if cell.startswith("'") and cell[1:].startswith(_FORMULA_PREFIXES):
        return cell[1:]
    return cell


def _rows(path: Path, reader: csv.DictReader[str]) -> dict[int, PlannedRow]:
    if tuple(reader.fieldnames or ()) != PLAN_COLUMNS:
        raise ConfigError(f"plan file {path}: the columns are not {', '.join(PLAN_COLUMNS)}")
    rows: dict[int, PlannedRow] = {}
    for line in reader:
        try:
            number = int(line["row"])
            action = PlanAction(line["action"])
        except ValueError as error:
            raise ConfigError(f"plan file {path}, line {reader.line_num}: {error}") from None
        row = rows.get(number) or PlannedRow(
            number,
            int(line["employee_number"]) if line["employee_number"] else None,
            action,
            risks=tuple(risk for risk in line["risk"].split("; ") if risk),
            reason=line["reason"],
            tip=line["tip"],
        )
        if line["field"]:
            change = FieldChange(
                line["step"], line["field"], _as_written(line["before"]), _as_written(line["after"])
            )
            row = PlannedRow(
                row.row_number,
                row.employee_number,
                row.action,
                (*row.changes, change),
                row.risks,
                row.reason,
                row.tip,
            )
        rows[number] = row
    return rows
