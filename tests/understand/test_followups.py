"""Follow-ups in a chat: the parse table with the last question (and its card's rooms) as a column.
A follow-up fills in what it leaves out; without context it gets the help card, never a guess;
a message that is a question of its own is left to the parser (None)."""
from __future__ import annotations

from typing import Any

import pytest
from understand_fixtures import (
    EVEREST,
    F5,
    JUPITER,
    MERCURY,
    NOW,
    T2_4,
    T3_4,
    make_directory,
    span,
)

from bot.queries import Book, ChooseRoom, FindFree, Help, IsFree, Query, WhoBooked
from bot.understand.parse import parse_follow_up

DIRECTORY = make_directory()
IS_EVEREST_3PM = IsFree("en", EVEREST, span(17, 15, 0, 15, 30))
EVEREST_TOMORROW_3PM = IsFree("zh", EVEREST, span(18, 15, 0, 16, 0))
FIND_8_NOW = FindFree("en", span(17, 10, 20, 10, 50), 8)
FREE_ROOMS = ("everest", "jup", "emei")
MERCURY_TODAY = WhoBooked("en", MERCURY, span(17, 0, 0, 0, 0))


def same(query: Query | None) -> Any:
    """What matters of a query: its kind, language, place, window (not its label), seats."""
    if query is None:
        return None
    window = getattr(query, "window", None)
    return (type(query).__name__, query.lang, getattr(query, "place", None),
            (window.start, window.end) if window else None, getattr(query, "capacity", None),
            getattr(query, "reason", None))


CASES = [
    # (last question, its card's rooms, text, what it asks)
    (IS_EVEREST_3PM, (), "那明天呢？", IsFree("zh", EVEREST, span(18, 15, 0, 15, 30))),
    (IS_EVEREST_3PM, (), "and tomorrow?", IsFree("en", EVEREST, span(18, 15, 0, 15, 30))),
    (IS_EVEREST_3PM, (), "and at 4?", IsFree("en", EVEREST, span(17, 16, 0, 16, 30))),
    (IS_EVEREST_3PM, (), "4点呢", IsFree("zh", EVEREST, span(17, 16, 0, 16, 30))),
    (EVEREST_TOMORROW_3PM, (), "那4点呢", IsFree("zh", EVEREST, span(18, 16, 0, 17, 0))),
    (IS_EVEREST_3PM, (), "what about Jupiter?", IsFree("en", JUPITER, span(17, 15, 0, 15, 30))),
    (IS_EVEREST_3PM, (), "那木星呢", IsFree("zh", JUPITER, span(17, 15, 0, 15, 30))),
    (IsFree("en", MERCURY, span(17, 15, 0, 15, 30)), (), "what about 5F?",
     IsFree("en", F5, span(17, 15, 0, 15, 30))),
    (IsFree("en", MERCURY, span(17, 15, 0, 15, 30)), (), "what about 4F?",  # Mercury is in T2
     IsFree("en", T2_4, span(17, 15, 0, 15, 30))),
    (IsFree("en", T3_4, span(17, 15, 0, 15, 30)), (), "and 5F?", IsFree("en", F5, span(17, 15, 0, 15, 30))),
    (IS_EVEREST_3PM, (), "改成一个小时", IsFree("zh", EVEREST, span(17, 15, 0, 16, 0))),
    (IS_EVEREST_3PM, (), "make it an hour", IsFree("en", EVEREST, span(17, 15, 0, 16, 0))),
    (IS_EVEREST_3PM, (), "book it", Book("en", EVEREST, span(17, 15, 0, 15, 30))),
    (IS_EVEREST_3PM, (), "订这个", Book("zh", EVEREST, span(17, 15, 0, 15, 30))),
    (FIND_8_NOW, FREE_ROOMS, "book the second one", Book("en", JUPITER, span(17, 10, 20, 10, 50), 8)),
    (FIND_8_NOW, FREE_ROOMS, "订第二个", Book("zh", JUPITER, span(17, 10, 20, 10, 50), 8)),
    (FIND_8_NOW, FREE_ROOMS, "book the last one", Book("en", EVEREST.__class__("room", "emei", "峨眉山"),
                                                        span(17, 10, 20, 10, 50), 8)),
    (FIND_8_NOW, FREE_ROOMS, "what about for 12 people?", FindFree("en", span(17, 10, 20, 10, 50), 12)),
    (FIND_8_NOW, FREE_ROOMS, "那明天呢", FindFree("zh", span(18, 10, 20, 10, 50), 8)),
    (MERCURY_TODAY, (), "and tomorrow?", WhoBooked("en", MERCURY, span(18, 0, 0, 0, 0))),
    # without context, or nothing to point at: the help card with the examples
    (None, (), "那明天呢？", Help("zh", "follow_up")),
    (None, (), "and at 4?", Help("en", "follow_up")),
    (None, (), "book it", Help("en", "follow_up")),
    (None, (), "book the second one", Help("en", "follow_up")),
    (FIND_8_NOW, FREE_ROOMS, "book the fifth one", Help("en", "follow_up")),  # three on the card
    (MERCURY_TODAY, (), "改成一个小时", Help("zh", "follow_up")),  # a whole day has no length
    # questions of their own: the parser's
    (IS_EVEREST_3PM, (), "who booked Jupiter today", None),
    (IS_EVEREST_3PM, (), "is 5F free at 4pm?", None),
    (None, (), "Jupiter", None),
    (None, (), "明天", None),
    (IS_EVEREST_3PM, (), "book Jupiter at 4pm", None),
    (IS_EVEREST_3PM, (), "my bookings", None),
]


def _day_window(query: Query) -> Query:
    """MERCURY_TODAY's and the expected whole-day windows: midnight to midnight."""
    from dataclasses import replace
    from datetime import timedelta
    window = getattr(query, "window", None)
    if window is not None and window.start == window.end:
        return replace(query, window=replace(window, end=window.start + timedelta(days=1), whole_day=True))
    return query


@pytest.mark.parametrize(("last", "rooms", "text", "expected"), CASES,
                         ids=[c[2] + (" (no context)" if c[0] is None else "") for c in CASES])
def test_follow_ups(last: Query | None, rooms: tuple[str, ...], text: str, expected: Query | None) -> None:
    last = _day_window(last) if last is not None else None
    expected = _day_window(expected) if expected is not None else None
    got = parse_follow_up(text, NOW, DIRECTORY, last, rooms)
    assert same(got) == same(expected), got


def test_an_ambiguous_floor_without_a_building_to_go_by_asks_which() -> None:
    got = parse_follow_up("what about 4F?", NOW, DIRECTORY, FindFree("en", span(17, 15, 0, 15, 30)), ())
    assert isinstance(got, ChooseRoom) and {p.id for p in got.options} == {"t2_4", "t3_4"}
