"""The gallery in a real browser: headless Chromium (Debian's, through chromedriver) opens a
member's gallery, finds the film and its reroll beside it, plays the video until its time
advances, seeks (the film is served with range requests), and screenshots the page at phone and
desktop widths into test-artefacts/web/ (git-ignored). No script runs in the page itself (the
CSP allows none): the test drives the <video> element from outside through WebDriver."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from storage.models import VersionStatus
from tests.fakes.mp4 import make_clip
from tests.web.browser import chromium
from tests.web.site import ALICE, gallery_site

ARTEFACTS = Path(__file__).resolve().parents[2] / "test-artefacts" / "web"
PHONE = (390, 844)
DESKTOP = (1280, 900)
H264 = 'video/mp4; codecs="avc1.42E01E"'


def wait_until(check: Any, what: str, timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def screenshot(driver: webdriver.Chrome, size: tuple[int, int], name: str) -> Path:
    """The whole page at `size`'s width (its height grown to fit the page)."""
    driver.set_window_size(*size)
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(size[0], max(size[1], min(int(height) + 140, 4000)))
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTEFACTS / f"{name}.png"
    assert driver.save_screenshot(str(path)), path
    return path


def drive(gallery_url: str, share_url: str) -> dict[str, Any]:
    """Everything the browser does (synchronous WebDriver calls, run off the test's loop
    where the gallery is served)."""
    seen: dict[str, Any] = {}
    with chromium() as driver:
        driver.set_window_size(*PHONE)
        driver.get(gallery_url)
        seen["titles"] = [h.text for h in driver.find_elements(By.CSS_SELECTOR, ".film h2")]
        seen["versions"] = [d.text for d in driver.find_elements(By.CSS_SELECTOR, ".facts dd")][::3]
        seen["h264"] = driver.execute_script(
            "return document.createElement('video').canPlayType(arguments[0])", H264
        )
        seen["labels"] = [
            v.get_attribute("aria-label") for v in driver.find_elements(By.TAG_NAME, "video")
        ]
        # keyboard: the first Tab lands on the skip link, which leads to the films
        driver.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)
        seen["first_focus"] = driver.switch_to.active_element.text
        seen["phone"] = screenshot(driver, PHONE, "gallery-phone")

        video = driver.find_element(By.CSS_SELECTOR, "video")
        seen["play"] = driver.execute_async_script(
            "const [v, done] = arguments; v.muted = true;"
            " v.play().then(() => done('playing'), e => done(String(e)));",
            video,
        )
        seen["advanced_to"] = wait_until(
            lambda: (
                (t := driver.execute_script("return arguments[0].currentTime", video)) > 0.5 and t
            ),
            "the film's time to advance",
        )
        seen["duration"] = driver.execute_script("return arguments[0].duration", video)
        seen["seekable"] = driver.execute_script(
            "const s = arguments[0].seekable; return s.length ? [s.start(0), s.end(0)] : []",
            video,
        )
        seen["seeked_to"] = driver.execute_async_script(
            "const [v, to, done] = arguments; v.pause();"
            " v.addEventListener('seeked', () => done(v.currentTime), {once: true});"
            " v.currentTime = to;",
            video,
            4.0,
        )
        seen["ready_after_seek"] = wait_until(
            lambda: driver.execute_script("return arguments[0].readyState", video) >= 2,
            "a frame at the new position",
        )
        seen["desktop"] = screenshot(driver, DESKTOP, "gallery-desktop")

        driver.get(share_url)
        seen["share_text"] = driver.find_element(By.TAG_NAME, "main").text
        seen["share"] = screenshot(driver, PHONE, "film-phone")
        seen["share_desktop"] = screenshot(driver, DESKTOP, "film-desktop")
        seen["console"] = [
            entry["message"]
            for entry in driver.get_log("browser")
            if entry["level"] in ("SEVERE", "WARNING")
        ]
    return seen


async def test_a_browser_lists_plays_and_seeks_the_film(tmp_path: Path) -> None:
    async with gallery_site(tmp_path) as site:
        # the film is eight seconds long, and has a reroll of its scene: v2 beside v1
        make_clip(site.film, seconds=8, width=640, height=360, pattern="testsrc2")
        version = await site.repo.begin_reroll(site.film_id, 0, note="bluer sea", seed=4)
        v2 = make_clip(
            site.film.with_name("film-v2.mp4"), seconds=8, width=640, height=360, color="teal"
        )
        await site.repo.set_version_film(version.id, str(v2))
        assert await site.repo.set_version_status(version.id, VersionStatus.DELIVERING)
        assert await site.repo.finish_reroll(version)
        gallery = site.links.gallery_url(ALICE)
        share = site.links.film_url(site.film_id, 1)

        seen = await asyncio.to_thread(drive, gallery, share)

    # Debian's chromium is built with the proprietary codecs: it plays h264 mp4 as sent
    assert seen["h264"] == "probably", seen["h264"]
    assert seen["titles"] == ["Lighthouse seal"]
    assert seen["versions"] == ["v2 (scene 1 again: “bluer sea”)", "v1"]
    assert seen["labels"] == ["Lighthouse seal, version 2", "Lighthouse seal, version 1"]
    assert seen["first_focus"] == "Skip to the films"
    assert seen["play"] == "playing"
    assert seen["advanced_to"] > 0.5
    assert abs(seen["duration"] - 8.0) < 0.3
    assert seen["seekable"][0] == 0 and abs(seen["seekable"][1] - seen["duration"]) < 0.3
    assert abs(seen["seeked_to"] - 4.0) < 0.2
    assert "Lighthouse seal" in seen["share_text"] and "Prompt" not in seen["share_text"]
    assert seen["console"] == []  # no CSP violation, no failed request, no media error
    for shot in ("phone", "desktop", "share", "share_desktop"):
        assert seen[shot].stat().st_size > 5_000, seen[shot]
