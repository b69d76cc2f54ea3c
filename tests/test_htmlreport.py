"""The HTML report: the pure page builder on literal data, the row collector's masking, the
per-second timeline, and the page a real run against the emulator writes."""

from __future__ import annotations

import base64
import csv
import hashlib
import re
from dataclasses import replace
from pathlib import Path
from typing import Any, cast

import lxml.html
import pytest
from lxml.html import HtmlElement

from bulkimport.emulator import (
    DEMO_CREDENTIALS,
    EmulatorConfig,
    RunningEmulator,
    running_emulator,
)
from bulkimport.errors import AuthenticationError
from bulkimport.htmlreport import (
    CHART_MAX_BARS,
    FaultCount,
    ListedRow,
    RowsNotOkCollector,
    RunPage,
    build_html_report,
    key_column,
    latency_percentiles,
    sensitive_columns,
)
from bulkimport.job import ImportJob, run_job
from bulkimport.mapping.mapper import ColumnBinding, bind_columns
from bulkimport.mapping.template import load_builtin_template
from bulkimport.model import RowResult, RowStatus, SourceFormat, SourceInfo, SourceRow
from bulkimport.nmbrs.soap.faults import FAULT_MEANINGS
from bulkimport.nmbrs.soap.schema import lookup_operation
from bulkimport.report import RunSummary
from bulkimport.timeline import CallTimeline
from tests.conftest import EMULATOR_PERIOD
from tests.sample_runs import SAMPLES, run_sample_with_faults

BASE_PAGE = RunPage(
    input_name="new_hires.csv",
    template="new_hire",
    target="the built-in Nmbrs emulator",
    company_id=54613,
    finished_at="2026-12-01 08:00 UTC",
    summary=RunSummary(
        counts={RowStatus.OK: 7, RowStatus.INVALID: 2, RowStatus.FAULT: 1},
        calls=300,
        duration_s=2.5,
        throttled_calls=3,
        retries=4,
    ),
    cap=150.0,
    calls_per_second=(150, 120, 30),
    penalised_per_second=(0, 3, 0),
    latency_s=(("p50", 0.012), ("p90", 0.02), ("p99", 0.5), ("max", 0.61)),
    faults=(FaultCount(2014, "Invalid IBAN", 1, ("BankAccount_InsertCurrent",)),),
    rows=(
        ListedRow(3, RowStatus.FAULT, "2002", "BankAccount_InsertCurrent", 2014, "Invalid"),
        ListedRow(8, RowStatus.INVALID, "2007", "", None, "BSN: not a valid BSN"),
        ListedRow(9, RowStatus.INVALID, "2008", "", None, "Postcode: not a postcode"),
    ),
)


def _page(**changes: Any) -> RunPage:
    return replace(BASE_PAGE, **changes)


def _parse(page: RunPage) -> HtmlElement:
    return lxml.html.document_fromstring(build_html_report(page))


def _all(node: HtmlElement, xpath: str) -> list[HtmlElement]:
    return cast(list[HtmlElement], node.xpath(xpath))


def _str(node: HtmlElement, xpath: str) -> str:
    return str(node.xpath(f"string({xpath})"))


def _texts(root: HtmlElement, xpath: str) -> list[str]:
    return [element.text_content().strip() for element in _all(root, xpath)]


def _csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


# --- the page, from literal data ---------------------------------------------------------------


def test_the_page_shows_every_status_count_the_figures_and_the_percentiles() -> None:
    root = _parse(_page())
    counts = {
        item.get("data-status"): _str(item, './/span[@class="n"]')
        for item in _all(root, '//section[@id="status-counts"]//li')
    }
    assert counts == {
        "ok": "7",
        "invalid": "2",
        "fault": "1",
        "failed": "0",
        "skipped": "0",
        "needs_review": "0",
    }
    figures = dict(
        zip(
            _texts(root, '//dl[@id="latency"]//dt'),
            _texts(root, '//dl[@id="latency"]//dd'),
            strict=True,
        )
    )
    assert figures == {
        "calls": "300",
        "duration": "2.5 s",
        "calls/s": "120.0",
        "cap": "150 calls/s",
        "retries": "4",
        "penalised calls": "3",
        "p50": "12 ms",
        "p90": "20 ms",
        "p99": "500 ms",
        "max": "610 ms",
    }


def test_the_chart_has_a_bar_per_second_penalties_in_red_and_the_cap_line() -> None:
    root = _parse(_page())
    chart = _all(root, '//svg[@id="throughput-chart"]')[0]
    bars = _all(chart, './/rect[@class="bar"]')
    assert len(bars) == 3
    heights = [float(bar.get("height")) for bar in bars]
    assert heights[0] > heights[1] > heights[2] > 0  # 150, 120, 30 calls
    penalties = _all(chart, './/rect[@class="pen"]')
    assert len(penalties) == 1 and penalties[0].get("x") == bars[1].get("x")
    cap = _all(chart, './/line[@id="cap-line"]')[0]
    # The cap line sits exactly where a bar of 150 calls reaches.
    assert float(cap.get("y1")) == pytest.approx(float(bars[0].get("y")), abs=0.01)
    assert _texts(chart, './/text[@class="cap-label"]') == ["cap 150 calls/s"]


def test_a_long_run_is_drawn_in_buckets_of_several_seconds() -> None:
    seconds = 3 * CHART_MAX_BARS + 5
    root = _parse(_page(calls_per_second=(150,) * seconds, penalised_per_second=(0,) * seconds))
    bars = _all(root, '//svg[@id="throughput-chart"]//rect[@class="bar"]')
    assert len(bars) == 452 <= CHART_MAX_BARS  # 1805 s in buckets of 4 s, the last of 1 s
    assert "bars of 4 s" in _str(root, '//svg[@id="throughput-chart"]/desc')
    # A bucket shows calls per second, not its sum: full buckets reach the cap line exactly.
    cap_y = float(_all(root, '//line[@id="cap-line"]')[0].get("y1"))
    assert float(bars[0].get("y")) == pytest.approx(cap_y, abs=0.01)


def test_a_run_without_calls_says_so_instead_of_a_chart() -> None:
    root = _parse(_page(calls_per_second=(), penalised_per_second=(), latency_s=()))
    assert _all(root, "//svg") == []
    assert "No calls were sent" in _str(root, '//*[@id="throughput-chart"]')
    assert "no reply times" in _str(root, '//section[@id="calls"]')


def test_faults_are_listed_with_their_meaning() -> None:
    root = _parse(_page())
    assert _texts(root, '//section[@id="faults"]//tbody/tr/td') == [
        "2014",
        "Invalid IBAN",
        "1",
        "BankAccount_InsertCurrent",
    ]
    root = _parse(_page(faults=()))
    assert "No row ended on a fault" in _str(root, '//section[@id="faults"]')


def test_the_table_lists_the_rows_and_offers_only_the_statuses_it_has() -> None:
    root = _parse(_page(rows_not_listed=40))
    rows = _all(root, '//table[@id="rows"]/tbody/tr')
    assert [row.get("data-status") for row in rows] == ["fault", "invalid", "invalid"]
    assert [c.text_content() for c in _all(rows[0], "td")] == [
        "3",
        "fault",
        "2002",
        "BankAccount_InsertCurrent",
        "2014",
        "Invalid",
    ]
    options = [option.get("value") for option in _all(root, '//select[@id="status-filter"]/option')]
    assert options == ["", "invalid", "fault"]  # in status order, "" shows all
    assert _str(root, '//span[@id="rows-shown"]') == "3"
    assert "40 more rows did not succeed" in _str(root, '//section[@id="rows-section"]')
    every_row_ok = _parse(_page(rows=()))
    assert _all(every_row_ok, '//table[@id="rows"]') == []
    assert "Every row succeeded" in _str(every_row_ok, '//*[@id="rows"]')


@pytest.mark.parametrize(
    "hostile",
    [
        "<script>alert(1)</script>",
        '"><img src=x onerror=alert(1)>',
        '=HYPERLINK("http://example.invalid","click")',
        "</textarea></style></script><b>bold</b>",
        "Tom & Jerry's 'quote' \"double\"",
    ],
)
def test_every_value_is_escaped_and_shows_as_typed(hostile: str) -> None:
    page = _page(
        input_name=hostile,
        template=hostile,
        target=hostile,
        rows=(ListedRow(2, RowStatus.FAILED, hostile, hostile, None, hostile),),
        faults=(FaultCount(9999, hostile, 1, (hostile,)),),
    )
    html = build_html_report(page)
    root = lxml.html.document_fromstring(html)
    assert len(_all(root, "//script")) == 1  # only the page's own
    assert _all(root, "//img | //textarea | //td//b | //h1//b") == []
    assert [c.text_content() for c in _all(root, '//table[@id="rows"]/tbody/tr/td')][2:] == [
        hostile,
        hostile,
        "",
        hostile,
    ]
    assert _str(root, "//title") == f"bulkimport report: {hostile}"


def test_the_page_loads_nothing_and_allows_only_its_own_script_and_style() -> None:
    html = build_html_report(_page())
    root = lxml.html.document_fromstring(html)
    policy = _str(root, '//meta[@http-equiv="Content-Security-Policy"]/@content')
    script = _all(root, "//script")[0].text
    style = _all(root, "//style")[0].text
    assert policy == (
        f"default-src 'none'; img-src data:; style-src {_csp_hash(style)}; "
        f"script-src {_csp_hash(script)}"
    )
    for element in _all(root, "//*[@src or @href]"):
        assert (element.get("src") or element.get("href")).startswith("data:")
    assert not re.search(r"""(?:src|href|url)\s*[=(]\s*["']?https?:""", html)


# --- the parts the page is made of --------------------------------------------------------------


def test_the_timeline_counts_calls_and_penalties_per_second_from_the_first_call() -> None:
    timeline = CallTimeline()
    for started in (100.0, 100.2, 100.99, 101.0, 103.5):
        timeline.count_call(started)
    timeline.count_penalised(101.4)
    assert timeline.calls_per_second == (3, 1, 0, 1)
    assert timeline.penalised_per_second == (0, 1, 0, 0)
    assert CallTimeline().calls_per_second == ()


def test_latency_percentiles_are_nearest_rank() -> None:
    latencies = [n / 1000 for n in range(100, 0, -1)]  # 1..100 ms, in no useful order
    assert latency_percentiles(latencies) == (
        ("p50", 0.05),
        ("p90", 0.09),
        ("p99", 0.099),
        ("max", 0.1),
    )
    assert latency_percentiles([0.2]) == (("p50", 0.2), ("p90", 0.2), ("p99", 0.2), ("max", 0.2))
    assert latency_percentiles([]) == ()


HEADERS = (
    "Personeelsnummer",
    "Voornaam",
    "Achternaam",
    "BSN",
    "Geboortedatum",
    "IBAN",
    "Postcode",
    "Datum in dienst",
)


def _binding_of(headers: tuple[str, ...]) -> ColumnBinding:
    template = load_builtin_template("new_hire", lookup_operation)
    return bind_columns(template, SourceInfo("hires.csv", SourceFormat.CSV, headers))


def test_the_personal_data_columns_and_the_key_are_found_by_type_and_name() -> None:
    binding = _binding_of(HEADERS)
    assert sensitive_columns(binding) == {3, 4, 5}  # BSN, Geboortedatum, IBAN
    assert key_column(binding) == 0


def test_the_collector_masks_what_an_invalid_row_quotes_and_counts_faults() -> None:
    collector = RowsNotOkCollector(sensitive=frozenset({2, 3, 4}), key_index=0, limit=2)
    cells = ("2007", "Emma", "123456789", "31-06-1993", "NL60 KNAB 6521 6077 70", "38")
    invalid = RowResult(
        8,
        RowStatus.INVALID,
        message="BSN: not a valid BSN ('123456789'); Geboortedatum: no such date "
        "('31-06-1993'); IBAN: bad check digits ('NL60 KNAB 6521 6077 70'); "
        "Postcode: not a postcode ('38')",
    )
    collector.write(SourceRow(8, cells), invalid)
    collector.write(SourceRow(9, cells), RowResult(9, RowStatus.OK))
    fault = RowResult(
        10, RowStatus.FAULT, failed_operation="BankAccount_InsertCurrent", fault_code=2014
    )
    collector.write(SourceRow(10, cells), fault)
    collector.write(SourceRow(11, cells), fault)  # over the limit: counted, not listed

    listed = collector.rows
    assert [row.row_number for row in listed] == [8, 10]
    message = listed[0].message
    for personal in ("123456789", "31-06-1993", "NL60", "6521"):
        assert personal not in message
    assert "('38')" in message  # not personal data: left for the person who corrects it
    assert listed[0].employee == "2007"
    assert collector.rows_not_listed == 1
    assert collector.counts == {RowStatus.INVALID: 1, RowStatus.OK: 1, RowStatus.FAULT: 2}
    assert collector.faults(FAULT_MEANINGS) == (
        FaultCount(2014, "Invalid IBAN", 2, ("BankAccount_InsertCurrent",)),
    )
    unknown = RowsNotOkCollector()
    unknown.write(SourceRow(2, ()), RowResult(2, RowStatus.FAULT, fault_code=4321))
    assert "not in the known list" in unknown.faults(FAULT_MEANINGS)[0].meaning


# --- the page a real run writes -----------------------------------------------------------------


def _sensitive_values(path: Path) -> set[str]:
    """Every BSN, IBAN (as written and compact) and birth date of the sample file."""
    values: set[str] = set()
    with path.open(encoding="utf-8-sig", newline="") as stream:
        for row in csv.DictReader(stream, delimiter=";"):
            for column in ("BSN", "IBAN", "Geboortedatum"):
                if row[column]:
                    values.add(row[column])
                    values.add(re.sub(r"\s", "", row[column]))
    return values


async def test_a_run_writes_the_page_beside_its_report_without_personal_data(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    outcome = await run_sample_with_faults(emulator, tmp_path)
    html_path = tmp_path / "new_hires.csv.report.html"
    assert html_path in outcome.report_paths
    assert not (tmp_path / "new_hires.csv.report.html.partial").exists()
    html = html_path.read_text(encoding="utf-8")
    root = lxml.html.document_fromstring(html)

    statuses = [row.get("data-status") for row in _all(root, '//table[@id="rows"]/tbody/tr')]
    assert sorted(statuses) == ["failed", "fault", "invalid", "invalid", "invalid"]
    assert _texts(root, '//section[@id="faults"]//tbody/tr/td')[:3] == ["2014", "Invalid IBAN", "1"]
    bars = _all(root, '//svg[@id="throughput-chart"]//rect[@class="bar"]/title')
    per_second = [int(bar.text_content().split(": ")[1].split()[0]) for bar in bars]
    assert sum(per_second) == outcome.summary.calls  # every call sent is in the chart
    sensitive = _sensitive_values(SAMPLES / "new_hires.csv")
    assert len(sensitive) > 50
    assert sorted(value for value in sensitive if value in html) == []


async def test_a_run_stopped_by_a_fatal_error_still_writes_its_page(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    path = tmp_path / "new_hires.csv"
    path.write_bytes((SAMPLES / "new_hires.csv").read_bytes())
    emulator.script("nmbrs_fault", operation="Employee_Insert", fault_code=1001)
    with pytest.raises(AuthenticationError):
        await run_job(
            ImportJob(
                input_path=path,
                template="new_hire",
                company_id=54613,
                endpoint=emulator.base_url,
                credentials=DEMO_CREDENTIALS,
            )
        )
    root = lxml.html.document_fromstring(
        (tmp_path / "new_hires.csv.report.html").read_text(encoding="utf-8")
    )
    counts = {
        item.get("data-status"): int(_str(item, './/span[@class="n"]'))
        for item in _all(root, '//section[@id="status-counts"]//li')
    }
    assert sum(counts.values()) == 25  # every row has its final status on the page too
    assert counts["skipped"] > 0
    figures = dict(
        zip(
            _texts(root, '//dl[@id="latency"]//dt'),
            _texts(root, '//dl[@id="latency"]//dd'),
            strict=True,
        )
    )
    assert int(figures["calls"]) > 0  # the pre-flight's reads and the refused insert


async def test_a_dry_run_page_says_so_and_draws_no_chart(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    path = tmp_path / "new_hires.csv"
    path.write_bytes((SAMPLES / "new_hires.csv").read_bytes())
    await run_job(
        ImportJob(
            input_path=path,
            template="new_hire",
            company_id=54613,
            endpoint=emulator.base_url,
            credentials=DEMO_CREDENTIALS,
            dry_run=True,
        )
    )
    root = lxml.html.document_fromstring(
        (tmp_path / "new_hires.csv.report.html").read_text(encoding="utf-8")
    )
    assert "(dry run: nothing sent)" in _str(root, "//h1")
    assert _all(root, "//svg") == []
    statuses = [row.get("data-status") for row in _all(root, '//table[@id="rows"]/tbody/tr')]
    assert statuses.count("skipped") == 22 and statuses.count("invalid") == 3


async def test_penalised_calls_are_counted_in_the_seconds_they_started(tmp_path: Path) -> None:
    """An emulator that allows 40 calls a second delays the rest by half a second: the page's
    red bars add up to the penalised calls the run counted."""
    path = tmp_path / "new_hires.csv"
    path.write_bytes((SAMPLES / "new_hires.csv").read_bytes())
    config = EmulatorConfig(current_period=EMULATOR_PERIOD, seed=1, calls_per_second=40)
    async with running_emulator(config) as slow:
        outcome = await run_job(
            ImportJob(
                input_path=path,
                template="new_hire",
                company_id=54613,
                endpoint=slow.base_url,
                credentials=DEMO_CREDENTIALS,
            )
        )
    assert outcome.summary.throttled_calls > 0
    root = lxml.html.document_fromstring(
        (tmp_path / "new_hires.csv.report.html").read_text(encoding="utf-8")
    )
    red = _all(root, '//svg[@id="throughput-chart"]//rect[@class="pen"]/title')
    assert sum(int(title.text_content().split(": ")[1].split()[0]) for title in red) == (
        outcome.summary.throttled_calls
    )
