"""The daily digest names every incident of a small hand-built day: 40 rooms, 5 no-shows in 4 rooms
by 5 people, 3 early releases; worst first, privacy respected, "and N more" past 20 rows."""
from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.answer import AnswerContext
from bot.answer.digest import answer_digest, day_data, digest_query, room_counts
from bot.config import FeishuSettings, PrivacySettings, Settings
from bot.directory.tree import Directory
from bot.feishu.models import Reservation, Room, RoomLevel
from bot.insights.outcomes import (
    RELEASED_BY_SENSOR,
    RELEASED_MANUALLY,
    RELEASED_NO_CHECK_IN,
    TIMED_OUT,
)
from bot.queries import TENANT
from bot.render.cards import render
from bot.render.text import card_to_text

TZ = ZoneInfo("Asia/Shanghai")
DAY = date(2025, 11, 17)
NOW = datetime(2025, 11, 18, 9, 0, tzinfo=TZ)
ROOT = RoomLevel("omb_root", "Tenant", "")
LEVELS = [ROOT, RoomLevel("omb_t2", "T2", "omb_root"), RoomLevel("omb_3f", "3F", "omb_t2"),
          RoomLevel("omb_4f", "4F", "omb_t2")]
ROOMS = [Room(f"omm_{n:02d}", f"Room {n:02d}", 8, "omb_3f" if n < 20 else "omb_4f")
         for n in range(40)]
DIRECTORY = Directory(ROOMS, LEVELS, "omb_root")

# (room, start, end, reserver, department): 5 no-shows in 4 rooms by 5 people
NO_SHOWS = [(3, "09:00", "10:00", "王小明", "研发部"), (3, "14:00", "16:30", "Alice Chen", "Sales"),
            (11, "10:00", "10:30", "李雷", "市场部"), (22, "13:00", "15:00", "Bob Stone", "Legal"),
            (35, "16:00", "17:00", "韩梅梅", "财务部")]
# (room, start, end, reserver, released at, releaser or "" for the sensor)
RELEASES = [(5, "09:00", "11:00", "Carol Wu", "09:40", "Carol Wu"),
            (24, "15:00", "16:00", "赵六", "15:50", ""),
            (30, "10:00", "12:00", "Dan Park", "10:15", "Dan Park")]


def at(clock: str, day: date = DAY) -> datetime:
    return datetime.combine(day, time.fromisoformat(clock), TZ)


def booking(room: int, start: str, end: str, who: str, dept: str = "研发部", *,
            status: str = "预定成功", check_in: str = "已签到", released: str = "",
            releaser: str = "", day: date = DAY) -> Reservation:
    return Reservation(
        room_id=ROOMS[room].room_id, room_name=ROOMS[room].name, reserver=who, reserver_id="",
        department=dept, start=at(start, day), end=at(end, day),
        duration=at(end, day) - at(start, day), reservation_status=status, check_in_status=check_in,
        release_time=at(released, day) if released else None, releaser=releaser)


def day_rows(day: date = DAY) -> list[Reservation]:
    """A quiet checked-in booking in every room, plus the incidents."""
    rows = [booking(n, "11:00", "12:00", f"Person {n}", day=day) for n in range(40)]
    for room, start, end, who, dept in NO_SHOWS:
        rows.append(booking(room, start, end, who, dept, check_in=TIMED_OUT, day=day))
    for room, start, end, who, released, by in RELEASES:
        status = RELEASED_MANUALLY if by else RELEASED_BY_SENSOR
        rows.append(booking(room, start, end, who, status=status, released=released, releaser=by,
                            day=day))
    return rows


def digest_card(names: str = "all", chat_type: str = "group", rows: list[Reservation] | None = None,
                before: dict[str, Any] | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    settings = Settings(FeishuSettings("cli_test", "secret"),
                        privacy=PrivacySettings(reserver_names=names))
    ctx = AnswerContext(gateway=None, directory=DIRECTORY, settings=settings, now=NOW,  # type: ignore[arg-type]
                        chat_type=chat_type)
    allowed = names == "all" or (names == "dm_only" and chat_type == "p2p")
    query = digest_query("en", TENANT, DAY, ("no_shows", "early_releases"), allowed)
    reply = answer_digest(query, ctx, day_data(DAY, rows or day_rows(), TZ, before))
    return reply.data, render(reply)


def test_the_digest_names_every_no_show_and_early_release() -> None:
    data, card = digest_card()
    text = str(card_to_text(card))
    body = json.dumps(card, ensure_ascii=False)
    assert "5 no-shows" in body and "3 early releases" in body
    for room, start, end, who, dept in NO_SHOWS:
        assert who in body and dept in body and ROOMS[room].name in body
        assert f"{start}–{end}" in body
    for room, start, end, who, released, by in RELEASES:
        assert ROOMS[room].name in body and f"{start}–{end}" in body and released in body
        if by:
            assert by in body
    assert "T2 · 3F" in body and "T2 · 4F" in body  # where each no-show was
    assert [r["who"] for r in data["no_show_rows"]] == [
        "Alice Chen", "Bob Stone", "王小明", "韩梅梅", "李雷"]  # longest booking first
    assert [(r["room"], r["minutes"]) for r in data["release_rows"]] == [
        ("Room 30", 105), ("Room 05", 80), ("Room 24", 10)]  # most time given back first
    assert data["release_rows"][2]["by"] == "" and "(sensor)" in body
    assert data["incidents_more"] == 0 and "more:" not in text
    assert "Details" in body


def test_change_versus_the_day_before_from_remembered_counts_equals_from_rows() -> None:
    yesterday = DAY - timedelta(days=1)
    quiet = [booking(n, "11:00", "12:00", f"Person {n}", day=yesterday) for n in range(40)]
    quiet.append(booking(7, "09:00", "10:00", "王小明", check_in=TIMED_OUT, day=yesterday))
    from_rows, _ = digest_card(rows=quiet + day_rows())
    remembered, _ = digest_card(before=room_counts(quiet))
    assert from_rows["change"] == remembered["change"] == {
        "no_shows": 4, "early_releases": 3, "reclaimed_hours": remembered["change"]["reclaimed_hours"]}
    assert from_rows["previous"] == remembered["previous"]


@pytest.mark.parametrize(("mode", "chat_type", "shown"), [
    ("all", "group", True), ("dm_only", "group", False), ("dm_only", "p2p", True),
    ("counts_only", "p2p", False)])
def test_names_follow_the_privacy_setting(mode: str, chat_type: str, shown: bool) -> None:
    data, card = digest_card(mode, chat_type)
    body = json.dumps(card, ensure_ascii=False)
    people = [who for _, _, _, who, _ in NO_SHOWS] + ["Carol Wu", "Dan Park"]
    assert all(who in body for who in people) == shown
    assert any(who in body for who in people) == shown
    assert len(data["no_show_rows"]) == 5 and len(data["release_rows"]) == 3  # rooms and times stay
    assert ("Names are hidden" in body) == (not shown)


def test_past_twenty_incidents_the_card_says_how_many_more() -> None:
    rows = day_rows()
    rows += [booking(n % 40, "17:00", "17:30", f"Late {n}", check_in=RELEASED_NO_CHECK_IN and TIMED_OUT)
             for n in range(25)]
    data, card = digest_card(rows=rows)
    assert len(data["no_show_rows"]) + len(data["release_rows"]) == 20
    assert len(data["release_rows"]) == 3  # early releases are not crowded out by no-shows
    assert data["incidents_more"] == 30 + 3 - 20
    assert "and 13 more" in json.dumps(card)
