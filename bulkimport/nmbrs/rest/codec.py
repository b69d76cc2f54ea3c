"""Python values <-> Nmbrs REST JSON, by the operation table's Fields. Pure: no I/O.

The core's values are typed as mapping coerced them (date, Decimal, the seam's enumeration
values, which are Nmbrs' SOAP spellings); REST spells enumerations its own way, so they are
translated here, both ways. Values a field cannot hold raise `SchemaViolation` naming the
field, before anything is sent. Empty values (None) are left out of a body: an empty cell is
never sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Final
from urllib.parse import quote

from bulkimport.backend import ComplexType, EnumType, Field, SchemaViolation, Xsd, check_simple
from bulkimport.nmbrs.rest.table import BODY, RestOperation

__all__ = ["EncodedRequest", "decode_record", "encode_request", "to_wire"]


def _lower_first(values: tuple[str, ...]) -> dict[str, str]:
    return {value: value[0].lower() + value[1:] for value in values}


# The seam's enumeration values (Nmbrs' SOAP spellings) -> REST's, by enumeration name.
_ENUMS: Final[Mapping[str, Mapping[str, str]]] = {
    "Gender": {"undefined": "unspecified", "male": "male", "female": "female"},
    "AddressType": _lower_first(
        ("HomeAddress", "PostAddress", "AbsenceAddress", "HolidaysAddress", "WeekendAddress")
    ),
    "BankAccountType": {
        **{f"Bankrekening{n}": f"bankAccount{n}" for n in range(1, 6)},
        "Spaarloon": "salarySavings",
        "Levensloop": "lifecycleSavingSchemes",
        "Standaard": "standard",
    },
    "SalaryType": {
        "Bruto_Salaris_Fulltime": "grossFulltimeSalary",
        "Bruto_Salaris_Partime": "grossParttimeSalary",
        "Bruto_Uurloon": "grossHourlyWage",
        "Netto_Salaris_Partime_incl_looncomp": "netParttimeSalaryInclWageComp",
        "Netto_Salaris_Partime_excl_looncomp": "netParttimeSalaryExclWageComp",
        "Netto_Uurloon_excl_looncomp": "netHourlyWageExclWageComp",
        "Netto_Uurloon_incl_looncomp": "netHourlyWageInclWageComp",
        "Werkgerverslasten": "employerCosts",
    },
}
# Text fields whose REST values are an enumeration of their own: the marital status column
# holds the Dutch names (as SOAP's BurgerlijkeStaat takes them).
_TEXT_ENUMS: Final[Mapping[str, Mapping[str, str]]] = {
    "maritalStatus": {
        "Gehuwd": "married",
        "Ongehuwd": "unmarried",
        "Samenwonend": "livingTogether",
        "Gescheiden": "divorced",
        "Geregistreerd partnerschap": "registeredPartner",
        "Weduwe/weduwnaar": "widowWidower",
        "Onbekend": "notSpecified",
    }
}
_BACK: Final = {
    name: {rest: ours for ours, rest in table.items()}
    for name, table in (*_ENUMS.items(), *_TEXT_ENUMS.items())
}
_BACK["Gender"]["unknown"] = "undefined"


@dataclass(frozen=True, slots=True)
class EncodedRequest:
    """One call as it goes on the wire: the path with its ids, the query, the JSON body."""

    path: str
    query: Mapping[str, str]
    body: Any  # None: no body


def encode_request(operation: RestOperation, values: Mapping[str, Any]) -> EncodedRequest:
    """The request for `values` (the operation's request fields, nested like its body)."""
    path = operation.path
    query: dict[str, str] = {}
    body: Any = None
    known = {field.name for field in operation.request}
    unknown = sorted(set(values) - known)
    if unknown:
        raise SchemaViolation(unknown[0], f"{operation.name} has no such parameter")
    for field in operation.request:
        value = values.get(field.name)
        if field.name == BODY and isinstance(field.type, ComplexType):
            body = _record(field.type, value or {}, BODY)
            continue
        if value is None:
            if field.name in operation.path_names:
                raise SchemaViolation(field.name, "a path id is required")
            continue
        wire = to_wire(field, value, field.name)
        text = wire if isinstance(wire, str) else str(wire).lower()
        if field.name in operation.path_names:
            path = path.replace("{" + field.name + "}", quote(text, safe=""))
        else:
            query[field.name] = text
    return EncodedRequest(path, query, body)


def _record(record: ComplexType, values: Any, path: str) -> dict[str, Any]:
    if not isinstance(values, Mapping):
        raise SchemaViolation(path, f"expected a record ({record.name})")
    names = {field.name for field in record.fields}
    unknown = sorted(set(values) - names)
    if unknown:
        raise SchemaViolation(f"{path}.{unknown[0]}", f"{record.name} has no such field")
    encoded: dict[str, Any] = {}
    for field in record.fields:
        value = values.get(field.name)
        where = f"{path}.{field.name}"
        if value is None or (isinstance(value, Mapping) and not value):
            if field.required and not isinstance(field.type, ComplexType):
                raise SchemaViolation(where, "is required")
            continue
        encoded[field.name] = to_wire(field, value, where)
    return encoded


def to_wire(field: Field, value: Any, path: str) -> Any:
    """One value as JSON; SchemaViolation when the field cannot hold it."""
    type_ = field.type
    if isinstance(type_, ComplexType):
        return _record(type_, value, path)
    if field.repeated:
        raise SchemaViolation(path, "lists are not sent")
    check_simple(type_, value, path)
    if isinstance(type_, EnumType):
        if type_.name not in _ENUMS:
            return value  # REST's own enumeration: already its spelling
        wire = _ENUMS[type_.name].get(value)
        if wire is None:
            raise SchemaViolation(path, f"{value!r} has no REST equivalent in {type_.name}")
        return wire
    if field.name in _TEXT_ENUMS:
        translated = _TEXT_ENUMS[field.name].get(value)
        if translated is None:
            raise SchemaViolation(path, f"{value!r} has no REST equivalent")
        return translated
    if type_ is Xsd.DECIMAL:
        number = Decimal(value)
        return int(number) if number == number.to_integral_value() else float(number)
    if type_ is Xsd.DATE:
        return _day(value).isoformat()
    if type_ is Xsd.DATETIME:
        if isinstance(value, datetime):
            return value.strftime("%Y-%m-%dT%H:%M:%SZ")
        return f"{value.isoformat()}T00:00:00Z"
    return value


def _day(value: date) -> date:
    return value.date() if isinstance(value, datetime) else value


def decode_record(record: ComplexType, data: Any) -> dict[str, Any]:
    """A record from JSON into the core's values (the inverse of encoding); unknown keys and
    values that do not fit are left out."""
    if not isinstance(data, Mapping):
        return {}
    decoded: dict[str, Any] = {}
    for field in record.fields:
        value = data.get(field.name)
        if value is None:
            continue
        if isinstance(field.type, ComplexType):
            decoded[field.name] = decode_record(field.type, value)
            continue
        if field.repeated:
            continue
        found = _from_wire(field, value)
        if found is not None:
            decoded[field.name] = found
    return decoded


def _from_wire(field: Field, value: Any) -> Any:
    type_ = field.type
    if isinstance(type_, EnumType):
        if type_.name not in _BACK:
            return value if value in type_.values else None
        return _BACK[type_.name].get(value)
    if field.name in _TEXT_ENUMS:
        return _BACK[field.name].get(value)
    if type_ is Xsd.DECIMAL and isinstance(value, int | float) and not isinstance(value, bool):
        return Decimal(str(value))
    if type_ is Xsd.INT and isinstance(value, int) and not isinstance(value, bool):
        return value
    if type_ in (Xsd.DATE, Xsd.DATETIME) and isinstance(value, str):
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    if type_ is Xsd.BOOLEAN and isinstance(value, bool):
        return value
    if type_ in (Xsd.STRING, Xsd.UUID) and isinstance(value, str):
        return value
    return None
