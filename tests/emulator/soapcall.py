"""Helpers for the emulator's tests: send one SOAP call over HTTP and read the answer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import aiohttp

from bulkimport.config import Credentials
from bulkimport.emulator import DEMO_CREDENTIALS, RunningEmulator
from bulkimport.nmbrs.soap.envelope import Fault, Result, build_request, parse_reply
from bulkimport.nmbrs.soap.schema import Operation, lookup_operation

TEXT_XML = "text/xml; charset=utf-8"


async def post(
    session: aiohttp.ClientSession,
    url: str,
    body: bytes,
    action: str | None,
    *,
    quoted: bool = True,
) -> tuple[int, bytes]:
    headers = {"Content-Type": TEXT_XML}
    if action is not None:
        headers["SOAPAction"] = f'"{action}"' if quoted else action
    async with session.post(url, data=body, headers=headers) as response:
        return response.status, await response.read()


async def call(
    session: aiohttp.ClientSession,
    emulator: RunningEmulator,
    name: str,
    values: Mapping[str, Any],
    *,
    credentials: Credentials = DEMO_CREDENTIALS,
) -> Result | Fault:
    operation = lookup_operation(name)
    body = build_request(operation, values, credentials)
    status, reply = await post(
        session, emulator.url(operation.service), body, operation.soap_action
    )
    parsed = parse_reply(operation, reply)
    assert status == (200 if isinstance(parsed, Result) else 500)
    return parsed


async def ok(
    session: aiohttp.ClientSession,
    emulator: RunningEmulator,
    name: str,
    values: Mapping[str, Any] | None = None,
) -> Any:
    """Call and insist on success; return the decoded result."""
    reply = await call(session, emulator, name, values or {})
    assert isinstance(reply, Result), reply
    return reply.value


async def fault(
    session: aiohttp.ClientSession,
    emulator: RunningEmulator,
    name: str,
    values: Mapping[str, Any],
    code: int,
    *,
    credentials: Credentials = DEMO_CREDENTIALS,
) -> Fault:
    """Call and insist on the Nmbrs fault `code` (soap:Server, `---> NNNN:`)."""
    reply = await call(session, emulator, name, values, credentials=credentials)
    assert isinstance(reply, Fault), reply
    assert reply.faultcode == "soap:Server"
    assert reply.faultstring.startswith("Server was unable to process request. ---> ")
    assert reply.code == code, reply.faultstring
    return reply


def operation(name: str) -> Operation:
    return lookup_operation(name)
