"""The store: the same behaviour on SQLite and PostgreSQL, including under concurrent writers."""
from __future__ import annotations

import threading
from datetime import date

import pytest

from bot.store import MIGRATIONS, Store, StoreError, digest_uuid
from tests.clocks import SettableClock

DAY = date(2025, 11, 17)


@pytest.fixture
def store(store_url: str, clock: SettableClock):
    with Store.open(store_url, clock=clock, max_attempts=3) as opened:
        yield opened


def test_schema_is_created_once_and_reopening_keeps_data(store_url: str) -> None:
    with Store.open(store_url) as first:
        assert first.schema_version() == len(MIGRATIONS)
        assert first.accept_event("ev1", "message", {"text": "hi"})
    with Store.open(store_url) as again:
        assert again.schema_version() == len(MIGRATIONS)
        assert not again.accept_event("ev1", "message", {"text": "hi"})


def test_bad_url_names_the_forms() -> None:
    with pytest.raises(StoreError, match="sqlite:///"):
        Store.open("mysql://x")


def test_accept_event_drops_duplicates_and_keeps_payload(store: Store) -> None:
    assert store.accept_event("ev1", "message", {"text": "会议室", "n": 1})
    assert not store.accept_event("ev1", "message", {"text": "again"})
    [event] = store.pending_events()
    assert (event.key, event.kind, event.payload, event.attempts) == (
        "ev1", "message", {"text": "会议室", "n": 1}, 0)
    assert event.received_at.tzinfo is not None


def test_claim_pending_leases_once_until_the_lease_runs_out(
        store: Store, clock: SettableClock) -> None:
    store.accept_event("ev1", "message", {})
    assert store.claim_pending("ev1", lease_seconds=60)
    assert not store.claim_pending("ev1", 60)
    assert store.pending_events() == []  # leased events are someone's work
    clock.advance(61)
    assert [e.key for e in store.pending_events()] == ["ev1"]
    assert store.claim_pending("ev1", 60)


def test_claim_next_takes_the_oldest_and_counts_each_claim(
        store: Store, clock: SettableClock) -> None:
    store.accept_event("old", "message", {"n": 1})
    clock.advance(1)
    store.accept_event("new", "message", {"n": 2})
    first = store.claim_next(10)
    assert first is not None and (first.key, first.payload, first.attempts) == ("old", {"n": 1}, 1)
    second = store.claim_next(10)
    assert second is not None and second.key == "new"
    assert store.claim_next(10) is None and store.claimable() == 0
    clock.advance(11)  # both workers died: their leases lapse and the items are claimed again
    again = store.claim_next(10)
    assert again is not None and (again.key, again.attempts) == ("old", 2)


def test_an_event_recorded_as_held_is_not_claimable_until_its_lease_lapses(
        store: Store, clock: SettableClock) -> None:
    assert store.accept_event("click", "card_action", {}, lease_seconds=10)
    assert store.claim_next(10) is None
    store.renew_leases(["click"], 10)
    clock.advance(9)
    assert store.claim_next(10) is None
    clock.advance(2)
    claimed = store.claim_next(10)
    assert claimed is not None and claimed.attempts == 2


def test_mark_done_ends_pending_and_a_done_event_stays_a_duplicate(store: Store) -> None:
    store.accept_event("ev1", "message", {})
    assert store.claim_pending("ev1", 60)
    store.mark_done("ev1")
    assert store.pending_events() == []
    assert not store.claim_pending("ev1", 60)
    assert not store.accept_event("ev1", "message", {})
    assert store.event_status("ev1") == "done"


def test_mark_failed_retries_then_gives_up(store: Store) -> None:
    store.accept_event("ev1", "message", {})
    for attempt in (1, 2):
        assert store.claim_pending("ev1", 60)
        assert not store.mark_failed("ev1", f"boom {attempt}")
        [event] = store.pending_events()
        assert event.attempts == attempt
    assert store.claim_pending("ev1", 60)
    assert store.mark_failed("ev1", "boom 3")  # max_attempts = 3: now a dead letter
    assert store.pending_events() == []
    assert not store.claim_pending("ev1", 60)
    assert store.event_status("ev1") == "dead"


def test_pending_events_older_than(store: Store, clock: SettableClock) -> None:
    store.accept_event("old", "message", {})
    clock.advance(100)
    store.accept_event("new", "card_action", {})
    assert [e.key for e in store.pending_events(older_than_seconds=50)] == ["old"]
    assert [e.key for e in store.pending_events()] == ["old", "new"]


def test_prune_forgets_only_finished_old_events(store: Store, clock: SettableClock) -> None:
    store.accept_event("done", "message", {})
    store.accept_event("open", "message", {})
    store.mark_done("done")
    clock.advance(8 * 86400)
    assert store.prune_events() == 1
    assert [e.key for e in store.pending_events()] == ["open"]


def test_subscription_upsert_list_remove(store: Store) -> None:
    first = store.add_subscription("oc_1", chat_type="group", level_id="", level_label="",
                                   kinds=("no_shows",), at="09:00", lang="zh", created_by="ou_a")
    again = store.add_subscription("oc_1", chat_type="group", level_id="", kinds=("no_shows", "early_releases"),
                                   at="09:30", lang="en", created_by="ou_b")
    assert again.id == first.id
    assert (again.at, again.kinds, again.lang, again.created_by) == (
        "09:30", ("no_shows", "early_releases"), "en", "ou_a")
    store.add_subscription("oc_1", level_id="omb_4f", level_label="T2 · 4F", at="08:00")
    store.add_subscription("oc_2", chat_type="p2p", at="10:00")
    assert [s.level_id for s in store.subscriptions("oc_1")] == ["", "omb_4f"]
    assert len(store.subscriptions()) == 3
    assert store.remove_subscriptions("oc_1", "omb_4f") == 1
    assert store.remove_subscriptions("oc_1", "omb_4f") == 0
    assert store.remove_subscriptions("oc_1") == 1
    assert [s.chat_id for s in store.subscriptions()] == ["oc_2"]


def test_deactivated_chat_is_hidden_until_it_subscribes_again(store: Store) -> None:
    store.add_subscription("oc_1", at="09:00")
    assert store.deactivate_chat("oc_1", "230002 bot removed") == 1
    assert store.subscriptions("oc_1") == []
    [inactive] = store.subscriptions("oc_1", active_only=False)
    assert not inactive.active
    store.add_subscription("oc_1", at="09:00")
    assert store.subscriptions("oc_1")[0].active


def test_digest_claimed_once_and_never_after_sent(store: Store) -> None:
    claim = store.claim_digest("oc_1", DAY, "daily")
    assert claim is not None and claim.uuid == digest_uuid("oc_1", DAY, "daily")
    assert len(claim.uuid) <= 50
    assert store.claim_digest("oc_1", DAY, "daily") is None
    assert store.claim_digest("oc_1", date(2025, 11, 18), "daily") is not None
    store.mark_digest_sent(claim, "om_1")
    assert store.digest_status("oc_1", DAY, "daily") == ("sent", "om_1")
    assert store.claim_digest("oc_1", DAY, "daily") is None


def test_crashed_digest_is_reclaimed_after_the_lease_with_the_same_uuid(
        store: Store, clock: SettableClock) -> None:
    first = store.claim_digest("oc_1", DAY, "daily", lease_seconds=300)
    assert first is not None
    clock.advance(299)
    assert store.claim_digest("oc_1", DAY, "daily") is None
    clock.advance(2)
    second = store.claim_digest("oc_1", DAY, "daily")
    assert second is not None and second.uuid == first.uuid and second.attempt == 2


def test_released_digest_can_be_claimed_again(store: Store) -> None:
    claim = store.claim_digest("oc_1", DAY, "daily")
    assert claim is not None
    store.release_digest(claim)
    retry = store.claim_digest("oc_1", DAY, "daily")
    assert retry is not None and retry.uuid == claim.uuid
    store.release_digest(claim)  # a stale token releases nothing
    assert store.claim_digest("oc_1", DAY, "daily") is None


def test_lease_is_exclusive_renewable_and_expires(store: Store, clock: SettableClock) -> None:
    assert store.acquire_lease("scheduler", "a", 30)
    assert not store.acquire_lease("scheduler", "b", 30)
    clock.advance(20)
    assert store.acquire_lease("scheduler", "a", 30)  # renew
    clock.advance(20)
    assert not store.acquire_lease("scheduler", "b", 30)
    clock.advance(11)
    assert store.acquire_lease("scheduler", "b", 30)
    store.release_lease("scheduler", "a")  # not a's any more: no effect
    assert not store.acquire_lease("scheduler", "a", 30)
    store.release_lease("scheduler", "b")
    assert store.acquire_lease("scheduler", "a", 30)


def _race(url: str, work, workers: int = 4) -> list:
    """Run `work(store, worker_index)` in threads, each with its own Store instance."""
    stores = [Store.open(url) for _ in range(workers)]
    results: list = [None] * workers
    barrier = threading.Barrier(workers)

    def run(i: int) -> None:
        barrier.wait()
        results[i] = work(stores[i], i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    for opened in stores:
        opened.close()
    return results


def test_concurrent_instances_accept_each_event_once(store_url: str) -> None:
    keys = [f"ev{i}" for i in range(40)]
    results = _race(store_url, lambda s, _: [k for k in keys if s.accept_event(k, "message", {})])
    accepted = [k for r in results for k in r]
    assert sorted(accepted) == sorted(keys)


def test_concurrent_instances_claim_each_digest_and_event_once(store_url: str) -> None:
    with Store.open(store_url) as setup:
        for i in range(30):
            setup.accept_event(f"ev{i}", "message", {})

    def work(s: Store, _: int) -> tuple[list, list]:
        digests = [c.chat_id for i in range(30) if (c := s.claim_digest(f"oc_{i}", DAY, "daily"))]
        events = [e.key for e in iter(lambda: s.claim_next(60), None)]
        return digests, events

    results = _race(store_url, work)
    digests = [d for r in results for d in r[0]]
    events = [e for r in results for e in r[1]]
    assert sorted(digests) == sorted(f"oc_{i}" for i in range(30))
    assert sorted(events) == sorted(f"ev{i}" for i in range(30))


def test_concurrent_first_open_migrates_once(store_url: str) -> None:
    results = _race(store_url, lambda s, _: s.schema_version())
    assert results == [len(MIGRATIONS)] * 4


def test_day_facts_round_trip_and_replace(store: Store) -> None:
    store.put_fact("no_shows", DAY, [["王五", "研发", "omm_1"]])
    store.put_fact("no_shows", date(2025, 11, 18), [])
    store.put_fact("no_shows", DAY, [["王五", "研发", "omm_2"]])
    assert store.facts("no_shows", date(2025, 11, 10), DAY) == {DAY: [["王五", "研发", "omm_2"]]}
    assert set(store.facts("no_shows", DAY, date(2025, 11, 30))) == {DAY, date(2025, 11, 18)}
    assert store.facts("other", DAY, DAY) == {}


def test_an_old_schema_is_upgraded_in_order(store_url: str) -> None:
    with Store.open(store_url, schema_version=1) as old:  # as an older roombot left it
        assert old.schema_version() == 1
        old.accept_event("ev_failed", "message", {})
        with old._db.transaction() as cur:  # the old release's word for a given-up event
            cur.execute("UPDATE events SET status = 'failed'")
            cur.execute("INSERT INTO subscriptions (chat_id, chat_type, level_id, level_label, "
                        "kinds, at, lang, created_by, active, created_at, updated_at) VALUES "
                        "('oc_1', 'group', '', '', 'no_shows', '09:00', 'zh', '', 1, 1.0, 1.0)")
    with Store.open(store_url) as new:
        assert new.schema_version() == len(MIGRATIONS)
        assert [s.chat_id for s in new.subscriptions()] == ["oc_1"]
        new.put_fact("no_shows", DAY, [])
        assert new.event_status("ev_failed") == "dead"


def test_a_failed_event_waits_before_its_retry(store: Store, clock: SettableClock) -> None:
    store.accept_event("ev1", "message", {})
    assert store.claim_pending("ev1", 60)
    store.mark_failed("ev1", "Feishu down", retry_after_seconds=15)
    assert store.pending_events() == []
    clock.advance(16)
    assert [event.key for event in store.pending_events()] == ["ev1"]
