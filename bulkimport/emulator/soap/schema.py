"""The emulator's SOAP operation table. Generated: do not edit.

From Nmbrs' v2.1 WSDLs, moved to the v3 namespace, with the v3 differences that
scripts/gen_soap_schema.py declares and applies. Pure data. Read from:
EmployeeService.wsdl sha256 1cc409dc7e35b7db
CompanyService.wsdl sha256 2240ae1b5417b787
"""

from __future__ import annotations

from typing import Final

from bulkimport.emulator.soap.shapes import (
    ComplexType,
    EnumType,
    Field,
    Operation,
    Xsd,
)

S, INT, D, B, DT = Xsd.STRING, Xsd.INT, Xsd.DECIMAL, Xsd.BOOLEAN, Xsd.DATETIME

EMPLOYEE_EMPLOYEE = ComplexType(
    "Employee",
    (
        Field("Id", INT, 1, 1, False),
        Field("Number", INT, 1, 1, False),
        Field("DisplayName", S, 0, 1, False),
    ),
)
EMPLOYEE_ARRAY_OF_EMPLOYEE = ComplexType(
    "ArrayOfEmployee", (Field("Employee", EMPLOYEE_EMPLOYEE, 0, None, True),)
)
EMPLOYEE_EMPLOYEE_TYPE = ComplexType(
    "EmployeeType",
    (
        Field("Id", INT, 1, 1, False),
        Field("Description", S, 0, 1, False),
    ),
)
EMPLOYEE_ARRAY_OF_EMPLOYEE_TYPE = ComplexType(
    "ArrayOfEmployeeType", (Field("EmployeeType", EMPLOYEE_EMPLOYEE_TYPE, 0, None, True),)
)
EMPLOYEE_GENDER = EnumType("Gender", ("undefined", "male", "female"))
EMPLOYEE_PERSONAL_INFO = ComplexType(
    "PersonalInfo",
    (
        Field("Id", INT, 1, 1, False),
        Field("Number", INT, 1, 1, False),
        Field("DisplayName", S, 0, 1, False),
        Field("EmployeeNumber", INT, 0, 1, True),
        Field("BSN", S, 0, 1, False),
        Field("Title", S, 0, 1, False),
        Field("FirstName", S, 0, 1, False),
        Field("Initials", S, 0, 1, False),
        Field("Prefix", S, 0, 1, False),
        Field("LastName", S, 0, 1, False),
        Field("Nickname", S, 0, 1, False),
        Field("Gender", EMPLOYEE_GENDER, 0, 1, True),
        Field("NationalityCode", INT, 0, 1, True),
        Field("PlaceOfBirth", S, 0, 1, False),
        Field("CountryOfBirthISOCode", S, 0, 1, False),
        Field("IdentificationNumber", S, 0, 1, False),
        Field("IdentificationType", INT, 1, 1, False),
        Field("PartnerPrefix", S, 0, 1, False),
        Field("PartnerLastName", S, 0, 1, False),
        Field("TelephonePrivate", S, 0, 1, False),
        Field("TelephoneWork", S, 0, 1, False),
        Field("TelephoneMobilePrivate", S, 0, 1, False),
        Field("TelephoneMobileWork", S, 0, 1, False),
        Field("TelephoneOther", S, 0, 1, False),
        Field("EmailPrivate", S, 0, 1, False),
        Field("EmailWork", S, 0, 1, False),
        Field("BurgerlijkeStaat", S, 0, 1, False),
        Field("Naamstelling", S, 0, 1, False),
        Field("Birthday", DT, 0, 1, True),
        Field("DeceasedDate", DT, 0, 1, True),
        Field("InCaseOfEmergency", S, 0, 1, False),
        Field("InCaseOfEmergencyPhone", S, 0, 1, False),
        Field("InCaseOfEmergencyRelation", S, 0, 1, False),
        Field("TitleAfter", S, 0, 1, False),
    ),
)
EMPLOYEE_PERSONAL_INFO__V2 = ComplexType(
    "PersonalInfo_V2",
    (
        Field("Id", INT, 1, 1, False),
        Field("DisplayName", S, 0, 1, False),
        Field("EmployeeNumber", INT, 1, 1, False),
        Field("BSN", S, 0, 1, False),
        Field("Title", S, 0, 1, False),
        Field("FirstName", S, 0, 1, False),
        Field("Initials", S, 0, 1, False),
        Field("Prefix", S, 0, 1, False),
        Field("LastName", S, 0, 1, False),
        Field("Nickname", S, 0, 1, False),
        Field("Gender", EMPLOYEE_GENDER, 1, 1, False),
        Field("NationalityCode", INT, 1, 1, False),
        Field("PlaceOfBirth", S, 0, 1, False),
        Field("CountryOfBirthISOCode", S, 0, 1, False),
        Field("IdentificationNumber", S, 0, 1, False),
        Field("IdentificationType", INT, 1, 1, False),
        Field("PartnerPrefix", S, 0, 1, False),
        Field("PartnerLastName", S, 0, 1, False),
        Field("TelephonePrivate", S, 0, 1, False),
        Field("TelephoneWork", S, 0, 1, False),
        Field("TelephoneMobilePrivate", S, 0, 1, False),
        Field("TelephoneMobileWork", S, 0, 1, False),
        Field("TelephoneOther", S, 0, 1, False),
        Field("EmailPrivate", S, 0, 1, False),
        Field("EmailWork", S, 0, 1, False),
        Field("BurgerlijkeStaat", INT, 1, 1, False),
        Field("Naamstelling", INT, 1, 1, False),
        Field("Birthday", DT, 1, 1, True),
        Field("CreationDate", DT, 1, 1, True),
        Field("StartPeriod", INT, 1, 1, False),
        Field("StartYear", INT, 1, 1, False),
        Field("DeceasedDate", DT, 0, 1, True),
        Field("InCaseOfEmergency", S, 0, 1, False),
        Field("InCaseOfEmergencyPhone", S, 0, 1, False),
        Field("InCaseOfEmergencyRelation", S, 0, 1, False),
        Field("TitleAfter", S, 0, 1, False),
    ),
)
EMPLOYEE_ARRAY_OF_PERSONAL_INFO__V2 = ComplexType(
    "ArrayOfPersonalInfo_V2", (Field("PersonalInfo_V2", EMPLOYEE_PERSONAL_INFO__V2, 0, None, True),)
)
EMPLOYEE_PERSONAL_INFO_ITEM = ComplexType(
    "PersonalInfoItem",
    (
        Field("EmployeeId", INT, 1, 1, False),
        Field("EmployeePersonalInfos", EMPLOYEE_ARRAY_OF_PERSONAL_INFO__V2, 0, 1, False),
    ),
)
EMPLOYEE_ARRAY_OF_PERSONAL_INFO_ITEM = ComplexType(
    "ArrayOfPersonalInfoItem",
    (Field("PersonalInfoItem", EMPLOYEE_PERSONAL_INFO_ITEM, 0, None, True),),
)
EMPLOYEE_ADDRESS_TYPE = EnumType(
    "AddressType",
    ("HomeAddress", "PostAddress", "AbsenceAddress", "HolidaysAddress", "WeekendAddress"),
)
EMPLOYEE_EMPLOYEE_ADDRESS = ComplexType(
    "EmployeeAddress",
    (
        Field("Id", INT, 1, 1, False),
        Field("Default", B, 1, 1, False),
        Field("Street", S, 0, 1, False),
        Field("HouseNumber", S, 0, 1, False),
        Field("HouseNumberAddition", S, 0, 1, False),
        Field("PostalCode", S, 0, 1, False),
        Field("City", S, 0, 1, False),
        Field("StateProvince", S, 0, 1, False),
        Field("CountryISOCode", S, 0, 1, False),
        Field("Type", EMPLOYEE_ADDRESS_TYPE, 1, 1, False),
    ),
)
EMPLOYEE_ARRAY_OF_EMPLOYEE_ADDRESS = ComplexType(
    "ArrayOfEmployeeAddress", (Field("EmployeeAddress", EMPLOYEE_EMPLOYEE_ADDRESS, 0, None, True),)
)
EMPLOYEE_BANK_ACCOUNT_TYPE = EnumType(
    "BankAccountType",
    (
        "None",
        "Bankrekening1",
        "Spaarloon",
        "Bankrekening2",
        "Bankrekening3",
        "Bankrekening4",
        "Bankrekening5",
        "Standaard",
        "Levensloop",
    ),
)
EMPLOYEE_BANK_ACCOUNT = ComplexType(
    "BankAccount",
    (
        Field("Id", INT, 1, 1, False),
        Field("Number", S, 0, 1, False),
        Field("Description", S, 0, 1, False),
        Field("IBAN", S, 0, 1, False),
        Field("BIC", S, 0, 1, False),
        Field("City", S, 0, 1, False),
        Field("Name", S, 0, 1, False),
        Field("Type", EMPLOYEE_BANK_ACCOUNT_TYPE, 1, 1, False),
    ),
)
EMPLOYEE_ARRAY_OF_BANK_ACCOUNT = ComplexType(
    "ArrayOfBankAccount", (Field("BankAccount", EMPLOYEE_BANK_ACCOUNT, 0, None, True),)
)
EMPLOYEE_EMPLOYEE_CONTRACT = ComplexType(
    "EmployeeContract",
    (
        Field("ContractID", INT, 1, 1, False),
        Field("CreationDate", DT, 1, 1, True),
        Field("StartDate", DT, 1, 1, True),
        Field("TrialPeriod", DT, 1, 1, True),
        Field("EndDate", DT, 1, 1, True),
        Field("EmployementType", INT, 1, 1, False),
        Field("EmploymentSequenceTaxId", INT, 1, 1, False),
        Field("Indefinite", B, 1, 1, True),
        Field("PhaseClassification", INT, 1, 1, True),
        Field("WrittenContract", B, 1, 1, True),
        Field("HoursPerWeek", D, 1, 1, True),
    ),
)
EMPLOYEE_ARRAY_OF_EMPLOYEE_CONTRACT = ComplexType(
    "ArrayOfEmployeeContract",
    (Field("EmployeeContract", EMPLOYEE_EMPLOYEE_CONTRACT, 0, None, True),),
)
EMPLOYEE_EMPLOYEE_CONTRACT_ITEM = ComplexType(
    "EmployeeContractItem",
    (
        Field("EmployeeId", INT, 1, 1, False),
        Field("EmployeeContracts", EMPLOYEE_ARRAY_OF_EMPLOYEE_CONTRACT, 0, 1, False),
    ),
)
EMPLOYEE_SALARY_TYPE = EnumType(
    "SalaryType",
    (
        "None",
        "Bruto_Salaris_Fulltime",
        "Bruto_Salaris_Partime",
        "Bruto_Uurloon",
        "Netto_Salaris_Partime_incl_looncomp",
        "Netto_Salaris_Partime_excl_looncomp",
        "Netto_Uurloon_excl_looncomp",
        "Werkgerverslasten",
        "Netto_Uurloon_incl_looncomp",
    ),
)
EMPLOYEE_SALARY_TABLE_SCALE = ComplexType(
    "SalaryTableScale",
    (
        Field("Scale", S, 0, 1, False),
        Field("SchaalDescription", S, 0, 1, False),
        Field("ScaleValue", D, 1, 1, False),
        Field("ScalePercentageMax", D, 1, 1, False),
        Field("ScalePercentageMin", D, 1, 1, False),
    ),
)
EMPLOYEE_SALARY_TABLE_STEP = ComplexType(
    "SalaryTableStep",
    (
        Field("Step", S, 0, 1, False),
        Field("StepDescription", S, 0, 1, False),
        Field("StepValue", D, 1, 1, False),
    ),
)
EMPLOYEE_SALARY_TABLE_EMPLOYEE = ComplexType(
    "SalaryTableEmployee",
    (
        Field("Code", INT, 1, 1, False),
        Field("Description", S, 0, 1, False),
        Field("Schaal", EMPLOYEE_SALARY_TABLE_SCALE, 0, 1, False),
        Field("Trede", EMPLOYEE_SALARY_TABLE_STEP, 0, 1, False),
    ),
)
EMPLOYEE_SALARY = ComplexType(
    "Salary",
    (
        Field("Value", D, 1, 1, False),
        Field("Type", EMPLOYEE_SALARY_TYPE, 1, 1, False),
        Field("SalaryTable", EMPLOYEE_SALARY_TABLE_EMPLOYEE, 0, 1, False),
        Field("StartDate", DT, 1, 1, False),
    ),
)
EMPLOYEE_SALARY_TABLE_SCALE_INPUT = ComplexType(
    "SalaryTableScaleInput",
    (
        Field("Scale", S, 0, 1, False),
        Field("ScalePercentage", D, 1, 1, False),
    ),
)
EMPLOYEE_SALARY_TABLE_STEP_INPUT = ComplexType(
    "SalaryTableStepInput", (Field("Step", S, 0, 1, False),)
)
EMPLOYEE_SALARY_TABLE_EMPLOYEE_INPUT = ComplexType(
    "SalaryTableEmployeeInput",
    (
        Field("Scale", EMPLOYEE_SALARY_TABLE_SCALE_INPUT, 0, 1, False),
        Field("Step", EMPLOYEE_SALARY_TABLE_STEP_INPUT, 0, 1, False),
    ),
)
EMPLOYEE_SALARY_INPUT = ComplexType(
    "SalaryInput",
    (
        Field("Value", D, 1, 1, False),
        Field("Type", EMPLOYEE_SALARY_TYPE, 1, 1, False),
        Field("SalaryTable", EMPLOYEE_SALARY_TABLE_EMPLOYEE_INPUT, 0, 1, False),
    ),
)
EMPLOYEE_SALARY__V2 = ComplexType(
    "Salary_V2",
    (
        Field("ID", INT, 1, 1, False),
        Field("Value", D, 1, 1, False),
        Field("Type", INT, 1, 1, False),
        Field("SalaryTable", EMPLOYEE_SALARY_TABLE_EMPLOYEE, 0, 1, False),
        Field("StartDate", DT, 1, 1, False),
        Field("CreationDate", DT, 1, 1, False),
    ),
)
EMPLOYEE_ARRAY_OF_SALARY__V2 = ComplexType(
    "ArrayOfSalary_V2", (Field("Salary_V2", EMPLOYEE_SALARY__V2, 0, None, True),)
)
EMPLOYEE_EMPLOYEE_SALARY_ITEM = ComplexType(
    "EmployeeSalaryItem",
    (
        Field("EmployeeId", INT, 1, 1, False),
        Field("EmployeeSalaries", EMPLOYEE_ARRAY_OF_SALARY__V2, 0, 1, False),
    ),
)
EMPLOYEE_ARRAY_OF_EMPLOYEE_SALARY_ITEM = ComplexType(
    "ArrayOfEmployeeSalaryItem",
    (Field("EmployeeSalaryItem", EMPLOYEE_EMPLOYEE_SALARY_ITEM, 0, None, True),),
)
EMPLOYEE_SCHEDULE = ComplexType(
    "Schedule",
    (
        Field("HoursMonday", D, 1, 1, False),
        Field("HoursTuesday", D, 1, 1, False),
        Field("HoursWednesday", D, 1, 1, False),
        Field("HoursThursday", D, 1, 1, False),
        Field("HoursFriday", D, 1, 1, False),
        Field("HoursSaturday", D, 1, 1, False),
        Field("HoursSunday", D, 1, 1, False),
        Field("HoursMonday2", D, 1, 1, False),
        Field("HoursTuesday2", D, 1, 1, False),
        Field("HoursWednesday2", D, 1, 1, False),
        Field("HoursThursday2", D, 1, 1, False),
        Field("HoursFriday2", D, 1, 1, False),
        Field("HoursSaturday2", D, 1, 1, False),
        Field("HoursSunday2", D, 1, 1, False),
        Field("ParttimePercentage", D, 1, 1, False),
        Field("StartDate", DT, 1, 1, False),
    ),
)
COMPANY_LOONAANGIFTE_TIJDVAK = EnumType(
    "LoonaangifteTijdvak", ("None", "Month", "Week4", "Month6", "Year")
)
COMPANY_COMPANY = ComplexType(
    "Company",
    (
        Field("ID", INT, 1, 1, False),
        Field("Number", INT, 1, 1, False),
        Field("Name", S, 0, 1, False),
        Field("PhoneNumber", S, 0, 1, False),
        Field("FaxNumber", S, 0, 1, False),
        Field("Email", S, 0, 1, False),
        Field("Website", S, 0, 1, False),
        Field("LoonaangifteTijdvak", COMPANY_LOONAANGIFTE_TIJDVAK, 1, 1, False),
        Field("KvkNr", S, 0, 1, False),
    ),
)
COMPANY_ARRAY_OF_COMPANY = ComplexType(
    "ArrayOfCompany", (Field("Company", COMPANY_COMPANY, 0, None, True),)
)
COMPANY_ADDRESS = ComplexType(
    "Address",
    (
        Field("Id", INT, 1, 1, False),
        Field("Default", B, 1, 1, False),
        Field("Street", S, 0, 1, False),
        Field("HouseNumber", S, 0, 1, False),
        Field("HouseNumberAddition", S, 0, 1, False),
        Field("PostalCode", S, 0, 1, False),
        Field("City", S, 0, 1, False),
        Field("StateProvince", S, 0, 1, False),
        Field("CountryISOCode", S, 0, 1, False),
    ),
)

OPERATIONS: Final[tuple[Operation, ...]] = (
    Operation(
        "EmployeeService",
        "Employee_Insert",
        (
            Field("FirstName", S, 0, 1, False),
            Field("LastName", S, 0, 1, False),
            Field("StartDate", DT, 1, 1, False),
            Field("CompanyId", INT, 1, 1, False),
            Field("UnprotectedMode", B, 1, 1, False),
        ),
        Field("Employee_InsertResult", INT, 1, 1, False),
        (
            "Create a new Employee, returns the Id of this Employee. If the date is"
            " before the company's current period, unprotected mode flag is "
            "required, else a TWK exception is thrown."
        ),
    ),
    Operation(
        "EmployeeService",
        "Employee_GetCurrent",
        (Field("EmployeeId", INT, 1, 1, False),),
        Field("Employee_GetCurrentResult", S, 0, 1, False),
        (
            "Get the company's current period, Format = yyyy-pp-type, example: "
            "2010-5-M or 2010-4-4W."
        ),
    ),
    Operation(
        "EmployeeService",
        "List_GetByCompany",
        (
            Field("CompanyId", INT, 1, 1, False),
            Field("EmployeeType", INT, 1, 1, False),
        ),
        Field("List_GetByCompanyResult", EMPLOYEE_ARRAY_OF_EMPLOYEE, 0, 1, False),
        ("Get all employees that belong to a company, of the given employee type."),
    ),
    Operation(
        "EmployeeService",
        "EmployeeType_GetList",
        (),
        Field("EmployeeType_GetListResult", EMPLOYEE_ARRAY_OF_EMPLOYEE_TYPE, 0, 1, False),
        ("Get the employee types of the environment (the values List_GetByCompany filters on)."),
    ),
    Operation(
        "EmployeeService",
        "PersonalInfo_GetCurrent",
        (Field("EmployeeId", INT, 1, 1, False),),
        Field("PersonalInfo_GetCurrentResult", EMPLOYEE_PERSONAL_INFO, 0, 1, False),
        ("Get the currently active personal info."),
    ),
    Operation(
        "EmployeeService",
        "PersonalInfo_UpdateCurrent",
        (
            Field("EmployeeId", INT, 1, 1, False),
            Field("PersonalInfo", EMPLOYEE_PERSONAL_INFO, 0, 1, False),
        ),
        None,
        ("Update personal info starting from the current period."),
    ),
    Operation(
        "EmployeeService",
        "PersonalInfo_Update",
        (
            Field("EmployeeId", INT, 1, 1, False),
            Field("PersonalInfo", EMPLOYEE_PERSONAL_INFO, 0, 1, False),
            Field("Period", INT, 1, 1, False),
            Field("Year", INT, 1, 1, False),
        ),
        None,
        ("Update personal info starting from the given period."),
    ),
    Operation(
        "EmployeeService",
        "PersonalInfo_GetAll_AllEmployeesByCompany",
        (Field("CompanyID", INT, 1, 1, False),),
        Field(
            "PersonalInfo_GetAll_AllEmployeesByCompanyResult",
            EMPLOYEE_ARRAY_OF_PERSONAL_INFO_ITEM,
            0,
            1,
            False,
        ),
        ("Get all personal infos of all employees."),
    ),
    Operation(
        "EmployeeService",
        "Address_GetListCurrent",
        (Field("EmployeeId", INT, 1, 1, False),),
        Field("Address_GetListCurrentResult", EMPLOYEE_ARRAY_OF_EMPLOYEE_ADDRESS, 0, 1, False),
        ("Get all currently active adresses."),
    ),
    Operation(
        "EmployeeService",
        "Address_InsertCurrent",
        (
            Field("EmployeeId", INT, 1, 1, False),
            Field("Address", EMPLOYEE_EMPLOYEE_ADDRESS, 0, 1, False),
        ),
        Field("Address_InsertCurrentResult", INT, 1, 1, False),
        ("Insert given address to the current period."),
    ),
    Operation(
        "EmployeeService",
        "BankAccount_GetListCurrent",
        (Field("EmployeeId", INT, 1, 1, False),),
        Field("BankAccount_GetListCurrentResult", EMPLOYEE_ARRAY_OF_BANK_ACCOUNT, 0, 1, False),
        ("Get all active bankaccounts for the current period."),
    ),
    Operation(
        "EmployeeService",
        "BankAccount_InsertCurrent",
        (
            Field("EmployeeId", INT, 1, 1, False),
            Field("BankAccount", EMPLOYEE_BANK_ACCOUNT, 0, 1, False),
        ),
        Field("BankAccount_InsertCurrentResult", INT, 1, 1, False),
        ("Insert given bankaccount to the current period."),
    ),
    Operation(
        "EmployeeService",
        "Contract_GetAll",
        (Field("EmployeeId", INT, 1, 1, False),),
        Field("Contract_GetAllResult", EMPLOYEE_ARRAY_OF_EMPLOYEE_CONTRACT, 0, 1, False),
        ("Get all contracts for the specified employee."),
    ),
    Operation(
        "EmployeeService",
        "Contract_GetCurrentPeriod",
        (Field("EmployeeId", INT, 1, 1, False),),
        Field("Contract_GetCurrentPeriodResult", EMPLOYEE_EMPLOYEE_CONTRACT_ITEM, 0, 1, False),
        ("Get a list of all active contracts for specified employee in current period."),
    ),
    Operation(
        "EmployeeService",
        "Contract_Insert",
        (
            Field("EmployeeId", INT, 1, 1, False),
            Field("EmployeeContract", EMPLOYEE_EMPLOYEE_CONTRACT, 0, 1, False),
            Field("UnprotectedMode", B, 1, 1, False),
        ),
        Field("Contract_InsertResult", INT, 1, 1, False),
        (
            "Insert Contract. If the startdate is before the company's current "
            "period, unprotected mode flag is required, else a TWK exception is "
            "thrown."
        ),
    ),
    Operation(
        "EmployeeService",
        "Contract_InsertCurrentPeriod",
        (
            Field("EmployeeID", INT, 1, 1, False),
            Field("EmployeeContract", EMPLOYEE_EMPLOYEE_CONTRACT, 0, 1, False),
        ),
        Field("Contract_InsertCurrentPeriodResult", INT, 1, 1, False),
        ("Insert Contract in current period for specified employee."),
    ),
    Operation(
        "EmployeeService",
        "Salary_GetCurrent",
        (Field("EmployeeId", INT, 1, 1, False),),
        Field("Salary_GetCurrentResult", EMPLOYEE_SALARY, 0, 1, False),
        ("Get the currently active salary."),
    ),
    Operation(
        "EmployeeService",
        "Salary_UpdateCurrent",
        (
            Field("EmployeeId", INT, 1, 1, False),
            Field("Salary", EMPLOYEE_SALARY_INPUT, 0, 1, False),
        ),
        None,
        ("Update salary. This salary will start from the first date of the current period."),
    ),
    Operation(
        "EmployeeService",
        "Salary_Update",
        (
            Field("EmployeeId", INT, 1, 1, False),
            Field("Salary", EMPLOYEE_SALARY_INPUT, 0, 1, False),
            Field("Start", DT, 1, 1, False),
        ),
        None,
        ("Update salary. This salary will start from the date given."),
    ),
    Operation(
        "EmployeeService",
        "Salary_GetAll_AllEmployeesByCompany",
        (Field("CompanyID", INT, 1, 1, False),),
        Field(
            "Salary_GetAll_AllEmployeesByCompanyResult",
            EMPLOYEE_ARRAY_OF_EMPLOYEE_SALARY_ITEM,
            0,
            1,
            False,
        ),
        ("Get all salary, untill given period."),
    ),
    Operation(
        "EmployeeService",
        "Schedule_GetCurrent",
        (Field("EmployeeId", INT, 1, 1, False),),
        Field("Schedule_GetCurrentResult", EMPLOYEE_SCHEDULE, 0, 1, False),
        ("Get currently active schedule."),
    ),
    Operation(
        "EmployeeService",
        "Schedule_UpdateCurrent",
        (
            Field("EmployeeId", INT, 1, 1, False),
            Field("Schedule", EMPLOYEE_SCHEDULE, 0, 1, False),
            Field("CompanyRoosterNr", INT, 1, 1, False),
        ),
        None,
        (
            "Update schedule starting from the current period. The company default "
            "rooster number can be specified."
        ),
    ),
    Operation(
        "EmployeeService",
        "Schedule_Update",
        (
            Field("EmployeeId", INT, 1, 1, False),
            Field("Schedule", EMPLOYEE_SCHEDULE, 0, 1, False),
            Field("Start", DT, 1, 1, False),
            Field("CompanyRoosterNr", INT, 1, 1, False),
        ),
        None,
        (
            "Update schedule starting from the given date. The company default "
            "rooster number can be specified."
        ),
    ),
    Operation(
        "CompanyService",
        "List_GetAll",
        (),
        Field("List_GetAllResult", COMPANY_ARRAY_OF_COMPANY, 0, 1, False),
        ("Returns all companies"),
    ),
    Operation(
        "CompanyService",
        "Company_GetCurrentPeriod",
        (Field("CompanyId", INT, 1, 1, False),),
        Field("Company_GetCurrentPeriodResult", S, 0, 1, False),
        (
            "Returns the company's current period, Format = yyyy-pp-type, example: "
            "2010-5-M or 2010-4-4W"
        ),
    ),
    Operation(
        "CompanyService",
        "Address_GetCurrent",
        (Field("CompanyId", INT, 1, 1, False),),
        Field("Address_GetCurrentResult", COMPANY_ADDRESS, 0, 1, False),
        ("Get the company's current address."),
    ),
)
