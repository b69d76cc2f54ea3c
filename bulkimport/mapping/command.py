"""What `bulkimport templates` shows of a template: pure formatting.

The command itself (which loads templates against a backend) is bulkimport.templates_command.
"""

from __future__ import annotations

import textwrap

from bulkimport.mapping.coerce import ColumnType
from bulkimport.mapping.template import Column, Template


def format_template(template: Template) -> str:
    """A readable page: description, the calls a row becomes, then one line per column."""
    kind = "creates employees" if template.creates_employee else "updates existing employees"
    lines = [f"{template.name}  ({kind}; key column: {template.key})"]
    lines += textwrap.wrap(template.description, 96, initial_indent="  ", subsequent_indent="  ")
    steps = []
    for step in template.operations:
        when = f" [if any of: {', '.join(step.when_any)}]" if step.when_any else ""
        steps.append(f"{step.step}: {step.operation.name}{when}")
    lines.append("  calls per row:")
    lines += [f"    {number}. {text}" for number, text in enumerate(steps, start=1)]
    lines.append("  columns:")
    rows = [("name", "type", "required", "example", "also accepted")]
    for column in template.columns:
        required = "yes" if column.required else ""
        if column.default is not None:
            required = f"default {_literal(column.default)}"
        rows.append(
            (column.name, str(column.type), required, column.example, ", ".join(column.aliases))
        )
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        cells = [row[i].ljust(widths[i]) for i in range(4)]
        lines.append("    " + "  ".join([*cells, row[4]]).rstrip())
    checks = [(column.name, describe_checks(column)) for column in template.columns]
    if any(text for _, text in checks):
        lines.append("  checked before sending:")
        lines += [f"    {name}: {text}" for name, text in checks if text]
    return "\n".join(lines)


def describe_checks(column: Column) -> str:
    """The column's row rules in words, as `bulkimport templates` shows them."""
    parts = []
    if column.minimum is not None and column.maximum is not None:
        parts.append(f"from {column.minimum} to {column.maximum}")
    elif column.minimum is not None:
        parts.append(f"at least {column.minimum}")
    elif column.maximum is not None:
        parts.append(f"at most {column.maximum}")
    if column.required_with:
        where = f" (addresses in {', '.join(column.required_in)})" if column.required_in else ""
        parts.append(f"required with any of {', '.join(column.required_with)}{where}")
    if column.not_before:
        parts.append(f"not before {column.not_before}")
    if column.empty_if:
        parts.append(f"empty when {column.empty_if} is yes")
    if column.country_column and column.type is ColumnType.POSTAL_CODE:
        parts.append(f"in the form of the country in {column.country_column}")
    return "; ".join(parts)


def _literal(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
