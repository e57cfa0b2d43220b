"""`EventPusher`: posts events and card callbacks to a webhook exactly as Feishu does (contract sections 2 and 3).

`EventFactory` builds the plaintext events; the long connection (longconn.py) sends the same ones.
"""
from __future__ import annotations

import json
import logging
import secrets
import time
import uuid as uuid_lib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import requests

from bot.sandbox import crypto
from bot.sandbox.cardcheck import check_card
from bot.sandbox.directory import User, stable_hex
from bot.sandbox.messages import p2p_chat_id

if TYPE_CHECKING:
    from bot.sandbox.sandbox import Sandbox

log = logging.getLogger(__name__)
TIMEOUT = 3.0  # Feishu waits 3 s for the 200
TOAST_TYPES = ("info", "success", "error", "warning")


@dataclass
class Push:
    """One delivery: what was posted and what the webhook answered (status 0 = no HTTP answer)."""

    status: int
    body: bytes
    elapsed: float
    event_id: str = ""
    message_id: str = ""
    payload: dict[str, Any] = field(default_factory=dict)  # the plaintext event
    raw: bytes = b""  # the exact bytes posted
    error: str = ""  # transport failure, or the Feishu code a card callback reply would get (200671 ...)

    @property
    def json(self) -> Any:
        """The reply body parsed as JSON, or None."""
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    @property
    def ok(self) -> bool:
        """HTTP 200 within the time limit, and (for card callbacks) a valid reply."""
        return self.status == 200 and not self.error


def callback_reply_error(status: int, body: bytes, elapsed: float) -> str:
    """The error code Feishu shows the user for a card callback reply, or "" when the reply is valid."""
    if elapsed > TIMEOUT:
        return "200341"
    if status != 200:
        return "200671"
    try:
        reply = json.loads(body)
    except ValueError:
        return "200672"
    if not isinstance(reply, dict) or set(reply) - {"toast", "card"}:
        return "200672"
    toast = reply.get("toast")
    if toast is not None and not (isinstance(toast, dict) and toast.get("type") in TOAST_TYPES
                                  and (isinstance(toast.get("content"), str) or isinstance(toast.get("i18n"), dict))):
        return "200672"
    card = reply.get("card")
    if card is not None and not _valid_card(card):
        return "200673"
    return ""


def _valid_card(card: Any) -> bool:
    if not isinstance(card, dict) or not isinstance(card.get("data"), dict):
        return False
    if card.get("type") == "raw":  # checked like a sent card: Feishu shows 200673 for a bad one
        return bool(card["data"]) and check_card(card["data"]) is None
    return card.get("type") == "template" and isinstance(card["data"].get("template_id"), str)


class EventFactory:
    """Builds the plaintext schema 2.0 events Feishu pushes (webhook and long connection alike)."""

    def __init__(self, sb: Sandbox) -> None:
        self.sb = sb
        self.group_chat_id = "oc_" + stable_hex("group", sb.seed)

    def message(self, text: str, *, chat_type: str = "p2p", chat_id: str | None = None,
                sender: User | str | None = None, mention_bot: bool | None = None,
                message_type: str = "text", event_id: str | None = None,
                message_id: str | None = None) -> tuple[dict[str, Any], str]:
        """im.message.receive_v1 and its message_id, registered so the bot may reply to it."""
        user = self._user(sender)
        chat_id = chat_id or (p2p_chat_id(user.open_id) if chat_type == "p2p" else self.group_chat_id)
        mention = chat_type == "group" if mention_bot is None else mention_bot
        message_id = message_id or "om_" + secrets.token_hex(16)
        now_ms = str(int(self.sb.now().timestamp() * 1000))
        message: dict[str, Any] = {
            "message_id": message_id, "create_time": now_ms, "update_time": now_ms, "chat_id": chat_id,
            "chat_type": chat_type, "message_type": message_type,
            "content": json.dumps(_content(message_type, f"@_user_1 {text}" if mention else text),
                                  ensure_ascii=False)}
        if mention:
            message["mentions"] = [self._bot_mention()]
        self.sb.messenger.register(message_id, chat_id)
        event = {"sender": {"sender_id": _ids(user), "sender_type": "user",
                            "tenant_key": self._tenant_key}, "message": message}
        return self.envelope("im.message.receive_v1", event, event_id), message_id

    def card_action(self, value: dict[str, Any], *, message_id: str, chat_id: str,
                    operator: User | str | None = None,
                    form_value: dict[str, Any] | None = None) -> dict[str, Any]:
        """card.action.trigger for a button click (a form submit when form_value is given)."""
        user = self._user(operator)
        action: dict[str, Any] = {"value": value, "tag": "button",
                                  "name": "Button_" + secrets.token_hex(4),
                                  "timezone": str(self.sb.tenant.tz)}
        if form_value is not None:
            action["form_value"] = form_value
        event = {"operator": {"tenant_key": self._tenant_key, **_ids(user)},
                 "token": "c-" + secrets.token_hex(20), "action": action, "host": "im_message",
                 "context": {"open_message_id": message_id, "open_chat_id": chat_id}}
        # The callback doc's example carries create_time in microseconds.
        return self.envelope("card.action.trigger", event, None, micro=True)

    def bot_added(self, chat_id: str, operator: User | str | None = None) -> dict[str, Any]:
        """im.chat.member.bot.added_v1: the bot joined a group (sends to it work again)."""
        user = self._user(operator)
        self.sb.messenger.add_bot(chat_id)
        event = {"chat_id": chat_id, "operator_id": _ids(user), "external": False,
                 "operator_tenant_key": self._tenant_key, "name": "会议室群 Rooms",
                 "i18n_names": {"zh_cn": "会议室群", "en_us": "Rooms", "ja_jp": "会議室"}}
        return self.envelope("im.chat.member.bot.added_v1", event, None)

    def envelope(self, event_type: str, event: dict[str, Any], event_id: str | None,
                 micro: bool = False) -> dict[str, Any]:
        """The schema 2.0 envelope around an event."""
        created = int(self.sb.now().timestamp() * (1_000_000 if micro else 1000))
        return {"schema": "2.0",
                "header": {"event_id": event_id or uuid_lib.uuid4().hex, "event_type": event_type,
                           "create_time": str(created), "token": self.sb.verification_token,
                           "app_id": self.sb.app_id, "tenant_key": self._tenant_key},
                "event": event}

    @property
    def _tenant_key(self) -> str:
        return self.sb.tenant.directory.tenant_key

    def _user(self, who: User | str | None) -> User:
        if isinstance(who, User):
            return who
        directory = self.sb.tenant.directory
        if who is None:
            return directory.users[0]
        found = directory.user(who)
        return found or User(who, "on_" + stable_hex("union", who), stable_hex("uid", who, length=8), who, "")

    def _bot_mention(self) -> dict[str, Any]:
        directory = self.sb.tenant.directory
        return {"key": "@_user_1",
                "id": {"union_id": "on_" + stable_hex("union", directory.bot_open_id), "user_id": "",
                       "open_id": directory.bot_open_id},
                "name": directory.bot_name, "tenant_key": self._tenant_key, "mentioned_type": "bot"}


class EventPusher:
    """Builds v2 envelopes, encrypts them (AES-256-CBC) and signs them, then posts them to one URL."""

    def __init__(self, sb: Sandbox, url: str, *, encrypt: bool = True, sign: bool = True) -> None:
        self.sb = sb
        self.url = url
        self.encrypt = encrypt
        self.sign = sign
        self.events = EventFactory(sb)
        self.group_chat_id = self.events.group_chat_id

    # --- events --------------------------------------------------------------------------------

    def message(self, text: str, *, chat_type: str = "p2p", chat_id: str | None = None,
                sender: User | str | None = None, mention_bot: bool | None = None,
                message_type: str = "text", event_id: str | None = None,
                message_id: str | None = None) -> Push:
        """im.message.receive_v1 from a user; in groups the bot is @-mentioned unless mention_bot=False."""
        envelope, message_id = self.events.message(
            text, chat_type=chat_type, chat_id=chat_id, sender=sender, mention_bot=mention_bot,
            message_type=message_type, event_id=event_id, message_id=message_id)
        return self._send(envelope, message_id=message_id)

    def card_action(self, value: dict[str, Any], *, message_id: str, chat_id: str,
                    operator: User | str | None = None,
                    form_value: dict[str, Any] | None = None) -> Push:
        """card.action.trigger for a button click; Push.json is the reply, Push.error its Feishu verdict."""
        envelope = self.events.card_action(value, message_id=message_id, chat_id=chat_id,
                                           operator=operator, form_value=form_value)
        push = self._send(envelope, message_id=message_id)
        if not push.error:
            push.error = callback_reply_error(push.status, push.body, push.elapsed)
        return push

    def bot_added(self, chat_id: str, operator: User | str | None = None) -> Push:
        """im.chat.member.bot.added_v1: the bot joined a group (sends to it work again)."""
        return self._send(self.events.bot_added(chat_id, operator))

    def url_verification(self, encrypted: bool = True) -> Push:
        """The URL check: {"challenge","token","type"}; Push.json should echo the challenge."""
        payload = {"challenge": secrets.token_hex(8), "token": self.sb.verification_token,
                   "type": "url_verification"}
        return self._send(payload, encrypt=encrypted)

    def redeliver(self, push: Push) -> Push:
        """Deliver the same body again (same event_id), with a new timestamp, nonce and signature."""
        again = self.post(push.raw, self._headers(push.raw))
        again.event_id, again.message_id, again.payload = push.event_id, push.message_id, push.payload
        return again

    def post(self, body: bytes, headers: dict[str, str]) -> Push:
        """Post raw bytes with the given headers (for forged or malformed deliveries)."""
        started = time.monotonic()
        try:
            reply = requests.post(self.url, data=body, headers=headers, timeout=TIMEOUT)
        except requests.RequestException as exc:
            log.info("push to %s failed: %s", self.url, exc)
            return Push(0, b"", time.monotonic() - started, raw=body, error=type(exc).__name__)
        return Push(reply.status_code, reply.content, time.monotonic() - started, raw=body)

    # --- building blocks -----------------------------------------------------------------------

    def envelope(self, event_type: str, event: dict[str, Any], event_id: str | None,
                 micro: bool = False) -> dict[str, Any]:
        """The schema 2.0 envelope around an event."""
        return self.events.envelope(event_type, event, event_id, micro)

    def _send(self, payload: dict[str, Any], *, message_id: str = "", encrypt: bool | None = None) -> Push:
        plaintext = json.dumps(payload, ensure_ascii=False)
        if self.encrypt if encrypt is None else encrypt:
            body = json.dumps({"encrypt": crypto.encrypt(plaintext, self.sb.encrypt_key)}).encode("utf-8")
        else:
            body = plaintext.encode("utf-8")
        push = self.post(body, self._headers(body))
        push.event_id = payload.get("header", {}).get("event_id", "")
        push.message_id, push.payload = message_id, payload
        return push

    def _headers(self, body: bytes) -> dict[str, str]:
        headers = {"Content-Type": "application/json;charset=utf-8", "User-Agent": "Feishu-Sandbox/1.0"}
        if self.sign:
            timestamp, nonce = str(int(time.time())), secrets.token_hex(8)
            headers.update({"X-Lark-Request-Timestamp": timestamp, "X-Lark-Request-Nonce": nonce,
                            "X-Lark-Signature": crypto.signature(timestamp, nonce, self.sb.encrypt_key, body)})
        return headers


def _ids(user: User) -> dict[str, str]:
    return {"union_id": user.union_id, "user_id": user.user_id, "open_id": user.open_id}


def _content(message_type: str, text: str) -> dict[str, Any]:
    """The content object of a user message of this type."""
    if message_type == "text":
        return {"text": text}
    if message_type == "post":
        return {"title": "", "content": [[{"tag": "text", "text": text}]]}
    if message_type in ("image", "sticker", "file"):
        key = "image_key" if message_type == "image" else "file_key"
        return {key: f"{message_type}_v3_" + secrets.token_hex(8)}
    return {"text": text}
