"""Nmbrs' one JSON error shape and the codes the REST door answers with. Pure.

Shape, codes and texts from the OpenAPI document's `components.responses` examples.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from bulkimport.emulator.rest.validation import Problem

DOC_URL: Final = "https://developer.nmbrs.com/api/docs/errors"


class RestError(Exception):
    """A refusal in Nmbrs' shape: type, httpStatus, code, title, detail, invalid-params, docUrl."""

    def __init__(
        self,
        status: int,
        code: int,
        title: str,
        detail: str,
        kind: str,
        invalid_params: Sequence[Problem] = (),
    ) -> None:
        super().__init__(f"{status} {code} {title}")
        self.status = status
        self.code = code
        self.title = title
        self.detail = detail
        self.kind = kind
        self.invalid_params = tuple(invalid_params)

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": self.kind,
            "httpStatus": self.status,
            "code": self.code,
            "title": self.title,
            "detail": self.detail,
        }
        if self.invalid_params:
            body["invalid-params"] = [
                {"name": name, "reason": reason} for name, reason in self.invalid_params
            ]
        body["docUrl"] = "https://status.nmbrs.com/" if self.status == 503 else DOC_URL
        return body


def invalid(problems: Sequence[Problem]) -> RestError:
    return RestError(
        400, 40033, "Parameter_Invalid", "Invalid parameter.", "validationError", problems
    )


def missing_token() -> RestError:
    return RestError(
        401, 40101, "Missing_Token", "Token is missing on the authentication", "authenticationError"
    )


def invalid_token() -> RestError:
    return RestError(401, 40102, "Invalid_Token", "Token is invalid.", "authenticationError")


def unauthorized_access(detail: str) -> RestError:
    return RestError(403, 40303, "Unauthorized_AccessData", detail, "authenticationError")


def invalid_subscription() -> RestError:
    # The spec's text is about a disabled environment; the emulator adds why it refused [I].
    return RestError(
        403,
        40304,
        "Invalid_Subscription",
        "There is no valid subscription: the X-Subscription-Key header is missing or unknown.",
        "authenticationError",
    )


def not_found(detail: str = "The requested resource could not be found.") -> RestError:
    return RestError(404, 40401, "Not_Found", detail, "invalidRequestError")


def invalid_company() -> RestError:
    return RestError(
        404,
        40404,
        "Invalid_Company",
        "Company not found. Check if the company Id is correct.",
        "invalidRequestError",
    )


def too_many_calls() -> RestError:
    return RestError(
        429,
        42908,
        "Too_Many_Calls",
        "The amount of calls is above the threshold for your subscription plan.",
        "throttlingError",
    )


def quota_exceeded() -> RestError:
    return RestError(429, 42909, "Quota_Exceeded", "Out of call volume quota.", "throttlingError")


def unknown_error() -> RestError:
    return RestError(500, 50001, "Unkown", "An unexpected error has occurred.", "apiError")


def service_unavailable() -> RestError:
    return RestError(
        503,
        50301,
        "Service_Unavailable",
        "The API is not available, it can be because of an update or an unexpected error.",
        "apiError",
    )
