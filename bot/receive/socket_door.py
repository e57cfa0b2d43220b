"""The long connection's door: one frame's plaintext payload in, the ACK out.

Frames are plaintext: the channel is authenticated by the app's credentials, so there is nothing to
verify (contract 2.9). Each frame's payload is the same schema 2.0 envelope a webhook delivers, so
it goes through the same strict `events.to_event` into the same inbox. What the ACK says:

| frame                                           | ACK code | recorded?                  |
|-------------------------------------------------|----------|----------------------------|
| a message, bot added/removed, chat disbanded    | 200      | yes, committed before ACK  |
| card.action.trigger                             | 200 with the new card or a toast (ClickDesk, < 3 s) | yes |
| a duplicate delivery                            | 200      | already                    |
| an event type roombot does not handle           | 200      | no                         |
| not JSON, not an event, wrong field types, > 1 MiB | 200 (logged: a re-delivery could not fix it) | no |
| the store cannot record it                      | 500, so Feishu re-delivers | no               |
"""
from __future__ import annotations

import logging
import time
from typing import Any

from bot.observe import metrics
from bot.receive.clicks import ClickDesk
from bot.receive.events import CardAction, Ignored, Inbound, to_event
from bot.receive.inbox import Inbox
from bot.receive.verify import MAX_BODY_BYTES, Malformed, RejectedRequest, loads_object
from bot.store import StoreError

log = logging.getLogger(__name__)

DOOR = "long_connection"
ACK_OK, ACK_FAILED = 200, 500  # the only codes the SDK sends; 500 makes Feishu re-deliver
Ack = tuple[int, dict[str, Any] | None]


class SocketDoor:
    """One frame's payload in, the ACK out: convert strictly, record, answer clicks in place."""

    def __init__(self, inbox: Inbox, clicks: ClickDesk) -> None:
        self.inbox = inbox
        self.clicks = clicks

    def handle(self, payload: bytes) -> Ack:
        """The ACK code and the callback's body (None for events) for one plaintext envelope."""
        started, event_type = time.monotonic(), "unknown"
        try:
            if len(payload) > MAX_BODY_BYTES:
                raise Malformed("frame payload over 1 MiB")
            envelope = loads_object(payload, "frame payload")
            event_type = _event_type(envelope)
            ack = self._take(to_event(envelope))
        except RejectedRequest as exc:
            log.warning("long connection: dropped a frame (%s)", exc.reason)
            ack = ACK_OK, None
        metrics.event_received(DOOR, event_type, ack[0], time.monotonic() - started)
        return ack

    def _take(self, event: Inbound | Ignored) -> Ack:
        if isinstance(event, Ignored):
            log.info("event %s: type %s acknowledged, nothing to do", event.event_id,
                     event.event_type)
            return ACK_OK, None
        try:
            if isinstance(event, CardAction):
                return ACK_OK, self.clicks.answer(event)
            self.inbox.record(event)
        except StoreError as exc:
            log.error("event %s: not recorded, Feishu will re-deliver: %s", event.event_id, exc)
            return ACK_FAILED, None
        return ACK_OK, None


def _event_type(envelope: dict[str, Any]) -> str:
    header = envelope.get("header")
    kind = header.get("event_type") if isinstance(header, dict) else None
    return kind if isinstance(kind, str) else "unknown"
