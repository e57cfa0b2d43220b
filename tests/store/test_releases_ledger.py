"""The releases ledger, the same on SQLite and PostgreSQL: one row per instance, written before
the call, moved by compare-and-set, and audited in the same transaction as its completion."""
from __future__ import annotations

from bot.store import ReleaseRow, Store
from bot.store.releases import CLAIM_SECONDS
from tests.clocks import SettableClock
from tests.store.conftest import at_once

TARGET = "omm_1/uid_1/1763010000"


def row(click: str = "c" * 64, **changes: object) -> ReleaseRow:
    fields = {"target": TARGET, "click": click, "actor": "ou_admin", "role": "admin",
              "source": "no_shows_card", "room_id": "omm_1", "uid": "uid_1",
              "start": 1_763_010_000.0, "end": 1_763_013_600.0, "holder": "ou_alice", **changes}
    return ReleaseRow(**fields)  # type: ignore[arg-type]


def test_an_instance_has_one_row_whoever_clicks(store: Store) -> None:
    first, created = store.begin_release(row())
    again, created_again = store.begin_release(row(click="d" * 64, actor="ou_other"))
    assert created and not created_again
    assert again == first and first.status == "calling" and first.actor == "ou_admin"


def test_completing_a_row_adds_its_audit_row_once(store: Store, clock: SettableClock) -> None:
    calling, _ = store.begin_release(row())
    clock.advance(1)
    done = store.move_release(calling, "released", log_id="log_1", note="answered",
                              audit={"how": "answered"})
    assert done is not None and store.release_row(TARGET) == done
    assert store.move_release(calling, "released", audit={"how": "again"}) is None  # a stale copy
    [audit] = store.audit_since(0, "release")
    assert (audit.actor, audit.target, audit.log_id, audit.detail) == (
        "ou_admin", TARGET, "log_1", {"how": "answered"})


def test_only_one_of_two_racing_hands_completes_a_release(store: Store) -> None:
    calling, _ = store.begin_release(row())
    results = at_once(lambda: store.move_release(calling, "released", audit={"how": "race"}))
    assert sum(r is not None for r in results) == 1
    assert len(store.audit_since(0, "release")) == 1


def test_a_calling_row_is_taken_by_its_own_click_at_once_and_by_another_when_stale(
        store: Store, clock: SettableClock) -> None:
    calling, _ = store.begin_release(row())
    assert store.may_take_release(calling, calling.click)
    assert not store.may_take_release(calling, "d" * 64)
    clock.advance(CLAIM_SECONDS + 1)
    assert store.may_take_release(calling, "d" * 64)
    assert [r.target for r in store.releases_calling()] == [TARGET]
    taken = store.move_release(calling, "calling", click="d" * 64, actor="ou_other")
    assert taken is not None and store.release_row(TARGET) == taken
    assert store.audit_since(0) == []  # taking a row over is not a change in anyone's calendar
