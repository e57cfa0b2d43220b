"""The parse table for usage questions (issue 8): utilisation, peak hours, idle rooms and room
sizes of a room, floor, building or the whole tenant over past days, both languages.

Windows follow reports (bot/understand/when.py, mode "report": "this week" runs Monday 00:00 up to
now, "last month" is the calendar month); with no time said, utilisation and peak hours look at the
last 7 days and idle rooms and sizes at the last 30 (bot/understand/build.py USAGE_DAYS). A usage
word that may also ask "is it free" ("how busy", "没人用") is a usage question only when no time of
day is said. Now is Tuesday 2026-11-17 10:20 unless a row says otherwise; labels are stripped.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from test_parse_table import unlabel
from understand_fixtures import (
    EMEI,
    EVEREST,
    F5,
    F6,
    F7,
    F8,
    JUPITER,
    MERCURY,
    NOW,
    NOW_SLOT,
    OSLO,
    QCS,
    R402,
    T2,
    T2_4,
    T3_4,
    VENUS,
    WEEKEND,
    day,
    days,
    dt,
    make_directory,
    span,
)

from bot.queries import TENANT
from bot.queries import FindFree as FF
from bot.queries import IsFree as IF
from bot.queries import Report as RP
from bot.queries import Usage as U
from bot.understand import parse

DIRECTORY = make_directory()
WEEK_SO_FAR = days(dt(16), dt(17, 10, 20))
LAST_WEEK = days(dt(9), dt(16))
NEXT_WEEK = days(dt(23), dt(30))
THIS_MONTH = days(dt(1), dt(17, 10, 20))
LAST_MONTH = days(dt(1, month=10), dt(1))
LAST_7 = days(dt(10), dt(17, 10, 20))  # "the last 7 days", and the default for utilisation and peaks
LAST_14 = days(dt(3), dt(17, 10, 20))
LAST_30 = days(dt(18, month=10), dt(17, 10, 20))  # the default for idle rooms and sizes

EN_ROWS: list[tuple[str, Any]] = [
    # utilisation
    ("how busy was 5F this week", U("en", F5, WEEK_SO_FAR)),
    ("utilisation of Everest last month", U("en", EVEREST, LAST_MONTH)),
    ("utilization of T2 yesterday", U("en", T2, day(16))),
    ("room usage last 30 days", U("en", TENANT, LAST_30)),
    ("how busy was Mercury today", U("en", MERCURY, day(17))),
    ("occupancy rate of 7F this month", U("en", F7, THIS_MONTH)),
    ("busiest rooms last week", U("en", TENANT, LAST_WEEK)),
    ("utilisation 2026-11-03", U("en", TENANT, day(3))),
    ("utilisation of Oslo on Nov 3", U("en", OSLO, day(3))),
    ("usage stats for 4F last 14 days", U("en", T2_4, LAST_14)),
    ("Everest utilisation", U("en", EVEREST, LAST_7)),
    ("usage of Room 402 in the last 7 days", U("en", R402, LAST_7)),
    ("how heavily was Everest used last week", U("en", EVEREST, LAST_WEEK)),
    ("how heavily was 峨眉山 used last week", U("zh", EMEI, LAST_WEEK)),  # any Chinese: answered in Chinese
    ("utilisation of Venus and Mercury yesterday", U("en", VENUS, day(16))),
    ("utilisation next week", U("en", TENANT, NEXT_WEEK)),
    ("Utilisation report for T2 last month pls", U("en", T2, LAST_MONTH)),
    # peak hours
    ("peak hours on T2 last week", U("en", T2, LAST_WEEK, "peak")),
    ("peak times this week", U("en", TENANT, WEEK_SO_FAR, "peak")),
    ("what are the peak hours in T3 4F last month", U("en", T3_4, LAST_MONTH, "peak")),
    ("peak hours", U("en", TENANT, LAST_7, "peak")),
    ("hourly usage of Jupiter this week", U("en", JUPITER, WEEK_SO_FAR, "peak")),
    ("busiest hours on 8F yesterday", U("en", F8, day(16), "peak")),
    # idle rooms
    ("which rooms are never used", U("en", TENANT, LAST_30, "idle")),
    ("idle rooms on 8F this month", U("en", F8, THIS_MONTH, "idle")),
    ("unused rooms last week", U("en", TENANT, LAST_WEEK, "idle")),
    ("rarely used rooms in T2", U("en", T2, LAST_30, "idle")),
    ("underused rooms on 6F", U("en", F6, LAST_30, "idle")),
    ("Idle rooms this week?", U("en", TENANT, WEEK_SO_FAR, "idle")),
    # right-sizing
    ("are big rooms used by small meetings", U("en", TENANT, LAST_30, "sizing")),
    ("which rooms are oversized", U("en", TENANT, LAST_30, "sizing")),
    ("right-sizing for 5F last month", U("en", F5, LAST_MONTH, "sizing")),
    ("room sizes on T2 this month", U("en", T2, THIS_MONTH, "sizing")),
    ("are our rooms too big", U("en", TENANT, LAST_30, "sizing")),
    # not usage questions
    ("how busy is Mercury at 3pm", IF("en", MERCURY, span(17, 15, 0, 15, 30))),
    ("is T2 5F busy now", IF("en", F5, NOW_SLOT)),
    ("unused bookings yesterday", RP("en", ("no_shows",), day(16), TENANT)),
]

ZH_ROWS: list[tuple[str, Any]] = [
    # 使用率
    ("5楼本周使用率", U("zh", F5, WEEK_SO_FAR)),
    ("峨眉山上个月的使用率", U("zh", EMEI, LAST_MONTH)),
    ("7楼昨天利用率", U("zh", F7, day(16))),
    ("最近30天会议室使用率", U("zh", TENANT, LAST_30)),
    ("今天木星的使用率", U("zh", JUPITER, day(17))),
    ("11月3日的使用率", U("zh", TENANT, day(3))),
    ("T3 4楼上个月的占用率", U("zh", T3_4, LAST_MONTH)),
    ("这周5楼有多忙", U("zh", F5, WEEK_SO_FAR)),
    ("青城山这周的利用率", U("zh", QCS, WEEK_SO_FAR)),
    ("下周的使用率", U("zh", TENANT, NEXT_WEEK)),
    ("过去2周T2的使用率", U("zh", T2, LAST_14)),
    ("使用率报告", U("zh", TENANT, LAST_7)),
    ("Oslo昨天的使用率怎么样", U("zh", OSLO, day(16))),
    # 高峰时段
    ("会议室高峰时段", U("zh", TENANT, LAST_7, "peak")),
    ("T2上周的高峰时段", U("zh", T2, LAST_WEEK, "peak")),
    ("几点最忙", U("zh", TENANT, LAST_7, "peak")),
    ("上周每小时的会议室使用情况", U("zh", TENANT, LAST_WEEK, "peak")),
    ("最近7天的高峰期", U("zh", TENANT, LAST_7, "peak")),
    ("5楼什么时候最忙", U("zh", F5, LAST_7, "peak")),
    # 闲置
    ("哪些会议室没人用", U("zh", TENANT, LAST_30, "idle")),
    ("本月闲置的会议室", U("zh", TENANT, THIS_MONTH, "idle")),
    ("上周哪些会议室很少用", U("zh", TENANT, LAST_WEEK, "idle")),
    ("8楼空置的会议室", U("zh", F8, LAST_30, "idle")),
    ("会议室利用率低的有哪些", U("zh", TENANT, LAST_30, "idle")),
    # 大小是否合适
    ("会议室大小合适吗", U("zh", TENANT, LAST_30, "sizing")),
    ("8楼会议室是不是太大了", U("zh", F8, LAST_30, "sizing")),
    ("会议室有没有大材小用", U("zh", TENANT, LAST_30, "sizing")),
    ("上个月T2会议室的容量合适吗", U("zh", T2, LAST_MONTH, "sizing")),
    # 不是使用率问题
    ("现在哪些会议室没人用", FF("zh", NOW_SLOT)),
    ("Mercury下午3点忙吗", IF("zh", MERCURY, span(17, 15, 0, 15, 30))),
]

OTHER_ROWS: list[tuple[datetime, str, Any]] = [
    (WEEKEND, "how busy was 5F this week", U("en", F5, days(dt(16), dt(21, 15, 5)))),
    (WEEKEND, "5楼本周使用率", U("zh", F5, days(dt(16), dt(21, 15, 5)))),
    (WEEKEND, "peak hours yesterday", U("en", TENANT, day(20), "peak")),
]


@pytest.mark.parametrize(("text", "expected"), EN_ROWS)
def test_english(text: str, expected: Any) -> None:
    assert unlabel(parse(text, NOW, DIRECTORY)) == expected


@pytest.mark.parametrize(("text", "expected"), ZH_ROWS)
def test_chinese(text: str, expected: Any) -> None:
    assert unlabel(parse(text, NOW, DIRECTORY)) == expected


@pytest.mark.parametrize(("now", "text", "expected"), OTHER_ROWS)
def test_other_moments(now: datetime, text: str, expected: Any) -> None:
    assert unlabel(parse(text, now, DIRECTORY)) == expected


@pytest.mark.parametrize(("text", "label"), [
    ("peak hours", "last 7 days"), ("哪些会议室没人用", "最近30天"), ("how busy was 5F this week", "this week"),
    ("5楼本周使用率", "本周"),
])
def test_window_labels(text: str, label: str) -> None:
    assert parse(text, NOW, DIRECTORY).window.label == label


def test_table_is_big_and_bilingual() -> None:
    assert len(EN_ROWS) + len(ZH_ROWS) + len(OTHER_ROWS) >= 60
    assert min(len(EN_ROWS), len(ZH_ROWS)) >= 25
