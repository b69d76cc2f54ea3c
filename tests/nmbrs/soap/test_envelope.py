"""build_request's shape cache: a cached, copied tree must give the bytes of a fresh build."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest

from bulkimport.backend import Effect, SchemaViolation
from bulkimport.config import Credentials
from bulkimport.nmbrs.soap import envelope
from bulkimport.nmbrs.soap.envelope import build_request
from bulkimport.nmbrs.soap.schema import (
    EMPLOYEE_SERVICE,
    GENDER,
    ComplexType,
    Field,
    Operation,
    Xsd,
)

CREDENTIALS = Credentials("user@example.nl", "token-123", "example")
ITEM = ComplexType("Item", (Field("Code", Xsd.STRING), Field("Amount", Xsd.DECIMAL, 0)))
RECORD = ComplexType(
    "Record",
    (
        Field("Name", Xsd.STRING),
        Field("Count", Xsd.INT, 0),
        Field("Since", Xsd.DATETIME, 0, nillable=True),
        Field("Active", Xsd.BOOLEAN, 0),
        Field("Gender", GENDER, 0, nillable=True),
        Field("Items", ITEM, 0, None, nillable=True),
        Field("Tags", Xsd.STRING, 0, None),
    ),
)
OPERATION = Operation(
    EMPLOYEE_SERVICE,
    "Test_Operation",
    (Field("EmployeeId", Xsd.INT), Field("Record", RECORD), Field("Note", Xsd.STRING, 0)),
    None,
    Effect.UPDATE,
    "an operation with every kind of field, for the cache tests",
)


def fresh_build(values: Mapping[str, Any]) -> bytes:
    """The envelope built element by element, never from a cached shape."""
    return envelope._tostring(envelope._encode_request(OPERATION, values, CREDENTIALS))


def record(**changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "Name": "Julia",
        "Count": 3,
        "Since": date(2026, 12, 1),
        "Active": True,
        "Gender": "female",
        "Items": [{"Code": "A", "Amount": Decimal("12.50")}, {"Code": "B"}],
        "Tags": ["x", "y"],
    }
    values.update(changes)
    return values


VALUE_SETS = [
    {"EmployeeId": 1, "Record": record()},
    {"EmployeeId": 2, "Record": record(Name="Ruben", Count=-7, Active=False)},
    {"EmployeeId": 3, "Record": record(Since=None, Gender=None), "Note": ""},
    {"EmployeeId": 4, "Record": record(Items=[], Tags=None, Count=None)},
    {"EmployeeId": 5, "Record": record(Items=[None, {"Code": ""}], Tags=("only",))},
    {"EmployeeId": 6, "Record": record(Since=datetime(2026, 1, 2, 3, 4, 5, 6))},
    {"EmployeeId": 7, "Record": record(Count=True)},  # refused: a boolean is not an int
    {"EmployeeId": 8, "Record": record(Count=2**31)},  # refused: does not fit xs:int
    {"EmployeeId": 9, "Record": record(Gender="unknown")},  # refused: not in the enumeration
    {"EmployeeId": 10, "Record": record(Name=None)},  # refused: required
    {"EmployeeId": 11, "Record": record(Items=[{"Code": "A", "Colour": "red"}])},  # unknown
    {"EmployeeId": 12, "Record": "not a record"},
    {"EmployeeId": 13, "Record": record(Items=[{"Amount": Decimal("NaN"), "Code": "A"}])},
    {"EmployeeId": 14, "Record": record(), "Surprise": 1},
]


def outcome(build: Any, values: Mapping[str, Any]) -> bytes | str:
    try:
        return bytes(build(values))
    except (SchemaViolation, ValueError) as error:
        return f"{type(error).__name__}: {error}"


@pytest.mark.parametrize("values", VALUE_SETS)
def test_cached_shape_gives_the_bytes_or_error_of_a_fresh_build(values: dict[str, Any]) -> None:
    def cached(values: Mapping[str, Any]) -> bytes:
        return build_request(OPERATION, values, CREDENTIALS)

    expected = outcome(fresh_build, values)
    assert outcome(cached, values) == expected  # first call fills the cache
    assert outcome(cached, values) == expected  # second call copies the cached tree


def test_rows_of_one_shape_do_not_leak_texts_into_each_other() -> None:
    first = {"EmployeeId": 1, "Record": record(Name="Julia")}
    second = {"EmployeeId": 2, "Record": record(Name="", Tags=["p", "q"])}
    build_request(OPERATION, first, CREDENTIALS)
    built = build_request(OPERATION, second, CREDENTIALS)
    assert built == fresh_build(second)
    assert b"Julia" not in built
    assert b"<Name></Name>" in built


def test_a_control_character_is_refused_by_lxml_as_before() -> None:
    values = {"EmployeeId": 1, "Record": record(Name="bad\x01name")}
    build_request(OPERATION, {"EmployeeId": 1, "Record": record()}, CREDENTIALS)
    with pytest.raises(ValueError, match="XML compatible") as error:
        build_request(OPERATION, values, CREDENTIALS)
    assert not isinstance(error.value, SchemaViolation)
    # The refused call left the kept tree half rewritten; the next call must not show it.
    after = {"EmployeeId": 2, "Record": record(Name="Ruben", Count=9)}
    assert build_request(OPERATION, after, CREDENTIALS) == fresh_build(after)


def test_each_thread_keeps_its_own_trees() -> None:
    values = [{"EmployeeId": number, "Record": record(Count=number)} for number in range(50)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        built = list(pool.map(lambda v: build_request(OPERATION, v, CREDENTIALS), values * 4))
    assert built == [fresh_build(v) for v in values * 4]


def test_a_list_given_as_an_iterator_is_read_once() -> None:
    def tags() -> Iterator[str]:
        yield from ("x", "y")

    built = build_request(OPERATION, {"EmployeeId": 1, "Record": record(Tags=tags())}, CREDENTIALS)
    assert built == fresh_build({"EmployeeId": 1, "Record": record(Tags=["x", "y"])})


def test_other_credentials_get_their_own_header() -> None:
    values = {"EmployeeId": 1, "Record": record()}
    build_request(OPERATION, values, CREDENTIALS)
    other = build_request(OPERATION, values, Credentials("other@example.nl", "token-456"))
    assert b"other@example.nl" in other
    assert b"token-456" in other
    assert b"<Domain>" not in other


LIST_OPERATION = Operation(
    EMPLOYEE_SERVICE,
    "List_Things",
    (Field("CompanyId", Xsd.INT),),
    Field("List_ThingsResult", RECORD, 0),
    Effect.READ,
    "List the things (a read with a record reply).",
)
_NS = LIST_OPERATION.namespace


def _reply(inner: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">'
        f'<soap:Body><List_ThingsResponse xmlns="{_NS}">{inner}</List_ThingsResponse>'
        "</soap:Body></soap:Envelope>"
    ).encode()


def test_a_reply_is_read_leniently_as_a_newer_nmbrs_may_write_it() -> None:
    reply = _reply(
        "<List_ThingsResult>"
        "<Added>a field of a newer Nmbrs</Added>"
        '<Name xmlns="urn:other">the wrong namespace</Name>'
        "<!-- a comment -->"
        "<Count>2</Count><Name>first</Name><Name>second</Name>"
        "<Items><Code>B</Code><Unknown/></Items><Items><Code>C</Code><Amount>1.50</Amount></Items>"
        "</List_ThingsResult>"
    )
    parsed = envelope.parse_reply(LIST_OPERATION, reply)
    assert isinstance(parsed, envelope.Result)
    assert parsed.value == {
        "Count": 2,
        "Name": "first",
        "Items": [{"Code": "B"}, {"Code": "C", "Amount": Decimal("1.50")}],
        "Tags": [],
    }


def test_a_fault_in_the_body_wins_over_a_response() -> None:
    reply = _reply("").replace(
        b"</soap:Body>",
        b"<soap:Fault><faultcode>soap:Server</faultcode>"
        b"<faultstring>x ---&gt; 2002: Employee not found</faultstring></soap:Fault></soap:Body>",
    )
    parsed = envelope.parse_reply(LIST_OPERATION, reply)
    assert parsed == envelope.Fault("soap:Server", "x ---> 2002: Employee not found", 2002,
                                    "Employee not found")  # fmt: skip


def test_a_reply_without_the_response_element_is_refused() -> None:
    with pytest.raises(SchemaViolation, match="no List_ThingsResponse"):
        envelope.parse_reply(LIST_OPERATION, _reply("").replace(b"List_ThingsResponse", b"Other"))
