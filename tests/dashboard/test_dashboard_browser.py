"""The dashboard in a real headless Chromium (Debian's chromium and chromium-driver, installed by
scripts/ensure_chromium.sh from `make test`): sign in through the sandbox's Feishu authorize page,
open every page, compare its numbers with the cards' for the same window, see every chart drawn
by the served VChart, download an export and read it back, switch language, and be refused as a
non-admin. Screenshots stay in build/screenshots/."""
from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from python_calamine import CalamineWorkbook

from tests.dashboard.browser import (
    canvas_colour_pixels,
    chromium,
    require_browser,
    screenshot,
    wait_for_download,
)
from tests.dashboard.conftest import Dashboard

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "build" / "screenshots"
UTILISATION = re.compile(r"Utilisation ([\d.]+)%")


@pytest.fixture(scope="module")
def downloads(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="module")
def browser(dashboard: Dashboard, downloads: Path) -> Iterator[Any]:
    """A Chromium signed in to the dashboard as the admin, through the sandbox's Feishu page."""
    require_browser()
    with chromium(downloads, height=1000) as driver:
        driver.get(dashboard.url)
        assert "/open-apis/authen/v1/authorize" in driver.current_url, driver.current_url
        pick(driver, dashboard.admin.open_id)
        assert driver.current_url == dashboard.url, driver.current_url
        yield driver


def pick(driver: Any, open_id: str) -> None:
    """Choose a user on the sandbox's authorize page, as a person would."""
    click_and_load(driver, f'button[name="open_id"][value="{open_id}"]')


def click_and_load(driver: Any, css: str) -> None:
    """Click what loads a new page, and wait until the new one has loaded.

    The old page is marked on its window; a new document has no mark. (Waiting for the old
    <html> to go stale raced with chromedriver: asked mid-navigation it answered "Node with
    given id does not belong to the document", a WebDriverException, not a stale element.)"""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
    driver.execute_script("window.__roombotOldPage = true;")
    driver.find_element(By.CSS_SELECTOR, css).click()
    WebDriverWait(driver, 20, ignored_exceptions=(WebDriverException,)).until(
        lambda d: d.execute_script(
            "return !window.__roombotOldPage && document.readyState === 'complete';"))


def text(driver: Any, css: str) -> str:
    from selenium.webdriver.common.by import By
    return str(driver.find_element(By.CSS_SELECTOR, css).text).strip()


def number(driver: Any, css: str) -> float:
    """The first number in an element (a cell also shows the window before under it)."""
    found = re.match(r"-?[\d.]+", text(driver, css))
    assert found, (css, text(driver, css))
    return float(found.group(0))


def drawn(driver: Any, chart_id: str) -> int:
    """Waits until VChart has drawn the chart; its coloured pixels."""
    from selenium.webdriver.support.ui import WebDriverWait
    WebDriverWait(driver, 20).until(
        lambda d: d.find_element("id", chart_id).get_attribute("data-drawn"))
    state = driver.find_element("id", chart_id).get_attribute("data-drawn")
    assert state == "yes", f"{chart_id}: {state}"
    return canvas_colour_pixels(driver, f"#{chart_id}")


def card_utilisation(dash: Dashboard, question: str) -> float:
    """The utilisation the usage card gives for a question, read from the card itself."""
    card = dash.responder.card_for_text(question)
    found = UTILISATION.search(json.dumps(card, ensure_ascii=False))
    assert found, f"no utilisation on the card for {question!r}"
    return float(found.group(1))


def status_of(driver: Any, path: str) -> int:
    """The HTTP status the page's own fetch of `path` gets (with the browser's cookie)."""
    return int(driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fetch(arguments[0], {redirect: 'manual'}).then(r => done(r.status), e => done(-1));", path))


def test_the_overview_equals_the_cards_and_draws_its_chart(browser: Any, dashboard: Dashboard) -> None:
    browser.get(dashboard.url)
    assert text(browser, "h1") == "Overview"
    assert number(browser, 'tr[data-weeks="1"] td[data-key="utilisation"]') == \
        card_utilisation(dashboard, "utilisation last week")
    assert number(browser, 'tr[data-weeks="1"] td[data-key="bookings"]') > 0
    assert "Data from" in text(browser, "#since")
    assert drawn(browser, "chart-trend") > 500
    screenshot(browser, SHOTS / "overview.png")


def test_the_heatmap_and_floor_trends_draw_and_a_floor_equals_its_card(
        browser: Any, dashboard: Dashboard) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select
    browser.get(dashboard.url + "patterns?weeks=1")
    for chart in ("chart-heatmap", "chart-floor-utilisation", "chart-floor-no-shows"):
        assert drawn(browser, chart) > 300, chart
    directory = dashboard.responder.directory.get()
    building = directory.buildings()[0]
    Select(browser.find_element(By.ID, "place")).select_by_value(building.level_id)
    click_and_load(browser, "form.tools button")
    assert drawn(browser, "chart-heatmap") > 300
    assert building.name in text(browser, "#place option:checked")
    screenshot(browser, SHOTS / "heatmap.png")
    rows = browser.find_elements(By.CSS_SELECTOR, "#floor-trend tbody tr")
    assert rows, "no floor rows"
    floor = rows[-1].get_attribute("data-floor")  # the last week's rows come last
    shown = float(rows[-1].find_element(By.CSS_SELECTOR, 'td[data-key="utilisation"]').text)
    assert shown == card_utilisation(dashboard, f"utilisation of {floor} last week"), floor


def test_the_rooms_table_sorts_equals_a_rooms_card_and_downloads_as_xlsx(
        browser: Any, dashboard: Dashboard, downloads: Path) -> None:
    from selenium.webdriver.common.by import By
    browser.get(dashboard.url + "rooms?weeks=1")
    click_and_load(browser, 'a[data-sort="utilisation"]')
    shares = [float(cell.text) for cell in browser.find_elements(
        By.CSS_SELECTOR, '#rooms tbody td[data-key="utilisation"]')]
    assert shares == sorted(shares, reverse=True) and shares[0] > 0
    top = browser.find_element(By.CSS_SELECTOR, "#rooms tbody tr")
    name = top.find_element(By.CSS_SELECTOR, 'td[data-key="name"]').text
    assert shares[0] == card_utilisation(dashboard, f"utilisation of {name} last week")
    screenshot(browser, SHOTS / "rooms.png")
    browser.find_element(By.ID, "download-rooms-xlsx").click()
    sheet = wait_for_download(downloads, ".xlsx")
    rows = CalamineWorkbook.from_path(str(sheet)).get_sheet_by_index(0).to_python()
    assert len(shares) == 25 and "Showing 25 of" in text(browser, "#rooms-more")  # rooms_per_page
    assert rows[0][0] == "Room" and len(rows) - 1 == len(dashboard.responder.directory.get().rooms)
    column = rows[0].index("Utilisation %")
    assert sorted((float(r[column]) for r in rows[1:]), reverse=True)[:25] == shares


def test_departments_draw_and_add_up_to_the_overview(browser: Any, dashboard: Dashboard) -> None:
    from selenium.webdriver.common.by import By
    browser.get(dashboard.url + "people?weeks=4")
    assert drawn(browser, "chart-departments") > 300
    misses = sum(int(cell.text) for cell in browser.find_elements(
        By.CSS_SELECTOR, '#departments td[data-key="no_shows"]'))
    releases = sum(int(cell.text) for cell in browser.find_elements(
        By.CSS_SELECTOR, '#departments td[data-key="early_releases"]'))
    browser.get(dashboard.url)
    assert misses == number(browser, 'tr[data-weeks="4"] td[data-key="no_shows"]')
    assert releases == number(browser, 'tr[data-weeks="4"] td[data-key="early_releases"]')


def test_the_language_switch_shows_chinese(browser: Any, dashboard: Dashboard) -> None:
    browser.get(dashboard.url)
    click_and_load(browser, "#switch-lang")
    try:
        assert text(browser, "h1") == "总览" and "数据自" in text(browser, "#since")
        assert drawn(browser, "chart-trend") > 500
        screenshot(browser, SHOTS / "overview-zh.png")
    finally:
        click_and_load(browser, "#switch-lang")
    assert text(browser, "h1") == "Overview"


def test_a_non_admin_signed_in_with_feishu_gets_403(dashboard: Dashboard, downloads: Path) -> None:
    require_browser()
    with chromium(downloads / "stranger") as driver:
        driver.get(dashboard.url)
        pick(driver, dashboard.stranger.open_id)
        assert "not a roombot admin" in text(driver, "body")
        assert status_of(driver, "/admin/") == 403
        assert status_of(driver, "/admin/rooms.xlsx") == 403
        driver.delete_all_cookies()
        assert status_of(driver, "/admin/rooms.csv") == 401
