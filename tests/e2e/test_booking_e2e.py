"""Booking end to end: signed events into the real webhook, the real SDK against the sandbox's
calendar v4, the cards the bot sends and patches, and the ledger and audit rows it keeps."""
from __future__ import annotations

import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.render.text import card_to_text
from bot.store import Store
from tests.e2e.harness import RunningBot, click, free_port, room_name, serve, serve_config


def calendar_calls(bot: RunningBot, since: int) -> Counter[str]:
    """The calendar calls since the `since`-th recorded call: "POST events", "GET attendees"…"""
    counted: Counter[str] = Counter()
    for call in bot.sandbox.calls[since:]:
        if "/calendar/v4/" in call.path:
            tail = call.path.rstrip("/").rsplit("/", 1)[-1]
            kind = tail if tail in ("primary", "events", "attendees", "batch_delete") else "event"
            counted[f"{call.method} {kind}"] += 1
    return counted


@pytest.fixture(autouse=True)
def quick_rooms(bot: RunningBot) -> None:
    bot.sandbox.calendar.decision_delay = 0.3  # rooms decide this long after they were added


def tomorrow(hour: int, minute: int = 0) -> datetime:
    now = datetime.now(bot_tz())
    return (now + timedelta(days=1)).replace(hour=hour, minute=minute, second=0, microsecond=0)


def bot_tz() -> Any:
    from zoneinfo import ZoneInfo
    return ZoneInfo("Asia/Shanghai")


def free_open_room(bot: RunningBot, start: datetime, end: datetime) -> str:
    """An open room (no approval, no limits) with an English name (so the card is in English),
    nothing booked over [start, end) and no roombot booking yet."""
    english = [r for r in bot.sandbox.calendar.open_rooms() if room_name(bot, r).isascii()]
    busy = bot.responder.gateway.freebusy(english, start, end)
    return next(room for room in english if not busy.get(room) and not events_for(bot, room))


def buttons(card: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return list(card_to_text(card).buttons)


def button(card: dict[str, Any], label: str) -> dict[str, Any]:
    found = [value for text, value in buttons(card) if label in text]
    assert found, f"no {label!r} button among {[t for t, _ in buttons(card)]}"
    return found[0]


def final(record: Any, title: str, timeout: float = 30) -> dict[str, Any]:
    """The card once a patch whose header has `title` arrived."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for card in reversed(record.patches):
            if title in card["header"]["title"]["content"]:
                return card
        time.sleep(0.05)
    raise AssertionError(f"no patch titled {title!r}: {[p['header']['title']['content'] for p in record.patches]}")


def later(record: Any, before: int, title: str, timeout: float = 30) -> dict[str, Any]:
    """The first patch after the first `before` whose title has `title`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for card in record.patches[before:]:
            if title in card["header"]["title"]["content"]:
                return card
        time.sleep(0.05)
    raise AssertionError(f"no new patch titled {title!r}")


def events_for(bot: RunningBot, room_id: str) -> list[Any]:
    return [e for e in bot.sandbox.calendar.events
            if not e.deleted and any(a.room_id == room_id for a in e.rooms())]


def ask_free(bot: RunningBot, room_id: str, start: datetime, end: datetime, **kwargs: Any) -> Any:
    name = room_name(bot, room_id)
    return bot.ask(f"is {name} free tomorrow {start:%H:%M}-{end:%H:%M}", **kwargs)


def book_from_card(bot: RunningBot, room_id: str, start: datetime, end: datetime,
                   operator: Any = None) -> tuple[Any, dict[str, Any]]:
    record = ask_free(bot, room_id, start, end, sender=operator)
    name = room_name(bot, room_id)
    push = click(bot, record, button(record.content, f"Book {name}"), operator)
    return record, push.json["card"]["data"]


# ----------------------------------------------------------------------------- booking from a card

def test_a_free_room_is_booked_from_its_card(bot: RunningBot) -> None:
    start, end = tomorrow(7), tomorrow(8)
    room = free_open_room(bot, start, end)
    name = room_name(bot, room)
    user = bot.sandbox.tenant.users[3]
    since = len(bot.sandbox.calls)
    record, first = book_from_card(bot, room, start, end, user)
    assert first["header"]["title"]["content"] == f"Booking {name}…"  # answered in the callback
    done = final(record, f"{name} is booked")
    text = str(card_to_text(done))
    assert f"Booked for @{user.open_id} (via roombot)" in text  # a mention: Feishu shows the name
    assert f"<at id={user.open_id}></at>" in str(done)
    assert [label for label, _ in buttons(done)][:2] == ["Extend 30 min", "Cancel"]
    [event] = events_for(bot, room)
    [room_attendee] = event.rooms()
    assert room_attendee.rsvp == "accept" and room_attendee.user.open_id == user.open_id
    assert datetime.fromtimestamp(event.start, bot_tz()) == start
    busy = bot.responder.gateway.freebusy([room], start, end)[room]
    assert busy and not busy[0].organizer_name  # an app's event: Feishu names no organizer
    calls = calendar_calls(bot, since)
    assert calls["POST events"] == 1 and calls["POST attendees"] == 1
    assert calls["GET attendees"] >= 1 and calls["DELETE event"] == 0
    booking = bot.responder.store.bookings_of(user.open_id, 0)[0]
    assert booking.status == "booked" and booking.event_id == event.event_id
    assert [s for _at, s, _n in booking.history] == ["new", "event", "pending", "booked"]
    assert [a.action for a in bot.responder.store.audit_since(0)] == ["book"]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_typed_booking_is_made_and_its_card_patched(bot: RunningBot, lang: str) -> None:
    start, end = tomorrow(19), tomorrow(20)
    room = free_open_room(bot, start, end)
    name = room_name(bot, room)
    text = f"book {name} tomorrow 7-8pm" if lang == "en" else f"帮我订明天晚上七点的{name}，一个小时"
    record = bot.ask(text)
    assert record.content["header"]["title"]["content"] in (f"Booking {name}…", f"正在预订 {name}…")
    done = bot.final_card(record)
    assert done["header"]["title"]["content"] == (f"{name} is booked" if lang == "en" else f"已预订 {name}")
    [event] = events_for(bot, room)
    assert (event.start, event.end) == (int(start.timestamp()), int(end.timestamp()))


def test_a_room_for_six_now_takes_the_best_fitting_free_room(bot: RunningBot) -> None:
    record = bot.ask("book a room for 6 in 10 minutes")
    done = bot.final_card(record)
    title = done["header"]["title"]["content"]
    assert title.endswith("is booked"), title
    name = title.removesuffix(" is booked")
    room = next(r for r in bot.sandbox.tenant.rooms if r.name == name)
    assert room.capacity >= 6
    assert len(events_for(bot, room.room_id)) == 1


# ----------------------------------------------------------------------------- what Feishu refuses

def test_a_race_lost_says_so_and_offers_the_rooms_still_free(bot: RunningBot) -> None:
    start, end = tomorrow(19, 30), tomorrow(20, 30)
    room = free_open_room(bot, start, end)
    name = room_name(bot, room)
    bot.sandbox.calendar.race(room)
    record, _first = book_from_card(bot, room, start, end)
    done = final(record, f"{name} was not booked")
    text = str(card_to_text(done))
    assert "someone else booked it first" in text
    assert any(label.startswith("Book ") for label, _ in buttons(done))  # the alternatives
    assert events_for(bot, room) == []  # the app's event was deleted, no orphan
    [row] = [b for b in bot.responder.store.bookings_between(0, 2e10)] or [None]
    assert row is None  # nothing booked in the ledger either


def test_an_approval_room_is_never_offered_and_says_why(bot: RunningBot) -> None:
    room = bot.sandbox.calendar.rooms_needing_approval(0)[0]
    name = room_name(bot, room)
    bot.sandbox.calendar.vacate(room, tomorrow(16), tomorrow(17))  # free, so the card says why not
    record = ask_free(bot, room, tomorrow(16), tomorrow(17))
    labels = [label for label, _ in buttons(record.content)]
    assert f"Book {name}" not in labels
    text = str(card_to_text(record.content))
    assert ("is free" in text and "needs approval" in text) or ("有空" in text and "需要审批" in text), text


def test_a_room_closed_to_the_asker_is_explained(bot: RunningBot) -> None:
    room = bot.sandbox.calendar.restricted_rooms()[0]
    outsider = bot.sandbox.calendar.outsider(room)
    name = room_name(bot, room)
    record = bot.ask(f"book {name} tomorrow 4-5pm", sender=outsider)
    text = str(card_to_text(record.content))
    if "open only to certain people" not in text:  # departments listed: Feishu decides
        done = final(record, name)
        assert "not booked" in done["header"]["title"]["content"]
    assert events_for(bot, room) == []


# ----------------------------------------------------------------------------- exactly once

def test_a_double_click_and_a_redelivered_callback_make_one_event(bot: RunningBot) -> None:
    start, end = tomorrow(20), tomorrow(21)
    room = free_open_room(bot, start, end)
    name = room_name(bot, room)
    record = ask_free(bot, room, start, end)
    value = button(record.content, f"Book {name}")
    first = click(bot, record, value)
    second = click(bot, record, value)  # a new event_id, the same person, card and button
    again = bot.pusher.redeliver(first)
    assert again.status == 200
    final(record, f"{name} is booked")
    bot.settle()
    assert len(events_for(bot, room)) == 1
    assert second.json["card"]["data"]["header"]["title"]["content"] in (f"Booking {name}…", f"{name} is booked")
    assert len(bot.responder.store.audit_since(0, "book")) == 1


# ----------------------------------------------------------------------------- my bookings

def booked(bot: RunningBot, start: datetime, end: datetime, user: Any) -> tuple[str, Any, dict]:
    room = free_open_room(bot, start, end)
    record, _ = book_from_card(bot, room, start, end, user)
    return room, record, final(record, f"{room_name(bot, room)} is booked")


def test_my_bookings_lists_them_with_cancel_and_extend(bot: RunningBot) -> None:
    user = bot.sandbox.tenant.users[5]
    room, _record, _card = booked(bot, tomorrow(7), tomorrow(8), user)
    mine = bot.ask("我的预订", sender=user)
    text = str(card_to_text(mine.content))
    assert room_name(bot, room) in text and "已预订" in text
    assert {"延长 30 分钟", "取消预订"} <= {label for label, _ in buttons(mine.content)}
    other = bot.ask("my bookings", sender=bot.sandbox.tenant.users[6])
    assert "You have no upcoming bookings" in str(card_to_text(other.content))


def test_cancel_gives_the_room_back(bot: RunningBot) -> None:
    user = bot.sandbox.tenant.users[4]
    start, end = tomorrow(19), tomorrow(20)
    room, record, card = booked(bot, start, end, user)
    push = click(bot, record, button(card, "Cancel"), user)
    cancelled = push.json["card"]["data"]
    assert cancelled["header"]["title"]["content"] == f"{room_name(bot, room)} cancelled"
    assert events_for(bot, room) == []
    assert not bot.responder.gateway.freebusy([room], start, end).get(room)
    assert [a.action for a in bot.responder.store.audit_since(0)] == ["book", "cancel"]


def test_another_persons_cancel_is_refused_with_a_toast(bot: RunningBot) -> None:
    owner, stranger = bot.sandbox.tenant.users[4], bot.sandbox.tenant.users[7]
    room, record, card = booked(bot, tomorrow(20), tomorrow(21), owner)
    push = click(bot, record, button(card, "Cancel"), stranger)
    assert "card" not in push.json
    assert "Only the person this booking is for" in push.json["toast"]["content"]
    assert len(events_for(bot, room)) == 1  # nothing changed
    refused = bot.responder.store.audit_since(0, "refused:cancel")
    assert [(r.actor, r.detail["requester"]) for r in refused] == [(stranger.open_id, owner.open_id)]


def test_an_extension_that_is_free_moves_the_end(bot: RunningBot) -> None:
    user = bot.sandbox.tenant.users[2]
    start, end = tomorrow(8), tomorrow(8, 30)
    room = free_open_room(bot, start, end + timedelta(minutes=30))
    record, _ = book_from_card(bot, room, start, end, user)
    card = final(record, "is booked")
    before = len(record.patches)
    push = click(bot, record, button(card, "Extend 30 min"), user)
    assert "Extending" in str(card_to_text(push.json["card"]["data"]))  # answered at once
    extended = later(record, before, "is booked")
    assert "08:00–09:00" in str(card_to_text(extended))
    [event] = events_for(bot, room)
    assert event.end == int((end + timedelta(minutes=30)).timestamp())
    assert event.rooms()[0].rsvp == "accept"


def test_an_extension_into_someone_elses_booking_declines_and_keeps_the_old_end(bot: RunningBot) -> None:
    user = bot.sandbox.tenant.users[2]
    start, end = tomorrow(20), tomorrow(20, 30)
    room = free_open_room(bot, start, end + timedelta(minutes=30))
    record, _ = book_from_card(bot, room, start, end, user)
    card = final(record, "is booked")
    bot.sandbox.calendar.add_booking(room, end, end + timedelta(minutes=30),
                                     bot.sandbox.tenant.users[9].open_id)
    before = len(record.patches)
    click(bot, record, button(card, "Extend 30 min"), user)
    text = str(card_to_text(later(record, before, "is booked")))
    assert "Not extended" in text and "20:00–20:30" in text
    [event] = events_for(bot, room)
    assert event.end == int(end.timestamp()) and event.rooms()[0].rsvp == "accept"
    assert "extend_declined" in [a.action for a in bot.responder.store.audit_since(0)]


# ----------------------------------------------------------------------------- kill -9 mid-booking

def test_kill_9_between_the_event_and_the_room_is_resumed_to_one_booking(
        sandbox: Any, tmp_path: Path) -> None:
    """`roombot serve` dies after creating the event, before the room is on it; the next process
    resumes from the ledger: the same event (its idempotency key), the room added once, booked."""
    sandbox.calendar.decision_delay = 0.3
    port = free_port()
    config = serve_config(sandbox, tmp_path, port)
    store = Store.open(f"sqlite:///{tmp_path / 'serve.db'}")
    requester = sandbox.tenant.directory.users[0].open_id  # the pusher's default person

    def rows() -> list[Any]:
        return store.bookings_of(requester, 0)
    running = serve(sandbox, config, port)
    try:
        pusher = sandbox.pusher(running.webhook_url)
        english = [r for r in sandbox.calendar.open_rooms()
                   if next(x.name for x in sandbox.tenant.rooms if x.room_id == r).isascii()]
        name = next(x.name for x in sandbox.tenant.rooms if x.room_id == english[0])
        push = pusher.message(f"is {name} free tomorrow 08:00-09:00")
        assert push.status == 200
        record = sandbox.wait_for_sent(1, timeout=60)[-1]
        value = next(v for label, v in card_to_text(record.content).buttons if label == f"Book {name}")
        sandbox.faults.inject("/attendees", "server_error", times=10_000)  # Feishu fails the add
        assert pusher.card_action(value, message_id=record.message_id, chat_id=record.chat_id).status == 200
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if rows() and rows()[0].status == "event":
                break
            time.sleep(0.05)
        [row] = rows()
        assert row.status == "event" and row.event_id  # the event exists, the room is not on it
        running.kill()
    except BaseException:
        running.kill()
        raise
    sandbox.faults.clear()
    again = serve(sandbox, config, port)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and rows()[0].status != "booked":
            time.sleep(0.2)
        [row] = rows()
        assert row.status == "booked", row.history
        events = [e for e in sandbox.calendar.events if e.idempotency_key == row.key]
        assert len(events) == 1 and not events[0].deleted
        assert [a.rsvp for a in events[0].rooms()] == ["accept"]  # the room was added once
        card = final(record, f"{name} is booked", timeout=30)
        assert "(via roombot)" in str(card_to_text(card))
    finally:
        again.kill()
        store.close()
