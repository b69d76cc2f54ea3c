"""The committed REST operation table is what scripts/gen_rest_table.py makes of the document."""

from __future__ import annotations

import hashlib
import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from typing import Final

import pytest

from bulkimport.backend import ADDRESS_TYPE, GENDER, ComplexType, Effect, Xsd
from bulkimport.nmbrs.rest.schema import OPERATIONS, lookup_operation
from bulkimport.nmbrs.rest.table import BODY

ROOT: Final = Path(__file__).resolve().parents[3]
SPEC: Final = Path(
    os.environ.get("NMBRS_OPENAPI")
    or ROOT.parent / "shared" / "nmbrs" / "rest-openapi" / "nmbrs-openapi.yaml"
)


@pytest.mark.skipif(
    not SPEC.is_file(), reason=f"Nmbrs' OpenAPI document is not at {SPEC} (../shared is absent)"
)
def test_the_committed_table_is_what_the_script_generates(tmp_path: Path) -> None:
    yaml = pytest.importorskip("yaml")
    spec = importlib.util.spec_from_file_location(
        "gen_rest_table", ROOT / "scripts" / "gen_rest_table.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    raw = SPEC.read_bytes()
    generated = tmp_path / "schema.py"
    generated.write_text(module.generate(yaml.safe_load(raw), hashlib.sha256(raw).hexdigest()))
    ruff = Path(sys.executable).with_name("ruff")
    subprocess.run([str(ruff), "format", "--quiet", str(generated)], check=True, cwd=ROOT)
    committed = (ROOT / "bulkimport" / "nmbrs" / "rest" / "schema.py").read_text()
    assert generated.read_text() == committed, "run scripts/gen_rest_table.py"


def test_posts_insert_and_say_where_the_new_id_is() -> None:
    address = lookup_operation("createEmployeeAddress")
    assert (address.method, address.effect) == ("POST", Effect.INSERT)
    assert address.result is not None and address.result.name == "addressId"
    assert address.path_names == ("employeeId",)
    body = address.body
    assert body is not None
    assert body.field("type").type == ADDRESS_TYPE  # the seam's enumeration: mapping fills it
    assert body.field("street").required and not body.field("houseNumber").required


def test_reads_and_puts_and_the_record_a_merge_reads() -> None:
    assert all(op.effect is Effect.READ for op in OPERATIONS.values() if op.method == "GET")
    update = lookup_operation("UpdateEmployeePersonalInfo")
    assert update.effect is Effect.UPDATE
    reader = lookup_operation("getEmployee")
    assert reader.result is not None and reader.result.name == BODY
    assert reader.result.type == update.body  # what the merge reads is the record the PUT writes
    assert lookup_operation("createEmployee").creates_employee
    assert lookup_operation("getEmployeesByCompany").paged
    personal = update.body
    assert isinstance(personal, ComplexType)
    birth = personal.field("birthInfo").type
    assert isinstance(birth, ComplexType)
    assert birth.field("gender").type == GENDER
    assert birth.field("birthDate").type is Xsd.DATETIME  # the PUT's dates are date-time
    with pytest.raises(KeyError):
        lookup_operation("deleteEmployee")
