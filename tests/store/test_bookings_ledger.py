"""The bookings ledger and the audit log, the same on SQLite and PostgreSQL."""
from __future__ import annotations

from bot.store import Booking, Store
from tests.clocks import SettableClock
from tests.store.conftest import at_once


def booking(key: str = "k" * 40, **changes: object) -> Booking:
    fields = {"key": key, "requester": "ou_alice", "room_id": "omm_1", "room_name": "Everest",
              "start": 1_763_010_000.0, "end": 1_763_013_600.0, "lang": "zh", "chat_id": "oc_1",
              "message_id": "om_card", **changes}
    return Booking(**fields)  # type: ignore[arg-type]


def test_a_booking_is_written_once_whatever_the_retries(store: Store) -> None:
    first, created = store.begin_booking(booking())
    again, created_again = store.begin_booking(booking(room_name="ignored"))
    assert created and not created_again
    assert again == first and again.status == "new" and again.room_name == "Everest"
    assert first.history[0][1:] == ("new", "click")


def test_each_step_is_compare_and_set_and_kept_in_the_history(store: Store,
                                                               clock: SettableClock) -> None:
    row, _ = store.begin_booking(booking())
    clock.advance(1)
    event = store.advance_booking(row, "event", "created", calendar_id="cal_1", event_id="ev_1")
    assert event is not None and event.event_id == "ev_1"
    assert store.advance_booking(row, "event", "a stale copy") is None  # moved by someone else
    clock.advance(1)
    booked = store.advance_booking(event, "booked", "accept", attendee_id="resource_1")
    assert booked is not None
    stored = store.booking(row.key)
    assert stored == booked
    assert [s for _at, s, _note in stored.history] == ["new", "event", "booked"]


def test_only_one_of_two_racing_hands_moves_a_booking(store: Store) -> None:
    row, _ = store.begin_booking(booking())
    results = at_once(lambda: store.advance_booking(row, "cancelled", "race"))
    assert sum(r is not None for r in results) == 1


def test_a_persons_bookings_and_the_booked_rooms_of_a_window(store: Store) -> None:
    mine, _ = store.begin_booking(booking("a" * 40))
    store.begin_booking(booking("b" * 40, requester="ou_bob"))
    store.begin_booking(booking("c" * 40, start=1_762_000_000.0, end=1_762_003_600.0))
    assert [b.key for b in store.bookings_of("ou_alice", 1_763_000_000.0)] == [mine.key]
    assert store.bookings_between(1_763_000_000.0, 1_763_100_000.0) == []  # none booked yet
    booked = store.advance_booking(mine, "booked", "accept")
    assert store.bookings_between(1_763_011_000.0, 1_763_012_000.0) == [booked]
    assert store.bookings_between(1_763_013_600.0, 1_763_020_000.0) == []  # ends as that starts


def test_the_audit_log_only_grows(store: Store, clock: SettableClock) -> None:
    store.audit("ou_alice", "book", "k1", "omm_1", {"room": "珠峰"}, log_id="log1")
    clock.advance(10)
    store.audit("ou_bob", "refused:cancel", "k1", "omm_1")
    rows = store.audit_since(0)
    assert [(r.actor, r.action, r.detail, r.log_id) for r in rows] == [
        ("ou_alice", "book", {"room": "珠峰"}, "log1"), ("ou_bob", "refused:cancel", {}, "")]
    assert [r.action for r in store.audit_since(clock() - 5)] == ["refused:cancel"]
    assert [r.actor for r in store.audit_since(0, "book")] == ["ou_alice"]
