"""Headless Debian chromium driven by selenium through the system chromedriver.

Shared by the HTML report's browser test and `scripts/report_screenshot.py` (which makes the
README's screenshot the same way). Nothing is downloaded: the browser and its driver are the
ones `.ci/run` installs with apt (`chromium`, `chromium-driver`).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Final

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

WINDOW_WIDTH: Final = 1100


def chromium_paths() -> tuple[str, str] | None:
    """The browser and its driver, or None when either is not installed."""
    browser = shutil.which("chromium")
    driver = shutil.which("chromedriver")
    return (browser, driver) if browser and driver else None


@contextmanager
def headless_chromium(browser: str, driver: str) -> Iterator[webdriver.Chrome]:
    """A headless chromium that keeps the page's console messages (`get_log("browser")`)."""
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for argument in (
        "--headless=new",
        "--no-sandbox",  # CI runs as root, where chromium's sandbox cannot start
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
        f"--window-size={WINDOW_WIDTH},900",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    chrome = webdriver.Chrome(service=Service(executable_path=driver), options=options)
    try:
        yield chrome
    finally:
        chrome.quit()


def save_full_page(chrome: webdriver.Chrome, path: Path) -> Path:
    """A PNG of the whole page, not only the window: the window grows to the page's height."""
    height = int(chrome.execute_script("return document.documentElement.scrollHeight"))
    chrome.set_window_size(WINDOW_WIDTH, height + 200)  # the window's own frame takes some
    path.parent.mkdir(parents=True, exist_ok=True)
    if not chrome.save_screenshot(str(path)):
        raise RuntimeError(f"chromium could not save a screenshot to {path}")
    return path
