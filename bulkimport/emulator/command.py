"""`bulkimport emulator`: placeholder until the emulator lands (issue 2)."""

from __future__ import annotations

import argparse
from collections.abc import Callable


def add(parser: argparse.ArgumentParser) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        raise SystemExit("the emulator is not built yet")

    return run
