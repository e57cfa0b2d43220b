"""Is it free: free/busy through the real gateway; the holder, busy-until and next free slot."""
from __future__ import annotations

import time
from datetime import timedelta

import pytest

from bot.answer import router
from bot.answer.timeline import merge
from bot.answer.windows import next_day_start
from bot.feishu.gateway import API_FREEBUSY, API_RESERVATIONS
from bot.queries import IsFree, WhoBooked, Window
from bot.render.cards import render
from bot.understand import actions, parse
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


# ---------------------------------------------------------------------------- several rooms at once

def two_rooms(directory):  # type: ignore[no-untyped-def]
    mercury, jupiter = directory.room_by_name("Mercury"), directory.room_by_name("Jupiter 木星")
    return directory.room_place(mercury), directory.room_place(jupiter)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_two_rooms_in_one_message_one_card_one_call(lang, sb, ctx, directory, gateway) -> None:  # type: ignore[no-untyped-def]
    text = "is Mercury or Jupiter free at 3" if lang == "en" else "Mercury和木星下午3点有空吗"
    question = parse(text, NOW, directory)
    mercury, jupiter = two_rooms(directory)
    assert isinstance(question, IsFree) and {question.place, *question.more} == {mercury, jupiter}
    data = ask(question, ctx())
    assert api_calls(gateway) == {API_FREEBUSY: 1}
    assert data["per_room"] and not data["single"]
    assert {s["room_id"] for s in data["states"]} == {mercury.id, jupiter.id}
    window = question.window
    for state in data["states"]:
        assert state["free"] == (sb.tenant.busy(state["room_id"], window.start, window.end) == [])
    card = render(router.answer(question, ctx()))
    text_of_card = str(card)
    assert "Mercury" in text_of_card and "Jupiter" in text_of_card


def test_buttons_keep_both_rooms(ctx, directory) -> None:  # type: ignore[no-untyped-def]
    mercury, jupiter = two_rooms(directory)
    window = Window(NOW.replace(hour=15, minute=0), NOW.replace(hour=15, minute=30))
    data = ask(IsFree("en", mercury, window, (jupiter,)), ctx())
    by_key = {b["key"]: actions.decode(b["value"], directory, NOW) for b in data["buttons"]}
    for key in ("refresh", "next_slot"):
        assert isinstance(by_key[key], IsFree) and by_key[key].more == (jupiter,), key
    assert by_key["next_slot"].window.start == window.start + timedelta(minutes=30)
    who = by_key["who_today_all"]
    assert isinstance(who, WhoBooked) and (who.place, who.more) == (mercury, (jupiter,))


def test_a_floor_and_a_room_together_list_every_room(sb, ctx, directory, gateway) -> None:  # type: ignore[no-untyped-def]
    mercury, _ = two_rooms(directory)
    oslo = directory.room_by_name("Oslo")
    floor = directory.level_place(directory.floor_of(oslo))
    window = Window(NOW.replace(hour=16, minute=0), NOW.replace(hour=16, minute=30))
    data = ask(IsFree("zh", floor, window, (mercury,)), ctx())
    rooms = {r.room_id for r in directory.place_rooms(floor)} | {mercury.id}
    assert not data["per_room"] and len(data["free"]) + data["busy_total"] + len(data["disabled"]) == len(rooms)
    assert api_calls(gateway) == {API_FREEBUSY: -(-len(rooms) // 20)}


@pytest.mark.parametrize("bad", ["Mercury", [["room", "omm_gone"]], [["tenant", ""]], [["room"]] ,
                                 [["room", "x"]] * 6, {"room": "x"}])
def test_forged_other_places_are_rejected(bad, directory) -> None:  # type: ignore[no-untyped-def]
    mercury, jupiter = two_rooms(directory)
    value = actions.encode(IsFree("en", mercury, Window(NOW, NOW + timedelta(minutes=30)), (jupiter,)))
    assert value["more"] == [["room", jupiter.id]]
    with pytest.raises(actions.BadAction):
        actions.decode({**value, "more": bad}, directory, NOW)


def test_who_booked_two_rooms_one_card_one_ledger_call(sb, ctx, directory, gateway) -> None:  # type: ignore[no-untyped-def]
    question = parse("who booked Mercury and Jupiter today", NOW, directory)
    mercury, jupiter = two_rooms(directory)
    assert isinstance(question, WhoBooked) and question.more
    reply = router.answer(question, ctx())
    render(reply)
    assert api_calls(gateway) == {API_RESERVATIONS: 1}
    truth = [r for r in sb.tenant.reservations_on(NOW.date()) if r.room_id in (mercury.id, jupiter.id)]
    assert reply.data["total"] == len(truth) and reply.data["multi_room"]
    assert "Mercury" in reply.data["place"]["label"] and "Jupiter" in reply.data["place"]["label"]
    refresh = next(b for b in reply.data["buttons"] if b["key"] == "refresh")
    assert actions.decode(refresh["value"], directory, NOW).more == (jupiter,)


def test_who_booked_a_floor_and_a_room_lists_both(sb, ctx, directory) -> None:  # type: ignore[no-untyped-def]
    mercury, _ = two_rooms(directory)
    oslo = directory.room_by_name("Oslo")
    floor = directory.level_place(directory.floor_of(oslo))
    today = Window(NOW.replace(hour=0, minute=0), NOW.replace(hour=0, minute=0) + timedelta(days=1), True)
    reply = router.answer(WhoBooked("en", floor, today, (mercury,)), ctx())
    render(reply)
    rooms = {r.room_id for r in directory.place_rooms(floor)} | {mercury.id}
    truth = [r for r in sb.tenant.reservations_on(NOW.date()) if r.room_id in rooms]
    assert reply.data["total"] == len(truth)
    assert {row["room"] for row in reply.data["rows"]} >= {"Mercury"}
