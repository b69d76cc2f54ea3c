"""Values <-> XML elements, driven by the operation table. Pure: no I/O.

Python values per XML Schema type: string -> str, int -> int, decimal -> Decimal,
boolean -> bool, dateTime -> date/datetime, enumeration -> str, complex -> dict (field name ->
value), repeated -> list. `None` means absent (optional) or nil (nillable).

Encoding follows Nmbrs' XmlConvert rules: dates as `YYYY-MM-DDThh:mm:ss` without a zone,
decimals with a point and no exponent, booleans `true`/`false`. Decoding is strict for requests
(the emulator rejects what the real service would silently ignore) and lenient for replies (a
newer Nmbrs may add elements we do not know).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from lxml import etree

from bulkimport.backend import SchemaViolation as SchemaViolation  # raised here, caught by callers
from bulkimport.backend import check_simple
from bulkimport.nmbrs.soap.schema import ComplexType, EnumType, Field, FieldType, Xsd

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


# --- simple values ---------------------------------------------------------------------------
def format_simple(type_: Xsd | EnumType, value: Any, path: str) -> str:
    """Render one Python value as element text, refusing values the type cannot hold."""
    check_simple(type_, value, path)
    if type_ is Xsd.BOOLEAN:
        return "true" if value else "false"
    if type_ is Xsd.DECIMAL:
        return format(Decimal(value), "f")
    if type_ is Xsd.DATETIME:
        if isinstance(value, datetime):
            return value.replace(tzinfo=None, microsecond=0).isoformat()
        return f"{value.isoformat()}T00:00:00"
    return str(value)  # enumerations, text and whole numbers


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
    if type_ is Xsd.DATETIME:
        match = _DATETIME_RE.fullmatch(text)
        if not match:
            raise SchemaViolation(path, f"{text!r} is not a valid xs:dateTime")
        try:
            moment = datetime.fromisoformat(f"{match['date']}T{match['time'] or '00:00:00'}")
        except ValueError as exc:
            raise SchemaViolation(path, f"{text!r} is not a valid xs:dateTime") from exc
        return moment
    raise AssertionError(f"unhandled type {type_!r}")  # pragma: no cover


# --- encoding --------------------------------------------------------------------------------
# Every envelope of a million-row file passes through here, so each field list is compiled once
# (per namespace) into plans holding the element tag and a type code; the common, valid values
# are formatted inline and anything else goes through format_simple, which gives the same text
# or the same SchemaViolation. Paths for messages are only built when a message is.
_SIMPLE, _ENUM, _STRING, _INT, _DECIMAL, _BOOLEAN, _DATE, _COMPLEX = range(8)
_KIND_OF_XSD: Final = {
    Xsd.STRING: _STRING,
    Xsd.INT: _INT,
    Xsd.DECIMAL: _DECIMAL,
    Xsd.BOOLEAN: _BOOLEAN,
    Xsd.DATETIME: _DATE,
}
_NIL_ATTRIBUTES: Final = {_XSI_NIL: "true"}
_PLAN_CACHE_LIMIT: Final = 1024


class _FieldPlan:
    """One schema field ready to encode: its tag, a type code and, for records, their plan."""

    __slots__ = ("enum_values", "field", "kind", "name", "optional", "record", "repeated", "tag")

    def __init__(self, field: Field, namespace: str) -> None:
        type_ = field.type
        self.field = field
        self.name = field.name
        self.tag = f"{{{namespace}}}{field.name}"
        self.enum_values: frozenset[str] = frozenset()
        self.record: _FieldsPlan | None = None
        if isinstance(type_, ComplexType):
            self.kind = _COMPLEX
            self.record = _plan_for(type_.fields, namespace)
        elif isinstance(type_, EnumType):
            self.kind = _ENUM
            self.enum_values = frozenset(type_.values)
        else:
            self.kind = _KIND_OF_XSD.get(type_, _SIMPLE)
        self.repeated = field.repeated
        self.optional = field.min_occurs == 0


class _FieldsPlan:
    """A sequence of fields in one namespace, compiled for encode_fields."""

    __slots__ = ("fields", "names")

    def __init__(self, fields: Sequence[Field], namespace: str) -> None:
        self.fields = tuple(_FieldPlan(field, namespace) for field in fields)
        self.names = frozenset(field.name for field in fields)


# Keyed by the identity of the (immutable) field tuple: hashing the nested frozen dataclasses
# would cost more than the encoding. Each entry keeps its tuple alive, so an id is never reused.
_PLANS: dict[tuple[int, str], tuple[Sequence[Field], _FieldsPlan]] = {}


def _plan_for(fields: Sequence[Field], namespace: str) -> _FieldsPlan:
    if not isinstance(fields, tuple):  # a mutable sequence may change: never cache it
        return _FieldsPlan(fields, namespace)
    key = (id(fields), namespace)
    cached = _PLANS.get(key)
    if cached is not None and cached[0] is fields:
        return cached[1]
    plan = _FieldsPlan(fields, namespace)
    if len(_PLANS) >= _PLAN_CACHE_LIMIT:
        _PLANS.clear()
    _PLANS[key] = (fields, plan)
    return plan


def encode_fields(
    parent: etree._Element,
    fields: Sequence[Field],
    values: Mapping[str, Any],
    namespace: str,
    path: str,
) -> None:
    """Append one child per field, in schema order, refusing names the schema does not have."""
    _encode_plan(parent, _plan_for(fields, namespace), values, path)


def _encode_plan(
    parent: etree._Element, plan: _FieldsPlan, values: Mapping[str, Any], path: str
) -> None:
    if not plan.names.issuperset(values):
        unknown = set(values) - plan.names
        raise SchemaViolation(path, f"unknown element(s) {', '.join(sorted(unknown))}")
    sub_element = etree.SubElement
    get = values.get
    for field in plan.fields:
        value = get(field.name)
        if field.repeated:
            for index, item in enumerate(value or ()):
                _encode_one(parent, field, item, f"{path}/{field.name}[{index + 1}]")
            continue
        if value is None:
            if field.optional:
                continue
            _encode_one(parent, field, None, f"{path}/{field.name}")
            continue
        kind = field.kind
        # The inline cases are exactly the values format_simple accepts unchanged.
        if kind == _STRING and type(value) is str:
            sub_element(parent, field.tag).text = value
        elif kind == _INT and type(value) is int and _INT32_MIN <= value <= _INT32_MAX:
            sub_element(parent, field.tag).text = str(value)
        elif kind == _ENUM and type(value) is str and value in field.enum_values:
            sub_element(parent, field.tag).text = value
        elif kind == _DECIMAL and type(value) is Decimal and value.is_finite():
            sub_element(parent, field.tag).text = format(value, "f")
        elif kind == _DATE and type(value) is date:
            sub_element(parent, field.tag).text = f"{value.isoformat()}T00:00:00"
        elif kind == _BOOLEAN and (value is True or value is False):
            sub_element(parent, field.tag).text = "true" if value else "false"
        else:
            _encode_one(parent, field, value, f"{path}/{field.name}")


def _encode_one(parent: etree._Element, field: _FieldPlan, value: Any, path: str) -> None:
    """The general case: nil, records, and values that need format_simple's checks."""
    if value is None:
        if field.optional:
            return
        if field.field.nillable:
            etree.SubElement(parent, field.tag, _NIL_ATTRIBUTES)
            return
        raise SchemaViolation(path, "is required")
    element = etree.SubElement(parent, field.tag)
    type_ = field.field.type
    if isinstance(type_, ComplexType):
        if not isinstance(value, Mapping):
            raise SchemaViolation(path, f"expected {type_.name} fields, got {value!r}")
        assert field.record is not None  # compiled for every ComplexType field
        _encode_plan(element, field.record, value, path)
    else:
        element.text = format_simple(type_, value, path)


def flatten_fields(
    fields: Sequence[Field], values: Mapping[str, Any], namespace: str, path: str
) -> tuple[tuple[int, ...], list[str | None]]:
    """What encode_fields would append, without building it: a shape and the texts.

    The shape fixes the elements (one code per field or list item: absent, nil, a value, a
    record; a list first gives its length), so two calls with one shape build the same
    elements; `texts` holds, in document order, each element's text (None for nil and
    records). Values are checked as encode_fields checks them and refused with the same
    SchemaViolation; only lxml's own refusal of text (a control character) is left to it.
    Raises UnsupportedValues for a list given as an iterable of another type.
    """
    shape: list[int] = []
    texts: list[str | None] = []
    _flatten_plan(_plan_for(fields, namespace), values, path, shape, texts)
    return tuple(shape), texts


_ABSENT, _NIL, _VALUE, _RECORD = range(4)


class UnsupportedValues(Exception):
    """flatten_fields cannot take these values (a list given as another iterable): use
    encode_fields."""


def _flatten_plan(
    plan: _FieldsPlan,
    values: Mapping[str, Any],
    path: str,
    shape: list[int],
    texts: list[str | None],
) -> None:
    if not plan.names.issuperset(values):
        unknown = set(values) - plan.names
        raise SchemaViolation(path, f"unknown element(s) {', '.join(sorted(unknown))}")
    add_shape = shape.append
    add_text = texts.append
    get = values.get
    for field in plan.fields:
        value = get(field.name)
        if field.repeated:
            if value is not None and type(value) is not list and type(value) is not tuple:
                # Walking it here could use up an iterator that encode_fields must see.
                raise UnsupportedValues(f"{path}/{field.name}")
            items = value or ()
            add_shape(len(items))
            for index, item in enumerate(items):
                _flatten_one(field, item, f"{path}/{field.name}[{index + 1}]", shape, texts)
            continue
        if value is None:
            if field.optional:
                add_shape(_ABSENT)
                continue
            _flatten_one(field, None, f"{path}/{field.name}", shape, texts)
            continue
        kind = field.kind
        # The same inline cases as _encode_plan.
        if kind == _STRING and type(value) is str:
            text = value
        elif kind == _INT and type(value) is int and _INT32_MIN <= value <= _INT32_MAX:
            text = str(value)
        elif kind == _ENUM and type(value) is str and value in field.enum_values:
            text = value
        elif kind == _DECIMAL and type(value) is Decimal and value.is_finite():
            text = format(value, "f")
        elif kind == _DATE and type(value) is date:
            text = f"{value.isoformat()}T00:00:00"
        elif kind == _BOOLEAN and (value is True or value is False):
            text = "true" if value else "false"
        else:
            _flatten_one(field, value, f"{path}/{field.name}", shape, texts)
            continue
        add_shape(_VALUE)
        add_text(text)


def _flatten_one(
    field: _FieldPlan, value: Any, path: str, shape: list[int], texts: list[str | None]
) -> None:
    """_encode_one's rules, recorded instead of built."""
    if value is None:
        if field.optional:
            shape.append(_ABSENT)
            return
        if field.field.nillable:
            shape.append(_NIL)
            texts.append(None)
            return
        raise SchemaViolation(path, "is required")
    type_ = field.field.type
    if isinstance(type_, ComplexType):
        if not isinstance(value, Mapping):
            raise SchemaViolation(path, f"expected {type_.name} fields, got {value!r}")
        assert field.record is not None  # compiled for every ComplexType field
        shape.append(_RECORD)
        texts.append(None)
        _flatten_plan(field.record, value, path, shape, texts)
    else:
        shape.append(_VALUE)
        texts.append(format_simple(type_, value, path))


# --- decoding --------------------------------------------------------------------------------
def decode_fields(
    parent: etree._Element,
    fields: Sequence[Field],
    namespace: str,
    path: str,
    *,
    strict: bool,
) -> dict[str, Any]:
    """Read the children of `parent` into a dict.

    Strict: every child must be the next expected field, in the namespace, in order, with
    its cardinality; anything else raises SchemaViolation naming the element. Lenient:
    unknown children are skipped and order is not checked.
    """
    if not strict:
        return _decode_lenient(parent, _reading_plan_for(fields, namespace), path)
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
            items.append(_decode_one(child, field, namespace, field_path, strict=True))
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


class _ReadingPlan:
    """A field list compiled for lenient decoding: each field by its full element tag."""

    __slots__ = ("by_tag", "lists", "namespace")

    def __init__(self, fields: Sequence[Field], namespace: str) -> None:
        self.namespace = namespace
        self.by_tag = {f"{{{namespace}}}{field.name}": field for field in fields}
        self.lists = tuple(field.name for field in fields if field.repeated)


# Keyed like _PLANS: the identity of the immutable field tuple, kept alive by its entry.
_READING_PLANS: dict[tuple[int, str], tuple[Sequence[Field], _ReadingPlan]] = {}


def _reading_plan_for(fields: Sequence[Field], namespace: str) -> _ReadingPlan:
    if not isinstance(fields, tuple):  # a mutable sequence may change: never cache it
        return _ReadingPlan(fields, namespace)
    key = (id(fields), namespace)
    cached = _READING_PLANS.get(key)
    if cached is not None and cached[0] is fields:
        return cached[1]
    plan = _ReadingPlan(fields, namespace)
    if len(_READING_PLANS) >= _PLAN_CACHE_LIMIT:
        _READING_PLANS.clear()
    _READING_PLANS[key] = (fields, plan)
    return plan


def _decode_lenient(parent: etree._Element, plan: _ReadingPlan, path: str) -> dict[str, Any]:
    """Known children in the namespace, in any order; the first of a single field wins."""
    values: dict[str, Any] = {}
    by_tag = plan.by_tag
    for child in parent:
        field = by_tag.get(child.tag)  # comments and PIs have no str tag: never a field
        if field is None:
            continue
        item = _decode_one(child, field, plan.namespace, f"{path}/{field.name}", strict=False)
        if field.repeated:
            values.setdefault(field.name, []).append(item)
        else:
            values.setdefault(field.name, item)
    for name in plan.lists:
        values.setdefault(name, [])
    return values


def _decode_one(
    element: etree._Element, field: Field, namespace: str, path: str, *, strict: bool
) -> Any:
    if element.get(_XSI_NIL) in ("true", "1"):
        if strict and not field.nillable:
            raise SchemaViolation(path, "is not nillable")
        return None
    type_: FieldType = field.type
    if isinstance(type_, ComplexType):
        if strict and (element.text or "").strip():
            raise SchemaViolation(path, "has text where child elements are expected")
        return decode_fields(element, type_.fields, namespace, path, strict=strict)
    if strict and len(element):
        raise SchemaViolation(path, "has child elements where a value is expected")
    return parse_simple(type_, element.text or "", path)
