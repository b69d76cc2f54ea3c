"""What Nmbrs' SOAP fault codes mean, for a person reading a run's report. Pure data.

The texts are the titles the public Nmbrs clients give the codes (Nmbrs' own list, support
article 360013526891, was not available), as listed in shared/nmbrs/API.md section 7.
The emulator keeps its own table: it must not share the client's idea of Nmbrs.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

FAULT_MEANINGS: Final[Mapping[int, str]] = MappingProxyType(
    {
        1000: "Invalid combination email/password",
        1001: "Invalid authentication (e-mail, token or domain)",
        1002: "Unauthorized access (the API user's template lacks rights for the service)",
        1003: "Unauthorized access to data (tags or filters)",
        1004: "Disabled: no valid subscription",
        1006: "Generic login security failure (retrying tends to solve it)",
        2001: "Invalid hour component",
        2002: "Invalid wage component",
        2003: "Unauthorized access to the employee",
        2004: "Unauthorized company",
        2005: "Invalid organisation",
        2006: "Invalid period",
        2009: "Unauthorized debtor",
        2011: "Protected mode: the period is closed (UnprotectedMode needed)",
        2012: "Wage tax declaration already sent",
        2013: "Not available on a free trial",
        2014: "Invalid IBAN",
        2015: "Invalid bank account number",
        2016: "Invalid bank account type",
        2017: "Invalid labour agreement id",
        2018: "Invalid leave id",
        2019: "Task status not available",
        2020: "Task status not available",
        2021: "Invalid task result",
        2022: "Invalid leave type",
        2028: "Start time after end time",
        2029: "Time slots overlap",
        2030: "Invalid set of values",
        2032: "IBAN required",
        2033: "Tax type or form required or invalid (Sweden)",
        2034: "Tax type or form required or invalid (Sweden)",
        2035: "Tax type or form required or invalid (Sweden)",
        2036: "Tax type or form required or invalid (Sweden)",
        2037: "Invalid cost center id",
        2038: "Invalid cost center code",
        2039: "Duplicated cost center code",
        2040: "File needs an extension",
        2041: "File too large",
        2042: "User in multiple environments",
        2043: "Invalid domain",
        2044: "Invalid endpoint",
        2045: "Invalid name",
        2046: "Not found",
        2047: "Invalid document type",
        9999: "Unknown error (also a protected period, when the text mentions TWK)",
    }
)
