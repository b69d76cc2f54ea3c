"""The emulator's generated WSDL: its schema compiles and validates the golden requests."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from lxml import etree

from bulkimport.emulator.wsdl import build_wsdl
from bulkimport.nmbrs.soap.envelope import SOAP_NAMESPACE
from bulkimport.nmbrs.soap.schema import (
    OPERATIONS,
    SERVICES,
    Operation,
    operations_of,
    service_namespace,
)

XS = "http://www.w3.org/2001/XMLSchema"
WSDL = "http://schemas.xmlsoap.org/wsdl/"
GOLDEN_DIR = Path(__file__).resolve().parents[1] / "golden"


def schema_of(service: str) -> etree.XMLSchema:
    document = build_wsdl(service, service_namespace(service), f"http://host/{service}.asmx")
    schema = etree.fromstring(document).find(f"{{{WSDL}}}types/{{{XS}}}schema")
    assert schema is not None
    # A schema cut out of its WSDL loses the prefixes declared on the root: declare them again.
    prefixes = {"s": XS, "tns": service_namespace(service)}
    standalone = etree.Element(
        schema.tag, {str(k): str(v) for k, v in schema.attrib.items()}, nsmap=prefixes
    )
    standalone.extend(copy.deepcopy(child) for child in schema)
    return etree.XMLSchema(standalone)


def test_wsdl_lists_every_operation_with_header_and_action() -> None:
    for service in SERVICES:
        root = etree.fromstring(build_wsdl(service, service_namespace(service), "http://h/x.asmx"))
        binding = root.find(f"{{{WSDL}}}binding")
        assert binding is not None
        names = [op.get("name") for op in binding.findall(f"{{{WSDL}}}operation")]
        assert names == [op.name for op in operations_of(service)]
        headers = binding.findall(".//{http://schemas.xmlsoap.org/wsdl/soap/}header")
        assert len(headers) == len(names)


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.name)
def test_golden_requests_are_valid_against_the_generated_schema(operation: Operation) -> None:
    schema = schema_of(operation.service)
    envelope = etree.fromstring((GOLDEN_DIR / f"{operation.name}.xml").read_bytes())
    body = envelope.find(f"{{{SOAP_NAMESPACE}}}Body")
    header = envelope.find(f"{{{SOAP_NAMESPACE}}}Header")
    assert body is not None and header is not None
    assert schema.validate(body[0]), schema.error_log
    assert schema.validate(header[0]), schema.error_log


def test_the_schema_refuses_a_misordered_request() -> None:
    schema = schema_of("EmployeeService")
    envelope = etree.fromstring((GOLDEN_DIR / "Employee_Insert.xml").read_bytes())
    body = envelope.find(f"{{{SOAP_NAMESPACE}}}Body")
    assert body is not None
    call = body[0]
    call.insert(0, call[1])  # LastName before FirstName
    assert not schema.validate(call)
