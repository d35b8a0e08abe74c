"""Headless Chromium for the web tests: Debian's `chromium` driven through its
`chromium-driver` by Selenium (a browser download at test time is not possible here). Missing
browser = a failing test naming the install script, never a skip."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
INSTALL = "tests/web/install-browser.sh"
# as root Chromium needs --no-sandbox; the rest keeps it from reaching out to the network
FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--no-first-run",
    "--mute-audio",
    "--autoplay-policy=no-user-gesture-required",
)


def find_browser() -> tuple[str, str]:
    """The browser and its driver; AssertionError (a failure, not a skip) when either is
    missing."""
    browser = shutil.which("chromium") or (CHROMIUM if Path(CHROMIUM).exists() else None)
    driver = shutil.which("chromedriver") or (CHROMEDRIVER if Path(CHROMEDRIVER).exists() else None)
    assert browser and driver, (
        f"Chromium and its driver are needed for the browser test: run `{INSTALL}` (as root: "
        "apt-get install chromium chromium-driver)"
    )
    return browser, driver


@contextmanager
def chromium() -> Iterator[webdriver.Chrome]:
    """A fresh headless Chromium with a throw-away profile, its console log kept."""
    browser, driver = find_browser()
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    profile = tempfile.mkdtemp(prefix="reelbot-chromium-")
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    session = webdriver.Chrome(service=Service(driver), options=options)
    try:
        yield session
    finally:
        session.quit()
        shutil.rmtree(profile, ignore_errors=True)
