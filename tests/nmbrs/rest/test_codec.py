"""The REST codec: the core's values to Nmbrs' JSON and back, by the generated table. Pure."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from bulkimport.backend import SchemaViolation
from bulkimport.nmbrs.rest.codec import decode_record, encode_request
from bulkimport.nmbrs.rest.schema import lookup_operation

EMPLOYEE = "3f2504e0-4f89-41d3-9a0c-0305e82c3301"


def test_a_post_fills_the_path_and_translates_enumerations_and_dates() -> None:
    request = encode_request(
        lookup_operation("createEmployeeSalary"),
        {"employeeId": EMPLOYEE,
         "body": {"startDate": date(2026, 12, 1), "type": "Bruto_Salaris_Fulltime",
                  "value": Decimal("3450.50")}},
    )  # fmt: skip
    assert request.path == f"/api/employees/{EMPLOYEE}/salary"
    assert request.body == {
        "startDate": "2026-12-01T00:00:00Z",  # date-time in the document
        "type": "grossFulltimeSalary",
        "value": 3450.5,
    }


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [("Bankrekening1", "bankAccount1"), ("Spaarloon", "salarySavings"), ("Standaard", "standard")],
)
def test_bank_account_types_both_ways(ours: str, theirs: str) -> None:
    operation = lookup_operation("createEmployeeBankAccount")
    request = encode_request(
        operation, {"employeeId": EMPLOYEE, "body": {"IBAN": "NL91ABNA0417164300",
                                                     "bankAccountType": ours}}
    )  # fmt: skip
    assert request.body["bankAccountType"] == theirs
    assert operation.body is not None
    assert decode_record(operation.body, request.body)["bankAccountType"] == ours


def test_empty_values_are_not_sent_and_a_required_one_is_refused() -> None:
    operation = lookup_operation("createEmployeeAddress")
    body = {"type": "HomeAddress", "street": "Oudegracht", "city": "Utrecht",
            "countryISOCode": "NL", "houseNumber": None, "postalCode": None}  # fmt: skip
    request = encode_request(operation, {"employeeId": EMPLOYEE, "body": body})
    assert request.body == {"type": "homeAddress", "street": "Oudegracht", "city": "Utrecht",
                            "countryISOCode": "NL"}  # fmt: skip
    with pytest.raises(SchemaViolation, match=r"body\.street"):
        encode_request(operation, {"employeeId": EMPLOYEE, "body": {**body, "street": None}})


@pytest.mark.parametrize(
    ("values", "where"),
    [
        ({"employeeId": EMPLOYEE, "body": {"IBAN": "x", "bic": "ABNANL2A"}}, "body.bic"),
        ({"employeeId": "not-a-uuid", "body": {"IBAN": "x"}}, "employeeId"),
        ({"body": {"IBAN": "x"}}, "employeeId"),
        ({"employeeId": EMPLOYEE, "body": {"IBAN": "x", "bankAccountType": "None"}},
         "body.bankAccountType"),
    ],
)  # fmt: skip
def test_what_the_document_cannot_hold_is_refused_before_sending(
    values: dict[str, object], where: str
) -> None:
    with pytest.raises(SchemaViolation) as refused:
        encode_request(lookup_operation("createEmployeeBankAccount"), values)
    assert refused.value.path == where


def test_a_read_record_decodes_into_the_core_values() -> None:
    update = lookup_operation("UpdateEmployeePersonalInfo").body
    assert update is not None
    decoded = decode_record(
        update,
        {"basicInfo": {"firstName": "Jan", "lastName": "Vries", "employeeNumber": 1001,
                       "unknownField": 1},
         "birthInfo": {"birthDate": "1984-02-11T00:00:00Z", "gender": "unknown"},
         "partnerInfo": {"maritalStatus": "married"}},
    )  # fmt: skip
    assert decoded == {
        "basicInfo": {"firstName": "Jan", "lastName": "Vries", "employeeNumber": 1001},
        "birthInfo": {"birthDate": date(1984, 2, 11), "gender": "undefined"},
        "partnerInfo": {"maritalStatus": "Gehuwd"},
    }


def test_list_filters_go_in_the_query() -> None:
    request = encode_request(
        lookup_operation("getAddressesByCompany"),
        {"companyId": EMPLOYEE, "employeeId": EMPLOYEE},
    )
    assert request.path == f"/api/companies/{EMPLOYEE}/employees/addresses"
    assert request.query == {"employeeId": EMPLOYEE}
    assert request.body is None
