"""Follow-ups: a message that leaves out what the last question said, as people talk to a colleague.

    "is Everest free at 3pm?"  ->  "那明天呢？"        IsFree(Everest, tomorrow 15:00-15:30)
                               ->  "and at 4?"         IsFree(Everest, today 16:00-16:30)
                               ->  "what about 4F?"    IsFree(4F, today 15:00-15:30)
                               ->  "改成一个小时"        IsFree(Everest, 15:00-16:00)
                               ->  "book it"           Book(Everest, 15:00-15:30)
    "find a room for 8 now"    ->  "book the second one"  Book(the second room on that card)

`follow_up(...)` is pure: the message's Reading, the last question (a decoded button value) and
the rooms its card showed. It returns None when the message is not a follow-up (it is parsed as
a question of its own), and Help when it is one but there is nothing to follow (no context, or
nothing on the last card to point at): never a guess.
"""
from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.queries import (
    BadTime,
    Book,
    ChooseRoom,
    FindFree,
    Help,
    IsFree,
    Place,
    Query,
    Report,
    Usage,
    WhoBooked,
    Window,
)
from bot.understand import when
from bot.understand.where import locate, locate_area

if TYPE_CHECKING:
    from bot.directory.tree import Directory
    from bot.understand.reading import Reading

Followable = WhoBooked | IsFree | FindFree | Book | Report | Usage
MODES: dict[type, when.Mode] = {WhoBooked: "who", IsFree: "free", FindFree: "find", Book: "free",
                                Report: "report", Usage: "report"}
# The words left over in "and at 4?", "那明天呢", "what about 4F?", "how about for 10 people?"
FILLER_EN = {"and", "what", "about", "how", "then", "so", "ok", "okay", "at", "on", "in", "for",
             "instead", "same", "again", "the", "also", "with", "people", "persons", "seats"}
FILLER_ZH = re.compile(r"^(?:那|那么|还有|换成|换到|的|呢|吗|要是|如果是|人)+$")
ASKS_MORE = re.compile(r"[呢?？]|\b(?:and|what about|how about|then)\b")
LENGTH = re.compile(r"^(?:改成|改为|换成|改|make it|make that|for|instead|just|only|\s)+$")
BOOK_IT = re.compile(r"^\s*(?:(?:please|pls|ok|okay|yes|great)[,\s]*)*(?:book|reserve)\s+(?:it|that|this|"
                     r"that one|this one|that room|this room)\b|^(?:好的?|那就|就)?(?:帮我)?(?:订|预订|预定)"
                     r"(?:它|这个|那个|这间|那间|下来|了|吧)+[吧。!！]*$")
ORDINAL_EN = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4,
              "4th": 4, "fifth": 5, "5th": 5, "last": -1}
ORDINAL = re.compile(r"\b(?:book|reserve)\s+(?:the\s+)?(first|1st|second|2nd|third|3rd|fourth|4th|"
                     r"fifth|5th|last)\b(?:\s+(?:one|room))?|(?:订|预订|预定)?第\s*(\d{1,2})\s*(?:个|间)")
PUNCT = re.compile(r"[\x00\s?？!！.。,，~～]+")


def follow_up(r: Reading, now: datetime, directory: Directory, last: Query | None,
              rooms: tuple[str, ...], slot: int) -> Query | None:
    """The question a follow-up asks, filled from the last one (see the module doc)."""
    rest = r.rest.lower()
    words = PUNCT.sub(" ", rest).strip()
    pick = ORDINAL.search(rest)
    if pick:
        return _book_nth(r, last, rooms, pick, directory)
    if BOOK_IT.search(words):
        return _book_it(r, last, rooms, directory)
    if r.time.minutes and not (r.time.start or r.time.day or r.rooms or r.floors or r.buildings) \
            and LENGTH.match(words or " "):
        return _lengthen(r, last)
    marked = bool(ASKS_MORE.search(rest))
    if not _only_filler(words) or not (marked or words == ""):
        return None
    if not (r.time.given or r.rooms or r.floors or r.buildings or r.capacity):
        return None
    if not isinstance(last, Followable):  # a bare "Jupiter" or "明天" is a question of its own
        return Help(r.lang, "follow_up") if marked else None
    return _what_about(r, now, directory, last, slot)


def _only_filler(words: str) -> bool:
    for word in words.split():
        if word in FILLER_EN or FILLER_ZH.match(word):
            continue
        return False
    return True


def _what_about(r: Reading, now: datetime, directory: Directory, last: Followable,
                slot: int) -> Query:
    query: Followable = replace(last, lang=r.lang)  # type: ignore[arg-type]
    if r.time.given:
        window = _new_window(r, now, last, slot)
        if isinstance(window, BadTime):
            return window
        query = replace(query, window=window)  # type: ignore[arg-type]
    if r.capacity and isinstance(query, (FindFree, Book)):
        query = replace(query, capacity=r.capacity)
    if r.rooms or r.floors or r.buildings:
        where = locate(r, directory) if isinstance(last, (WhoBooked, IsFree, Book)) else locate_area(r, directory)
        place = where.place or _same_building(where.options, _place_of(last), directory)
        if place is None and where.options and isinstance(query, (WhoBooked, IsFree, FindFree)):
            return ChooseRoom(r.lang, where.said, where.options, query)
        if place is None:
            return Help(r.lang, "follow_up")
        if isinstance(query, FindFree):
            query = replace(query, place=place, offset=0)
        elif isinstance(query, (WhoBooked, IsFree)):
            query = replace(query, place=place, more=())
        else:
            query = replace(query, place=place)
    return query


def _new_window(r: Reading, now: datetime, last: Followable, slot: int) -> Window | BadTime:
    """The new time, keeping what it leaves out: "明天呢" keeps the hour, "and at 4?" the day."""
    spec, old = r.time, last.window
    mode = MODES[type(last)]
    day_only = spec.day is not None and not (spec.start or spec.end or spec.part or spec.minutes
                                             or spec.now or spec.after is not None)
    found = when.resolve(spec, now, mode, r.lang, slot)
    if isinstance(found, BadTime) or old.whole_day:
        return found
    if day_only:  # a day said alone: that day, the same hours
        shift = found.start.date() - old.start.date()
        return Window(old.start + shift, old.end + shift, False, spec.said)
    if spec.day is None and (spec.start or spec.end or spec.part) and old.start.date() != now.date():
        shift = old.start.date() - found.start.date()  # "and at 4?" about the day asked before
        found = Window(found.start + shift, found.end + shift, found.whole_day, found.label)
    if spec.start and not (spec.end or spec.minutes):  # "and at 4?": as long as before
        found = Window(found.start, found.start + (old.end - old.start), False, found.label)
    return found


def _lengthen(r: Reading, last: Query | None) -> Query:
    """"改成一个小时", "make it an hour": the same start, the new length."""
    if not isinstance(last, (IsFree, FindFree, WhoBooked)) or last.window.whole_day:
        return Help(r.lang, "follow_up")
    start = last.window.start
    label = r.time.said or last.window.label
    return replace(last, lang=r.lang, window=Window(start, start + timedelta(minutes=r.time.minutes),
                                                     False, label))  # type: ignore[arg-type]


def _book_it(r: Reading, last: Query | None, rooms: tuple[str, ...], directory: Directory) -> Query:
    """"book it": the room the last question was about, or the only free room its card showed."""
    if isinstance(last, (IsFree, WhoBooked)) and last.place.kind == "room" and not last.window.whole_day:
        return Book(r.lang, last.place, last.window)
    if isinstance(last, (FindFree, IsFree)) and len(rooms) == 1 and not last.window.whole_day:
        return _book_room(r, last, rooms[0], directory)
    return Help(r.lang, "follow_up")


def _book_nth(r: Reading, last: Query | None, rooms: tuple[str, ...], pick: re.Match[str],
              directory: Directory) -> Query:
    """"book the second one", "订第二个": that room of the last card's free rooms."""
    n = ORDINAL_EN[pick[1]] if pick[1] else int(pick[2])
    if not isinstance(last, (FindFree, IsFree)) or not rooms or last.window.whole_day \
            or n == 0 or n > len(rooms):
        return Help(r.lang, "follow_up")
    return _book_room(r, last, rooms[n - 1 if n > 0 else -1], directory)


def _book_room(r: Reading, last: FindFree | IsFree, room_id: str, directory: Directory) -> Query:
    room = directory.room(room_id)
    if room is None:
        return Help(r.lang, "follow_up")
    capacity = last.capacity if isinstance(last, FindFree) else 0
    return Book(r.lang, directory.room_place(room), last.window, capacity)


def _place_of(query: Followable) -> Place | None:
    return getattr(query, "place", None)


def _same_building(options: tuple[Place, ...], before: Place | None,
                   directory: Directory) -> Place | None:
    """Of several floors named alike ("4F"), the one in the building asked about before."""
    if before is None or not options:
        return None
    building = _building(before, directory)
    same = [p for p in options if building and _building(p, directory) == building]
    return same[0] if len(same) == 1 else None


def _building(place: Place, directory: Directory) -> str:
    """The level id of the building a room, floor or building is in ("" when unknown)."""
    if place.kind == "room":
        room = directory.room(place.id)
        level = directory.building_of(room) if room else None
    elif place.kind in ("floor", "building"):
        found = directory.level(place.id)
        level = found if place.kind == "building" else directory.building_of_level(found) if found else None
    else:
        level = None
    return level.level_id if level else ""
