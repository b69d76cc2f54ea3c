"""Generate bulkimport/nmbrs/rest/schema.py, the client's REST operation table, from Nmbrs'
OpenAPI document.

For each operation the templates, pre-flight and reconciliation use: method, path, effect
(GET reads, PUT updates, POST inserts), the request as the seam's `Field`s (path placeholders,
query filters, then the JSON body as one record named `body`, every `$ref` resolved, read-only
properties left out) and where a POST's 201 carries the new id. Enumerations that mapping
coerces cells to (gender, address, bank account and salary types) are declared with the seam's
enumerations: the codec translates their values to REST's spelling. Run from the repository
root:

    python scripts/gen_rest_table.py [path/to/nmbrs-openapi.yaml]

Without an argument the document is $NMBRS_OPENAPI, else ../shared beside the repository.

Needs PyYAML (it comes with openapi-core in the `test` extra) and ruff (to format the output).
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, Final

import yaml

DEFAULT_SPEC: Final = Path("../shared/nmbrs/rest-openapi/nmbrs-openapi.yaml")
OUTPUT: Final = Path("bulkimport/nmbrs/rest/schema.py")

# The operations the client uses (operationId as in the document).
USED: Final = (
    "getCompanies",
    "getCurrentPeriod",
    "getCompanyAddresses",
    "getEmployeesByCompany",
    "getEmployee",
    "getEmployeePersonalInfoByCompany",
    "getAddressesByCompany",
    "getBankAccountsByCompany",
    "getContractsByCompany",
    "getSalariesByCompany",
    "getSchedulesByCompany",
    "createEmployee",
    "UpdateEmployeePersonalInfo",
    "updateEmployeeSocialSecurityNumber",
    "createEmployeeAddress",
    "createEmployeeBankAccount",
    "createEmployeeContract",
    "createEmployeeSalary",
    "createEmployeeSchedule",
)
# The read whose answer a whole-record PUT is merged into, and that PUT: the read's result is
# declared as the PUT's body record (the backend converts the answer to it).
MERGE_READS: Final = {"getEmployee": "UpdateEmployeePersonalInfo"}
# Properties whose enumeration is one the seam declares (bulkimport.backend), by name, or by
# (operationId, name) where the name alone is too common.
SEAM_ENUMS: Final = {
    "gender": "GENDER",
    "bankAccountType": "BANK_ACCOUNT_TYPE",
    ("createEmployeeAddress", "type"): "ADDRESS_TYPE",
    ("createEmployeeSalary", "type"): "SALARY_TYPE",
}
# Enumerations filled from text columns whose values the codec translates (marital status).
TEXT_ENUMS: Final = frozenset({"maritalStatus"})
EFFECTS: Final = {"GET": "Effect.READ", "PUT": "Effect.UPDATE", "POST": "Effect.INSERT"}


def resolve(document: dict[str, Any], node: Any) -> Any:
    """The node with every $ref inlined; a single-member allOf is the member itself."""
    if isinstance(node, list):
        return [resolve(document, item) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        target: Any = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        return resolve(document, target)
    resolved = {key: resolve(document, value) for key, value in node.items()}
    members = resolved.get("allOf")
    if isinstance(members, list) and len(members) == 1:
        merged = {**members[0], **{k: v for k, v in resolved.items() if k != "allOf"}}
        return merged
    return resolved


class Emitter:
    """Python source for the seam's Field/ComplexType/EnumType values of one operation."""

    def __init__(self, operation_id: str) -> None:
        self.operation_id = operation_id

    def simple(self, name: str, schema: dict[str, Any]) -> str:
        seam = SEAM_ENUMS.get((self.operation_id, name)) or SEAM_ENUMS.get(name)
        if seam is not None:
            return str(seam)
        kind, form = schema.get("type"), schema.get("format")
        if "enum" in schema and name not in TEXT_ENUMS:
            values = tuple(str(value) for value in schema["enum"])
            return f"EnumType({name[0].upper() + name[1:]!r}, {values!r})"
        if kind == "integer":
            return "Xsd.INT"
        if kind == "number":
            return "Xsd.DECIMAL"
        if kind == "boolean":
            return "Xsd.BOOLEAN"
        if form == "uuid":
            return "Xsd.UUID"
        if form == "date":
            return "Xsd.DATE"
        if form == "date-time":
            return "Xsd.DATETIME"
        return "Xsd.STRING"

    def record(self, name: str, schema: dict[str, Any]) -> str:
        required = set(schema.get("required", ()))
        fields = [
            self.field(child, child_schema, required=child in required)
            for child, child_schema in schema.get("properties", {}).items()
            if not child_schema.get("readOnly")
        ]
        return f"ComplexType({name!r}, ({''.join(f + ', ' for f in fields)}))"

    def field(self, name: str, schema: dict[str, Any], *, required: bool) -> str:
        if schema.get("type") == "array":
            inner = self.type_of(name, schema.get("items", {}))
            return f"Field({name!r}, {inner}, min_occurs=0, max_occurs=None)"
        options = ""
        if not required:
            options += ", min_occurs=0"
        if schema.get("nullable"):
            options += ", nillable=True"
        return f"Field({name!r}, {self.type_of(name, schema)}{options})"

    def type_of(self, name: str, schema: dict[str, Any]) -> str:
        if schema.get("type") == "object" or "properties" in schema:
            title = schema.get("title") or f"{self.operation_id}.{name}"
            return self.record(title, schema)
        return self.simple(name, schema)


def parameters(document: dict[str, Any], item: dict[str, Any], operation: dict[str, Any]) -> Any:
    listed = [*item.get("parameters", []), *operation.get("parameters", [])]
    return [resolve(document, parameter) for parameter in listed]


def operation_source(
    document: dict[str, Any], path: str, method: str, operation: dict[str, Any], item: Any
) -> str:
    operation_id = operation["operationId"]
    emit = Emitter(operation_id)
    params = parameters(document, item, operation)
    by_name = {p["name"]: p for p in params}
    request: list[str] = []
    for name in re.findall(r"{(\w+)}", path):
        schema = by_name.get(name, {}).get("schema", {"type": "string", "format": "uuid"})
        request.append(f"Field({name!r}, {emit.simple(name, schema)})")
    query = [p for p in params if p.get("in") == "query"]
    for parameter in query:
        schema = parameter.get("schema", {})
        request.append(f"Field({parameter['name']!r}, {emit.simple(parameter['name'], schema)}, "
                       "min_occurs=0)")  # fmt: skip
    body = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if body:
        schema = resolve(document, body["schema"])
        request.append(f"Field(BODY, {emit.record(schema.get('title') or operation_id, schema)})")
    result = "None"
    if method == "POST":
        created = resolve(document, operation["responses"]["201"])
        properties = created["content"]["application/json"]["schema"]["properties"]
        (id_name,) = properties
        result = f"Field({id_name!r}, Xsd.UUID)"
    paged = any(p["name"] == "pageNumber" for p in params)
    lines = [
        f"name={operation_id!r}",
        f"method={method!r}",
        f"path={path!r}",
        f"effect={EFFECTS[method]}",
        f"request=({''.join(r + ', ' for r in request)})",
        f"result={result}",
        f"paged={paged}",
        f"creates_employee={operation_id == 'createEmployee'}",
    ]
    return f"RestOperation({', '.join(lines)})"


def generate(document: dict[str, Any], digest: str) -> str:
    found: dict[str, str] = {}
    put_bodies: dict[str, str] = {}
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or operation.get("operationId") not in USED:
                continue
            operation_id = operation["operationId"]
            found[operation_id] = operation_source(document, path, method.upper(), operation, item)
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if body:
                schema = resolve(document, body["schema"])
                title = schema.get("title") or operation_id
                put_bodies[operation_id] = Emitter(operation_id).record(title, schema)
    missing = set(USED) - set(found)
    if missing:
        raise SystemExit(f"not in the document: {', '.join(sorted(missing))}")
    # One record object for the read and the PUT: the template loader and the mapper know the
    # record a merge supplies by identity.
    records = ""
    for reader, writer in MERGE_READS.items():
        constant = f"_{writer.upper()}_BODY"
        records += f"{constant}: Final = {put_bodies[writer]}\n\n"
        found[writer] = found[writer].replace(put_bodies[writer], constant)
        found[reader] = found[reader].replace("result=None", f"result=Field(BODY, {constant})")
    entries = "".join(f"    {name!r}: {found[name]},\n" for name in USED)
    return (
        '"""The REST operations the client uses, from Nmbrs\' OpenAPI document. Generated: do '
        "not edit.\n\n"
        f"Source: nmbrs-openapi.yaml, info.version {document['info']['version']},\n"
        f"sha256 {digest},\nwritten by scripts/gen_rest_table.py.\n"
        '"""\n\n'
        "from __future__ import annotations\n\n"
        "from collections.abc import Mapping\n"
        "from typing import Final\n\n"
        "from bulkimport.backend import (\n"
        "    ADDRESS_TYPE, BANK_ACCOUNT_TYPE, GENDER, SALARY_TYPE, ComplexType, Effect, EnumType,\n"
        "    Field, Xsd,\n"
        ")\n"
        "from bulkimport.nmbrs.rest.table import BODY, RestOperation\n\n"
        '__all__ = ["OPERATIONS", "lookup_operation"]\n\n'
        f"{records}"
        f"OPERATIONS: Final[Mapping[str, RestOperation]] = {{\n{entries}}}\n\n\n"
        "def lookup_operation(name: str) -> RestOperation:\n"
        '    """The operation by operationId; KeyError when the client does not use it."""\n'
        "    return OPERATIONS[name]\n"
    )


def main() -> None:
    spec = Path(sys.argv[1] if len(sys.argv) > 1 else os.environ.get("NMBRS_OPENAPI", DEFAULT_SPEC))
    raw = spec.read_bytes()
    source = generate(yaml.safe_load(raw), hashlib.sha256(raw).hexdigest())
    OUTPUT.write_text(source, encoding="utf-8")
    # A fixed command on our own output file, nothing taken from the user.
    subprocess.run(["ruff", "format", "--quiet", str(OUTPUT)], check=True)  # noqa: S603, S607
    print(f"wrote {OUTPUT}")


if __name__ == "__main__":
    main()
