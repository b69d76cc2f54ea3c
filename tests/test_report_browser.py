"""The HTML report in a real headless browser (Debian's chromium through selenium).

The page of a real run against the emulator loads with no console message, shows its counts,
chart and table, and its filter hides and shows rows. A screenshot is kept under
`tests/artifacts/` (gitignored). Without chromium the tests skip, except in CI (`CI` set),
where `.ci/run` installs it and a missing browser is a failure.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Final

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from bulkimport.emulator import RunningEmulator
from bulkimport.htmlreport import ListedRow, RunPage, build_html_report
from bulkimport.model import RowStatus
from bulkimport.report import RunSummary
from tests.browser import chromium_paths, headless_chromium, save_full_page
from tests.sample_runs import run_sample_with_faults

ARTIFACTS: Final = Path(__file__).resolve().parent / "artifacts"


@pytest.fixture(scope="module")
def chrome() -> Iterator[webdriver.Chrome]:
    paths = chromium_paths()
    if paths is None:
        if os.environ.get("CI"):
            pytest.fail("CI must run the browser tests, but chromium or chromedriver is missing")
        pytest.skip(
            "chromium and chromedriver are not installed (apt-get install chromium chromium-driver)"
        )
    with headless_chromium(*paths) as browser:
        yield browser


def _open(chrome: webdriver.Chrome, path: Path) -> None:
    _console(chrome)  # reading the log empties it: nothing from an earlier page counts
    chrome.get(path.as_uri())


def _console(chrome: webdriver.Chrome) -> list[dict[str, object]]:
    """The page's console messages since the last call (errors, CSP violations, failed loads)."""
    entries = chrome.get_log("browser")  # type: ignore[no-untyped-call]  # untyped in selenium
    return list(entries)


def _visible_rows(chrome: webdriver.Chrome) -> list[str]:
    rows = chrome.find_elements(By.CSS_SELECTOR, "#rows tbody tr")
    return [row.find_element(By.CSS_SELECTOR, "td").text for row in rows if row.is_displayed()]


def _count(chrome: webdriver.Chrome, status: str) -> str:
    selector = f'#status-counts li[data-status="{status}"] .n'
    return str(chrome.find_element(By.CSS_SELECTOR, selector).text)


async def test_the_report_of_a_real_run_loads_cleanly_and_filters(
    emulator: RunningEmulator, tmp_path: Path, chrome: webdriver.Chrome
) -> None:
    outcome = await run_sample_with_faults(emulator, tmp_path)
    html_path = next(path for path in outcome.report_paths if path.suffix == ".html")

    _open(chrome, html_path)
    assert _console(chrome) == []  # no error, no CSP violation, no failed load

    counts = {status.value: _count(chrome, status.value) for status in RowStatus}
    assert counts == {
        "ok": "20",
        "invalid": "3",
        "fault": "1",
        "failed": "1",
        "skipped": "0",
        "needs_review": "0",
    }
    chart = chrome.find_element(By.ID, "throughput-chart")
    assert chart.is_displayed()
    assert chart.find_elements(By.CSS_SELECTOR, "rect.bar")
    # A horizontal line has no height, which selenium takes for hidden: ask the renderer.
    assert chrome.execute_script("return document.getElementById('cap-line').getBBox().width") > 0
    assert chart.find_element(By.CSS_SELECTOR, "text.cap-label").text == "cap 150 calls/s"
    faults = chrome.find_element(By.ID, "faults").text
    assert "2014" in faults and "Invalid IBAN" in faults

    shot = save_full_page(chrome, ARTIFACTS / "report.png")
    print(f"screenshot of the report: {shot}")

    all_rows = _visible_rows(chrome)
    assert len(all_rows) == 5
    text_filter = chrome.find_element(By.ID, "row-filter")
    text_filter.send_keys("2014")
    assert len(_visible_rows(chrome)) == 1
    assert chrome.find_element(By.ID, "rows-shown").text == "1"
    text_filter.clear()
    text_filter.send_keys("no row says this")
    assert _visible_rows(chrome) == []
    text_filter.clear()
    text_filter.send_keys(" ")  # any input event re-applies the filter; blank shows all
    assert _visible_rows(chrome) == all_rows

    Select(chrome.find_element(By.ID, "status-filter")).select_by_value("invalid")
    assert len(_visible_rows(chrome)) == 3
    assert chrome.find_element(By.ID, "rows-shown").text == "3"
    assert _console(chrome) == []


def test_a_hostile_cell_shows_as_text_and_runs_nothing(
    tmp_path: Path, chrome: webdriver.Chrome
) -> None:
    hostile = '<script>window.pwned = 1</script><img src=x onerror="window.pwned = 2">'
    formula = '=HYPERLINK("http://example.invalid","click")'
    page = RunPage(
        input_name="hostile.csv",
        template="new_hire",
        target="test",
        company_id=1,
        finished_at="2026-12-01 08:00 UTC",
        summary=RunSummary(counts={RowStatus.INVALID: 2}),
        cap=150,
        rows=(
            ListedRow(2, RowStatus.INVALID, hostile, "", None, hostile),
            ListedRow(3, RowStatus.INVALID, "", "", None, formula),
        ),
    )
    path = tmp_path / "hostile.report.html"
    path.write_text(build_html_report(page), encoding="utf-8")

    _open(chrome, path)
    assert chrome.execute_script("return window.pwned === undefined") is True
    cells = chrome.find_elements(By.CSS_SELECTOR, "#rows td.msg")
    assert [cell.text for cell in cells] == [hostile, formula]
    assert chrome.find_elements(By.CSS_SELECTOR, "#rows img") == []
    assert _console(chrome) == []


def test_the_console_check_sees_a_script_the_policy_blocks(
    tmp_path: Path, chrome: webdriver.Chrome
) -> None:
    """The page's policy allows its own script only (by hash): one changed byte is refused,
    and the refusal reaches the console log the other tests read."""
    page = RunPage(
        input_name="x.csv",
        template="new_hire",
        target="test",
        company_id=1,
        finished_at="2026-12-01 08:00 UTC",
        summary=RunSummary(counts={RowStatus.INVALID: 1}),
        cap=150,
        rows=(ListedRow(2, RowStatus.INVALID, "", "", None, "bad"),),
    )
    html = build_html_report(page)
    assert html.count("apply();") == 1
    path = tmp_path / "tampered.report.html"
    path.write_text(html.replace("apply();", "apply(); "), encoding="utf-8")

    _open(chrome, path)
    messages = [str(entry["message"]) for entry in _console(chrome)]
    assert any("Content Security Policy" in message for message in messages), messages
    assert chrome.find_element(By.ID, "rows-shown").text == "1"  # the script never ran
