"""Reservation list and free/busy through the real SDK against the sandbox."""
from __future__ import annotations

from datetime import datetime, timedelta

from feishu_helpers import NOW, SH

from bot.feishu.gateway import FeishuGateway
from bot.feishu.models import Reservation
from bot.sandbox import Sandbox

LIST = "/open-apis/vc/v1/resource_reservation_list"
FREEBUSY = "/open-apis/meeting_room/freebusy/batch_get"
MIDNIGHT = datetime(2024, 5, 14, tzinfo=SH)


def keys(rows: list[Reservation]) -> set[tuple[str, datetime, str, str]]:
    return {(r.room_id, r.start, r.reserver, r.reservation_status) for r in rows}


def floor_rooms(sb: Sandbox, floor: str = "4F") -> list[str]:
    level = sb.tenant.level_by_name(floor, "T2")
    assert level is not None
    return [r.room_id for r in sb.tenant.rooms if r.level_id == level.level_id]


def list_calls(sb: Sandbox, mark: int) -> list[dict[str, list[str]]]:
    return [c.query for c in sb.calls[mark:] if c.path == LIST]


def test_three_days_are_three_calls(sb: Sandbox, gw: FeishuGateway) -> None:
    room_ids = floor_rooms(sb)
    start = MIDNIGHT - timedelta(days=3)
    mark = len(sb.calls)
    rows = gw.reservations("0", start, MIDNIGHT, room_ids=room_ids)
    calls = list_calls(sb, mark)
    assert len(calls) == 3 and gw.calls.by_path[LIST] == 3
    windows = sorted((int(q["start_time"][0]), int(q["end_time"][0])) for q in calls)
    assert windows == [(int((start + timedelta(days=i)).timestamp()),
                        int((start + timedelta(days=i + 1)).timestamp())) for i in range(3)]
    assert rows and keys(rows) == keys(sb.tenant.reservations(start, MIDNIGHT, set(room_ids)))
    assert len(rows) == len(keys(rows))  # a meeting across midnight is returned once
    assert all(r.start.tzinfo is not None for r in rows)


def test_whole_level_day_pages_past_100(sb: Sandbox, gw: FeishuGateway) -> None:
    yesterday = (MIDNIGHT - timedelta(days=1)).date()
    mark = len(sb.calls)
    rows = gw.reservations("0", MIDNIGHT - timedelta(days=1), MIDNIGHT)
    truth = sb.tenant.reservations_on(yesterday)
    assert len(truth) > 100, "the sandbox day should need more than one page"
    assert keys(rows) == keys(truth)
    calls = list_calls(sb, mark)
    assert len(calls) >= 2 and all(q["page_size"] == ["100"] for q in calls)
    assert all(q["is_exclude"][0].lower() == "true" for q in calls)


def test_window_ending_in_the_future_is_clipped(sb: Sandbox, gw: FeishuGateway) -> None:
    room_ids = floor_rooms(sb)
    start, end = MIDNIGHT - timedelta(days=1), MIDNIGHT + timedelta(days=2)
    mark = len(sb.calls)
    rows = gw.reservations("0", start, end, room_ids=room_ids)
    calls = list_calls(sb, mark)
    assert len(calls) == 2  # yesterday and today; tomorrow would start in the future
    assert all(int(q["start_time"][0]) <= int(NOW.timestamp()) for q in calls)
    assert all(c.code == 0 for c in sb.calls[mark:])
    truth = sb.tenant.reservations(start, MIDNIGHT + timedelta(days=1), set(room_ids))
    assert keys(rows) == keys(truth)


def test_window_starting_in_the_future_makes_no_call(sb: Sandbox, gw: FeishuGateway) -> None:
    mark = len(sb.calls)
    assert gw.reservations("0", NOW + timedelta(minutes=5), NOW + timedelta(hours=2)) == []
    assert sb.calls[mark:] == [] and gw.calls.total == 0


def test_topics_only_when_asked(sb: Sandbox, gw: FeishuGateway) -> None:
    room_ids = floor_rooms(sb)
    without = gw.reservations("0", MIDNIGHT - timedelta(days=1), MIDNIGHT, room_ids=room_ids)
    with_topic = gw.reservations("0", MIDNIGHT - timedelta(days=1), MIDNIGHT, room_ids=room_ids,
                                 need_topic=True)
    assert all(r.topic == "" for r in without)
    assert any(r.topic for r in with_topic)


def test_freebusy_45_rooms_in_3_calls(sb: Sandbox, gw: FeishuGateway) -> None:
    room_ids = [r.room_id for r in sb.tenant.rooms[:45]]
    start, end = NOW, NOW + timedelta(days=1)
    mark = len(sb.calls)
    busy = gw.freebusy(room_ids, start, end)
    calls = [c for c in sb.calls[mark:] if c.path == FREEBUSY]
    assert len(calls) == 3 and gw.calls.by_path[FREEBUSY] == 3
    assert sorted(len(c.query["room_ids"]) for c in calls) == [5, 20, 20]
    assert set(busy) == set(room_ids)
    for room_id in room_ids:
        assert busy[room_id] == sb.tenant.busy(room_id, start, end)
    assert any(busy.values())
