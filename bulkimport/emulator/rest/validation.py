"""Check a JSON request body against a schema from `schemas.py`. Pure.

Covers what Nmbrs' request schemas use: types, `nullable`, formats (uuid, date, date-time,
email), enumerations, `required`, `additionalProperties: false`, `allOf`, minimum/maximum and
`readOnly` (a read-only property in a request is refused: one public client reports a 400 for
`personalInfoId` [inferred]). Each problem names the field by its dotted path; the reason never
repeats the value, since bodies carry personal data.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any, Final

Problem = tuple[str, str]  # (field path, reason)

# RFC 3339 as OpenAPI means it: a full date, a time and an offset (Z or +hh:mm).
_DATE_TIME: Final = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})\Z"
)
_DATE: Final = re.compile(r"\d{4}-\d{2}-\d{2}\Z")
_EMAIL: Final = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+\Z")
_JSON_TYPES: Final = {
    "object": "an object",
    "array": "an array",
    "string": "a string",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
}


def validate(schema: Mapping[str, Any], value: Any, path: str = "") -> list[Problem]:
    """Every way `value` breaks `schema`; an empty list when it fits."""
    problems: list[Problem] = []
    _check(schema, value, path, problems)
    return problems


def _check(schema: Mapping[str, Any], value: Any, path: str, problems: list[Problem]) -> None:
    name = path or "body"
    for part in schema.get("allOf", ()):
        # `nullable` beside an allOf applies to the whole (how the spec marks optional enums).
        _check({**part, "nullable": schema.get("nullable", False)}, value, path, problems)
    if value is None:
        if not schema.get("nullable") and ("type" in schema or "enum" in schema):
            problems.append((name, "must not be null"))
        return
    expected = schema.get("type")
    if expected is not None and not _has_type(value, expected):
        problems.append((name, f"must be {_JSON_TYPES[expected]}"))
        return
    if "enum" in schema and value not in schema["enum"]:
        problems.append((name, "must be one of: " + ", ".join(map(str, schema["enum"]))))
    if isinstance(value, str):
        reason = _format_problem(schema.get("format"), value)
        if reason:
            problems.append((name, reason))
        if len(value) < schema.get("minLength", 0):
            problems.append((name, f"must have at least {schema['minLength']} characters"))
    if isinstance(value, int | float) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            problems.append((name, f"must be at least {schema['minimum']}"))
        if "maximum" in schema and value > schema["maximum"]:
            problems.append((name, f"must be at most {schema['maximum']}"))
    if isinstance(value, dict):
        _check_object(schema, value, path, problems)
    if isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            _check(schema["items"], item, f"{name}[{index}]", problems)


def _check_object(
    schema: Mapping[str, Any], value: dict[str, Any], path: str, problems: list[Problem]
) -> None:
    properties: Mapping[str, Any] = schema.get("properties", {})
    prefix = f"{path}." if path else ""
    for required in schema.get("required", ()):
        if required not in value:
            problems.append((prefix + required, "is required"))
    for key, item in value.items():
        if key in properties:
            if properties[key].get("readOnly"):
                problems.append((prefix + key, "is read-only and cannot be sent"))
            else:
                _check(properties[key], item, prefix + key, problems)
        elif schema.get("additionalProperties") is False:
            problems.append((prefix + key, "is not a known property"))


def _has_type(value: Any, expected: str) -> bool:
    if expected == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if expected == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    kinds: dict[str, type | tuple[type, ...]] = {
        "object": dict,
        "array": list,
        "string": str,
        "boolean": bool,
    }
    return isinstance(value, kinds[expected])


def _format_problem(format_: str | None, value: str) -> str | None:
    if format_ == "uuid":
        try:
            uuid.UUID(value)
        except ValueError:
            return "must be a UUID"
        return None
    if format_ == "date" and not (_DATE.match(value) and _parses(date.fromisoformat, value)):
        return "must be a date (yyyy-mm-dd)"
    if format_ == "date-time" and not (
        _DATE_TIME.match(value) and _parses(datetime.fromisoformat, value)
    ):
        return "must be an RFC 3339 date-time with an offset, e.g. 2026-11-01T00:00:00Z"
    if format_ == "email" and not _EMAIL.match(value):
        return "must be an e-mail address"
    return None


def _parses(parse: Callable[[str], object], value: str) -> bool:
    try:
        parse(value)
    except ValueError:
        return False
    return True
