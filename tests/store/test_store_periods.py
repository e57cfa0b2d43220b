"""Daily and weekly subscriptions side by side, the migration that made room for them, weekly and
nudge claims, and the directory snapshot: on SQLite and PostgreSQL alike."""
from __future__ import annotations

from datetime import date

import pytest

from bot.feishu.models import Room, RoomLevel
from bot.store import MIGRATIONS, Store


def test_a_chat_may_follow_one_place_daily_and_weekly(store_url: str) -> None:
    with Store.open(store_url) as store:
        store.add_subscription("oc_a", level_id="L4", level_label="4F", at="09:30")
        weekly = store.add_subscription("oc_a", level_id="L4", level_label="4F", at="17:00",
                                        period="weekly", weekday=4)
        assert (weekly.period, weekly.weekday, weekly.at) == ("weekly", 4, "17:00")
        again = store.add_subscription("oc_a", level_id="L4", level_label="4F", at="08:00",
                                       period="weekly", weekday=0)  # an update, not a second row
        assert again.id == weekly.id and (again.weekday, again.at) == (0, "08:00")
        assert [(s.period, s.at) for s in store.subscriptions("oc_a")] == [
            ("daily", "09:30"), ("weekly", "08:00")]
        store.add_subscription("oc_a", at="09:00", period="weekly")
        assert store.remove_subscriptions("oc_a", period="weekly") == 2
        assert [s.period for s in store.subscriptions("oc_a")] == ["daily"]
        store.add_subscription("oc_a", level_id="L4", period="weekly")
        assert store.remove_subscriptions("oc_a", "L4", "daily") == 1
        assert store.remove_subscriptions("oc_a", "L4") == 1
        with pytest.raises(ValueError):
            store.add_subscription("oc_a", period="monthly")


def test_the_migration_keeps_existing_subscriptions_as_daily(store_url: str) -> None:
    old = Store.open(store_url, schema_version=3)  # the old columns, written by hand
    with old, old._db.transaction() as cur:
        for chat in ("oc_1", "oc_2"):
            cur.execute("INSERT INTO subscriptions (chat_id, chat_type, level_id, level_label, "
                        "kinds, at, lang, created_by, active, created_at, updated_at) "
                        "VALUES (?, 'group', 'L7', '7F', 'no_shows', '10:15', 'zh', 'ou_x', 1, "
                        "1.0, 1.0)", (chat,))
    with Store.open(store_url) as store:
        assert store.schema_version() == len(MIGRATIONS)
        subs = store.subscriptions()
        assert [(s.chat_id, s.period, s.weekday, s.at, s.kinds) for s in subs] == [
            ("oc_1", "daily", 0, "10:15", ("no_shows",)), ("oc_2", "daily", 0, "10:15", ("no_shows",))]
        store.add_subscription("oc_1", level_id="L7", period="weekly")  # now allowed
        assert len(store.subscriptions("oc_1")) == 2
        assert store.add_subscription("oc_3").id > max(s.id for s in subs)  # ids keep counting


def test_weekly_and_nudge_claims_are_once_per_week(store_url: str) -> None:
    monday = date(2025, 11, 10)
    with Store.open(store_url) as store:
        claim = store.claim_digest("oc_a", monday, "weekly:tenant")
        assert claim is not None and store.claim_digest("oc_a", monday, "weekly:tenant") is None
        assert store.claim_digest("oc_a", monday, "daily:tenant") is not None  # another kind
        store.mark_digest_sent(claim, "om_1")
        nudge = store.claim_digest("nudge:ou_1", monday, "nudge")
        assert nudge is not None and store.claim_digest("nudge:ou_1", monday, "nudge") is None
        assert nudge.uuid != claim.uuid and len(nudge.uuid) <= 50


def test_the_directory_snapshot_round_trips(store_url: str) -> None:
    levels = [RoomLevel("omb_root", "Tenant", ""), RoomLevel("omb_t2", "T2", "omb_root", ("omb_root",), True)]
    rooms = [Room("omm_1", "木星 Jupiter", 12, "omb_t2", ("omb_root", "omb_t2"), "R1", True),
             Room("omm_2", "Oslo", 4, "omb_t2", (), "", False)]
    with Store.open(store_url) as store:
        assert store.directory_snapshot("omb_root") is None
        store.save_directory("omb_root", rooms, levels)
        snapshot = store.directory_snapshot("omb_root")
        assert snapshot is not None
        assert list(snapshot.rooms) == rooms and list(snapshot.levels) == levels
        assert 0 <= snapshot.age < 60
        store.save_directory("omb_root", rooms[:1], levels)
        assert len(store.directory_snapshot("omb_root").rooms) == 1  # replaced, not added
