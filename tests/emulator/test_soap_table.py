"""The emulator's SOAP table (generated from Nmbrs' WSDLs) against the client's (written by hand).

Two independent readings of Nmbrs' documents: any difference is a mistake in one of them.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from typing import Any, Final

import pytest

from bulkimport.emulator.soap import shapes
from bulkimport.emulator.soap.schema import OPERATIONS as EMULATOR_OPERATIONS
from bulkimport.nmbrs.soap import schema as client
from bulkimport.nmbrs.soap.schema import OPERATIONS as CLIENT_OPERATIONS


def _shape(field_type: Any) -> object:
    """A comparable description of a type: simple type name, enum values, or nested fields."""
    if isinstance(field_type, shapes.Xsd | client.Xsd):
        return field_type.value
    if isinstance(field_type, shapes.EnumType | client.EnumType):
        return ("enum", field_type.name, field_type.values)
    return ("sequence", field_type.name, tuple(_field(f) for f in field_type.fields))


def _field(field: Any) -> object:
    if field is None:
        return None
    return (field.name, _shape(field.type), field.min_occurs, field.max_occurs, field.nillable)


def test_both_tables_list_the_same_operations_in_the_same_order() -> None:
    emulator = [(op.service, op.name) for op in EMULATOR_OPERATIONS]
    assert emulator == [op.key for op in CLIENT_OPERATIONS]


def test_every_operation_has_the_same_request_and_result_in_both_tables() -> None:
    client_by_key = {op.key: op for op in CLIENT_OPERATIONS}
    for operation in EMULATOR_OPERATIONS:
        theirs = client_by_key[(operation.service, operation.name)]
        assert [_field(f) for f in operation.request] == [_field(f) for f in theirs.request], (
            operation.name
        )
        assert _field(operation.result) == _field(theirs.result), operation.name
        assert operation.namespace == theirs.namespace


def test_the_comparison_sees_a_difference() -> None:
    """A cardinality change deep inside a type must make the shapes differ."""
    employee = client.find_operation("EmployeeService", "PersonalInfo_GetCurrent").result
    assert employee is not None
    changed = client.Field(employee.name, employee.type, 1, 1)
    assert _field(changed) != _field(employee)


REPOSITORY: Final = Path(__file__).resolve().parents[2]
WSDL_DIR: Final = REPOSITORY / ".." / "shared" / "nmbrs" / "wsdl-v2.1"


def test_the_committed_table_is_what_the_script_generates(tmp_path: Path) -> None:
    """Nobody edits the generated module by hand: regenerating it gives the same text."""
    if not WSDL_DIR.is_dir():
        pytest.skip(f"Nmbrs' v2.1 WSDLs are not here ({WSDL_DIR.resolve()}): a user's clone")
    script = REPOSITORY / "scripts" / "gen_soap_schema.py"
    spec = importlib.util.spec_from_file_location("gen_soap_schema", script)
    assert spec is not None and spec.loader is not None
    generator = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = generator  # its dataclasses look their module up there
    try:
        spec.loader.exec_module(generator)
        source = generator.generate(WSDL_DIR)
    finally:
        del sys.modules[spec.name]
    fresh = tmp_path / "schema.py"
    fresh.write_text(source, encoding="utf-8")
    subprocess.run([sys.executable, "-m", "ruff", "format", "-q", str(fresh)], check=True)
    committed = REPOSITORY / "bulkimport/emulator/soap/schema.py"
    assert fresh.read_text(encoding="utf-8") == committed.read_text(encoding="utf-8")
