"""What the REST door serves, from Nmbrs' OpenAPI document. Generated: do not edit.

Source: nmbrs-openapi.yaml, info.version Global,
sha256 5b02feb7d189034a8b3d4c5c8bf706e815edacc109251e004811910d27627ba1,
written by scripts/gen_rest_schemas.py.
"""

from __future__ import annotations

from typing import Any, Final

SCOPES: Final[tuple[str, ...]] = (
    "company.document.read",
    "company.info",
    "company.info.read",
    "company.leave.read",
    "company.payrollsettings.read",
    "debtor.info.read",
    "document.read",
    "employee.bankaccount",
    "employee.bankaccount.read",
    "employee.document",
    "employee.document.read",
    "employee.employment",
    "employee.employment.read",
    "employee.info",
    "employee.info.read",
    "employee.leave",
    "employee.leave.read",
    "employee.orgstructure",
    "employee.orgstructure.read",
    "employee.payment",
    "employee.payment.read",
    "employee.payrollsettings",
    "employee.payrollsettings.read",
    "offline_access",
    "user.info.read",
)

OPERATIONS: Final[dict[str, dict[str, Any]]] = {
    "getCompanies": {
        "method": "GET",
        "path": "/api/companies",
        "status": 200,
        "scopes": ["company.info", "company.info.read"],
        "body": None,
    },
    "getCurrentPeriod": {
        "method": "GET",
        "path": "/api/companies/{companyId}/period",
        "status": 200,
        "scopes": ["company.info.read", "company.info"],
        "body": None,
    },
    "getCompanyAddresses": {
        "method": "GET",
        "path": "/api/companies/{companyId}/addresses",
        "status": 200,
        "scopes": ["company.info.read", "company.info"],
        "body": None,
    },
    "getEmployeesByCompany": {
        "method": "GET",
        "path": "/api/companies/{companyId}/employees",
        "status": 200,
        "scopes": ["employee.info", "employee.info.read"],
        "body": None,
    },
    "createEmployee": {
        "method": "POST",
        "path": "/api/companies/{companyId}/employees",
        "status": 201,
        "scopes": ["employee.info"],
        "body": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "PersonalInfo": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "personalInfoId": {"type": "string", "format": "uuid", "readOnly": True},
                        "basicInfo": {
                            "type": "object",
                            "additionalProperties": False,
                            "required": ["lastName", "employeeType"],
                            "properties": {
                                "employeeNumber": {"type": "integer"},
                                "firstName": {"type": "string", "nullable": True},
                                "firstNameInFull": {"type": "string", "nullable": True},
                                "prefix": {"type": "string", "nullable": True},
                                "initials": {"type": "string", "nullable": True},
                                "lastName": {"type": "string"},
                                "employeeType": {
                                    "type": "string",
                                    "enum": [
                                        "applicant",
                                        "newHire",
                                        "payroll",
                                        "formerPayroll",
                                        "external",
                                        "formerExternal",
                                        "rejectedApplicant",
                                    ],
                                },
                            },
                        },
                        "birthInfo": {
                            "type": "object",
                            "additionalProperties": False,
                            "properties": {
                                "birthDate": {"type": "string", "format": "date", "nullable": True},
                                "birthCountryCodeISO": {"type": "string", "nullable": True},
                                "nationalityCodeISO": {"type": "string", "nullable": True},
                                "deceasedOn": {
                                    "type": "string",
                                    "format": "date",
                                    "nullable": True,
                                },
                                "gender": {
                                    "type": "string",
                                    "enum": ["unspecified", "male", "female", "unknown"],
                                    "nullable": True,
                                },
                            },
                        },
                        "contactInfo": {
                            "type": "object",
                            "additionalProperties": False,
                            "properties": {
                                "privateEmail": {
                                    "type": "string",
                                    "nullable": True,
                                    "format": "email",
                                },
                                "businessEmail": {
                                    "type": "string",
                                    "format": "email",
                                    "nullable": True,
                                },
                                "businessPhone": {"type": "string", "nullable": True},
                                "businessMobilePhone": {"type": "string", "nullable": True},
                                "privatePhone": {"type": "string", "nullable": True},
                                "privateMobilePhone": {"type": "string", "nullable": True},
                                "otherPhone": {"type": "string", "nullable": True},
                            },
                        },
                        "partnerInfo": {
                            "type": "object",
                            "properties": {
                                "partnerPrefix": {"type": "string", "nullable": True},
                                "partnerName": {"type": "string", "nullable": True},
                                "maritalStatus": {
                                    "nullable": True,
                                    "allOf": [
                                        {
                                            "type": "string",
                                            "enum": [
                                                "married",
                                                "unmarried",
                                                "livingTogether",
                                                "divorced",
                                                "registeredPartner",
                                                "widowWidower",
                                                "notSpecified",
                                            ],
                                        }
                                    ],
                                },
                                "ascriptionCode": {"type": "integer", "nullable": True},
                            },
                        },
                        "period": {
                            "type": "object",
                            "properties": {
                                "year": {"type": "integer"},
                                "period": {"type": "integer"},
                            },
                        },
                        "createdAt": {"type": "string", "format": "date-time", "readOnly": True},
                    },
                },
                "AdditionalEmployeeInfo": {
                    "type": "object",
                    "properties": {
                        "inServiceDate": {"type": "string", "format": "date"},
                        "defaultEmployeeTemplate": {
                            "type": "string",
                            "format": "uuid",
                            "nullable": True,
                        },
                    },
                },
            },
        },
    },
    "getEmployee": {
        "method": "GET",
        "path": "/api/employees/{employeeId}",
        "status": 200,
        "scopes": ["employee.info", "employee.info.read"],
        "body": None,
    },
    "UpdateEmployeePersonalInfo": {
        "method": "PUT",
        "path": "/api/employees/{employeeId}/personalInfo",
        "status": 200,
        "scopes": ["employee.info"],
        "body": {
            "type": "object",
            "properties": {
                "basicInfo": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["lastName"],
                    "properties": {
                        "employeeNumber": {"type": "integer", "nullable": True},
                        "firstName": {"type": "string", "nullable": True},
                        "firstNameInFull": {"type": "string", "nullable": True},
                        "prefix": {"type": "string", "nullable": True},
                        "initials": {"type": "string", "nullable": True},
                        "lastName": {"type": "string", "nullable": True},
                    },
                },
                "birthInfo": {
                    "type": "object",
                    "properties": {
                        "birthDate": {"type": "string", "format": "date-time", "nullable": True},
                        "birthCountryCodeISO": {"type": "string", "nullable": True},
                        "nationalityCodeISO": {"type": "string", "nullable": True},
                        "deceasedOn": {"type": "string", "format": "date-time", "nullable": True},
                        "gender": {
                            "type": "string",
                            "enum": ["unspecified", "male", "female", "unknown"],
                            "nullable": True,
                        },
                    },
                },
                "contactInfo": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "privateEmail": {"type": "string", "nullable": True, "format": "email"},
                        "businessEmail": {"type": "string", "format": "email", "nullable": True},
                        "businessPhone": {"type": "string", "nullable": True},
                        "businessMobilePhone": {"type": "string", "nullable": True},
                        "privatePhone": {"type": "string", "nullable": True},
                        "privateMobilePhone": {"type": "string", "nullable": True},
                        "otherPhone": {"type": "string", "nullable": True},
                    },
                },
                "partnerInfo": {
                    "type": "object",
                    "properties": {
                        "partnerPrefix": {"type": "string", "nullable": True},
                        "partnerName": {"type": "string", "nullable": True},
                        "maritalStatus": {
                            "nullable": True,
                            "allOf": [
                                {
                                    "type": "string",
                                    "enum": [
                                        "married",
                                        "unmarried",
                                        "livingTogether",
                                        "divorced",
                                        "registeredPartner",
                                        "widowWidower",
                                        "notSpecified",
                                    ],
                                }
                            ],
                        },
                        "ascriptionCode": {"type": "integer", "nullable": True},
                    },
                },
                "period": {
                    "type": "object",
                    "properties": {"year": {"type": "integer"}, "period": {"type": "integer"}},
                },
            },
        },
    },
    "updateEmployeeSocialSecurityNumber": {
        "method": "PUT",
        "path": "/api/employees/{employeeId}/socialsecuritynumber",
        "status": 200,
        "scopes": ["employee.info"],
        "body": {"type": "object", "properties": {"socialSecurityNumber": {"type": "string"}}},
    },
    "createEmployeeAddress": {
        "method": "POST",
        "path": "/api/employees/{employeeId}/address",
        "status": 201,
        "scopes": ["employee.info"],
        "body": {
            "type": "object",
            "additionalProperties": False,
            "required": ["type", "street", "city", "countryISOCode"],
            "properties": {
                "isDefault": {"type": "boolean", "nullable": True},
                "type": {
                    "type": "string",
                    "enum": [
                        "homeAddress",
                        "postAddress",
                        "absenceAddress",
                        "holidaysAddress",
                        "weekendAddress",
                        "workAddress",
                    ],
                },
                "street": {"type": "string"},
                "houseNumber": {"type": "string", "nullable": True},
                "houseNumberAddition": {"type": "string", "nullable": True},
                "postalCode": {"type": "string", "nullable": True},
                "city": {"type": "string"},
                "stateProvince": {"type": "string", "nullable": True},
                "countryISOCode": {"type": "string"},
                "period": {
                    "type": "object",
                    "properties": {"year": {"type": "integer"}, "period": {"type": "integer"}},
                },
            },
        },
    },
    "createEmployeeBankAccount": {
        "method": "POST",
        "path": "/api/employees/{employeeId}/bankaccount",
        "status": 201,
        "scopes": ["employee.bankaccount"],
        "body": {
            "type": "object",
            "properties": {
                "number": {"type": "string"},
                "description": {"type": "string"},
                "IBAN": {"type": "string"},
                "city": {"type": "string"},
                "name": {"type": "string"},
                "bankAccountType": {
                    "type": "string",
                    "enum": [
                        "bankAccount1",
                        "bankAccount2",
                        "bankAccount3",
                        "bankAccount4",
                        "bankAccount5",
                        "salarySavings",
                        "lifecycleSavingSchemes",
                        "standard",
                    ],
                },
            },
            "required": ["IBAN"],
        },
    },
    "createEmployeeContract": {
        "method": "POST",
        "path": "/api/employees/{employeeId}/contract",
        "status": 201,
        "scopes": ["employee.employment"],
        "body": {
            "type": "object",
            "properties": {
                "startDate": {"type": "string", "format": "date-time"},
                "trialPeriod": {"type": "string", "format": "date-time", "nullable": True},
                "endDate": {"type": "string", "format": "date-time", "nullable": True},
                "indefinite": {"type": "boolean"},
                "writtenContract": {"type": "boolean", "nullable": True},
                "hoursPerWeek": {"type": "number", "format": "float", "nullable": True},
            },
            "required": ["startDate", "indefinite"],
        },
    },
    "createEmployeeSalary": {
        "method": "POST",
        "path": "/api/employees/{employeeId}/salary",
        "status": 201,
        "scopes": ["employee.employment"],
        "body": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "startDate": {"type": "string", "format": "date-time"},
                "type": {
                    "type": "string",
                    "enum": [
                        "grossFulltimeSalary",
                        "grossParttimeSalary",
                        "grossHourlyWage",
                        "netParttimeSalaryInclWageComp",
                        "netParttimeSalaryExclWageComp",
                        "netHourlyWageExclWageComp",
                        "netHourlyWageInclWageComp",
                        "employerCosts",
                    ],
                },
                "value": {"type": "number", "format": "float"},
                "salaryTable": {
                    "type": "object",
                    "properties": {
                        "salaryTableId": {"type": "string"},
                        "scaleId": {"type": "string"},
                        "stepId": {"type": "string"},
                        "increaseStep": {
                            "type": "object",
                            "properties": {
                                "period": {"type": "integer"},
                                "year": {"type": "integer"},
                            },
                        },
                    },
                },
            },
            "required": ["startDate"],
        },
    },
    "createEmployeeSchedule": {
        "method": "POST",
        "path": "/api/employees/{employeeId}/schedule",
        "status": 201,
        "scopes": ["employee.employment"],
        "body": {
            "type": "object",
            "properties": {
                "startDate": {"type": "string", "format": "date-time"},
                "hoursPerWeek": {"type": "number", "format": "float", "nullable": True},
                "week1": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "hoursMonday": {"type": "number", "format": "float"},
                        "hoursTuesday": {"type": "number", "format": "float"},
                        "hoursWednesday": {"type": "number", "format": "float"},
                        "hoursThursday": {"type": "number", "format": "float"},
                        "hoursFriday": {"type": "number", "format": "float"},
                        "hoursSaturday": {"type": "number", "format": "float"},
                        "hoursSunday": {"type": "number", "format": "float"},
                    },
                },
                "week2": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "hoursMonday": {"type": "number", "format": "float"},
                        "hoursTuesday": {"type": "number", "format": "float"},
                        "hoursWednesday": {"type": "number", "format": "float"},
                        "hoursThursday": {"type": "number", "format": "float"},
                        "hoursFriday": {"type": "number", "format": "float"},
                        "hoursSaturday": {"type": "number", "format": "float"},
                        "hoursSunday": {"type": "number", "format": "float"},
                    },
                },
            },
            "required": ["startDate"],
        },
    },
    "getEmployeePersonalInfoByCompany": {
        "method": "GET",
        "path": "/api/companies/{companyId}/employees/personalinfo",
        "status": 200,
        "scopes": ["employee.info", "employee.info.read"],
        "body": None,
    },
    "getAddressesByCompany": {
        "method": "GET",
        "path": "/api/companies/{companyId}/employees/addresses",
        "status": 200,
        "scopes": ["employee.info", "employee.info.read"],
        "body": None,
    },
    "getBankAccountsByCompany": {
        "method": "GET",
        "path": "/api/companies/{companyId}/employees/bankaccounts",
        "status": 200,
        "scopes": ["employee.bankaccount.read", "employee.bankaccount"],
        "body": None,
    },
    "getContractsByCompany": {
        "method": "GET",
        "path": "/api/companies/{companyId}/employees/contracts",
        "status": 200,
        "scopes": ["employee.employment", "employee.employment.read"],
        "body": None,
    },
    "getSalariesByCompany": {
        "method": "GET",
        "path": "/api/companies/{companyId}/employees/salaries",
        "status": 200,
        "scopes": ["employee.employment", "employee.employment.read"],
        "body": None,
    },
    "getSchedulesByCompany": {
        "method": "GET",
        "path": "/api/companies/{companyId}/employees/schedules",
        "status": 200,
        "scopes": ["employee.employment", "employee.employment.read"],
        "body": None,
    },
}
