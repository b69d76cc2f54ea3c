"""The REST door models Nmbrs from Nmbrs' documents: it imports no client code."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import bulkimport.emulator.rest

PACKAGE = Path(bulkimport.emulator.rest.__file__).parent


@pytest.mark.parametrize("module", sorted(PACKAGE.glob("*.py")), ids=lambda path: path.name)
def test_imports_nothing_of_bulkimport_but_the_emulator(module: Path) -> None:
    tree = ast.parse(module.read_text(encoding="utf-8"))
    imported = [
        node.module or ""
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.level == 0
    ] + [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
         for alias in node.names]  # fmt: skip
    foreign = [
        name
        for name in imported
        if name.split(".")[0] in ("bulkimport", "tests")
        and not name.startswith("bulkimport.emulator")
    ]
    assert foreign == []
