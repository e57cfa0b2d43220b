"""Inbound Feishu events through the SDK's own dispatcher: decrypt, verify, and turn into roombot values."""
from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import lark_oapi as lark
from lark_oapi.core.model import RawRequest
from lark_oapi.event.callback.model.p2_card_action_trigger import (
    P2CardActionTrigger,
    P2CardActionTriggerResponse,
)

from bot.inbound import BotAdded, BotRemoved, CardAction, Inbound, IncomingMessage, strip_mentions

log = logging.getLogger(__name__)

# Event types we subscribe to but have nothing to do for: acknowledged so Feishu does not retry them.
IGNORED_TYPES = ("im.message.message_read_v1", "im.message.reaction.created_v1",
                 "im.message.reaction.deleted_v1", "im.chat.member.user.added_v1",
                 "im.chat.member.user.deleted_v1", "p2p_chat_create")
# What the SDK says (as HTTP 500) when a request fails authentication or decryption.
AUTH_FAILURES = ("signature verification failed", "invalid verification_token",
                 "encrypt_key not found", "webhook credentials",
                 "unsupported operand")  # the last: signature headers missing (the SDK adds None + str)


# Prefix of the error our own handlers raise when they could not keep an event (e.g. the store is
# down): always a 500, so Feishu re-delivers it, never mistaken for a malformed request.
NOT_RECORDED = "roombot could not record the event"


@dataclass(frozen=True)
class DispatchResult:
    """The HTTP answer to send back to Feishu."""

    status: int
    body: bytes


def build_dispatcher(encrypt_key: str, verification_token: str,
                     on_event: Callable[[Inbound], None],
                     on_card_action: Callable[[CardAction], dict[str, Any]]
                     ) -> lark.EventDispatcherHandler:
    """Register every event roombot subscribes to; each handler only converts and hands over."""
    builder = lark.EventDispatcherHandler.builder(encrypt_key, verification_token, lark.LogLevel.ERROR)
    builder.register_p2_im_message_receive_v1(lambda e: _hand_over(on_event, _message(e)))
    builder.register_p2_im_chat_member_bot_added_v1(lambda e: _hand_over(on_event, _bot_added(e)))
    builder.register_p2_im_chat_member_bot_deleted_v1(
        lambda e: _hand_over(on_event, _bot_removed(e, "removed")))
    builder.register_p2_im_chat_disbanded_v1(
        lambda e: _hand_over(on_event, _bot_removed(e, "disbanded")))
    builder.register_p2_card_action_trigger(
        lambda e: P2CardActionTriggerResponse(_hand_over(on_card_action, _card_action(e))))
    for event_type in IGNORED_TYPES:
        builder.register_p2_customized_event(event_type, lambda e: None)
    return builder.build()


def _hand_over(handler: Callable[[Any], Any], item: Any) -> Any:
    """Call our handler with an already converted item; its failures are tagged NOT_RECORDED."""
    try:
        return handler(item)
    except Exception as exc:
        log.exception("could not record %s", getattr(item, "dedupe_key", item))
        raise RuntimeError(f"{NOT_RECORDED}: {type(exc).__name__}") from exc


def dispatch(dispatcher: lark.EventDispatcherHandler, path: str, body: bytes,
             headers: dict[str, str]) -> DispatchResult:
    """Run one webhook request through the SDK and turn its failures into honest HTTP statuses."""
    request = RawRequest()
    request.uri, request.body, request.headers = path, body, headers
    response = dispatcher.do(request)
    content = bytes(response.content or b"")
    if response.status_code == 200:
        return DispatchResult(200, content)
    message = _error_message(content)
    if NOT_RECORDED in message:
        return DispatchResult(500, json.dumps({"msg": NOT_RECORDED}).encode())
    if "processor not found" in message:
        log.info("acknowledged an event type roombot does not handle: %s", message)
        return DispatchResult(200, b'{"msg":"ignored"}')
    if any(failure in message for failure in AUTH_FAILURES):
        return DispatchResult(401, json.dumps({"msg": message}).encode())
    if _is_malformed(message):
        return DispatchResult(400, json.dumps({"msg": "malformed event"}).encode())
    return DispatchResult(500, content)


def _error_message(content: bytes) -> str:
    try:
        return str(json.loads(content).get("msg", ""))
    except (ValueError, AttributeError):
        return content.decode("utf-8", "replace")


def _is_malformed(message: str) -> bool:
    # Decryption, padding, base64 and JSON errors raised inside the SDK before any handler ran.
    markers = ("Expecting", "padding", "Incorrect", "decode", "base64", "length", "null",
               "JSON", "object has no attribute", "Invalid", "unmarshal")
    return any(marker in message for marker in markers)


def _message(event: lark.im.v1.P2ImMessageReceiveV1) -> IncomingMessage:
    message, sender = event.event.message, event.event.sender
    mentions = tuple(m.id.open_id for m in (message.mentions or []) if m.id and m.id.open_id)
    return IncomingMessage(
        event_id=event.header.event_id or "",
        message_id=message.message_id or "",
        chat_id=message.chat_id or "",
        chat_type=message.chat_type or "p2p",
        sender_open_id=(sender.sender_id.open_id if sender and sender.sender_id else "") or "",
        sender_type=(sender.sender_type if sender else "") or "",
        message_type=message.message_type or "",
        text=_text_of(message.message_type, message.content),
        mentioned_open_ids=mentions,
        create_time_ms=int(message.create_time or 0),
    )


def _text_of(message_type: str | None, content: str | None) -> str:
    if message_type != "text" or not content:
        return ""
    try:
        return strip_mentions(str(json.loads(content).get("text", "")))
    except (ValueError, AttributeError):
        return ""


def _bot_added(event: lark.im.v1.P2ImChatMemberBotAddedV1) -> BotAdded:
    data = event.event
    operator = data.operator_id.open_id if data.operator_id else ""
    return BotAdded(event.header.event_id or "", data.chat_id or "", operator or "", data.name or "")


def _bot_removed(event: Any, reason: str) -> BotRemoved:
    return BotRemoved(event.header.event_id or "", event.event.chat_id or "", reason)


def _card_action(event: P2CardActionTrigger) -> CardAction:
    data = event.event
    context = data.context
    return CardAction(
        event_id=event.header.event_id or "",
        token=data.token or "",
        operator_open_id=(data.operator.open_id if data.operator else "") or "",
        message_id=(context.open_message_id if context else "") or "",
        chat_id=(context.open_chat_id if context else "") or "",
        value=dict(data.action.value or {}) if data.action else {},
    )
