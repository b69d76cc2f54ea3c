"""Template loading: the happy path and every load-time error, from small TOML files."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from bulkimport.backend import OperationShape
from bulkimport.cli import main
from bulkimport.config import Country
from bulkimport.errors import TemplateError
from bulkimport.mapping import template as template_module
from bulkimport.mapping.coerce import ColumnType
from bulkimport.mapping.template import (
    ColumnSource,
    ContextSource,
    EmployeeSource,
    LiteralSource,
    StepSource,
    Template,
    list_builtin_templates,
    load_builtin_template,
    load_template,
)
from bulkimport.nmbrs.soap.schema import lookup_operation

REPOSITORY_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

HEADER = """
name = "t"
description = "test template"
creates_employee = {creates}
key = "number"
"""

COLUMNS = """
[[columns]]
name = "number"
aliases = ["Personeelsnummer"]
type = "int"
required = true

[[columns]]
name = "street"
aliases = ["Straat"]
type = "text"

[[columns]]
name = "kind"
type = "address_type"
default = "woonadres"

[[columns]]
name = "first_name"
aliases = ["Voornaam", "Förnamn"]
type = "text"
required = true

[[columns]]
name = "start"
type = "date"
required = true
"""

ADDRESS_STEP = """
[[operations]]
step = "address"
operation = "Address_InsertCurrent"

[operations.fields]
EmployeeId = { employee = true }
Address.Id = { value = 0 }
Address.Default = { value = true }
Address.Street = { column = "street" }
Address.Type = { column = "kind" }
"""

HIRE_STEPS = """
[[operations]]
step = "employee"
operation = "Employee_Insert"

[operations.fields]
FirstName = { column = "first_name" }
StartDate = { column = "start" }
CompanyId = { context = "company_id" }
UnprotectedMode = { value = false }

[[operations]]
step = "address"
operation = "Address_InsertCurrent"
when_any = ["street"]

[operations.fields]
EmployeeId = { step = "employee" }
Address.Id = { value = 0 }
Address.Default = { value = true }
Address.Street = { column = "street" }
Address.Type = { column = "kind" }
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "t.toml"
    path.write_text(text, encoding="utf-8")
    return path


def update_template(steps: str = ADDRESS_STEP, columns: str = COLUMNS) -> str:
    return HEADER.format(creates="false") + columns + steps


def load_error(tmp_path: Path, text: str) -> str:
    path = write(tmp_path, text)
    with pytest.raises(TemplateError) as caught:
        load_template(path, lookup_operation)
    message = str(caught.value)
    assert message.startswith(f"{path}: "), message  # every message names the file
    return message


# --- loading ---------------------------------------------------------------------------------
def test_update_template_loads_with_typed_sources(tmp_path: Path) -> None:
    template = load_template(write(tmp_path, update_template()), lookup_operation)

    assert isinstance(template, Template)
    assert (template.name, template.key, template.creates_employee) == ("t", "number", False)
    assert [c.name for c in template.columns] == ["number", "street", "kind", "first_name", "start"]
    assert template.key_column.type is ColumnType.INT
    assert template.column("kind").default_for(Country.NL) == "HomeAddress"
    assert template.column("street").default_for(Country.NL) is None
    (step,) = template.operations
    assert step.operation.name == "Address_InsertCurrent"
    sources = {m.dotted: m.source for m in step.fields}
    assert sources == {
        "EmployeeId": EmployeeSource(),
        "Address.Id": LiteralSource(0),
        "Address.Default": LiteralSource(True),
        "Address.Street": ColumnSource("street"),
        "Address.Type": ColumnSource("kind"),
    }
    assert len(template.digest) == 64


def test_step_and_context_sources(tmp_path: Path) -> None:
    template = load_template(
        write(tmp_path, HEADER.format(creates="true") + COLUMNS + HIRE_STEPS), lookup_operation
    )

    employee, address = template.operations
    assert {m.dotted: m.source for m in employee.fields}["CompanyId"] == ContextSource("company_id")
    assert {m.dotted: m.source for m in address.fields}["EmployeeId"] == StepSource("employee")
    assert address.when_any == ("street",)


def test_literals_take_the_schema_type(tmp_path: Path) -> None:
    steps = """
[[operations]]
step = "schedule"
operation = "Schedule_Update"

[operations.fields]
EmployeeId = { employee = true }
Start = { value = 2026-12-01 }
CompanyRoosterNr = { value = 0 }
Schedule.HoursMonday = { value = 7.5 }
Schedule.HoursTuesday = { value = 8 }
Schedule.HoursWednesday = { value = 0 }
Schedule.HoursThursday = { value = 0 }
Schedule.HoursFriday = { value = 0 }
Schedule.HoursSaturday = { value = 0 }
Schedule.HoursSunday = { value = 0 }
Schedule.HoursMonday2 = { value = 0 }
Schedule.HoursTuesday2 = { value = 0 }
Schedule.HoursWednesday2 = { value = 0 }
Schedule.HoursThursday2 = { value = 0 }
Schedule.HoursFriday2 = { value = 0 }
Schedule.HoursSaturday2 = { value = 0 }
Schedule.HoursSunday2 = { value = 0 }
Schedule.ParttimePercentage = { value = 100 }
Schedule.StartDate = { value = 2026-12-01 }
"""
    template = load_template(write(tmp_path, update_template(steps)), lookup_operation)

    sources = {m.dotted: m.source for m in template.operations[0].fields}
    assert sources["Schedule.HoursMonday"] == LiteralSource(Decimal("7.5"))
    assert sources["Start"] == LiteralSource(date(2026, 12, 1))


def test_templates_load_against_the_operations_they_are_given(tmp_path: Path) -> None:
    """The loader knows no API of its own: an operation the backend lacks is unknown."""
    path = write(tmp_path, update_template())

    def soap_without_addresses(name: str) -> OperationShape:
        if name == "Address_InsertCurrent":
            raise KeyError(name)
        return lookup_operation(name)

    assert load_template(path, lookup_operation).operations[0].operation.name == (
        "Address_InsertCurrent"
    )
    with pytest.raises(TemplateError, match="unknown operation 'Address_InsertCurrent'"):
        load_template(path, soap_without_addresses)


def test_builtin_templates_are_found_by_name() -> None:
    """Every template in the repository's templates/ folder is one the package finds."""
    in_repository = sorted(p.stem for p in REPOSITORY_TEMPLATES.glob("*.toml"))
    assert len(in_repository) == 7
    assert [t.name for t in list_builtin_templates(lookup_operation)] == in_repository
    assert load_builtin_template("address", lookup_operation).name == "address"


def test_the_package_reads_the_repository_templates_folder() -> None:
    """`bulkimport/templates` is a link to the top-level folder, so both are the same files."""
    packaged = Path(__file__).resolve().parent.parent / "bulkimport" / "templates"
    assert packaged.resolve() == REPOSITORY_TEMPLATES.resolve()


def test_no_templates_found_is_an_error_not_an_empty_list(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(template_module, "BUILTIN_TEMPLATES_FOLDER", "no_such_folder")
    with pytest.raises(TemplateError, match="no templates found"):
        list_builtin_templates(lookup_operation)
    with pytest.raises(TemplateError, match="no templates found"):
        load_builtin_template("new_hire", lookup_operation)
    assert main(["templates"]) == 2
    assert "no templates found" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["no_such_template", "../templates/address"])
def test_unknown_builtin_template_lists_the_known_ones(name: str) -> None:
    with pytest.raises(TemplateError, match=r"unknown template .*shipped templates: address"):
        load_builtin_template(name, lookup_operation)


def test_missing_file_and_bad_toml(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match="cannot read template"):
        load_template(tmp_path / "absent.toml", lookup_operation)
    assert "not valid TOML" in load_error(tmp_path, "name = ")


# --- load-time errors ------------------------------------------------------------------------
def replace(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        pytest.param(
            '"Address_InsertCurrent"',
            '"Address_Insertcurrent"',
            "operations[0] (step 'address').operation: unknown operation 'Address_Insertcurrent'",
            id="unknown-operation",
        ),
        pytest.param(
            'operation = "Address_InsertCurrent"',
            'operation = "PersonalInfo_GetCurrent"',
            "only reads",
            id="read-operation-as-step",
        ),
        pytest.param(
            "Address.Street =",
            "Address.Streat =",
            ".fields.Address.Streat: Address has no field 'Streat'",
            id="unknown-nested-field",
        ),
        pytest.param(
            "Address.Street =",
            "Address.street =",
            "did you mean 'Street'? names are case-sensitive",
            id="wrong-case-field",
        ),
        pytest.param(
            "EmployeeId =",
            "EmployeeID =",
            ".fields.EmployeeID: the request has no field 'EmployeeID'",
            id="unknown-top-field",
        ),
        pytest.param(
            'Address.Street = { column = "street" }',
            "Address.Street = {}",
            ".fields.Address.Street: needs exactly one source, found none",
            id="no-source",
        ),
        pytest.param(
            'Address.Street = { column = "street" }',
            'Address.Street = { column = "street", value = "Dam" }',
            "needs exactly one source, found column and value",
            id="two-sources",
        ),
        pytest.param(
            'Address.Street = { column = "street" }',
            'Address.Street = { colum = "street" }',
            "unknown source 'colum'",
            id="unknown-source-kind",
        ),
        pytest.param(
            'Address.Street = { column = "street" }',
            'Address.Street = "street"',
            "must be an inline table with one source",
            id="bare-value",
        ),
        pytest.param(
            'Address.Street = { column = "street" }',
            'Address.Street = { column = "straat" }',
            ".fields.Address.Street: unknown column 'straat'",
            id="unknown-column",
        ),
        pytest.param(
            'Address.Type = { column = "kind" }',
            'Address.Type = { column = "street" }',
            "column 'street' of type text cannot fill a field of type AddressType",
            id="column-type-mismatch",
        ),
        pytest.param(
            "Address.Id = { value = 0 }",
            'Address.Id = { value = "0" }',
            "literal '0' does not fit a field of type xs:int",
            id="literal-text-for-int",
        ),
        pytest.param(
            "Address.Default = { value = true }",
            "Address.Default = { value = 1 }",
            "literal 1 does not fit a field of type xs:boolean",
            id="literal-int-for-boolean",
        ),
        pytest.param(
            'Address.Type = { column = "kind" }',
            'Address.Type = { value = "Home" }',
            "literal 'Home' does not fit a field of type AddressType",
            id="literal-not-in-enum",
        ),
        pytest.param(
            'Address.Street = { column = "street" }',
            "Address.Street = { value = 2026-12-01T08:00:00 }",
            "does not fit a field of type xs:string",
            id="literal-datetime",
        ),
        pytest.param(
            'Address.Type = { column = "kind" }\n',
            "\n",
            "required field Address.Type is not mapped",
            id="required-nested-field-unmapped",
        ),
        pytest.param(
            "EmployeeId = { employee = true }\n",
            "\n",
            "required field EmployeeId is not mapped",
            id="required-top-field-unmapped",
        ),
        pytest.param(
            "EmployeeId = { employee = true }",
            "EmployeeId = { employee = false }",
            "write { employee = true }",
            id="employee-false",
        ),
        pytest.param(
            "EmployeeId = { employee = true }",
            'EmployeeId = { context = "debtor_id" }',
            "unknown context value 'debtor_id'",
            id="unknown-context",
        ),
        pytest.param(
            "EmployeeId = { employee = true }",
            'EmployeeId = { step = "employee" }',
            "'employee' is an unknown step",
            id="unknown-step",
        ),
        pytest.param(
            'Address.Street = { column = "street" }',
            "Address.Street = { employee = true }",
            "an EmployeeId (int or UUID) cannot fill a field of type xs:string",
            id="employee-into-text",
        ),
        pytest.param(
            'step = "address"',
            'step = "address"\nwhen_any = ["straat"]',
            ".when_any: unknown column 'straat'",
            id="when-any-unknown-column",
        ),
        pytest.param(
            'step = "address"',
            'step = "address"\nwhen = ["street"]',
            "unknown key 'when'",
            id="unknown-operation-key",
        ),
    ],
)
def test_load_errors_name_the_offending_key(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    assert expected in load_error(tmp_path, replace(update_template(), old, new))


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        pytest.param(
            'type = "address_type"',
            'type = "adres_type"',
            "column 'kind': unknown type 'adres_type' (known: text, int",
            id="unknown-column-type",
        ),
        pytest.param(
            'default = "woonadres"',
            'default = "zomerhuis"',
            "column 'kind'.default: 'zomerhuis' is not a valid address_type",
            id="invalid-default",
        ),
        pytest.param(
            'aliases = ["Straat"]',
            'aliases = ["Voor naam"]',
            "column 'first_name': name or alias 'Voornaam' matches the same header as "
            "column 'street'",
            id="alias-collides-after-normalising",
        ),
        pytest.param(
            'name = "street"',
            'name = "number"',
            "column 'number': is declared twice",
            id="duplicate-column-name",
        ),
        pytest.param(
            'name = "street"\naliases = ["Straat"]\ntype = "text"',
            'name = "street"\naliases = ["Straat"]\ntype = "text"\nrequired = "yes"',
            "column 'street'.required: must be true or false",
            id="required-not-boolean",
        ),
        pytest.param(
            'name = "street"\naliases = ["Straat"]\ntype = "text"',
            'name = "street"\naliases = ["Straat"]\ntype = "text"\nformat = "x"',
            "unknown key 'format'",
            id="unknown-column-key",
        ),
    ],
)
def test_column_errors(tmp_path: Path, old: str, new: str, expected: str) -> None:
    assert expected in load_error(tmp_path, update_template(columns=replace(COLUMNS, old, new)))


def test_record_mapped_as_a_leaf(tmp_path: Path) -> None:
    steps = """
[[operations]]
step = "address"
operation = "Address_InsertCurrent"

[operations.fields]
EmployeeId = { employee = true }
Address = { column = "street" }
"""
    message = load_error(tmp_path, update_template(steps))
    assert ".fields.Address: Address is a record (EmployeeAddress): map its fields" in message


def test_key_column_must_exist(tmp_path: Path) -> None:
    text = replace(update_template(), 'key = "number"', 'key = "personeelsnummer"')
    assert "key: names column 'personeelsnummer', which is not declared" in load_error(
        tmp_path, text
    )


def test_key_column_must_be_a_required_int(tmp_path: Path) -> None:
    text = replace(update_template(), 'key = "number"', 'key = "street"')
    assert "key: column 'street' must be a required int column" in load_error(tmp_path, text)


def test_key_is_required(tmp_path: Path) -> None:
    text = replace(update_template(), 'key = "number"\n', "")
    assert "top level: 'key' is missing" in load_error(tmp_path, text)


def test_unknown_top_level_key(tmp_path: Path) -> None:
    text = replace(update_template(), 'key = "number"', 'key = "number"\nversion = 2')
    assert "top level: unknown key 'version'" in load_error(tmp_path, text)


def test_step_may_not_refer_to_a_later_step(tmp_path: Path) -> None:
    hire = HEADER.format(creates="true") + COLUMNS + HIRE_STEPS
    employee_first, address_second = hire.split("[[operations]]")[1:]
    swapped = hire.split("[[operations]]")[0] + "[[operations]]" + address_second
    swapped += "[[operations]]" + employee_first
    message = load_error(tmp_path, swapped)
    assert "operations[0] (step 'address').fields.EmployeeId: 'employee' is a later step" in message


def test_step_may_not_use_a_step_that_can_be_skipped(tmp_path: Path) -> None:
    extra = """
[[operations]]
step = "bank"
operation = "BankAccount_InsertCurrent"

[operations.fields]
EmployeeId = { step = "address" }
BankAccount.Id = { value = 0 }
BankAccount.Type = { value = "Bankrekening1" }
"""
    text = HEADER.format(creates="true") + COLUMNS + HIRE_STEPS + extra
    assert "step 'address' may be skipped" in load_error(tmp_path, text)


def test_duplicate_step_ids(tmp_path: Path) -> None:
    text = update_template(ADDRESS_STEP + ADDRESS_STEP)
    assert "operations[1].step: step 'address' is declared twice" in load_error(tmp_path, text)


def test_employee_source_needs_an_update_template(tmp_path: Path) -> None:
    text = HEADER.format(creates="true") + COLUMNS + ADDRESS_STEP
    assert "refers to an existing employee, but this template creates" in load_error(tmp_path, text)


PERSONAL_STEP = """
[[operations]]
step = "personal"
operation = "PersonalInfo_UpdateCurrent"
merge_from = "{merge}"

[operations.fields]
EmployeeId = {{ employee = true }}
PersonalInfo.FirstName = {{ column = "first_name" }}
"""


def test_merge_from_lets_the_current_record_supply_required_fields(tmp_path: Path) -> None:
    template = load_template(
        write(tmp_path, update_template(PERSONAL_STEP.format(merge="PersonalInfo_GetCurrent"))),
        lookup_operation,
    )
    step = template.operations[0]
    assert step.merge_from is not None and step.merge_from.name == "PersonalInfo_GetCurrent"


def test_without_merge_from_required_record_fields_must_be_mapped(tmp_path: Path) -> None:
    text = update_template(PERSONAL_STEP.format(merge="x").replace('merge_from = "x"\n', ""))
    assert "required field PersonalInfo.Id is not mapped" in load_error(tmp_path, text)


@pytest.mark.parametrize(
    ("merge", "expected"),
    [
        ("Salary_GetCurrent", "must be a read operation returning the record"),
        ("Address_InsertCurrent", "must be a read operation returning the record"),
        ("PersonalInfo_Get", "merge_from: unknown operation 'PersonalInfo_Get'"),
    ],
)
def test_merge_from_must_read_the_same_record(tmp_path: Path, merge: str, expected: str) -> None:
    text = update_template(PERSONAL_STEP.format(merge=merge))
    assert expected in load_error(tmp_path, text)


def test_no_operations(tmp_path: Path) -> None:
    assert "declare at least one [[operations]]" in load_error(tmp_path, update_template(""))
