"""Find a free room: capacity respected, best fit first, every room truly free per the sandbox."""
from __future__ import annotations

import pytest

from bot.answer import router
from bot.cards import render
from bot.feishu.gateway import API_FREEBUSY
from bot.queries import TENANT, FindFree, Window
from tests.answer.conftest import NOW, api_calls

WINDOW = Window(NOW.replace(hour=14, minute=0), NOW.replace(hour=15, minute=0))


def ask(question: FindFree, ctx) -> dict:  # type: ignore[no-untyped-def]
    reply = router.answer(question, ctx)
    assert reply.card == "free_rooms"
    render(reply)
    return reply.data


@pytest.mark.parametrize("capacity", [0, 6, 10])
def test_rooms_are_free_big_enough_and_best_fit_first(capacity, sb, ctx, directory) -> None:  # type: ignore[no-untyped-def]
    data = ask(FindFree("en", WINDOW, capacity, TENANT), ctx())
    rows = data["rooms"]
    assert rows
    assert all(row["capacity"] >= capacity for row in rows)
    assert [(r["capacity"], r["room"].casefold()) for r in rows] == sorted(
        (r["capacity"], r["room"].casefold()) for r in rows)
    for row in rows:
        assert sb.tenant.busy(row["room_id"], WINDOW.start, WINDOW.end) == []
    fitting = [r for r in directory.rooms if r.enabled and r.capacity >= capacity]
    truly_free = [r for r in fitting if not sb.tenant.busy(r.room_id, WINDOW.start, WINDOW.end)]
    assert data["total"] == len(truly_free)
    assert rows[0]["capacity"] == min(r.capacity for r in truly_free)


def test_only_big_enough_rooms_are_asked_about(ctx, directory, gateway) -> None:
    floor = directory.floor_of(directory.room_by_name("Mercury"))
    place = directory.level_place(floor)
    data = ask(FindFree("zh", WINDOW, 10, place), ctx())
    assert data["checked"] == sum(1 for r in directory.rooms_under(floor.level_id) if r.capacity >= 10)
    assert api_calls(gateway) == ({API_FREEBUSY: 1} if data["checked"] else {})


def test_nobody_fits_costs_no_call(ctx, gateway) -> None:
    data = ask(FindFree("en", WINDOW, 999, TENANT), ctx())
    assert data["rooms"] == [] and data["checked"] == 0
    assert api_calls(gateway) == {}


def test_location_and_floor_are_shown(ctx, directory) -> None:
    data = ask(FindFree("en", WINDOW, 0, TENANT), ctx())
    assert all(row["location"] for row in data["rooms"])
