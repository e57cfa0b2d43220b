"""The parse table for weekly digests (issue 8 §4): subscribing with a scope, a weekday and a time
(default Monday at the configured digest time: weekday None, at None), unsubscribing one period or
both, both languages. A named weekday makes a subscription weekly unless "daily" was said;
"每周五下午5点发周报" (every Friday 5pm, the weekly report) subscribes without the word "subscribe".
"""
from __future__ import annotations

from datetime import time
from typing import Any

import pytest
from understand_fixtures import F5, NOW, T2, T2_4, make_directory

from bot.queries import TENANT, Report, Subscribe, Unsubscribe
from bot.understand import parse

DIRECTORY = make_directory()
BOTH = ("no_shows", "early_releases")
NS = ("no_shows",)


def weekly(lang: str, weekday: int | None = None, at: time | None = None, place: Any = TENANT,
           kinds: tuple[str, ...] = BOTH) -> Subscribe:
    return Subscribe(lang, kinds, at, place, "weekly", weekday)  # type: ignore[arg-type]


ROWS: list[tuple[str, Any]] = [
    ("subscribe weekly report", weekly("en")),
    ("subscribe to the weekly digest", weekly("en")),
    ("subscribe this chat to the weekly report at 10:00", weekly("en", None, time(10))),
    ("subscribe to the weekly report every friday at 5pm", weekly("en", 4, time(17))),
    ("subscribe T2 weekly report on monday at 9:30", weekly("en", 0, time(9, 30), T2)),
    ("subscribe T2 4F weekly no-shows every monday 10am", weekly("en", 0, time(10), T2_4, NS)),
    ("weekly report every monday 9am", weekly("en", 0, time(9))),
    ("subscribe every thursday at 4pm", weekly("en", 3, time(16))),
    ("subscribe daily report", Subscribe("en", BOTH, None, TENANT)),
    ("unsubscribe weekly report", Unsubscribe("en", None, "weekly")),
    ("stop the weekly report", Unsubscribe("en", None, "weekly")),
    ("unsubscribe 5F weekly", Unsubscribe("en", F5, "weekly")),
    ("stop the daily report", Unsubscribe("en", None, "daily")),
    ("unsubscribe", Unsubscribe("en", None, None)),
    ("订阅周报", weekly("zh")),
    ("订阅会议室周报", weekly("zh")),
    ("订阅周报 每周一 9:30", weekly("zh", 0, time(9, 30))),
    ("订阅周报，每周五下午5点", weekly("zh", 4, time(17))),
    ("每周五下午5点发周报", weekly("zh", 4, time(17))),
    ("每周一早上9点发5楼的周报", weekly("zh", 0, time(9), F5)),
    ("订阅T2的周报 周三 10点", weekly("zh", 2, time(10), T2)),
    # a weekday right before the hour, with no space: the weekday's numeral is not the hour's
    ("订阅周报 每周一9点", weekly("zh", 0, time(9))),
    ("每周一9点发周报", weekly("zh", 0, time(9))),
    ("订阅周报 每周五下午5点", weekly("zh", 4, time(17))),
    ("订阅周报 每周三10点半", weekly("zh", 2, time(10, 30))),
    ("订阅周报 周一9点", weekly("zh", 0, time(9))),
    ("订阅周报 每周日9点", weekly("zh", 6, time(9))),
    ("订阅周报 星期一9点", weekly("zh", 0, time(9))),
    ("订阅周报 礼拜五下午5点", weekly("zh", 4, time(17))),
    ("订阅周报 每周一九点", weekly("zh", 0, time(9))),
    ("订阅周报 每周一十点", weekly("zh", 0, time(10))),
    ("订阅周报 周一十一点", weekly("zh", 0, time(11))),
    ("订阅周报 每周二两点", weekly("zh", 1, time(14))),
    ("订阅周报 十点", weekly("zh", None, time(10))),
    ("订阅5楼未签到周报", weekly("zh", None, None, F5, NS)),
    ("每周订阅一次报告", weekly("zh")),
    ("订阅日报", Subscribe("zh", BOTH, None, TENANT)),
    ("订阅日报，每天早上9点", Subscribe("zh", BOTH, time(9), TENANT)),
    ("取消周报", Unsubscribe("zh", None, "weekly")),
    ("退订周报", Unsubscribe("zh", None, "weekly")),
    ("取消5楼的周报订阅", Unsubscribe("zh", F5, "weekly")),
    ("退订日报", Unsubscribe("zh", None, "daily")),
    ("取消订阅", Unsubscribe("zh", None, None)),
]


@pytest.mark.parametrize(("text", "expected"), ROWS)
def test_weekly_digest_phrases(text: str, expected: Any) -> None:
    assert parse(text, NOW, DIRECTORY) == expected


def test_a_report_word_alone_is_still_a_report() -> None:
    assert isinstance(parse("周报", NOW, DIRECTORY), Report)
    assert isinstance(parse("weekly report", NOW, DIRECTORY), Report)
