"""Make docs/report.png: the HTML report of the README's main command, as chromium shows it.

Run from the repository root (needs the `test` extra and Debian's chromium and chromium-driver):

    python scripts/report_screenshot.py [docs/report.png]

It runs what `bulkimport run samples/new_hires.csv --template new_hire --company 54613` runs
(the built-in emulator, its demo account), on a copy of the sample in a temporary folder, and
takes the screenshot with the browser test's own code (tests/browser.py).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

import anyio

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the tests package

from bulkimport.job import ImportJob, run_job
from bulkimport.logs import configure_logging
from tests.browser import chromium_paths, headless_chromium, save_full_page

SAMPLE = Path("samples/new_hires.csv")


def main(output: Path) -> None:
    paths = chromium_paths()
    if paths is None:
        sys.exit("chromium and chromedriver are needed: apt-get install chromium chromium-driver")
    configure_logging(level="warning")
    with tempfile.TemporaryDirectory() as folder:
        sample = Path(shutil.copy(SAMPLE, Path(folder) / SAMPLE.name))
        job = ImportJob(input_path=sample, template="new_hire", company_id=54613)
        outcome = anyio.run(run_job, job)
        page = next(path for path in outcome.report_paths if path.suffix == ".html")
        with headless_chromium(*paths) as chrome:
            chrome.get(page.as_uri())
            save_full_page(chrome, output)
    print(f"wrote {output}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs/report.png"))
