"""Helpers of the calendar sandbox tests: booking a room the way the bot does, through lark-oapi's typed requests."""
from __future__ import annotations

import json
import time
from datetime import datetime, timedelta
from typing import Any

import lark_oapi as lark
from lark_oapi.api.calendar.v4 import (
    CalendarEvent,
    CalendarEventAttendee,
    CreateCalendarEventAttendeeRequest,
    CreateCalendarEventAttendeeRequestBody,
    CreateCalendarEventRequest,
    ListCalendarEventAttendeeRequest,
    TimeInfo,
)
from sandbox_helpers import NOW, client

from bot.sandbox import Sandbox

EVENT_KEY = "roombot-0123456789abcdef0123456789abcdef"  # 40 characters: within 32-128


def time_info(moment: datetime) -> TimeInfo:
    return TimeInfo.builder().timestamp(str(int(moment.timestamp()))).timezone("Asia/Shanghai").build()


def create_event(sb: Sandbox, start: datetime, end: datetime, *, key: str | None = None,
                 summary: str = "roombot booking") -> Any:
    """POST events on the app's calendar; the typed response."""
    builder = (CreateCalendarEventRequest.builder().calendar_id(sb.calendar.calendar_id).user_id_type("open_id")
               .request_body(CalendarEvent.builder().summary(summary).start_time(time_info(start))
                             .end_time(time_info(end)).need_notification(False).build()))
    if key:
        builder = builder.idempotency_key(key)
    return client(sb).calendar.v4.calendar_event.create(builder.build())


def add_room(sb: Sandbox, event_id: str, room_id: str, person: str) -> Any:
    """POST attendees: the room booked for `person`, and `person` invited."""
    body = (CreateCalendarEventAttendeeRequestBody.builder().need_notification(False).attendees([
        CalendarEventAttendee.builder().type("resource").room_id(room_id).operate_id(person).build(),
        CalendarEventAttendee.builder().type("user").user_id(person).build()]).build())
    request = (CreateCalendarEventAttendeeRequest.builder().calendar_id(sb.calendar.calendar_id).event_id(event_id)
               .user_id_type("open_id").request_body(body).build())
    return client(sb).calendar.v4.calendar_event_attendee.create(request)


def attendees(sb: Sandbox, event_id: str, page_size: int = 50, page_token: str | None = None) -> Any:
    builder = (ListCalendarEventAttendeeRequest.builder().calendar_id(sb.calendar.calendar_id).event_id(event_id)
               .user_id_type("open_id").page_size(page_size))
    if page_token:
        builder = builder.page_token(page_token)
    return client(sb).calendar.v4.calendar_event_attendee.list(builder.build())


def room_rsvp(sb: Sandbox, event_id: str) -> str:
    """The room attendee's rsvp_status as the list shows it."""
    reply = attendees(sb, event_id)
    assert reply.success(), (reply.code, reply.msg)
    return next(a.rsvp_status for a in reply.data.items if a.type == "resource")


def wait_for_room(sb: Sandbox, event_id: str, timeout: float = 5) -> str:
    """Poll the attendee list, as the bot does, until the room stops being needs_action."""
    deadline = time.monotonic() + timeout
    while True:
        status = room_rsvp(sb, event_id)
        if status != "needs_action" or time.monotonic() > deadline:
            return status
        time.sleep(0.05)


def book(sb: Sandbox, room_id: str, start: datetime, end: datetime, person: str) -> tuple[str, str]:
    """Create an event and add the room; (event_id, the room's final rsvp_status)."""
    event = create_event(sb, start, end)
    assert event.success(), (event.code, event.msg)
    added = add_room(sb, event.data.event.event_id, room_id, person)
    assert added.success(), (added.code, added.msg)
    return event.data.event.event_id, wait_for_room(sb, event.data.event.event_id)


def free_slot(sb: Sandbox, room_id: str, minutes: int = 30, first: datetime | None = None,
              last_hour: int = 20) -> tuple[datetime, datetime]:
    """The first quarter-hour slot of `minutes` free in the room, from `first` (default: the next hour)."""
    start = first or NOW.replace(minute=0) + timedelta(hours=1)
    while start.hour < last_hour:
        end = start + timedelta(minutes=minutes)
        if not sb.tenant.busy(room_id, start - timedelta(minutes=1), end + timedelta(minutes=1)):
            return start, end
        start += timedelta(minutes=15)
    raise AssertionError(f"no free {minutes}-minute slot in {room_id}")


def freebusy(sb: Sandbox, room_id: str, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """The room's free/busy items (raw JSON: the API is not in lark-oapi's typed API)."""
    request = (lark.BaseRequest.builder().http_method(lark.HttpMethod.GET)
               .uri("/open-apis/meeting_room/freebusy/batch_get").token_types({lark.AccessTokenType.TENANT})
               .queries([("room_ids", room_id), ("time_min", start.isoformat()), ("time_max", end.isoformat())])
               .build())
    reply = client(sb).request(request)
    assert reply.code == 0, reply.msg
    return json.loads(reply.raw.content)["data"]["free_busy"][room_id]


def instance_reply(sb: Sandbox, room_id: str, uid: str, original_time: int, status: str) -> tuple[int, int, Any]:
    """POST meeting_room/instance/reply; (HTTP status, code, body)."""
    request = (lark.BaseRequest.builder().http_method(lark.HttpMethod.POST)
               .uri("/open-apis/meeting_room/instance/reply").token_types({lark.AccessTokenType.TENANT})
               .body({"room_id": room_id, "uid": uid, "original_time": original_time, "status": status}).build())
    reply = client(sb).request(request)
    return reply.raw.status_code, reply.code, json.loads(reply.raw.content)


def uid_of(event_id: str) -> str:
    """The uid in an event id "<uid>_<original_time>"."""
    return event_id.rsplit("_", 1)[0]
