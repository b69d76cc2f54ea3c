"""Plan, apply, plan again over REST, against the emulator's REST door on loopback.

The before values come from the company-wide histories (salaries, personal info, addresses,
bank accounts): one list read per kind, whatever the number of rows.
"""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

import lxml.html
from lxml.html import HtmlElement

from bulkimport.emulator import RunningEmulator
from bulkimport.emulator.app import CORE
from bulkimport.emulator.rest import uuid_of
from bulkimport.job import ImportJob, run_job
from bulkimport.model import RowStatus
from bulkimport.plan import NOT_READ, PlanAction, PlannedRow, RiskPolicy
from bulkimport.planfile import read_plan
from bulkimport.planning import PlanOutcome, make_plan
from bulkimport.validate import validate_file
from tests.test_rest_run import CLIENT, DEMO_COMPANY, SAMPLES, rest_emulator, token_dir

__all__ = ["rest_emulator", "token_dir"]  # the fixtures this module uses

NEXT_PERIOD = (2026, 12)  # the salary rows start on 01-12-2026
CURRENT_PERIOD = (2026, 11)


def _write(path: Path, headers: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream, delimiter=";")
        writer.writerow(headers)
        writer.writerows(rows)
    return path


def _job(emulator: RunningEmulator, path: Path, template: str, **changes: Any) -> ImportJob:
    return ImportJob(
        input_path=path,
        template=template,
        company_id="DEMO B.V.",
        api="rest",
        rest_client=CLIENT,
        endpoint=emulator.origin,
        timeout=5.0,
        seed=7,
        xlsx_report=False,
        **changes,
    )


async def _plan(emulator: RunningEmulator, path: Path, template: str) -> PlanOutcome:
    return await make_plan(_job(emulator, path, template), policy=RiskPolicy())


def _employee(emulator: RunningEmulator, number: int) -> Any:
    (found,) = [
        e
        for e in emulator.state.employees.values()
        if e.company_id == DEMO_COMPANY and e.number == number
    ]
    return found


def _by_row(plan: PlanOutcome) -> dict[int, PlannedRow]:
    return {row.row_number: row for row in plan.rows}


def _reads(emulator: RunningEmulator, operation: str) -> int:
    return int(emulator.stats.calls_by_operation.get(operation, 0))


async def test_salary_plan_run_plan_again_over_rest(
    rest_emulator: RunningEmulator, tmp_path: Path
) -> None:
    emulator = rest_emulator
    before = _employee(emulator, 1001).salaries.valid_in(NEXT_PERIOD)["Value"]
    path = _write(
        tmp_path / "salary.csv",
        ["Personeelsnummer", "Salaris", "Soort salaris", "Ingangsdatum"],
        [
            ["1001", "4.100,00", "Maandsalaris", "01-12-2026"],
            ["1002", "5.000,00", "Maandsalaris", "01-12-2026"],
        ],
    )

    first = await _plan(emulator, path, "salary")

    assert [row.action for row in first.rows] == [PlanAction.CHANGE] * 2
    (change,) = first.rows[0].changes
    assert (change.field, change.before, change.after) == (
        "body.value",
        format(Decimal(before).normalize(), "f"),
        "4100",
    )
    header, _ = read_plan(first.paths[0])
    assert header.options["api"] == "rest" and isinstance(header.company_id, str)
    assert _employee(emulator, 1001).salaries.valid_in(NEXT_PERIOD)["Value"] == before

    applied = await run_job(_job(emulator, path, "salary", plan_path=first.paths[0]))

    assert applied.summary.counts[RowStatus.OK] == 2
    assert _employee(emulator, 1001).salaries.valid_in(NEXT_PERIOD)["Value"] == Decimal(4100)
    again = await _plan(emulator, path, "salary")
    assert [row.action for row in again.rows] == [PlanAction.NO_CHANGE] * 2


async def test_personal_info_plan_run_plan_again_over_rest(
    rest_emulator: RunningEmulator, tmp_path: Path
) -> None:
    emulator = rest_emulator
    path = _write(
        tmp_path / "personal.csv",
        ["Personeelsnummer", "E-mail privé", "Mobiel", "Burgerlijke staat"],
        [
            ["1001", "j.dejong@example.nl", "06-41234567", ""],
            ["1002", "", "", "Gehuwd"],
            ["9999", "x@example.nl", "", ""],
        ],
    )
    reads = _reads(emulator, "getEmployeePersonalInfoByCompany")

    first = _by_row(await _plan(emulator, path, "personal_info"))

    assert _reads(emulator, "getEmployeePersonalInfoByCompany") == reads + 1  # for every row
    assert first[2].action is first[3].action is PlanAction.CHANGE
    changed = {change.field: change for change in first[2].changes}
    assert set(changed) == {"body.contactInfo.privateEmail", "body.contactInfo.privateMobilePhone"}
    assert changed["body.contactInfo.privateEmail"].after == "j.dejong@example.nl"
    assert NOT_READ not in {change.before for change in first[2].changes}
    assert first[4].action is PlanAction.REFUSED and "9999 does not exist" in first[4].reason

    made = await make_plan(_job(emulator, path, "personal_info"), policy=RiskPolicy())
    await run_job(_job(emulator, path, "personal_info", plan_path=made.paths[0]))
    person = _employee(emulator, 1001).personal_info.valid_in(CURRENT_PERIOD)
    assert person["EmailPrivate"] == "j.dejong@example.nl"

    again = _by_row(await _plan(emulator, path, "personal_info"))
    assert again[2].action is again[3].action is PlanAction.NO_CHANGE


async def test_address_and_bank_account_plans_over_rest_settle_to_no_change(
    rest_emulator: RunningEmulator, tmp_path: Path
) -> None:
    emulator = rest_emulator
    for template, sample in (("address", "address.csv"), ("bank_account", "bank_account.csv")):
        path = tmp_path / sample
        path.write_bytes((SAMPLES / sample).read_bytes())
        first = await _plan(emulator, path, template)
        assert PlanAction.NO_CHANGE not in {row.action for row in first.rows}, template
        await run_job(_job(emulator, path, template, plan_path=first.paths[0]))

        again = await _plan(emulator, path, template)

        assert {row.action for row in again.rows} == {PlanAction.NO_CHANGE}, template


async def test_a_rest_run_s_page_charts_every_call_and_its_429s_and_its_receipt_says_rest(
    rest_emulator: RunningEmulator, tmp_path: Path
) -> None:
    rest_emulator.app[CORE].rest.throttle.calls_per_second = 20  # a low hidden limit
    path = tmp_path / "new_hires.csv"
    path.write_bytes((SAMPLES / "new_hires.csv").read_bytes())

    outcome = await run_job(_job(rest_emulator, path, "new_hire", rate=60.0))

    assert outcome.summary.refused_calls > 0
    root = lxml.html.document_fromstring(
        (tmp_path / "new_hires.csv.report.html").read_text(encoding="utf-8")
    )

    def per_second(kind: str) -> int:
        xpath = f'//svg[@id="throughput-chart"]//rect[@class="{kind}"]/title'
        titles = cast(list[HtmlElement], root.xpath(xpath))
        return sum(int(title.text_content().split(": ")[1].split()[0]) for title in titles)

    assert per_second("bar") == outcome.summary.calls  # every call sent is in the chart
    assert per_second("pen") == outcome.summary.refused_calls  # each 429 42908 in red
    assert outcome.receipt_path is not None
    receipt = json.loads(outcome.receipt_path.read_text(encoding="utf-8"))
    assert receipt["api"] == "rest" and receipt["company_id"] == str(
        uuid_of("company", DEMO_COMPANY)
    )
    assert receipt["penalised_calls"] == outcome.summary.refused_calls


async def test_validate_over_rest_holds_the_rows_against_the_company_and_sends_nothing(
    rest_emulator: RunningEmulator, tmp_path: Path
) -> None:
    path = _write(
        tmp_path / "salary.csv",
        ["Personeelsnummer", "Salaris", "Soort salaris", "Ingangsdatum"],
        [
            ["1001", "4.100,00", "Maandsalaris", "01-12-2026"],
            ["9999", "5.000,00", "Maandsalaris", "01-12-2026"],
        ],
    )
    writes = _reads(rest_emulator, "createEmployeeSalary")

    outcome = await validate_file(_job(rest_emulator, path, "salary"), with_target=True)

    assert outcome.against == f"company {uuid_of('company', DEMO_COMPANY)} DEMO B.V."
    assert (outcome.rows, outcome.rows_with_problems) == (2, 1)
    assert "9999 does not exist" in outcome.first[0].expected
    assert _reads(rest_emulator, "createEmployeeSalary") == writes
