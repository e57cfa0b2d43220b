"""What a person last asked in a chat, kept a few minutes in the store so that a follow-up
("那明天呢", "book the second one") can fill in what it leaves out; several instances share it.

Kept: the question as a button value (re-checked by actions.decode when read back, like any
click) and the rooms its card offered, in the card's order.
"""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from bot.queries import Book, FindFree, IsFree, Query, Reply, Report, Usage, WhoBooked
from bot.understand import actions

if TYPE_CHECKING:
    from bot.directory.tree import Directory
    from bot.store import Store

KEEP_SECONDS = 600.0
REMEMBERED = (WhoBooked, IsFree, FindFree, Book, Report, Usage)
MAX_ROOMS = 20


def remember(store: Store, chat_id: str, open_id: str, query: Query, reply: Reply) -> None:
    """Keep an understood question and its card's rooms (other answers leave the context be)."""
    if not chat_id or not open_id or not isinstance(query, REMEMBERED):
        return
    listed = reply.data.get("rooms") or reply.data.get("free") or []
    rooms = [row["room_id"] for row in listed if isinstance(row, dict) and row.get("room_id")]
    store.save_conversation(chat_id, open_id, {"q": actions.encode(query), "rooms": rooms[:MAX_ROOMS]})


def recall(store: Store, chat_id: str, open_id: str, directory: Directory,
           now: datetime) -> tuple[Query | None, tuple[str, ...]]:
    """The last question (None if none, too old, or no longer valid) and its card's rooms."""
    if not chat_id or not open_id:
        return None, ()
    saved = store.conversation(chat_id, open_id, KEEP_SECONDS)
    if not saved:
        return None, ()
    try:
        last = actions.decode(saved.get("q"), directory, now)
    except (actions.BadAction, KeyError, TypeError, ValueError):
        return None, ()
    rooms = tuple(r for r in saved.get("rooms", []) if isinstance(r, str))  # a gone room: Help
    return last, rooms
