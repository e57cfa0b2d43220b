"""The reminders table, opt-outs, the scan's watermark and conversations, on SQLite and PostgreSQL."""
from __future__ import annotations

import threading

from bot.store import Store
from bot.store.reminders import CLAIM_SECONDS, UNKNOWN_AGE
from tests.clocks import SettableClock

START = 1_763_010_000.0


def test_an_instance_is_seen_once_and_keeps_when_it_was_first_seen(store: Store,
                                                                    clock: SettableClock) -> None:
    store.see_reminders([("omm_1", "uid_1", START, START + 3600, "ou_a", "")], known_since=clock())
    first = clock()
    clock.advance(60)
    store.see_reminders([("omm_1", "uid_1", START, START + 3600, "ou_a", ""), ("omm_2", "uid_2", START, START + 3600, "ou_b", "")],
                        known_since=UNKNOWN_AGE)
    one, two = store.reminder("omm_1", "uid_1", START), store.reminder("omm_2", "uid_2", START)
    assert one is not None and one.first_seen == first and one.state == "seen"
    assert two is not None and two.first_seen == UNKNOWN_AGE
    assert store.reminder("omm_1", "uid_1", START + 1) is None


def test_a_reminder_is_claimed_once_and_a_stale_claim_is_taken_over(store: Store,
                                                                    clock: SettableClock) -> None:
    store.see_reminders([("omm_1", "uid_1", START, START + 3600, "ou_a", "")], known_since=clock())
    assert store.claim_reminder("omm_1", "uid_1", START, "ou_a")
    assert not store.claim_reminder("omm_1", "uid_1", START, "ou_a")
    clock.advance(CLAIM_SECONDS + 1)  # the first sender died before it said "sent"
    assert store.claim_reminder("omm_1", "uid_1", START, "ou_a")
    assert store.move_reminder("omm_1", "uid_1", START, "sent", was="sending", message_id="om_1")
    assert not store.claim_reminder("omm_1", "uid_1", START, "ou_a")
    assert not store.move_reminder("omm_1", "uid_1", START, "kept", was="sending")
    assert store.move_reminder("omm_1", "uid_1", START, "kept", was="sent")
    row = store.reminder("omm_1", "uid_1", START)
    assert row is not None and row.state == "kept" and row.message_id == "om_1"


def test_claims_race_and_exactly_one_wins(store_url: str, clock: SettableClock) -> None:
    with Store.open(store_url, clock=clock) as store:
        store.see_reminders([("omm_1", "uid_1", START, START + 3600, "ou_a", "")], known_since=clock())
    wins: list[bool] = []

    def claim() -> None:
        with Store.open(store_url, clock=clock) as mine:
            wins.append(mine.claim_reminder("omm_1", "uid_1", START, "ou_a"))

    threads = [threading.Thread(target=claim) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(wins) == [False] * 5 + [True]


def test_old_rows_are_forgotten_and_ranges_are_read_in_order(store: Store, clock: SettableClock) -> None:
    store.see_reminders([("omm_2", "u2", START + 60, START + 60 + 3600, "ou_b", ""), ("omm_1", "u1", START, START + 3600, "ou_a", ""),
                         ("omm_3", "u3", START - 7200, START - 7200 + 3600, "ou_c", "")], known_since=clock())
    assert [r.uid for r in store.reminders_between(START - 1, START + 3600)] == ["u1", "u2"]
    assert store.forget_reminders(START - 3600) == 1
    assert [r.uid for r in store.reminders_between(0, START + 3600)] == ["u1", "u2"]


def test_opting_out_and_back_in(store: Store) -> None:
    store.set_reminders_wanted("ou_a", False)
    store.set_reminders_wanted("ou_a", False)
    store.set_reminders_wanted("ou_b", False)
    assert store.reminder_opt_outs() == {"ou_a", "ou_b"}
    store.set_reminders_wanted("ou_a", True)
    assert store.reminder_opt_outs() == {"ou_b"}


def test_the_scan_watermark(store: Store) -> None:
    assert store.last_reminder_scan() == 0.0
    store.mark_reminder_scan(123.0)
    store.mark_reminder_scan(456.0)
    assert store.last_reminder_scan() == 456.0


def test_a_conversation_lasts_a_few_minutes(store: Store, clock: SettableClock) -> None:
    store.save_conversation("oc_1", "ou_a", {"q": {"q": "is_free"}, "rooms": ["omm_1"]})
    assert store.conversation("oc_1", "ou_a", 300) == {"q": {"q": "is_free"}, "rooms": ["omm_1"]}
    assert store.conversation("oc_1", "ou_b", 300) is None
    clock.advance(301)
    assert store.conversation("oc_1", "ou_a", 300) is None
