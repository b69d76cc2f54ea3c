"""Values <-> XML elements for the emulator, driven by its own operation table. Pure: no I/O.

Python values per XML Schema type: string -> str, int -> int, decimal -> Decimal,
boolean -> bool, dateTime -> date/datetime, enumeration -> str, complex -> dict, repeated ->
list; `None` means absent (optional) or nil (nillable). Requests are decoded strictly (the
emulator refuses what the real service would silently ignore); replies follow .NET's XmlConvert
(dates `YYYY-MM-DDThh:mm:ss` without a zone, decimals with a point, `true`/`false`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from lxml import etree

from bulkimport.emulator.soap.shapes import ComplexType, EnumType, Field, Xsd

XSI_NAMESPACE: Final = "http://www.w3.org/2001/XMLSchema-instance"
_XSI_NIL: Final = f"{{{XSI_NAMESPACE}}}nil"
_INT_RE: Final = re.compile(r"[+-]?[0-9]+")
_DECIMAL_RE: Final = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)")
_DATETIME_RE: Final = re.compile(
    r"(?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2})"
    r"(T(?P<time>[0-9]{2}:[0-9]{2}:[0-9]{2})(\.[0-9]{1,7})?)?"
    r"(?P<zone>Z|[+-][0-9]{2}:[0-9]{2})?"
)
_INT32_MIN: Final = -(2**31)
_INT32_MAX: Final = 2**31 - 1


class SchemaViolation(ValueError):
    """A request (or a reply the emulator built) does not match the table; `path` names it."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


def format_simple(type_: Xsd | EnumType, value: Any, path: str) -> str:
    """Render one Python value as element text, refusing values the type cannot hold."""
    if isinstance(type_, EnumType):
        if value not in type_.values:
            raise SchemaViolation(path, f"{value!r} is not a valid {type_.name}")
        return str(value)
    if type_ is Xsd.STRING:
        if not isinstance(value, str):
            raise SchemaViolation(path, f"expected text, got {type(value).__name__}")
        return value
    if type_ is Xsd.BOOLEAN:
        if not isinstance(value, bool):
            raise SchemaViolation(path, f"expected a boolean, got {value!r}")
        return "true" if value else "false"
    if type_ is Xsd.INT:
        if isinstance(value, bool) or not isinstance(value, int):
            raise SchemaViolation(path, f"expected a whole number, got {value!r}")
        if not _INT32_MIN <= value <= _INT32_MAX:
            raise SchemaViolation(path, f"{value} does not fit xs:int")
        return str(value)
    if type_ is Xsd.DECIMAL:
        if isinstance(value, bool) or not isinstance(value, Decimal | int):
            raise SchemaViolation(path, f"expected a decimal, got {value!r}")
        number = Decimal(value)
        if not number.is_finite():
            raise SchemaViolation(path, f"{value!r} is not a finite decimal")
        return format(number, "f")
    if isinstance(value, datetime):
        return value.replace(tzinfo=None, microsecond=0).isoformat()
    if isinstance(value, date):
        return f"{value.isoformat()}T00:00:00"
    raise SchemaViolation(path, f"expected a date, got {value!r}")


def parse_simple(type_: Xsd | EnumType, text: str, path: str) -> Any:
    """Read element text the way .NET's XmlConvert does (surrounding white space allowed)."""
    text = text.strip() if type_ is not Xsd.STRING else text
    if isinstance(type_, EnumType):
        if text not in type_.values:
            raise SchemaViolation(path, f"{text!r} is not a valid value for {type_.name}")
        return text
    if type_ is Xsd.STRING:
        return text
    if type_ is Xsd.BOOLEAN:
        if text in ("true", "1"):
            return True
        if text in ("false", "0"):
            return False
        raise SchemaViolation(path, f"{text!r} is not a valid xs:boolean")
    if type_ is Xsd.INT:
        if not _INT_RE.fullmatch(text):
            raise SchemaViolation(path, f"{text!r} is not a valid xs:int")
        number = int(text)
        if not _INT32_MIN <= number <= _INT32_MAX:
            raise SchemaViolation(path, f"{text!r} does not fit xs:int")
        return number
    if type_ is Xsd.DECIMAL:
        if not _DECIMAL_RE.fullmatch(text):
            raise SchemaViolation(path, f"{text!r} is not a valid xs:decimal")
        try:
            return Decimal(text)
        except InvalidOperation as exc:  # pragma: no cover - the pattern already checked it
            raise SchemaViolation(path, f"{text!r} is not a valid xs:decimal") from exc
    match = _DATETIME_RE.fullmatch(text)
    if not match:
        raise SchemaViolation(path, f"{text!r} is not a valid xs:dateTime")
    try:
        return datetime.fromisoformat(f"{match['date']}T{match['time'] or '00:00:00'}")
    except ValueError as exc:
        raise SchemaViolation(path, f"{text!r} is not a valid xs:dateTime") from exc


def encode_fields(
    parent: etree._Element,
    fields: Sequence[Field],
    values: Mapping[str, Any],
    namespace: str,
    path: str,
) -> None:
    """Append one child per field, in schema order, refusing names the schema does not have."""
    unknown = set(values) - {field.name for field in fields}
    if unknown:
        raise SchemaViolation(path, f"unknown element(s) {', '.join(sorted(unknown))}")
    for field in fields:
        value = values.get(field.name)
        if field.repeated:
            for index, item in enumerate(value or ()):
                _encode_one(parent, field, item, namespace, f"{path}/{field.name}[{index + 1}]")
        else:
            _encode_one(parent, field, value, namespace, f"{path}/{field.name}")


def _encode_one(
    parent: etree._Element, field: Field, value: Any, namespace: str, path: str
) -> None:
    tag = f"{{{namespace}}}{field.name}"
    if value is None:
        if field.min_occurs == 0:
            return
        if field.nillable:
            etree.SubElement(parent, tag, {_XSI_NIL: "true"})
            return
        raise SchemaViolation(path, "is required")
    element = etree.SubElement(parent, tag)
    if isinstance(field.type, ComplexType):
        if not isinstance(value, Mapping):
            raise SchemaViolation(path, f"expected {field.type.name} fields, got {value!r}")
        encode_fields(element, field.type.fields, value, namespace, path)
    else:
        element.text = format_simple(field.type, value, path)


def decode_fields(
    parent: etree._Element, fields: Sequence[Field], namespace: str, path: str
) -> dict[str, Any]:
    """Read the children of `parent` strictly: each must be the next expected field, in the
    namespace, in order, with its cardinality; anything else raises SchemaViolation naming it."""
    values: dict[str, Any] = {}
    children = [child for child in parent if isinstance(child.tag, str)]
    position = 0
    for field in fields:
        field_path = f"{path}/{field.name}"
        items: list[Any] = []
        while position < len(children):
            child = children[position]
            qname = etree.QName(child)
            if qname.localname != field.name or qname.namespace != namespace:
                break
            if not field.repeated and items:
                raise SchemaViolation(field_path, "appears more than once")
            items.append(_decode_one(child, field, namespace, field_path))
            position += 1
        if len(items) < field.min_occurs:
            found = ""
            if position < len(children):
                other = etree.QName(children[position])
                where = f"{{{other.namespace}}}" if other.namespace != namespace else ""
                found = f" (found {where}{other.localname} in its place)"
            raise SchemaViolation(field_path, f"is required but missing{found}")
        values[field.name] = items if field.repeated else (items[0] if items else None)
    if position < len(children):
        extra = children[position]
        qname = etree.QName(extra)
        expected = ", ".join(field.name for field in fields) or "no children"
        where = f"{{{qname.namespace}}}" if qname.namespace != namespace else ""
        raise SchemaViolation(
            f"{path}/{where}{qname.localname}",
            f"unexpected element (unknown, misplaced or in the wrong namespace; "
            f"expected in order: {expected})",
        )
    return values


def _decode_one(element: etree._Element, field: Field, namespace: str, path: str) -> Any:
    if element.get(_XSI_NIL) in ("true", "1"):
        if not field.nillable:
            raise SchemaViolation(path, "is not nillable")
        return None
    if isinstance(field.type, ComplexType):
        if (element.text or "").strip():
            raise SchemaViolation(path, "has text where child elements are expected")
        return decode_fields(element, field.type.fields, namespace, path)
    if len(element):
        raise SchemaViolation(path, "has child elements where a value is expected")
    return parse_simple(field.type, element.text or "", path)
