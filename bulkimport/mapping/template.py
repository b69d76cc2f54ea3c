"""Declarative templates: a TOML file says which columns a file has and which calls a row becomes.

Pure apart from reading the template file. Everything a template names is checked when it
loads, so that a typo stops the run before the first row instead of losing data row by row
(Nmbrs silently ignores a mis-spelled element).

Format (one file per mutation kind; ``templates/README.md`` has a worked example)::

    name = "address"                   # what --template names
    description = "..."                # one paragraph, shown by `bulkimport templates`
    creates_employee = false           # true: the row creates the employee (new_hire);
                                       # false: the row refers to an existing one by number
    key = "employee_number"            # the key column: the employee number (an int column)

    [[columns]]
    name = "postal_code"               # the name used inside the template
    aliases = ["Postcode", "Postnummer"]  # other headers accepted in files
    labels = { nl = "Postcode", sv = "Postnummer", en = "Postal code" }  # optional: the header
                                       #   a blank workbook shows per language (name or alias)
    type = "postal_code"               # a ColumnType value (coerce.py)
    required = true                    # the cell must not be empty
    default = "HomeAddress"            # optional: used when the cell is empty
    description = "..."
    example = "1234 AB"
    # optional checks of the row, made before any call of the row is sent:
    min = 0                            # int/decimal: the least value; date: a TOML date,
    max = "today"                      #   "today" or "today - 120 years" (also + N years)
    required_with = ["street", "city"] # must be filled in when any of these cells is
    not_before = "start_date"          # date: not before the date in that column
    empty_if = "indefinite"            # must be empty when that boolean column is true
    required_in = ["NL"]               # required_with holds only for addresses in these
                                       #   countries (the country_column's, else the company's)
    country_column = "country_code"    # the address's country: a postal_code follows its
                                       #   form; required_in looks at it

    [[operations]]
    step = "address"                   # id, unique within the template
    operation = "Address_InsertCurrent"   # an operation of the backend (Backend.template_operation)
    when_any = ["street", "city"]      # optional: run only if one of these cells is filled
    merge_from = "PersonalInfo_GetCurrent"  # optional, for whole-record updates (see below)

    [operations.fields]                # dotted keys follow the request structure
    EmployeeId = { employee = true }   # the EmployeeId the row's employee number resolves to
    Address.Id = { value = 0 }         # a literal (dates as TOML dates)
    Address.PostalCode = { column = "postal_code" }
    # also: { step = "employee" } (the result of an earlier step of the same row) and
    #       { context = "company_id" } (the company the run is for)

Headers match case-, space-, punctuation- and accent-insensitively over a column's name and
aliases. A required schema field must be mapped; inside a record named by ``merge_from``'s
result type it may be left out, because the pipeline reads the current record first and the
row only overrides the fields it sets. Optional fields whose cell is empty are not sent.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.resources
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, Final

from bulkimport.backend import (
    ComplexType,
    Effect,
    EnumType,
    Field,
    FieldType,
    OperationLookup,
    OperationShape,
    SchemaViolation,
    Xsd,
    check_simple,
)
from bulkimport.config import Country
from bulkimport.errors import TemplateError
from bulkimport.mapping.coerce import CoercionError, ColumnType, coerce_cell
from bulkimport.sources.headers import normalise_header

# The shipped templates are package data (`bulkimport/templates`, a link to the top-level
# `templates/` folder in the repository), read through importlib.resources so that a wheel, an
# editable install and a plain checkout all find them.
BUILTIN_TEMPLATES_PACKAGE: Final = "bulkimport"
BUILTIN_TEMPLATES_FOLDER: Final = "templates"

# The languages a column can declare a header for (`labels`), for blank workbooks.
LABEL_LANGUAGES: Final = ("nl", "sv", "en")

# What the run itself provides to templates, and the schema type each value has.
CONTEXT_VALUES: Final[Mapping[str, frozenset[Xsd]]] = {
    "company_id": frozenset({Xsd.INT, Xsd.UUID}),
    "company_country": frozenset({Xsd.STRING}),  # the company's ISO country code (NL, SE)
}

_TOP_KEYS: Final = frozenset(
    {"name", "description", "creates_employee", "key", "columns", "operations", "rest_operations"}
)
# Where a template lists its calls, per API: a backend names its section (`template_section`).
SOAP_SECTION: Final = "operations"
REST_SECTION: Final = "rest_operations"
# The schema types an id can have: SOAP's ints, REST's UUIDs.
_ID_TYPES: Final = frozenset({Xsd.INT, Xsd.UUID})
_COLUMN_KEYS: Final = frozenset(
    {
        "name",
        "aliases",
        "labels",
        "type",
        "required",
        "default",
        "description",
        "example",
        "min",
        "max",
        "required_with",
        "not_before",
        "empty_if",
        "country_column",
        "required_in",
    }
)
_BOUNDED_TYPES: Final = frozenset({ColumnType.INT, ColumnType.DECIMAL, ColumnType.DATE})
# "today", "today - 120 years", "today + 1 year": a date bound that moves with the calendar.
_RELATIVE_DATE: Final = re.compile(r"today(?:\s*([+-])\s*([0-9]{1,3})\s*years?)?")
_OPERATION_KEYS: Final = frozenset({"step", "operation", "when_any", "merge_from", "fields"})

# Which schema types each column type's coerced value can fill.
_TEXT_COLUMN_TYPES: Final = frozenset(
    {
        ColumnType.TEXT,
        ColumnType.BSN,
        ColumnType.PERSONNUMMER,
        ColumnType.IDENTITY_NUMBER,
        ColumnType.IBAN,
        ColumnType.BIC,
        ColumnType.POSTAL_CODE,
        ColumnType.COUNTRY_CODE,
        ColumnType.EMAIL,
        ColumnType.PHONE,
        ColumnType.MARITAL_STATUS,
    }
)
_ENUM_COLUMN_TYPES: Final[Mapping[ColumnType, str]] = {
    ColumnType.GENDER: "Gender",
    ColumnType.ADDRESS_TYPE: "AddressType",
    ColumnType.BANK_ACCOUNT_TYPE: "BankAccountType",
    ColumnType.SALARY_TYPE: "SalaryType",
}
_SIMPLE_COLUMN_TYPES: Final[Mapping[ColumnType, frozenset[Xsd]]] = {
    ColumnType.INT: frozenset({Xsd.INT, Xsd.DECIMAL}),
    ColumnType.DECIMAL: frozenset({Xsd.DECIMAL}),
    ColumnType.DATE: frozenset({Xsd.DATETIME, Xsd.DATE}),
    ColumnType.BOOLEAN: frozenset({Xsd.BOOLEAN}),
}


@dataclass(frozen=True, slots=True)
class DateBound:
    """A date limit: a fixed date, or today moved by whole years (a birth date's "today")."""

    fixed: date | None = None
    years_from_today: int = 0

    def resolve(self, today: date) -> date:
        if self.fixed is not None:
            return self.fixed
        day = 28 if (today.month, today.day) == (2, 29) else today.day  # no 29-02 that year
        return today.replace(year=today.year + self.years_from_today, day=day)

    def __str__(self) -> str:
        if self.fixed is not None:
            return self.fixed.isoformat()
        if not self.years_from_today:
            return "today"
        sign = "+" if self.years_from_today > 0 else "-"
        return f"today {sign} {abs(self.years_from_today)} years"


Bound = Decimal | DateBound


@dataclass(frozen=True, slots=True)
class Column:
    """One input column. `defaults` holds the coerced default per country (None: no default)."""

    name: str
    type: ColumnType
    required: bool = False
    aliases: tuple[str, ...] = ()
    default: object = None  # the literal as written in the template
    description: str = ""
    example: str = ""
    defaults: Mapping[Country, object] | None = dataclasses.field(default=None, hash=False)
    minimum: Bound | None = None
    maximum: Bound | None = None
    required_with: tuple[str, ...] = ()
    not_before: str = ""
    empty_if: str = ""
    country_column: str = ""
    required_in: tuple[str, ...] = ()
    labels: Mapping[str, str] = dataclasses.field(default_factory=dict, hash=False)

    @property
    def headers(self) -> tuple[str, ...]:
        """Every header text this column accepts, its own name first."""
        return (self.name, *self.aliases)

    def label(self, language: str) -> str:
        """The header a person reading `language` expects; English, then the name, if undeclared."""
        return self.labels.get(language) or self.labels.get("en") or self.name

    def default_for(self, country: Country) -> object:
        return None if self.defaults is None else self.defaults[country]


@dataclass(frozen=True, slots=True)
class ColumnSource:
    column: str
    otherwise: str = ""  # a context value sent when the cell is empty (`otherwise = ...`)


@dataclass(frozen=True, slots=True)
class LiteralSource:
    value: object  # already in the codec's Python type for the field


@dataclass(frozen=True, slots=True)
class StepSource:
    step: str


@dataclass(frozen=True, slots=True)
class EmployeeSource:
    """The EmployeeId of the row's key column (an existing employee)."""


@dataclass(frozen=True, slots=True)
class ContextSource:
    name: str


FieldSource = ColumnSource | LiteralSource | StepSource | EmployeeSource | ContextSource


@dataclass(frozen=True, slots=True)
class FieldMapping:
    """One leaf of a request: the schema field at `path` and where its value comes from."""

    path: tuple[str, ...]
    field: Field
    source: FieldSource

    @property
    def dotted(self) -> str:
        return ".".join(self.path)


@dataclass(frozen=True, slots=True)
class OperationStep:
    step: str
    operation: OperationShape
    fields: tuple[FieldMapping, ...]
    when_any: tuple[str, ...] = ()
    merge_from: OperationShape | None = None


@dataclass(frozen=True, slots=True)
class RowRules:
    """A template's row checks by column slot (position in `Template.columns`), for map_row.

    Compiled once when the template loads, so that checking a row never looks up a name.
    """

    bounds: tuple[tuple[int, Bound | None, Bound | None], ...] = ()
    # (slot, the slots that make it required, countries it holds in (empty: all), country slot)
    required_with: tuple[tuple[int, tuple[int, ...], frozenset[str], int], ...] = ()
    not_before: tuple[tuple[int, int], ...] = ()
    empty_if: tuple[tuple[int, int], ...] = ()
    # Postal code slot -> the slot of its country column; coerced after the rest of the row.
    postal_countries: Mapping[int, int] = dataclasses.field(default_factory=dict, hash=False)


@dataclass(frozen=True, slots=True)
class Template:
    """A loaded, validated template. `digest` identifies the exact file content (journals)."""

    name: str
    description: str
    creates_employee: bool
    key: str
    columns: tuple[Column, ...]
    operations: tuple[OperationStep, ...]
    source: str = ""
    digest: str = ""
    rules: RowRules = dataclasses.field(default_factory=RowRules, hash=False)

    def column(self, name: str) -> Column:
        for candidate in self.columns:
            if candidate.name == name:
                return candidate
        raise KeyError(name)

    @property
    def key_column(self) -> Column:
        return self.column(self.key)


# --- loading ---------------------------------------------------------------------------------
def load_template(
    path: Path | str, operations: OperationLookup, section: str = SOAP_SECTION
) -> Template:
    """Read and check one template file against a backend's `operations`, listed in the
    template's `section` (the backend's: `operations` for SOAP, `rest_operations` for REST).

    TemplateError names the file and the bad key.
    """
    path = Path(path)
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise TemplateError(f"{path}: cannot read template ({exc.strerror or exc})") from exc
    return _parse_template(content, str(path), operations, section)


def load_builtin_template(
    name: str, operations: OperationLookup, section: str = SOAP_SECTION
) -> Template:
    """One of the templates shipped inside the package, by name."""
    resource = _builtin_folder() / f"{name}.toml"
    if "/" in name or "\\" in name or not resource.is_file():
        known = ", ".join(_template_name(file) for file in _builtin_files())
        raise TemplateError(f"unknown template {name!r} (shipped templates: {known})")
    return _parse_template(resource.read_bytes(), str(resource), operations, section)


def list_builtin_templates(
    operations: OperationLookup, section: str = SOAP_SECTION
) -> list[Template]:
    """Every shipped template; none at all is an error (a broken installation), not a list."""
    return [
        _parse_template(file.read_bytes(), str(file), operations, section)
        for file in _builtin_files()
    ]


def _builtin_folder() -> Traversable:
    return importlib.resources.files(BUILTIN_TEMPLATES_PACKAGE) / BUILTIN_TEMPLATES_FOLDER


def _builtin_files() -> list[Traversable]:
    folder = _builtin_folder()
    files = (
        [file for file in folder.iterdir() if file.name.endswith(".toml") and file.is_file()]
        if folder.is_dir()
        else []
    )
    if not files:
        raise TemplateError(
            f"no templates found in {folder}: this installation of bulkimport is incomplete"
            " (the templates ship inside the package); reinstall it"
        )
    return sorted(files, key=_template_name)


def _template_name(file: Traversable) -> str:
    return file.name.removesuffix(".toml")


def _parse_template(
    content: bytes, source: str, operations: OperationLookup, section: str = SOAP_SECTION
) -> Template:
    try:
        document = tomllib.loads(content.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise TemplateError(f"{source}: template is not UTF-8 text") from exc
    except tomllib.TOMLDecodeError as exc:
        raise TemplateError(f"{source}: not valid TOML ({exc})") from exc
    loader = _Loader(source, operations, section)
    return loader.template(document, hashlib.sha256(content).hexdigest())


class _Loader:
    """Validates one parsed document; every error message starts with the file name."""

    def __init__(self, source: str, operations: OperationLookup, section: str) -> None:
        self.source = source
        self.operations = operations
        self.section = section

    def fail(self, where: str, reason: str) -> TemplateError:
        return TemplateError(f"{self.source}: {where}: {reason}")

    def template(self, document: dict[str, Any], digest: str) -> Template:
        self.check_keys(document, _TOP_KEYS, "top level")
        name = self.text(document, "name", "top level", required=True)
        description = self.text(document, "description", "top level")
        creates_employee = document.get("creates_employee", False)
        if not isinstance(creates_employee, bool):
            raise self.fail("creates_employee", "must be true or false")
        columns = self._columns(document.get("columns"))
        by_name = {column.name: column for column in columns}
        key = self.text(document, "key", "top level", required=True)
        key_column = by_name.get(key)
        if key_column is None:
            raise self.fail("key", f"names column {key!r}, which is not declared in [[columns]]")
        if key_column.type is not ColumnType.INT or not key_column.required:
            raise self.fail(
                "key",
                f"column {key!r} must be a required int column (Nmbrs employee numbers are "
                f"whole numbers)",
            )
        operations = self._operations(document.get(self.section), by_name, creates_employee)
        rules = self._rules(columns)
        return Template(
            name=name,
            description=description,
            creates_employee=creates_employee,
            key=key,
            columns=columns,
            operations=operations,
            source=self.source,
            digest=digest,
            rules=rules,
        )

    # --- columns -----------------------------------------------------------------------------
    def _columns(self, raw: object) -> tuple[Column, ...]:
        if not isinstance(raw, list) or not raw:
            raise self.fail("columns", "declare at least one [[columns]] table")
        columns: list[Column] = []
        owner_of_header: dict[str, str] = {}
        for index, entry in enumerate(raw):
            where = f"columns[{index}]"
            if not isinstance(entry, dict):
                raise self.fail(where, "must be a table")
            column = self._column(entry, where)
            where = f"column {column.name!r}"
            if any(earlier.name == column.name for earlier in columns):
                raise self.fail(where, "is declared twice")
            for header in column.headers:
                normalised = normalise_header(header)
                if not normalised:
                    raise self.fail(where, f"header {header!r} has no letters or digits")
                owner = owner_of_header.setdefault(normalised, column.name)
                if owner != column.name:
                    raise self.fail(
                        where,
                        f"name or alias {header!r} matches the same header as column {owner!r}",
                    )
            columns.append(column)
        return tuple(columns)

    def _column(self, entry: dict[str, Any], where: str) -> Column:
        self.check_keys(entry, _COLUMN_KEYS, where)
        name = self.text(entry, "name", where, required=True)
        where = f"column {name!r}"
        type_text = self.text(entry, "type", where, required=True)
        try:
            column_type = ColumnType(type_text)
        except ValueError:
            known = ", ".join(member.value for member in ColumnType)
            raise self.fail(where, f"unknown type {type_text!r} (known: {known})") from None
        aliases = entry.get("aliases", [])
        if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
            raise self.fail(f"{where}.aliases", "must be a list of header texts")
        required = entry.get("required", False)
        if not isinstance(required, bool):
            raise self.fail(f"{where}.required", "must be true or false")
        default = entry.get("default")
        defaults = None
        if default is not None:
            if required:
                raise self.fail(f"{where}.default", "a required column cannot have a default")
            defaults = self._coerce_default(column_type, default, f"{where}.default")
        return Column(
            name=name,
            type=column_type,
            required=required,
            aliases=tuple(aliases),
            default=default,
            description=self.text(entry, "description", where),
            example=str(entry.get("example", "")),
            defaults=defaults,
            minimum=self._bound(entry, "min", column_type, where),
            maximum=self._bound(entry, "max", column_type, where),
            required_with=self._names(entry, "required_with", where),
            not_before=self.text(entry, "not_before", where),
            empty_if=self.text(entry, "empty_if", where),
            country_column=self.text(entry, "country_column", where),
            required_in=self._names(entry, "required_in", where),
            labels=self._labels(entry, (name, *aliases), where),
        )

    def _labels(
        self, entry: Mapping[str, Any], headers: tuple[str, ...], where: str
    ) -> dict[str, str]:
        """Each label must be a header the column accepts: a filled-in blank workbook binds."""
        raw = entry.get("labels", {})
        where = f"{where}.labels"
        if not isinstance(raw, dict):
            raise self.fail(where, "must be a table like { nl = ..., sv = ..., en = ... }")
        accepted = {normalise_header(header) for header in headers}
        for language, label in raw.items():
            if language not in LABEL_LANGUAGES:
                raise self.fail(where, f"unknown language {language!r} (known: nl, sv, en)")
            if not isinstance(label, str) or normalise_header(label) not in accepted:
                raise self.fail(
                    f"{where}.{language}", "must be the column's name or one of its aliases"
                )
        return dict(raw)

    def _bound(
        self, entry: Mapping[str, Any], key: str, column_type: ColumnType, where: str
    ) -> Bound | None:
        raw = entry.get(key)
        if raw is None:
            return None
        where = f"{where}.{key}"
        if column_type not in _BOUNDED_TYPES:
            raise self.fail(where, f"only int, decimal and date columns have a {key}")
        if column_type is ColumnType.DATE:
            if isinstance(raw, date) and not isinstance(raw, datetime):
                return DateBound(fixed=raw)
            relative = _RELATIVE_DATE.fullmatch(raw.strip()) if isinstance(raw, str) else None
            if relative is None:
                raise self.fail(where, 'write a date (2000-01-01), "today" or "today - 120 years"')
            years = int(relative[2] or 0)
            return DateBound(years_from_today=-years if relative[1] == "-" else years)
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            raise self.fail(where, "must be a number")
        if column_type is ColumnType.INT and not isinstance(raw, int):
            raise self.fail(where, "must be a whole number for an int column")
        return Decimal(str(raw))

    def _names(self, entry: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
        raw = entry.get(key, [])
        if not isinstance(raw, list) or not all(isinstance(name, str) for name in raw):
            raise self.fail(f"{where}.{key}", "must be a list of column names")
        if key in entry and not raw:
            raise self.fail(f"{where}.{key}", "must name at least one column")
        return tuple(raw)

    def _rules(self, columns: tuple[Column, ...]) -> RowRules:
        """Check the columns' references to other columns and compile them by slot."""
        slots = {column.name: slot for slot, column in enumerate(columns)}

        def slot_of(column: Column, key: str, name: str, wanted: ColumnType | None) -> int:
            where = f"column {column.name!r}.{key}"
            other = slots.get(name)
            if other is None:
                raise self.fail(where, f"unknown column {name!r}")
            if other == slots[column.name]:
                raise self.fail(where, "a column cannot refer to itself")
            if wanted is not None and columns[other].type is not wanted:
                raise self.fail(where, f"column {name!r} must be a {wanted} column")
            return other

        bounds: list[tuple[int, Bound | None, Bound | None]] = []
        required_with: list[tuple[int, tuple[int, ...], frozenset[str], int]] = []
        not_before: list[tuple[int, int]] = []
        empty_if: list[tuple[int, int]] = []
        postal_countries: dict[int, int] = {}
        for slot, column in enumerate(columns):
            low, high = column.minimum, column.maximum
            if isinstance(low, Decimal) and isinstance(high, Decimal) and low > high:
                raise self.fail(f"column {column.name!r}.min", f"{low} is more than max {high}")
            if low is not None or high is not None:
                bounds.append((slot, low, high))
            if column.required_with:
                if column.required:
                    raise self.fail(
                        f"column {column.name!r}.required_with", "the column is required anyway"
                    )
                others = tuple(
                    slot_of(column, "required_with", name, None) for name in column.required_with
                )
                country_slot = -1
                if column.country_column:
                    country_slot = slot_of(
                        column, "country_column", column.country_column, ColumnType.COUNTRY_CODE
                    )
                countries = frozenset(column.required_in)
                required_with.append((slot, others, countries, country_slot))
            elif column.required_in:
                raise self.fail(f"column {column.name!r}.required_in", "needs required_with")
            if column.country_column and not (
                column.required_in or column.type is ColumnType.POSTAL_CODE
            ):
                raise self.fail(
                    f"column {column.name!r}.country_column",
                    "only for postal_code columns or together with required_in",
                )
            if column.not_before:
                if column.type is not ColumnType.DATE:
                    raise self.fail(f"column {column.name!r}.not_before", "only for date columns")
                other = slot_of(column, "not_before", column.not_before, ColumnType.DATE)
                not_before.append((slot, other))
            if column.empty_if:
                other = slot_of(column, "empty_if", column.empty_if, ColumnType.BOOLEAN)
                empty_if.append((slot, other))
            if column.country_column and column.type is ColumnType.POSTAL_CODE:
                # No default to care for: none has both the Dutch and the Swedish form.
                postal_countries[slot] = slot_of(
                    column, "country_column", column.country_column, ColumnType.COUNTRY_CODE
                )
        return RowRules(
            bounds=tuple(bounds),
            required_with=tuple(required_with),
            not_before=tuple(not_before),
            empty_if=tuple(empty_if),
            postal_countries=postal_countries,
        )

    def _coerce_default(
        self, column_type: ColumnType, literal: object, where: str
    ) -> dict[Country, object]:
        """Coerce the default like a cell, once per country (some types depend on it)."""
        if isinstance(literal, list | dict | time):
            raise self.fail(where, f"{literal!r} is not a cell value")
        cell: Any = Decimal(str(literal)) if isinstance(literal, float) else literal
        defaults: dict[Country, object] = {}
        for country in Country:
            try:
                value = coerce_cell(column_type, cell, country=country)
            except CoercionError as exc:
                raise self.fail(
                    where, f"{literal!r} is not a valid {column_type}: {exc.reason}"
                ) from None
            if value is None:
                raise self.fail(where, "an empty default means no default; leave it out")
            defaults[country] = value
        return defaults

    # --- operations --------------------------------------------------------------------------
    def _operations(
        self, raw: object, columns: Mapping[str, Column], creates_employee: bool
    ) -> tuple[OperationStep, ...]:
        if not isinstance(raw, list) or not raw:
            raise self.fail(self.section, f"declare at least one [[{self.section}]] table")
        steps: list[OperationStep] = []
        for index, entry in enumerate(raw):
            where = f"{self.section}[{index}]"
            if not isinstance(entry, dict):
                raise self.fail(where, "must be a table")
            later = {str(e.get("step")) for e in raw[index + 1 :] if isinstance(e, dict)}
            loader = _StepLoader(self, entry, where, columns, creates_employee, later, steps)
            steps.append(loader.load())
        return tuple(steps)

    # --- small helpers -----------------------------------------------------------------------
    def check_keys(self, table: Mapping[str, Any], known: frozenset[str], where: str) -> None:
        unknown = sorted(set(table) - known)
        if unknown:
            allowed = ", ".join(sorted(known))
            raise self.fail(where, f"unknown key {unknown[0]!r} (allowed: {allowed})")

    def text(
        self, table: Mapping[str, Any], key: str, where: str, *, required: bool = False
    ) -> str:
        value = table.get(key)
        if value is None:
            if required:
                raise self.fail(where, f"{key!r} is missing")
            return ""
        if not isinstance(value, str) or (required and not value.strip()):
            raise self.fail(f"{where}.{key}", "must be a non-empty string")
        return value


class _StepLoader:
    """Validates one [[operations]] table against the backend's operations."""

    def __init__(
        self,
        loader: _Loader,
        entry: dict[str, Any],
        where: str,
        columns: Mapping[str, Column],
        creates_employee: bool,
        later: set[str],
        earlier: list[OperationStep],
    ) -> None:
        self.loader = loader
        self.entry = entry
        self.where = where
        self.columns = columns
        self.creates_employee = creates_employee
        self.later = later
        self.earlier = {step.step: step for step in earlier}

    def fail(self, reason: str, key: str = "") -> TemplateError:
        return self.loader.fail(f"{self.where}{key}", reason)

    def load(self) -> OperationStep:
        self.loader.check_keys(self.entry, _OPERATION_KEYS, self.where)
        step_id = self.loader.text(self.entry, "step", self.where, required=True)
        if step_id in self.earlier:
            raise self.fail(f"step {step_id!r} is declared twice", ".step")
        self.where = f"{self.where} (step {step_id!r})"
        operation_name = self.loader.text(self.entry, "operation", self.where, required=True)
        try:
            operation = self.loader.operations(operation_name)
        except KeyError:
            raise self.fail(f"unknown operation {operation_name!r}", ".operation") from None
        if operation.effect is Effect.READ:
            raise self.fail(
                f"{operation_name} only reads; a template step must write", ".operation"
            )
        when_any = self._when_any()
        merge_from = self._merge_from(operation)
        merged_type = None if merge_from is None else merge_from.result
        raw_fields = self.entry.get("fields")
        if not isinstance(raw_fields, dict) or not raw_fields:
            raise self.fail("map the request's fields in [operations.fields]", ".fields")
        mappings: list[FieldMapping] = []
        self._walk(raw_fields, operation.request, (), mappings)
        self._check_required(
            operation.request,
            (),
            {m.path for m in mappings},
            None if merged_type is None else merged_type.type,
        )
        return OperationStep(
            step=step_id,
            operation=operation,
            fields=tuple(mappings),
            when_any=when_any,
            merge_from=merge_from,
        )

    def _when_any(self) -> tuple[str, ...]:
        raw = self.entry.get("when_any", [])
        if not isinstance(raw, list) or (not raw and "when_any" in self.entry):
            raise self.fail("must be a non-empty list of column names", ".when_any")
        for name in raw:
            if not isinstance(name, str) or name not in self.columns:
                raise self.fail(f"unknown column {name!r}", ".when_any")
        return tuple(raw)

    def _merge_from(self, operation: OperationShape) -> OperationShape | None:
        name = self.entry.get("merge_from")
        if name is None:
            return None
        if not isinstance(name, str):
            raise self.fail("must be an operation name", ".merge_from")
        try:
            reader = self.loader.operations(name)
        except KeyError:
            raise self.fail(f"unknown operation {name!r}", ".merge_from") from None
        records = {f.type for f in operation.request if isinstance(f.type, ComplexType)}
        if (
            reader.effect is not Effect.READ
            or reader.result is None
            or reader.result.type not in records
        ):
            wanted = ", ".join(sorted(t.name for t in records)) or "no record"
            raise self.fail(
                f"{name} must be a read operation returning the record "
                f"{operation.name} writes ({wanted})",
                ".merge_from",
            )
        own = {f.name: f.type for f in operation.request}
        for parameter in reader.request:
            if parameter.min_occurs < 1:
                continue  # optional (a page number): the read does without it
            if own.get(parameter.name) != parameter.type:
                raise self.fail(
                    f"{name} takes {parameter.name}, which {operation.name} does not have, "
                    f"so the pipeline cannot call it with this step's values",
                    ".merge_from",
                )
        return reader

    def _walk(
        self,
        table: Mapping[str, Any],
        fields: tuple[Field, ...],
        prefix: tuple[str, ...],
        out: list[FieldMapping],
    ) -> None:
        by_name = {f.name: f for f in fields}
        for name, spec in table.items():
            path = (*prefix, name)
            key = ".fields." + ".".join(path)
            field = by_name.get(name)
            if field is None:
                close = [f.name for f in fields if f.name.lower() == name.lower()]
                hint = f" (did you mean {close[0]!r}? names are case-sensitive)" if close else ""
                parent = ".".join(prefix) or "the request"
                raise self.fail(f"{parent} has no field {name!r}{hint}", key)
            if field.repeated:
                raise self.fail(f"{name} is a list; templates cannot fill lists", key)
            if isinstance(field.type, ComplexType):
                if not isinstance(spec, dict) or _looks_like_source(spec):
                    raise self.fail(
                        f"{name} is a record ({field.type.name}): map its fields "
                        f"({name}.<Field> = {{ ... }})",
                        key,
                    )
                self._walk(spec, field.type.fields, path, out)
                continue
            out.append(FieldMapping(path, field, self._source(spec, field, key)))

    def _source(self, spec: object, field: Field, key: str) -> FieldSource:
        if not isinstance(spec, dict):
            raise self.fail(
                "must be an inline table with one source: { column = ... }, { value = ... }, "
                "{ step = ... }, { employee = true } or { context = ... }",
                key,
            )
        otherwise = spec.get(_OTHERWISE)
        kinds = sorted(k for k in spec if k != _OTHERWISE)
        unknown = [k for k in kinds if k not in _SOURCE_KINDS]
        if unknown:
            raise self.fail(f"unknown source {unknown[0]!r} (use one of {_SOURCE_LIST})", key)
        if len(kinds) != 1:
            found = " and ".join(kinds) if kinds else "none"
            raise self.fail(f"needs exactly one source, found {found}", key)
        kind = kinds[0]
        raw = spec[kind]
        target = field.type
        assert not isinstance(target, ComplexType)  # _walk only calls this for simple fields
        if otherwise is not None and kind != "column":
            raise self.fail(f"{_OTHERWISE!r} goes with a column source only", key)
        if kind == "column":
            source = self._column_source(raw, target, key)
            if otherwise is None:
                return source
            if not isinstance(otherwise, str) or otherwise not in CONTEXT_VALUES:
                known = ", ".join(CONTEXT_VALUES)
                raise self.fail(f"otherwise: unknown context value {otherwise!r} ({known})", key)
            if target not in CONTEXT_VALUES[otherwise]:
                raise self.fail(f"otherwise: {otherwise} cannot fill {_type_name(target)}", key)
            return ColumnSource(source.column, otherwise)
        if kind == "value":
            return LiteralSource(self._literal(raw, target, key))
        if kind == "step":
            return self._step_source(raw, target, key)
        if kind == "employee":
            if raw is not True:
                raise self.fail("write { employee = true }", key)
            if self.creates_employee:
                raise self.fail(
                    "{ employee = true } refers to an existing employee, but this template "
                    "creates the employee (use { step = ... } with the insert step)",
                    key,
                )
            if target not in _ID_TYPES:
                raise self.fail(
                    f"an EmployeeId (int or UUID) cannot fill a field of type {_type_name(target)}",
                    key,
                )
            return EmployeeSource()
        if not isinstance(raw, str) or raw not in CONTEXT_VALUES:
            known = ", ".join(CONTEXT_VALUES)
            raise self.fail(f"unknown context value {raw!r} (known: {known})", key)
        if target not in CONTEXT_VALUES[raw]:
            raise self.fail(
                f"context {raw} (an id) cannot fill a field of type {_type_name(target)}", key
            )
        return ContextSource(raw)

    def _column_source(self, raw: object, target: Xsd | EnumType, key: str) -> ColumnSource:
        column = self.columns.get(raw) if isinstance(raw, str) else None
        if column is None:
            raise self.fail(f"unknown column {raw!r}", key)
        if not _column_fits(column.type, target):
            raise self.fail(
                f"column {column.name!r} of type {column.type} cannot fill a field of type "
                f"{_type_name(target)}",
                key,
            )
        return ColumnSource(column.name)

    def _step_source(self, raw: object, target: Xsd | EnumType, key: str) -> StepSource:
        if not isinstance(raw, str):
            raise self.fail("step must name an earlier step", key)
        earlier = self.earlier.get(raw)
        if earlier is None:
            reason = "a later step" if raw in self.later else "an unknown step"
            raise self.fail(f"{raw!r} is {reason}; only earlier steps' results can be used", key)
        if earlier.when_any:
            raise self.fail(
                f"step {raw!r} may be skipped (it has when_any), so its result cannot feed "
                f"another step",
                key,
            )
        result = earlier.operation.result
        if result is None:
            raise self.fail(f"step {raw!r} ({earlier.operation.name}) returns nothing", key)
        self._expect(result.type, target, f"the result of {earlier.operation.name}", key)
        return StepSource(raw)

    def _literal(self, raw: object, target: Xsd | EnumType, key: str) -> object:
        value = Decimal(str(raw)) if isinstance(raw, float) and target is Xsd.DECIMAL else raw
        try:
            if isinstance(value, datetime | time):
                raise SchemaViolation(key, "write a date without a time")
            check_simple(target, value, key)
        except SchemaViolation as exc:
            raise self.fail(
                f"literal {raw!r} does not fit a field of type {_type_name(target)} ({exc.reason})",
                key,
            ) from None
        return value

    def _expect(self, have: FieldType, target: Xsd | EnumType, what: str, key: str) -> None:
        if have != target:
            raise self.fail(f"{what} cannot fill a field of type {_type_name(target)}", key)

    def _check_required(
        self,
        fields: tuple[Field, ...],
        prefix: tuple[str, ...],
        mapped: set[tuple[str, ...]],
        merged: FieldType | None,
    ) -> None:
        """Required fields must be mapped, inside every record the step fills at all."""
        for field in fields:
            path = (*prefix, field.name)
            if isinstance(field.type, ComplexType):
                used = any(m[: len(path)] == path for m in mapped)
                if not used and not field.required:
                    continue
                if field.type is merged:
                    continue  # the current record supplies what the row leaves out
                self._check_required(field.type.fields, path, mapped, merged)
            elif field.required and path not in mapped:
                raise self.fail(
                    f"required field {'.'.join(path)} is not mapped",
                    ".fields",
                )


_SOURCE_KINDS: Final = ("column", "value", "step", "employee", "context")
# With a column: the context value sent when the cell is empty ({ column = "country_code",
# otherwise = "company_country" }).
_OTHERWISE: Final = "otherwise"
_SOURCE_LIST: Final = ", ".join(_SOURCE_KINDS)


def _looks_like_source(spec: Mapping[str, Any]) -> bool:
    """A source table, not a record's fields: a record may have a field named like a source
    kind (REST's salary has `value`), but a source's value is never a table."""
    return any(key in _SOURCE_KINDS and not isinstance(value, dict) for key, value in spec.items())


def _column_fits(column_type: ColumnType, target: Xsd | EnumType) -> bool:
    if isinstance(target, EnumType):
        return _ENUM_COLUMN_TYPES.get(column_type) == target.name
    if target is Xsd.STRING:
        return column_type in _TEXT_COLUMN_TYPES
    return target in _SIMPLE_COLUMN_TYPES.get(column_type, frozenset())


def _type_name(type_: Xsd | EnumType) -> str:
    return type_.name if isinstance(type_, EnumType) else f"xs:{type_.value}"
