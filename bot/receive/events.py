"""What arrives from Feishu, as roombot's own frozen values, converted strictly from a v2 envelope.

`to_event` raises `Malformed` (HTTP 400) for a wrong type in any field roombot acts on, returns
`Ignored` (HTTP 200, not recorded) for any other well-formed event type, and raises nothing else.
Field names follow lark-oapi 1.7.5's models and contract §2.4–2.6 and §3.1. Every string kept must
be encodable as UTF-8 (no lone surrogates), so the store can always write it.

| Field (event type)                     | Rule; a wrong type is 400 unless it says ignored          |
|----------------------------------------|-----------------------------------------------------------|
| schema                                 | "2.0"                                                     |
| header.event_id, header.event_type     | non-empty str (the dedupe key, the dispatch key)          |
| header.create_time, app_id, tenant_key | ignored (header.token is checked by verify.py)            |
| event (the five types below)           | an object                                                 |
| message.message_id, chat_id            | non-empty str (dedupe key; where to answer)               |
| message.chat_type                      | "p2p" or "group" (who may see names depends on it)        |
| message.message_type                   | non-empty str                                             |
| message.content                        | a str holding a JSON object, for every message type       |
| content.text (message_type "text")     | str; other content keys, other types' content ignored     |
| message.mentions                       | absent/null, or a list of objects whose `id` is an object with `open_id` a str ("" skipped) |
| mentions[].key, name, mentioned_type, tenant_key | ignored                                         |
| message.create_time                    | absent/null → 0, an int ≥ 0, or a str of ≤ 19 ASCII digits |
| message.root_id, parent_id, thread_id, update_time, user_agent, lark_agent_context | ignored |
| sender                                 | an object; sender_type a str (only "user" is answered)    |
| sender.sender_id.open_id               | sender_id an object, open_id a str (the receive doc: only users send, so it is there) |
| sender.tenant_key, sender_id.union_id, user_id | ignored                                           |
| card: event.token                      | str (the card-update credential)                          |
| card: operator.open_id                 | operator an object, open_id a str; user_id, union_id, tenant_key ignored |
| card: action.value, action.form_value  | action an object; each absent/null → {} or an object of JSON values, str keys, ≤ 16 levels |
| card: action.tag, name, option, options, input_value, checked, timezone | ignored         |
| card: context.open_message_id, open_chat_id | context absent/null or an object; each absent/null → "" or a str |
| card: host, delivery_type, context.url, preview_token | ignored                              |
| bot added/removed, disbanded: chat_id  | non-empty str                                             |
| bot added: operator_id.open_id         | operator_id absent/null or an object; open_id absent/null → "" or a str |
| bot added: name                        | absent/null → "" or a str; i18n_names, external, operator_tenant_key ignored |
| bot removed, disbanded: all but chat_id | ignored (nothing else is kept; a 400 would only make Feishu retry a removal) |
| any other event_type                   | `Ignored`: nothing inside is read                         |
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from bot.receive.verify import Malformed, loads_object

MENTION_KEY = re.compile(r"@_user_\d+")
CHAT_TYPES = ("p2p", "group")
MAX_VALUE_DEPTH = 16  # our buttons' values are flat; a form's value is two levels at most


@dataclass(frozen=True)
class IncomingMessage:
    """A chat message sent to the bot (`im.message.receive_v1`)."""

    event_id: str
    message_id: str
    chat_id: str
    chat_type: str  # "p2p" or "group"
    sender_open_id: str
    sender_type: str  # "user", or "app" for other bots
    message_type: str  # "text", "image", "post", ...
    text: str  # mentions stripped
    mentioned_open_ids: tuple[str, ...] = ()
    create_time_ms: int = 0

    @property
    def dedupe_key(self) -> str:
        # Feishu's receive doc: dedupe messages on message_id, not event_id.
        return f"msg:{self.message_id}"


@dataclass(frozen=True)
class CardAction:
    """A button click or form submission on one of our cards (`card.action.trigger`)."""

    event_id: str
    token: str
    operator_open_id: str
    message_id: str
    chat_id: str
    value: dict[str, Any] = field(default_factory=dict)
    form_value: dict[str, Any] = field(default_factory=dict)
    form_unreadable: str = ""  # why form_value could not be read ("" when it could)

    @property
    def dedupe_key(self) -> str:
        return f"card:{self.event_id}"


@dataclass(frozen=True)
class BotAdded:
    """The bot was added to a group (`im.chat.member.bot.added_v1`)."""

    event_id: str
    chat_id: str
    operator_open_id: str = ""
    chat_name: str = ""

    @property
    def dedupe_key(self) -> str:
        return f"evt:{self.event_id}"


@dataclass(frozen=True)
class BotRemoved:
    """The bot left a group, or the group was dissolved: its subscriptions stop."""

    event_id: str
    chat_id: str
    reason: str  # "removed" or "disbanded"

    @property
    def dedupe_key(self) -> str:
        return f"evt:{self.event_id}"


@dataclass(frozen=True)
class Ignored:
    """A well-formed event roombot does nothing with: acknowledged with 200, never recorded."""

    event_type: str
    event_id: str


@dataclass(frozen=True)
class BookingJob:
    """Carry one booking (its ledger key) through Feishu's asynchronous steps: queued by the
    answer that started it, run by a worker, resumed by the next one after a crash."""

    key: str
    message_id: str = ""  # the card to patch with the outcome ("": the booking's own card)
    step: int = 0  # the ledger step that queued it: a later change is a job of its own

    @property
    def event_id(self) -> str:
        return f"book:{self.key[:16]}:{self.step}"

    @property
    def dedupe_key(self) -> str:
        return f"book:{self.key}:{self.step}"


Inbound = IncomingMessage | CardAction | BotAdded | BotRemoved | BookingJob
KINDS: dict[str, type] = {
    "message": IncomingMessage, "card_action": CardAction,
    "bot_added": BotAdded, "bot_removed": BotRemoved, "booking": BookingJob,
}


def kind_of(item: Inbound) -> str:
    """The store's name for an inbound item's type."""
    return next(name for name, cls in KINDS.items() if isinstance(item, cls))


def to_payload(item: Inbound) -> dict[str, Any]:
    """A JSON-able dict to store durably before the ack."""
    return asdict(item)


def from_payload(kind: str, payload: dict[str, Any]) -> Inbound:
    """Rebuild an inbound item stored by `to_payload` (rows stored before form_value too)."""
    cls = KINDS[kind]
    if cls is IncomingMessage:
        payload = {**payload, "mentioned_open_ids": tuple(payload.get("mentioned_open_ids", ()))}
    return cls(**payload)


def strip_mentions(text: str) -> str:
    """Remove Feishu's `@_user_N` placeholders and tidy the spaces."""
    return " ".join(MENTION_KEY.sub(" ", text).split())


def to_event(payload: dict[str, Any]) -> Inbound | Ignored:
    """The typed value of a verified schema 2.0 envelope; Malformed for anything roombot can't trust."""
    if not isinstance(payload, dict) or payload.get("schema") != "2.0":
        raise Malformed("not a schema 2.0 event")
    header = _object(payload.get("header"), "header")
    event_id = _text(header.get("event_id"), "header.event_id", nonempty=True)
    event_type = _text(header.get("event_type"), "header.event_type", nonempty=True)
    convert = CONVERTERS.get(event_type)
    if convert is None:
        return Ignored(event_type, event_id)
    return convert(event_id, _object(payload.get("event"), "event"))


def _message(event_id: str, event: dict[str, Any]) -> IncomingMessage:
    message = _object(event.get("message"), "message")
    sender = _object(event.get("sender"), "sender")
    message_type = _text(message.get("message_type"), "message.message_type", nonempty=True)
    chat_type = message.get("chat_type")
    if not isinstance(chat_type, str) or chat_type not in CHAT_TYPES:
        raise Malformed("message.chat_type is not p2p or group")
    content = loads_object(_text(message.get("content"), "message.content"), "message.content")
    text = _text(content.get("text"), "content.text") if message_type == "text" else ""
    return IncomingMessage(
        event_id=event_id,
        message_id=_text(message.get("message_id"), "message.message_id", nonempty=True),
        chat_id=_text(message.get("chat_id"), "message.chat_id", nonempty=True),
        chat_type=chat_type,
        sender_open_id=_text(_object(sender.get("sender_id"), "sender.sender_id").get("open_id"),
                             "sender.sender_id.open_id"),
        sender_type=_text(sender.get("sender_type"), "sender.sender_type"),
        message_type=message_type,
        text=strip_mentions(text),
        mentioned_open_ids=_mentions(message.get("mentions")),
        create_time_ms=_millis(message.get("create_time")),
    )


def _mentions(raw: object) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise Malformed("message.mentions is not a list")
    ids = (_text(_object(_object(m, "mention").get("id"), "mention.id").get("open_id"),
                 "mention.id.open_id") for m in raw)
    return tuple(open_id for open_id in ids if open_id)


def _millis(raw: object) -> int:
    if raw is None:
        return 0
    if isinstance(raw, int) and not isinstance(raw, bool) and 0 <= raw < 2 ** 63:
        return raw
    if isinstance(raw, str) and raw.isascii() and raw.isdigit() and len(raw) <= 19:
        return int(raw)
    raise Malformed("message.create_time is not a number of milliseconds")


def _card_action(event_id: str, event: dict[str, Any]) -> CardAction:
    operator = _object(event.get("operator"), "operator")
    action = _object(event.get("action"), "action")
    context = _object(event.get("context"), "context", optional=True)
    return CardAction(
        event_id=event_id,
        token=_text(event.get("token"), "event.token"),
        operator_open_id=_text(operator.get("open_id"), "operator.open_id"),
        message_id=_text(context.get("open_message_id"), "context.open_message_id", optional=True),
        chat_id=_text(context.get("open_chat_id"), "context.open_chat_id", optional=True),
        value=_json_object(action.get("value"), "action.value"),
        **_form_value(action.get("form_value")),
    )


def _form_value(raw: object) -> dict[str, Any]:
    """form_value, or why it could not be read: a signed callback with a bad form is still
    Feishu's, so it gets an answer (a toast), not a 400 the client shows as an error popup."""
    try:
        return {"form_value": _json_object(raw, "action.form_value")}
    except Malformed as exc:
        return {"form_value": {}, "form_unreadable": exc.reason}


def _bot_added(event_id: str, event: dict[str, Any]) -> BotAdded:
    operator = _object(event.get("operator_id"), "operator_id", optional=True)
    return BotAdded(event_id, _text(event.get("chat_id"), "chat_id", nonempty=True),
                    _text(operator.get("open_id"), "operator_id.open_id", optional=True),
                    _text(event.get("name"), "name", optional=True))


def _bot_removed(reason: str) -> Callable[[str, dict[str, Any]], BotRemoved]:
    def convert(event_id: str, event: dict[str, Any]) -> BotRemoved:
        return BotRemoved(event_id, _text(event.get("chat_id"), "chat_id", nonempty=True), reason)
    return convert


CONVERTERS: dict[str, Callable[[str, dict[str, Any]], Inbound]] = {
    "im.message.receive_v1": _message,
    "im.chat.member.bot.added_v1": _bot_added,
    "im.chat.member.bot.deleted_v1": _bot_removed("removed"),
    "im.chat.disbanded_v1": _bot_removed("disbanded"),
    "card.action.trigger": _card_action,
}


def _object(raw: object, where: str, optional: bool = False) -> dict[str, Any]:
    if raw is None and optional:
        return {}
    if not isinstance(raw, dict):
        raise Malformed(f"{where} is not an object")
    return raw


def _text(raw: object, where: str, nonempty: bool = False, optional: bool = False) -> str:
    if raw is None and optional:
        return ""
    if not isinstance(raw, str) or (nonempty and not raw) or not _encodable(raw):
        raise Malformed(f"{where} is not a{' non-empty' if nonempty else ''} string")
    return raw


def _json_object(raw: object, where: str) -> dict[str, Any]:
    """An object kept as is (a button's value, a form's values): bounded, str keys, clean text."""
    value = _object(raw, where, optional=True)
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_VALUE_DEPTH:
            raise Malformed(f"{where} is nested too deeply")
        if isinstance(item, dict):
            if not all(isinstance(key, str) and _encodable(key) for key in item):
                raise Malformed(f"{where} has a key that is not a string")
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)
        elif isinstance(item, str):
            if not _encodable(item):
                raise Malformed(f"{where} holds text that is not valid Unicode")
        elif item is not None and not isinstance(item, bool | int | float):
            raise Malformed(f"{where} holds a value that is not JSON")
    return value


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True

