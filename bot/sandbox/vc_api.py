"""Handlers for auth, bot info, VC rooms and room levels, the reservation list, and meeting-room free/busy."""
from __future__ import annotations

import base64
from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar

from werkzeug.wrappers import Response

from bot.feishu.models import Room
from bot.sandbox import wire
from bot.sandbox.server import ApiError, Call, Route, invalid_token, json_response, ok, param_error

T = TypeVar("T")
DAY = 86400
FREEBUSY_MAX_ROOMS = 20
# The free/busy API documents only generic error codes; 10003 "invalid param" is the generic one
# the contract names (section 1), so a bad free/busy request gets it with HTTP 400.
GENERIC_PARAM_ERROR = 10003


def parse_bool(value: str | None, name: str) -> bool:
    """A query bool in either spelling: lark-oapi sends "True"/"False", the docs "true"/"false"."""
    if value is None or value == "":
        return False
    lowered = value.lower()
    if lowered not in ("true", "false"):
        raise param_error(f"{name} must be true or false, got {value!r}")
    return lowered == "true"


def parse_int(value: Any, name: str, *, default: int | None = None) -> int:
    """An integer parameter (query string or JSON number/string), or 121003."""
    if value is None or value == "":
        if default is None:
            raise param_error(f"{name} is required")
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise param_error(f"{name} must be an integer, got {value!r}") from None


def encode_token(offset: int) -> str:
    """An opaque page token (base64, so it may contain '=')."""
    return base64.b64encode(f"page:{offset}".encode()).decode()


def decode_token(token: str | None) -> int:
    """The offset inside a page token from encode_token, or 121003."""
    if not token:
        return 0
    try:
        kind, offset = base64.b64decode(token, validate=True).decode().split(":")
        if kind == "page" and int(offset) >= 0:
            return int(offset)
    except ValueError:
        pass
    raise param_error(f"page_token {token!r} is invalid")


def paged(items: Sequence[T], size: int, token: str | None) -> tuple[Sequence[T], dict[str, Any]]:
    """One page of items plus has_more and (only when there is more) page_token."""
    offset = decode_token(token)
    page = items[offset:offset + size]
    more = offset + size < len(items)
    extra: dict[str, Any] = {"has_more": more}
    if more:
        extra["page_token"] = encode_token(offset + size)
    return page, extra


def page_size(call: Call, default: int, low: int, high: int) -> int:
    """The page_size query parameter, checked against the documented range."""
    size = parse_int(call.arg("page_size"), "page_size", default=default)
    if not low <= size <= high:
        raise param_error(f"page_size must be between {low} and {high}, got {size}")
    return size


# --- auth and bot ---------------------------------------------------------------------------

def tenant_token(call: Call) -> Response:
    """POST auth/v3/tenant_access_token/internal: fields at the top level, errors with HTTP 200."""
    try:
        body = call.body()
    except ApiError:
        body = {}
    issued = call.sb.tokens.issue(body.get("app_id"), body.get("app_secret"))
    if issued.code:
        return json_response(200, {"code": issued.code, "msg": issued.msg})
    return json_response(200, {"code": 0, "msg": "ok", "tenant_access_token": issued.token,
                               "expire": issued.expire})


def bot_info(call: Call) -> Response:
    """GET bot/v3/info: the bot at the top level, not under data."""
    directory = call.sb.tenant.directory
    return json_response(200, {"code": 0, "msg": "ok", "bot": {
        "activate_status": 2, "app_name": directory.bot_name, "avatar_url": "https://example.invalid/bot.png",
        "ip_white_list": [], "open_id": directory.bot_open_id}})


# --- rooms and levels -------------------------------------------------------------------------

def _room_json(call: Call, room: Room) -> dict[str, Any]:
    return wire.room_json(room, call.sb.tenant.directory.extras[room.room_id])


def list_rooms(call: Call) -> Response:
    """GET vc/v1/rooms: rooms directly on room_level_id, or the whole tenant when it is empty."""
    directory = call.sb.tenant.directory
    size = page_size(call, 10, 1, 100)
    level_id = call.arg("room_level_id") or ""
    if level_id:
        level = directory.level(level_id)
        rooms = [r for r in directory.rooms if level and r.level_id == level.level_id]
    else:
        rooms = directory.rooms
    page, extra = paged(rooms, size, call.arg("page_token"))
    return ok({"rooms": [_room_json(call, r) for r in page], **extra})


def get_room(call: Call) -> Response:
    """GET vc/v1/rooms/:room_id."""
    room = call.sb.tenant.directory.room(call.params["room_id"])
    if room is None:
        raise ApiError(404, 121004, "data not exist")
    return ok({"room": _room_json(call, room)})


def mget_rooms(call: Call) -> Response:
    """POST vc/v1/rooms/mget: known rooms among room_ids, in the order asked."""
    ids = call.body().get("room_ids")
    if not isinstance(ids, list) or not ids:
        raise param_error("room_ids is required")
    directory = call.sb.tenant.directory
    return ok({"items": [_room_json(call, r) for r in map(directory.room, ids) if r is not None]})


def search_rooms(call: Call) -> Response:
    """POST vc/v1/rooms/search accepts only user tokens: a tenant token gets 99991663."""
    raise invalid_token()


def list_levels(call: Call) -> Response:
    """GET vc/v1/room_levels: children of room_level_id (empty or "0" = children of the root)."""
    directory = call.sb.tenant.directory
    size = page_size(call, 10, 1, 100)
    levels = directory.child_levels(call.arg("room_level_id") or "")
    page, extra = paged(levels, size, call.arg("page_token"))
    return ok({"items": [wire.level_json(lv) for lv in page], **extra})


def get_level(call: Call) -> Response:
    """GET vc/v1/room_levels/:room_level_id ("0" = the tenant root)."""
    level = call.sb.tenant.directory.level(call.params["room_level_id"])
    if level is None:
        raise ApiError(404, 121004, "data not exist")
    return ok({"room_level": wire.level_json(level)})


def mget_levels(call: Call) -> Response:
    """POST vc/v1/room_levels/mget."""
    ids = call.body().get("level_ids")
    if not isinstance(ids, list) or not ids:
        raise param_error("level_ids is required")
    directory = call.sb.tenant.directory
    return ok({"items": [wire.level_json(lv) for lv in map(directory.level, ids) if lv is not None]})


# --- reservations -----------------------------------------------------------------------------

def selected_rooms(call: Call, level_id: str, room_ids: Sequence[str], is_exclude: bool) -> list[str]:
    """Room ids a reservation query covers: room_ids, or (is_exclude) the level's rooms minus room_ids.

    An id without the omb_ prefix falls back to the tenant level [DOC 查询会议室预定数据];
    unknown room ids are ignored.
    """
    directory = call.sb.tenant.directory
    if not is_exclude:
        return [r for r in dict.fromkeys(room_ids) if directory.room(r) is not None]
    if level_id.startswith("omb_") and directory.level(level_id) is None:
        raise ApiError(404, 121004, "data not exist")
    scope = level_id if level_id.startswith("omb_") else "0"
    excluded = set(room_ids)
    return [r.room_id for r in directory.rooms_under(scope) if r.room_id not in excluded]


def window(call: Call) -> tuple[int, int]:
    """start_time/end_time (unix seconds) checked as documented: 126005 and 126006."""
    start = parse_int(call.arg("start_time"), "start_time")
    end = parse_int(call.arg("end_time"), "end_time")
    if start < 0 or start > call.sb.tenant.now_ts():
        raise ApiError(400, 126005, "start time error (cannot larger than now or smaller than 0)")
    if end < start or end - start > DAY:
        raise ApiError(400, 126006, "end time cannot exceed start time for one day or smaller than start time")
    return start, end


def reservation_list(call: Call) -> Response:
    """GET vc/v1/resource_reservation_list: one page of reservations overlapping the window."""
    level_id = call.arg("room_level_id")
    if not level_id:
        raise param_error("room_level_id is required")
    room_ids = call.args("room_ids")
    if not room_ids:
        raise param_error("room_ids is required")
    start, end = window(call)
    size = page_size(call, 20, 20, 100)
    need_topic = parse_bool(call.arg("need_topic"), "need_topic")
    rooms = selected_rooms(call, level_id, room_ids, parse_bool(call.arg("is_exclude"), "is_exclude"))
    bookings = call.sb.query_bookings(start, end, rooms)
    page, extra = paged(bookings, size, call.arg("page_token"))
    rows = [wire.reservation_json(r, need_topic) for r in call.sb.tenant.shown(page, need_topic)]
    return ok({"room_reservation_list": rows, **extra})


# --- free/busy --------------------------------------------------------------------------------

def _rfc3339(value: str | None, name: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value or "")
    except ValueError:
        raise ApiError(400, GENERIC_PARAM_ERROR, f"invalid param: {name} must be RFC3339") from None
    if moment.tzinfo is None:
        raise ApiError(400, GENERIC_PARAM_ERROR, f"invalid param: {name} needs a UTC offset")
    return moment


def freebusy(call: Call) -> Response:
    """GET meeting_room/freebusy/batch_get: busy intervals per room, keyed by room_id."""
    room_ids = list(dict.fromkeys(call.args("room_ids")))
    if not room_ids:
        raise ApiError(400, GENERIC_PARAM_ERROR, "invalid param: room_ids is required")
    if len(room_ids) > FREEBUSY_MAX_ROOMS:
        raise ApiError(400, GENERIC_PARAM_ERROR, f"invalid param: at most {FREEBUSY_MAX_ROOMS} room_ids")
    time_min, time_max = _rfc3339(call.arg("time_min"), "time_min"), _rfc3339(call.arg("time_max"), "time_max")
    if time_max < time_min:
        raise ApiError(400, GENERIC_PARAM_ERROR, "invalid param: time_max is before time_min")
    tenant = call.sb.tenant
    known = [r for r in room_ids if tenant.directory.room(r) is not None]
    free_busy = {r: [wire.busy_json(i) for i in tenant.busy(r, time_min, time_max)] for r in known}
    return ok({"time_min": call.arg("time_min"), "time_max": call.arg("time_max"), "free_busy": free_busy})


VC_ROUTES = (
    Route("POST", "/open-apis/auth/v3/tenant_access_token/internal", tenant_token, "auth", auth=False),
    Route("GET", "/open-apis/bot/v3/info", bot_info, "bot_info", "im:message"),
    Route("POST", "/open-apis/vc/v1/rooms/mget", mget_rooms, "room_mget", "vc:room:readonly"),
    Route("POST", "/open-apis/vc/v1/rooms/search", search_rooms, "room_search", "vc:room:readonly"),
    Route("GET", "/open-apis/vc/v1/rooms", list_rooms, "rooms", "vc:room:readonly"),
    Route("GET", "/open-apis/vc/v1/rooms/:room_id", get_room, "room_get", "vc:room:readonly"),
    Route("POST", "/open-apis/vc/v1/room_levels/mget", mget_levels, "room_level_mget", "vc:room:readonly"),
    Route("GET", "/open-apis/vc/v1/room_levels", list_levels, "room_levels", "vc:room:readonly"),
    Route("GET", "/open-apis/vc/v1/room_levels/:room_level_id", get_level, "room_level_get", "vc:room:readonly"),
    Route("GET", "/open-apis/vc/v1/resource_reservation_list", reservation_list, "reservation_list",
          "vc:room:readonly"),
    Route("GET", "/open-apis/meeting_room/freebusy/batch_get", freebusy, "freebusy", "calendar:room:readonly"),
)
