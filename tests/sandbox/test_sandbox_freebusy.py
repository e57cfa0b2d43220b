"""GET meeting_room/freebusy/batch_get through lark-oapi's raw request: shape, limits, consistency."""
from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import lark_oapi as lark
from sandbox_helpers import NOW, SH, client

from bot.sandbox import Sandbox
from bot.sandbox.shown import busy_span

PATH = "/open-apis/meeting_room/freebusy/batch_get"


def freebusy(sb: Sandbox, room_ids: list[str], start: datetime, end: datetime) -> tuple[int, int, Any]:
    queries = [("room_ids", r) for r in room_ids] + [("time_min", start.isoformat()), ("time_max", end.isoformat())]
    request = (lark.BaseRequest.builder().http_method(lark.HttpMethod.GET).uri(PATH)
               .token_types({lark.AccessTokenType.TENANT}).queries(queries).build())
    reply = client(sb).request(request)
    return reply.raw.status_code, reply.code, json.loads(reply.raw.content).get("data")


def test_map_keyed_by_every_known_room(fixed: Sandbox) -> None:
    ids = [r.room_id for r in fixed.tenant.rooms[:5]]
    status, code, data = freebusy(fixed, ids + ["omm_unknown"], NOW, NOW + timedelta(days=1))
    assert (status, code) == (200, 0)
    assert set(data["free_busy"]) == set(ids)
    assert data["time_min"] == NOW.isoformat()
    item = next(i for items in data["free_busy"].values() for i in items)
    assert set(item) >= {"start_time", "end_time", "uid", "original_time"}
    assert datetime.fromisoformat(item["start_time"]).utcoffset() == timedelta(hours=8)


def test_more_than_20_rooms_is_a_400(fixed: Sandbox) -> None:
    ids = [r.room_id for r in fixed.tenant.rooms[:21]]
    status, code, _ = freebusy(fixed, ids, NOW, NOW + timedelta(hours=1))
    assert (status, code) == (400, 10003)


def test_busy_matches_the_reservations_minus_released_time(fixed: Sandbox) -> None:
    start = datetime(2025, 3, 3, tzinfo=SH)
    end = start + timedelta(days=2)
    ids = [r.room_id for r in fixed.tenant.rooms[:20]]
    _, _, data = freebusy(fixed, ids, start, end)
    now = int(NOW.timestamp())
    for room_id in ids:
        expected = [busy_span(b, now) for b in fixed.tenant.bookings(start, end, [room_id])]
        got = [(int(datetime.fromisoformat(i["start_time"]).timestamp()),
                int(datetime.fromisoformat(i["end_time"]).timestamp())) for i in data["free_busy"][room_id]]
        assert got == [span for span in expected if span]
    spans = [(b, busy_span(b, now)) for b in fixed.tenant.bookings(start, NOW, ids)]
    released = [b for b, span in spans if span is None or span[1] < b.end]
    assert released, "some meetings were released early, so their tail is free"


def test_private_events_have_no_organizer(fixed: Sandbox) -> None:
    start = datetime(2025, 3, 3, tzinfo=SH)
    now = int(NOW.timestamp())
    bookings = [b for b in fixed.tenant.bookings(start, start + timedelta(days=1))
                if (busy_span(b, now) or (0, 0))[1] > start.timestamp()]
    private = next(b for b in bookings if b.private)
    public = next(b for b in bookings if not b.private)
    for booking, has_organizer in ((private, False), (public, True)):
        _, _, data = freebusy(fixed, [booking.room_id], start, start + timedelta(days=1))
        item = next(i for i in data["free_busy"][booking.room_id] if i["uid"] == booking.uid)
        assert ("organizer_info" in item) is has_organizer
    assert fixed.tenant.busy(public.room_id, start, start + timedelta(days=1))


def test_a_vacated_room_is_free_in_free_busy_and_the_list_and_keeps_added_bookings(fixed: Sandbox) -> None:
    start, end = NOW, NOW + timedelta(hours=1)
    ids = [r.room_id for r in fixed.tenant.rooms if r.enabled]
    room = next(r for r in ids if fixed.tenant.busy(r, start, end))  # 10:20 on a Tuesday: busy
    assert fixed.calendar.vacate(room, start, end) >= 1
    _, _, data = freebusy(fixed, [room], start, end)
    assert data["free_busy"][room] == []
    later = end + timedelta(hours=2)
    assert fixed.calendar.vacate(room, start, end) == 0  # gone for good, not generated again
    uid = fixed.calendar.add_booking(room, start, end, fixed.tenant.users[0].open_id)
    assert fixed.calendar.vacate(room, start, end) == 0  # a booking added here is not cancelled
    _, _, data = freebusy(fixed, [room], start, later)
    assert [i["uid"] for i in data["free_busy"][room] if i["start_time"] < end.isoformat()] == [uid]
    assert [r.room_id for r in fixed.tenant.reservations(start, end) if r.room_id == room]
