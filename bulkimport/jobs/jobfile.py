"""Job files (`job.toml`): steps, each an import on a named account, ordered by `after`.

Pure: `parse_job` turns the TOML text into a `JobPlan` and `job_problems` lists what cannot
work, both without touching a file; `load_job` (the one I/O function) reads the file, checks
the inputs and templates exist, and raises one `ConfigError` that names every problem, so a
scheduler's log shows all of them before anything is sent.

    [job]
    state = "state"          # journals, reports, summaries (default: <job name>.state/)

    [steps.hires]
    file = "hires.csv"       # relative to the job file
    template = "new_hire"
    company = 54613
    account = "acme"         # an [accounts.acme] table of the config file

    [steps.salaries]
    file = "salaries.csv"
    template = "salary"
    company = 54613
    account = "acme"
    after = ["hires"]
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from bulkimport.config import NamedAccount
from bulkimport.errors import BulkImportError, ConfigError
from bulkimport.model import NmbrsId

JOB_KEYS: Final = frozenset({"state"})
STEP_KEYS: Final = frozenset(
    {"file", "template", "company", "account", "after", "sheet", "ignore_columns"}
)
REQUIRED_STEP_KEYS: Final = ("file", "template", "company", "account")


@dataclass(frozen=True, slots=True)
class JobStep:
    """One import of a job: a file through a template into a company, on a named account."""

    name: str
    file: Path  # absolute: resolved against the job file's folder
    template: str  # a shipped template name, or an absolute path to a .toml file
    company: NmbrsId  # SOAP: the id; REST: the id (UUID), the company number or exact name
    account: str
    after: tuple[str, ...] = ()
    sheet: str | None = None
    ignore_columns: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class JobPlan:
    """A parsed job: its steps in an order that respects `after`, and where its state lives."""

    path: Path
    steps: tuple[JobStep, ...]
    state_dir: Path

    def step(self, name: str) -> JobStep:
        for step in self.steps:
            if step.name == name:
                return step
        raise ConfigError(f"{self.path}: there is no step {name!r}")

    def dependents(self, name: str) -> tuple[JobStep, ...]:
        """The steps that name `name` in their `after`."""
        return tuple(step for step in self.steps if name in step.after)

    @property
    def accounts(self) -> tuple[str, ...]:
        """The account names the steps use, each once, in step order."""
        return tuple(dict.fromkeys(step.account for step in self.steps))


def parse_job(path: Path, text: str) -> JobPlan:
    """The job file's content as a plan; paths are resolved against `path`'s folder.

    Raises:
        ConfigError: the text is not TOML, or names every shape problem found (unknown keys,
            missing or mistyped values, unknown steps in `after`, cycles).
    """
    try:
        values = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"job file {path} is not valid TOML: {exc}") from exc
    problems: list[str] = []
    folder = path.parent
    unknown_top = sorted(set(values) - {"job", "steps"})
    if unknown_top:
        problems.append(f"unknown table(s) {', '.join(unknown_top)}: a job has [job] and [steps.*]")
    job_table = _table(values.get("job", {}), "[job]", problems)
    for key in sorted(set(job_table) - JOB_KEYS):
        problems.append(f"[job]: unknown key {key!r}; known: {', '.join(sorted(JOB_KEYS))}")
    state = job_table.get("state")
    if state is not None and not isinstance(state, str):
        problems.append("[job]: state must be a folder path (text)")
    state_dir = folder / state if isinstance(state, str) else folder / f"{path.stem}.state"
    steps_table = _table(values.get("steps", {}), "[steps]", problems)
    if not steps_table and not problems:
        problems.append("no steps: add at least one [steps.NAME] table")
    steps = [
        step
        for name, table in steps_table.items()
        if (step := _parse_step(name, table, folder, problems)) is not None
    ]
    ordered = _ordered(steps, problems)
    if problems:
        raise ConfigError(_problem_text(path, problems))
    return JobPlan(path=path, steps=ordered, state_dir=state_dir.resolve())


def job_problems(
    plan: JobPlan,
    accounts: Mapping[str, NamedAccount],
    *,
    file_exists: Callable[[Path], bool],
    template_problem: Callable[[str, str], str | None],
    need_secrets: bool,
) -> list[str]:
    """What stops the plan from running: unknown accounts, missing secrets, files, templates."""
    problems: list[str] = []
    for step in plan.steps:
        where = f"[steps.{step.name}]"
        account = accounts.get(step.account)
        if account is None:
            known = ", ".join(sorted(accounts)) or "none: add [accounts.NAME] to the config file"
            problems.append(f"{where}: unknown account {step.account!r} (accounts: {known})")
        elif need_secrets and not account.has_secrets:
            lacks = "its REST application's values" if account.api == "rest" else "no token"
            problems.append(
                f"{where}: account {step.account!r} has {lacks} ({account.token_source})"
            )
        if not file_exists(step.file):
            problems.append(f"{where}: file {step.file} does not exist")
        template = template_problem(step.template, account.api if account else "soap")
        if template is not None:
            problems.append(f"{where}: {template}")
    return problems


def load_job(
    path: Path, accounts: Mapping[str, NamedAccount], *, need_secrets: bool = True
) -> JobPlan:
    """Read, parse and check a job file: everything that can be known before a call is sent.

    Raises:
        ConfigError: naming every problem found, each with its step.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read job file {path}: {exc}") from exc
    plan = parse_job(path.resolve(), text)
    problems = job_problems(
        plan,
        accounts,
        file_exists=Path.is_file,
        template_problem=_template_problem,
        need_secrets=need_secrets,
    )
    if problems:
        raise ConfigError(_problem_text(path, problems))
    return plan


def _template_problem(name_or_path: str, api: str) -> str | None:
    """Why the template cannot run over the account's API (None: it can)."""
    from bulkimport.job import backend_for, resolve_template

    try:
        resolve_template(name_or_path, backend_for(api))
    except BulkImportError as exc:
        return str(exc)
    return None


def _table(value: object, where: str, problems: list[str]) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    problems.append(f"{where} must be a table")
    return {}


def _parse_step(name: str, value: object, folder: Path, problems: list[str]) -> JobStep | None:
    where = f"[steps.{name}]"
    if not isinstance(value, dict):
        problems.append(f"{where} must be a table")
        return None
    count = len(problems)
    for key in sorted(set(value) - STEP_KEYS):
        problems.append(f"{where}: unknown key {key!r}; known: {', '.join(sorted(STEP_KEYS))}")
    for key in REQUIRED_STEP_KEYS:
        if key not in value:
            problems.append(f"{where}: {key} is missing")
    file, template, account = (value.get(key) for key in ("file", "template", "account"))
    for key, text in (("file", file), ("template", template), ("account", account)):
        if text is not None and not (isinstance(text, str) and text):
            problems.append(f"{where}: {key} must be text")
    company = value.get("company")
    if isinstance(company, str):
        company = company.strip()
    if company is not None and not (
        (isinstance(company, int) and not isinstance(company, bool) and company > 0)
        or (isinstance(company, str) and company)
    ):
        problems.append(
            f"{where}: company must be a Nmbrs company id (a positive number; on REST a UUID),"
            " a REST company number or an exact name (text)"
        )
    after = _text_list(value.get("after", []), f"{where}: after", problems)
    if name in after:
        problems.append(f"{where}: a step cannot come after itself")
    ignore_columns = _text_list(
        value.get("ignore_columns", []), f"{where}: ignore_columns", problems
    )
    sheet = value.get("sheet")
    if sheet is not None and not isinstance(sheet, str):
        problems.append(f"{where}: sheet must be text")
    if len(problems) > count:
        return None
    assert isinstance(file, str) and isinstance(template, str) and isinstance(account, str)
    assert isinstance(company, int | str)
    template_path = Path(template)
    if template_path.suffix == ".toml":  # a template file lives beside the job, like its inputs
        template = str((folder / template_path).resolve())
    return JobStep(
        name=name,
        file=(folder / file).resolve(),
        template=template,
        company=company,
        account=account,
        after=tuple(after),
        sheet=sheet,
        ignore_columns=tuple(ignore_columns),
    )


def _text_list(value: object, where: str, problems: list[str]) -> list[str]:
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return [str(item) for item in value]
    problems.append(f"{where} must be a list of names")
    return []


def _ordered(steps: list[JobStep], problems: list[str]) -> tuple[JobStep, ...]:
    """The steps so that each comes after those it names; unknown names and cycles reported."""
    by_name = {step.name: step for step in steps}
    for step in steps:
        for name in step.after:
            if name not in by_name:
                problems.append(f"[steps.{step.name}]: after names an unknown step {name!r}")
    ordered: list[JobStep] = []
    state: dict[str, str] = {}  # "visiting" while on the path, "done" once placed

    def visit(step: JobStep, path: list[str]) -> None:
        mark = state.get(step.name)
        if mark == "done":
            return
        if mark == "visiting":
            cycle = [*path[path.index(step.name) :], step.name]
            problems.append(f"the steps wait for each other in a cycle: {' -> '.join(cycle)}")
            return
        state[step.name] = "visiting"
        for name in step.after:
            if name in by_name:
                visit(by_name[name], [*path, step.name])
        state[step.name] = "done"
        ordered.append(step)

    for step in steps:
        visit(step, [])
    return tuple(ordered)


def _problem_text(path: Path, problems: list[str]) -> str:
    if len(problems) == 1:
        return f"job file {path}: {problems[0]}"
    return f"job file {path} has {len(problems)} problems:\n  " + "\n  ".join(problems)
