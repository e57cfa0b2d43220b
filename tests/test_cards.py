"""Every card template renders valid card JSON 2.0 within Feishu's limits, in both languages."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from bot import actions
from bot.answer import dispatch, errors
from bot.cards import MAX_CARD_BYTES, card_bytes, render
from bot.feishu.errors import (
    FeishuError,
    FeishuUnavailable,
    InvalidParameters,
    NotFound,
    PermissionMissing,
    RateLimited,
)
from bot.queries import (
    BadTime,
    ChooseRoom,
    FindFree,
    Help,
    IsFree,
    Lang,
    Place,
    Reply,
    UnknownRoom,
    WhoBooked,
    Window,
)
from tests.answer.fakes import (
    NOW,
    CannedGateway,
    busy,
    context,
    directory,
    level_place,
    reservation,
    room,
)

LANGS: tuple[Lang, ...] = ("zh", "en")
DIR = directory()
MERCURY = room(DIR, "omm_mercury")
OSLO = room(DIR, "omm_oslo")
FLOOR_9 = level_place(DIR, "lvl_9f")
FLOOR_4 = level_place(DIR, "lvl_4f")
TODAY = Window(NOW.replace(hour=0, minute=0), NOW.replace(hour=0, minute=0) + timedelta(days=1), True, "today")
SLOT = Window(NOW.replace(hour=14, minute=0), NOW.replace(hour=14, minute=30))


def place(room: Any) -> Place:
    return DIR.room_place(room)


def buttons(card: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every button in a card, however deep."""
    def walk(elements: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        for element in elements:
            if element.get("tag") == "button":
                yield element
            yield from walk(element.get("columns", []))
            yield from walk(element.get("elements", []))
    return walk(card["body"]["elements"])


def texts(card: dict[str, Any]) -> str:
    """All visible text of a card, for wording checks."""
    import json
    return json.dumps(card, ensure_ascii=False)


def check(reply: Reply) -> dict[str, Any]:
    """Render, validate (render does), check size, and check every button decodes to a query."""
    card = render(reply)
    assert card_bytes(card) <= MAX_CARD_BYTES
    for button in buttons(card):
        value = button["behaviors"][0]["value"]
        actions.decode(value, DIR, NOW)
    return card


def ask(query: Any, gateway: CannedGateway | None = None, **kw: Any) -> dict[str, Any]:
    """Answer through dispatch with the canned gateway, and check the card."""
    return check(dispatch.answer(query, context(gateway or CannedGateway(), **kw)))


# ------------------------------------------------------------------------------------ who booked

def day_of_bookings() -> list:
    start = NOW.replace(hour=8, minute=0)
    return [
        reservation(MERCURY, start, 60, who="张三", check_in="已签到"),
        reservation(MERCURY, start + timedelta(hours=1), 30, who="Li Si", status="已释放（未签到被释放）",
                    check_in="超时未签到", release_early="已释放（未签到被释放）"),
        reservation(MERCURY, start + timedelta(hours=2), 60, who="王五", status="已释放（手动释放）",
                    release_early="已释放（手动释放）", release_time=start + timedelta(hours=2, minutes=20)),
        reservation(MERCURY, start + timedelta(hours=6), 60, who="赵六", check_in="待签到"),
        reservation(MERCURY, start + timedelta(hours=7), 30, who="Ann", status="审批中",
                    check_in="无需签到（即时预定）"),
    ]


@pytest.mark.parametrize("lang", LANGS)
def test_who_booked_room_today(lang: Lang) -> None:
    gateway = CannedGateway(booked=day_of_bookings())
    card = ask(WhoBooked(lang, place(MERCURY), TODAY), gateway)
    text = texts(card)
    assert "张三" in text and "Li Si" in text and "研发部" in text
    assert "Weekly sync" not in text  # topics are private by default
    assert ("提前释放 10:20" if lang == "zh" else "released early 10:20") in text
    assert ("未签到" if lang == "zh" else "no-show") in text
    assert gateway.calls.by_path == {"reservations": 1}


def test_topics_shown_only_when_configured() -> None:
    gateway = CannedGateway(booked=day_of_bookings())
    card = ask(WhoBooked("en", place(MERCURY), TODAY), gateway, show_topics=True)
    assert "Weekly sync" in texts(card)


def test_names_hidden_when_privacy_says_dm_only_in_a_group() -> None:
    gateway = CannedGateway(booked=day_of_bookings())
    card = ask(WhoBooked("en", place(MERCURY), TODAY), gateway, names="dm_only", chat_type="group")
    text = texts(card)
    assert "张三" not in text and "(hidden)" in text


@pytest.mark.parametrize("lang", LANGS)
def test_who_booked_empty(lang: Lang) -> None:
    card = ask(WhoBooked(lang, place(OSLO), TODAY))
    assert card["header"]["template"] == "grey"


@pytest.mark.parametrize("lang", LANGS)
def test_who_booked_spanning_today_and_future_days(lang: Lang) -> None:
    tomorrow = NOW.replace(hour=9, minute=0) + timedelta(days=1)
    gateway = CannedGateway(booked=day_of_bookings(),
                            busy=[busy(MERCURY, tomorrow, who="周七"), busy(MERCURY, tomorrow + timedelta(hours=2), private=True)])
    window = Window(TODAY.start, TODAY.start + timedelta(days=3))
    text = texts(ask(WhoBooked(lang, place(MERCURY), window), gateway))
    assert "周七" in text and ("私密日程" if lang == "zh" else "private event") in text
    assert gateway.calls.by_path == {"reservations": 1, "freebusy": 1}


@pytest.mark.parametrize("lang", LANGS)
def test_two_hundred_bookings_paginate_under_30_kb(lang: Lang) -> None:
    rooms = DIR.place_rooms(FLOOR_9)
    start = NOW.replace(hour=7, minute=0)
    booked = [reservation(rooms[i % len(rooms)], start + timedelta(minutes=15 * (i // 20)), 45,
                          who=f"员工{i:03d} Employee", topic="A rather long confidential topic " * 3)
              for i in range(200)]
    gateway = CannedGateway(booked=booked)
    card = ask(WhoBooked(lang, FLOOR_9, TODAY), gateway, show_topics=True)
    values = [b["behaviors"][0]["value"] for b in buttons(card) if b["type"] == "primary"]
    more = [v for v in values if v["q"] == "who_booked" and v["start"] != TODAY.start.isoformat()]
    assert len(more) == 1  # "more from HH:MM": the same question from the next page's start
    later = actions.decode(more[0], DIR, NOW)
    assert isinstance(later, WhoBooked) and later.window.start > start and later.window.end == TODAY.end
    assert card_bytes(card) < MAX_CARD_BYTES


# ------------------------------------------------------------------------------------ availability

@pytest.mark.parametrize("lang", LANGS)
def test_is_free_room_free(lang: Lang) -> None:
    card = ask(IsFree(lang, place(OSLO), SLOT))
    assert card["header"]["template"] == "green"


@pytest.mark.parametrize("lang", LANGS)
def test_is_free_room_busy_names_holder_and_next_slot(lang: Lang) -> None:
    gateway = CannedGateway(busy=[busy(OSLO, SLOT.start - timedelta(minutes=30), 90, who="张三"),
                                  busy(OSLO, SLOT.start + timedelta(hours=1), 30, private=True)])
    text = texts(ask(IsFree(lang, place(OSLO), SLOT), gateway))
    assert "张三" in text and "**15:30**" in text  # busy without a break until 15:30 ...
    assert "15:30–16:00" in text  # ... so the next free half hour starts then


@pytest.mark.parametrize("lang", LANGS)
def test_is_free_whole_day_lists_free_stretches_and_day_buttons(lang: Lang) -> None:
    gateway = CannedGateway(busy=[busy(OSLO, NOW.replace(hour=9, minute=0), 60),
                                  busy(OSLO, NOW.replace(hour=13, minute=0), 90, private=True)])
    card = ask(IsFree(lang, place(OSLO), TODAY), gateway)
    text = texts(card)
    assert "10:00–13:00" in text and "14:30–24:00" in text
    keys = [b["behaviors"][0]["value"]["start"][:10] for b in buttons(card)]
    assert "2024-11-18" in keys and "2024-11-20" in keys  # previous / next day, not "+30 min"


def test_is_free_past_window_says_so() -> None:
    past = Window(NOW.replace(hour=8), NOW.replace(hour=8, minute=30))
    assert "already passed" in texts(ask(IsFree("en", place(OSLO), past)))


@pytest.mark.parametrize("lang", LANGS)
def test_is_free_45_room_floor(lang: Lang) -> None:
    rooms = DIR.place_rooms(FLOOR_9)
    gateway = CannedGateway(busy=[busy(r, SLOT.start - timedelta(minutes=15), 60 + 15 * (i % 4),
                                       who=f"组织者{i} Organizer Name", private=i % 7 == 0)
                                  for i, r in enumerate(rooms) if i % 3])
    card = ask(IsFree(lang, FLOOR_9, SLOT), gateway)
    assert gateway.calls.by_path == {"freebusy": 1}  # the canned gateway batches nothing
    assert ("间有空" if lang == "zh" else "of 45 rooms free") in texts(card)


# ------------------------------------------------------------------------------------ free rooms

@pytest.mark.parametrize("lang", LANGS)
def test_find_free_best_fit_first(lang: Lang) -> None:
    jupiter = room(DIR, "omm_jupiter")
    gateway = CannedGateway(busy=[busy(jupiter, SLOT.start)])
    card = ask(FindFree(lang, SLOT, 6, FLOOR_4), gateway)
    rows = next(e for e in card["body"]["elements"] if e["tag"] == "table")["rows"]
    assert [r["room"] for r in rows] == ["Mercury", "Room 402"]


@pytest.mark.parametrize("lang", LANGS)
def test_find_free_nothing_offers_alternatives(lang: Lang) -> None:
    gateway = CannedGateway(busy=[busy(r, SLOT.start) for r in DIR.place_rooms(FLOOR_4)])
    card = ask(FindFree(lang, SLOT, 10, FLOOR_4), gateway)
    kinds = [b["behaviors"][0]["value"] for b in buttons(card)]
    assert any(v.get("cap") == 0 for v in kinds) and any(v["place"] == ["tenant", ""] for v in kinds)


@pytest.mark.parametrize("lang", LANGS)
def test_find_free_whole_tenant(lang: Lang) -> None:
    card = ask(FindFree(lang, SLOT, 0))
    assert card_bytes(card) < MAX_CARD_BYTES


# ------------------------------------------------------------------------------------ help, clarify

@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("reason", ["asked", "not_understood", "not_text", "greeting"])
def test_help(lang: Lang, reason: str) -> None:
    card = ask(Help(lang, reason))  # type: ignore[arg-type]
    assert len(list(buttons(card))) >= 5


@pytest.mark.parametrize("lang", LANGS)
def test_choose_room(lang: Lang) -> None:
    question = IsFree(lang, Place("room", "", "Room"), SLOT)
    options = tuple(place(r) for r in DIR.place_rooms(FLOOR_9)[:12])
    card = ask(ChooseRoom(lang, "Room", options, question))
    values = [b["behaviors"][0]["value"] for b in buttons(card)]
    assert len(values) == 10 and all(v["q"] == "is_free" for v in values)


@pytest.mark.parametrize("lang", LANGS)
def test_choose_floor_for_find_free(lang: Lang) -> None:
    question = FindFree(lang, SLOT, 6, Place("floor", "", "4F"))
    card = ask(ChooseRoom(lang, "4F", (FLOOR_4, FLOOR_9), question))
    values = [b["behaviors"][0]["value"] for b in buttons(card)]
    assert [(v["q"], v["cap"], v["place"][1]) for v in values] == [
        ("find_free", 6, "lvl_4f"), ("find_free", 6, "lvl_9f")]


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("suggest", [True, False])
def test_unknown_room(lang: Lang, suggest: bool) -> None:
    question = WhoBooked(lang, Place("room", "", "Narnia"), TODAY)
    suggestions = (place(MERCURY), place(OSLO)) if suggest else ()
    card = ask(UnknownRoom(lang, "Narnia", suggestions, question))
    values = [b["behaviors"][0]["value"] for b in buttons(card)]
    if suggest:
        assert [v["place"][1] for v in values] == ["omm_mercury", "omm_oslo"]
    else:
        assert values[0]["q"] == "help"


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("reason", ["hour_out_of_range", "minute_out_of_range", "invalid_date",
                                    "end_before_start", "too_far", "duration_too_long", "something_new"])
def test_bad_time(lang: Lang, reason: str) -> None:
    text = texts(ask(BadTime(lang, "25:00", reason)))
    assert "25:00" in text and "14:00-15:00" in text


# ------------------------------------------------------------------------------------ errors

ERRORS: list[FeishuError] = [
    RateLimited(99991400, "request trigger frequency limit", "log1", retry_after=12.2),
    PermissionMissing(99991672, "Access denied. One of the following scopes is required: [vc:room:readonly]", "log2"),
    PermissionMissing(99991672, "denied", "log3", scopes=("calendar:room:readonly",)),
    FeishuUnavailable(502, "bad gateway", "log4"),
    NotFound(121004, "not found", "log5"),
    InvalidParameters(126005, "start in future", "log6"),
    FeishuError(1234, "strange", "log7"),
]


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("exc", ERRORS, ids=lambda e: type(e).__name__)
def test_error_cards(lang: Lang, exc: FeishuError) -> None:
    text = texts(check(errors.feishu_error_reply(exc, lang)))  # type: ignore[arg-type]
    assert exc.log_id in text


def test_error_card_wording() -> None:
    assert "try again in 13 s" in texts(check(errors.feishu_error_reply(ERRORS[0], "en")))
    assert "vc:room:readonly" in texts(check(errors.feishu_error_reply(ERRORS[1], "en")))
    assert "calendar:room:readonly" in texts(check(errors.feishu_error_reply(ERRORS[2], "zh")))
    assert "Feishu is unavailable" in texts(check(errors.feishu_error_reply(ERRORS[3], "en")))
    assert "ref-1" in texts(check(errors.unexpected_error_reply("en", "ref-1")))


@pytest.mark.parametrize("lang", LANGS)
def test_error_card_with_only_a_kind(lang: Lang) -> None:
    """The worker may render Reply("error", {"kind": "internal", "log_id": ""}) itself."""
    check(Reply("error", {"kind": "internal", "log_id": ""}, lang))  # type: ignore[arg-type]


@pytest.mark.parametrize("lang", LANGS)
def test_expired_button_card(lang: Lang) -> None:
    check(Reply("expired", {}, lang))  # type: ignore[arg-type]
