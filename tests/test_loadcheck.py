"""The throughput probe runs against a live emulator (the figure itself goes in reports)."""

from __future__ import annotations

from bulkimport.emulator import RunningEmulator
from bulkimport.loadcheck import measure


async def test_measure_sends_every_call(emulator: RunningEmulator) -> None:
    rate = await measure(emulator.base_url, calls=40, concurrency=4)
    assert rate > 0
    assert emulator.stats.calls_by_operation == {"Employee_Insert": 20, "List_GetByCompany": 20}
    assert len(emulator.state.companies[54614].employee_ids) == 20
