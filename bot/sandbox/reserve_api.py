"""Handlers for a room's booking limits (vc/v1/reserve_configs/reserve_scope) and meeting_room/instance/reply."""
from __future__ import annotations

from werkzeug.wrappers import Response

from bot.sandbox.instance_replies import ReplyRefused
from bot.sandbox.releases import ENDED_BEFORE_DUE, REPLY_STATUSES, Release
from bot.sandbox.reserve_rules import RoomRules, rules_json
from bot.sandbox.server import ApiError, Call, Route, json_response, ok, param_error
from bot.sandbox.user_ids import ID_TYPES
from bot.sandbox.vc_api import GENERIC_PARAM_ERROR

SCOPE_LEVEL, SCOPE_ROOM = "1", "2"


def reserve_scope(call: Call) -> Response:
    """GET reserve_configs/reserve_scope: a room's limits (scope_type 2), or a level's (1: the defaults)."""
    scope_id, scope_type = call.arg("scope_id") or "", call.arg("scope_type") or ""
    id_type = call.arg("user_id_type") or "open_id"
    if not scope_id:
        raise param_error("scope_id is required")
    if scope_type not in (SCOPE_LEVEL, SCOPE_ROOM):
        raise param_error("scope_type must be 1 (level) or 2 (room)")
    if id_type not in ID_TYPES:
        raise param_error(f"user_id_type must be one of {', '.join(ID_TYPES)}")
    directory = call.sb.tenant.directory
    known = directory.room(scope_id) if scope_type == SCOPE_ROOM else directory.level(scope_id)
    if known is None:
        raise ApiError(400, 126001, "invalid room or level id, check itself or whether the scope_type "
                                    "corresponds to it")
    rules = call.sb.calendar.rules.get(scope_id, RoomRules()) if scope_type == SCOPE_ROOM else RoomRules()
    return ok(rules_json(rules, directory, id_type))


def instance_reply(call: Call) -> Response:
    """POST meeting_room/instance/reply: end or answer an instance; `{"code":0,"msg":"success"}`, no data."""
    body = call.body()
    room_id, uid, original_time, status = (body.get(k) for k in ("room_id", "uid", "original_time", "status"))
    if not isinstance(room_id, str) or call.sb.tenant.directory.room(room_id) is None:
        raise _bad("room_id is not a room of the tenant")
    if not isinstance(uid, str) or not uid:
        raise _bad("uid is required")
    if isinstance(original_time, bool) or not isinstance(original_time, int) or not 0 <= original_time < 2**32:
        raise _bad("original_time must be an integer (0, or an instance's start in unix seconds)")
    if status not in REPLY_STATUSES:
        raise _bad(f"status must be one of {', '.join(REPLY_STATUSES)}")
    # The app answers: an early end names it as the releasing person (the docs name nobody).
    releaser = call.sb.tenant.directory.bot_name if status == ENDED_BEFORE_DUE else ""
    try:
        call.sb.calendar.replies.answer(room_id, uid, original_time,
                                        Release(status, call.sb.tenant.now_ts(), releaser))
    except ReplyRefused as refused:
        raise ApiError(400, refused.code, refused.msg) from None
    call.sb.calendar.holds.touch()
    return json_response(200, {"code": 0, "msg": "success"})


def _bad(detail: str) -> ApiError:
    """The generic 10003 invalid param (the page documents only generic error codes)."""
    return ApiError(400, GENERIC_PARAM_ERROR, f"invalid param: {detail}")


RESERVE_ROUTES = (
    Route("GET", "/open-apis/vc/v1/reserve_configs/reserve_scope", reserve_scope, "reserve_scope",
          "vc:room:readonly"),
    Route("POST", "/open-apis/meeting_room/instance/reply", instance_reply, "instance_reply",
          "calendar:room:readonly"),
)
