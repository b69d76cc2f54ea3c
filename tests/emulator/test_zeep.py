"""A standard SOAP client (zeep) loads the emulator's generated WSDL and calls it.

Proof that the emulator speaks standard SOAP 1.1 with its WSDL, not only our own dialect.
zeep is synchronous, so it runs in a worker thread while the emulator serves on the loop.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import pytest
import zeep

from bulkimport.emulator import DEMO_CREDENTIALS, RunningEmulator


def zeep_session(wsdl_url: str) -> tuple[Any, Any]:
    client = zeep.Client(wsdl=wsdl_url)  # type: ignore[no-untyped-call]  # zeep is untyped
    header_type = client.get_element("ns0:AuthHeaderWithDomain")  # type: ignore[no-untyped-call]
    header = header_type(
        Username=DEMO_CREDENTIALS.username,
        Token=DEMO_CREDENTIALS.token,
        Domain=DEMO_CREDENTIALS.domain,
    )
    return client, header


def hire_and_list(wsdl_url: str) -> tuple[int, list[Any]]:
    client, header = zeep_session(wsdl_url)
    new_id = client.service.Employee_Insert(
        FirstName="Zeep",
        LastName="Client",
        StartDate=datetime(2026, 12, 1),
        CompanyId=54613,
        UnprotectedMode=False,
        _soapheaders=[header],
    )
    employees = client.service.List_GetByCompany(
        CompanyId=54613, EmployeeType=2, _soapheaders=[header]
    )
    return new_id, list(employees)


def fault_from(wsdl_url: str) -> Any:
    client, header = zeep_session(wsdl_url)
    with pytest.raises(zeep.exceptions.Fault) as caught:
        client.service.Company_GetCurrentPeriod(CompanyId=1, _soapheaders=[header])
    return caught.value


async def test_zeep_inserts_and_lists(emulator: RunningEmulator) -> None:
    wsdl_url = f"{emulator.url('EmployeeService')}?WSDL"
    new_id, employees = await asyncio.to_thread(hire_and_list, wsdl_url)
    assert new_id == 1057235
    assert [(e.Id, e.Number, e.DisplayName) for e in employees][-1] == (1057235, 0, "Zeep Client")
    assert [e.Number for e in employees][:10] == list(range(1001, 1011))
    assert emulator.stats.calls_by_operation == {"Employee_Insert": 1, "List_GetByCompany": 1}


async def test_zeep_reads_an_nmbrs_fault(emulator: RunningEmulator) -> None:
    fault = await asyncio.to_thread(fault_from, f"{emulator.url('CompanyService')}?WSDL")
    assert fault.code == "soap:Server"
    assert "---> 2004: Unauthorized company" in fault.message
