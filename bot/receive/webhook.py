"""The HTTP door: POST /webhook/event for events and card callbacks. Verify, convert, record, ack.

Every status comes from our own exception types (the table is in the README):
url_verification → 200 echo; forged, unsigned, wrong token, stale or future-dated → 401;
not decryptable, not JSON, not an event, wrong field types → 400; an event type roombot ignores →
200; a duplicate delivery → 200 (not recorded again); the store cannot record it → 503, so
Feishu re-delivers. Nothing about a request's content can produce a 5xx.
"""
from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, request

from bot.observe import metrics
from bot.receive.clicks import ClickDesk
from bot.receive.events import CardAction, Ignored, to_event
from bot.receive.inbox import Inbox
from bot.receive.verify import (
    Credentials,
    RejectedRequest,
    challenge_reply,
    is_url_verification,
    open_request,
)
from bot.store import StoreError

log = logging.getLogger(__name__)


def webhook_blueprint(creds: Credentials, inbox: Inbox, clicks: ClickDesk,
                      wall_clock: Callable[[], float] = time.time) -> Blueprint:
    """POST /webhook/event and GET /healthz."""
    blueprint = Blueprint("webhook", __name__)

    @blueprint.post("/webhook/event")
    def receive() -> Response:
        started, seen = time.perf_counter(), {"type": "unknown"}
        try:
            response = handle(seen)
        except Exception as exc:  # Flask answers it: 413 for a body over the limit, else 500
            code = getattr(exc, "code", None)  # werkzeug's HTTPException carries its status
            status = code if isinstance(code, int) else 500
            metrics.event_received("webhook", seen["type"], status, time.perf_counter() - started)
            raise
        metrics.event_received("webhook", seen["type"], response.status_code,
                               time.perf_counter() - started)
        return response

    def handle(seen: dict[str, str]) -> Response:
        """Verify, convert, record, acknowledge; `seen["type"]` learns the event type."""
        try:
            payload = open_request(request.get_data(cache=False), request.headers, creds,
                                   wall_clock())
            seen["type"] = event_type_of(payload)
            if is_url_verification(payload):
                return _json(200, challenge_reply(payload))
            event = to_event(payload)
        except RejectedRequest as exc:
            log.warning("rejected a webhook request (%d): %s", exc.status, exc.reason)
            return _json(exc.status, {"msg": exc.reason})
        if isinstance(event, Ignored):
            log.info("event %s: type %s acknowledged, nothing to do", event.event_id,
                     event.event_type)
            return _json(200, {"msg": "ignored"})
        try:
            if isinstance(event, CardAction):
                return _json(200, clicks.answer(event))
            new = inbox.record(event)
        except StoreError as exc:
            log.error("event %s: not recorded, Feishu will re-deliver: %s", event.event_id, exc)
            return _json(503, {"msg": "could not record the event"})
        return _json(200, {"msg": "success" if new else "duplicate"})

    @blueprint.get("/healthz")
    def healthz() -> Response:
        return _json(200, {"status": "ok"})

    return blueprint


def event_type_of(payload: dict[str, Any]) -> str:
    """The event type a verified payload claims, for metrics ("unknown" when it names none)."""
    if is_url_verification(payload):
        return "url_verification"
    header = payload.get("header")
    kind = header.get("event_type") if isinstance(header, dict) else None
    return kind if isinstance(kind, str) and kind else "unknown"


def _json(status: int, body: dict[str, Any]) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), status,
                    content_type="application/json; charset=utf-8")
