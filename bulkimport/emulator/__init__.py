"""A local emulator of the Nmbrs SOAP API v3: bulkimport's default target, test double and bench.

Its rule: whatever it accepts, the real Nmbrs would accept too; where unsure it is stricter.
Nmbrs (ASP.NET ASMX) silently ignores unknown, misplaced, mis-cased or foreign-namespace
elements; the emulator refuses them with a soap:Client fault naming the element. It speaks
SOAP 1.1 only (text/xml), checks every request against its own operation table
(`soap/schema.py`, generated from Nmbrs' WSDLs, not taken from the client), serves a WSDL
generated from that table, keeps companies and employees with period-based records in memory
(seeded from `seed.py`), answers business errors with Nmbrs' fault codes (`operations.py`),
delays calls beyond 150/s per account by half a second, and injects faults on demand
(`faults.py`).

Modules: app (HTTP, config, running_emulator, emulator_in_thread), state, operations, rules,
seed, faults, stats, wsdl, command (the CLI), accounts (its settings types), soap (its table,
codec and envelopes). The throughput probe, a client of the emulator, is `bulkimport.loadcheck`.
The `rest` package is a second front door on the same state: Nmbrs' REST API and its OAuth
identity service (see its docstring).
"""

from __future__ import annotations

from bulkimport.emulator.app import (
    DEMO_CREDENTIALS,
    EmulatorConfig,
    NmbrsEmulator,
    RunningEmulator,
    create_app,
    emulator_in_thread,
    running_emulator,
)
from bulkimport.emulator.faults import FaultMode, FaultSettings, ScriptedFault
from bulkimport.emulator.rules import FaultCode
from bulkimport.emulator.seed import DEFAULT_EMPLOYEE_TYPE
from bulkimport.emulator.state import EmulatorState
from bulkimport.emulator.stats import Stats

__all__ = [
    "DEFAULT_EMPLOYEE_TYPE",
    "DEMO_CREDENTIALS",
    "EmulatorConfig",
    "EmulatorState",
    "FaultCode",
    "FaultMode",
    "FaultSettings",
    "NmbrsEmulator",
    "RunningEmulator",
    "ScriptedFault",
    "Stats",
    "create_app",
    "emulator_in_thread",
    "running_emulator",
]
