"""SOAP 1.1 envelopes for Nmbrs: build requests and replies, parse them safely. Pure: no I/O.

Requests look exactly like Nmbrs' own help pages: the operation element carries the service
namespace as default namespace, children unprefixed, the AuthHeaderWithDomain header in the
same namespace. Every document is parsed with a locked-down parser: no DTD, no entities, no
network, bounded size.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from lxml import etree

from bulkimport.config import Credentials
from bulkimport.nmbrs.soap.codec import (
    XSI_NAMESPACE,
    SchemaViolation,
    UnsupportedValues,
    decode_fields,
    encode_fields,
    flatten_fields,
)
from bulkimport.nmbrs.soap.schema import Operation

SOAP_NAMESPACE: Final = "http://schemas.xmlsoap.org/soap/envelope/"
XSD_NAMESPACE: Final = "http://www.w3.org/2001/XMLSchema"
_ENVELOPE_NSMAP: Final = {"soap": SOAP_NAMESPACE, "xsi": XSI_NAMESPACE, "xsd": XSD_NAMESPACE}
_ENVELOPE: Final = f"{{{SOAP_NAMESPACE}}}Envelope"
_HEADER: Final = f"{{{SOAP_NAMESPACE}}}Header"
_BODY: Final = f"{{{SOAP_NAMESPACE}}}Body"
_FAULT: Final = f"{{{SOAP_NAMESPACE}}}Fault"
AUTH_HEADER: Final = "AuthHeaderWithDomain"
MAX_DOCUMENT_BYTES: Final = 64 * 1024 * 1024
_FAULT_CODE_RE: Final = re.compile(r"--->\s*(\d{4})\s*:\s*(.*)", re.DOTALL)


class UnsafeXml(ValueError):
    """The document is not well-formed, too large, or carries a DTD or entities."""


def _make_parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


_PARSER: Final = _make_parser()


def parse_xml(document: bytes, *, max_bytes: int = MAX_DOCUMENT_BYTES) -> etree._Element:
    """Parse untrusted XML: refuse DTDs (so no entity tricks), oversize and malformed input."""
    if len(document) > max_bytes:
        raise UnsafeXml(f"document of {len(document)} bytes exceeds the {max_bytes}-byte limit")
    try:
        root = etree.fromstring(document, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise UnsafeXml(f"not well-formed XML: {exc}") from exc
    docinfo = root.getroottree().docinfo
    if docinfo.internalDTD is not None or docinfo.externalDTD is not None or docinfo.system_url:
        raise UnsafeXml("a document type declaration (DTD) is not allowed")
    return root


_PROLOG: Final = b'<?xml version="1.0" encoding="utf-8"?>'


def _tostring(root: etree._Element) -> bytes:
    """Serialise with the prolog exactly as ASMX writes it (double quotes, no newline)."""
    return _PROLOG + etree.tostring(root, encoding="utf-8")


def _default_namespace(namespace: str) -> dict[str, str]:
    """lxml takes None as the key of the default namespace; its stubs only allow str keys."""
    return {None: namespace}  # type: ignore[dict-item]


def _new_envelope() -> etree._Element:
    return etree.Element(_ENVELOPE, nsmap=_ENVELOPE_NSMAP)


# --- requests ----------------------------------------------------------------------------------
# Every envelope of a million-row file is built here. Calls of one operation with one set of
# credentials whose values have the same shape (which fields are set, nil or absent, how many
# list items) have the same elements, so that tree is built once and kept with its elements
# listed; each later call of that shape only rewrites the texts (every text is rewritten, so
# nothing of the previous call remains) and serialises it. Kept trees are rewritten in place,
# so each thread has its own. Caches are keyed by the identity of the operation and the
# credentials (hashing the nested table would cost more than the build); each entry keeps both
# alive, so no id is reused while it is cached.
_CACHE_LIMIT: Final = 4096
# lxml's copy is deep (a new document); called directly it skips copy.deepcopy's Python layer,
# which costs as much as the copy. lxml-stubs do not declare it.
_copy_tree: Callable[[etree._Element], etree._Element] = etree._Element.__copy__  # type: ignore[attr-defined]
_SKELETONS: dict[tuple[int, int], tuple[Operation, Credentials, etree._Element]] = {}


@dataclass(frozen=True, slots=True)
class _ShapedTree:
    operation: Operation
    credentials: Credentials
    envelope: etree._Element
    elements: tuple[etree._Element, ...]  # the operation element's descendants, in order


class _ThreadTrees(threading.local):
    def __init__(self) -> None:
        self.by_shape: dict[tuple[int, int, tuple[int, ...]], _ShapedTree] = {}


_TREES: Final = _ThreadTrees()


def _request_skeleton(operation: Operation, credentials: Credentials) -> etree._Element:
    """Envelope, auth header and an empty operation element."""
    key = (id(operation), id(credentials))
    cached = _SKELETONS.get(key)
    if cached is not None and cached[0] is operation and cached[1] is credentials:
        return cached[2]
    namespace = operation.namespace
    envelope = _new_envelope()
    header = etree.SubElement(envelope, _HEADER)
    auth = etree.SubElement(
        header, f"{{{namespace}}}{AUTH_HEADER}", nsmap=_default_namespace(namespace)
    )
    etree.SubElement(auth, f"{{{namespace}}}Username").text = credentials.username
    etree.SubElement(auth, f"{{{namespace}}}Token").text = credentials.token
    if credentials.domain:
        etree.SubElement(auth, f"{{{namespace}}}Domain").text = credentials.domain
    body = etree.SubElement(envelope, _BODY)
    etree.SubElement(body, f"{{{namespace}}}{operation.name}", nsmap=_default_namespace(namespace))
    if len(_SKELETONS) >= _CACHE_LIMIT:
        _SKELETONS.clear()
    _SKELETONS[key] = (operation, credentials, envelope)
    return envelope


def _encode_request(
    operation: Operation, values: Mapping[str, Any], credentials: Credentials
) -> etree._Element:
    """The envelope built element by element."""
    envelope = _copy_tree(_request_skeleton(operation, credentials))
    call = envelope[1][0]  # Body, then the operation element
    encode_fields(call, operation.request, values, operation.namespace, operation.name)
    return envelope


def build_request(
    operation: Operation, values: Mapping[str, Any], credentials: Credentials
) -> bytes:
    """The request envelope for one call; raises SchemaViolation for values the table refuses."""
    try:
        shape, texts = flatten_fields(
            operation.request, values, operation.namespace, operation.name
        )
    except (SchemaViolation, UnsupportedValues):
        # Built element by element, the refusal comes exactly where and as it always has.
        return _tostring(_encode_request(operation, values, credentials))
    trees = _TREES.by_shape
    key = (id(operation), id(credentials), shape)
    kept = trees.get(key)
    if kept is None or kept.operation is not operation or kept.credentials is not credentials:
        envelope = _encode_request(operation, values, credentials)
        if len(trees) >= _CACHE_LIMIT:
            trees.clear()
        elements = tuple(envelope[1][0].iterdescendants())
        trees[key] = _ShapedTree(operation, credentials, envelope, elements)
        return _tostring(envelope)
    for element, text in zip(kept.elements, texts, strict=True):
        if text is not None:
            element.text = text
    return _tostring(kept.envelope)


@dataclass(frozen=True, slots=True)
class RequestParts:
    """What a server needs from a request envelope, before it knows the operation."""

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
    """Strictly decode a request body element against the table (the emulator's check)."""
    qname = etree.QName(call)
    if qname.localname != operation.name or qname.namespace != operation.namespace:
        raise SchemaViolation(
            qname.localname, f"the body element does not match the SOAPAction {operation.name}"
        )
    return decode_fields(call, operation.request, operation.namespace, operation.name, strict=True)


# --- replies -----------------------------------------------------------------------------------
def build_response(operation: Operation, result: Any) -> bytes:
    """A reply as ASMX writes it: `<OpResponse><OpResult>` (empty for void operations)."""
    envelope = _new_envelope()
    body = etree.SubElement(envelope, _BODY)
    namespace = operation.namespace
    response = etree.SubElement(
        body, f"{{{namespace}}}{operation.name}Response", nsmap=_default_namespace(namespace)
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
    envelope = _new_envelope()
    body = etree.SubElement(envelope, _BODY)
    fault = etree.SubElement(body, _FAULT)
    etree.SubElement(fault, "faultcode").text = faultcode
    etree.SubElement(fault, "faultstring").text = faultstring
    etree.SubElement(fault, "detail")
    return _tostring(envelope)


@dataclass(frozen=True, slots=True)
class Fault:
    """A SOAP fault as data; `code` is the Nmbrs number after `--->`, when there is one."""

    faultcode: str
    faultstring: str
    code: int | None
    message: str


@dataclass(frozen=True, slots=True)
class Result:
    """A successful reply's decoded result (None for void operations)."""

    value: Any


def parse_fault(fault: etree._Element) -> Fault:
    faultcode = (fault.findtext("faultcode") or "").strip()
    faultstring = fault.findtext("faultstring") or ""
    match = _FAULT_CODE_RE.search(faultstring)
    if match:
        return Fault(faultcode, faultstring, int(match[1]), match[2].strip())
    return Fault(faultcode, faultstring, None, faultstring.strip())


def _first_child(parent: etree._Element, tag: str) -> etree._Element | None:
    """`parent.find(tag)` for a plain tag, without ElementPath's Python layer."""
    for child in parent:
        if child.tag == tag:
            return child
    return None


def parse_reply(operation: Operation, document: bytes) -> Result | Fault:
    """Read a reply into a Result or a Fault; raises UnsafeXml/SchemaViolation if it is neither."""
    root = parse_xml(document)
    body = _first_child(root, _BODY) if root.tag == _ENVELOPE else None
    if body is None:
        raise SchemaViolation(str(root.tag), "the reply is not a SOAP 1.1 envelope with a Body")
    response_tag = f"{{{operation.namespace}}}{operation.name}Response"
    response = None
    for child in body:  # one pass: a fault anywhere in the body wins
        tag = child.tag
        if tag == _FAULT:
            return parse_fault(child)
        if tag == response_tag and response is None:
            response = child
    if response is None:
        raise SchemaViolation("Body", f"the reply has no {operation.name}Response")
    if operation.result is None:
        return Result(None)
    values = decode_fields(
        response,
        (operation.result,),
        operation.namespace,
        f"{operation.name}Response",
        strict=False,
    )
    return Result(values.get(operation.result.name))
