"""The one operation table: every Nmbrs SOAP operation bulkimport sends or emulates.

The client builds envelopes from it, the emulator validates requests and writes its WSDL from
it, and a test compares it with Nmbrs' published v2.1 WSDLs. Shapes follow the Feb-2020 v2.1
WSDLs (`shared/nmbrs/wsdl-v2.1/`) rewritten to the v3 namespace, except for the deliberate v3
differences listed in `V3_DIFFERENCES`, each with its source. Pure data, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from bulkimport.backend import ADDRESS_TYPE as ADDRESS_TYPE
from bulkimport.backend import BANK_ACCOUNT_TYPE as BANK_ACCOUNT_TYPE
from bulkimport.backend import GENDER as GENDER
from bulkimport.backend import SALARY_TYPE as SALARY_TYPE
from bulkimport.backend import ComplexType as ComplexType
from bulkimport.backend import Effect
from bulkimport.backend import EnumType as EnumType
from bulkimport.backend import Field as Field
from bulkimport.backend import FieldType as FieldType
from bulkimport.backend import Xsd as Xsd

NMBRS_NAMESPACE_ROOT: Final = "https://api.nmbrs.nl/soap/v3/"
EMPLOYEE_SERVICE: Final = "EmployeeService"
COMPANY_SERVICE: Final = "CompanyService"
SERVICES: Final = (EMPLOYEE_SERVICE, COMPANY_SERVICE)


def service_namespace(service: str) -> str:
    """Nmbrs keeps the api.nmbrs.nl namespace on every host (also sandbox and api.nmbrs.se)."""
    return NMBRS_NAMESPACE_ROOT + service


@dataclass(frozen=True, slots=True)
class Operation:
    service: str
    name: str
    request: tuple[Field, ...]
    result: Field | None  # None: the response element is empty (void)
    effect: Effect
    doc: str

    @property
    def namespace(self) -> str:
        return service_namespace(self.service)

    @property
    def soap_action(self) -> str:
        return f"{self.namespace}/{self.name}"

    @property
    def key(self) -> tuple[str, str]:
        return (self.service, self.name)

    @property
    def creates_employee(self) -> bool:
        return self.name == "Employee_Insert"


def _one(name: str, type_: FieldType, *, nillable: bool = False) -> Field:
    return Field(name, type_, 1, 1, nillable)


def _opt(name: str, type_: FieldType, *, nillable: bool = False) -> Field:
    return Field(name, type_, 0, 1, nillable)


def _many(name: str, type_: FieldType) -> Field:
    return Field(name, type_, 0, None, True)


S, INT, D, B, DT = Xsd.STRING, Xsd.INT, Xsd.DECIMAL, Xsd.BOOLEAN, Xsd.DATETIME

# --- enumerations [wsdl2020] ---------------------------------------------------------------
LOONAANGIFTE_TIJDVAK = EnumType("LoonaangifteTijdvak", ("None", "Month", "Week4", "Month6", "Year"))

# --- complex types [wsdl2020 unless noted] ---------------------------------------------------
EMPLOYEE = ComplexType("Employee", (_one("Id", INT), _one("Number", INT), _opt("DisplayName", S)))
ARRAY_OF_EMPLOYEE = ComplexType("ArrayOfEmployee", (_many("Employee", EMPLOYEE),))

EMPLOYEE_TYPE = ComplexType("EmployeeType", (_one("Id", INT), _opt("Description", S)))
ARRAY_OF_EMPLOYEE_TYPE = ComplexType("ArrayOfEmployeeType", (_many("EmployeeType", EMPLOYEE_TYPE),))

PERSONAL_INFO = ComplexType(
    "PersonalInfo",
    (
        *EMPLOYEE.fields,  # PersonalInfo extends Employee: the base fields come first
        _opt("EmployeeNumber", INT, nillable=True),
        _opt("BSN", S),
        _opt("Title", S),
        _opt("FirstName", S),
        _opt("Initials", S),
        _opt("Prefix", S),
        _opt("LastName", S),
        _opt("Nickname", S),
        _opt("Gender", GENDER, nillable=True),
        _opt("NationalityCode", INT, nillable=True),
        _opt("PlaceOfBirth", S),
        _opt("CountryOfBirthISOCode", S),
        _opt("IdentificationNumber", S),
        _one("IdentificationType", INT),
        _opt("PartnerPrefix", S),
        _opt("PartnerLastName", S),
        _opt("TelephonePrivate", S),
        _opt("TelephoneWork", S),
        _opt("TelephoneMobilePrivate", S),
        _opt("TelephoneMobileWork", S),
        _opt("TelephoneOther", S),
        _opt("EmailPrivate", S),
        _opt("EmailWork", S),
        _opt("BurgerlijkeStaat", S),
        _opt("Naamstelling", S),
        _opt("Birthday", DT, nillable=True),
        _opt("DeceasedDate", DT, nillable=True),
        _opt("InCaseOfEmergency", S),
        _opt("InCaseOfEmergencyPhone", S),
        _opt("InCaseOfEmergencyRelation", S),
        _opt("TitleAfter", S),
    ),
)
# A personal-info record as the company-wide list gives it, with the period it starts in; its
# marital status and name format are numbers whose meaning is not published [wsdl2020].
PERSONAL_INFO_V2 = ComplexType(
    "PersonalInfo_V2",
    (
        _one("Id", INT),
        _opt("DisplayName", S),
        _one("EmployeeNumber", INT),
        *(_opt(name, S) for name in ("BSN", "Title", "FirstName", "Initials", "Prefix")),
        _opt("LastName", S),
        _opt("Nickname", S),
        _one("Gender", GENDER),
        _one("NationalityCode", INT),
        _opt("PlaceOfBirth", S),
        _opt("CountryOfBirthISOCode", S),
        _opt("IdentificationNumber", S),
        _one("IdentificationType", INT),
        _opt("PartnerPrefix", S),
        _opt("PartnerLastName", S),
        _opt("TelephonePrivate", S),
        _opt("TelephoneWork", S),
        _opt("TelephoneMobilePrivate", S),
        _opt("TelephoneMobileWork", S),
        _opt("TelephoneOther", S),
        _opt("EmailPrivate", S),
        _opt("EmailWork", S),
        _one("BurgerlijkeStaat", INT),
        _one("Naamstelling", INT),
        _one("Birthday", DT, nillable=True),
        _one("CreationDate", DT, nillable=True),
        _one("StartPeriod", INT),
        _one("StartYear", INT),
        _opt("DeceasedDate", DT, nillable=True),
        _opt("InCaseOfEmergency", S),
        _opt("InCaseOfEmergencyPhone", S),
        _opt("InCaseOfEmergencyRelation", S),
        _opt("TitleAfter", S),
    ),
)
PERSONAL_INFO_ITEM = ComplexType(
    "PersonalInfoItem",
    (
        _one("EmployeeId", INT),
        _opt(
            "EmployeePersonalInfos",
            ComplexType("ArrayOfPersonalInfo_V2", (_many("PersonalInfo_V2", PERSONAL_INFO_V2),)),
        ),
    ),
)
ARRAY_OF_PERSONAL_INFO_ITEM = ComplexType(
    "ArrayOfPersonalInfoItem", (_many("PersonalInfoItem", PERSONAL_INFO_ITEM),)
)

EMPLOYEE_ADDRESS = ComplexType(
    "EmployeeAddress",
    (
        _one("Id", INT),
        _one("Default", B),
        _opt("Street", S),
        _opt("HouseNumber", S),
        _opt("HouseNumberAddition", S),
        _opt("PostalCode", S),
        _opt("City", S),
        _opt("StateProvince", S),
        _opt("CountryISOCode", S),
        _one("Type", ADDRESS_TYPE),
    ),
)
ARRAY_OF_EMPLOYEE_ADDRESS = ComplexType(
    "ArrayOfEmployeeAddress", (_many("EmployeeAddress", EMPLOYEE_ADDRESS),)
)

BANK_ACCOUNT = ComplexType(
    "BankAccount",
    (
        _one("Id", INT),
        _opt("Number", S),
        _opt("Description", S),
        _opt("IBAN", S),
        _opt("BIC", S),
        _opt("City", S),
        _opt("Name", S),
        _one("Type", BANK_ACCOUNT_TYPE),
    ),
)
ARRAY_OF_BANK_ACCOUNT = ComplexType("ArrayOfBankAccount", (_many("BankAccount", BANK_ACCOUNT),))

# v3 EmployeeContract: the eight 2020 fields plus the three WAB-2020 additions [help-v3].
EMPLOYEE_CONTRACT = ComplexType(
    "EmployeeContract",
    (
        _one("ContractID", INT),
        _one("CreationDate", DT, nillable=True),
        _one("StartDate", DT, nillable=True),
        _one("TrialPeriod", DT, nillable=True),
        _one("EndDate", DT, nillable=True),
        _one("EmployementType", INT),  # sic, as Nmbrs spells it
        _one("EmploymentSequenceTaxId", INT),
        _one("Indefinite", B, nillable=True),
        _one("PhaseClassification", INT, nillable=True),
        _one("WrittenContract", B, nillable=True),
        _one("HoursPerWeek", D, nillable=True),
    ),
)
ARRAY_OF_EMPLOYEE_CONTRACT = ComplexType(
    "ArrayOfEmployeeContract", (_many("EmployeeContract", EMPLOYEE_CONTRACT),)
)
EMPLOYEE_CONTRACT_ITEM = ComplexType(
    "EmployeeContractItem",
    (_one("EmployeeId", INT), _opt("EmployeeContracts", ARRAY_OF_EMPLOYEE_CONTRACT)),
)

SALARY_TABLE_SCALE_INPUT = ComplexType(
    "SalaryTableScaleInput", (_opt("Scale", S), _one("ScalePercentage", D))
)
SALARY_TABLE_STEP_INPUT = ComplexType("SalaryTableStepInput", (_opt("Step", S),))
SALARY_TABLE_EMPLOYEE_INPUT = ComplexType(
    "SalaryTableEmployeeInput",
    (_opt("Scale", SALARY_TABLE_SCALE_INPUT), _opt("Step", SALARY_TABLE_STEP_INPUT)),
)
SALARY_INPUT = ComplexType(
    "SalaryInput",
    (_one("Value", D), _one("Type", SALARY_TYPE), _opt("SalaryTable", SALARY_TABLE_EMPLOYEE_INPUT)),
)
SALARY_TABLE_SCALE = ComplexType(
    "SalaryTableScale",
    (
        _opt("Scale", S),
        _opt("SchaalDescription", S),
        _one("ScaleValue", D),
        _one("ScalePercentageMax", D),
        _one("ScalePercentageMin", D),
    ),
)
SALARY_TABLE_STEP = ComplexType(
    "SalaryTableStep", (_opt("Step", S), _opt("StepDescription", S), _one("StepValue", D))
)
SALARY_TABLE_EMPLOYEE = ComplexType(
    "SalaryTableEmployee",
    (
        _one("Code", INT),
        _opt("Description", S),
        _opt("Schaal", SALARY_TABLE_SCALE),
        _opt("Trede", SALARY_TABLE_STEP),
    ),
)
SALARY = ComplexType(
    "Salary",
    (
        _one("Value", D),
        _one("Type", SALARY_TYPE),
        _opt("SalaryTable", SALARY_TABLE_EMPLOYEE),
        _one("StartDate", DT),
    ),
)
# A salary as the company-wide list gives it: its type as an int (the SalaryType's position,
# inferred), and every salary of the employee, future ones included [wsdl2020].
SALARY_V2 = ComplexType(
    "Salary_V2",
    (
        _one("ID", INT),
        _one("Value", D),
        _one("Type", INT),
        _opt("SalaryTable", SALARY_TABLE_EMPLOYEE),
        _one("StartDate", DT),
        _one("CreationDate", DT),
    ),
)
EMPLOYEE_SALARY_ITEM = ComplexType(
    "EmployeeSalaryItem",
    (
        _one("EmployeeId", INT),
        _opt("EmployeeSalaries", ComplexType("ArrayOfSalary_V2", (_many("Salary_V2", SALARY_V2),))),
    ),
)
ARRAY_OF_EMPLOYEE_SALARY_ITEM = ComplexType(
    "ArrayOfEmployeeSalaryItem", (_many("EmployeeSalaryItem", EMPLOYEE_SALARY_ITEM),)
)

SCHEDULE = ComplexType(
    "Schedule",
    (
        *(
            _one(f"Hours{day}{week}", D)
            for week in ("", "2")
            for day in (
                "Monday",
                "Tuesday",
                "Wednesday",
                "Thursday",
                "Friday",
                "Saturday",
                "Sunday",
            )
        ),
        _one("ParttimePercentage", D),
        _one("StartDate", DT),
    ),
)

COMPANY = ComplexType(
    "Company",
    (
        _one("ID", INT),  # capital ID, unlike Employee.Id
        _one("Number", INT),
        _opt("Name", S),
        _opt("PhoneNumber", S),
        _opt("FaxNumber", S),
        _opt("Email", S),
        _opt("Website", S),
        _one("LoonaangifteTijdvak", LOONAANGIFTE_TIJDVAK),
        _opt("KvkNr", S),
    ),
)
ARRAY_OF_COMPANY = ComplexType("ArrayOfCompany", (_many("Company", COMPANY),))

# The company's own address; its CountryISOCode tells a Dutch company from a Swedish one.
COMPANY_ADDRESS = ComplexType(
    "Address",
    (
        _one("Id", INT),
        _one("Default", B),
        _opt("Street", S),
        _opt("HouseNumber", S),
        _opt("HouseNumberAddition", S),
        _opt("PostalCode", S),
        _opt("City", S),
        _opt("StateProvince", S),
        _opt("CountryISOCode", S),
    ),
)


# --- operations -------------------------------------------------------------------------------
def _op(
    name: str,
    request: tuple[Field, ...],
    result: FieldType | None,
    effect: Effect,
    doc: str,
    *,
    service: str = EMPLOYEE_SERVICE,
    result_min_occurs: int | None = None,
) -> Operation:
    if result is None:
        result_field = None
    else:
        # Value-type results (int) are mandatory in the response; reference types may be absent.
        minimum = 1 if isinstance(result, Xsd) and result is not Xsd.STRING else 0
        if result_min_occurs is not None:
            minimum = result_min_occurs
        result_field = Field(f"{name}Result", result, minimum, 1)
    return Operation(service, name, request, result_field, effect, doc)


_EMPLOYEE_ID = _one("EmployeeId", INT)

OPERATIONS: Final[tuple[Operation, ...]] = (
    _op(
        "Employee_Insert",
        (
            _opt("FirstName", S),
            _opt("LastName", S),
            _one("StartDate", DT),
            _one("CompanyId", INT),
            _one("UnprotectedMode", B),
        ),
        INT,
        Effect.INSERT,
        "Create a new Employee, returns the Id of this Employee. If the date is before the "
        "company's current period, unprotected mode flag is required, else a TWK exception is "
        "thrown.",
    ),
    _op(
        "Employee_GetCurrent",
        (_EMPLOYEE_ID,),
        S,
        Effect.READ,
        "Get the company's current period, Format = yyyy-pp-type, example: 2010-5-M or 2010-4-4W.",
    ),
    _op(
        "List_GetByCompany",
        (_one("CompanyId", INT), _one("EmployeeType", INT)),
        ARRAY_OF_EMPLOYEE,
        Effect.READ,
        "Get all employees that belong to a company, of the given employee type.",
    ),
    _op(
        "EmployeeType_GetList",
        (),
        ARRAY_OF_EMPLOYEE_TYPE,
        Effect.READ,
        "Get the employee types of the environment (the values List_GetByCompany filters on).",
    ),
    _op(
        "PersonalInfo_GetCurrent",
        (_EMPLOYEE_ID,),
        PERSONAL_INFO,
        Effect.READ,
        "Get the currently active personal info.",
    ),
    _op(
        "PersonalInfo_UpdateCurrent",
        (_EMPLOYEE_ID, _opt("PersonalInfo", PERSONAL_INFO)),
        None,
        Effect.UPDATE,
        "Update personal info starting from the current period.",
    ),
    _op(
        "PersonalInfo_Update",
        (_EMPLOYEE_ID, _opt("PersonalInfo", PERSONAL_INFO), _one("Period", INT), _one("Year", INT)),
        None,
        Effect.UPDATE,
        "Update personal info starting from the given period.",
    ),
    _op(
        "PersonalInfo_GetAll_AllEmployeesByCompany",
        (_one("CompanyID", INT),),  # capital ID [wsdl2020]
        ARRAY_OF_PERSONAL_INFO_ITEM,
        Effect.READ,
        "Get all personal infos of all employees.",
    ),
    _op(
        "Address_GetListCurrent",
        (_EMPLOYEE_ID,),
        ARRAY_OF_EMPLOYEE_ADDRESS,
        Effect.READ,
        "Get all currently active adresses.",
    ),
    _op(
        "Address_InsertCurrent",
        (_EMPLOYEE_ID, _opt("Address", EMPLOYEE_ADDRESS)),
        INT,
        Effect.INSERT,
        "Insert given address to the current period.",
    ),
    _op(
        "BankAccount_GetListCurrent",
        (_EMPLOYEE_ID,),
        ARRAY_OF_BANK_ACCOUNT,
        Effect.READ,
        "Get all active bankaccounts for the current period.",
    ),
    _op(
        "BankAccount_InsertCurrent",
        (_EMPLOYEE_ID, _opt("BankAccount", BANK_ACCOUNT)),
        INT,
        Effect.INSERT,
        "Insert given bankaccount to the current period.",
    ),
    _op(
        "Contract_GetAll",
        (_EMPLOYEE_ID,),
        ARRAY_OF_EMPLOYEE_CONTRACT,
        Effect.READ,
        "Get all contracts for the specified employee.",
    ),
    _op(
        "Contract_GetCurrentPeriod",
        (_EMPLOYEE_ID,),
        EMPLOYEE_CONTRACT_ITEM,
        Effect.READ,
        "Get a list of all active contracts for specified employee in current period.",
    ),
    _op(
        "Contract_Insert",
        (_EMPLOYEE_ID, _opt("EmployeeContract", EMPLOYEE_CONTRACT), _one("UnprotectedMode", B)),
        INT,
        Effect.INSERT,
        "Insert Contract. If the startdate is before the company's current period, unprotected "
        "mode flag is required, else a TWK exception is thrown.",
    ),
    _op(
        "Contract_InsertCurrentPeriod",
        (_one("EmployeeID", INT), _opt("EmployeeContract", EMPLOYEE_CONTRACT)),
        INT,
        Effect.INSERT,
        "Insert Contract in current period for specified employee.",
    ),
    _op(
        "Salary_GetCurrent",
        (_EMPLOYEE_ID,),
        SALARY,
        Effect.READ,
        "Get the currently active salary.",
    ),
    _op(
        "Salary_UpdateCurrent",
        (_EMPLOYEE_ID, _opt("Salary", SALARY_INPUT)),
        None,
        Effect.UPDATE,
        "Update salary. This salary will start from the first date of the current period.",
    ),
    _op(
        "Salary_Update",
        (_EMPLOYEE_ID, _opt("Salary", SALARY_INPUT), _one("Start", DT)),
        None,
        Effect.UPDATE,
        "Update salary. This salary will start from the date given.",
    ),
    _op(
        "Salary_GetAll_AllEmployeesByCompany",
        (_one("CompanyID", INT),),  # capital ID [wsdl2020]
        ARRAY_OF_EMPLOYEE_SALARY_ITEM,
        Effect.READ,
        "Get all salary, untill given period.",
    ),
    _op(
        "Schedule_GetCurrent",
        (_EMPLOYEE_ID,),
        SCHEDULE,
        Effect.READ,
        "Get currently active schedule.",
    ),
    _op(
        "Schedule_UpdateCurrent",
        (_EMPLOYEE_ID, _opt("Schedule", SCHEDULE), _one("CompanyRoosterNr", INT)),
        None,
        Effect.UPDATE,
        "Update schedule starting from the current period. The company default rooster number "
        "can be specified.",
    ),
    _op(
        "Schedule_Update",
        (
            _EMPLOYEE_ID,
            _opt("Schedule", SCHEDULE),
            _one("Start", DT),
            _one("CompanyRoosterNr", INT),
        ),
        None,
        Effect.UPDATE,
        "Update schedule starting from the given date. The company default rooster number can "
        "be specified.",
    ),
    _op(
        "List_GetAll",
        (),
        ARRAY_OF_COMPANY,
        Effect.READ,
        "Returns all companies",
        service=COMPANY_SERVICE,
    ),
    _op(
        "Company_GetCurrentPeriod",
        (_one("CompanyId", INT),),
        S,
        Effect.READ,
        "Returns the company's current period, Format = yyyy-pp-type, example: 2010-5-M or "
        "2010-4-4W",
        service=COMPANY_SERVICE,
    ),
    _op(
        "Address_GetCurrent",
        (_one("CompanyId", INT),),
        COMPANY_ADDRESS,
        Effect.READ,
        "Get the company's current address.",
        service=COMPANY_SERVICE,
    ),
)

_BY_KEY: Final = {op.key: op for op in OPERATIONS}


def find_operation(service: str, name: str) -> Operation:
    """Look an operation up by service and name; KeyError when it is not in the table."""
    return _BY_KEY[(service, name)]


def operations_of(service: str) -> tuple[Operation, ...]:
    return tuple(op for op in OPERATIONS if op.service == service)


def lookup_operation(name: str) -> Operation:
    """Find an operation by name alone, EmployeeService first (templates name operations so)."""
    for service in SERVICES:
        if (service, name) in _BY_KEY:
            return _BY_KEY[(service, name)]
    raise KeyError(name)


@dataclass(frozen=True, slots=True)
class V3Difference:
    operation: str
    what: str
    source: str


# Where the table knowingly departs from the v2.1 WSDL, and why. The WSDL comparison test
# skips exactly these points and fails on any other difference.
V3_DIFFERENCES: Final[tuple[V3Difference, ...]] = (
    V3Difference(
        "List_GetByCompany",
        "EmployeeType:int replaces v2.1's active:Active",
        "four independent v3 clients (PyPI nmbrs, go-nmbrs employees/list_by_company.go, "
        "leapforce go_nmbrs Employee.go, an httpx client); API.md section 5.3",
    ),
    V3Difference(
        "EmployeeType_GetList",
        "v3-only operation: no parameters; result EmployeeType*{Id:int, Description:string}",
        "tim-online/go-nmbrs employees/type_list.go and types.go; API.md section 5.1",
    ),
    V3Difference(
        "Contract_Insert",
        "v3-only operation: EmployeeId, EmployeeContract (11 fields), UnprotectedMode",
        "Nmbrs' v3 help page EmployeeService.asmx?op=Contract_Insert; API.md section 4.4",
    ),
    V3Difference(
        "Contract_InsertCurrentPeriod",
        "v3-only operation; parameter names EmployeeID and EmployeeContract inferred from "
        "Contract_InsertCurrentPeriod_v2 and the v3 EmployeeContract type",
        "API.md section 5.1 (inferred, not verified)",
    ),
    V3Difference(
        "Contract_GetAll",
        "v3-only operation; shape inferred from Contract_GetAll_v2 (EmployeeId -> "
        "ArrayOfContract_v2) with the v3 EmployeeContract type",
        "PyPI nmbrs 1.0.13 lists the v3 name; API.md section 5.3 (inferred, not verified)",
    ),
    V3Difference(
        "Contract_GetCurrentPeriod",
        "EmployeeContract items carry the v3 type with PhaseClassification, WrittenContract "
        "and HoursPerWeek",
        "Nmbrs' v3 help page for Contract_Insert (the v3 EmployeeContract type)",
    ),
)
