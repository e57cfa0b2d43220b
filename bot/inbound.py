"""What arrives from Feishu, as roombot's own values: messages, card clicks, the bot joining a chat."""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

MENTION_KEY = re.compile(r"@_user_\d+")


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
    """A button click on one of our cards (`card.action.trigger`)."""

    event_id: str
    token: str
    operator_open_id: str
    message_id: str
    chat_id: str
    value: dict[str, Any] = field(default_factory=dict)

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


Inbound = IncomingMessage | CardAction | BotAdded | BotRemoved
KINDS: dict[str, type] = {
    "message": IncomingMessage, "card_action": CardAction,
    "bot_added": BotAdded, "bot_removed": BotRemoved,
}


def kind_of(item: Inbound) -> str:
    """The store's name for an inbound item's type."""
    return next(name for name, cls in KINDS.items() if isinstance(item, cls))


def to_payload(item: Inbound) -> dict[str, Any]:
    """A JSON-able dict to store durably before the ack."""
    return asdict(item)


def from_payload(kind: str, payload: dict[str, Any]) -> Inbound:
    """Rebuild an inbound item stored by `to_payload`."""
    cls = KINDS[kind]
    if cls is IncomingMessage:
        payload = {**payload, "mentioned_open_ids": tuple(payload.get("mentioned_open_ids", ()))}
    return cls(**payload)


def strip_mentions(text: str) -> str:
    """Remove Feishu's `@_user_N` placeholders and tidy the spaces."""
    return " ".join(MENTION_KEY.sub(" ", text).split())
