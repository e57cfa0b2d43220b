"""A headless Chromium driven by Selenium for the dashboard's browser tests, and ways to judge a page.

Debian's chromium and chromium-driver come from scripts/ensure_chromium.sh (run by `make test`).
The driver is the chromedriver on PATH, so Selenium Manager never looks for one on the network.
Without them, or without selenium, `require_browser` skips the test (and fails it in CI).
"""
from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

INSTALL = "run `sh scripts/ensure_chromium.sh` (or `make test`) to install it"

# Counts the coloured pixels of every canvas in (or being) the element arguments[0] names: alpha > 0
# and not grey-ish (max - min channel > 40). A WebGL canvas has no 2d context, so it is copied onto
# a 2d one first (it reads blank unless drawn with preserveDrawingBuffer or in this same frame).
COUNT_COLOURED = """
const root = document.querySelector(arguments[0]);
if (!root) { return 0; }
const canvases = root.tagName === 'CANVAS' ? [root] : Array.from(root.querySelectorAll('canvas'));
let coloured = 0;
for (const canvas of canvases) {
  const w = canvas.width, h = canvas.height;
  if (!w || !h) { continue; }
  let ctx = canvas.getContext('2d');
  if (!ctx) {
    const copy = document.createElement('canvas');
    copy.width = w;
    copy.height = h;
    ctx = copy.getContext('2d');
    ctx.drawImage(canvas, 0, 0);
  }
  const data = ctx.getImageData(0, 0, w, h).data;
  for (let i = 0; i < data.length; i += 4) {
    const r = data[i], g = data[i + 1], b = data[i + 2];
    if (data[i + 3] > 0 && Math.max(r, g, b) - Math.min(r, g, b) > 40) { coloured++; }
  }
}
return coloured;
"""


def unavailable() -> str | None:
    """Why a browser test cannot run here, or None when chromium, chromedriver and selenium are."""
    if shutil.which("chromium") is None:
        return f"chromium is not on PATH; {INSTALL}"
    if shutil.which("chromedriver") is None:
        return f"chromedriver is not on PATH; {INSTALL}"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not importable; pip install -e '.[test]' (or `make test`) installs it"
    return None


def require_browser() -> None:
    """Skip the calling test when no browser can run, or fail it in CI (which installs one first:
    a skip there would hide a break)."""
    reason = unavailable()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)


@contextmanager
def chromium(downloads: Path, width: int = 1280, height: int = 900,
             lang: str = "en-US") -> Iterator[WebDriver]:
    """A headless Chromium at `width` x `height` speaking `lang` (its UI language and the
    Accept-Language it sends, e.g. "zh-CN"), saving downloads to `downloads` without asking.
    Quits the browser on exit."""
    from selenium import webdriver
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.chrome.service import Service

    downloads.mkdir(parents=True, exist_ok=True)
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     f"--window-size={width},{height}", f"--lang={lang}"):
        options.add_argument(argument)
    primary = lang.split("-")[0]
    options.add_experimental_option("prefs", {
        "intl.accept_languages": lang if primary == lang else f"{lang},{primary}",
        "download.default_directory": str(downloads),
        "download.prompt_for_download": False,
        "download.directory_upgrade": True,
    })
    service = Service(executable_path=shutil.which("chromedriver") or "chromedriver")
    driver = webdriver.Chrome(options=options, service=service)
    try:
        behaviour = {"behavior": "allow", "downloadPath": str(downloads)}
        try:  # headless may ignore the prefs; Page.setDownloadBehavior is the older, deprecated form
            driver.execute_cdp_cmd("Browser.setDownloadBehavior", behaviour)
        except WebDriverException:
            driver.execute_cdp_cmd("Page.setDownloadBehavior", behaviour)
        yield driver
    finally:
        driver.quit()


def wait_for_download(downloads: Path, suffix: str, timeout: float = 20) -> Path:
    """The first file in `downloads` whose name ends in `suffix`, once no download is in progress
    (no .crdownload left); AssertionError with what the directory holds after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        names = sorted(p.name for p in downloads.iterdir()) if downloads.is_dir() else []
        done = [name for name in names if name.endswith(suffix)]
        if done and not any(name.endswith(".crdownload") for name in names):
            return downloads / done[0]
        if time.monotonic() > deadline:
            raise AssertionError(f"no finished {suffix} download in {downloads} after {timeout}s;"
                                 f" it holds {names or 'nothing'}")
        time.sleep(0.1)


def canvas_colour_pixels(driver: WebDriver, css_selector: str) -> int:
    """How many pixels of the canvases in the element matching `css_selector` are coloured (drawn,
    and not grey: max(r, g, b) - min(r, g, b) > 40), so a chart's series count but its axes, grid
    and text do not; 0 when there is no such element or canvas."""
    return int(driver.execute_script(COUNT_COLOURED, css_selector))


def screenshot(driver: WebDriver, path: Path) -> Path:
    """Save what the window shows as a PNG at `path` (making its directories); returns `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not driver.save_screenshot(str(path)):
        raise AssertionError(f"the browser could not save a screenshot to {path}")
    return path
