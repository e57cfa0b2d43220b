"""Pure parsing of Feishu wire values: times, durations, rows, day chunks."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.feishu.gateway import day_chunks
from bot.feishu.parsing import (
    busy_from_dict,
    level_from_dict,
    parse_duration,
    parse_feishu_time,
    parse_rfc3339,
    reservation_from_dict,
    reservation_key,
    room_from_dict,
)

SH = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize("text, expected", [
    ("2022.12.17 21:00:00 (GMT+08:00)", datetime(2022, 12, 17, 21, 0, tzinfo=SH)),
    ("2022.12.17 21:00:00 (GMT+8)", datetime(2022, 12, 17, 21, 0, tzinfo=SH)),
    ("2022.12.17 21:00:00 (UTC+08:00)", datetime(2022, 12, 17, 21, 0, tzinfo=SH)),
    ("2022.12.17 13:00:00 (GMT+00:00)", datetime(2022, 12, 17, 21, 0, tzinfo=SH)),
    ("2022.12.17 08:00:00 (GMT-05:00)", datetime(2022, 12, 17, 21, 0, tzinfo=SH)),
    ("2022.12.17 18:30:00 (GMT+05:30)", datetime(2022, 12, 17, 21, 0, tzinfo=SH)),
    ("2022.12.17 21:00:00 （GMT+08:00）", datetime(2022, 12, 17, 21, 0, tzinfo=SH)),
    ("2022.12.17 21:00:00", datetime(2022, 12, 17, 21, 0, tzinfo=SH)),
    ("2022-12-17 21:00", datetime(2022, 12, 17, 21, 0, tzinfo=SH)),
    ("2022.1.7 9:05:03 (GMT+08:00)", datetime(2022, 1, 7, 9, 5, 3, tzinfo=SH)),
])
def test_feishu_time_is_aware_in_tenant_tz(text: str, expected: datetime) -> None:
    parsed = parse_feishu_time(text, SH)
    assert parsed == expected
    assert parsed is not None and parsed.tzinfo is SH


@given(st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2100, 1, 1)),
       st.integers(min_value=-12 * 60, max_value=14 * 60))
def test_documented_time_read_by_position_equals_the_general_reader(
        naive: datetime, offset_minutes: int) -> None:
    # the fast path (exact documented spelling) and the regular expression must agree
    sign = "+" if offset_minutes >= 0 else "-"
    hours, minutes = divmod(abs(offset_minutes), 60)
    stamp = naive.replace(microsecond=0).strftime("%Y.%m.%d %H:%M:%S")
    exact = f"{stamp} (GMT{sign}{hours:02d}:{minutes:02d})"
    loose = f"{stamp} (GMT{sign}{hours}:{minutes:02d}) "  # a trailing space: the general reader
    assert len(exact) == 31
    assert parse_feishu_time(exact, SH) == parse_feishu_time(loose, SH)


@pytest.mark.parametrize("text", ["2022.13.17 21:00:00 (GMT+08:00)", "2022.12.17 2a:00:00 (GMT+08:00)",
                                  "2022.12.17 21:00:00 (GMT*08:00)"])
def test_documented_spelling_with_bad_fields_still_raises(text: str) -> None:
    with pytest.raises(ValueError):
        parse_feishu_time(text, SH)


@pytest.mark.parametrize("text", ["", "   ", None])
def test_empty_time_is_none(text: str | None) -> None:
    assert parse_feishu_time(text, SH) is None


@pytest.mark.parametrize("text", ["yesterday", "2022.12.17", "21:00:00 (GMT+08:00)"])
def test_garbage_time_raises(text: str) -> None:
    with pytest.raises(ValueError):
        parse_feishu_time(text, SH)


@pytest.mark.parametrize("text, expected", [
    ("1:00:00", timedelta(hours=1)),
    ("01:00:00", timedelta(hours=1)),
    ("0:45:00", timedelta(minutes=45)),
    ("0:45", timedelta(minutes=45)),
    ("25:30:15", timedelta(hours=25, minutes=30, seconds=15)),
    ("1 day, 2:00:00", timedelta(days=1, hours=2)),
    ("1天2:00:00", timedelta(days=1, hours=2)),
    ("", None),
])
def test_duration(text: str, expected: timedelta | None) -> None:
    assert parse_duration(text) == expected


def test_rfc3339_to_tenant_tz() -> None:
    assert parse_rfc3339("2019-09-04T01:00:00Z", SH) == datetime(2019, 9, 4, 9, 0, tzinfo=SH)
    assert parse_rfc3339("2019-09-04T09:00:00+08:00", SH).tzinfo is SH


DOC_ROW = {  # the example of 查询会议室预定数据
    "room_id": "omm_4de32cf10a4358788ff4e09e37ebbf9b", "room_name": "VIP Meeting Room",
    "event_title": "飞书邀请的日程", "reserver": "kehan",
    "reserver_user_id": "ou_1234567(UserID);cli_123123(BotID)",
    "department_of_reserver": "development", "guests_number": "5", "accepted_number": "2",
    "event_start_time": "2022.12.17 21:00:00 (GMT+08:00)",
    "event_end_time": "2022.12.17 22:00:00 (GMT+08:00)", "event_duration": "1:00:00",
    "reservation_status": "预定成功", "check_in_device": "签到板", "room_check_in_status": "已签到",
    "check_in_time": "2022.12.09 13:35:30 (GMT+08:00)", "is_release_early": "已释放（手动释放）",
    "releasing_person": "kehan", "releasing_time": "2022.12.20 11:25:15 (GMT+08:00)",
}


def test_reservation_from_doc_example() -> None:
    row = reservation_from_dict(DOC_ROW, SH)
    assert row.room_id == "omm_4de32cf10a4358788ff4e09e37ebbf9b"
    assert (row.start, row.end) == (datetime(2022, 12, 17, 21, tzinfo=SH),
                                    datetime(2022, 12, 17, 22, tzinfo=SH))
    assert row.duration == timedelta(hours=1)
    assert (row.guests, row.accepted, row.topic) == (5, 2, "飞书邀请的日程")
    assert row.check_in_time == datetime(2022, 12, 9, 13, 35, 30, tzinfo=SH)
    assert row.release_time == datetime(2022, 12, 20, 11, 25, 15, tzinfo=SH)
    assert (row.release_early, row.releaser) == ("已释放（手动释放）", "kehan")


def test_reservation_with_empty_optional_fields() -> None:
    data = dict(DOC_ROW, check_in_time="", releasing_time="", event_duration="",
                guests_number="", event_title=None)
    row = reservation_from_dict(data, SH)
    assert row.check_in_time is None and row.release_time is None
    assert row.duration == timedelta(hours=1)  # end - start when the duration is empty
    assert row.guests == 0 and row.topic == ""


def test_reservation_key_ignores_status_changes() -> None:
    a = reservation_from_dict(DOC_ROW, SH)
    b = reservation_from_dict(dict(DOC_ROW, room_check_in_status="待签到"), SH)
    assert reservation_key(a) == reservation_key(b)


def test_room_and_level_from_sdk_shapes() -> None:
    room = room_from_dict({"room_id": "omm_1", "name": "Mercury", "capacity": 6,
                           "room_level_id": "omb_4f", "path": ["omb_root", "omb_t2"],
                           "display_id": "LM1", "room_status": {"status": False}})
    assert room.path == ("omb_root", "omb_t2") and room.enabled is False and room.capacity == 6
    level = level_from_dict({"room_level_id": "omb_4f", "name": "4F", "parent_id": "omb_t2",
                             "path": ["omb_root", "omb_t2"], "has_child": False})
    assert level.parent_id == "omb_t2" and level.path == ("omb_root", "omb_t2")


def test_busy_without_organizer_is_private() -> None:
    busy = busy_from_dict("omm_1", {"start_time": "2019-09-04T09:00:00+08:00",
                                    "end_time": "2019-09-04T09:30:00+08:00", "uid": "u",
                                    "original_time": 0}, SH)
    assert busy.organizer_open_id == "" and busy.end - busy.start == timedelta(minutes=30)


NOW = datetime(2024, 5, 14, 10, 20, tzinfo=SH)
MIDNIGHT = datetime(2024, 5, 14, tzinfo=SH)


def test_three_days_in_the_past_give_three_chunks() -> None:
    start = MIDNIGHT - timedelta(days=3)
    chunks = day_chunks(start, MIDNIGHT, NOW)
    assert [c[0] for c in chunks] == [start + timedelta(days=i) for i in range(3)]
    assert all(c[1] - c[0] == timedelta(days=1) for c in chunks)


def test_window_ending_in_future_keeps_only_chunks_starting_by_now() -> None:
    chunks = day_chunks(MIDNIGHT - timedelta(days=1), MIDNIGHT + timedelta(days=2), NOW)
    assert chunks == [(MIDNIGHT - timedelta(days=1), MIDNIGHT),
                      (MIDNIGHT, MIDNIGHT + timedelta(days=1))]


def test_window_starting_in_future_gives_no_chunk() -> None:
    assert day_chunks(NOW + timedelta(minutes=1), NOW + timedelta(hours=2), NOW) == []


def test_short_window_is_one_chunk_and_utc_input_is_fine() -> None:
    start = MIDNIGHT.astimezone(UTC)
    assert day_chunks(start, start + timedelta(hours=5), NOW) == [(start, start + timedelta(hours=5))]
