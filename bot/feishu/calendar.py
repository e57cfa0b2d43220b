"""calendar/v4 as the app, and the rooms' booking rules: book a room by making an event on the
app's primary calendar and adding the room (and the requester) to it [contract §10].

Adding a room starts Feishu's asynchronous booking: the room attendee is `needs_action` until it
turns `accept` or `decline`, which `room_attendee` reads. Only the organizer (the app) may change
or delete the event. Every write is safe to retry: the event carries an idempotency key, adding an
attendee who is already there changes nothing, and deleting an event that is gone is done.
"""
from __future__ import annotations

import logging
import threading
from datetime import datetime
from typing import Any

from lark_oapi.api.calendar.v4 import (
    CalendarEvent,
    CalendarEventAttendee,
    CreateCalendarEventAttendeeRequest,
    CreateCalendarEventAttendeeRequestBody,
    CreateCalendarEventRequest,
    DeleteCalendarEventRequest,
    ListCalendarEventAttendeeRequest,
    PatchCalendarEventRequest,
    PrimaryCalendarRequest,
    TimeInfo,
)
from lark_oapi.api.vc.v1 import ReserveScopeReserveConfigRequest

from bot.feishu.base import GatewayBase
from bot.feishu.errors import LOCAL_CODE, FeishuError, FeishuUnavailable
from bot.feishu.models import ReserveRules, RoomAttendee

log = logging.getLogger(__name__)

API_PRIMARY = "/open-apis/calendar/v4/calendars/primary"
API_EVENTS = "/open-apis/calendar/v4/calendars/:calendar_id/events"
API_EVENT = "/open-apis/calendar/v4/calendars/:calendar_id/events/:event_id"
API_ATTENDEES = "/open-apis/calendar/v4/calendars/:calendar_id/events/:event_id/attendees"
API_RESERVE_SCOPE = "/open-apis/vc/v1/reserve_configs/reserve_scope"
EVENT_NOT_FOUND = 193001


def _time(at: datetime, timezone: str) -> TimeInfo:
    return TimeInfo.builder().timestamp(str(int(at.timestamp()))).timezone(timezone).build()


class CalendarCalls(GatewayBase):
    """The app's calendar events, their room attendees, and the rooms' reserve rules."""

    _calendar_id = ""
    _calendar_lock = threading.Lock()

    def primary_calendar(self) -> str:
        """The app's primary calendar id (read once per process)."""
        with self._calendar_lock:
            if not self._calendar_id:
                def send() -> Any:
                    request = PrimaryCalendarRequest.builder().user_id_type("open_id").build()
                    return self._client.calendar.v4.calendar.primary(request)
                data = self._call(API_PRIMARY, send, self._deadline()).data
                calendars = data.get("calendars") or [{}]
                calendar_id = str((calendars[0].get("calendar") or {}).get("calendar_id") or "")
                if not calendar_id:
                    raise FeishuUnavailable(LOCAL_CODE, "calendars/primary returned no calendar",
                                            "", 200)
                self._calendar_id = calendar_id
            return self._calendar_id

    def create_event(self, calendar_id: str, *, summary: str, start: datetime, end: datetime,
                     idempotency_key: str, notify: bool) -> str:
        """POST …/events with an idempotency key: the same key gives back the same event id."""
        tz = self.tz.key
        event = (CalendarEvent.builder().summary(summary).start_time(_time(start, tz))
                 .end_time(_time(end, tz)).need_notification(notify).visibility("default")
                 .attendee_ability("can_see_others").free_busy_status("busy").build())

        def send() -> Any:
            request = (CreateCalendarEventRequest.builder().calendar_id(calendar_id)
                       .idempotency_key(idempotency_key).user_id_type("open_id")
                       .request_body(event).build())
            return self._client.calendar.v4.calendar_event.create(request)
        data = self._call(API_EVENTS, send, self._deadline()).data
        event_id = str((data.get("event") or {}).get("event_id") or "")
        if not event_id:
            raise FeishuUnavailable(LOCAL_CODE, "events.create returned no event_id", "", 200)
        return event_id

    def add_room(self, calendar_id: str, event_id: str, *, room_id: str, requester: str,
                 notify: bool) -> RoomAttendee:
        """Add the room, booked for `requester` (its operate_id), and the requester themself."""
        attendees = [
            CalendarEventAttendee.builder().type("resource").room_id(room_id)
            .operate_id(requester).build(),
            CalendarEventAttendee.builder().type("user").user_id(requester).build(),
        ]
        body = (CreateCalendarEventAttendeeRequestBody.builder().attendees(attendees)
                .need_notification(notify).build())

        def send() -> Any:
            request = (CreateCalendarEventAttendeeRequest.builder().calendar_id(calendar_id)
                       .event_id(event_id).user_id_type("open_id").request_body(body).build())
            return self._client.calendar.v4.calendar_event_attendee.create(request)
        data = self._call(API_ATTENDEES, send, self._deadline()).data
        room = _room_of(data.get("attendees") or [], room_id)
        return room or RoomAttendee("", room_id, "needs_action")

    def room_attendee(self, calendar_id: str, event_id: str, room_id: str) -> RoomAttendee | None:
        """The room's attendee on the event as it stands now (None: not, or no longer, on it)."""
        def fetch(token: str | None) -> Any:
            request = (ListCalendarEventAttendeeRequest.builder().calendar_id(calendar_id)
                       .event_id(event_id).user_id_type("open_id").page_size(100))
            if token:
                request = request.page_token(token)
            return self._client.calendar.v4.calendar_event_attendee.list(request.build())
        items = list(self._pages(API_ATTENDEES, fetch, "items", self._deadline()))
        return _room_of(items, room_id)

    def move_event(self, calendar_id: str, event_id: str, start: datetime, end: datetime) -> None:
        """PATCH the event's start and end; Feishu then checks the room again."""
        tz = self.tz.key
        event = CalendarEvent.builder().start_time(_time(start, tz)).end_time(_time(end, tz)).build()

        def send() -> Any:
            request = (PatchCalendarEventRequest.builder().calendar_id(calendar_id)
                       .event_id(event_id).user_id_type("open_id").request_body(event).build())
            return self._client.calendar.v4.calendar_event.patch(request)
        self._call(API_EVENT, send, self._deadline())

    def delete_event(self, calendar_id: str, event_id: str, *, notify: bool) -> None:
        """DELETE the event, giving its room back; an event already gone counts as deleted."""
        def send() -> Any:
            request = (DeleteCalendarEventRequest.builder().calendar_id(calendar_id)
                       .event_id(event_id).need_notification("true" if notify else "false").build())
            return self._client.calendar.v4.calendar_event.delete(request)
        try:
            self._call(API_EVENT, send, self._deadline())
        except FeishuError as exc:
            if exc.code != EVENT_NOT_FOUND:
                raise
            log.info("event %s was already deleted", event_id)

    def reserve_rules(self, room_id: str) -> ReserveRules:
        """GET vc/v1/reserve_configs/reserve_scope for one room (scope_type 2 = a room)."""
        def send() -> Any:
            request = (ReserveScopeReserveConfigRequest.builder().scope_id(room_id).scope_type(2)
                       .user_id_type("open_id").build())
            return self._client.vc.v1.reserve_config.reserve_scope(request)
        data = self._call(API_RESERVE_SCOPE, send, self._deadline()).data
        return ReserveRules.from_api(room_id, data)


def _room_of(items: list[Any], room_id: str) -> RoomAttendee | None:
    for item in items:
        if isinstance(item, dict) and item.get("type") == "resource" \
                and item.get("room_id") == room_id:
            return RoomAttendee(str(item.get("attendee_id") or ""), room_id,
                                str(item.get("rsvp_status") or "needs_action"))
    return None
