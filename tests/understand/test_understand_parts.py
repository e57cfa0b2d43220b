"""The parser's parts: normalisation, time phrases and labels, describe(), robustness."""
from __future__ import annotations

import json
import random
import subprocess
import sys
from dataclasses import replace
from datetime import time

import pytest
from understand_fixtures import JUPITER, NOW, OSLO, make_directory, span

from bot.queries import BadTime, FindFree, Help, IsFree, Subscribe, WhoBooked
from bot.understand import describe, kind_of, parse
from bot.understand.normalise import cn_to_int, normalise
from bot.understand.spelling import correct
from bot.understand.when import extract, resolve

DIRECTORY = make_directory()


@pytest.mark.parametrize(("numeral", "value"), [
    ("一", 1), ("两", 2), ("十", 10), ("十一", 11), ("二十五", 25), ("一百二十", 120), ("三十", 30),
])
def test_chinese_numerals(numeral: str, value: int) -> None:
    assert cn_to_int(numeral) == value


@pytest.mark.parametrize(("text", "expected"), [
    ("明天上午十点到十一点", "明天上午10点到11点"),
    ("能坐十个人", "能坐10个人"),
    ("两小时", "2小时"),
    ("五楼", "5楼"),
    ("周三 星期日", "周3 星期7"),
    ("周一9点", "周1 9点"),  # not "周19点"
    ("每周一九点", "每周1 9点"),  # not "每周19点"
    ("星期三十点半", "星期3 10点半"),
    ("Ｒｏｏｍ　Ａ？", "room a?"),
    ("看一下", "看一下"),  # not a counted numeral
])
def test_normalise(text: str, expected: str) -> None:
    assert normalise(text) == expected


@pytest.mark.parametrize(("text", "label"), [
    ("is Oslo free tomorrow at 3pm", "tomorrow 3pm"),
    ("木星明天下午两点有空吗", "明天 下午 2点"),
    ("who booked Oslo", "today"),
    ("谁订了木星", "今天"),
    ("is Oslo free", "now"),
    ("no-shows", "yesterday"),
    ("昨天谁没签到", "昨天"),
])
def test_window_labels(text: str, label: str) -> None:
    query = parse(text, NOW, DIRECTORY)
    assert query.window.label == label


def test_slot_minutes_is_a_parameter() -> None:
    query = parse("is Oslo free at 3", NOW, DIRECTORY, slot_minutes=60)
    assert isinstance(query, IsFree) and query.place == OSLO
    assert (query.window.start, query.window.end) == (span(17, 15, 0, 16, 0).start, span(17, 15, 0, 16, 0).end)


def test_resolve_defaults_per_question_kind() -> None:
    spec, _ = extract("")
    assert resolve(spec, NOW, "who", "en").whole_day  # type: ignore[union-attr]
    assert resolve(spec, NOW, "free", "en").start == NOW.replace(second=0)  # type: ignore[union-attr]
    assert resolve(spec, NOW, "report", "en").start.day == 16  # type: ignore[union-attr]


def test_far_dates_are_refused() -> None:
    assert parse("who booked Oslo on 2030-01-01", NOW, DIRECTORY) == BadTime(
        "en", "2030-01-01", "too_far")


def test_too_long_durations_are_refused() -> None:
    query = parse("is Oslo free for 30 hours", NOW, DIRECTORY)
    assert isinstance(query, BadTime) and query.reason == "duration_too_long"


def test_describe_is_json_ready() -> None:
    choose = parse("is Sun free at 4", NOW, DIRECTORY)
    data = describe(choose)
    assert data["kind"] == "choose_room"
    assert data["question"]["kind"] == "is_free"
    assert data["question"]["window"]["start"] == "2026-11-17T16:00+08:00"
    assert [o["label"] for o in data["options"]] == ["Sun 1", "Sun 2"]
    json.dumps(data)
    sub = describe(Subscribe("en", ("no_shows",), time(9, 30)))
    assert sub["at"] == "09:30" and sub["kinds"] == ["no_shows"] and sub["place"]["kind"] == "tenant"
    assert kind_of(FindFree("en", span(17, 1, 0, 2, 0))) == "find_free"


def test_describe_every_kind() -> None:
    for text in ("who booked Oslo", "is Oslo free", "find a room for 4", "no-shows", "subscribe",
                 "unsubscribe", "subscriptions", "help", "is Sun free", "who booked Narnia",
                 "who booked Oslo at 25:00"):
        json.dumps(describe(parse(text, NOW, DIRECTORY)))


def test_language_follows_cjk_characters() -> None:
    assert parse("Jupiter 现在有空吗", NOW, DIRECTORY).lang == "zh"
    assert parse("is jupiter free", NOW, DIRECTORY) == IsFree("en", JUPITER, parse(
        "is jupiter free", NOW, DIRECTORY).window)  # type: ignore[union-attr]


def test_parse_never_raises_on_noise() -> None:
    rng = random.Random(11)
    alphabet = "abcxyz 0123456789:-/?!点号月周楼人谁空吗今明上下午🙂Ｆｆ"
    for _ in range(400):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        query = parse(text, NOW, DIRECTORY)
        assert query.lang in ("en", "zh")
        json.dumps(describe(query))


def test_parse_is_pure() -> None:
    first = parse("明天上午十点到十一点木星有人吗", NOW, DIRECTORY)
    assert parse("明天上午十点到十一点木星有人吗", NOW, DIRECTORY) == first
    assert isinstance(parse("hi", NOW, DIRECTORY), Help)
    assert isinstance(parse("who booked Oslo", NOW, DIRECTORY), WhoBooked)


@pytest.mark.parametrize(("text", "expected"), [
    ("Mù Xīng", "mu xing"),
    ("qing1cheng2shan1", "qingchengshan"),
    ("in two hours for three people", "in 2 hours for 3 people"),
    ("at four thirty", "at 4:30"),
    ("three o'clock", "3 o'clock"),
    ("Room One", "room one"),  # a number word only counts before a unit or after "at", "in" ...
    ("三点四十五", "3点45"),
    ("十点过五分", "10点过5分"),
    ("二十分钟后", "20分钟后"),
    ("有没有大一点的会议室", "有没有大一点的会议室"),  # "a bit bigger", not one o'clock
])
def test_normalise_numbers_and_accents(text: str, expected: str) -> None:
    assert normalise(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("who bookd Oslo", "who booked oslo"),
    ("is romo a frwe", "is room a free"),
    ("hwo has mercry", "who has mercury"),
    ("jup fre now", "jup free now"),  # "jup" starts a name: left alone
    ("who booked saturn", "who booked saturn"),  # not "turn": a typo keeps its first letter
    ("谁定了木星", "谁订了木星"),
    ("木星有空麻", "木星有空吗"),
    ("昨天谁没签道", "昨天谁没签到"),
    ("青城山有空吗", "青城山有空吗"),
])
def test_spelling(text: str, expected: str) -> None:
    assert correct(normalise(text), DIRECTORY.names) == expected


@pytest.mark.parametrize(("text", "label"), [
    ("is Oslo free in 45 minutes", "in 45 minutes"),
    ("木星二十分钟后有空吗", "20分钟后"),
    ("is Oslo free this weekend", "this weekend"),
    ("is Oslo free at 1630", "1630"),
])
def test_new_window_labels(text: str, label: str) -> None:
    assert parse(text, NOW, DIRECTORY).window.label == label  # type: ignore[union-attr]


def test_relative_starts_use_the_slot_length() -> None:
    query = parse("is Oslo free in 45 minutes", NOW, DIRECTORY, slot_minutes=60)
    assert query == IsFree("en", OSLO, replace(span(17, 11, 5, 12, 5), label="in 45 minutes"))


def test_importing_the_parser_does_not_load_pypinyin() -> None:
    code = "import sys, bot.understand; print('pypinyin' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
