"""Is it free: free/busy through the real gateway; the holder, busy-until and next free slot."""
from __future__ import annotations

import time
from datetime import timedelta

import pytest

from bot.answer import router
from bot.answer.timeline import merge
from bot.answer.windows import next_day_start
from bot.cards import render
from bot.feishu.gateway import API_FREEBUSY
from bot.queries import IsFree, Window
from tests.answer.conftest import NOW, api_calls


def ask(question: IsFree, ctx) -> dict:  # type: ignore[no-untyped-def]
    reply = router.answer(question, ctx)
    assert reply.card == "availability"
    render(reply)
    return reply.data


def busy_slot(sb, room):  # type: ignore[no-untyped-def]
    """A 30-minute window later today that starts inside one of the room's bookings."""
    found = sb.tenant.busy(room.room_id, NOW, next_day_start(NOW))
    assert found, "the sandbox room has bookings later today"
    return found[0], Window(found[0].start, found[0].start + timedelta(minutes=30))


def test_busy_room_names_holder_until_and_next_free_slot(sb, ctx, directory, gateway) -> None:
    mercury = directory.room_by_name("Mercury")
    booking, window = busy_slot(sb, mercury)
    data = ask(IsFree("en", directory.room_place(mercury), window), ctx())
    state = data["room"]
    assert state["free"] is False
    assert state["holders"][0]["who"] == booking.organizer_name
    day = sb.tenant.busy(mercury.room_id, window.start, next_day_start(NOW))
    block_end = next(end for start, end in merge(day) if end > window.start)
    assert state["until"] == block_end
    slot = state["next"]
    assert slot["start"] >= block_end and slot["end"] - slot["start"] == timedelta(minutes=30)
    assert sb.tenant.busy(mercury.room_id, slot["start"], slot["end"]) == []  # truly free
    assert api_calls(gateway) == {API_FREEBUSY: 1}


def test_free_room_is_free_per_sandbox(sb, ctx, directory) -> None:
    oslo = directory.room_by_name("Oslo")
    day = sb.tenant.busy(oslo.room_id, NOW, next_day_start(NOW))
    start = max((b.end for b in day), default=NOW.replace(hour=18, minute=0))
    window = Window(start, start + timedelta(minutes=30))
    data = ask(IsFree("zh", directory.room_place(oslo), window), ctx())
    assert data["room"]["free"] is True and data["past"] is False


def test_past_window_is_flagged(ctx, directory) -> None:
    oslo = directory.room_by_name("Oslo")
    window = Window(NOW - timedelta(hours=2), NOW - timedelta(hours=1, minutes=30))
    assert ask(IsFree("en", directory.room_place(oslo), window), ctx())["past"] is True


def test_45_rooms_cost_three_concurrent_freebusy_calls(sb, ctx, directory, gateway) -> None:
    building = next(lv for lv in directory.levels if lv.name == "A座")
    place = directory.level_place(building)
    assert len(directory.place_rooms(place)) == 45
    window = Window(NOW.replace(hour=14, minute=0), NOW.replace(hour=14, minute=30))
    sb.faults.latency = 0.3
    began = time.monotonic()
    data = ask(IsFree("en", place, window), ctx())
    elapsed = time.monotonic() - began
    assert api_calls(gateway) == {API_FREEBUSY: 3}
    assert elapsed < 0.85  # three calls of 0.3 s each, made at the same time
    truth = {r.room_id: not sb.tenant.busy(r.room_id, window.start, window.end)
             for r in directory.place_rooms(place)}
    assert {s["room_id"] for s in data["free"]} == {rid for rid, free in truth.items() if free}
    assert data["busy_total"] == sum(1 for free in truth.values() if not free)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_floor_card_renders(lang, ctx, directory) -> None:  # type: ignore[no-untyped-def]
    floor = directory.floor_of(directory.room_by_name("Mercury"))
    window = Window(NOW.replace(hour=11, minute=0), NOW.replace(hour=11, minute=30))
    data = ask(IsFree(lang, directory.level_place(floor), window), ctx())
    assert len(data["free"]) + data["busy_total"] == len(directory.rooms_under(floor.level_id))
