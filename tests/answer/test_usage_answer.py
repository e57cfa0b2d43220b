"""Usage answers (utilisation, peak hours, idle rooms, room sizes) against the sandbox at a fixed
clock: every number is checked against bot.insights.usage run independently on the sandbox's own rows, the
charts against the card rules (shape, at most 5 a card, 30 KB), the biggest case on 2,000 rooms.
"""
from __future__ import annotations

import json
import time as clock
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest

from bot.answer.report import report_days
from bot.answer.usage import (
    MAX_BARS,
    MAX_ROWS,
    answer_usage,
    follow_ups,
    previous_window,
    usage_data,
)
from bot.config import ConfigError, InsightsSettings, settings_from_dict
from bot.directory.tree import Directory
from bot.feishu.models import Reservation
from bot.insights import outcomes, usage, working_time
from bot.queries import TENANT, USAGE_FOCUSES, Lang, Place, Reply, Usage, Window
from bot.render.cards import MAX_CARD_BYTES, CardError, card_bytes, render, validate
from bot.render.text import card_to_text
from bot.sandbox.tenant import Tenant
from bot.understand import actions, parse
from tests.answer.conftest import NOW, SH, Ctx, api_calls

LANGS: tuple[Lang, ...] = ("en", "zh")
EXPORT = "/open-apis/vc/v1/exports/resource_reservation_list"
DAY = timedelta(days=1)
WORKING = working_time.WorkingTime()  # Monday to Friday, 09:00-18:00
LAST_30 = Window(datetime(2024, 4, 14, tzinfo=SH), NOW, True, "last 30 days")
YESTERDAY = Window(datetime(2024, 5, 13, tzinfo=SH), datetime(2024, 5, 14, tzinfo=SH), True, "yesterday")


# ------------------------------------------------------------------------------------ helpers

def truth(sb: Any, query: Usage, directory: Directory,
          working: working_time.WorkingTime = WORKING) -> tuple[list[Reservation], working_time.Window]:
    """The sandbox's own rows for the query's days, de-duplicated, and the usage window."""
    days = report_days(query.window, NOW)
    rows = outcomes.dedupe(r for d in days for r in sb.tenant.reservations_on(d))
    return rows, working_time.Window(days[0], days[-1], NOW, working)


def expected_total(sb: Any, query: Usage, directory: Directory) -> tuple[dict[str, Any], tuple[usage.RoomUsage, ...]]:
    """The place's numbers as bot.insights.usage computes them from the sandbox rows."""
    rows, window = truth(sb, query, directory)
    measured = usage.measure(rows, directory.place_rooms(query.place), window)
    total = usage.group(measured)
    return {"util": round(100 * total.utilisation, 1), "used": round(100 * total.used_share, 1),
            "ghost": round(100 * total.ghost_share, 1), "bookings": total.bookings}, measured


def charts(card: dict[str, Any]) -> list[dict[str, Any]]:
    """The card's chart elements."""
    return [e for e in card["body"]["elements"] if e.get("tag") == "chart"]


def floor(directory: Directory, building: str, name: str) -> Place:
    """A floor of a building as a Place."""
    level = next(lv for lv in directory.levels if lv.name == name
                 and (b := directory.level(lv.parent_id)) is not None and b.name == building)
    return directory.level_place(level)


def text_of(card: dict[str, Any]) -> str:
    return str(card_to_text(card))


# ------------------------------------------------------------------------------ the numbers

@pytest.mark.parametrize(("lang", "text"), [("en", "how busy was T2 5F this week"),
                                            ("zh", "T2 5楼本周使用率")])
def test_floor_utilisation_this_week_matches_the_sandbox_rows(sb, ctx: Ctx, lang: Lang,
                                                             text: str) -> None:
    context = ctx()
    query = parse(text, NOW, context.directory)
    assert isinstance(query, Usage) and query.place == floor(context.directory, "T2", "5F")
    reply = answer_usage(query, context)
    assert reply.lang == lang and reply.data["method"] == "paging"
    assert EXPORT not in api_calls(context.gateway)
    total, measured = expected_total(sb, query, context.directory)
    assert {k: reply.data["total"][k] for k in total} == total and total["util"] > 0
    ranked = sorted(measured, key=lambda u: (-u.utilisation, u.room.name))
    assert [r["name"] for r in reply.data["rooms"]] == [u.room.name for u in ranked]
    assert [r["util"] for r in reply.data["rooms"]] == [round(100 * u.utilisation, 1) for u in ranked]
    assert reply.data["bars"]["by"] == "room"
    assert [p["value"] for p in reply.data["bars"]["points"]] == [
        r["util"] for r in reply.data["rooms"]][:MAX_BARS]
    card = render(reply)
    [chart] = charts(card)
    assert chart["chart_spec"]["type"] == "bar" and chart["chart_spec"]["direction"] == "horizontal"
    lines = text_of(card)
    assert f"{total['util']}%" in lines and "█" in lines


def test_a_long_window_uses_the_export_and_matches_the_sandbox_rows(sb, ctx: Ctx) -> None:
    context = ctx()
    query = parse("utilisation of T2 last week", NOW, context.directory)
    assert isinstance(query, Usage) and len(report_days(query.window, NOW)) == 7
    reply = answer_usage(query, context)
    assert reply.data["method"] == "export" and api_calls(context.gateway).get(EXPORT) == 1
    total, measured = expected_total(sb, query, context.directory)
    assert {k: reply.data["total"][k] for k in total} == total
    assert reply.data["bars"]["by"] == "floor"
    floors = usage.by_level(measured, context.directory, "floor")
    assert [p["value"] for p in reply.data["bars"]["points"]] == sorted(
        (round(100 * g.utilisation, 1) for g in floors), reverse=True)
    assert reply.data["working"]["count"] == 5
    render(reply)


def test_a_room_shows_each_working_day(sb, ctx: Ctx) -> None:
    context = ctx()
    query = parse("utilisation of Mercury last week", NOW, context.directory)
    reply = answer_usage(query, context)
    rows, window = truth(sb, query, context.directory)
    room = context.directory.place_rooms(query.place)
    points = reply.data["bars"]["points"]
    assert reply.data["bars"]["by"] == "day" and [p["name"] for p in points] == [
        "05-06", "05-07", "05-08", "05-09", "05-10"]
    for point, n in zip(points, range(5), strict=True):
        day = date(2024, 5, 6) + n * DAY
        [one] = usage.measure(rows, room, replace(window, first=day, last=day))
        assert point["value"] == round(100 * one.utilisation, 1)
    card = render(reply)
    assert not [e for e in card["body"]["elements"] if e.get("tag") == "table"]  # one room: no table
    assert charts(card)[0]["chart_spec"]["direction"] == "vertical"


@pytest.mark.parametrize(("lang", "text"), [("en", "peak hours on T2 last week"),
                                            ("zh", "T2上周的高峰时段")])
def test_peak_hours_match_the_sandbox_rows(sb, ctx: Ctx, lang: Lang, text: str) -> None:
    context = ctx()
    query = parse(text, NOW, context.directory)
    assert isinstance(query, Usage) and query.focus == "peak"
    reply = answer_usage(query, context)
    rows, window = truth(sb, query, context.directory)
    measured = usage.measure(rows, context.directory.place_rooms(query.place), window)
    expected = [(f"{h:02d}:00", round(100 * s, 1)) for h, s in usage.peak_hours(measured, window)]
    assert [(h["hour"], h["value"]) for h in reply.data["hours"]] == expected
    assert [h for h, _ in expected] == [f"{h:02d}:00" for h in range(9, 18)]
    card = render(reply)
    [chart] = charts(card)
    assert [v["hour"] for v in chart["chart_spec"]["data"]["values"]] == [h for h, _ in expected]
    busiest = max(expected, key=lambda e: e[1])[0]
    assert busiest in json.dumps(card, ensure_ascii=False)


def test_peak_hours_today_count_only_the_hours_begun(ctx: Ctx) -> None:
    context = ctx()
    reply = answer_usage(parse("peak hours today", NOW, context.directory), context)
    later = [h["value"] for h in reply.data["hours"] if h["hour"] >= "11:00"]
    assert later and all(v == 0 for v in later)  # now is 10:20: nothing held after it yet


@pytest.mark.parametrize(("lang", "text", "where"), [("en", "idle rooms this month", ""),
                                                     ("zh", "A座本月闲置的会议室", "A座")])
def test_idle_rooms_this_month(sb, ctx: Ctx, lang: Lang, text: str, where: str) -> None:
    context = ctx()
    query = parse(text, NOW, context.directory)
    assert isinstance(query, Usage) and query.focus == "idle" and query.place.label == where
    assert query.lang == lang
    assert query.window == Window(datetime(2024, 5, 1, tzinfo=SH), NOW, True, query.window.label)
    place = query.place
    reply = answer_usage(query, context)
    rows, window = truth(sb, query, context.directory)
    measured = usage.measure(rows, context.directory.place_rooms(place), window)
    idle = usage.idle_rooms(measured)
    assert idle, "the sandbox has idle rooms in A座"
    assert [r["name"] for r in reply.data["idle"]] == [u.room.name for u in idle][:MAX_ROWS]
    assert reply.data["idle_count"] == len(idle)
    assert sum(b["rooms"] for b in reply.data["bands"]) == len(measured)
    assert reply.data["bands"][0]["rooms"] == len(idle)
    card = render(reply)
    [chart] = charts(card)
    assert chart["chart_spec"]["xField"] == "band"
    assert idle[0].room.name in text_of(card)


@pytest.mark.parametrize(("lang", "text", "where"), [("en", "are T2's rooms the right size this month", "T2"),
                                                     ("zh", "T2本月会议室大小合适吗", "T2")])
def test_right_sizing(sb, ctx: Ctx, lang: Lang, text: str, where: str) -> None:
    context = ctx()
    query = parse(text, NOW, context.directory)
    assert isinstance(query, Usage) and query.focus == "sizing" and query.place.label == where
    assert query.lang == lang
    assert query.window == Window(datetime(2024, 5, 1, tzinfo=SH), NOW, True, query.window.label)
    place = query.place
    reply = answer_usage(query, context)
    rows, window = truth(sb, query, context.directory)
    sizes = usage.right_sizing(rows, context.directory.place_rooms(place), window)
    assert reply.data["oversized"] == sum(s.oversized for s in sizes) > 0
    assert reply.data["too_small"] == sum(s.too_small for s in sizes)
    shown = reply.data["sizes"]
    assert [(r["name"], r["capacity"], r["median"], r["flag"]) for r in shown] == [
        (s.room.name, s.room.capacity, s.median_people,
         "oversized" if s.oversized else "too_small" if s.too_small else "") for s in sizes][:MAX_ROWS]
    card = render(reply)
    [chart] = charts(card)
    spec = chart["chart_spec"]
    assert spec["yField"] == ["room", "what"] and spec["seriesField"] == "what"
    assert len(spec["data"]["values"]) == 2 * reply.data["fit_bars"]
    assert ("偏大" if lang == "zh" else "oversized") in text_of(card)


# ------------------------------------------------------------------------ windows and buttons

@pytest.mark.parametrize("lang", LANGS)
def test_a_future_window_has_no_data_yet(ctx: Ctx, lang: Lang) -> None:
    context = ctx()
    query = parse("下周的使用率" if lang == "zh" else "utilisation next week", NOW, context.directory)
    reply = answer_usage(query, context)
    assert reply.data["status"] == "future" and not context.gateway.calls.by_path
    card = render(reply)
    assert ("还没开始" if lang == "zh" else "not started yet") in text_of(card)
    assert not charts(card)


@pytest.mark.parametrize(("lang", "line"), [
    ("en", "1 booking released early through roombot, 1.5 room-hours given back"),
    ("zh", "通过 roombot 提前释放 1 个预订，回收 1.5 个会议室小时")])
def test_hours_given_back_show_when_the_window_held_no_working_time(ctx: Ctx, lang: Lang, line: str) -> None:
    context = ctx()
    query = parse("本周使用率" if lang == "zh" else "how busy were the rooms this week", NOW, context.directory)
    sunday = Window(datetime(2024, 5, 12, tzinfo=SH), datetime(2024, 5, 13, tzinfo=SH), True, "Sun 12 May")
    reply = answer_usage(replace(query, window=sunday), context)
    assert reply.data["total"]["working"] == 0
    lines = text_of(render(replace(reply, data={**reply.data, "via_roombot": {"count": 1, "hours": 1.5}})))
    assert ("没有工作时间" if lang == "zh" else "No working time") in lines and line in lines
    assert line not in text_of(render(reply))  # nothing released: no line


def test_follow_up_buttons_ask_the_previous_period_and_the_other_questions(ctx: Ctx) -> None:
    context = ctx()
    query = parse("how busy was T2 5F this week", NOW, context.directory)
    card = render(answer_usage(query, context))
    values = [value for _, value in card_to_text(card).buttons]
    decoded = [actions.decode(value, context.directory, NOW) for value in values]
    assert all(isinstance(q, Usage) and q.place == query.place for q in decoded)
    previous, *others = decoded
    assert (previous.window.start, previous.window.end) == (datetime(2024, 5, 6, tzinfo=SH),
                                                            datetime(2024, 5, 13, tzinfo=SH))
    assert previous.focus == "utilisation"
    assert [q.focus for q in others] == ["peak", "idle", "sizing"]
    assert all(q.window == query.window for q in others)


@pytest.mark.parametrize(("start", "end", "first", "last"), [
    (datetime(2024, 5, 13, tzinfo=SH), NOW, date(2024, 5, 6), date(2024, 5, 13)),  # this week
    (datetime(2024, 5, 1, tzinfo=SH), NOW, date(2024, 4, 1), date(2024, 5, 1)),  # this month
    (datetime(2024, 4, 1, tzinfo=SH), datetime(2024, 5, 1, tzinfo=SH), date(2024, 3, 1),
     date(2024, 4, 1)),  # last month
    (datetime(2024, 5, 6, tzinfo=SH), datetime(2024, 5, 13, tzinfo=SH), date(2024, 4, 29),
     date(2024, 5, 6)),  # last week
    (datetime(2024, 5, 13, tzinfo=SH), datetime(2024, 5, 14, tzinfo=SH), date(2024, 5, 12),
     date(2024, 5, 13)),  # yesterday, a Monday: the day before
    (datetime(2024, 4, 14, tzinfo=SH), NOW, date(2024, 3, 14), date(2024, 4, 14)),  # last 30 days
])
def test_previous_window(start: datetime, end: datetime, first: date, last: date) -> None:
    found = previous_window(Window(start, end, True))
    assert (found.start.date(), found.end.date()) == (first, last)
    assert found.end - found.start <= actions.MAX_WINDOW


def test_custom_working_time_changes_the_measure(sb, ctx: Ctx) -> None:
    base = ctx()
    weekend = replace(base, settings=replace(base.settings, insights=InsightsSettings(
        "08:00-20:00", ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"))))
    query = parse("how busy was T2 5F last week", NOW, base.directory)
    default, longer = answer_usage(query, base), answer_usage(query, weekend)
    assert longer.data["total"]["working"] > default.data["total"]["working"]
    assert longer.data["working"]["count"] == 7 and default.data["working"]["count"] == 5
    rows, window = truth(sb, query, base.directory, working_time.WorkingTime.parse("08:00-20:00", working_time.DAY_NAMES))
    total = usage.group(usage.measure(rows, base.directory.place_rooms(query.place), window))
    assert longer.data["total"]["util"] == round(100 * total.utilisation, 1)


def test_insights_settings_fail_naming_the_key() -> None:
    feishu = {"app_id": "a", "app_secret": "b"}
    settings = settings_from_dict({"feishu": feishu, "insights": {"working_hours": "08:30-17:30"}}, {})
    assert settings.insights.working == working_time.WorkingTime(time(8, 30), time(17, 30))
    for bad, key in (({"working_hours": "18:00-09:00"}, "insights.working_hours"),
                     ({"working_hours": "nine to six"}, "insights.working_hours"),
                     ({"working_days": ["Mon", "Funday"]}, "insights.working_days"),
                     ({"working_days": []}, "insights.working_days")):
        with pytest.raises(ConfigError, match=key):
            settings_from_dict({"feishu": feishu, "insights": bad}, {})


def test_the_card_names_nobody_whatever_the_privacy_setting(sb, ctx: Ctx) -> None:
    query = parse("how busy was T2 5F yesterday", NOW, ctx().directory)
    cards = [json.dumps(render(answer_usage(query, ctx(names=names, chat_type="group"))),
                        ensure_ascii=False) for names in ("all", "counts_only")]
    assert cards[0] == cards[1]
    rows, _ = truth(sb, query, ctx().directory)
    assert rows and not any(r.reserver and r.reserver in cards[0] for r in rows)


# ------------------------------------------------------------------------ the biggest card

@pytest.fixture(scope="module")
def big() -> tuple[Directory, list[Reservation]]:
    """2,000 rooms (39 buildings, 282 floors) with a real generated Monday copied onto every
    working day of a week: the rooms the day left empty stay idle."""
    tenant = Tenant(seed=7, rooms=2000, clock=lambda: NOW)
    directory = Directory(tenant.rooms, tenant.levels, tenant.root.level_id)
    monday = tenant.reservations_on(date(2024, 5, 13))
    rows = [replace(r, start=r.start - n * DAY, end=r.end - n * DAY,
                    release_time=r.release_time and r.release_time - n * DAY)
            for n in (0, 3, 4, 5, 6) for r in monday]
    return directory, rows


def big_card(directory: Directory, rows: list[Reservation], lang: Lang, focus: str,
             rename: Callable[[str], str] = str) -> dict[str, Any]:
    """The card for the whole tenant over the last 30 days, its buttons included; `rename`
    rewrites every room, floor and building name the card shows."""
    query = Usage(lang, TENANT, LAST_30, focus)  # type: ignore[arg-type]
    days = report_days(LAST_30, NOW)
    data = usage_data(query, rows, directory.place_rooms(TENANT), working_time.Window(days[0], days[-1], NOW),
                      directory)
    for item in (i for key in ("rooms", "idle", "least", "sizes") for i in data.get(key, [])):
        item.update(name=rename(item["name"]), where=rename(item["where"]))
    for point in data.get("bars", {}).get("points", []):
        point["name"] = rename(point["name"])
    return render(Reply("usage", {"focus": focus, "place": "", "kind": "tenant", "label": LAST_30.label,
                                  "start": LAST_30.start, "buttons": follow_ups(query),
                                  "status": "ok", "method": "export", **data}, lang))


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("focus", USAGE_FOCUSES)
def test_the_whole_2000_room_tenant_over_30_days_fits_one_card(big, lang: Lang, focus: str) -> None:
    directory, rows = big
    started = clock.process_time()
    card = big_card(directory, rows, lang, focus)
    assert clock.process_time() - started < 30
    size = card_bytes(card)
    assert size <= MAX_CARD_BYTES, size
    assert 1 <= len(charts(card)) <= 5
    assert len([e for e in card["body"]["elements"] if e.get("tag") == "table"]) <= 5
    if focus == "utilisation":
        [chart] = charts(card)
        values = chart["chart_spec"]["data"]["values"]
        assert len(values) == MAX_BARS and values == sorted(values, key=lambda v: -v["value"])
        assert ("另有 19 个" if lang == "zh" else "19 more") in text_of(card)  # 20 of 39 buildings
    print(f"2,000 rooms, {focus}, {lang}: {size} bytes, {len(charts(card))} chart(s)")


@pytest.mark.parametrize("focus", USAGE_FOCUSES)
def test_even_long_names_keep_the_biggest_card_under_30_kb(big, focus: str) -> None:
    card = big_card(*big, "zh", focus, lambda name: f"{name} Conference Suite 多功能大会议室 {name}"[:60])
    size = card_bytes(card)
    assert size <= MAX_CARD_BYTES, size
    print(f"2,000 rooms, 60-character names, {focus}: {size} bytes")


# --------------------------------------------------------------------------- chart validation

def _card(*elements: dict[str, Any]) -> dict[str, Any]:
    return {"schema": "2.0", "body": {"elements": list(elements)}}


def _bar(**extra: Any) -> dict[str, Any]:
    spec = {"type": "bar", "data": {"values": [{"name": "Oslo", "value": 40}]}, "xField": "name",
            "yField": "value"}
    return {"tag": "chart", "chart_spec": spec, **extra}


def test_validate_accepts_charts_and_rejects_bad_ones() -> None:
    validate(_card(*[_bar() for _ in range(5)]))
    validate(_card(_bar(height="300px", aspect_ratio="2:1")))
    bad = [
        _card(*[_bar() for _ in range(6)]),  # six charts
        _card(_bar(colour="red")),  # a property card JSON 2.0 does not know
        _card(_bar(height="1200px")),
        _card(_bar(aspect_ratio="3:1")),
        _card({"tag": "chart", "chart_spec": {"data": {"values": []}}}),  # no type
        _card({"tag": "chart", "chart_spec": {"type": "bar", "xField": "a", "yField": "b"}}),  # no data
        _card({"tag": "chart", "chart_spec": {"type": "bar", "data": {"values": [{"a": 1}]},
                                              "xField": "a"}}),  # no yField
        _card({"tag": "chart", "chart_spec": {"type": "line", "data": [{"values": [{"a": 1}]}],
                                              "xField": "a", "yField": "b"}}),  # rows lack "b"
    ]
    for card in bad:
        with pytest.raises(CardError):
            validate(card)


def test_every_usage_chart_passes_the_shape_check(ctx: Ctx) -> None:
    context = ctx()
    for focus in USAGE_FOCUSES:
        query = Usage("en", TENANT, YESTERDAY, focus)  # type: ignore[arg-type]
        card = render(answer_usage(query, context))
        for chart in charts(card):
            assert chart["chart_spec"]["label"]["formatter"]  # a string template, never JavaScript
        assert card_bytes(card) <= MAX_CARD_BYTES
