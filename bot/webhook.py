"""The Flask edge: hand each Feishu request to the SDK dispatcher and answer at once."""
from __future__ import annotations

import logging
import time
from collections.abc import Callable

from flask import Blueprint, Response, request

from bot.feishu.events import DispatchResult, dispatch

log = logging.getLogger(__name__)

TIMESTAMP = "X-Lark-Request-Timestamp"
NONCE = "X-Lark-Request-Nonce"
SIGNATURE = "X-Lark-Signature"
# Feishu re-delivers after 15 s, 5 min, 1 h and 6 h: anything signed longer ago than that is a replay.
REDELIVERY_HORIZON_SECONDS = 7.5 * 3600
CLOCK_SKEW_SECONDS = 300


def webhook_blueprint(dispatcher: object, encrypt_key: str,
                      wall_clock: Callable[[], float] = time.time) -> Blueprint:
    """POST /webhook/event for events and card callbacks; GET /healthz."""
    blueprint = Blueprint("webhook", __name__)

    @blueprint.post("/webhook/event")
    def receive() -> Response:
        body = request.get_data(cache=False)
        headers = {key: value for key, value in request.headers.items()}
        stale = _stale_signature(headers, wall_clock()) if encrypt_key else None
        if stale:
            log.warning("rejected a webhook request: %s", stale)
            return _json(DispatchResult(401, f'{{"msg":"{stale}"}}'.encode()))
        return _json(dispatch(dispatcher, request.path, body, headers))  # type: ignore[arg-type]

    @blueprint.get("/healthz")
    def healthz() -> Response:
        return Response('{"status":"ok"}', 200, content_type="application/json")

    return blueprint


def _stale_signature(headers: dict[str, str], now: float) -> str | None:
    """Why a signed request is too old or from the future; None when fresh or unsigned.

    Unsigned requests go on to the SDK, which answers a url_verification and rejects the rest.
    """
    raw = headers.get(TIMESTAMP)
    if raw is None:
        return None
    try:
        signed_at = float(raw)
    except ValueError:
        return "bad signature timestamp"
    if signed_at > 1e11:  # milliseconds
        signed_at /= 1000
    if now - signed_at > REDELIVERY_HORIZON_SECONDS:
        return "signature timestamp too old"
    if signed_at - now > CLOCK_SKEW_SECONDS:
        return "signature timestamp in the future"
    return None


def _json(result: DispatchResult) -> Response:
    return Response(result.body, result.status, content_type="application/json; charset=utf-8")
