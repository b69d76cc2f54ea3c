"""SOAP 1.1 envelopes as the emulator reads and writes them, as ASMX does. Pure: no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from lxml import etree

from bulkimport.emulator.soap.codec import (
    XSI_NAMESPACE,
    SchemaViolation,
    decode_fields,
    encode_fields,
)
from bulkimport.emulator.soap.shapes import AUTH_HEADER, Operation

SOAP_NAMESPACE: Final = "http://schemas.xmlsoap.org/soap/envelope/"
XSD_NAMESPACE: Final = "http://www.w3.org/2001/XMLSchema"
_ENVELOPE_NSMAP: Final = {"soap": SOAP_NAMESPACE, "xsi": XSI_NAMESPACE, "xsd": XSD_NAMESPACE}
_ENVELOPE: Final = f"{{{SOAP_NAMESPACE}}}Envelope"
_HEADER: Final = f"{{{SOAP_NAMESPACE}}}Header"
_BODY: Final = f"{{{SOAP_NAMESPACE}}}Body"
_FAULT: Final = f"{{{SOAP_NAMESPACE}}}Fault"
MAX_DOCUMENT_BYTES: Final = 64 * 1024 * 1024
_PROLOG: Final = b'<?xml version="1.0" encoding="utf-8"?>'


class UnsafeXml(ValueError):
    """The document is not well-formed, too large, or carries a DTD or entities."""


_PARSER: Final = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    dtd_validation=False,
    huge_tree=False,
    remove_comments=True,
    remove_pis=True,
)


def parse_xml(document: bytes) -> etree._Element:
    """Parse untrusted XML: refuse DTDs (so no entity tricks), oversize and malformed input."""
    if len(document) > MAX_DOCUMENT_BYTES:
        raise UnsafeXml(
            f"document of {len(document)} bytes exceeds the {MAX_DOCUMENT_BYTES}-byte limit"
        )
    try:
        root = etree.fromstring(document, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise UnsafeXml(f"not well-formed XML: {exc}") from exc
    docinfo = root.getroottree().docinfo
    if docinfo.internalDTD is not None or docinfo.externalDTD is not None or docinfo.system_url:
        raise UnsafeXml("a document type declaration (DTD) is not allowed")
    return root


@dataclass(frozen=True, slots=True)
class RequestParts:
    """What the server needs from a request envelope, before it knows the operation."""

    header: etree._Element | None  # the AuthHeaderWithDomain element, if any
    call: etree._Element  # the single child of soap:Body


def split_request(document: bytes) -> RequestParts:
    """Find the auth header and the body element of a SOAP 1.1 request."""
    root = parse_xml(document)
    if root.tag != _ENVELOPE:
        raise SchemaViolation(str(root.tag), "the root element is not a SOAP 1.1 Envelope")
    header: etree._Element | None = None
    body: etree._Element | None = None
    for child in root:
        if child.tag == _HEADER:
            header = next((h for h in child if etree.QName(h).localname == AUTH_HEADER), None)
        elif child.tag == _BODY:
            body = child
    if body is None:
        raise SchemaViolation("Envelope", "has no soap:Body")
    calls = [child for child in body if isinstance(child.tag, str)]
    if len(calls) != 1:
        raise SchemaViolation("Body", f"must hold exactly one element, found {len(calls)}")
    return RequestParts(header=header, call=calls[0])


def read_call(operation: Operation, call: etree._Element) -> dict[str, Any]:
    """Strictly decode a request body element against the table."""
    qname = etree.QName(call)
    if qname.localname != operation.name or qname.namespace != operation.namespace:
        raise SchemaViolation(
            qname.localname, f"the body element does not match the SOAPAction {operation.name}"
        )
    return decode_fields(call, operation.request, operation.namespace, operation.name)


def _tostring(root: etree._Element) -> bytes:
    """Serialise with the prolog exactly as ASMX writes it (double quotes, no newline)."""
    return _PROLOG + etree.tostring(root, encoding="utf-8")


def build_response(operation: Operation, result: Any) -> bytes:
    """A reply as ASMX writes it: `<OpResponse><OpResult>` (empty for void operations)."""
    envelope = etree.Element(_ENVELOPE, nsmap=_ENVELOPE_NSMAP)
    body = etree.SubElement(envelope, _BODY)
    namespace = operation.namespace
    nsmap: dict[str | None, str] = {None: namespace}
    response = etree.SubElement(
        body,
        f"{{{namespace}}}{operation.name}Response",
        nsmap=nsmap,  # type: ignore[arg-type]  # lxml's stubs only allow str keys
    )
    if operation.result is not None:
        encode_fields(
            response,
            (operation.result,),
            {operation.result.name: result},
            namespace,
            f"{operation.name}Response",
        )
    return _tostring(envelope)


def build_fault(faultcode: str, faultstring: str) -> bytes:
    """A SOAP 1.1 fault as ASMX writes it (`faultcode` like `soap:Server`)."""
    envelope = etree.Element(_ENVELOPE, nsmap=_ENVELOPE_NSMAP)
    body = etree.SubElement(envelope, _BODY)
    fault = etree.SubElement(body, _FAULT)
    etree.SubElement(fault, "faultcode").text = faultcode
    etree.SubElement(fault, "faultstring").text = faultstring
    etree.SubElement(fault, "detail")
    return _tostring(envelope)
