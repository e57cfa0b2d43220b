"""Every card template renders valid card JSON 2.0 within Feishu's limits, in both languages.

Answer cards come from the real answer functions, through the real gateway, against the sandbox
tenant frozen at NOW: each test finds the situation it needs (a room with a no-show and an early
release today, a busy room with a named holder, the 45-room building ...) in the sandbox's ground
truth and checks the card against it. Extremes the generated tenant never shows (200 bookings with
long names and topics) are hand-built data in the answer's shape; a test checks that shape against
the real answer's.
"""
from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from bot.answer import AnswerContext, errors, finder, followups, router, windows
from bot.answer.bookings import ledger_row, sort_rows
from bot.answer.who_booked import MAX_ROWS, paginate
from bot.config import PrivacySettings, Settings
from bot.directory.tree import Directory
from bot.feishu.errors import (
    FeishuError,
    FeishuUnavailable,
    InvalidParameters,
    NotFound,
    PermissionMissing,
    RateLimited,
)
from bot.feishu.gateway import API_FREEBUSY, API_RESERVATIONS, FeishuGateway
from bot.feishu.models import BusyInterval, Reservation, Room
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
from bot.render.cards import MAX_CARD_BYTES, CardError, card_bytes, render, validate
from bot.sandbox import Sandbox
from bot.understand import actions
from bot.understand.form import FormError, read_form
from tests.answer.conftest import NOW, ROOMS, api_calls, fixed_clock, make_gateway

LANGS: tuple[Lang, ...] = ("zh", "en")
HALF_HOUR = timedelta(minutes=30)
TODAY = windows.whole_day(NOW, "today")
SLOT = Window(NOW.replace(hour=14, minute=0), NOW.replace(hour=14, minute=30))
# Feishu's documented strings for a room given back before the end, and for a no-show.
EARLY_RELEASES = ("已释放（手动释放）", "已释放（传感器自动释放）")
NO_SHOW = "超时未签到"
RoomDay = tuple[Room, list[Reservation]]


# ------------------------------------------------------------------------------------ the tenant

@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    """The sandbox tenant (73 rooms: building A座 has 45), frozen at NOW."""
    sandbox = Sandbox.start(seed=7, rooms=ROOMS, clock=fixed_clock)
    yield sandbox
    sandbox.stop()


@pytest.fixture(scope="module")
def directory(sb: Sandbox) -> Directory:
    """The tenant's directory, loaded once through the real gateway."""
    return Directory.load(make_gateway(sb), "0")


@dataclass
class Asker:
    """Asks questions of the real answer functions over a fresh real gateway."""

    sb: Sandbox
    directory: Directory
    gateway: FeishuGateway

    def reply(self, query: Any, *, chat_type: str = "p2p", show_topics: bool = False,
              names: str = "all") -> Reply:
        settings = Settings(self.sb.feishu_settings(),
                            privacy=PrivacySettings(reserver_names=names, show_topics=show_topics))
        ctx = AnswerContext(gateway=self.gateway, directory=self.directory, settings=settings,
                            now=NOW, chat_type=chat_type)
        reply = router.answer(query, ctx)
        assert reply.card != "error", reply.data
        return reply

    def __call__(self, query: Any, **kw: Any) -> dict[str, Any]:
        """Answer through the router and check the card."""
        return check(self.reply(query, **kw), self.directory)


@pytest.fixture
def ask(sb: Sandbox, directory: Directory) -> Asker:
    return Asker(sb, directory, make_gateway(sb))


def named_room(directory: Directory, name: str) -> Room:
    found = directory.room_by_name(name)
    assert found is not None, name
    return found


def floor(directory: Directory, building: str, name: str) -> Place:
    """A floor of a building, as a Place."""
    for level in directory.levels:
        parent = directory.level(level.parent_id)
        if level.name == name and parent is not None and parent.name == building:
            return directory.level_place(level)
    raise AssertionError(f"no floor {building} · {name}")


def building(directory: Directory, name: str) -> Place:
    level = next((lv for lv in directory.levels if lv.name == name), None)
    assert level is not None, name
    return directory.level_place(level)


def place(directory: Directory, room: Room) -> Place:
    return directory.room_place(room)


# ------------------------------------------------------------------------------------ card checks

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
    return json.dumps(card, ensure_ascii=False)


def table(card: dict[str, Any]) -> dict[str, Any]:
    """The card's (first) table."""
    return next(e for e in card["body"]["elements"] if e["tag"] == "table")


def check(reply: Reply, directory: Directory) -> dict[str, Any]:
    """Render, validate (render does), check size, and check every button decodes to a query
    (a form's submit button: the form as it is shown asks a valid question)."""
    card = render(reply)
    assert card_bytes(card) <= MAX_CARD_BYTES
    for button in buttons(card):
        value = button["behaviors"][0]["value"]
        if button.get("form_action_type") == "submit":
            assert actions.is_room_finder(value) and value["lang"] == reply.lang
            found = read_form(form_values(card), reply.lang, NOW, directory)
            assert isinstance(found, FindFree), found
        else:
            actions.decode(value, directory, NOW)
    return card


def form_values(card: dict[str, Any]) -> dict[str, Any]:
    """What Feishu would send as form_value if the form were submitted as shown."""
    initial = ("initial_date", "initial_time", "default_value", "initial_option")
    fields: dict[str, Any] = {}

    def walk(elements: list[dict[str, Any]]) -> None:
        for element in elements:
            if "name" in element and element.get("tag") != "button":
                fields[element["name"]] = next((element[k] for k in initial if k in element), None)
            walk([e for c in element.get("columns", []) for e in c.get("elements", [])])
            walk(element.get("elements", []))
    walk([e for form in card["body"]["elements"] if form["tag"] == "form" for e in form["elements"]])
    return fields


def span(start: datetime, end: datetime) -> str:
    """A time range as the cards print it (an end at the next midnight is 24:00)."""
    stop = "24:00" if end.time() == datetime.min.time() and end.date() != start.date() else f"{end:%H:%M}"
    return f"{start:%H:%M}–{stop}"


# ------------------------------------------------------------------------------------ ground truth

def room_day(sb: Sandbox, room: Room, day: date) -> list[Reservation]:
    """A room's reservations on a day, as the list API shows them at NOW."""
    return [r for r in sb.tenant.reservations_on(day) if r.room_id == room.room_id]


def blocks(busy: Sequence[BusyInterval]) -> list[tuple[datetime, datetime, list[BusyInterval]]]:
    """Busy intervals joined into unbroken stretches: (start, end, the intervals in it)."""
    found: list[tuple[datetime, datetime, list[BusyInterval]]] = []
    for b in sorted(busy, key=lambda b: (b.start, b.end)):
        if found and b.start <= found[-1][1]:
            start, end, members = found[-1]
            found[-1] = (start, max(end, b.end), [*members, b])
        else:
            found.append((b.start, b.end, [b]))
    return found


def free_of(sb: Sandbox, room: Room, start: datetime, end: datetime) -> bool:
    return not sb.tenant.busy(room.room_id, start, end)


def later_slots() -> Iterator[Window]:
    """The half hours from the next one after NOW until 20:00."""
    start = NOW.replace(hour=10, minute=30)
    while start.hour < 20:
        yield Window(start, start + HALF_HOUR)
        start += HALF_HOUR


@pytest.fixture(scope="module")
def eventful_room(sb: Sandbox, directory: Directory) -> RoomDay:
    """A room whose today so far has an early release and a no-show (one page of bookings)."""
    today = sb.tenant.reservations_on(NOW.date())
    for room in directory.rooms:
        rows = [r for r in today if r.room_id == room.room_id]
        if (len(rows) <= MAX_ROWS and any(r.release_early in EARLY_RELEASES for r in rows)
                and any(r.check_in_status == NO_SHOW for r in rows)):
            return room, rows
    raise AssertionError("the sandbox has a room with an early release and a no-show today")


# ------------------------------------------------------------------------------------ who booked

@pytest.mark.parametrize("lang", LANGS)
def test_who_booked_room_today(lang: Lang, ask: Asker, eventful_room: RoomDay) -> None:
    room, truth = eventful_room
    card = ask(WhoBooked(lang, place(ask.directory, room), TODAY))
    text = texts(card)
    early = next(r for r in truth if r.release_early in EARLY_RELEASES)
    assert all(r.reserver in text for r in truth) and early.department in text
    assert "topic" not in [c["name"] for c in table(card)["columns"]]  # topics are private by default
    assert not any(r.topic in text for r in truth if len(r.topic) > 4)
    assert early.release_time is not None
    released = f"{early.release_time:%H:%M}"
    assert (f"提前释放 {released}" if lang == "zh" else f"released early {released}") in text
    assert ("未签到" if lang == "zh" else "no-show") in text
    assert api_calls(ask.gateway) == {API_RESERVATIONS: 1}


def test_topics_shown_only_when_configured(ask: Asker, eventful_room: RoomDay) -> None:
    room, truth = eventful_room
    card = ask(WhoBooked("en", place(ask.directory, room), TODAY), show_topics=True)
    assert [row["topic"] for row in table(card)["rows"]] == [r.topic for r in truth]


def test_names_hidden_when_privacy_says_dm_only_in_a_group(ask: Asker, eventful_room: RoomDay) -> None:
    room, truth = eventful_room
    question = WhoBooked("en", place(ask.directory, room), TODAY)
    text = texts(ask(question, names="dm_only", chat_type="group"))
    assert not any(r.reserver in text for r in truth) and "(hidden)" in text
    assert all(r.reserver in texts(ask(question, names="dm_only", chat_type="p2p")) for r in truth)


@pytest.mark.parametrize("lang", LANGS)
def test_who_booked_empty(lang: Lang, ask: Asker, sb: Sandbox) -> None:
    """A room with nothing booked on a day (a weekend day in the sandbox)."""
    days = [(NOW - timedelta(days=back)).date() for back in range(1, 8)]
    booked = {day: {r.room_id for r in sb.tenant.reservations_on(day)} for day in days}
    room, day = next((room, day) for day in days for room in ask.directory.rooms
                     if room.enabled and room.room_id not in booked[day])
    card = ask(WhoBooked(lang, place(ask.directory, room), windows.whole_day(
        datetime.combine(day, NOW.timetz()))))
    assert card["header"]["template"] == "grey"
    assert api_calls(ask.gateway) == {API_RESERVATIONS: 1}


@pytest.mark.parametrize("lang", LANGS)
def test_who_booked_spanning_today_and_future_days(lang: Lang, ask: Asker, sb: Sandbox) -> None:
    window = Window(TODAY.start, TODAY.start + timedelta(days=3))
    tomorrow = TODAY.end

    def future(room: Room) -> list[BusyInterval]:
        return sb.tenant.busy(room.room_id, tomorrow, window.end)

    def fits(room: Room) -> bool:
        later = future(room)
        return (len(room_day(sb, room, NOW.date())) + len(later) <= MAX_ROWS
                and any(not b.organizer_open_id for b in later)
                and any(b.organizer_name for b in later))
    room = next(r for r in ask.directory.rooms if r.enabled and fits(r))
    today_names = {r.reserver for r in room_day(sb, room, NOW.date())}
    named = [b.organizer_name for b in future(room)
             if b.organizer_name and b.organizer_name not in today_names]
    assert named, "some organizer books the room only on later days"
    text = texts(ask(WhoBooked(lang, place(ask.directory, room), window)))
    assert all(name in text for name in named)
    assert ("私密日程" if lang == "zh" else "private event") in text
    assert api_calls(ask.gateway) == {API_RESERVATIONS: 1, API_FREEBUSY: 1}


def hand_built_who_booked(query: WhoBooked, directory: Directory,
                          booked: list[Reservation]) -> dict[str, Any]:
    """who_booked data in the shape answer_who_booked gives (checked against it below), for
    bookings the sandbox never generates; rows go through the real row builder and paginator."""
    rows = sort_rows([ledger_row(r, show_names=True, show_topics=True) for r in booked])
    shown, more_from, omitted = paginate(rows, MAX_ROWS)
    more = [] if more_from is None else [followups.button(
        "more", WhoBooked(query.lang, query.place, windows.from_(query.window, more_from)),
        more_from, "primary")]
    return {
        "place": {"kind": query.place.kind, "label": query.place.label, "location": "",
                  "rooms": len(directory.place_rooms(query.place))},
        "window": windows.describe(query.window),
        "now": NOW,
        "multi_day": windows.spans_days(query.window),
        "multi_room": True,
        "names_shown": True,
        "topics_shown": True,
        "uses_freebusy": False,
        "rows": shown,
        "total": len(rows),
        "omitted": omitted,
        "more_from": more_from,
        "buttons": [*more, followups.button("refresh", query)],
        "data_age": 0,
    }


def shape(data: Any) -> Any:
    """The key structure of card data (the first element stands for a list)."""
    if isinstance(data, dict):
        return {k: shape(v) for k, v in data.items()}
    if isinstance(data, list):
        return [shape(data[0])] if data else []
    return None


def long_bookings(rooms: Sequence[Room], start: datetime, n: int) -> list[Reservation]:
    """`n` bookings spread over the rooms, 20 starting every quarter hour, with long names and topics."""
    found = []
    for i in range(n):
        room, begin = rooms[i % len(rooms)], start + timedelta(minutes=15 * (i // 20))
        found.append(Reservation(
            room.room_id, room.name, f"员工{i:03d} Employee", f"ou_{i:06d}", "研发部 Research & Dev",
            begin, begin + timedelta(minutes=45), timedelta(minutes=45), "预定成功", "已签到",
            topic="A rather long confidential topic " * 3))
    return found


def test_hand_built_who_booked_data_has_the_answers_shape(ask: Asker) -> None:
    """Keeps the hand-built data honest: same keys, row keys and button keys as a real answer."""
    area = building(ask.directory, "A座")
    question = WhoBooked("en", area, TODAY)
    real = ask.reply(question, show_topics=True).data
    built = hand_built_who_booked(question, ask.directory,
                                  long_bookings(ask.directory.place_rooms(area), NOW, 60))
    assert real["more_from"] is not None and built["more_from"] is not None
    assert shape(built) == shape(real)
    assert built["place"] == real["place"] and built["window"] == real["window"]


@pytest.mark.parametrize("lang", LANGS)
def test_two_hundred_bookings_paginate_under_30_kb(lang: Lang, directory: Directory) -> None:
    area = building(directory, "A座")
    start = NOW.replace(hour=7, minute=0)
    booked = long_bookings(directory.place_rooms(area), start, 200)
    data = hand_built_who_booked(WhoBooked(lang, area, TODAY), directory, booked)
    card = check(Reply("who_booked", data, lang), directory)
    values = [b["behaviors"][0]["value"] for b in buttons(card) if b["type"] == "primary"]
    more = [v for v in values if v["q"] == "who_booked" and v["start"] != TODAY.start.isoformat()]
    assert len(more) == 1  # "more from HH:MM": the same question from the next page's start
    later = actions.decode(more[0], directory, NOW)
    assert isinstance(later, WhoBooked) and later.window.start > start and later.window.end == TODAY.end
    assert len(table(card)["rows"]) <= MAX_ROWS and card_bytes(card) < MAX_CARD_BYTES


@pytest.mark.parametrize("lang", LANGS)
def test_a_busy_building_day_paginates(lang: Lang, ask: Asker, sb: Sandbox) -> None:
    """The sandbox's own busiest place: every room of building A座 today, topics shown."""
    area = building(ask.directory, "A座")
    ids = {r.room_id for r in ask.directory.place_rooms(area)}
    truth = [r for r in sb.tenant.reservations_on(NOW.date()) if r.room_id in ids]
    assert len(truth) > 200
    card = ask(WhoBooked(lang, area, TODAY), show_topics=True)
    shown = table(card)["rows"]
    assert 0 < len(shown) <= MAX_ROWS
    assert (f"共 **{len(truth)}** 个预定" if lang == "zh" else f"**{len(truth)}** bookings") in texts(card)
    more = [b["behaviors"][0]["value"] for b in buttons(card) if b["type"] == "primary"]
    later = actions.decode(more[0], ask.directory, NOW)
    assert isinstance(later, WhoBooked) and later.window.end == TODAY.end
    assert later.window.start > TODAY.start


# ------------------------------------------------------------------------------------ availability

@pytest.mark.parametrize("lang", LANGS)
def test_is_free_room_free(lang: Lang, ask: Asker, sb: Sandbox) -> None:
    room, slot = next((r, s) for s in later_slots() for r in ask.directory.rooms
                      if r.enabled and free_of(sb, r, s.start, s.end))
    card = ask(IsFree(lang, place(ask.directory, room), slot))
    assert card["header"]["template"] == "green"
    assert api_calls(ask.gateway) == {API_FREEBUSY: 1}


def busy_then_free(sb: Sandbox, directory: Directory) -> tuple[Room, BusyInterval, datetime]:
    """A room taken later today by a named organizer, then (without a break) by at least one more
    booking, then free for at least half an hour: (room, first booking, end of the busy stretch)."""
    midnight = windows.next_day_start(NOW)
    for room in directory.rooms:
        stretches = blocks(sb.tenant.busy(room.room_id, NOW, midnight))
        for i, (start, end, members) in enumerate(stretches):
            free_until = stretches[i + 1][0] if i + 1 < len(stretches) else midnight
            if (start >= NOW and len(members) >= 2 and members[0].organizer_name
                    and members[0].end - members[0].start >= HALF_HOUR
                    and free_until - end >= HALF_HOUR):
                return room, members[0], end
    raise AssertionError("the sandbox has a room busy for a while later today")


@pytest.mark.parametrize("lang", LANGS)
def test_is_free_room_busy_names_holder_and_next_slot(lang: Lang, ask: Asker, sb: Sandbox) -> None:
    room, first, until = busy_then_free(sb, ask.directory)
    window = Window(first.start, first.start + HALF_HOUR)
    text = texts(ask(IsFree(lang, place(ask.directory, room), window)))
    assert first.organizer_name in text and f"**{until:%H:%M}**" in text  # busy without a break ...
    assert span(until, until + HALF_HOUR) in text  # ... so the next free half hour starts then


@pytest.mark.parametrize("lang", LANGS)
def test_is_free_whole_day_lists_free_stretches_and_day_buttons(lang: Lang, ask: Asker,
                                                                sb: Sandbox) -> None:
    oslo = named_room(ask.directory, "Oslo")
    stretches = blocks(sb.tenant.busy(oslo.room_id, TODAY.start, TODAY.end))
    edges = [TODAY.start] + [t for start, end, _ in stretches for t in (start, end)] + [TODAY.end]
    gaps = [(a, b) for a, b in zip(edges[::2], edges[1::2], strict=True)
            if b - a >= timedelta(minutes=15)]
    assert len(gaps) >= 2
    card = ask(IsFree(lang, place(ask.directory, oslo), TODAY))
    text = texts(card)
    assert span(*gaps[0]) in text and span(*gaps[min(len(gaps), 12) - 1]) in text
    keys = [b["behaviors"][0]["value"]["start"][:10] for b in buttons(card)]
    day = NOW.date()
    assert str(day - timedelta(days=1)) in keys and str(day + timedelta(days=1)) in keys


def test_is_free_past_window_says_so(ask: Asker) -> None:
    past = Window(NOW.replace(hour=8, minute=0), NOW.replace(hour=8, minute=30))
    oslo = named_room(ask.directory, "Oslo")
    assert "already passed" in texts(ask(IsFree("en", place(ask.directory, oslo), past)))


@pytest.mark.parametrize("lang", LANGS)
def test_is_free_45_room_floor(lang: Lang, ask: Asker, sb: Sandbox) -> None:
    """45 rooms in one place (building A座 of the sandbox)."""
    area = building(ask.directory, "A座")
    rooms = ask.directory.place_rooms(area)
    assert len(rooms) == 45
    free = sum(1 for r in rooms if r.enabled and free_of(sb, r, SLOT.start, SLOT.end))
    assert 0 < free < 45
    card = ask(IsFree(lang, area, SLOT))
    assert api_calls(ask.gateway) == {API_FREEBUSY: 3}  # batches of 20
    assert (f"45 间中 {free} 间有空" if lang == "zh" else f"{free} of 45 rooms free") in texts(card)


# ------------------------------------------------------------------------------------ free rooms

@pytest.mark.parametrize("lang", LANGS)
def test_find_free_best_fit_first(lang: Lang, ask: Asker, sb: Sandbox) -> None:
    t2_4f = floor(ask.directory, "T2", "4F")
    fitting = [r for r in ask.directory.place_rooms(t2_4f) if r.enabled and r.capacity >= 6]

    def free(slot: Window) -> list[Room]:
        return [r for r in fitting if free_of(sb, r, slot.start, slot.end)]
    slot = next(s for s in later_slots() if 2 <= len(free(s)) < len(fitting))
    expected = [r.name for r in sorted(free(slot), key=lambda r: (r.capacity, r.name.casefold()))]
    card = ask(FindFree(lang, slot, 6, t2_4f))
    assert [r["room"] for r in table(card)["rows"]] == expected


@pytest.mark.parametrize("lang", LANGS)
def test_find_free_nothing_offers_alternatives(lang: Lang, ask: Asker, sb: Sandbox) -> None:
    t2_4f = floor(ask.directory, "T2", "4F")
    biggest = max(r.capacity for r in ask.directory.place_rooms(t2_4f))
    fitting = [r for r in ask.directory.place_rooms(t2_4f) if r.capacity >= biggest]
    slot = next(s for s in later_slots() if not any(free_of(sb, r, s.start, s.end) for r in fitting))
    card = ask(FindFree(lang, slot, biggest, t2_4f))
    assert card["header"]["template"] == "orange"
    kinds = [b["behaviors"][0]["value"] for b in buttons(card)]
    assert any(v.get("cap") == 0 for v in kinds) and any(v["place"] == ["tenant", ""] for v in kinds)


@pytest.mark.parametrize("lang", LANGS)
def test_find_free_whole_tenant(lang: Lang, ask: Asker, sb: Sandbox) -> None:
    card = ask(FindFree(lang, SLOT, 0))
    rows = table(card)["rows"]
    assert f"**{len(rows)}**" in texts(card) and len(rows) >= 5
    assert all(free_of(sb, named_room(ask.directory, r["room"]), SLOT.start, SLOT.end) for r in rows)
    more = [b["behaviors"][0]["value"] for b in buttons(card)
            if b["behaviors"][0]["value"].get("from")]
    assert len(more) == 1 and more[0]["from"] >= len(rows)  # "more rooms" goes on from there
    assert card_bytes(card) < MAX_CARD_BYTES


# ------------------------------------------------------------------------------------ help, clarify

@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("reason", ["asked", "not_understood", "not_text", "greeting"])
def test_help(lang: Lang, reason: str, ask: Asker) -> None:
    card = ask(Help(lang, reason))  # type: ignore[arg-type]
    assert len(list(buttons(card))) >= 5


@pytest.mark.parametrize("lang", LANGS)
def test_choose_room(lang: Lang, ask: Asker) -> None:
    question = IsFree(lang, Place("room", "", "Room"), SLOT)
    rooms = ask.directory.place_rooms(building(ask.directory, "A座"))[:12]
    options = tuple(place(ask.directory, r) for r in rooms)
    card = ask(ChooseRoom(lang, "Room", options, question))
    values = [b["behaviors"][0]["value"] for b in buttons(card)]
    assert len(values) == 10 and all(v["q"] == "is_free" for v in values)


@pytest.mark.parametrize("lang", LANGS)
def test_choose_floor_for_find_free(lang: Lang, ask: Asker) -> None:
    floors = (floor(ask.directory, "T2", "4F"), floor(ask.directory, "A座", "4F"))
    question = FindFree(lang, SLOT, 6, Place("floor", "", "4F"))
    card = ask(ChooseRoom(lang, "4F", floors, question))
    values = [b["behaviors"][0]["value"] for b in buttons(card)]
    assert [(v["q"], v["cap"], v["place"][1]) for v in values] == [
        ("find_free", 6, floors[0].id), ("find_free", 6, floors[1].id)]


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("suggest", [True, False])
def test_unknown_room(lang: Lang, suggest: bool, ask: Asker) -> None:
    question = WhoBooked(lang, Place("room", "", "Narnia"), TODAY)
    rooms = (named_room(ask.directory, "Mercury"), named_room(ask.directory, "Oslo"))
    suggestions = tuple(place(ask.directory, r) for r in rooms) if suggest else ()
    card = ask(UnknownRoom(lang, "Narnia", suggestions, question))
    values = [b["behaviors"][0]["value"] for b in buttons(card)]
    if suggest:
        assert [v["place"][1] for v in values] == [r.room_id for r in rooms]
    else:
        assert values[0]["q"] == "help"


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("reason", ["hour_out_of_range", "minute_out_of_range", "invalid_date",
                                    "end_before_start", "too_far", "duration_too_long", "something_new"])
def test_bad_time(lang: Lang, reason: str, ask: Asker) -> None:
    text = texts(ask(BadTime(lang, "25:00", reason)))
    assert "25:00" in text and "14:00-15:00" in text


# ------------------------------------------------------------------------------------ room finder

FORM_REASONS = ["missing_date", "bad_date", "missing_time", "bad_time", "end_before_start",
                "too_long", "past", "too_far", "bad_people", "unknown_place", "something_new"]


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("reason", FORM_REASONS)
def test_room_finder_error_card(lang: Lang, reason: str, sb: Sandbox, directory: Directory) -> None:
    ctx = AnswerContext(gateway=make_gateway(sb), directory=directory,
                        settings=Settings(sb.feishu_settings()), now=NOW)
    error = FormError(lang, reason, "rf_end", {"rf_people": "6", "rf_start": "16:00"})
    card = check(finder.form_error_reply(error, ctx), directory)
    first = card["body"]["elements"][0]
    assert first["tag"] == "markdown" and "color='red'" in first["content"]
    assert ("16:00" in texts(card)) and card["body"]["elements"][1]["tag"] == "form"


@pytest.mark.parametrize("lang", LANGS)
def test_help_and_free_room_cards_carry_the_room_finder(lang: Lang, ask: Asker) -> None:
    t2_4f = floor(ask.directory, "T2", "4F")
    for card in (ask(Help(lang)), ask(FindFree(lang, SLOT, 6, t2_4f))):
        forms = [e for e in card["body"]["elements"] if e["tag"] == "form"]
        assert len(forms) == 1
    shown = form_values(card)
    assert shown == {"rf_date": "2024-05-14", "rf_start": "14:00", "rf_end": "14:30",
                     "rf_people": "6", "rf_place": f"floor:{t2_4f.id}"}
    select = next(e for row in forms[0]["elements"] if row["tag"] == "column_set"
                  for c in row["columns"] for e in c["elements"] if e["tag"] == "select_static")
    values = [o["value"] for o in select["options"]]
    assert values[0] == "anywhere" and f"floor:{t2_4f.id}" in values and len(set(values)) == len(values)


def _form_card(*elements: dict[str, Any], top: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    form = {"tag": "form", "name": "f", "elements": list(elements)}
    return {"schema": "2.0", "config": {"update_multi": True}, "body": {"elements": [*(top or []), form]}}


SUBMIT = {"tag": "button", "name": "go", "form_action_type": "submit",
          "behaviors": [{"type": "callback", "value": {"v": 1}}]}


@pytest.mark.parametrize(("card", "problem"), [
    (_form_card({"tag": "input"}, SUBMIT), "name"),
    (_form_card({"tag": "input", "name": "go"}, SUBMIT), "name"),  # names are unique in the card
    (_form_card({"tag": "input", "name": "a"}), "submit"),
    (_form_card({"tag": "table", "page_size": 5}, SUBMIT), "table"),
    (_form_card({"tag": "input", "name": "a"}, SUBMIT, top=[{"tag": "column_set", "columns": [
        {"tag": "column", "elements": [{"tag": "form", "name": "g", "elements": []}]}]}]), "root"),
    (_form_card({"tag": "input", "name": "a"}, SUBMIT, top=[dict(SUBMIT, name="out")]), "inside a form"),
])
def test_cards_with_broken_forms_are_refused(card: dict[str, Any], problem: str) -> None:
    with pytest.raises(CardError, match=problem):
        validate(card)


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
def test_error_cards(lang: Lang, exc: FeishuError, directory: Directory) -> None:
    text = texts(check(errors.feishu_error_reply(exc, lang), directory))  # type: ignore[arg-type]
    assert exc.log_id in text


def test_error_card_wording(directory: Directory) -> None:
    def text(reply: Reply) -> str:
        return texts(check(reply, directory))
    assert "try again in 13 s" in text(errors.feishu_error_reply(ERRORS[0], "en"))
    assert "vc:room:readonly" in text(errors.feishu_error_reply(ERRORS[1], "en"))
    assert "calendar:room:readonly" in text(errors.feishu_error_reply(ERRORS[2], "zh"))
    assert "Feishu is unavailable" in text(errors.feishu_error_reply(ERRORS[3], "en"))
    assert "ref-1" in text(errors.unexpected_error_reply("en", "ref-1"))


def test_a_feishu_failure_during_an_answer_becomes_the_error_card(sb: Sandbox,
                                                                   directory: Directory) -> None:
    """The error card from a real refusal: the sandbox refuses, the card says so honestly."""
    sb.faults.inject("freebusy", "permission", times=10)
    try:
        ctx = AnswerContext(gateway=make_gateway(sb), directory=directory,
                            settings=Settings(sb.feishu_settings()), now=NOW)
        with pytest.raises(PermissionMissing) as refused:
            router.answer(FindFree("en", SLOT, 0), ctx)
    finally:
        sb.faults.clear()
    reply = errors.feishu_error_reply(refused.value, "en")
    assert reply.card == "error" and reply.data["scopes"]
    check(reply, directory)


@pytest.mark.parametrize("lang", LANGS)
def test_error_card_with_only_a_kind(lang: Lang, directory: Directory) -> None:
    """The worker may render Reply("error", {"kind": "internal", "log_id": ""}) itself."""
    check(Reply("error", {"kind": "internal", "log_id": ""}, lang), directory)  # type: ignore[arg-type]


@pytest.mark.parametrize("lang", LANGS)
def test_expired_button_card(lang: Lang, directory: Directory) -> None:
    check(Reply("expired", {}, lang), directory)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------ working

@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("where", ["T2 · 4F", ""])
def test_working_card(lang: Lang, where: str, directory: Directory) -> None:
    """The 'working on it' card a long report shows at once (data: days, place)."""
    card = check(Reply("working", {"days": 45, "place": where}, lang), directory)
    text = texts(card)
    assert ("正在统计" if lang == "zh" else "Working on it") in text
    assert ("导出 45 天" if lang == "zh" else "Reading 45 days") in text
    assert card["header"]["template"] == "wathet"
    assert card["header"].get("subtitle", {}).get("content", "") == where
    assert list(buttons(card)) == []
