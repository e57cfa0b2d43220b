"""GET vc/v1/reserve_configs/reserve_scope through lark-oapi, and rooms declining what their rules forbid."""
from __future__ import annotations

from datetime import timedelta

from lark_oapi.api.vc.v1 import (
    ReserveScopeReserveConfigRequest,
    ReserveScopeReserveConfigResponseBody,
)
from sandbox_calendar_helpers import book, free_slot
from sandbox_helpers import NOW, client, get

from bot.sandbox import Sandbox
from bot.sandbox.reserve_rules import APPROVAL, NOT_ALLOWED, OUTSIDE_HOURS, TOO_FAR_AHEAD, TOO_LONG

PATH = "/open-apis/vc/v1/reserve_configs/reserve_scope"


def scope(sb: Sandbox, room_id: str) -> ReserveScopeReserveConfigResponseBody:
    request = ReserveScopeReserveConfigRequest.builder().scope_id(room_id).scope_type(2).user_id_type("open_id").build()
    reply = client(sb).vc.v1.reserve_config.reserve_scope(request)
    assert reply.success(), (reply.code, reply.msg)
    return reply.data


def reason(sb: Sandbox, event_id: str) -> str:
    return next(a.reason for a in sb.calendar.event(event_id).rooms())


def test_every_kind_of_room_exists(fixed: Sandbox) -> None:
    calendar = fixed.calendar
    assert len(calendar.open_rooms()) > 40
    assert calendar.rooms_needing_approval(0) and calendar.rooms_needing_approval(1)
    assert calendar.restricted_rooms() and calendar.narrow_window_rooms()
    assert fixed.tenant.room_by_name("Mercury").room_id in calendar.open_rooms()


def test_open_room_scope(fixed: Sandbox) -> None:
    data = scope(fixed, fixed.calendar.open_rooms()[0])
    assert (data.approve_config.approval_switch, data.time_config.time_switch) == (0, 0)
    assert (data.reserve_scope_config.allow_all_users, data.reserve_scope_config.allow_users) == (1, [])


def test_approval_room_scope(fixed: Sandbox) -> None:
    data = scope(fixed, fixed.calendar.rooms_needing_approval(1)[0])
    approve = data.approve_config
    assert (approve.approval_switch, approve.approval_condition, approve.meeting_duration) == (1, 1, 1.0)
    assert approve.approvers[0].user_id.startswith("ou_")


def test_restricted_room_scope(fixed: Sandbox) -> None:
    room = fixed.calendar.restricted_rooms()[0]
    config = scope(fixed, room).reserve_scope_config
    assert config.allow_all_users == 0
    assert [u.user_id for u in config.allow_users] == list(fixed.calendar.rules[room].allow_users)
    assert config.allow_depts[0].department_id.startswith("od-")


def test_narrow_room_scope_times_are_strings_as_in_the_doc(fixed: Sandbox) -> None:
    raw = get(fixed, PATH, {"scope_id": fixed.calendar.narrow_window_rooms()[0], "scope_type": "2"}).json()
    time_config = raw["data"]["time_config"]
    assert time_config["time_switch"] == 1 and time_config["days_in_advance"] in (7, 14)
    assert (time_config["start_time"], time_config["end_time"], time_config["opening_hour"]) == \
           ("32400", "64800", "32400")
    assert time_config["max_duration"] in (1, 2)


def test_scope_errors(fixed: Sandbox) -> None:
    unknown = get(fixed, PATH, {"scope_id": "omm_unknown", "scope_type": "2"})
    wrong_type = get(fixed, PATH, {"scope_id": fixed.calendar.open_rooms()[0], "scope_type": "1"})
    bad_type = get(fixed, PATH, {"scope_id": fixed.calendar.open_rooms()[0], "scope_type": "3"})
    assert [(r.status_code, r.json()["code"]) for r in (unknown, wrong_type, bad_type)] == \
           [(400, 126001), (400, 126001), (400, 121003)]
    level = get(fixed, PATH, {"scope_id": fixed.tenant.root.level_id, "scope_type": "1"}).json()
    assert level["data"]["approve_config"]["approval_switch"] == 0


def test_approval_room_always_declines_the_app(cal: Sandbox) -> None:
    room = cal.calendar.rooms_needing_approval(0)[0]
    event_id, status = book(cal, room, *free_slot(cal, room, 15), cal.tenant.users[0].open_id)
    assert (status, reason(cal, event_id)) == ("decline", APPROVAL)


def test_approval_over_meeting_duration_only(cal: Sandbox) -> None:
    room = cal.calendar.rooms_needing_approval(1)[0]
    person = cal.tenant.users[0].open_id
    start, end = free_slot(cal, room, 90)
    long_id, long_status = book(cal, room, start, end, person)
    assert (long_status, reason(cal, long_id)) == ("decline", APPROVAL)
    _, short_status = book(cal, room, start, start + timedelta(minutes=30), person)
    assert short_status == "accept"


def test_narrow_window_declines_outside_it(cal: Sandbox) -> None:
    room = cal.calendar.narrow_window_rooms()[0]
    person = cal.tenant.users[0].open_id
    _, inside = book(cal, room, *free_slot(cal, room, 30, last_hour=17), person)
    assert inside == "accept"
    evening = NOW.replace(hour=17, minute=45)
    far = NOW.replace(hour=11, minute=0) + timedelta(days=15)
    cases = [((evening, evening + timedelta(minutes=30)), OUTSIDE_HOURS),
             ((far, far + timedelta(minutes=30)), TOO_FAR_AHEAD),
             ((NOW.replace(hour=13, minute=0), NOW.replace(hour=15, minute=30)), TOO_LONG)]
    for (start, end), why in cases:
        event_id, status = book(cal, room, start, end, person)
        assert (status, reason(cal, event_id)) == ("decline", why)


def test_restricted_room_declines_outsiders(cal: Sandbox) -> None:
    room = cal.calendar.restricted_rooms()[0]
    start, end = free_slot(cal, room, 30)
    outsider_event, outsider = book(cal, room, start, end, cal.calendar.outsider(room).open_id)
    assert (outsider, reason(cal, outsider_event)) == ("decline", NOT_ALLOWED)
    _, insider = book(cal, room, start, end, cal.calendar.insider(room).open_id)
    assert insider == "accept"
