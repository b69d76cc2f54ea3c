"""Measure the calls/s an emulator sustains: `python -m bulkimport.loadcheck URL`.

Sends List_GetByCompany and Employee_Insert calls (alternating) with a fixed concurrency and
prints calls per second. Point it at a separately started `bulkimport emulator` whose
--calls-per-second is high enough not to throttle, so it measures the emulator, not Nmbrs' limit.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import date

import aiohttp

from bulkimport.emulator import DEMO_CREDENTIALS
from bulkimport.nmbrs.soap.envelope import build_request
from bulkimport.nmbrs.soap.schema import find_operation


async def measure(base_url: str, calls: int, concurrency: int) -> float:
    """Send `calls` calls with `concurrency` in flight; return calls per second."""
    insert = find_operation("EmployeeService", "Employee_Insert")
    listing = find_operation("EmployeeService", "List_GetByCompany")
    requests = [
        (
            insert.soap_action,
            build_request(
                insert,
                {
                    "FirstName": "Load",
                    "LastName": "Check",
                    "StartDate": date(2100, 1, 1),
                    "CompanyId": 54614,
                    "UnprotectedMode": False,
                },
                DEMO_CREDENTIALS,
            ),
        ),
        (
            listing.soap_action,
            build_request(listing, {"CompanyId": 54613, "EmployeeType": 2}, DEMO_CREDENTIALS),
        ),
    ]
    url = f"{base_url}EmployeeService.asmx"
    remaining = iter(range(calls))
    failures = 0

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal failures
        for index in remaining:
            action, body = requests[index % 2]
            headers = {"SOAPAction": f'"{action}"', "Content-Type": "text/xml; charset=utf-8"}
            async with session.post(url, data=body, headers=headers) as response:
                await response.read()
                failures += response.status != 200

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        started = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    if failures:
        raise SystemExit(f"{failures} calls did not answer 200")
    return calls / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url", help="the emulator's base URL, e.g. http://127.0.0.1:8000/soap/v3/")
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    rate = asyncio.run(measure(args.url, args.calls, args.concurrency))
    print(f"{args.calls} calls, concurrency {args.concurrency}: {rate:,.0f} calls/s")


if __name__ == "__main__":
    main()
