"""Shared fixtures: a real emulator on 127.0.0.1 for any test that talks SOAP.

Override `emulator_config` in a test module to change rate limits, faults or the period.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from typing import Final

import pytest
import structlog

from bulkimport.emulator import EmulatorConfig, RunningEmulator, running_emulator
from bulkimport.logs import PROGRESS_LOGGER

# The emulator's "today" in tests, fixed so that protected-period rules do not move with the
# calendar: company 54613's current period is 2026-11 (monthly, from 2026-11-01); 54614's is
# 2026-11 too (4-weekly, 2026-10-08 to 2026-11-04).
EMULATOR_PERIOD: Final = (2026, 11)


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    return EmulatorConfig(current_period=EMULATOR_PERIOD, seed=1)


@pytest.fixture
async def emulator(emulator_config: EmulatorConfig) -> AsyncIterator[RunningEmulator]:
    """A running emulator with the seeded demo data; `emulator.base_url` is its SOAP root."""
    async with running_emulator(emulator_config) as running:
        yield running


@pytest.fixture(autouse=True)
def _fresh_logging() -> Iterator[None]:
    """The CLI configures logging process-wide; every test starts from structlog's defaults."""
    yield
    structlog.reset_defaults()
    root = logging.getLogger()
    for logger in (root, logging.getLogger(PROGRESS_LOGGER)):
        for handler in [h for h in logger.handlers if getattr(h, "_bulkimport_handler", False)]:
            logger.removeHandler(handler)
            handler.close()  # a --log-file handler holds its file open
    root.setLevel(logging.WARNING)
