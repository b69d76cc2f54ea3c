"""The Nmbrs REST backend: operations by key, and the reads pre-flight and the run need. No I/O
of its own: every read goes through the `read` the core hands in (retried, counted, capped).

REST's reads answer in their own shapes; what the core compares (reconciliation's personal
info, a merge's current record, the records a lost insert may have made) is converted here
into the core's values: the seam's enumeration values, dates and Decimals.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, Final

from bulkimport.backend import BackendOperation, ComplexType, ReadFunction, StepRead
from bulkimport.errors import ProtocolError
from bulkimport.guards import ChangeDate, CompanyPeriod, PeriodKind
from bulkimport.model import Call, NmbrsId, RowPlan
from bulkimport.nmbrs.rest.codec import decode_record
from bulkimport.nmbrs.rest.schema import lookup_operation
from bulkimport.nmbrs.rest.table import BODY, RestOperation
from bulkimport.reconcile import EmployeeEntry, RecordCheck, display_name_of, normalise_text

__all__ = ["RestBackend", "RestDating", "RestEmployeeLister"]

PAGE_SIZE: Final = 100  # the most a page may hold (the document's pageSize maximum)
# Where the list of records sits in what `listed_records` hands reconciliation.
_RECORDS: Final = "records"
# How each REST insert's record is found again in the employee's history.
_RECORD_CHECKS: Final[Mapping[str, RecordCheck]] = {
    "createEmployeeAddress": RecordCheck(
        "getAddressesByCompany",
        "employeeId",
        BODY,
        (_RECORDS,),
        ("street", "houseNumber", "houseNumberAddition", "postalCode", "city", "type"),
        "addressId",
    ),
    "createEmployeeBankAccount": RecordCheck(
        "getBankAccountsByCompany",
        "employeeId",
        BODY,
        (_RECORDS,),
        ("IBAN", "number", "bankAccountType"),
        "bankAccountId",
    ),
    "createEmployeeContract": RecordCheck(
        "getContractsByCompany",
        "employeeId",
        BODY,
        (_RECORDS,),
        ("startDate", "endDate", "indefinite", "hoursPerWeek"),
        "contractId",
    ),
    "createEmployeeSalary": RecordCheck(
        "getSalariesByCompany",
        "employeeId",
        BODY,
        (_RECORDS,),
        ("startDate", "type", "value"),
        "salaryId",
    ),
    "createEmployeeSchedule": RecordCheck(
        "getSchedulesByCompany",
        "employeeId",
        BODY,
        (_RECORDS,),
        ("startDate", "week1"),
        "scheduleId",
    ),
}
# The key of each history read's list of records per employee.
_HISTORY_KEYS: Final = {
    "getAddressesByCompany": "addresses",
    "getBankAccountsByCompany": "bankAccounts",
    "getContractsByCompany": "contracts",
    "getSalariesByCompany": "salaries",
    "getSchedulesByCompany": "schedules",
    "getEmployeePersonalInfoByCompany": "info",
}
# The history a step's before values come from, and the body field that tells which record of
# an insert's kind it supersedes ("" where the step is not an insert of that sort).
_BEFORE_READS: Final[Mapping[str, tuple[str, str]]] = {
    "createEmployeeSalary": ("getSalariesByCompany", ""),
    "UpdateEmployeePersonalInfo": ("getEmployeePersonalInfoByCompany", ""),
    "createEmployeeAddress": ("getAddressesByCompany", "type"),
    "createEmployeeBankAccount": ("getBankAccountsByCompany", "bankAccountType"),
}
# Body fields that date or place a write rather than being the data it changes.
_NOT_COMPARED: Final = frozenset({"startDate", "period"})
_PERIOD_KINDS: Final = {"month": PeriodKind.MONTH, "4-weeks": PeriodKind.FOUR_WEEKS,
                        "1-week": PeriodKind.WEEK}  # fmt: skip
# The dates that date a REST write, by where they sit in its body.
_DATED: Final = (("startDate",), ("AdditionalEmployeeInfo", "inServiceDate"))


async def read_all(
    read: ReadFunction, operation: RestOperation, values: Mapping[str, Any]
) -> list[Any]:
    """Every record of a list read, a page per read (each retried and counted on its own)."""
    records: list[Any] = []
    page = 1
    while True:
        answer = await read(operation, {**values, "pageNumber": page, "pageSize": PAGE_SIZE})
        data = answer.get("data") if isinstance(answer, Mapping) else None
        if not isinstance(data, list):
            raise ProtocolError(f"{operation.name}: the answer holds no data list")
        records.extend(data)
        pagination = answer.get("pagination")
        pages = pagination.get("totalPages") if isinstance(pagination, Mapping) else None
        if not data or not isinstance(pages, int) or page >= pages:
            return records
        page += 1


def _basic_info(values: Mapping[str, Any]) -> Mapping[str, Any]:
    """The basicInfo a createEmployee call sends."""
    body = values.get(BODY) or {}
    personal = body.get("PersonalInfo") or {}
    basic: Mapping[str, Any] = personal.get("basicInfo") or {}
    return basic


class RestEmployeeLister:
    """A company's employees over REST: one list read of every type, page by page."""

    async def list_employees(
        self, read: ReadFunction, company_id: NmbrsId
    ) -> tuple[EmployeeEntry, ...]:
        listed = await read_all(
            read, lookup_operation("getEmployeesByCompany"), {"companyId": company_id}
        )
        entries = []
        for item in listed or []:
            basic = item.get("employeeBasicInfo") or item.get("basicInfo") or {}
            name = " ".join(
                part for part in (basic.get("firstName"), basic.get("prefix"),
                                  basic.get("lastName")) if part
            )  # fmt: skip
            entries.append(
                EmployeeEntry(item["employeeId"], basic.get("employeeNumber") or 0, name)
            )
        return tuple(entries)


class RestDating:
    """The guards' `Dating` for REST calls: a body's start or in-service date dates it.

    REST has no unprotected mode for the writes the templates make [inferred from the
    document: none of their bodies has one], so a call is sent as it is.
    """

    def change_date(self, call: Call) -> ChangeDate | None:
        body = call.values.get(BODY)
        for path in _DATED:
            value: Any = body
            for name in path:
                value = value.get(name) if isinstance(value, Mapping) else None
            if isinstance(value, date):
                return ChangeDate((BODY, *path), value, None)
        return None

    def unprotected(self, call: Call) -> Call:
        return call


class RestBackend:
    """Nmbrs REST behind the core's Backend protocol, for one company (its history reads are
    per company)."""

    template_section = "rest_operations"  # where a template lists its calls for this API

    def __init__(self, company_id: NmbrsId = "") -> None:
        self.company_id = company_id

    def operation(self, service: str, name: str) -> RestOperation:
        return lookup_operation(name)

    def template_operation(self, name: str) -> RestOperation:
        return lookup_operation(name)

    def employee_lister(self) -> RestEmployeeLister:
        return RestEmployeeLister()

    def dating(self) -> RestDating:
        return RestDating()

    def record_check(self, operation: BackendOperation) -> RecordCheck | None:
        return _RECORD_CHECKS.get(operation.name)

    def insert_match_key(self, operation: BackendOperation, values: Mapping[str, Any]) -> str:
        if not operation.creates_employee:
            return ""
        basic = _basic_info(values)
        return normalise_text(display_name_of(basic.get("firstName"), basic.get("lastName")))

    def inserted_employee(self, values: Mapping[str, Any]) -> Mapping[str, Any]:
        basic = _basic_info(values)
        return {"FirstName": basic.get("firstName"), "LastName": basic.get("lastName")}

    def planned_employee(self, plan: RowPlan) -> Mapping[str, Any]:
        for call in plan.calls:
            operation = lookup_operation(call.operation)
            if operation.creates_employee:
                body = call.values.get(BODY) or {}
                personal = body.get("PersonalInfo") or {}
                basic = personal.get("basicInfo") or {}
                birth = personal.get("birthInfo") or {}
                return {
                    "FirstName": basic.get("firstName"),
                    "LastName": basic.get("lastName"),
                    "Prefix": basic.get("prefix"),
                    "Initials": basic.get("initials"),
                    "EmployeeNumber": basic.get("employeeNumber"),
                    "Birthday": birth.get("birthDate"),
                }
        return {}

    async def list_companies(self, read: ReadFunction) -> Mapping[NmbrsId, str]:
        return {item["companyId"]: item.get("name") or "" for item in await self.companies(read)}

    async def companies(self, read: ReadFunction) -> list[Mapping[str, Any]]:
        """Every company the login reaches: companyId, number, name."""
        listed = await read_all(read, lookup_operation("getCompanies"), {})
        return [item for item in listed or [] if isinstance(item, Mapping)]

    async def company_country_code(self, read: ReadFunction, company_id: NmbrsId) -> str | None:
        listed = await read_all(
            read, lookup_operation("getCompanyAddresses"), {"companyId": company_id}
        )
        addresses = [item for item in listed or [] if isinstance(item, Mapping)]
        # The company's own address, the default one first (a post address may lie abroad).
        addresses.sort(key=lambda item: (item.get("type") != "companyAddress",
                                         not item.get("isDefault")))  # fmt: skip
        code = addresses[0].get("countryISOCode") if addresses else None
        return code if isinstance(code, str) else None

    async def current_period(self, read: ReadFunction, company_id: NmbrsId) -> CompanyPeriod:
        answer = await read(lookup_operation("getCurrentPeriod"), {"companyId": company_id})
        listed = answer.get("data") if isinstance(answer, Mapping) else None
        first = listed[0] if isinstance(listed, list) and listed else None
        if not isinstance(first, Mapping) or not isinstance(first.get("period"), Mapping):
            raise ValueError(f"not a current period: {listed!r}")
        period = first["period"]
        kind = _PERIOD_KINDS.get(str(first.get("periodType")), PeriodKind.MONTH)
        year, number = period.get("year"), period.get("period")
        if not isinstance(year, int) or not isinstance(number, int):
            raise ValueError(f"not a current period: {listed!r}")
        return CompanyPeriod(year, number, kind)

    async def current_record(
        self, read: ReadFunction, read_operation: str, values: Mapping[str, Any]
    ) -> Any:
        reader = lookup_operation(read_operation)
        listed = await read_all(read, reader, {"employeeId": values["employeeId"]})
        info = listed[0].get("personalInfo") if isinstance(listed, list) and listed else None
        if not isinstance(info, Mapping) or reader.result is None:
            return None
        assert isinstance(reader.result.type, ComplexType)
        return decode_record(reader.result.type, _as_update(info))

    async def listed_records(
        self,
        read: ReadFunction,
        operation: BackendOperation,
        check: RecordCheck,
        values: Mapping[str, Any],
    ) -> Any:
        employee = values[check.employee_field]
        listed = await read_all(
            read,
            lookup_operation(check.read_operation),
            {"companyId": self.company_id, "employeeId": employee},
        )
        body = lookup_operation(operation.name).body
        assert body is not None
        key = _HISTORY_KEYS[check.read_operation]
        records = []
        for item in listed or []:
            if item.get("employeeId") != employee:
                continue
            for record in item.get(key) or []:
                decoded = decode_record(body, record)
                decoded[check.id_field] = record.get(check.id_field)
                records.append(decoded)
        return {_RECORDS: records}

    async def current_values(
        self, read: ReadFunction, company_id: NmbrsId, steps: Sequence[StepRead]
    ) -> list[Mapping[str, Any] | None]:
        """From the company-wide histories, one list read (page by page) per kind the steps
        write: the salary valid on the row's startDate, the personal info of the current
        period, the employee's latest address or bank account of the row's type. Other
        steps (the BSN, contracts, schedules): not known.
        """
        wanted = {
            _BEFORE_READS[step.operation][0] for step in steps if step.operation in _BEFORE_READS
        }
        histories = {name: await self._histories(read, company_id, name) for name in sorted(wanted)}
        period = None
        if "getEmployeePersonalInfoByCompany" in wanted:
            current = await self.current_period(read, company_id)
            period = (current.year, current.number)
        found: list[Mapping[str, Any] | None] = []
        for step in steps:
            kind = _BEFORE_READS.get(step.operation)
            if kind is None:
                found.append(None)
                continue
            read_name, same_kind = kind
            records = histories[read_name].get(str(step.employee_id), [])
            body = lookup_operation(step.operation).body
            assert body is not None
            if read_name == "getEmployeePersonalInfoByCompany":
                assert period is not None
                info = _valid_in(records, period)
                found.append(
                    _flatten(BODY, decode_record(body, _as_update(info)), body) if info else {}
                )
            elif read_name == "getSalariesByCompany":
                salary = _valid_on(records, (step.values.get(BODY) or {}).get("startDate"))
                found.append(_flatten(BODY, decode_record(body, salary), body) if salary else {})
            else:
                kind_value = (step.values.get(BODY) or {}).get(same_kind)
                same = [
                    decoded
                    for record in records
                    if (decoded := decode_record(body, record)).get(same_kind) == kind_value
                ]
                found.append(_flatten(BODY, same[-1], body) if same else None)
        return found

    async def _histories(
        self, read: ReadFunction, company_id: NmbrsId, read_name: str
    ) -> dict[str, list[Mapping[str, Any]]]:
        """A company-wide history read: each employee's records, by employee id."""
        listed = await read_all(read, lookup_operation(read_name), {"companyId": company_id})
        key = _HISTORY_KEYS[read_name]
        return {
            str(item.get("employeeId")): [
                record for record in item.get(key) or [] if isinstance(record, Mapping)
            ]
            for item in listed
            if isinstance(item, Mapping)
        }

    async def personal_info(self, read: ReadFunction, employee_id: NmbrsId) -> Any:
        listed = await read_all(read, lookup_operation("getEmployee"), {"employeeId": employee_id})
        info = listed[0].get("personalInfo") if isinstance(listed, list) and listed else None
        if not isinstance(info, Mapping):
            return None
        basic = info.get("basicInfo") or {}
        birth = info.get("birthInfo") or {}
        birthday = birth.get("birthDate")
        return {
            "FirstName": basic.get("firstName"),
            "LastName": basic.get("lastName"),
            "Prefix": basic.get("prefix"),
            "Initials": basic.get("initials"),
            "EmployeeNumber": basic.get("employeeNumber"),
            "Birthday": date.fromisoformat(birthday[:10]) if isinstance(birthday, str) else None,
        }


def _flatten(prefix: str, record: Mapping[str, Any], shape: ComplexType) -> dict[str, Any]:
    """Every field of the body by dotted path, as a call's values name them; a field the
    record leaves out (an empty one) is there as None."""
    flat: dict[str, Any] = {}
    for field in shape.fields:
        if field.name in _NOT_COMPARED or field.repeated:
            continue
        path = f"{prefix}.{field.name}"
        value = record.get(field.name)
        if isinstance(field.type, ComplexType):
            flat.update(_flatten(path, value if isinstance(value, Mapping) else {}, field.type))
        else:
            flat[path] = value
    return flat


def _valid_in(records: Sequence[Mapping[str, Any]], period: tuple[int, int]) -> Any:
    """The personal info valid in `period`: the latest that starts by it (None: none)."""

    def start(record: Mapping[str, Any]) -> tuple[int, int]:
        started = record.get("period") or {}
        return (int(started.get("year") or 0), int(started.get("period") or 0))

    started = [record for record in records if start(record) <= period]
    return sorted(started, key=start)[-1] if started else None  # the last made of a day


def _valid_on(records: Sequence[Mapping[str, Any]], day: Any) -> Any:
    """The salary valid on `day` (a date; None: the latest): the latest that starts by it."""

    def start(record: Mapping[str, Any]) -> str:
        return str(record.get("startDate") or "")[:10]

    limit = day.isoformat()[:10] if isinstance(day, date) else None
    started = [record for record in records if limit is None or start(record) <= limit]
    return sorted(started, key=start)[-1] if started else None  # the last made of a day


def _as_update(info: Mapping[str, Any]) -> dict[str, Any]:
    """A read's personalInfo in the shape of the PUT that replaces it (nested codes flattened)."""
    birth = dict(info.get("birthInfo") or {})
    for nested, flat in (("birthCountry", "birthCountryCodeISO"),
                         ("nationality", "nationalityCodeISO")):  # fmt: skip
        value = birth.pop(nested, None)
        if isinstance(value, Mapping) and value.get("codeISO"):
            birth[flat] = value["codeISO"]
    partner = dict(info.get("partnerInfo") or {})
    ascription = partner.pop("ascription", None)
    if isinstance(ascription, Mapping) and ascription.get("code") is not None:
        partner["ascriptionCode"] = ascription["code"]
    return {
        "basicInfo": info.get("basicInfo") or {},
        "birthInfo": birth,
        "contactInfo": info.get("contactInfo") or {},
        "partnerInfo": partner,
    }
