"""Answers: Query -> Reply. `router.answer` picks the function; each module answers one question.

`AnswerContext` is the one object an answer function gets besides its query: what it may use
(the gateway, the directory snapshot, settings, the store) and `now`, read once at the edge.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from bot.config import Settings

if TYPE_CHECKING:
    from bot.book.rules import RulesCache
    from bot.directory.tree import Directory
    from bot.feishu.gateway import FeishuGateway
    from bot.store import Store


@dataclass(frozen=True)
class AnswerContext:
    """Everything one answer needs; `now` is read once at the edge."""

    gateway: FeishuGateway
    directory: Directory
    settings: Settings
    now: datetime
    chat_id: str = ""
    chat_type: str = "p2p"  # "p2p" or "group"
    user_open_id: str = ""
    store: Store | None = None
    click: str = ""  # the idempotency key of the card click being answered ("" for a message)
    fresh: bool = False  # read Feishu now, not the ledger cache (the card's Refresh button)
    rules: RulesCache | None = None  # the rooms' booking rules (None: offer no Book buttons)
