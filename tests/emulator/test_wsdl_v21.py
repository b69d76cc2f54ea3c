"""The operation table against Nmbrs' own published v2.1 WSDLs (namespace aside).

Every operation of the table that exists in the Feb-2020 WSDLs must have the same request and
response children there: names, order, types (complex types compared recursively),
minOccurs/maxOccurs and nillable. The only allowed differences are the operations listed in
`schema.V3_DIFFERENCES`, and each of those must really differ (or be absent), so the list
stays honest.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

import pytest
from lxml import etree

from bulkimport.nmbrs.soap.schema import (
    OPERATIONS,
    V3_DIFFERENCES,
    ComplexType,
    EnumType,
    Field,
    FieldType,
    Operation,
    Xsd,
)

WSDL_DIR: Final = Path(__file__).resolve().parents[2] / ".." / "shared" / "nmbrs" / "wsdl-v2.1"
XS: Final = "http://www.w3.org/2001/XMLSchema"
WSDL: Final = "http://schemas.xmlsoap.org/wsdl/"
ALLOWED: Final = frozenset(difference.operation for difference in V3_DIFFERENCES)

# (name, type description, minOccurs, maxOccurs or None for unbounded, nillable)
Shape = tuple[tuple[str, Any, int, int | None, bool], ...]


class WsdlSchema:
    """The types section of one v2.1 WSDL, read into comparable shapes."""

    def __init__(self, path: Path) -> None:
        root = etree.parse(str(path)).getroot()
        schema = root.find(f"{{{WSDL}}}types/{{{XS}}}schema")
        assert schema is not None
        self.elements = {e.get("name"): e for e in schema.findall(f"{{{XS}}}element")}
        self.complex = {e.get("name"): e for e in schema.findall(f"{{{XS}}}complexType")}
        self.simple = {e.get("name"): e for e in schema.findall(f"{{{XS}}}simpleType")}

    def operation_shape(self, name: str) -> tuple[Shape, Shape] | None:
        request = self.elements.get(name)
        response = self.elements.get(f"{name}Response")
        if request is None or response is None:
            return None
        return self._inline(request), self._inline(response)

    def _inline(self, element: etree._Element) -> Shape:
        complex_type = element.find(f"{{{XS}}}complexType")
        assert complex_type is not None
        return self._sequence(complex_type)

    def _sequence(self, complex_type: etree._Element) -> Shape:
        fields: list[tuple[str, Any, int, int | None, bool]] = []
        extension = complex_type.find(f"{{{XS}}}complexContent/{{{XS}}}extension")
        if extension is not None:
            base = extension.get("base", "").split(":")[-1]
            fields.extend(self._sequence(self.complex[base]))
            complex_type = extension
        sequence = complex_type.find(f"{{{XS}}}sequence")
        for child in sequence if sequence is not None else ():
            if child.tag != f"{{{XS}}}element":
                continue
            maximum = child.get("maxOccurs", "1")
            fields.append(
                (
                    child.get("name", ""),
                    self._type(child),
                    int(child.get("minOccurs", "1")),
                    None if maximum == "unbounded" else int(maximum),
                    child.get("nillable") == "true",
                )
            )
        return tuple(fields)

    def _type(self, element: etree._Element) -> Any:
        reference = element.get("type")
        if reference is None:
            inline = element.find(f"{{{XS}}}complexType")
            assert inline is not None
            return ("complex", None, self._sequence(inline))
        prefix, _, local = reference.rpartition(":")
        if prefix == "s":
            return local
        if local in self.simple:
            values = tuple(e.get("value") for e in self.simple[local].iter(f"{{{XS}}}enumeration"))
            return ("enum", local, values)
        return ("complex", local, self._sequence(self.complex[local]))


def _table_type(type_: FieldType) -> Any:
    if isinstance(type_, Xsd):
        return str(type_)
    if isinstance(type_, EnumType):
        return ("enum", type_.name, type_.values)
    assert isinstance(type_, ComplexType)
    return ("complex", type_.name, _table_shape(type_.fields))


def _table_shape(fields: tuple[Field, ...]) -> Shape:
    return tuple(
        (f.name, _table_type(f.type), f.min_occurs, f.max_occurs, f.nillable) for f in fields
    )


def _table_operation_shape(operation: Operation) -> tuple[Shape, Shape]:
    result = () if operation.result is None else _table_shape((operation.result,))
    return _table_shape(operation.request), result


@pytest.fixture(scope="module")
def wsdls() -> dict[str, WsdlSchema]:
    if not WSDL_DIR.is_dir():
        pytest.skip(f"Nmbrs' v2.1 WSDLs are not here ({WSDL_DIR.resolve()}): a user's clone")
    return {
        service: WsdlSchema(WSDL_DIR / f"{service}.wsdl")
        for service in ("EmployeeService", "CompanyService")
    }


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.name)
def test_operation_matches_the_v21_wsdl(wsdls: dict[str, WsdlSchema], operation: Operation) -> None:
    published = wsdls[operation.service].operation_shape(operation.name)
    ours = _table_operation_shape(operation)
    if operation.name in ALLOWED:
        assert published != ours, f"{operation.name} is listed in V3_DIFFERENCES but matches"
        return
    assert published is not None, f"{operation.name} is not in the v2.1 WSDL"
    published_request, published_response = published
    assert ours[0] == published_request, f"{operation.name} request"
    assert ours[1] == published_response, f"{operation.name} response"


def test_every_listed_difference_names_a_table_operation() -> None:
    names = {operation.name for operation in OPERATIONS}
    assert names >= ALLOWED
