"""Find a free room: capacity respected, best fit first, every room truly free per the sandbox;
few calls on a big tenant, "more rooms" going on where the search stopped, near misses."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from bot.answer import AnswerContext, router
from bot.answer.finder import MAX_PLACE_OPTIONS
from bot.answer.search import ENOUGH, ROUNDS
from bot.config import Settings
from bot.directory.tree import Directory
from bot.feishu.gateway import API_FREEBUSY
from bot.queries import TENANT, FindFree, Help, IsFree, Place, Window
from bot.render.cards import MAX_CARD_BYTES, card_bytes, render
from bot.sandbox import Sandbox
from bot.understand import actions, parse
from tests.answer.conftest import NOW, api_calls, fixed_clock, make_gateway

WINDOW = Window(NOW.replace(hour=14, minute=0), NOW.replace(hour=15, minute=0))


def ask(question: FindFree, ctx) -> dict:  # type: ignore[no-untyped-def]
    reply = router.answer(question, ctx)
    assert reply.card == "free_rooms"
    render(reply)
    return reply.data


def best_fit(directory: Directory, place: Place, capacity: int) -> list:  # type: ignore[type-arg]
    rooms = [r for r in directory.place_rooms(place) if r.enabled and r.capacity >= capacity]
    return sorted(rooms, key=lambda r: (r.capacity, r.name.casefold(), r.room_id))


def free_in(sb: Sandbox, room_id: str, window: Window) -> bool:
    return sb.tenant.busy(room_id, window.start, window.end) == []


def more_value(data: dict[str, Any]) -> dict[str, Any] | None:
    return next((b["value"] for b in data["buttons"] if b["key"] == "more_rooms"), None)


@pytest.mark.parametrize("capacity", [0, 6, 10])
def test_rooms_are_free_big_enough_and_best_fit_first(capacity, sb, ctx, directory) -> None:  # type: ignore[no-untyped-def]
    data = ask(FindFree("en", WINDOW, capacity, TENANT), ctx())
    rows = data["rooms"]
    assert rows
    assert all(row["capacity"] >= capacity for row in rows)
    assert [(r["capacity"], r["room"].casefold()) for r in rows] == sorted(
        (r["capacity"], r["room"].casefold()) for r in rows)
    for row in rows:
        assert free_in(sb, row["room_id"], WINDOW)
    checked = best_fit(directory, TENANT, capacity)[:data["checked"]]  # the best fits, in order
    truly_free = [r.room_id for r in checked if free_in(sb, r.room_id, WINDOW)]
    assert [row["room_id"] for row in rows] == truly_free[:len(rows)]
    assert len(rows) >= min(ENOUGH, len(truly_free))


def test_only_big_enough_rooms_are_asked_about(ctx, directory, gateway) -> None:  # type: ignore[no-untyped-def]
    floor = directory.floor_of(directory.room_by_name("Mercury"))
    place = directory.level_place(floor)
    data = ask(FindFree("zh", WINDOW, 10, place), ctx())
    fitting = sum(1 for r in directory.rooms_under(floor.level_id) if r.capacity >= 10)
    assert data["checked"] == data["candidates"] == fitting
    nearby = 1 if data["near"] and data["near"]["nearby"] else 0  # nothing free: one more call
    assert api_calls(gateway) == {API_FREEBUSY: 1 + nearby}


def test_nobody_fits_costs_no_call(ctx, gateway) -> None:  # type: ignore[no-untyped-def]
    data = ask(FindFree("en", WINDOW, 999, TENANT), ctx())
    assert data["rooms"] == [] and data["checked"] == 0 and data["candidates"] == 0
    assert api_calls(gateway) == {}


def test_location_and_floor_are_shown(ctx, directory) -> None:  # type: ignore[no-untyped-def]
    data = ask(FindFree("en", WINDOW, 0, TENANT), ctx())
    assert all(row["location"] for row in data["rooms"])


def test_the_search_stops_after_the_round_that_finds_enough(sb, ctx, directory, gateway) -> None:  # type: ignore[no-untyped-def]
    data = ask(FindFree("en", WINDOW, 0, TENANT), ctx())
    fits = best_fit(directory, TENANT, 0)
    rounds, asked = [], 0
    for size in ROUNDS:  # where the search must stop, from the sandbox's own data
        asked = min(asked + size, len(fits))
        rounds.append(asked)
        if sum(free_in(sb, r.room_id, WINDOW) for r in fits[:asked]) >= ENOUGH or asked == len(fits):
            break
    assert data["checked"] == rounds[-1]
    batches = [end - start for start, end in zip([0, *rounds], rounds)]
    assert api_calls(gateway) == {API_FREEBUSY: sum(-(-n // 20) for n in batches)}


def test_more_rooms_goes_on_where_the_search_stopped(sb, ctx, directory) -> None:  # type: ignore[no-untyped-def]
    """Paging through "more rooms" lists every free room once, in best-fit order, then stops."""
    context = ctx()
    question = FindFree("en", WINDOW, 0, TENANT)
    seen: list[str] = []
    for _page in range(20):
        data = ask(question, context)
        seen += [row["room_id"] for row in data["rooms"]]
        value = more_value(data)
        if value is None:
            assert data["exhausted"]
            break
        question = actions.decode(value, directory, NOW)  # type: ignore[assignment]
        assert isinstance(question, FindFree) and question.offset > 0
    truly_free = [r.room_id for r in best_fit(directory, TENANT, 0) if free_in(sb, r.room_id, WINDOW)]
    assert seen == truly_free


def test_more_rooms_past_the_end_says_so(ctx) -> None:  # type: ignore[no-untyped-def]
    data = ask(FindFree("zh", WINDOW, 0, TENANT, offset=10_000), ctx())
    assert data["rooms"] == [] and data["checked"] == 0 and data["exhausted"]


@pytest.mark.parametrize("bad", [-1, "20", True, 100_001, 2.5, None, [20]])
def test_a_forged_offset_is_rejected(bad: Any, directory) -> None:  # type: ignore[no-untyped-def]
    value = actions.encode(FindFree("en", WINDOW, 4, TENANT, offset=20))
    assert actions.decode(value, directory, NOW) == FindFree("en", WINDOW, 4, TENANT, 20)
    with pytest.raises(actions.BadAction):
        actions.decode({**value, "from": bad}, directory, NOW)


# ---------------------------------------------------------------------------- big tenants

@pytest.fixture(scope="module")
def big() -> Iterator[tuple[Sandbox, Directory]]:
    """A 2,000-room tenant frozen at NOW, its directory loaded once."""
    sandbox = Sandbox.start(seed=7, rooms=2000, clock=fixed_clock)
    yield sandbox, Directory.load(make_gateway(sandbox), "0")
    sandbox.stop()


def big_context(sb: Sandbox, directory: Directory) -> AnswerContext:
    gateway = make_gateway(sb)
    return AnswerContext(gateway=gateway, directory=directory,
                         settings=Settings(sb.feishu_settings()), now=NOW)


@pytest.mark.parametrize("text", ["find a free room for 10 people now", "现在找个能坐10个人的会议室"])
def test_a_2000_room_tenant_costs_at_most_five_calls(text: str, big) -> None:  # type: ignore[no-untyped-def]
    sb, directory = big
    question = parse(text, NOW, directory)
    assert isinstance(question, FindFree) and question.capacity == 10
    context = big_context(sb, directory)
    data = ask(question, context)
    calls = api_calls(context.gateway)
    assert set(calls) == {API_FREEBUSY} and calls[API_FREEBUSY] <= 5
    assert len(data["rooms"]) >= ENOUGH and data["candidates"] > 500
    for row in data["rooms"]:  # free per the sandbox's own bookings, and big enough
        assert free_in(sb, row["room_id"], question.window) and row["capacity"] >= 10
    value = more_value(data)
    assert value is not None
    later = actions.decode(value, directory, NOW)
    context = big_context(sb, directory)
    page2 = ask(later, context)  # type: ignore[arg-type]
    assert api_calls(context.gateway)[API_FREEBUSY] <= 5
    assert not {r["room_id"] for r in page2["rooms"]} & {r["room_id"] for r in data["rooms"]}
    assert all(free_in(sb, row["room_id"], question.window) for row in page2["rooms"])


# ---------------------------------------------------------------------------- near misses

def no_room_free(sb: Sandbox, directory: Directory, capacity: int) -> Iterator[tuple[Place, Window]]:
    """(floor, hour later today) where rooms fit but none is free for the whole hour."""
    for level in directory.levels:
        if not directory.is_floor(level):
            continue
        place = directory.level_place(level)
        fits = best_fit(directory, place, capacity)
        for hour in range(11, 18):
            window = Window(NOW.replace(hour=hour, minute=0), NOW.replace(hour=hour + 1, minute=0))
            if fits and not any(free_in(sb, r.room_id, window) for r in fits):
                yield place, window


def test_near_misses_are_true_and_each_has_a_button(sb, ctx, directory) -> None:  # type: ignore[no-untyped-def]
    seen = {"partly": 0, "later": 0, "nearby": 0}
    for place, window in no_room_free(sb, directory, 6):
        data = ask(FindFree("en", window, 6, place), ctx())
        near = data["near"]
        assert data["rooms"] == [] and near is not None
        for row in near["partly"]:  # the free stretch shown is free, and most of the hour
            assert free_in(sb, row["room_id"], Window(row["start"], row["end"]))
            assert window.start <= row["start"] < row["end"] <= window.end
            assert row["end"] - row["start"] >= timedelta(minutes=30)
            assert actions.decode(row["value"], directory, NOW) == IsFree(
                "en", directory.room_place(directory.room(row["room_id"])), window)
            seen["partly"] += 1
        if near["later"]:
            later = actions.decode(near["later"]["value"], directory, NOW)
            assert isinstance(later, FindFree) and later.window.start > window.start
            assert later.window.end - later.window.start == window.end - window.start
            free_then = [r for r in best_fit(directory, place, 6) if free_in(sb, r.room_id, later.window)]
            assert len(free_then) == near["later"]["rooms"] >= 1
            seen["later"] += 1
        if near["nearby"] and near["nearby"]["rooms"]:
            for row in near["nearby"]["rooms"]:
                assert free_in(sb, row["room_id"], window) and row["capacity"] >= 6
                assert directory.floor_of(directory.room(row["room_id"])).level_id != place.id
            floors = [actions.decode(f["value"], directory, NOW) for f in near["nearby"]["floors"]]
            assert floors and all(isinstance(q, FindFree) and q.place.kind == "floor" for q in floors)
            seen["nearby"] += 1
    assert all(seen.values()), seen  # the tenant shows every kind of near miss somewhere


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_near_misses_render_in_both_languages(lang, sb, ctx, directory) -> None:  # type: ignore[no-untyped-def]
    place, window = next(no_room_free(sb, directory, 6))
    card = render(router.answer(FindFree(lang, window, 6, place), ctx()))
    text = str(card)
    assert ("大部分时间有空" in text or "晚一点" in text) if lang == "zh" else (
        "Free for most of the time" in text or "A little later" in text)


def test_the_room_finder_stays_small_on_a_2000_room_tenant(big) -> None:  # type: ignore[no-untyped-def]
    """321 buildings and floors: the select holds the buildings, then the asked place's floors."""
    sb, directory = big
    floor = next(lv for lv in directory.levels if directory.is_floor(lv))
    place = directory.level_place(floor)
    for question in (Help("zh"), FindFree("zh", WINDOW, 10, place)):
        reply = router.answer(question, big_context(sb, directory))
        assert card_bytes(render(reply)) < MAX_CARD_BYTES
        options = [o["value"] for o in reply.data["finder"]["places"]]
        assert len(options) == MAX_PLACE_OPTIONS and options[0] == "anywhere"
        assert all(f"building:{b.level_id}" in options for b in directory.buildings())
    assert f"floor:{floor.level_id}" in options
