"""Every chart the bot sends, drawn by the real VChart that Feishu clients embed (1.10 and 1.12) in
Node at a desktop and a mobile width: each PNG must show its data in the series colours, not only
axes and a title (a spec whose fields miss its data draws just those, without an error).

The cards are the bot's own: questions in English and Chinese answered against the sandbox at a
fixed clock, and the weekly digest of the week before in both languages. One Node process draws
them all; the PNGs stay in build/charts/ to look at.
"""
from __future__ import annotations

import copy
import os
import re
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.config import Settings, StorageSettings
from bot.digest.weekly import run_weekly_digests
from bot.respond import Responder
from bot.sandbox import Sandbox
from bot.store import Store
from tests.render.draw import SCREENS, Drawing, draw, unavailable

NOW = datetime(2025, 11, 18, 15, 0, tzinfo=ZoneInfo("Asia/Shanghai"))  # a Tuesday afternoon
ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "build" / "charts"
QUESTIONS = {  # chart: the question in English and in Chinese
    "usage-by-room": ("how busy was T2 5F this week", "T2 5楼本周使用率"),
    "usage-by-floor": ("utilisation of T2 this week", "T2本周使用率"),
    "usage-by-building": ("utilisation this week", "本周使用率"),  # 150 rooms: over 20 floors
    "usage-by-day": ("utilisation of Mercury last week", "Mercury上周使用率"),
    "peak-hours": ("peak hours on T2 this week", "T2本周的高峰时段"),
    "idle-bands": ("idle rooms this week", "本周闲置的会议室"),
    "right-sizing": ("room sizes this week", "本周会议室大小"),
}
WEEKLY = ("weekly-usage", "weekly-peak-hours")  # the weekly digest's charts, in card order
CHARTS = [f"{name}-{lang}" for name in (*QUESTIONS, *WEEKLY) for lang in ("en", "zh")]
CALL_SITES = 6  # chart macro calls in the templates: usage.json.j2 has 4, weekly_digest.json.j2 2
BROKEN = "usage-by-room-zh-value-field-missing"  # its value field names a field not in the data
ONE_SERIES = "right-sizing-en-series-field-missing"  # its series field likewise: one colour for all
AGREE = 0.2  # the versions' counts of data pixels may differ this much before it is a difference


def chart_elements(card: dict[str, Any]) -> list[dict[str, Any]]:
    """The card's chart elements, in order."""
    return [e for e in card["body"]["elements"] if e.get("tag") == "chart"]


@pytest.fixture(scope="module")
def charts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """Every chart element the bot sends for QUESTIONS and the weekly digest, by name and language."""
    sandbox = Sandbox.start(seed=7, rooms=150, clock=lambda: NOW)
    url = f"sqlite:///{tmp_path_factory.mktemp('charts') / 'charts.db'}"
    store = Store.open(url)
    settings = Settings(feishu=sandbox.feishu_settings(), storage=StorageSettings(url))
    found: dict[str, dict[str, Any]] = {}
    try:
        for name, texts in QUESTIONS.items():
            for lang, text in zip(("en", "zh"), texts, strict=True):
                # a fresh responder a question, so one answer's calls do not eat the next one's quota
                card = Responder.build(settings, clock=lambda: NOW, store=store).card_for_text(text)
                [found[f"{name}-{lang}"]] = chart_elements(card)
        for lang in ("en", "zh"):
            store.add_subscription(f"oc_weekly_{lang}", lang=lang, period="weekly")
        run = run_weekly_digests(Responder.build(settings, clock=lambda: NOW, store=store), dry_run=True)
        for card in run.cards:
            lang = "zh" if "周报" in card["header"]["title"]["content"] else "en"
            for name, element in zip(WEEKLY, chart_elements(card), strict=True):
                found[f"{name}-{lang}"] = element
    finally:
        store.close()
        sandbox.stop()
    return found


@pytest.fixture(scope="module")
def drawings(charts: dict[str, dict[str, Any]]) -> list[Drawing]:
    """Every chart, and one broken on purpose, drawn by every pinned VChart at every width."""
    reason = unavailable()
    if reason:
        if os.environ.get("CI"):  # CI installs the tools first: a skip there would hide a break
            pytest.fail(reason)
        pytest.skip(reason)
    broken = copy.deepcopy(charts["usage-by-room-zh"])
    broken["chart_spec"]["xField"] = "utilisation"  # the rows call it "value"
    one_series = copy.deepcopy(charts["right-sizing-en"])
    one_series["chart_spec"]["seriesField"] = "series"  # the rows call it "what"
    return draw({**charts, BROKEN: broken, ONE_SERIES: one_series}, OUT)


def series(element: dict[str, Any]) -> int:
    """How many series the chart has: the values of its series field (1 without one)."""
    spec = element["chart_spec"]
    field = spec.get("seriesField")
    return len({row.get(field) for row in spec["data"]["values"]}) if field else 1


def drawn(drawings: list[Drawing], chart: str) -> list[Drawing]:
    """The drawings of one chart: every screen, every version."""
    return [d for d in drawings if d.name.rsplit(".", 1)[0] == chart]


def test_every_chart_the_templates_can_draw_is_here(charts: dict[str, dict[str, Any]]) -> None:
    templates = (ROOT / "templates").glob("*.json.j2")
    calls = sum(len(re.findall(r"\bm\.(?:bar_)?chart\(", t.read_text())) for t in templates)
    assert calls == CALL_SITES, "a chart was added or removed in templates/: draw it here too"
    assert sorted(charts) == sorted(CHARTS)
    for name, element in charts.items():  # else Feishu adds media queries this test never drew
        assert element["chart_spec"]["media"] == [], name


@pytest.mark.parametrize("chart", CHARTS)
def test_the_chart_draws_its_data_with_every_vchart_version(
        charts: dict[str, dict[str, Any]], drawings: list[Drawing], chart: str) -> None:
    mine = drawn(drawings, chart)
    assert {d.vchart for d in mine} == {"vchart-1.10", "vchart-1.12"}
    assert len(mine) == 2 * len(SCREENS)
    for d in mine:
        assert d.ok, f"{d.png.name}: {d.error}"
        assert not d.logged, f"{d.png.name}: VChart {d.version} said {d.logged}"
        assert d.drew_data, f"{d.png.name}: VChart {d.version} drew no data ({d.data_pixels} px)"
        assert d.series_drawn >= series(charts[chart]), f"{d.png.name}: series {d.colours}"
        assert d.png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    for screen in SCREENS:
        counts = [d.data_pixels for d in mine if d.name.endswith(f".{screen}")]
        assert max(counts) - min(counts) <= AGREE * max(counts), f"{chart} {screen}: {counts}"


def test_a_chart_whose_field_is_not_in_its_data_draws_no_data_and_is_caught(
        drawings: list[Drawing]) -> None:
    broken = drawn(drawings, BROKEN)
    assert len(broken) == 2 * len(SCREENS)
    for d in broken:
        assert d.ok and d.error is None  # VChart raises nothing: it draws the axes and the title
        assert not d.drew_data, f"{d.png.name}: {d.data_pixels} px in series colours"


def test_a_chart_whose_series_field_is_not_in_its_data_draws_one_colour_and_is_caught(
        charts: dict[str, dict[str, Any]], drawings: list[Drawing]) -> None:
    one_series = drawn(drawings, ONE_SERIES)
    assert len(one_series) == 2 * len(SCREENS)
    for d in one_series:
        assert d.ok and d.drew_data  # every bar is there, seats and people alike in one colour
        assert d.series_drawn < series(charts["right-sizing-en"]) == 2, d.colours
