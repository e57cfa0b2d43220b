"""What `parse` finds in one message before deciding what it asks: shared by parse.py, which
reads it, and build.py and where.py, which turn it into a Query."""
from __future__ import annotations

from dataclasses import dataclass

from bot.queries import Lang
from bot.understand import when
from bot.understand.rooms import FloorMention, Mention


@dataclass(frozen=True)
class Reading:
    """Everything found in one message, before deciding what it asks."""

    lang: Lang
    original: str
    rest: str  # the normalised text with names, floors, times and seats taken out
    time: when.TimeSpec
    capacity: int
    rooms: tuple[Mention, ...]
    buildings: tuple[Mention, ...]
    floors: tuple[FloorMention, ...]
    unknown: tuple[str, ...]
    capital_room: bool  # "is Room free": the generic word used as if it were a name
