"""The REST operations the client uses, from Nmbrs' OpenAPI document. Generated: do not edit.

Source: nmbrs-openapi.yaml, info.version Global,
sha256 5b02feb7d189034a8b3d4c5c8bf706e815edacc109251e004811910d27627ba1,
written by scripts/gen_rest_table.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from bulkimport.backend import (
    ADDRESS_TYPE,
    BANK_ACCOUNT_TYPE,
    GENDER,
    SALARY_TYPE,
    ComplexType,
    Effect,
    EnumType,
    Field,
    Xsd,
)
from bulkimport.nmbrs.rest.table import BODY, RestOperation

__all__ = ["OPERATIONS", "lookup_operation"]

_UPDATEEMPLOYEEPERSONALINFO_BODY: Final = ComplexType(
    "UpdatePersonalInfo",
    (
        Field(
            "basicInfo",
            ComplexType(
                "UpdateEmployeeBasic",
                (
                    Field("employeeNumber", Xsd.INT, min_occurs=0, nillable=True),
                    Field("firstName", Xsd.STRING, min_occurs=0, nillable=True),
                    Field("firstNameInFull", Xsd.STRING, min_occurs=0, nillable=True),
                    Field("prefix", Xsd.STRING, min_occurs=0, nillable=True),
                    Field("initials", Xsd.STRING, min_occurs=0, nillable=True),
                    Field("lastName", Xsd.STRING, nillable=True),
                ),
            ),
            min_occurs=0,
        ),
        Field(
            "birthInfo",
            ComplexType(
                "UpdateEmployeeBirth",
                (
                    Field("birthDate", Xsd.DATETIME, min_occurs=0, nillable=True),
                    Field("birthCountryCodeISO", Xsd.STRING, min_occurs=0, nillable=True),
                    Field("nationalityCodeISO", Xsd.STRING, min_occurs=0, nillable=True),
                    Field("deceasedOn", Xsd.DATETIME, min_occurs=0, nillable=True),
                    Field("gender", GENDER, min_occurs=0, nillable=True),
                ),
            ),
            min_occurs=0,
        ),
        Field(
            "contactInfo",
            ComplexType(
                "EmployeeContact",
                (
                    Field("privateEmail", Xsd.STRING, min_occurs=0, nillable=True),
                    Field("businessEmail", Xsd.STRING, min_occurs=0, nillable=True),
                    Field("businessPhone", Xsd.STRING, min_occurs=0, nillable=True),
                    Field("businessMobilePhone", Xsd.STRING, min_occurs=0, nillable=True),
                    Field("privatePhone", Xsd.STRING, min_occurs=0, nillable=True),
                    Field("privateMobilePhone", Xsd.STRING, min_occurs=0, nillable=True),
                    Field("otherPhone", Xsd.STRING, min_occurs=0, nillable=True),
                ),
            ),
            min_occurs=0,
        ),
        Field(
            "partnerInfo",
            ComplexType(
                "UpdatePartnerInfo",
                (
                    Field("partnerPrefix", Xsd.STRING, min_occurs=0, nillable=True),
                    Field("partnerName", Xsd.STRING, min_occurs=0, nillable=True),
                    Field("maritalStatus", Xsd.STRING, min_occurs=0, nillable=True),
                    Field("ascriptionCode", Xsd.INT, min_occurs=0, nillable=True),
                ),
            ),
            min_occurs=0,
        ),
        Field(
            "period",
            ComplexType(
                "Period",
                (
                    Field("year", Xsd.INT, min_occurs=0),
                    Field("period", Xsd.INT, min_occurs=0),
                ),
            ),
            min_occurs=0,
        ),
    ),
)

OPERATIONS: Final[Mapping[str, RestOperation]] = {
    "getCompanies": RestOperation(
        name="getCompanies",
        method="GET",
        path="/api/companies",
        effect=Effect.READ,
        request=(
            Field("pageNumber", Xsd.INT, min_occurs=0),
            Field("pageSize", Xsd.INT, min_occurs=0),
        ),
        result=None,
        paged=True,
        creates_employee=False,
    ),
    "getCurrentPeriod": RestOperation(
        name="getCurrentPeriod",
        method="GET",
        path="/api/companies/{companyId}/period",
        effect=Effect.READ,
        request=(Field("companyId", Xsd.UUID),),
        result=None,
        paged=False,
        creates_employee=False,
    ),
    "getCompanyAddresses": RestOperation(
        name="getCompanyAddresses",
        method="GET",
        path="/api/companies/{companyId}/addresses",
        effect=Effect.READ,
        request=(
            Field("companyId", Xsd.UUID),
            Field("pageNumber", Xsd.INT, min_occurs=0),
            Field("pageSize", Xsd.INT, min_occurs=0),
        ),
        result=None,
        paged=True,
        creates_employee=False,
    ),
    "getEmployeesByCompany": RestOperation(
        name="getEmployeesByCompany",
        method="GET",
        path="/api/companies/{companyId}/employees",
        effect=Effect.READ,
        request=(
            Field("companyId", Xsd.UUID),
            Field("pageNumber", Xsd.INT, min_occurs=0),
            Field("pageSize", Xsd.INT, min_occurs=0),
            Field("employeeType", Xsd.STRING, min_occurs=0),
            Field("employeeId", Xsd.UUID, min_occurs=0),
            Field("createdFrom", Xsd.DATETIME, min_occurs=0),
        ),
        result=None,
        paged=True,
        creates_employee=False,
    ),
    "getEmployee": RestOperation(
        name="getEmployee",
        method="GET",
        path="/api/employees/{employeeId}",
        effect=Effect.READ,
        request=(
            Field("employeeId", Xsd.UUID),
            Field("pageNumber", Xsd.INT, min_occurs=0),
            Field("pageSize", Xsd.INT, min_occurs=0),
        ),
        result=Field(BODY, _UPDATEEMPLOYEEPERSONALINFO_BODY),
        paged=True,
        creates_employee=False,
    ),
    "getEmployeePersonalInfoByCompany": RestOperation(
        name="getEmployeePersonalInfoByCompany",
        method="GET",
        path="/api/companies/{companyId}/employees/personalinfo",
        effect=Effect.READ,
        request=(
            Field("companyId", Xsd.UUID),
            Field("pageNumber", Xsd.INT, min_occurs=0),
            Field("pageSize", Xsd.INT, min_occurs=0),
            Field("createdFrom", Xsd.DATETIME, min_occurs=0),
            Field("employeeId", Xsd.UUID, min_occurs=0),
        ),
        result=None,
        paged=True,
        creates_employee=False,
    ),
    "getAddressesByCompany": RestOperation(
        name="getAddressesByCompany",
        method="GET",
        path="/api/companies/{companyId}/employees/addresses",
        effect=Effect.READ,
        request=(
            Field("companyId", Xsd.UUID),
            Field("pageNumber", Xsd.INT, min_occurs=0),
            Field("pageSize", Xsd.INT, min_occurs=0),
            Field("createdFrom", Xsd.DATETIME, min_occurs=0),
            Field("employeeId", Xsd.UUID, min_occurs=0),
        ),
        result=None,
        paged=True,
        creates_employee=False,
    ),
    "getBankAccountsByCompany": RestOperation(
        name="getBankAccountsByCompany",
        method="GET",
        path="/api/companies/{companyId}/employees/bankaccounts",
        effect=Effect.READ,
        request=(
            Field("companyId", Xsd.UUID),
            Field("pageNumber", Xsd.INT, min_occurs=0),
            Field("pageSize", Xsd.INT, min_occurs=0),
            Field("createdFrom", Xsd.DATETIME, min_occurs=0),
            Field("employeeId", Xsd.UUID, min_occurs=0),
        ),
        result=None,
        paged=True,
        creates_employee=False,
    ),
    "getContractsByCompany": RestOperation(
        name="getContractsByCompany",
        method="GET",
        path="/api/companies/{companyId}/employees/contracts",
        effect=Effect.READ,
        request=(
            Field("companyId", Xsd.UUID),
            Field("pageNumber", Xsd.INT, min_occurs=0),
            Field("pageSize", Xsd.INT, min_occurs=0),
            Field("createdFrom", Xsd.DATETIME, min_occurs=0),
            Field("employeeId", Xsd.UUID, min_occurs=0),
        ),
        result=None,
        paged=True,
        creates_employee=False,
    ),
    "getSalariesByCompany": RestOperation(
        name="getSalariesByCompany",
        method="GET",
        path="/api/companies/{companyId}/employees/salaries",
        effect=Effect.READ,
        request=(
            Field("companyId", Xsd.UUID),
            Field("pageNumber", Xsd.INT, min_occurs=0),
            Field("pageSize", Xsd.INT, min_occurs=0),
            Field("createdFrom", Xsd.DATETIME, min_occurs=0),
            Field("employeeId", Xsd.UUID, min_occurs=0),
        ),
        result=None,
        paged=True,
        creates_employee=False,
    ),
    "getSchedulesByCompany": RestOperation(
        name="getSchedulesByCompany",
        method="GET",
        path="/api/companies/{companyId}/employees/schedules",
        effect=Effect.READ,
        request=(
            Field("companyId", Xsd.UUID),
            Field("pageNumber", Xsd.INT, min_occurs=0),
            Field("pageSize", Xsd.INT, min_occurs=0),
            Field("createdFrom", Xsd.DATETIME, min_occurs=0),
            Field("employeeId", Xsd.UUID, min_occurs=0),
        ),
        result=None,
        paged=True,
        creates_employee=False,
    ),
    "createEmployee": RestOperation(
        name="createEmployee",
        method="POST",
        path="/api/companies/{companyId}/employees",
        effect=Effect.INSERT,
        request=(
            Field("companyId", Xsd.UUID),
            Field(
                BODY,
                ComplexType(
                    "CreateEmployee",
                    (
                        Field(
                            "PersonalInfo",
                            ComplexType(
                                "CreatePersonalInfo",
                                (
                                    Field(
                                        "basicInfo",
                                        ComplexType(
                                            "EmployeeBasic",
                                            (
                                                Field("employeeNumber", Xsd.INT, min_occurs=0),
                                                Field(
                                                    "firstName",
                                                    Xsd.STRING,
                                                    min_occurs=0,
                                                    nillable=True,
                                                ),
                                                Field(
                                                    "firstNameInFull",
                                                    Xsd.STRING,
                                                    min_occurs=0,
                                                    nillable=True,
                                                ),
                                                Field(
                                                    "prefix",
                                                    Xsd.STRING,
                                                    min_occurs=0,
                                                    nillable=True,
                                                ),
                                                Field(
                                                    "initials",
                                                    Xsd.STRING,
                                                    min_occurs=0,
                                                    nillable=True,
                                                ),
                                                Field("lastName", Xsd.STRING),
                                                Field(
                                                    "employeeType",
                                                    EnumType(
                                                        "EmployeeType",
                                                        (
                                                            "applicant",
                                                            "newHire",
                                                            "payroll",
                                                            "formerPayroll",
                                                            "external",
                                                            "formerExternal",
                                                            "rejectedApplicant",
                                                        ),
                                                    ),
                                                ),
                                            ),
                                        ),
                                        min_occurs=0,
                                    ),
                                    Field(
                                        "birthInfo",
                                        ComplexType(
                                            "CreateEmployeeBirth",
                                            (
                                                Field(
                                                    "birthDate",
                                                    Xsd.DATE,
                                                    min_occurs=0,
                                                    nillable=True,
                                                ),
                                                Field(
                                                    "birthCountryCodeISO",
                                                    Xsd.STRING,
                                                    min_occurs=0,
                                                    nillable=True,
                                                ),
                                                Field(
                                                    "nationalityCodeISO",
                                                    Xsd.STRING,
                                                    min_occurs=0,
                                                    nillable=True,
                                                ),
                                                Field(
                                                    "deceasedOn",
                                                    Xsd.DATE,
                                                    min_occurs=0,
                                                    nillable=True,
                                                ),
                                                Field(
                                                    "gender", GENDER, min_occurs=0, nillable=True
                                                ),
                                            ),
                                        ),
                                        min_occurs=0,
                                    ),
                                    Field(
                                        "contactInfo",
                                        ComplexType(
                                            "EmployeeContact",
                                            (
                                                Field(
                                                    "privateEmail",
                                                    Xsd.STRING,
                                                    min_occurs=0,
                                                    nillable=True,
                                                ),
                                                Field(
                                                    "businessEmail",
                                                    Xsd.STRING,
                                                    min_occurs=0,
                                                    nillable=True,
                                                ),
                                                Field(
                                                    "businessPhone",
                                                    Xsd.STRING,
                                                    min_occurs=0,
                                                    nillable=True,
                                                ),
                                                Field(
                                                    "businessMobilePhone",
                                                    Xsd.STRING,
                                                    min_occurs=0,
                                                    nillable=True,
                                                ),
                                                Field(
                                                    "privatePhone",
                                                    Xsd.STRING,
                                                    min_occurs=0,
                                                    nillable=True,
                                                ),
                                                Field(
                                                    "privateMobilePhone",
                                                    Xsd.STRING,
                                                    min_occurs=0,
                                                    nillable=True,
                                                ),
                                                Field(
                                                    "otherPhone",
                                                    Xsd.STRING,
                                                    min_occurs=0,
                                                    nillable=True,
                                                ),
                                            ),
                                        ),
                                        min_occurs=0,
                                    ),
                                    Field(
                                        "partnerInfo",
                                        ComplexType(
                                            "UpdatePartnerInfo",
                                            (
                                                Field(
                                                    "partnerPrefix",
                                                    Xsd.STRING,
                                                    min_occurs=0,
                                                    nillable=True,
                                                ),
                                                Field(
                                                    "partnerName",
                                                    Xsd.STRING,
                                                    min_occurs=0,
                                                    nillable=True,
                                                ),
                                                Field(
                                                    "maritalStatus",
                                                    Xsd.STRING,
                                                    min_occurs=0,
                                                    nillable=True,
                                                ),
                                                Field(
                                                    "ascriptionCode",
                                                    Xsd.INT,
                                                    min_occurs=0,
                                                    nillable=True,
                                                ),
                                            ),
                                        ),
                                        min_occurs=0,
                                    ),
                                    Field(
                                        "period",
                                        ComplexType(
                                            "Period",
                                            (
                                                Field("year", Xsd.INT, min_occurs=0),
                                                Field("period", Xsd.INT, min_occurs=0),
                                            ),
                                        ),
                                        min_occurs=0,
                                    ),
                                ),
                            ),
                            min_occurs=0,
                        ),
                        Field(
                            "AdditionalEmployeeInfo",
                            ComplexType(
                                "AdditionalEmployeeInfo",
                                (
                                    Field("inServiceDate", Xsd.DATE, min_occurs=0),
                                    Field(
                                        "defaultEmployeeTemplate",
                                        Xsd.UUID,
                                        min_occurs=0,
                                        nillable=True,
                                    ),
                                ),
                            ),
                            min_occurs=0,
                        ),
                    ),
                ),
            ),
        ),
        result=Field("employeeId", Xsd.UUID),
        paged=False,
        creates_employee=True,
    ),
    "UpdateEmployeePersonalInfo": RestOperation(
        name="UpdateEmployeePersonalInfo",
        method="PUT",
        path="/api/employees/{employeeId}/personalInfo",
        effect=Effect.UPDATE,
        request=(
            Field("employeeId", Xsd.UUID),
            Field(BODY, _UPDATEEMPLOYEEPERSONALINFO_BODY),
        ),
        result=None,
        paged=False,
        creates_employee=False,
    ),
    "updateEmployeeSocialSecurityNumber": RestOperation(
        name="updateEmployeeSocialSecurityNumber",
        method="PUT",
        path="/api/employees/{employeeId}/socialsecuritynumber",
        effect=Effect.UPDATE,
        request=(
            Field("employeeId", Xsd.UUID),
            Field(
                BODY,
                ComplexType(
                    "UpdateSocialSecurityNumber",
                    (Field("socialSecurityNumber", Xsd.STRING, min_occurs=0),),
                ),
            ),
        ),
        result=None,
        paged=False,
        creates_employee=False,
    ),
    "createEmployeeAddress": RestOperation(
        name="createEmployeeAddress",
        method="POST",
        path="/api/employees/{employeeId}/address",
        effect=Effect.INSERT,
        request=(
            Field("employeeId", Xsd.UUID),
            Field(
                BODY,
                ComplexType(
                    "CreateAddress",
                    (
                        Field("isDefault", Xsd.BOOLEAN, min_occurs=0, nillable=True),
                        Field("type", ADDRESS_TYPE),
                        Field("street", Xsd.STRING),
                        Field("houseNumber", Xsd.STRING, min_occurs=0, nillable=True),
                        Field("houseNumberAddition", Xsd.STRING, min_occurs=0, nillable=True),
                        Field("postalCode", Xsd.STRING, min_occurs=0, nillable=True),
                        Field("city", Xsd.STRING),
                        Field("stateProvince", Xsd.STRING, min_occurs=0, nillable=True),
                        Field("countryISOCode", Xsd.STRING),
                        Field(
                            "period",
                            ComplexType(
                                "Period",
                                (
                                    Field("year", Xsd.INT, min_occurs=0),
                                    Field("period", Xsd.INT, min_occurs=0),
                                ),
                            ),
                            min_occurs=0,
                        ),
                    ),
                ),
            ),
        ),
        result=Field("addressId", Xsd.UUID),
        paged=False,
        creates_employee=False,
    ),
    "createEmployeeBankAccount": RestOperation(
        name="createEmployeeBankAccount",
        method="POST",
        path="/api/employees/{employeeId}/bankaccount",
        effect=Effect.INSERT,
        request=(
            Field("employeeId", Xsd.UUID),
            Field(
                BODY,
                ComplexType(
                    "CreateBankAccount",
                    (
                        Field("number", Xsd.STRING, min_occurs=0),
                        Field("description", Xsd.STRING, min_occurs=0),
                        Field("IBAN", Xsd.STRING),
                        Field("city", Xsd.STRING, min_occurs=0),
                        Field("name", Xsd.STRING, min_occurs=0),
                        Field("bankAccountType", BANK_ACCOUNT_TYPE, min_occurs=0),
                    ),
                ),
            ),
        ),
        result=Field("bankAccountId", Xsd.UUID),
        paged=False,
        creates_employee=False,
    ),
    "createEmployeeContract": RestOperation(
        name="createEmployeeContract",
        method="POST",
        path="/api/employees/{employeeId}/contract",
        effect=Effect.INSERT,
        request=(
            Field("employeeId", Xsd.UUID),
            Field(
                BODY,
                ComplexType(
                    "CreateContract",
                    (
                        Field("startDate", Xsd.DATETIME),
                        Field("trialPeriod", Xsd.DATETIME, min_occurs=0, nillable=True),
                        Field("endDate", Xsd.DATETIME, min_occurs=0, nillable=True),
                        Field("indefinite", Xsd.BOOLEAN),
                        Field("writtenContract", Xsd.BOOLEAN, min_occurs=0, nillable=True),
                        Field("hoursPerWeek", Xsd.DECIMAL, min_occurs=0, nillable=True),
                    ),
                ),
            ),
        ),
        result=Field("contractId", Xsd.UUID),
        paged=False,
        creates_employee=False,
    ),
    "createEmployeeSalary": RestOperation(
        name="createEmployeeSalary",
        method="POST",
        path="/api/employees/{employeeId}/salary",
        effect=Effect.INSERT,
        request=(
            Field("employeeId", Xsd.UUID),
            Field(
                BODY,
                ComplexType(
                    "Create Salary object",
                    (
                        Field("startDate", Xsd.DATETIME),
                        Field("type", SALARY_TYPE, min_occurs=0),
                        Field("value", Xsd.DECIMAL, min_occurs=0),
                        Field(
                            "salaryTable",
                            ComplexType(
                                "createEmployeeSalary.salaryTable",
                                (
                                    Field("salaryTableId", Xsd.STRING, min_occurs=0),
                                    Field("scaleId", Xsd.STRING, min_occurs=0),
                                    Field("stepId", Xsd.STRING, min_occurs=0),
                                    Field(
                                        "increaseStep",
                                        ComplexType(
                                            "createEmployeeSalary.increaseStep",
                                            (
                                                Field("period", Xsd.INT, min_occurs=0),
                                                Field("year", Xsd.INT, min_occurs=0),
                                            ),
                                        ),
                                        min_occurs=0,
                                    ),
                                ),
                            ),
                            min_occurs=0,
                        ),
                    ),
                ),
            ),
        ),
        result=Field("salaryId", Xsd.UUID),
        paged=False,
        creates_employee=False,
    ),
    "createEmployeeSchedule": RestOperation(
        name="createEmployeeSchedule",
        method="POST",
        path="/api/employees/{employeeId}/schedule",
        effect=Effect.INSERT,
        request=(
            Field("employeeId", Xsd.UUID),
            Field(
                BODY,
                ComplexType(
                    "UpdateSchedule",
                    (
                        Field("startDate", Xsd.DATETIME),
                        Field("hoursPerWeek", Xsd.DECIMAL, min_occurs=0, nillable=True),
                        Field(
                            "week1",
                            ComplexType(
                                "ScheduleHours",
                                (
                                    Field("hoursMonday", Xsd.DECIMAL, min_occurs=0),
                                    Field("hoursTuesday", Xsd.DECIMAL, min_occurs=0),
                                    Field("hoursWednesday", Xsd.DECIMAL, min_occurs=0),
                                    Field("hoursThursday", Xsd.DECIMAL, min_occurs=0),
                                    Field("hoursFriday", Xsd.DECIMAL, min_occurs=0),
                                    Field("hoursSaturday", Xsd.DECIMAL, min_occurs=0),
                                    Field("hoursSunday", Xsd.DECIMAL, min_occurs=0),
                                ),
                            ),
                            min_occurs=0,
                        ),
                        Field(
                            "week2",
                            ComplexType(
                                "ScheduleHours",
                                (
                                    Field("hoursMonday", Xsd.DECIMAL, min_occurs=0),
                                    Field("hoursTuesday", Xsd.DECIMAL, min_occurs=0),
                                    Field("hoursWednesday", Xsd.DECIMAL, min_occurs=0),
                                    Field("hoursThursday", Xsd.DECIMAL, min_occurs=0),
                                    Field("hoursFriday", Xsd.DECIMAL, min_occurs=0),
                                    Field("hoursSaturday", Xsd.DECIMAL, min_occurs=0),
                                    Field("hoursSunday", Xsd.DECIMAL, min_occurs=0),
                                ),
                            ),
                            min_occurs=0,
                        ),
                    ),
                ),
            ),
        ),
        result=Field("scheduleId", Xsd.UUID),
        paged=False,
        creates_employee=False,
    ),
}


def lookup_operation(name: str) -> RestOperation:
    """The operation by operationId; KeyError when the client does not use it."""
    return OPERATIONS[name]
