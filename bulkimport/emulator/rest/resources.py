"""The REST operations on the emulator's one state, in REST's shapes. No I/O.

Writes are translated into the SOAP door's record shapes and run through the same handlers
(`operations.py`), so both doors apply the same business rules and see the same records.
Reads render those records as the OpenAPI response schemas describe them. See the package
docstring for what is inferred.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Final

from bulkimport.emulator import operations
from bulkimport.emulator.rest.ids import DEBTOR_ID, IdIndex, period_uuid, uuid_of
from bulkimport.emulator.rest.problems import (
    RestError,
    invalid,
    invalid_company,
    not_found,
)
from bulkimport.emulator.rest.validation import validate
from bulkimport.emulator.rules import (
    FaultCode,
    NmbrsFault,
    Period,
    PeriodType,
    check_period,
    period_start,
)
from bulkimport.emulator.state import Company, Employee, EmulatorState, Record

Json = dict[str, Any]

ADDRESS_TYPES: Final = {
    "homeAddress": "HomeAddress",
    "postAddress": "PostAddress",
    "absenceAddress": "AbsenceAddress",
    "holidaysAddress": "HolidaysAddress",
    "weekendAddress": "WeekendAddress",
}
BANK_ACCOUNT_TYPES: Final = {
    "bankAccount1": "Bankrekening1",
    "bankAccount2": "Bankrekening2",
    "bankAccount3": "Bankrekening3",
    "bankAccount4": "Bankrekening4",
    "bankAccount5": "Bankrekening5",
    "salarySavings": "Spaarloon",
    "lifecycleSavingSchemes": "Levensloop",
    "standard": "Standaard",
}
SALARY_TYPES: Final = {
    "grossFulltimeSalary": "Bruto_Salaris_Fulltime",
    "grossParttimeSalary": "Bruto_Salaris_Partime",
    "grossHourlyWage": "Bruto_Uurloon",
    "netParttimeSalaryInclWageComp": "Netto_Salaris_Partime_incl_looncomp",
    "netParttimeSalaryExclWageComp": "Netto_Salaris_Partime_excl_looncomp",
    "netHourlyWageExclWageComp": "Netto_Uurloon_excl_looncomp",
    "netHourlyWageInclWageComp": "Netto_Uurloon_incl_looncomp",
    "employerCosts": "Werkgerverslasten",
}
MARITAL_STATUSES: Final = {
    "married": "Gehuwd",
    "unmarried": "Ongehuwd",
    "livingTogether": "Samenwonend",
    "divorced": "Gescheiden",
    "registeredPartner": "Geregistreerd partnerschap",
    "widowWidower": "Weduwe/weduwnaar",
}
GENDERS: Final = {"male": "male", "female": "female", "unspecified": "undefined",
                  "unknown": "undefined"}  # fmt: skip
GENDERS_BACK: Final = {"male": "male", "female": "female", "undefined": "unspecified"}
EMPLOYEE_TYPES: Final = (
    "applicant",
    "newHire",
    "payroll",
    "formerPayroll",
    "external",
    "formerExternal",
    "rejectedApplicant",
)
CONTACT_FIELDS: Final = {
    "privateEmail": "EmailPrivate",
    "businessEmail": "EmailWork",
    "businessPhone": "TelephoneWork",
    "businessMobilePhone": "TelephoneMobileWork",
    "privatePhone": "TelephonePrivate",
    "privateMobilePhone": "TelephoneMobilePrivate",
    "otherPhone": "TelephoneOther",
}
WEEKDAYS: Final = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
FULL_TIME_HOURS: Final = Decimal(40)  # for the part-time percentage SOAP keeps [inferred]
DUTCH_NATIONALITY_CODE: Final = 1  # Nmbrs' nationality code for Dutch [inferred]
# Values REST has and SOAP's PersonalInfo lacks are kept beside the record they belong to.
FIRST_NAME_IN_FULL: Final = "firstNameInFull"
NATIONALITY_ISO: Final = "nationalityCodeISO"
ASCRIPTION_CODE: Final = "ascriptionCode"


class RestResources:
    """Reads and writes of the REST door, and what REST keeps that SOAP has no field for.

    `employee_types` holds REST's employeeType per employee; `extras` the REST-only personal
    values per (employee, period), valid while that period's record is the one they came with
    (a SOAP update of the period replaces the record and so drops them).
    """

    def __init__(self, state: EmulatorState) -> None:
        self.state = state
        self.ids = IdIndex(state)
        self.employee_types: dict[int, str] = {}
        self.extras: dict[tuple[int, Period], tuple[Record, Record]] = {}

    def reset(self) -> None:
        self.employee_types.clear()
        self.extras.clear()

    def _extras_of(self, employee: Employee, start: Period, record: Record) -> Record:
        entry = self.extras.get((employee.id, start))
        return entry[1] if entry is not None and entry[0] is record else {}

    def _keep_extras(self, employee: Employee, start: Period, extras: Record) -> None:
        stored = next(record for period, record in employee.personal_info.items()
                      if period == start)  # fmt: skip
        self.extras[(employee.id, start)] = (stored, extras)

    # --- lookups ---------------------------------------------------------------------------
    def company(self, value: str) -> Company:
        _check_uuid(value, "companyId")
        company_id = self.ids.company_id(value)
        if company_id is None:
            raise invalid_company()
        return self.state.companies[company_id]

    def employee(self, value: str) -> Employee:
        _check_uuid(value, "employeeId")
        employee = self.ids.employee(value)
        if employee is None:
            raise not_found("Employee not found. Check if the employee Id is correct.")
        return employee

    def employee_type(self, employee: Employee) -> str:
        return self.employee_types.get(employee.id, "payroll")

    # --- reads -----------------------------------------------------------------------------
    def companies(self) -> list[Json]:
        return [
            {
                "companyId": uuid_of("company", company.id),
                "number": str(company.number),
                "name": company.name,
                "debtorId": DEBTOR_ID,
            }
            for company in self.state.companies.values()
        ]

    def company_addresses(self, company: Company) -> list[Json]:
        """The company's own address (the SOAP door's Address_GetCurrent) as its history."""
        record = company.address
        if not record:
            return []
        return [
            {
                "addressId": uuid_of("companyaddress", record["Id"]),
                "isDefault": bool(record.get("Default")),
                "street": record.get("Street") or "",
                "houseNumber": record.get("HouseNumber"),
                "houseNumberAddition": record.get("HouseNumberAddition"),
                "postalCode": record.get("PostalCode"),
                "city": record.get("City") or "",
                "stateProvince": record.get("StateProvince"),
                "countryISOCode": record.get("CountryISOCode"),
                "period": _period_json(company.current_period),
                "createdAt": _datetime_text(_midnight(company.current_start)),
                "type": "companyAddress",
            }
        ]

    def current_period(self, company: Company) -> list[Json]:
        year, number = company.current_period
        kind = "month" if company.period_type is PeriodType.MONTH else "4-weeks"
        return [
            {
                "period": {"year": year, "period": number},
                "periodType": kind,
                "displayPeriod": company.current_period_text,
            }
        ]

    def employee_list(
        self,
        company: Company,
        types: frozenset[str] | None,
        employee_filter: Employee | None,
        created_from: datetime | None,
    ) -> list[Json]:
        listed = []
        for employee in self._employees_of(company, employee_filter):
            if types is not None and self.employee_type(employee) not in types:
                continue
            if created_from is not None and _midnight(employee.start_date) < created_from:
                continue
            start = _latest_start(employee.personal_info.items(), company.current_period)
            record = employee.personal_info.valid_in(company.current_period) or {}
            extras = {} if start is None else self._extras_of(employee, start, record)
            listed.append(
                {
                    "employeeId": uuid_of("employee", employee.id),
                    "employeeBasicInfo": self._basic_info(employee, record, extras),
                }
            )
        return listed

    def employee_info(self, employee: Employee) -> list[Json]:
        company = self.state.companies[employee.company_id]
        current = company.current_period
        info: Json = {"employeeId": uuid_of("employee", employee.id)}
        start = _latest_start(employee.personal_info.items(), current)
        record = employee.personal_info.valid_in(current)
        if start is not None and record is not None:
            info["personalInfo"] = self._personal_info(employee, company, start, record)
        addresses = [(start, record) for start, record in employee.addresses if start <= current]
        if addresses:
            start, record = max(addresses, key=lambda item: (bool(item[1]["Default"]), item[0]))
            info["address"] = _address(company, start, record)
        return [info]

    def history(
        self,
        kind: str,
        company: Company,
        employee_filter: Employee | None,
        created_from: datetime | None,
    ) -> list[Json]:
        """Per employee of the company, every record of `kind` (the mutation history)."""
        key, render = self._histories()[kind]
        data = []
        for employee in self._employees_of(company, employee_filter):
            entries = [
                entry
                for created, entry in render(employee, company)
                if created_from is None or created >= created_from
            ]
            if entries or created_from is None:
                data.append({"employeeId": uuid_of("employee", employee.id), key: entries})
        return data

    def _employees_of(self, company: Company, only: Employee | None) -> Iterator[Employee]:
        if only is not None:
            if only.company_id == company.id:
                yield only
            return
        yield from map(self.state.employees.__getitem__, company.employee_ids)

    def _histories(
        self,
    ) -> Mapping[str, tuple[str, Callable[[Employee, Company], list[tuple[datetime, Json]]]]]:
        return {
            "personalinfo": ("info", self._personal_info_history),
            "addresses": ("addresses", _address_history),
            "bankaccounts": ("bankAccounts", _bank_account_history),
            "contracts": ("contracts", _contract_history),
            "salaries": ("salaries", _salary_history),
            "schedules": ("schedules", _schedule_history),
        }

    def _personal_info_history(
        self, employee: Employee, company: Company
    ) -> list[tuple[datetime, Json]]:
        return [
            (_created(company, start), self._personal_info(employee, company, start, record))
            for start, record in employee.personal_info.items()
        ]

    def _basic_info(self, employee: Employee, record: Record, extras: Record) -> Json:
        basic: Json = {}
        number = record.get("EmployeeNumber") or record.get("Number")
        if number:
            basic["employeeNumber"] = number
        basic |= {
            "firstName": record.get("FirstName"),
            "firstNameInFull": extras.get(FIRST_NAME_IN_FULL),
            "prefix": record.get("Prefix"),
            "initials": record.get("Initials"),
            "lastName": record.get("LastName") or "",
            "employeeType": self.employee_type(employee),
        }
        return basic

    def _personal_info(
        self, employee: Employee, company: Company, start: Period, record: Record
    ) -> Json:
        extras = self._extras_of(employee, start, record)
        birth: Json = {
            "birthDate": _datetime_text(record.get("Birthday")),
            "deceasedOn": _datetime_text(record.get("DeceasedDate")),
            "gender": GENDERS_BACK.get(record.get("Gender") or ""),
        }
        if record.get("CountryOfBirthISOCode"):
            birth["birthCountry"] = {"codeISO": record["CountryOfBirthISOCode"]}
        nationality = extras.get(NATIONALITY_ISO) or (
            "NL" if record.get("NationalityCode") == DUTCH_NATIONALITY_CODE else None
        )
        if nationality:
            birth["nationality"] = {"codeISO": nationality}
        partner: Json = {
            "partnerPrefix": record.get("PartnerPrefix"),
            "partnerName": record.get("PartnerLastName"),
            "maritalStatus": _reverse(MARITAL_STATUSES).get(
                record.get("BurgerlijkeStaat") or "", "notSpecified"
            ),
        }
        if extras.get(ASCRIPTION_CODE) is not None:
            partner["ascription"] = {"code": extras[ASCRIPTION_CODE], "ascription": None}
        return {
            "personalInfoId": period_uuid("personalinfo", employee.id, start),
            "basicInfo": self._basic_info(employee, record, extras),
            "birthInfo": birth,
            "contactInfo": {rest: record.get(soap) for rest, soap in CONTACT_FIELDS.items()},
            "partnerInfo": partner,
            "emergencyInfo": {
                "emergencyContact": record.get("InCaseOfEmergency"),
                "emergencyPhone": record.get("InCaseOfEmergencyPhone"),
                "emergencyRelationship": record.get("InCaseOfEmergencyRelation"),
            },
            "period": _period_json(start),
            "createdAt": _datetime_text(_created(company, start)),
        }

    # --- writes ----------------------------------------------------------------------------
    def create_employee(self, company: Company, body: Json) -> Json:
        personal = body.get("PersonalInfo")
        additional = body.get("AdditionalEmployeeInfo") or {}
        problems = []
        if not personal or not personal.get("basicInfo"):
            problems.append(("PersonalInfo.basicInfo", "is required to create an employee"))
        if not additional.get("inServiceDate"):
            problems.append(("AdditionalEmployeeInfo.inServiceDate", "is required"))
        if additional.get("defaultEmployeeTemplate"):
            problems.append(
                ("AdditionalEmployeeInfo.defaultEmployeeTemplate", "templates are not emulated")
            )
        if problems:
            raise invalid(problems)
        assert personal is not None
        start = date.fromisoformat(additional["inServiceDate"])
        basic = personal["basicInfo"]
        period = _period_of_body(company, personal.get("period"), "PersonalInfo.period") or min(
            company.period_of(start), company.current_period
        )
        employee = self.state.add_employee(
            company, start, basic.get("firstName") or "", basic["lastName"]
        )
        record, extras = _personal_record(employee, personal, {})
        try:
            _run(
                operations.personal_info_update,
                self.state,
                {"EmployeeId": employee.id, "PersonalInfo": record, "Year": period[0],
                 "Period": period[1]},
                _PERSONAL_FIELDS,
                "PersonalInfo",
                prefix="PersonalInfo.",
            )  # fmt: skip
        except RestError:
            self._discard(employee)
            raise
        self.employee_types[employee.id] = basic["employeeType"]
        self._keep_extras(employee, period, extras)
        return {"employeeId": uuid_of("employee", employee.id)}

    def _discard(self, employee: Employee) -> None:
        """Undo a creation whose personal info was refused: Nmbrs validates before it stores."""
        company = self.state.companies[employee.company_id]
        del self.state.employees[employee.id]
        company.employee_ids.remove(employee.id)

    def update_personal_info(self, employee: Employee, body: Json) -> Json:
        company = self.state.companies[employee.company_id]
        basic = body.get("basicInfo")
        if not basic or not basic.get("lastName"):
            raise invalid([("basicInfo.lastName", "is required: an employee keeps a last name")])
        period = _period_of_body(company, body.get("period"), "period") or company.current_period
        previous = employee.personal_info.valid_in(period) or {}
        record, extras = _personal_record(employee, body, previous)
        _run(
            operations.personal_info_update,
            self.state,
            {"EmployeeId": employee.id, "PersonalInfo": record, "Year": period[0],
             "Period": period[1]},
            _PERSONAL_FIELDS,
            "basicInfo",
        )  # fmt: skip
        self._keep_extras(employee, period, extras)
        return {"personalInfoId": period_uuid("personalinfo", employee.id, period)}

    def update_social_security_number(self, employee: Employee, body: Json) -> Json:
        company = self.state.companies[employee.company_id]
        number = body.get("socialSecurityNumber")
        if not number:
            raise invalid([("socialSecurityNumber", "is required")])
        current = company.current_period
        valid = employee.personal_info.valid_in(current) or {}
        start = _latest_start(employee.personal_info.items(), current)
        extras = {} if start is None else self._extras_of(employee, start, valid)
        record = {**valid, "Id": employee.id, "BSN": number}
        _run(
            operations.personal_info_update_current,
            self.state,
            {"EmployeeId": employee.id, "PersonalInfo": record},
            {},
            "socialSecurityNumber",
        )
        self._keep_extras(employee, current, extras)
        # "personalnfoId" (sic): the response property as the OpenAPI document spells it.
        return {"personalnfoId": period_uuid("personalinfo", employee.id, company.current_period)}

    def create_address(self, employee: Employee, body: Json) -> Json:
        company = self.state.companies[employee.company_id]
        if body["type"] not in ADDRESS_TYPES:
            raise invalid([("type", "this address type is not emulated")])
        period = _period_of_body(company, body.get("period"), "period")
        address = {
            "Id": 0,
            "Default": bool(body.get("isDefault")),
            "Street": body["street"],
            "HouseNumber": body.get("houseNumber"),
            "HouseNumberAddition": body.get("houseNumberAddition"),
            "PostalCode": body.get("postalCode"),
            "City": body["city"],
            "StateProvince": body.get("stateProvince"),
            "CountryISOCode": body["countryISOCode"],
            "Type": ADDRESS_TYPES[body["type"]],
        }
        address_id = _run(
            operations.address_insert_current,
            self.state,
            {"EmployeeId": employee.id, "Address": address},
            {},
            "countryISOCode",
        )
        if period is not None:  # the handler adds to the current period; move it
            _, stored = employee.addresses[-1]
            employee.addresses[-1] = (period, stored)
        return {"addressId": uuid_of("address", address_id)}

    def create_bank_account(self, employee: Employee, body: Json) -> Json:
        account = {
            "Id": 0,
            "Number": body.get("number"),
            "Description": None,
            "IBAN": body["IBAN"],
            "BIC": None,
            "City": body.get("city"),
            "Name": body.get("name"),
            "Type": BANK_ACCOUNT_TYPES[body.get("bankAccountType") or "bankAccount1"],
        }
        account_id = _run(
            operations.bank_account_insert_current,
            self.state,
            {"EmployeeId": employee.id, "BankAccount": account},
            {},
            "IBAN",
        )
        return {"bankAccountId": uuid_of("bankaccount", account_id)}

    def create_contract(self, employee: Employee, body: Json) -> Json:
        contract = {
            "ContractID": 0,
            "CreationDate": None,
            "StartDate": _parse_datetime(body["startDate"]),
            "TrialPeriod": _parse_datetime(body.get("trialPeriod")),
            "EndDate": _parse_datetime(body.get("endDate")),
            "EmployementType": 1,
            "EmploymentSequenceTaxId": 1,
            "Indefinite": body["indefinite"],
            "PhaseClassification": None,
            "WrittenContract": body.get("writtenContract"),
            "HoursPerWeek": _decimal(body.get("hoursPerWeek")),
        }
        contract_id = _run(
            operations.contract_insert,
            self.state,
            {"EmployeeId": employee.id, "EmployeeContract": contract, "UnprotectedMode": True},
            {"HoursPerWeek": "hoursPerWeek", "TrialPeriod": "trialPeriod", "EndDate": "endDate"},
            "startDate",
        )
        return {"contractId": uuid_of("contract", contract_id)}

    def create_salary(self, employee: Employee, body: Json) -> Json:
        problems = [(name, "is required") for name in ("type", "value") if body.get(name) is None]
        if body.get("salaryTable") is not None:
            problems.append(("salaryTable", "salary tables are not emulated"))
        if problems:
            raise invalid(problems)
        start = _parse_datetime(body["startDate"])
        assert start is not None
        salary = {"Value": _decimal(body["value"]), "Type": SALARY_TYPES[body["type"]],
                  "SalaryTable": None}  # fmt: skip
        _run(
            operations.salary_update,
            self.state,
            {"EmployeeId": employee.id, "Salary": salary, "Start": start},
            {"Value": "value"},
            "startDate",
        )
        company = self.state.companies[employee.company_id]
        period = company.period_of(start.date())
        return {"salaryId": period_uuid("salary", employee.id, period)}

    def create_schedule(self, employee: Employee, body: Json) -> Json:
        start = _parse_datetime(body["startDate"])
        assert start is not None
        week1 = body.get("week1") or {}
        week2 = body.get("week2") or week1  # one week given: the same in both [inferred]
        schedule: Record = {}
        for suffix, week in (("", week1), ("2", week2)):
            for day in WEEKDAYS:
                schedule[f"Hours{day}{suffix}"] = _decimal(week.get(f"hours{day}")) or Decimal(0)
        hours = _decimal(body.get("hoursPerWeek"))
        if hours is None:
            hours = sum((schedule[f"Hours{day}"] for day in WEEKDAYS), Decimal(0))
        schedule["ParttimePercentage"] = (hours * 100 / FULL_TIME_HOURS).quantize(Decimal("0.01"))
        schedule["StartDate"] = start
        _run(
            operations.schedule_update,
            self.state,
            {"EmployeeId": employee.id, "Schedule": schedule, "Start": start,
             "CompanyRoosterNr": 0},
            {"ParttimePercentage": "hoursPerWeek", "Hours": "week1"},
            "startDate",
        )  # fmt: skip
        company = self.state.companies[employee.company_id]
        period = company.period_of(start.date())
        return {"scheduleId": period_uuid("schedule", employee.id, period)}


# --- SOAP faults as REST refusals ----------------------------------------------------------
_PERSONAL_FIELDS: Final = {
    "employee number": "basicInfo.employeeNumber",
    "BSN": "socialSecurityNumber",
    "Birthday": "birthInfo.birthDate",
    "year": "period",
    "period": "period",
}


def _run(
    handler: Callable[[EmulatorState, Mapping[str, Any]], Any],
    state: EmulatorState,
    values: Mapping[str, Any],
    fields: Mapping[str, str],
    default: str,
    *,
    prefix: str = "",
) -> Any:
    """Run a SOAP-door handler; its refusal becomes a 400 naming the REST field [inferred].

    The field is the first of `fields` whose key the fault text mentions, else `default`.
    """
    try:
        return handler(state, values)
    except NmbrsFault as fault:
        matched = next((rest for soap, rest in fields.items() if soap in fault.text), None)
        if fault.code is FaultCode.INVALID_PERIOD:
            matched = "period"
        name = default if matched is None else prefix + matched
        raise invalid([(name, fault.text)]) from fault


# --- record conversions --------------------------------------------------------------------
def _personal_record(employee: Employee, body: Json, previous: Record) -> tuple[Record, Record]:
    """A SOAP PersonalInfo record from a REST body (what it leaves out is empty), and the
    REST-only values. The identity number is not in REST's personal info: kept from `previous`.
    """
    records = employee.personal_info.records
    template = records[-1] if records else previous  # any stored record has every field
    record: Record = dict.fromkeys(template)
    basic = body.get("basicInfo") or {}
    birth = body.get("birthInfo") or {}
    contact = body.get("contactInfo") or {}
    partner = body.get("partnerInfo") or {}
    number = basic.get("employeeNumber")
    nationality = birth.get("nationalityCodeISO")
    record |= {
        "Id": employee.id,
        "Number": number or 0,
        "EmployeeNumber": number,
        "BSN": previous.get("BSN"),
        "FirstName": basic.get("firstName"),
        "Initials": basic.get("initials"),
        "Prefix": basic.get("prefix"),
        "LastName": basic.get("lastName"),
        "Gender": GENDERS.get(birth.get("gender") or ""),
        "Birthday": _parse_day_or_moment(birth.get("birthDate")),
        "DeceasedDate": _parse_day_or_moment(birth.get("deceasedOn")),
        "CountryOfBirthISOCode": birth.get("birthCountryCodeISO"),
        "NationalityCode": DUTCH_NATIONALITY_CODE if nationality == "NL" else None,
        "IdentificationType": 0,
        "PartnerPrefix": partner.get("partnerPrefix"),
        "PartnerLastName": partner.get("partnerName"),
        "BurgerlijkeStaat": MARITAL_STATUSES.get(partner.get("maritalStatus") or ""),
    }  # fmt: skip
    for rest, soap in CONTACT_FIELDS.items():
        record[soap] = contact.get(rest)
    extras = {
        FIRST_NAME_IN_FULL: basic.get("firstNameInFull"),
        NATIONALITY_ISO: nationality,
        ASCRIPTION_CODE: partner.get("ascriptionCode"),
    }
    return record, extras


def _address(company: Company, start: Period, record: Record) -> Json:
    return {
        "addressId": uuid_of("address", record["Id"]),
        "isDefault": record["Default"],
        "type": _reverse(ADDRESS_TYPES)[record["Type"]],
        "street": record["Street"] or "",
        "houseNumber": record["HouseNumber"],
        "houseNumberAddition": record["HouseNumberAddition"],
        "postalCode": record["PostalCode"],
        "city": record["City"] or "",
        "stateProvince": record["StateProvince"],
        "countryISOCode": record["CountryISOCode"],
        "period": _period_json(start),
        "createdAt": _datetime_text(_created(company, start)),
    }


def _address_history(employee: Employee, company: Company) -> list[tuple[datetime, Json]]:
    return [
        (_created(company, start), _address(company, start, record))
        for start, record in employee.addresses
    ]


def _bank_account_history(employee: Employee, company: Company) -> list[tuple[datetime, Json]]:
    accounts = []
    for start, record in employee.bank_accounts:
        account: Json = {"bankAccountId": uuid_of("bankaccount", record["Id"])}
        for rest, soap in (("number", "Number"), ("IBAN", "IBAN"), ("city", "City"),
                           ("name", "Name")):  # fmt: skip
            if record.get(soap) is not None:
                account[rest] = record[soap]
        account["IBAN"] = record.get("IBAN") or ""
        account_type = _reverse(BANK_ACCOUNT_TYPES).get(record["Type"])
        if account_type is not None:
            account["bankAccountType"] = account_type
        created = _created(company, start)
        account["createdAt"] = _datetime_text(created)
        accounts.append((created, account))
    return accounts


def _contract_history(employee: Employee, company: Company) -> list[tuple[datetime, Json]]:
    contracts = []
    for record in employee.contracts:
        created: datetime = record["CreationDate"] or _midnight(company.current_start)
        hours = record["HoursPerWeek"]
        contracts.append(
            (
                created,
                {
                    "contractId": uuid_of("contract", record["ContractID"]),
                    "startDate": _datetime_text(record["StartDate"]),
                    "trialPeriod": _datetime_text(record["TrialPeriod"]),
                    "endDate": _datetime_text(record["EndDate"]),
                    "indefinite": record["Indefinite"],
                    "writtenContract": record["WrittenContract"],
                    "hoursPerWeek": None if hours is None else float(hours),
                    "createdAt": _datetime_text(created),
                },
            )
        )
    return contracts


def _salary_history(employee: Employee, company: Company) -> list[tuple[datetime, Json]]:
    salaries = []
    for start, record in employee.salaries.items():
        created = _created(company, start)
        salary: Json = {
            "salaryId": period_uuid("salary", employee.id, start),
            "startDate": _datetime_text(record["StartDate"]),
            "value": float(record["Value"]),
            "createdAt": _datetime_text(created),
        }
        salary_type = _reverse(SALARY_TYPES).get(record["Type"])
        if salary_type is not None:
            salary["type"] = salary_type
        salaries.append((created, salary))
    return salaries


def _schedule_history(employee: Employee, company: Company) -> list[tuple[datetime, Json]]:
    schedules = []
    for start, record in employee.schedules.items():
        created = _created(company, start)
        week1 = {f"hours{day}": float(record[f"Hours{day}"]) for day in WEEKDAYS}
        week2 = {f"hours{day}": float(record[f"Hours{day}2"]) for day in WEEKDAYS}
        schedules.append(
            (
                created,
                {
                    "scheduleId": period_uuid("schedule", employee.id, start),
                    "startDate": _datetime_text(record["StartDate"]),
                    "parttimePercentage": float(record["ParttimePercentage"]),
                    "hoursPerWeek": sum(week1.values()),
                    "daysPerWeek": sum(1 for hours in week1.values() if hours),
                    "week1": week1,
                    "week2": week2,
                    "createdAt": _datetime_text(created),
                },
            )
        )
    return schedules


# --- small conversions ---------------------------------------------------------------------
def _check_uuid(value: str, name: str) -> None:
    """A path id that is no UUID is a bad request, not an unknown record [inferred]."""
    problems = validate({"type": "string", "format": "uuid"}, value, name)
    if problems:
        raise invalid(problems)


def _reverse(mapping: Mapping[str, str]) -> dict[str, str]:
    return {soap: rest for rest, soap in mapping.items()}


def _period_json(period: Period) -> Json:
    return {"year": period[0], "period": period[1]}


def _period_of_body(company: Company, period: Json | None, name: str) -> Period | None:
    """A body's optional {year, period}: None means the current period."""
    if period is None:
        return None
    if "year" not in period or "period" not in period:
        raise invalid([(name, "needs both year and period")])
    try:
        return check_period(company.period_type, period["year"], period["period"])
    except NmbrsFault as fault:
        raise invalid([(name, fault.text)]) from fault


def _latest_start(items: Iterator[tuple[Period, Record]], current: Period) -> Period | None:
    starts = [start for start, _ in items if start <= current]
    return max(starts) if starts else None


def _created(company: Company, start: Period) -> datetime:
    """When a record was made: the emulator keeps no clock per record, so its period start."""
    return _midnight(period_start(company.period_type, start))


def _midnight(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time())


def _datetime_text(moment: datetime | None) -> str | None:
    """Naive emulator times are UTC on the REST side [inferred]."""
    return None if moment is None else moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_datetime(text: str) -> datetime:
    """An RFC 3339 date-time (already validated) as the naive wall-clock time SOAP keeps."""
    return datetime.fromisoformat(text).replace(tzinfo=None)


def _parse_datetime(text: str | None) -> datetime | None:
    return None if text is None else parse_datetime(text)


def _parse_day_or_moment(text: str | None) -> datetime | None:
    """Birth dates are `date` on create and `date-time` on update (as the spec has them)."""
    if text is None:
        return None
    if len(text) == 10:
        return _midnight(date.fromisoformat(text))
    return parse_datetime(text)


def _decimal(value: float | int | None) -> Decimal | None:
    return None if value is None else Decimal(str(value))
