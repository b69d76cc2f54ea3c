"""Generate bulkimport/emulator/rest/schemas.py from Nmbrs' OpenAPI document.

The emulator embeds only what its REST door serves: for each operation its method, path,
success status, OAuth scopes and request-body schema, with every `$ref` resolved and the
prose (descriptions, examples) left out. Run from the repository root:

    python scripts/gen_rest_schemas.py [path/to/nmbrs-openapi.yaml]

Needs PyYAML (it comes with openapi-core in the `test` extra) and ruff (to format the output).
"""

from __future__ import annotations

import hashlib
import pprint
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

DEFAULT_SPEC = Path("../shared/nmbrs/rest-openapi/nmbrs-openapi.yaml")
OUTPUT = Path("bulkimport/emulator/rest/schemas.py")

# The operations the templates, pre-flight and reconciliation use (operationId as in the spec).
SERVED = (
    "getCompanies",
    "getCurrentPeriod",
    "getCompanyAddresses",
    "getEmployeesByCompany",
    "createEmployee",
    "getEmployee",
    "UpdateEmployeePersonalInfo",
    "updateEmployeeSocialSecurityNumber",
    "createEmployeeAddress",
    "createEmployeeBankAccount",
    "createEmployeeContract",
    "createEmployeeSalary",
    "createEmployeeSchedule",
    "getEmployeePersonalInfoByCompany",
    "getAddressesByCompany",
    "getBankAccountsByCompany",
    "getContractsByCompany",
    "getSalariesByCompany",
    "getSchedulesByCompany",
)
# The schema keywords the emulator's validator understands; everything else is prose.
KEPT = {
    "type",
    "format",
    "enum",
    "required",
    "properties",
    "items",
    "additionalProperties",
    "nullable",
    "allOf",
    "readOnly",
    "minimum",
    "maximum",
    "minLength",
}


def resolve(document: dict[str, Any], node: Any) -> Any:
    """The node with every $ref inlined and only the validation keywords kept."""
    if isinstance(node, list):
        return [resolve(document, item) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        target: Any = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        return resolve(document, target)
    kept: dict[str, Any] = {}
    for key, value in node.items():
        if key not in KEPT:
            continue
        if key == "properties":
            kept[key] = {name: resolve(document, item) for name, item in value.items()}
        else:
            kept[key] = resolve(document, value)
    return kept


def operations(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or operation.get("operationId") not in SERVED:
                continue
            success = min(code for code in operation["responses"] if code.startswith("2"))
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            scopes = [scope for entry in operation.get("security", []) for scope in entry["Bearer"]]
            found[operation["operationId"]] = {
                "method": method.upper(),
                "path": path,
                "status": int(success),
                "scopes": scopes,
                "body": resolve(document, body["schema"]) if body else None,
            }
    missing = set(SERVED) - set(found)
    if missing:
        raise SystemExit(f"not in the document: {', '.join(sorted(missing))}")
    return {name: found[name] for name in SERVED}


def main() -> None:
    spec = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_SPEC
    raw = spec.read_bytes()
    document = yaml.safe_load(raw)
    scopes = sorted(document["components"]["securitySchemes"]["Bearer"]["flows"]
                    ["authorizationCode"]["scopes"])  # fmt: skip
    table = pprint.pformat(operations(document), width=96, sort_dicts=False)
    OUTPUT.write_text(
        '"""What the REST door serves, from Nmbrs\' OpenAPI document. Generated: do not edit.\n\n'
        f"Source: nmbrs-openapi.yaml, info.version {document['info']['version']},\n"
        f"sha256 {hashlib.sha256(raw).hexdigest()},\nwritten by scripts/gen_rest_schemas.py.\n"
        '"""\n\n'
        "from __future__ import annotations\n\n"
        "from typing import Any, Final\n\n"
        f"SCOPES: Final[tuple[str, ...]] = {tuple(scopes)!r}\n\n"
        f"OPERATIONS: Final[dict[str, dict[str, Any]]] = {table}\n",
        encoding="utf-8",
    )
    # A fixed command on our own output file, nothing taken from the user.
    subprocess.run(["ruff", "format", "--quiet", str(OUTPUT)], check=True)  # noqa: S603, S607
    print(f"wrote {OUTPUT}")


if __name__ == "__main__":
    main()
