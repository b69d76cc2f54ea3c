"""The core speaks to a Backend, not to SOAP: a stand-in API with other operation names, other
reply shapes and its own employee listing runs the pre-flight and the directory unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pytest

from bulkimport.backend import (
    BackendOperation,
    Effect,
    OperationShape,
    ReadFunction,
    StepRead,
    TransportStats,
)
from bulkimport.config import Country
from bulkimport.directory import EmployeeDirectory
from bulkimport.errors import ConfigError
from bulkimport.guards import ChangeDate, CompanyPeriod, PeriodKind
from bulkimport.model import Call, NmbrsId, RowPlan
from bulkimport.nmbrs.soap.backend import SoapBackend
from bulkimport.preflight import check_target
from bulkimport.reconcile import EmployeeEntry, RecordCheck

COMPANY = 7


@dataclass(frozen=True, slots=True)
class Endpoint:
    """An operation of the stand-in API: a method and a path, nothing like SOAP."""

    service: str
    name: str
    effect: Effect = Effect.READ
    creates_employee: bool = False


class StubTransport:
    """Answers each endpoint from a table and keeps what the core sent."""

    def __init__(self, answers: Mapping[str, Any]) -> None:
        self.answers = answers
        self.sent: list[tuple[BackendOperation, dict[str, Any]]] = []

    @property
    def stats(self) -> TransportStats:
        return TransportStats(len(self.sent), 0)

    async def call(self, operation: BackendOperation, values: Mapping[str, Any]) -> Any:
        self.sent.append((operation, dict(values)))
        return self.answers[operation.name]


class StandInLister:
    async def list_employees(
        self, read: ReadFunction, company_id: NmbrsId
    ) -> tuple[EmployeeEntry, ...]:
        page = await read(Endpoint("api", "GET /companies/{id}/employees"), {"id": company_id})
        return tuple(EmployeeEntry(item["id"], item["number"], item["name"]) for item in page)


class NoDating:
    def change_date(self, call: Call) -> ChangeDate | None:
        return None

    def unprotected(self, call: Call) -> Call:
        return call


class StandInBackend:
    """A second API behind the seam, with answers shaped its own way."""

    def operation(self, service: str, name: str) -> Endpoint:
        return Endpoint(service, name)

    def template_operation(self, name: str) -> OperationShape:
        raise KeyError(name)  # the seam's reads need no templates

    def employee_lister(self) -> StandInLister:
        return StandInLister()

    def dating(self) -> NoDating:
        return NoDating()

    def record_check(self, operation: BackendOperation) -> RecordCheck | None:
        return None

    def insert_match_key(self, operation: BackendOperation, values: Mapping[str, Any]) -> str:
        return ""

    template_section = "operations"

    def inserted_employee(self, values: Mapping[str, Any]) -> Mapping[str, Any]:
        return values

    def planned_employee(self, plan: RowPlan) -> Mapping[str, Any]:
        return {}

    async def list_companies(self, read: ReadFunction) -> Mapping[NmbrsId, str]:
        companies = await read(Endpoint("api", "GET /companies"), {})
        return {item["number"]: item["name"] for item in companies}

    async def company_country_code(self, read: ReadFunction, company_id: NmbrsId) -> str | None:
        address = await read(Endpoint("api", "GET /companies/{id}/address"), {"id": company_id})
        code: str | None = address["countryCode"]
        return code

    async def current_period(self, read: ReadFunction, company_id: NmbrsId) -> CompanyPeriod:
        period = await read(Endpoint("api", "GET /companies/{id}/period"), {"id": company_id})
        return CompanyPeriod(period["year"], period["period"], PeriodKind(period["type"]))

    async def current_record(
        self, read: ReadFunction, read_operation: str, values: Mapping[str, Any]
    ) -> Any:
        return None

    async def listed_records(
        self,
        read: ReadFunction,
        operation: BackendOperation,
        check: RecordCheck,
        values: Mapping[str, Any],
    ) -> Any:
        return None

    async def personal_info(self, read: ReadFunction, employee_id: NmbrsId) -> Any:
        return None

    async def current_values(
        self, read: ReadFunction, company_id: NmbrsId, steps: Sequence[StepRead]
    ) -> list[Mapping[str, Any] | None]:
        return [None] * len(steps)  # the seam's pre-flight reads plan nothing


ANSWERS: Mapping[str, Any] = {
    "GET /companies": [{"number": COMPANY, "name": "Bakkerij Stand-in"}],
    "GET /companies/{id}/address": {"countryCode": "SE"},
    "GET /companies/{id}/period": {"year": 2026, "period": 12, "type": "M"},
    "GET /companies/{id}/employees": [
        {"id": 501, "number": 1001, "name": "Jan de Vries"},
        {"id": 502, "number": 0, "name": "new, no number yet"},
    ],
}


async def test_the_pre_flight_reads_through_any_backend() -> None:
    transport = StubTransport(ANSWERS)
    facts = await check_target(
        transport,
        StandInBackend(),
        COMPANY,
        target="stand-in",
        requested_country=None,
        default_country=Country.NL,
        seed=1,
    )
    assert facts.company_name == "Bakkerij Stand-in"
    assert facts.country is Country.SE
    assert facts.period == CompanyPeriod(2026, 12, PeriodKind.MONTH)
    assert facts.employee_numbers == {1001: 501}
    assert {type(operation) for operation, _ in transport.sent} == {Endpoint}
    assert [operation.name for operation, _ in transport.sent] == list(ANSWERS)


async def test_a_company_the_backend_does_not_list_stops_the_run() -> None:
    with pytest.raises(ConfigError, match="company 8 is not one this account can reach"):
        await check_target(
            StubTransport(ANSWERS),
            StandInBackend(),
            8,
            target="stand-in",
            requested_country=None,
            default_country=Country.NL,
        )


async def test_the_directory_resolves_numbers_with_the_backend_lister() -> None:
    transport = StubTransport(ANSWERS)
    directory = EmployeeDirectory(transport.call, StandInBackend().employee_lister())
    assert await directory.resolve(COMPANY, 1001) == 501
    assert await directory.resolve(COMPANY, 1002) is None
    assert len(transport.sent) == 1  # the list is read once per run and cached


def test_the_soap_backend_fills_the_same_protocol() -> None:
    backend = SoapBackend()
    insert = backend.operation("EmployeeService", "Employee_Insert")
    assert insert.creates_employee and insert.effect is Effect.INSERT
    assert backend.insert_match_key(insert, {"FirstName": "Jan", "LastName": "de Vries"})
    address = backend.operation("EmployeeService", "Address_InsertCurrent")
    check = backend.record_check(address)
    assert check is not None and check.read_operation == "Address_GetListCurrent"
    assert backend.insert_match_key(address, {"FirstName": "Jan"}) == ""
