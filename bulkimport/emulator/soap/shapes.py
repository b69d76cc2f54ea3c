"""The types the emulator's SOAP operation table is written in: XML Schema as the WSDLs use it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

SERVICES: Final = ("EmployeeService", "CompanyService")
NMBRS_NAMESPACE_ROOT: Final = "https://api.nmbrs.nl/soap/v3/"
# v3's header on every operation (API.md 3 and 5.3; v2.1 had AuthHeader, without Domain).
AUTH_HEADER: Final = "AuthHeaderWithDomain"


def service_namespace(service: str) -> str:
    """Nmbrs keeps the api.nmbrs.nl namespace on every host (also sandbox and api.nmbrs.se)."""
    return NMBRS_NAMESPACE_ROOT + service


class Xsd(StrEnum):
    """The XML Schema simple types of the emulated operations."""

    STRING = "string"
    INT = "int"
    DECIMAL = "decimal"
    BOOLEAN = "boolean"
    DATETIME = "dateTime"


@dataclass(frozen=True, slots=True)
class EnumType:
    """An xs:string restriction; values are case-sensitive on the wire."""

    name: str
    values: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ComplexType:
    """An xs:sequence: children must appear in this order."""

    name: str
    fields: tuple[Field, ...]


FieldType = Xsd | EnumType | ComplexType


@dataclass(frozen=True, slots=True)
class Field:
    """One element of a sequence, with its cardinality as the WSDL states it."""

    name: str
    type: FieldType
    min_occurs: int
    max_occurs: int | None  # None means unbounded
    nillable: bool

    @property
    def repeated(self) -> bool:
        return self.max_occurs is None or self.max_occurs > 1


@dataclass(frozen=True, slots=True)
class Operation:
    service: str
    name: str
    request: tuple[Field, ...]
    result: Field | None  # None: the response element is empty (void)
    doc: str

    @property
    def namespace(self) -> str:
        return service_namespace(self.service)

    @property
    def key(self) -> tuple[str, str]:
        return (self.service, self.name)

    @property
    def soap_action(self) -> str:
        return f"{self.namespace}/{self.name}"
