"""Handlers for calendar v4 as the app uses it to book rooms: the primary calendar, events, attendees.

Errors follow the calendar docs' tables [DOC 创建日程, 添加日程参与人 ...]: 190002 (HTTP 400) for a
bad parameter, 191002 (403) for a calendar that is not the app's, 193001 (404) for an unknown event,
193003 (403) once it is deleted, 194000 (404) for an unknown attendee, 195100 (404) for an unknown person.
"""
from __future__ import annotations

import re
from typing import Any

from werkzeug.wrappers import Response

from bot.sandbox import vc_api
from bot.sandbox.calendar_wire import attendee_json, event_json, primary_json
from bot.sandbox.calendars import Attendee, CalendarStore, Event
from bot.sandbox.directory import User
from bot.sandbox.server import ApiError, Call, Route, ok
from bot.sandbox.user_ids import ID_TYPES, find_user

EVENTS = "/open-apis/calendar/v4/calendars/:calendar_id/events"
EVENT_ID = re.compile(r"^[0-9A-Za-z-]+_\d+$")
CHOICES = {"visibility": ("default", "public", "private"), "free_busy_status": ("busy", "free"),
           "attendee_ability": ("none", "can_see_others", "can_invite_others", "can_modify_event")}
MAX_ROOMS, MAX_ATTENDEES, MAX_DELETES = 100, 1000, 500
LATEST = 2**32  # unix seconds (year 2106): later timestamps are refused


def invalid(detail: str) -> ApiError:
    """190002 "invalid parameters in request" (HTTP 400)."""
    return ApiError(400, 190002, f"invalid parameters in request: {detail}")


def _store(call: Call) -> CalendarStore:
    return call.sb.calendar.store


def _id_type(call: Call) -> str:
    id_type = call.arg("user_id_type") or "open_id"
    if id_type not in ID_TYPES:
        raise invalid(f"user_id_type {id_type!r} is not one of {', '.join(ID_TYPES)}")
    return id_type


def _query_int(call: Call, name: str, default: int) -> int:
    try:
        return vc_api.parse_int(call.arg(name), name, default=default)
    except ApiError:
        raise invalid(f"{name} must be an integer") from None


def _query_bool(call: Call, name: str) -> bool:
    try:
        return vc_api.parse_bool(call.arg(name), name)
    except ApiError:
        raise invalid(f"{name} must be true or false") from None


def _event(call: Call) -> Event:
    """The event of the path, on the app's calendar, not deleted."""
    store = _store(call)
    if call.params["calendar_id"] != store.calendar_id:
        raise ApiError(403, 191002, "no calendar access_role")
    event_id = call.params["event_id"]
    if not EVENT_ID.match(event_id):
        raise ApiError(400, 193000, "invalid event_id")
    event = store.events.get(event_id)
    if event is None:
        raise ApiError(404, 193001, "event not found")
    if event.deleted:
        raise ApiError(403, 193003, "event is deleted")
    return event


def _timestamp(body: dict[str, Any], name: str) -> tuple[int, str]:
    """(unix seconds, timezone) of a TimeInfo; the sandbox books rooms for timed events only."""
    info = body.get(name)
    if not isinstance(info, dict):
        raise invalid(f"{name} is required")
    raw = info.get("timestamp")
    if isinstance(raw, bool) or not (isinstance(raw, int) or (isinstance(raw, str) and raw.isdigit())):
        raise invalid(f"{name}.timestamp must be unix seconds as a string (all-day events are not modelled)")
    if not 0 < int(raw) < LATEST:
        raise invalid(f"{name}.timestamp is out of range")
    timezone = info.get("timezone") or "Asia/Shanghai"
    if not isinstance(timezone, str):
        raise invalid(f"{name}.timezone must be a string")
    return int(raw), timezone


def _times(body: dict[str, Any]) -> tuple[int, int, str]:
    (start, timezone), (end, _) = _timestamp(body, "start_time"), _timestamp(body, "end_time")
    if end <= start:
        raise invalid("end_time must be after start_time")
    return start, end, timezone


def _details(body: dict[str, Any]) -> dict[str, object]:
    """The optional event fields the sandbox keeps and echoes, checked against their documented values."""
    for name, allowed in CHOICES.items():
        if name in body and body[name] not in allowed:
            raise invalid(f"{name} must be one of {', '.join(allowed)}")
    summary = body.get("summary", "")
    if not isinstance(summary, str) or len(summary) > 1000:
        raise invalid("summary must be a string of at most 1000 characters")
    keep = ("description", "need_notification", "location", "vchat", "reminders", "color") + tuple(CHOICES)
    return {name: body[name] for name in keep if name in body}


# --- calendar and events ----------------------------------------------------------------------

def primary(call: Call) -> Response:
    """POST calendars/primary: with a tenant token, user_id_type may not be user_id."""
    if _id_type(call) == "user_id":
        raise invalid("user_id_type cannot be user_id with a tenant_access_token")
    return ok(primary_json(_store(call).calendar_id, call.sb.tenant.directory))


def create_event(call: Call) -> Response:
    """POST events: a new event, or the same one again for the same idempotency_key."""
    store = _store(call)
    if call.params["calendar_id"] != store.calendar_id:
        raise ApiError(403, 191002, "no calendar access_role")
    _id_type(call)
    key = call.arg("idempotency_key") or ""
    if key and not 32 <= len(key) <= 128:
        raise invalid("idempotency_key must be 32 to 128 characters")
    body = call.body()
    start, end, timezone = _times(body)
    details = _details(body)
    event = store.create(str(body.get("summary", "")), start, end, timezone, details, key)
    return ok({"event": event_json(event, call.sb.tenant.directory)})


def get_event(call: Call) -> Response:
    """GET events/:event_id, with its attendees when need_attendee is true."""
    _id_type(call)
    event = _event(call)
    _store(call).settle()
    data = event_json(event, call.sb.tenant.directory)
    if _query_bool(call, "need_attendee"):
        limit = _query_int(call, "max_attendee_num", 10)
        data["attendees"] = [attendee_json(a, _id_type(call)) for a in event.attendees[:limit]]
        data["has_more_attendee"] = len(event.attendees) > limit
    return ok({"event": data})


def patch_event(call: Call) -> Response:
    """PATCH events/:event_id: times change only when both are given; the rooms then decide again."""
    _id_type(call)
    event = _event(call)
    body = call.body()
    details = _details(body)
    store = _store(call)
    if "start_time" in body and "end_time" in body:
        start, end, timezone = _times(body)
        store.retime(event, start, end)
        event.timezone = timezone
    if "summary" in body:
        event.summary = str(body["summary"])
    event.details.update(details)
    return ok({"event": event_json(event, call.sb.tenant.directory)})


def delete_event(call: Call) -> Response:
    """DELETE events/:event_id: the event goes, and its rooms are free again."""
    event = _event(call)
    _query_bool(call, "need_notification")
    _store(call).delete(event)
    return ok({})


# --- attendees --------------------------------------------------------------------------------

def _person(call: Call, ident: object, id_type: str) -> User:
    if not isinstance(ident, str) or not ident:
        raise invalid("user_id and operate_id must be non-empty strings")
    user = find_user(call.sb.tenant.directory, ident, id_type)
    if user is None:
        raise ApiError(404, 195100, "user is dismiss or not exist in the tenant")
    return user


def add_attendees(call: Call) -> Response:
    """POST attendees: people are invited, rooms start their asynchronous booking (needs_action)."""
    id_type = _id_type(call)
    event = _event(call)
    body = call.body()
    items = body.get("attendees") or []
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise invalid("attendees must be a list of objects")
    rooms = [i for i in items if i.get("type") == "resource"]
    if len(rooms) > MAX_ROOMS or len(items) > MAX_ATTENDEES:
        raise invalid(f"at most {MAX_ROOMS} rooms and {MAX_ATTENDEES} attendees a call")
    if any(i.get("type") not in ("user", "resource") for i in items):
        raise ApiError(400, 194004, "invalid attendee type (the sandbox models user and resource)")
    directory = call.sb.tenant.directory
    for room in rooms:
        if not isinstance(room.get("room_id"), str) or directory.room(room["room_id"]) is None:
            raise invalid(f"room_id {room.get('room_id')!r} is not a room of the tenant")
        if not room.get("operate_id"):
            raise invalid("operate_id is required when the app books a room")
    people = [_person(call, i.get("user_id"), id_type) for i in items if i.get("type") == "user"]
    operators = [(r["room_id"], _person(call, r["operate_id"], id_type)) for r in rooms]
    store = _store(call)
    for user in people:
        store.add_person(event, user)
    for room_id, operator in operators:
        store.add_room(event, room_id, operator)
        if body.get("add_operator_to_attendee", True):
            store.add_person(event, operator)
    return ok({"attendees": [attendee_json(a, id_type) for a in event.attendees]})


def list_attendees(call: Call) -> Response:
    """GET attendees: one page (page_size 10-100, default 20; below 10 counts as 10)."""
    id_type = _id_type(call)
    event = _event(call)
    size = max(10, _query_int(call, "page_size", 20))
    if size > 100:
        raise invalid("page_size must be at most 100")
    _store(call).settle()
    try:
        page, extra = vc_api.paged(list(event.attendees), size, call.arg("page_token"))
    except ApiError:
        raise invalid("page_token is invalid") from None
    return ok({"items": [attendee_json(a, id_type) for a in page], **extra})


def batch_delete_attendees(call: Call) -> Response:
    """POST attendees/batch_delete: by attendee_ids and/or delete_ids ({type, room_id | user_id})."""
    id_type = _id_type(call)
    event = _event(call)
    body = call.body()
    ids, refs = body.get("attendee_ids") or [], body.get("delete_ids") or []
    if not isinstance(ids, list) or not isinstance(refs, list) or len(ids) + len(refs) > MAX_DELETES:
        raise invalid(f"attendee_ids and delete_ids are lists of at most {MAX_DELETES} in all")
    chosen = [_attendee_by_id(event, i) for i in ids] + [_attendee_by_ref(call, event, r, id_type) for r in refs]
    store = _store(call)
    for attendee in {a.attendee_id: a for a in chosen}.values():
        store.remove(event, attendee)
    return ok({})


def _attendee_by_id(event: Event, attendee_id: object) -> Attendee:
    found = next((a for a in event.attendees if a.attendee_id == attendee_id), None)
    if found is None:
        raise ApiError(404, 194000, "attendee not found")
    return found


def _attendee_by_ref(call: Call, event: Event, ref: object, id_type: str) -> Attendee:
    if not isinstance(ref, dict):
        raise invalid("delete_ids must be objects")
    if ref.get("type") == "resource":
        found = next((a for a in event.rooms() if a.room_id == ref.get("room_id")), None)
    else:
        user = _person(call, ref.get("user_id"), id_type)
        found = next((a for a in event.attendees if a.type == "user" and a.user == user), None)
    if found is None:
        raise ApiError(404, 194000, "attendee not found")
    return found


CALENDAR_ROUTES = (
    Route("POST", "/open-apis/calendar/v4/calendars/primary", primary, "calendar_primary",
          "calendar:calendar:readonly"),
    Route("POST", EVENTS, create_event, "event_create", "calendar:calendar.event:create"),
    Route("GET", EVENTS + "/:event_id", get_event, "event_get", "calendar:calendar.event:read"),
    Route("PATCH", EVENTS + "/:event_id", patch_event, "event_patch", "calendar:calendar.event:update"),
    Route("DELETE", EVENTS + "/:event_id", delete_event, "event_delete", "calendar:calendar.event:delete"),
    Route("POST", EVENTS + "/:event_id/attendees/batch_delete", batch_delete_attendees, "attendee_delete",
          "calendar:calendar.event:update"),
    Route("POST", EVENTS + "/:event_id/attendees", add_attendees, "attendee_create",
          "calendar:calendar.event:update"),
    Route("GET", EVENTS + "/:event_id/attendees", list_attendees, "attendee_list", "calendar:calendar.event:read"),
)
