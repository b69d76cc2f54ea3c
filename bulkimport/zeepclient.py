"""The usual alternative, for comparison: a zeep client, one call after another. Does I/O.

This is how the existing Python Nmbrs SDK works (zeep loads the WSDL, every call waits for the
previous one). The benchmark runs it against the same emulator and rows as bulkimport, with the
same mapping, so the comparison is about the sending only. Needs the `bench` extra (zeep).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bulkimport.config import Country
from bulkimport.mapping.mapper import MappingContext, bind_columns, map_row
from bulkimport.mapping.template import load_builtin_template
from bulkimport.model import StepRef
from bulkimport.nmbrs.soap.backend import SoapBackend
from bulkimport.sources import open_source


def _substitute(values: Any, results: Mapping[str, Any]) -> Any:
    if isinstance(values, StepRef):
        return results[values.step]
    if isinstance(values, Mapping):
        return {name: _substitute(value, results) for name, value in values.items()}
    return values


def run_sequential_new_hires(path: Path, base_url: str, company_id: int) -> tuple[int, float]:
    """Import new hires through zeep, sequentially; return (calls, wall seconds of the import)."""
    import zeep

    from bulkimport.emulator import DEMO_CREDENTIALS

    clients: dict[str, Any] = {}
    headers: dict[str, Any] = {}
    for service in ("EmployeeService", "CompanyService"):
        client = zeep.Client(f"{base_url}{service}.asmx?WSDL")  # type: ignore[no-untyped-call]
        header_type = client.get_element("ns0:AuthHeaderWithDomain")  # type: ignore[no-untyped-call]
        headers[service] = header_type(
            Username=DEMO_CREDENTIALS.username,
            Token=DEMO_CREDENTIALS.token,
            Domain=DEMO_CREDENTIALS.domain,
        )
        clients[service] = client
    template = load_builtin_template("new_hire", SoapBackend().template_operation)
    context = MappingContext(company_id=company_id, country=Country.NL)
    calls = 0
    started = time.monotonic()
    with open_source(path) as source:
        binding = bind_columns(template, source.info)
        for row in source.rows():
            plan = map_row(template, binding, row, context)
            results: dict[str, Any] = {}
            for call in plan.calls:
                method = getattr(clients[call.service].service, call.operation)
                values = _substitute(call.values, results)
                results[call.step] = method(**values, _soapheaders=[headers[call.service]])
                calls += 1
    return calls, time.monotonic() - started
