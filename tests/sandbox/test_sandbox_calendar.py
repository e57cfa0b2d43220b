"""Calendar v4 as the app books rooms, through lark-oapi's typed requests over HTTP to the sandbox."""
from __future__ import annotations

import time
from datetime import datetime, timedelta

from lark_oapi.api.calendar.v4 import (
    BatchDeleteCalendarEventAttendeeRequest,
    BatchDeleteCalendarEventAttendeeRequestBody,
    CalendarEvent,
    CalendarEventAttendee,
    CreateCalendarEventAttendeeRequest,
    CreateCalendarEventAttendeeRequestBody,
    DeleteCalendarEventRequest,
    GetCalendarEventRequest,
    PatchCalendarEventRequest,
    PatchCalendarEventResponse,
    PrimaryCalendarRequest,
)
from sandbox_calendar_helpers import (
    EVENT_KEY,
    add_room,
    attendees,
    book,
    create_event,
    free_slot,
    freebusy,
    room_rsvp,
    time_info,
    uid_of,
    wait_for_room,
)
from sandbox_helpers import NOW, client, get, send

from bot.sandbox import Sandbox

CALENDARS = "/open-apis/calendar/v4/calendars"


def open_room(sb: Sandbox) -> str:
    return sb.calendar.open_rooms()[0]


def person(sb: Sandbox) -> str:
    return sb.tenant.users[0].open_id


def test_primary_calendar_is_the_apps(cal: Sandbox) -> None:
    reply = client(cal).calendar.v4.calendar.primary(PrimaryCalendarRequest.builder().user_id_type("open_id").build())
    assert reply.success(), (reply.code, reply.msg)
    calendar = reply.data.calendars[0]
    assert calendar.calendar.calendar_id == cal.calendar.calendar_id
    assert (calendar.calendar.type, calendar.calendar.role) == ("primary", "owner")
    assert calendar.user_id == cal.tenant.bot_open_id


def test_primary_refuses_user_id_with_a_tenant_token(cal: Sandbox) -> None:
    reply = client(cal).calendar.v4.calendar.primary(PrimaryCalendarRequest.builder().user_id_type("user_id").build())
    assert (reply.success(), reply.code, reply.raw.status_code) == (False, 190002, 400)


def test_event_is_created_and_read_back(cal: Sandbox) -> None:
    start = NOW + timedelta(hours=2)
    created = create_event(cal, start, start + timedelta(minutes=30), summary="周会")
    assert created.success(), (created.code, created.msg)
    event = created.data.event
    assert event.event_id.endswith("_0") and event.organizer_calendar_id == cal.calendar.calendar_id
    assert (event.start_time.timestamp, event.end_time.timezone) == (str(int(start.timestamp())), "Asia/Shanghai")
    request = (GetCalendarEventRequest.builder().calendar_id(cal.calendar.calendar_id).event_id(event.event_id)
               .user_id_type("open_id").build())
    again = client(cal).calendar.v4.calendar_event.get(request)
    assert (again.data.event.summary, again.data.event.status) == ("周会", "confirmed")


def test_same_idempotency_key_same_event(cal: Sandbox) -> None:
    start = NOW + timedelta(hours=2)
    first = create_event(cal, start, start + timedelta(minutes=30), key=EVENT_KEY)
    second = create_event(cal, start, start + timedelta(minutes=30), key=EVENT_KEY)
    other = create_event(cal, start, start + timedelta(minutes=30), key=EVENT_KEY[::-1])
    assert first.data.event.event_id == second.data.event.event_id != other.data.event.event_id
    assert len(cal.calendar.events) == 2


def test_event_validation_errors(cal: Sandbox) -> None:
    start = NOW + timedelta(hours=2)
    short_key = create_event(cal, start, start + timedelta(minutes=30), key="too-short")
    backwards = create_event(cal, start, start - timedelta(minutes=30))
    path = f"{CALENDARS}/{cal.calendar.calendar_id}/events"
    no_times = send(cal, "POST", path, {"summary": "x"}).json()
    assert [short_key.code, backwards.code, no_times["code"]] == [190002] * 3
    foreign = send(cal, "POST", f"{CALENDARS}/feishu.cn_other@group.calendar.feishu.cn/events", {})
    unknown = get(cal, f"{path}/00000000-0000-4000-8000-000000000000_0")
    assert (foreign.status_code, foreign.json()["code"]) == (403, 191002)
    assert (unknown.status_code, unknown.json()["code"]) == (404, 193001)


def test_room_is_needs_action_then_accepts_after_the_delay(fixed: Sandbox) -> None:
    fixed.calendar.decision_delay = 0.2
    room = open_room(fixed)
    start, end = free_slot(fixed, room)
    event_id = create_event(fixed, start, end).data.event.event_id
    added = add_room(fixed, event_id, room, person(fixed))
    assert added.success(), (added.code, added.msg)
    resource = next(a for a in added.data.attendees if a.type == "resource")
    assert resource.attendee_id.startswith("resource_") and resource.rsvp_status == "needs_action"
    assert (resource.room_id, resource.operate_id) == (room, person(fixed))
    user = next(a for a in added.data.attendees if a.type == "user")
    assert user.attendee_id.startswith("user_") and user.user_id == person(fixed)
    assert room_rsvp(fixed, event_id) == "needs_action"
    assert not [i for i in freebusy(fixed, room, start, end) if i["uid"] == uid_of(event_id)]
    time.sleep(0.25)
    assert room_rsvp(fixed, event_id) == "accept"


def test_accepted_booking_in_freebusy_without_organizer_name(cal: Sandbox) -> None:
    room = open_room(cal)
    start, end = free_slot(cal, room)
    event_id, status = book(cal, room, start, end, person(cal))
    assert status == "accept"
    item = next(i for i in freebusy(cal, room, start, end) if i["uid"] == uid_of(event_id))
    assert item["organizer_info"] == {"open_id": cal.tenant.bot_open_id}
    assert (item["start_time"], item["end_time"], item["original_time"]) == (start.isoformat(), end.isoformat(), 0)


def test_reservation_list_shows_the_person_booked_for(cal: Sandbox) -> None:
    room = open_room(cal)
    start, end = free_slot(cal, room)
    book(cal, room, start, end, person(cal))
    midnight = NOW.replace(hour=0, minute=0)
    rows = get(cal, "/open-apis/vc/v1/resource_reservation_list", {
        "room_level_id": "0", "room_ids": [room], "start_time": int(midnight.timestamp()),
        "end_time": int((midnight + timedelta(days=1)).timestamp()), "need_topic": "true"}).json()
    row = next(r for r in rows["data"]["room_reservation_list"] if r["event_title"] == "roombot booking")
    user = cal.tenant.users[0]
    assert (row["reserver"], row["department_of_reserver"]) == (user.name, user.department)
    assert row["reserver_user_id"] == f"{user.open_id}(UserID);{cal.app_id}(BotID)"
    assert row["reservation_status"] == "预定成功"


def test_race_loses_to_someone_else(cal: Sandbox) -> None:
    room = open_room(cal)
    start, end = free_slot(cal, room)
    cal.calendar.race(room)
    event_id, status = book(cal, room, start, end, person(cal))
    assert status == "decline"
    items = freebusy(cal, room, start, end)
    assert len(items) == 1 and items[0]["uid"] != uid_of(event_id) and items[0]["organizer_info"]["name"]
    _, second = book(cal, room, *free_slot(cal, room), person(cal))
    assert second == "accept"


def test_conflict_with_a_generated_booking_declines(cal: Sandbox) -> None:
    room = open_room(cal)
    taken = next(b for b in cal.tenant.bookings(NOW + timedelta(hours=1), NOW + timedelta(hours=8), [room])
                 if b.start > NOW.timestamp())
    start = NOW.fromtimestamp(taken.start, NOW.tzinfo)
    _, status = book(cal, room, start, start + timedelta(minutes=15), person(cal))
    assert status == "decline"


def test_hold_pending_keeps_needs_action(cal: Sandbox) -> None:
    room = open_room(cal)
    cal.calendar.hold_pending(True)
    event_id = create_event(cal, *free_slot(cal, room)).data.event.event_id
    add_room(cal, event_id, room, person(cal))
    assert wait_for_room(cal, event_id, timeout=0.2) == "needs_action"
    cal.calendar.hold_pending(False)
    assert room_rsvp(cal, event_id) == "accept"


def patch(sb: Sandbox, event_id: str, start: datetime, end: datetime) -> PatchCalendarEventResponse:
    body = CalendarEvent.builder().start_time(time_info(start)).end_time(time_info(end)).build()
    request = (PatchCalendarEventRequest.builder().calendar_id(sb.calendar.calendar_id).event_id(event_id)
               .user_id_type("open_id").request_body(body).build())
    return client(sb).calendar.v4.calendar_event.patch(request)


def test_extension_into_another_booking_declines(cal: Sandbox) -> None:
    room = open_room(cal)
    start, end = free_slot(cal, room, 15)
    event_id, status = book(cal, room, start, end, person(cal))
    assert status == "accept"
    cal.calendar.add_booking(room, end + timedelta(minutes=15), end + timedelta(minutes=45), cal.tenant.users[1].open_id)
    reply = patch(cal, event_id, start, end + timedelta(minutes=30))
    assert reply.success() and reply.data.event.end_time.timestamp == str(int((end + timedelta(minutes=30)).timestamp()))
    assert wait_for_room(cal, event_id) == "decline"
    assert not [i for i in freebusy(cal, room, start, end) if i["uid"] == uid_of(event_id)]


def test_extension_into_free_time_accepts(cal: Sandbox) -> None:
    room = open_room(cal)
    start, end = free_slot(cal, room, 60)
    event_id, _ = book(cal, room, start, start + timedelta(minutes=30), person(cal))
    assert patch(cal, event_id, start, end).success()
    assert wait_for_room(cal, event_id) == "accept"
    item = next(i for i in freebusy(cal, room, start, end) if i["uid"] == uid_of(event_id))
    assert item["end_time"] == end.isoformat()


def test_delete_frees_the_room(cal: Sandbox) -> None:
    room = open_room(cal)
    start, end = free_slot(cal, room)
    event_id, _ = book(cal, room, start, end, person(cal))
    assert freebusy(cal, room, start, end)
    request = (DeleteCalendarEventRequest.builder().calendar_id(cal.calendar.calendar_id).event_id(event_id)
               .need_notification("false").build())
    assert client(cal).calendar.v4.calendar_event.delete(request).success()
    assert freebusy(cal, room, start, end) == []
    again = client(cal).calendar.v4.calendar_event.delete(request)
    assert (again.code, again.raw.status_code) == (193003, 403)


def test_batch_delete_drops_only_the_room(cal: Sandbox) -> None:
    room = open_room(cal)
    start, end = free_slot(cal, room)
    event_id, _ = book(cal, room, start, end, person(cal))
    resource = next(a for a in attendees(cal, event_id).data.items if a.type == "resource")
    body = BatchDeleteCalendarEventAttendeeRequestBody.builder().attendee_ids([resource.attendee_id]).build()
    request = (BatchDeleteCalendarEventAttendeeRequest.builder().calendar_id(cal.calendar.calendar_id)
               .event_id(event_id).user_id_type("open_id").request_body(body).build())
    assert client(cal).calendar.v4.calendar_event_attendee.batch_delete(request).success()
    assert [a.type for a in attendees(cal, event_id).data.items] == ["user"]
    assert freebusy(cal, room, start, end) == []
    missing = client(cal).calendar.v4.calendar_event_attendee.batch_delete(request)
    assert missing.code == 194000


def test_attendee_list_pages(cal: Sandbox) -> None:
    event_id = create_event(cal, NOW + timedelta(hours=3), NOW + timedelta(hours=4)).data.event.event_id
    people = [CalendarEventAttendee.builder().type("user").user_id(u.open_id).build() for u in cal.tenant.users[:13]]
    body = CreateCalendarEventAttendeeRequestBody.builder().attendees(people).build()
    request = (CreateCalendarEventAttendeeRequest.builder().calendar_id(cal.calendar.calendar_id).event_id(event_id)
               .user_id_type("open_id").request_body(body).build())
    assert client(cal).calendar.v4.calendar_event_attendee.create(request).success()
    first = attendees(cal, event_id, page_size=5)  # below 10 counts as 10
    assert (len(first.data.items), first.data.has_more) == (10, True)
    second = attendees(cal, event_id, page_size=10, page_token=first.data.page_token)
    assert (len(second.data.items), second.data.has_more, second.data.page_token) == (3, False, None)
    assert attendees(cal, event_id, page_size=101).code == 190002


def test_unknown_operator_and_missing_operate_id(cal: Sandbox) -> None:
    event_id = create_event(cal, NOW + timedelta(hours=3), NOW + timedelta(hours=4)).data.event.event_id
    assert add_room(cal, event_id, open_room(cal), "ou_nobody").code == 195100
    path = f"{CALENDARS}/{cal.calendar.calendar_id}/events/{event_id}/attendees"
    reply = send(cal, "POST", path, {"attendees": [{"type": "resource", "room_id": open_room(cal)}]})
    assert (reply.status_code, reply.json()["code"]) == (400, 190002)


def test_calendar_rate_limit_fault(cal: Sandbox) -> None:
    cal.faults.inject("/calendar/v4/", "method_rate_limit")
    limited = create_event(cal, NOW + timedelta(hours=3), NOW + timedelta(hours=4))
    assert (limited.code, limited.raw.status_code) == (190004, 429)
    assert create_event(cal, NOW + timedelta(hours=3), NOW + timedelta(hours=4)).success()


def test_deleting_a_running_booking_shows_it_released_now(cal: Sandbox) -> None:
    first = NOW.replace(minute=15)
    room, (start, end) = next((r, slot) for r in cal.calendar.open_rooms()
                              if (slot := free_slot(cal, r, 30, first=first))[0] == first)
    event_id, _ = book(cal, room, start, end, person(cal))
    request = (DeleteCalendarEventRequest.builder().calendar_id(cal.calendar.calendar_id).event_id(event_id)
               .need_notification("false").build())
    assert client(cal).calendar.v4.calendar_event.delete(request).success()
    item = next(i for i in freebusy(cal, room, start, end) if i["uid"] == uid_of(event_id))
    assert item["end_time"] == NOW.isoformat()
    midnight = NOW.replace(hour=0, minute=0)
    rows = get(cal, "/open-apis/vc/v1/resource_reservation_list", {
        "room_level_id": "0", "room_ids": [room], "start_time": int(midnight.timestamp()),
        "end_time": int((midnight + timedelta(days=1)).timestamp())}).json()["data"]["room_reservation_list"]
    row = next(r for r in rows if r["reserver"] == cal.tenant.users[0].name and r["event_start_time"].endswith(
        f"{start:%H:%M:%S} (GMT+08:00)"))
    assert (row["reservation_status"], row["releasing_time"][11:19]) == ("已释放（手动释放）", f"{NOW:%H:%M:%S}")


def test_a_slot_already_over_declines(cal: Sandbox) -> None:
    start = NOW - timedelta(days=1)
    event_id, status = book(cal, open_room(cal), start, start + timedelta(minutes=30), person(cal))
    assert (status, cal.calendar.event(event_id).rooms()[0].reason) == ("decline", "already over")
