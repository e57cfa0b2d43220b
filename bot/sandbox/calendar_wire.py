"""Wire shapes of calendar v4: Calendar, CalendarEvent and CalendarEventAttendee as lark_oapi.api.calendar.v4 names them."""
from __future__ import annotations

from typing import Any

from bot.sandbox.calendars import Attendee, Event
from bot.sandbox.directory import Directory
from bot.sandbox.user_ids import user_ref

EVENT_DEFAULTS: dict[str, Any] = {"description": "", "need_notification": True, "visibility": "default",
                                  "attendee_ability": "none", "free_busy_status": "busy", "color": -1,
                                  "reminders": []}


def primary_json(calendar_id: str, directory: Directory) -> dict[str, Any]:
    """The app's primary calendar (UserCalendar); user_id is the bot's open_id [DOC 查询主日历信息]."""
    return {"calendars": [{"calendar": {
        "calendar_id": calendar_id, "summary": directory.bot_name, "description": "", "permissions": "private",
        "color": -1, "type": "primary", "summary_alias": "", "is_deleted": False, "is_third_party": False,
        "role": "owner"}, "user_id": directory.bot_open_id}]}


def time_json(timestamp: int, timezone: str) -> dict[str, str]:
    """A TimeInfo: the timestamp as a string of unix seconds."""
    return {"timestamp": str(timestamp), "timezone": timezone}


def event_json(event: Event, directory: Directory) -> dict[str, Any]:
    """A CalendarEvent; the organizer is the app's bot."""
    return {
        "event_id": event.event_id, "organizer_calendar_id": event.calendar_id, "summary": event.summary,
        **EVENT_DEFAULTS, **event.details,
        "start_time": time_json(event.start, event.timezone), "end_time": time_json(event.end, event.timezone),
        "recurrence": "", "status": "cancelled" if event.deleted else "confirmed", "is_exception": False,
        "recurring_event_id": "", "create_time": str(event.create_time),
        "event_organizer": {"user_id": directory.bot_open_id, "display_name": directory.bot_name},
        "app_link": "https://applink.feishu.cn/client/calendar/event/detail?calendarId="
                    f"{event.calendar_id}&key={event.uid}&originalTime=0&startTime={event.start}",
    }


def attendee_json(attendee: Attendee, id_type: str) -> dict[str, Any]:
    """A CalendarEventAttendee: a person (user_id) or a room (room_id, operate_id)."""
    item: dict[str, Any] = {"type": attendee.type, "attendee_id": attendee.attendee_id,
                            "rsvp_status": attendee.rsvp, "is_optional": False, "is_organizer": False,
                            "is_external": False, "display_name": attendee.display_name}
    person = user_ref(attendee.user, id_type) if attendee.user else ""
    if attendee.type == "resource":
        item.update(room_id=attendee.room_id, operate_id=person)
    else:
        item["user_id"] = person
    return item
