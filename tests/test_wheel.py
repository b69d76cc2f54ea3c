"""The package as a user gets it: build a wheel, install it into a fresh venv, run the README.

Nothing here may see the repository: the wheel is built from a copy of the sources, installed
into a venv of its own, and run from another folder without PYTHONPATH.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import venv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHIPPED = {"new_hire", "personal_info", "address", "bank_account", "salary", "schedule", "contract"}

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


@dataclass(frozen=True, slots=True)
class Installed:
    scripts: Path  # the venv's bin folder
    elsewhere: Path  # a folder outside the repository to run from
    environment: dict[str, str]


def _isolated_environment(home: Path) -> dict[str, str]:
    """No PYTHONPATH (it would put the repository's package first), no Nmbrs account."""
    environment = {
        name: value
        for name, value in os.environ.items()
        if name != "PYTHONPATH" and not name.startswith("NMBRS_")
    }
    environment["HOME"] = str(home)  # no config file of the person running the tests
    return environment


def _run(
    command: list[str | Path], *, env: dict[str, str], cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(part) for part in command], env=env, cwd=cwd, capture_output=True, text=True
    )


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    skip = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(REPO / "bulkimport", source / "bulkimport", symlinks=True, ignore=skip)
    shutil.copytree(REPO / "templates", source / "templates", ignore=skip)

    without_repo = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    dist = work / "dist"
    built = _run(
        [sys.executable, "-m", "pip", "wheel", source, "--no-deps", "--quiet", "-w", dist],
        env=without_repo,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = dist.glob("bulkimport-*.whl")

    environment = work / "venv"
    venv.create(environment, with_pip=False)  # this pip installs into it: no ensurepip wait
    python = environment / "bin" / "python"
    added = _run(
        [sys.executable, "-m", "pip", "--python", python, "install", "--quiet", wheel],
        env=without_repo,
    )
    assert added.returncode == 0, added.stderr

    elsewhere = work / "elsewhere"
    elsewhere.mkdir()
    yield Installed(environment / "bin", elsewhere, _isolated_environment(elsewhere))


def test_the_installed_package_is_the_wheel_not_the_repository(installed: Installed) -> None:
    where = _run(
        [installed.scripts / "python", "-c", "import bulkimport; print(bulkimport.__file__)"],
        cwd=installed.elsewhere,
        env=installed.environment,
    )
    assert where.returncode == 0, where.stderr
    assert Path(where.stdout.strip()).is_relative_to(installed.scripts.parent)


def test_the_readme_main_command_runs_from_another_folder(installed: Installed) -> None:
    output = installed.elsewhere / "out"
    output.mkdir()
    command: list[str | Path] = [
        installed.scripts / "bulkimport", "run", REPO / "samples" / "new_hires.csv",
        "--template", "new_hire", "--company", "54613",
        "--report", output / "new_hires.report", "--failed", output / "new_hires.failed.csv",
    ]  # fmt: skip
    result = _run(command, cwd=installed.elsewhere, env=installed.environment)
    assert "Traceback" not in result.stderr + result.stdout
    assert result.returncode == 1, result.stderr  # the sample's three deliberate mistakes
    assert re.search(r"^\s*ok\s+22$", result.stdout, re.MULTILINE), result.stdout
    assert re.search(r"^\s*invalid\s+3$", result.stdout, re.MULTILINE), result.stdout
    assert (output / "new_hires.report.csv").is_file()
    assert (output / "new_hires.failed.csv").is_file()


def test_the_templates_command_lists_the_shipped_templates(installed: Installed) -> None:
    result = _run(
        [installed.scripts / "bulkimport", "templates"],
        cwd=installed.elsewhere,
        env=installed.environment,
    )
    assert result.returncode == 0, result.stderr
    listed = set(re.findall(r"^([a-z_]+)  \(", result.stdout, re.MULTILINE))
    assert listed == SHIPPED
