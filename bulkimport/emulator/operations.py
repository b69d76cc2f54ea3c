"""What each emulated operation does to the state, with Nmbrs' business rules. No I/O.

A handler takes the state and the strictly decoded request values and returns the value for
`<Op>Result` (None for void operations), or raises `NmbrsFault`. Where Nmbrs' behaviour is not
documented the emulator is stricter and says so here:

- PersonalInfo_UpdateCurrent/_Update replace the whole record of that period: omitted optional
  fields become empty (Nmbrs does not document whether omissions are kept; API.md 4.3).
- Employee_Insert gives the new employee Number 0 until a PersonalInfo call sets one; every
  employee has employee type 2 (see seed.py) [inferred]. The DisplayName is made from the
  current PersonalInfo in the format `EmulatorConfig.display_name_format` chooses ("Jan de
  Vries" by default; Nmbrs documents none: see state.DisplayNameFormat) [inferred].
- List_GetByCompany returns only the employees of the requested EmployeeType; a type that
  EmployeeType_GetList does not list is refused with 2030 [inferred].
- An unknown employee id gets 2003 Unauthorized Access (Nmbrs does not tell "absent" from
  "not yours"); an unknown company 2004 Unauthorized company.
- Identity numbers (PersonalInfo.BSN; for Swedish companies the personnummer, the field is
  inferred) failing the company country's check, an employee number already used by another
  employee of the company, and a missing record element are refused with 2030 Invalid Set of
  Values. A missing IBAN gets 2032, bank account type None 2016, salary tables 2030 (not
  emulated).
- `*Current` operations act on the company's current period; Period/Year and Start variants
  write from that period; Get*Current returns the record valid in the current period.
- A change dated before the current period needs UnprotectedMode=true (2011, "TWK exception")
  where the operation has that flag and documents the rule: Employee_Insert (StartDate) and
  Contract_Insert (the contract's StartDate). Contract_InsertCurrentPeriod has no flag, so a
  contract starting earlier is always refused. Salary_Update, Schedule_Update and
  PersonalInfo_Update have no flag and document no TWK exception: they accept a past Start or
  Period [inferred]; the client refuses such rows itself unless told to reach back.
- CompanyService.Address_GetCurrent shows the company's own address; its CountryISOCode (NL or
  SE) is the company's country.
- PersonalInfo_GetAll_AllEmployeesByCompany lists every personal-info record of every employee
  of the company with the period it starts in; marital status and name format come as numbers
  (MARITAL_STATUS_CODES, NAME_FORMAT_CODES: the emulator's own numbering, Nmbrs publishes none)
  [inferred].
- Salary_GetAll_AllEmployeesByCompany lists every salary of every employee of the company, future
  ones included, each with its SalaryType as the position in Nmbrs' enumeration (0 None,
  1 Bruto_Salaris_Fulltime, ...) and an ID and CreationDate the emulator derives [inferred].
- Address_InsertCurrent/BankAccount_InsertCurrent add a record from the current period; the
  *_GetListCurrent reads show, per Type, the latest one (a new HomeAddress supersedes the old
  one) [inferred].
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Final

from bulkimport.emulator.accounts import Country
from bulkimport.emulator.rules import (
    FaultCode,
    NmbrsFault,
    Period,
    check_order,
    check_period,
    check_unprotected,
    is_valid_bsn,
    is_valid_iban,
    is_valid_personnummer,
    period_start,
)
from bulkimport.emulator.soap.schema import EMPLOYEE_PERSONAL_INFO__V2, EMPLOYEE_SALARY_TYPE
from bulkimport.emulator.state import Company, Employee, EmulatorState, Record

Values = Mapping[str, Any]
Handler = Callable[[EmulatorState, Values], Any]

_MAX_HOURS_PER_WEEK: Final = Decimal(168)
# SalaryType's values in Nmbrs' order: the company-wide salary list gives a type as its position.
SALARY_TYPE_CODES: Final = EMPLOYEE_SALARY_TYPE.values
# The company-wide personal-info list gives marital status and name format as numbers; Nmbrs
# publishes no table, so the emulator numbers them in this order (0: unknown) [inferred].
MARITAL_STATUS_CODES: Final = (
    "", "Ongehuwd", "Gehuwd", "Samenwonend", "Geregistreerd partnerschap", "Gescheiden",
    "Weduwe/weduwnaar", "Onbekend",
)  # fmt: skip
NAME_FORMAT_CODES: Final = ("", "E", "P", "EP", "PE")


# --- lookups -----------------------------------------------------------------------------------
def _company(state: EmulatorState, company_id: int) -> Company:
    company = state.companies.get(company_id)
    if company is None:
        raise NmbrsFault(FaultCode.UNAUTHORIZED_COMPANY, f"company {company_id} is not accessible")
    return company


def _employee(state: EmulatorState, values: Values, key: str = "EmployeeId") -> Employee:
    employee_id = values[key]
    employee = state.employees.get(employee_id)
    if employee is None:
        raise NmbrsFault(
            FaultCode.UNAUTHORIZED_EMPLOYEE, f"employee {employee_id} is not accessible"
        )
    return employee


def _required(values: Values, name: str) -> Any:
    value = values.get(name)
    if value is None:
        raise NmbrsFault(FaultCode.INVALID_SET_OF_VALUES, f"{name} is required")
    return value


def _day(moment: datetime | None) -> date | None:
    return None if moment is None else moment.date()


def _midnight(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time())


# --- employees -------------------------------------------------------------------------------
def employee_insert(state: EmulatorState, values: Values) -> int:
    company = _company(state, values["CompanyId"])
    start: date = values["StartDate"].date()
    check_unprotected(start, company.current_start, values["UnprotectedMode"], "StartDate")
    if not values.get("LastName"):
        raise NmbrsFault(FaultCode.INVALID_SET_OF_VALUES, "LastName is required")
    employee = state.add_employee(company, start, values.get("FirstName") or "", values["LastName"])
    return employee.id


def employee_get_current(state: EmulatorState, values: Values) -> str:
    employee = _employee(state, values)
    return state.companies[employee.company_id].current_period_text


def list_get_by_company(state: EmulatorState, values: Values) -> Record:
    company = _company(state, values["CompanyId"])
    employee_type = values["EmployeeType"]
    if employee_type not in state.employee_types:
        raise NmbrsFault(
            FaultCode.INVALID_SET_OF_VALUES,
            f"EmployeeType {employee_type} is not one of EmployeeType_GetList",
        )
    return {
        "Employee": [
            {"Id": e.id, "Number": e.number, "DisplayName": e.display_name or None}
            for e in map(state.employees.__getitem__, company.employee_ids)
            if e.employee_type == employee_type
        ]
    }


def employee_type_get_list(state: EmulatorState, values: Values) -> Record:
    return {
        "EmployeeType": [
            {"Id": t.id, "Description": t.description} for t in state.employee_types.values()
        ]
    }


# --- personal info ---------------------------------------------------------------------------
def _checked_personal_info(state: EmulatorState, employee: Employee, values: Values) -> Record:
    info: Record = dict(_required(values, "PersonalInfo"))
    company = state.companies[employee.company_id]
    if info["Id"] not in (0, employee.id):
        raise NmbrsFault(
            FaultCode.INVALID_SET_OF_VALUES,
            f"PersonalInfo.Id {info['Id']} is not employee {employee.id}",
        )
    number, employee_number = info["Number"], info.get("EmployeeNumber")
    if number and employee_number and number != employee_number:
        raise NmbrsFault(FaultCode.INVALID_SET_OF_VALUES, "Number and EmployeeNumber differ")
    new_number = employee_number or number
    holder = company.numbers.get(new_number) if new_number else None
    if holder is not None and holder != employee.id:
        raise NmbrsFault(
            FaultCode.INVALID_SET_OF_VALUES,
            f"employee number {new_number} is already used by another employee of company "
            f"{company.id}",
        )
    if new_number is not None and new_number < 0:
        raise NmbrsFault(FaultCode.INVALID_SET_OF_VALUES, "the employee number is negative")
    identity = info.get("BSN")
    if identity:
        if company.country is Country.SE and not is_valid_personnummer(identity):
            raise NmbrsFault(
                FaultCode.INVALID_SET_OF_VALUES, "BSN is not a valid Swedish personnummer"
            )
        if company.country is Country.NL and not is_valid_bsn(identity):
            raise NmbrsFault(FaultCode.INVALID_SET_OF_VALUES, "BSN fails the 11-check")
    check_order(_day(info.get("Birthday")), _day(info.get("DeceasedDate")), "Birthday")
    info.update(Id=employee.id, Number=new_number or 0, EmployeeNumber=new_number or None)
    info["DisplayName"] = None  # derived from the names on every read
    return info


def personal_info_update_current(state: EmulatorState, values: Values) -> None:
    employee = _employee(state, values)
    info = _checked_personal_info(state, employee, values)
    state.set_personal_info(employee, state.companies[employee.company_id].current_period, info)


def personal_info_update(state: EmulatorState, values: Values) -> None:
    employee = _employee(state, values)
    company = state.companies[employee.company_id]
    period = check_period(company.period_type, values["Year"], values["Period"])
    info = _checked_personal_info(state, employee, values)
    state.set_personal_info(employee, period, info)


def personal_info_get_current(state: EmulatorState, values: Values) -> Record | None:
    employee = _employee(state, values)
    record = employee.personal_info.valid_in(state.companies[employee.company_id].current_period)
    if record is None:
        return None
    return {
        **record,
        "Id": employee.id,
        "Number": employee.number,
        "EmployeeNumber": employee.number or None,
        "DisplayName": employee.display_name or None,
    }


def personal_info_get_all_all_employees_by_company(state: EmulatorState, values: Values) -> Record:
    company = _company(state, values["CompanyID"])
    items = []
    for employee in map(state.employees.__getitem__, company.employee_ids):
        records = [
            _v2_record(record)
            | {
                "Id": employee.id,
                "DisplayName": employee.display_name or None,
                "EmployeeNumber": record.get("EmployeeNumber") or record.get("Number") or 0,
                "Gender": record.get("Gender") or "undefined",
                "NationalityCode": record.get("NationalityCode") or 0,
                "BurgerlijkeStaat": _code_of(MARITAL_STATUS_CODES, record.get("BurgerlijkeStaat")),
                "Naamstelling": _code_of(NAME_FORMAT_CODES, record.get("Naamstelling")),
                "Birthday": record.get("Birthday"),
                "CreationDate": _midnight(period_start(company.period_type, start)),
                "StartPeriod": start[1],
                "StartYear": start[0],
            }
            for start, record in employee.personal_info.items()
        ]
        items.append(
            {"EmployeeId": employee.id, "EmployeePersonalInfos": {"PersonalInfo_V2": records}}
        )
    return {"PersonalInfoItem": items}


def _v2_record(record: Record) -> Record:
    """The fields of a stored personal-info record that the company-wide list has."""
    return {field.name: record.get(field.name) for field in EMPLOYEE_PERSONAL_INFO__V2.fields}


def _code_of(codes: tuple[str, ...], text: str | None) -> int:
    """The number the company-wide list gives a text field: its position, 0 when unknown."""
    return codes.index(text) if text in codes else 0


# --- addresses and bank accounts ---------------------------------------------------------------
def address_insert_current(state: EmulatorState, values: Values) -> int:
    employee = _employee(state, values)
    address: Record = dict(_required(values, "Address"))
    country = address.get("CountryISOCode")
    if country is not None and not (len(country) == 2 and country.isascii() and country.isupper()):
        raise NmbrsFault(
            FaultCode.INVALID_SET_OF_VALUES, "CountryISOCode must be a two-letter ISO code"
        )
    address["Id"] = state.new_id("address")
    current = state.companies[employee.company_id].current_period
    employee.addresses.append((current, address))
    return int(address["Id"])


def _current_per_type(records: list[tuple[Period, Record]], current: Period) -> list[Record]:
    """Per Type, the record valid in the current period: a later insert supersedes [I]."""
    latest: dict[str, tuple[Period, Record]] = {}
    for start, record in records:
        if start <= current and (
            record["Type"] not in latest or latest[record["Type"]][0] <= start
        ):
            latest[record["Type"]] = (start, record)
    return [record for _, record in latest.values()]


def address_get_list_current(state: EmulatorState, values: Values) -> Record:
    employee = _employee(state, values)
    current = state.companies[employee.company_id].current_period
    return {"EmployeeAddress": _current_per_type(employee.addresses, current)}


def bank_account_insert_current(state: EmulatorState, values: Values) -> int:
    employee = _employee(state, values)
    account: Record = dict(_required(values, "BankAccount"))
    if account["Type"] == "None":
        raise NmbrsFault(FaultCode.INVALID_BANK_ACCOUNT_TYPE, "Type None is not a bank account")
    iban = account.get("IBAN")
    if not iban:
        raise NmbrsFault(FaultCode.IBAN_REQUIRED)
    if not is_valid_iban(iban):
        raise NmbrsFault(FaultCode.INVALID_IBAN, "the check digits or length do not match")
    account["Id"] = state.new_id("bank_account")
    current = state.companies[employee.company_id].current_period
    employee.bank_accounts.append((current, account))
    return int(account["Id"])


def bank_account_get_list_current(state: EmulatorState, values: Values) -> Record:
    employee = _employee(state, values)
    current = state.companies[employee.company_id].current_period
    return {"BankAccount": _current_per_type(employee.bank_accounts, current)}


# --- contracts -------------------------------------------------------------------------------
def _insert_contract(
    state: EmulatorState, employee: Employee, contract: Record, unprotected: bool
) -> int:
    company = state.companies[employee.company_id]
    start, end = _day(contract["StartDate"]), _day(contract["EndDate"])
    if start is None:
        raise NmbrsFault(FaultCode.INVALID_SET_OF_VALUES, "EmployeeContract.StartDate is required")
    check_order(start, end, "EmployeeContract")
    check_order(start, _day(contract["TrialPeriod"]), "EmployeeContract.TrialPeriod")
    check_unprotected(start, company.current_start, unprotected, "EmployeeContract.StartDate")
    if contract["Indefinite"] and end is not None:
        raise NmbrsFault(
            FaultCode.INVALID_SET_OF_VALUES, "an indefinite contract cannot have an EndDate"
        )
    hours = contract["HoursPerWeek"]
    if hours is not None and not Decimal(0) <= hours <= _MAX_HOURS_PER_WEEK:
        raise NmbrsFault(FaultCode.INVALID_SET_OF_VALUES, "HoursPerWeek is out of range")
    stored = dict(contract)
    stored["ContractID"] = state.new_id("contract")
    stored["CreationDate"] = contract["CreationDate"] or _midnight(company.current_start)
    employee.contracts.append(stored)
    return int(stored["ContractID"])


def contract_insert(state: EmulatorState, values: Values) -> int:
    employee = _employee(state, values)
    contract = _required(values, "EmployeeContract")
    return _insert_contract(state, employee, dict(contract), values["UnprotectedMode"])


def contract_insert_current_period(state: EmulatorState, values: Values) -> int:
    employee = _employee(state, values, "EmployeeID")
    contract: Record = dict(_required(values, "EmployeeContract"))
    company = state.companies[employee.company_id]
    if contract["StartDate"] is None:
        contract["StartDate"] = _midnight(company.current_start)
    # No UnprotectedMode parameter: a start before the current period is always protected.
    return _insert_contract(state, employee, contract, unprotected=False)


def contract_get_all(state: EmulatorState, values: Values) -> Record:
    """Every contract of the employee, past, current and future (reconciliation needs them)."""
    return {"EmployeeContract": list(_employee(state, values).contracts)}


def contract_get_current_period(state: EmulatorState, values: Values) -> Record:
    employee = _employee(state, values)
    company = state.companies[employee.company_id]
    active = [
        contract
        for contract in employee.contracts
        if contract["StartDate"].date() <= company.current_end
        and (contract["EndDate"] is None or contract["EndDate"].date() >= company.current_start)
    ]
    return {"EmployeeId": employee.id, "EmployeeContracts": {"EmployeeContract": active}}


# --- salary and schedule ---------------------------------------------------------------------
def _salary_record(values: Values, start: datetime) -> Record:
    salary = _required(values, "Salary")
    if salary["SalaryTable"] is not None:
        raise NmbrsFault(FaultCode.INVALID_SET_OF_VALUES, "salary tables are not emulated")
    if salary["Type"] == "None":
        raise NmbrsFault(FaultCode.INVALID_SET_OF_VALUES, "Salary.Type None is not a salary")
    if salary["Value"] < 0:
        raise NmbrsFault(FaultCode.INVALID_SET_OF_VALUES, "Salary.Value is negative")
    return {
        "Value": salary["Value"],
        "Type": salary["Type"],
        "SalaryTable": None,
        "StartDate": start,
    }


def salary_update_current(state: EmulatorState, values: Values) -> None:
    employee = _employee(state, values)
    company = state.companies[employee.company_id]
    record = _salary_record(values, _midnight(company.current_start))
    employee.salaries.put(company.current_period, record)


def salary_update(state: EmulatorState, values: Values) -> None:
    employee = _employee(state, values)
    company = state.companies[employee.company_id]
    start: datetime = values["Start"]
    record = _salary_record(values, start)
    employee.salaries.put(company.period_of(start.date()), record)


def salary_get_current(state: EmulatorState, values: Values) -> Record | None:
    employee = _employee(state, values)
    return employee.salaries.valid_in(state.companies[employee.company_id].current_period)


def salary_get_all_all_employees_by_company(state: EmulatorState, values: Values) -> Record:
    company = _company(state, values["CompanyID"])
    items = []
    for employee in map(state.employees.__getitem__, company.employee_ids):
        salaries = [
            {
                "ID": employee.id * 1000 + position,
                "Value": record["Value"],
                "Type": SALARY_TYPE_CODES.index(record["Type"]),
                "SalaryTable": None,
                "StartDate": record["StartDate"],
                "CreationDate": record["StartDate"],
            }
            for position, (_, record) in enumerate(employee.salaries.items(), start=1)
        ]
        items.append({"EmployeeId": employee.id, "EmployeeSalaries": {"Salary_V2": salaries}})
    return {"EmployeeSalaryItem": items}


def _schedule_record(values: Values, start: datetime) -> Record:
    schedule: Record = dict(_required(values, "Schedule"))
    if values["CompanyRoosterNr"] < 0:
        raise NmbrsFault(FaultCode.INVALID_SET_OF_VALUES, "CompanyRoosterNr is negative")
    for name, value in schedule.items():
        if name.startswith("Hours") and not Decimal(0) <= value <= Decimal(24):
            raise NmbrsFault(FaultCode.INVALID_SET_OF_VALUES, f"Schedule.{name} is out of range")
    if not Decimal(0) <= schedule["ParttimePercentage"] <= Decimal(100):
        raise NmbrsFault(
            FaultCode.INVALID_SET_OF_VALUES, "Schedule.ParttimePercentage is out of range"
        )
    schedule["StartDate"] = start
    return schedule


def schedule_update_current(state: EmulatorState, values: Values) -> None:
    employee = _employee(state, values)
    company = state.companies[employee.company_id]
    record = _schedule_record(values, _midnight(company.current_start))
    employee.schedules.put(company.current_period, record)


def schedule_update(state: EmulatorState, values: Values) -> None:
    employee = _employee(state, values)
    company = state.companies[employee.company_id]
    start: datetime = values["Start"]
    record = _schedule_record(values, start)
    employee.schedules.put(company.period_of(start.date()), record)


def schedule_get_current(state: EmulatorState, values: Values) -> Record | None:
    employee = _employee(state, values)
    return employee.schedules.valid_in(state.companies[employee.company_id].current_period)


# --- CompanyService ----------------------------------------------------------------------------
def company_list_get_all(state: EmulatorState, values: Values) -> Record:
    return {
        "Company": [
            {
                "ID": c.id,
                "Number": c.number,
                "Name": c.name,
                "PhoneNumber": None,
                "FaxNumber": None,
                "Email": c.email,
                "Website": None,
                "LoonaangifteTijdvak": c.loonaangifte_tijdvak,
                "KvkNr": c.kvk_number or None,
            }
            for c in state.companies.values()
        ]
    }


def company_get_current_period(state: EmulatorState, values: Values) -> str:
    return _company(state, values["CompanyId"]).current_period_text


def company_address_get_current(state: EmulatorState, values: Values) -> Record:
    return dict(_company(state, values["CompanyId"]).address)


# (service, operation) -> handler; a test checks that it covers the whole operation table.
HANDLERS: Final[Mapping[tuple[str, str], Handler]] = {
    ("EmployeeService", "Employee_Insert"): employee_insert,
    ("EmployeeService", "Employee_GetCurrent"): employee_get_current,
    ("EmployeeService", "List_GetByCompany"): list_get_by_company,
    ("EmployeeService", "EmployeeType_GetList"): employee_type_get_list,
    ("EmployeeService", "PersonalInfo_GetCurrent"): personal_info_get_current,
    ("EmployeeService", "PersonalInfo_UpdateCurrent"): personal_info_update_current,
    ("EmployeeService", "PersonalInfo_Update"): personal_info_update,
    ("EmployeeService", "PersonalInfo_GetAll_AllEmployeesByCompany"): (
        personal_info_get_all_all_employees_by_company
    ),
    ("EmployeeService", "Address_GetListCurrent"): address_get_list_current,
    ("EmployeeService", "Address_InsertCurrent"): address_insert_current,
    ("EmployeeService", "BankAccount_GetListCurrent"): bank_account_get_list_current,
    ("EmployeeService", "BankAccount_InsertCurrent"): bank_account_insert_current,
    ("EmployeeService", "Contract_GetAll"): contract_get_all,
    ("EmployeeService", "Contract_GetCurrentPeriod"): contract_get_current_period,
    ("EmployeeService", "Contract_Insert"): contract_insert,
    ("EmployeeService", "Contract_InsertCurrentPeriod"): contract_insert_current_period,
    ("EmployeeService", "Salary_GetCurrent"): salary_get_current,
    ("EmployeeService", "Salary_UpdateCurrent"): salary_update_current,
    ("EmployeeService", "Salary_Update"): salary_update,
    ("EmployeeService", "Salary_GetAll_AllEmployeesByCompany"): (
        salary_get_all_all_employees_by_company
    ),
    ("EmployeeService", "Schedule_GetCurrent"): schedule_get_current,
    ("EmployeeService", "Schedule_UpdateCurrent"): schedule_update_current,
    ("EmployeeService", "Schedule_Update"): schedule_update,
    ("CompanyService", "List_GetAll"): company_list_get_all,
    ("CompanyService", "Company_GetCurrentPeriod"): company_get_current_period,
    ("CompanyService", "Address_GetCurrent"): company_address_get_current,
}
