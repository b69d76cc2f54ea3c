"""The emulator's own WSDL, generated from its own operation table. Pure: no I/O.

Shaped like Nmbrs' ASMX WSDLs: document/literal, `elementFormDefault="qualified"`, one wrapper
element per operation and per response, the `AuthHeaderWithDomain` header (an `AuthHeader`
extended by `Domain`) on every operation, a SOAP 1.1 binding with `soapAction`, and the
service address on the host the WSDL was asked from.
"""

from __future__ import annotations

from typing import Final

from lxml import etree

from bulkimport.emulator.soap.schema import OPERATIONS
from bulkimport.emulator.soap.shapes import AUTH_HEADER, ComplexType, EnumType, Field, FieldType

_WSDL: Final = "http://schemas.xmlsoap.org/wsdl/"
_SOAP: Final = "http://schemas.xmlsoap.org/wsdl/soap/"
_XS: Final = "http://www.w3.org/2001/XMLSchema"


def _w(tag: str) -> str:
    return f"{{{_WSDL}}}{tag}"


def _s(tag: str) -> str:
    return f"{{{_XS}}}{tag}"


def build_wsdl(service: str, namespace: str, address: str) -> bytes:
    """The WSDL of one service; `address` is the endpoint URL clients should call."""
    operations = [operation for operation in OPERATIONS if operation.service == service]
    nsmap = {"wsdl": _WSDL, "soap": _SOAP, "s": _XS, "tns": namespace}
    definitions = etree.Element(_w("definitions"), nsmap=nsmap, targetNamespace=namespace)
    types = etree.SubElement(definitions, _w("types"))
    schema = etree.SubElement(
        types, _s("schema"), elementFormDefault="qualified", targetNamespace=namespace
    )
    named: dict[str, ComplexType | EnumType] = {}
    for operation in operations:
        _element(schema, operation.name, operation.request, named)
        response = () if operation.result is None else (operation.result,)
        _element(schema, f"{operation.name}Response", response, named)
    _auth_header_types(schema)
    emitted: set[str] = set()
    while len(emitted) < len(named):  # emitting a type may name further nested types
        type_ = named[min(set(named) - emitted)]
        emitted.add(type_.name)
        if isinstance(type_, ComplexType):
            complex_type = etree.SubElement(schema, _s("complexType"), name=type_.name)
            _sequence(complex_type, type_.fields, named)
        else:
            simple = etree.SubElement(schema, _s("simpleType"), name=type_.name)
            restriction = etree.SubElement(simple, _s("restriction"), base="s:string")
            for value in type_.values:
                etree.SubElement(restriction, _s("enumeration"), value=value)

    for operation in operations:
        for suffix, element in (
            ("SoapIn", operation.name),
            ("SoapOut", f"{operation.name}Response"),
        ):
            message = etree.SubElement(definitions, _w("message"), name=operation.name + suffix)
            etree.SubElement(message, _w("part"), name="parameters", element=f"tns:{element}")
        header_message = etree.SubElement(
            definitions, _w("message"), name=f"{operation.name}{AUTH_HEADER}"
        )
        etree.SubElement(header_message, _w("part"), name=AUTH_HEADER, element=f"tns:{AUTH_HEADER}")

    port_type = etree.SubElement(definitions, _w("portType"), name=f"{service}Soap")
    for operation in operations:
        op = etree.SubElement(port_type, _w("operation"), name=operation.name)
        etree.SubElement(op, _w("documentation")).text = operation.doc
        etree.SubElement(op, _w("input"), message=f"tns:{operation.name}SoapIn")
        etree.SubElement(op, _w("output"), message=f"tns:{operation.name}SoapOut")

    binding = etree.SubElement(
        definitions, _w("binding"), name=f"{service}Soap", type=f"tns:{service}Soap"
    )
    etree.SubElement(
        binding, f"{{{_SOAP}}}binding", transport="http://schemas.xmlsoap.org/soap/http"
    )
    for operation in operations:
        op = etree.SubElement(binding, _w("operation"), name=operation.name)
        etree.SubElement(
            op, f"{{{_SOAP}}}operation", soapAction=operation.soap_action, style="document"
        )
        binding_input = etree.SubElement(op, _w("input"))
        etree.SubElement(binding_input, f"{{{_SOAP}}}body", use="literal")
        etree.SubElement(
            binding_input,
            f"{{{_SOAP}}}header",
            message=f"tns:{operation.name}{AUTH_HEADER}",
            part=AUTH_HEADER,
            use="literal",
        )
        binding_output = etree.SubElement(op, _w("output"))
        etree.SubElement(binding_output, f"{{{_SOAP}}}body", use="literal")

    service_element = etree.SubElement(definitions, _w("service"), name=service)
    port = etree.SubElement(
        service_element, _w("port"), name=f"{service}Soap", binding=f"tns:{service}Soap"
    )
    etree.SubElement(port, f"{{{_SOAP}}}address", location=address)
    return etree.tostring(definitions, xml_declaration=True, encoding="utf-8", pretty_print=True)


def _element(
    schema: etree._Element,
    name: str,
    fields: tuple[Field, ...],
    named: dict[str, ComplexType | EnumType],
) -> None:
    element = etree.SubElement(schema, _s("element"), name=name)
    _sequence(etree.SubElement(element, _s("complexType")), fields, named)


def _sequence(
    parent: etree._Element, fields: tuple[Field, ...], named: dict[str, ComplexType | EnumType]
) -> None:
    sequence = etree.SubElement(parent, _s("sequence"))
    for field in fields:
        attributes = {
            "minOccurs": str(field.min_occurs),
            "maxOccurs": "unbounded" if field.max_occurs is None else str(field.max_occurs),
            "name": field.name,
        }
        if field.nillable:
            attributes["nillable"] = "true"
        attributes["type"] = _type_name(field.type, named)
        etree.SubElement(sequence, _s("element"), attributes)


def _type_name(type_: FieldType, named: dict[str, ComplexType | EnumType]) -> str:
    if isinstance(type_, ComplexType | EnumType):
        known = named.setdefault(type_.name, type_)
        if known != type_:
            raise ValueError(f"two different types are both named {type_.name}")
        return f"tns:{type_.name}"
    return f"s:{type_.value}"


def _auth_header_types(schema: etree._Element) -> None:
    """AuthHeaderWithDomain exactly as Nmbrs publishes it: AuthHeader extended by Domain."""
    etree.SubElement(schema, _s("element"), name=AUTH_HEADER, type=f"tns:{AUTH_HEADER}")
    extended = etree.SubElement(schema, _s("complexType"), name=AUTH_HEADER)
    content = etree.SubElement(extended, _s("complexContent"), mixed="false")
    extension = etree.SubElement(content, _s("extension"), base="tns:AuthHeader")
    sequence = etree.SubElement(extension, _s("sequence"))
    etree.SubElement(
        sequence, _s("element"), minOccurs="0", maxOccurs="1", name="Domain", type="s:string"
    )
    base = etree.SubElement(schema, _s("complexType"), name="AuthHeader")
    base_sequence = etree.SubElement(base, _s("sequence"))
    for name in ("Username", "Token"):
        etree.SubElement(
            base_sequence, _s("element"), minOccurs="0", maxOccurs="1", name=name, type="s:string"
        )
    etree.SubElement(base, _s("anyAttribute"))
