"""POST meeting_room/instance/reply through lark-oapi's raw request: single instances, whole series, 105003."""
from __future__ import annotations

import time
from datetime import datetime, timedelta

import lark_oapi as lark
from sandbox_calendar_helpers import book, client, free_slot, freebusy, instance_reply, uid_of
from sandbox_helpers import NOW, SH, get

from bot.sandbox import Sandbox
from bot.sandbox.bookings import Booking
from bot.sandbox.directory import Series
from bot.sandbox.shown import shown_at
from bot.sandbox.wire import feishu_time

MIDNIGHT = datetime(2025, 3, 4, tzinfo=SH)  # the Tuesday of NOW
NOW_TS = int(NOW.timestamp())


def later_series(sb: Sandbox) -> tuple[str, Series]:
    """A room whose weekday series meets after NOW."""
    return next((room, s) for room, s in sb.calendar.recurring_series().items()
                if s.start_minute * 60 > NOW_TS - MIDNIGHT.timestamp())


def running_series_instance(sb: Sandbox) -> Booking:
    """Today's instance of a series that is in progress at NOW and not released yet."""
    return next(b for room, s in sb.calendar.recurring_series().items()
                for b in sb.tenant.bookings(NOW, NOW, [room])
                if b.uid == s.uid and not shown_at(b, NOW_TS).release_at)


def reservation_rows(sb: Sandbox, room_id: str) -> list[dict[str, str]]:
    reply = get(sb, "/open-apis/vc/v1/resource_reservation_list", {
        "room_level_id": "0", "room_ids": [room_id], "start_time": int(MIDNIGHT.timestamp()),
        "end_time": int((MIDNIGHT + timedelta(days=1)).timestamp())})
    return reply.json()["data"]["room_reservation_list"]


def test_series_instances_share_a_uid_with_original_time_0(fixed: Sandbox) -> None:
    room, series = later_series(fixed)
    items = [i for i in freebusy(fixed, room, MIDNIGHT, MIDNIGHT + timedelta(days=4)) if i["uid"] == series.uid]
    assert len(items) == 4 and {i["original_time"] for i in items} == {0}


def test_instance_start_answers_only_that_instance(fixed: Sandbox) -> None:
    room, series = later_series(fixed)
    week = MIDNIGHT, MIDNIGHT + timedelta(days=4)
    wednesday = next(i for i in freebusy(fixed, room, *week)
                     if i["uid"] == series.uid and i["start_time"].startswith("2025-03-05"))
    original_time = int(datetime.fromisoformat(wednesday["start_time"]).timestamp())
    assert instance_reply(fixed, room, series.uid, original_time, "ENDED_BEFORE_DUE")[:2] == (200, 0)
    left = [i["start_time"][:10] for i in freebusy(fixed, room, *week) if i["uid"] == series.uid]
    assert left == ["2025-03-04", "2025-03-06", "2025-03-07"]


def test_original_time_0_on_a_series_answers_every_instance(fixed: Sandbox) -> None:
    room, series = later_series(fixed)
    status, code, body = instance_reply(fixed, room, series.uid, 0, "ENDED_BEFORE_DUE")
    assert (status, code, body) == (200, 0, {"code": 0, "msg": "success"})
    assert not [i for i in freebusy(fixed, room, MIDNIGHT, MIDNIGHT + timedelta(days=10)) if i["uid"] == series.uid]
    monday = MIDNIGHT - timedelta(days=1)
    assert [i for i in freebusy(fixed, room, monday, MIDNIGHT) if i["uid"] == series.uid], "past instances stay"


def test_ending_a_running_instance_shows_the_release_time(fixed: Sandbox) -> None:
    running = running_series_instance(fixed)
    reply = instance_reply(fixed, running.room_id, running.uid, running.start, "ENDED_BEFORE_DUE")
    assert reply[:2] == (200, 0)
    item = next(i for i in freebusy(fixed, running.room_id, MIDNIGHT, MIDNIGHT + timedelta(days=1))
                if i["uid"] == running.uid and i["start_time"].startswith("2025-03-04"))
    assert item["end_time"] == NOW.isoformat()
    row = next(r for r in reservation_rows(fixed, running.room_id)
               if r["event_start_time"] == feishu_time(datetime.fromtimestamp(running.start, SH)))
    assert (row["reservation_status"], row["releasing_time"]) == ("已释放（手动释放）", feishu_time(NOW))
    assert row["releasing_person"] == fixed.tenant.directory.bot_name


def test_a_wrong_original_time_and_the_stale_knob_answer_105003(fixed: Sandbox) -> None:
    room, series = later_series(fixed)
    assert instance_reply(fixed, room, series.uid, NOW_TS + 61, "NOT_CHECK_IN")[:2] == (400, 105003)
    fixed.calendar.stale_original_time()
    assert instance_reply(fixed, room, series.uid, 0, "NOT_CHECK_IN")[:2] == (400, 105003)
    assert instance_reply(fixed, room, series.uid, 0, "NOT_CHECK_IN")[:2] == (200, 0)
    assert len(fixed.calendar.instance_replies) == 1


def test_bad_requests_answer_10003(fixed: Sandbox) -> None:
    room, series = later_series(fixed)
    for room_id, uid, status in ((room, series.uid, "RELEASED"), ("omm_unknown", series.uid, "NOT_CHECK_IN"),
                                 (room, "no-such-uid", "NOT_CHECK_IN")):
        assert instance_reply(fixed, room_id, uid, 0, status)[:2] == (400, 10003)


def test_not_check_in_on_an_added_booking(fixed: Sandbox) -> None:
    room = fixed.calendar.open_rooms()[0]
    organizer = fixed.tenant.users[2]
    uid = fixed.calendar.add_booking(room, NOW - timedelta(minutes=5), NOW + timedelta(minutes=25), organizer.open_id)
    before = next(i for i in freebusy(fixed, room, NOW, NOW + timedelta(hours=1)) if i["uid"] == uid)
    assert before["organizer_info"] == {"name": organizer.name, "open_id": organizer.open_id}
    assert next(r for r in reservation_rows(fixed, room) if r["reserver"] == organizer.name and
                r["event_start_time"] == feishu_time(NOW - timedelta(minutes=5)))["room_check_in_status"] == "签到时间未结束"
    assert instance_reply(fixed, room, uid, 0, "NOT_CHECK_IN")[:2] == (200, 0)
    assert not [i for i in freebusy(fixed, room, NOW, NOW + timedelta(hours=1)) if i["uid"] == uid]
    row = next(r for r in reservation_rows(fixed, room) if r["event_start_time"] == feishu_time(NOW - timedelta(minutes=5)))
    assert (row["reservation_status"], row["room_check_in_status"]) == ("已释放（未签到被释放）", "超时未签到")


def test_added_booking_checked_in_stays_booked(fixed: Sandbox) -> None:
    room = fixed.calendar.open_rooms()[1]
    start = NOW + timedelta(hours=5)
    uid = fixed.calendar.add_booking(room, start, start + timedelta(minutes=30), fixed.tenant.users[3].open_id)
    fixed.calendar.check_in(uid, start + timedelta(minutes=2))
    booking = fixed.calendar.bookings(uid)[0]
    assert shown_at(booking, int(start.timestamp()) + 600).check_in_status == "已签到"
    assert shown_at(booking, int(start.timestamp()) + 3600).reservation_status == "预定成功"


def test_ending_the_apps_booking_early(cal: Sandbox) -> None:
    first = NOW.replace(minute=15)
    room, (start, end) = next((r, slot) for r in cal.calendar.open_rooms()
                              if (slot := free_slot(cal, r, 30, first=first))[0] == first)
    event_id, status = book(cal, room, start, end, cal.tenant.users[0].open_id)
    assert status == "accept"
    assert instance_reply(cal, room, uid_of(event_id), 0, "ENDED_BEFORE_DUE")[:2] == (200, 0)
    item = next(i for i in freebusy(cal, room, start, end) if i["uid"] == uid_of(event_id))
    assert item["end_time"] == NOW.isoformat()


def test_a_lost_answer_still_ends_the_instance_and_a_stalled_one_comes_late(fixed: Sandbox) -> None:
    """The fault kinds that fail the answer, not the call: "lost_response" (a 504 page) and
    "stalled_response" (held for faults.stall_seconds); either way Feishu did end the instance."""
    running = running_series_instance(fixed)
    fixed.faults.inject("/instance/reply", "lost_response")
    request = (lark.BaseRequest.builder().http_method(lark.HttpMethod.POST)
               .uri("/open-apis/meeting_room/instance/reply").token_types({lark.AccessTokenType.TENANT})
               .body({"room_id": running.room_id, "uid": running.uid, "original_time": running.start,
                      "status": "ENDED_BEFORE_DUE"}).build())
    reply = client(fixed).request(request)
    assert reply.raw.status_code == 504 and b"Gateway Time-out" in reply.raw.content
    assert [(r.room_id, r.uid) for r in fixed.calendar.instance_replies] == [(running.room_id, running.uid)]
    item = next(i for i in freebusy(fixed, running.room_id, MIDNIGHT, MIDNIGHT + timedelta(days=1))
                if i["uid"] == running.uid and i["start_time"].startswith("2025-03-04"))
    assert item["end_time"] == NOW.isoformat()  # ended, though the caller never heard
    fixed.faults.stall_seconds = 0.3
    fixed.faults.inject("/instance/reply", "stalled_response")
    began = time.monotonic()
    assert instance_reply(fixed, running.room_id, running.uid, running.start, "ENDED_BEFORE_DUE")[:2] == (200, 0)
    assert time.monotonic() - began >= 0.3
