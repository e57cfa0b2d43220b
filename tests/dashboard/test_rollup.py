"""Week rollups are summed once and kept until what they were summed from changes: a day of the
week remembered again, the directory, the working time or the costs; at most `size` weeks."""
from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from bot.dashboard.rollup import Layout, RollupCache
from bot.digest import facts
from bot.directory.tree import Directory
from bot.feishu.models import Room
from bot.insights.incidents import Counts
from bot.insights.working_time import WorkingTime
from bot.store import Store
from tests.dashboard.test_numbers import use_fact

MON = date(2025, 11, 10)
DIRECTORY = Directory([Room("r1", "Oslo", 6, "0"), Room("r2", "Rome", 6, "0")], [], "0")


def remember(store: Store, day: date, bookings: int) -> None:
    store.put_fact(facts.ROOM_COUNTS, day, {"r1": facts.encode_counts(Counts(bookings=bookings))})
    store.put_fact(facts.ROOM_USE, day, use_fact({"r1": {10: 3600.0}}))


def test_a_week_is_summed_once_until_its_facts_or_the_layout_change(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'rollups.db'}")
    cache = RollupCache(store, size=3)
    layout = Layout.of(DIRECTORY, {}, 0.0, WorkingTime())
    remember(store, MON, 3)
    remember(store, MON + timedelta(days=1), 4)
    week = cache.weeks([MON], layout)[MON]
    assert week.tenant.counts[facts.BOOKINGS_AT] == 7 and week.count_days == 2
    assert week.utilisation(week.tenant, WorkingTime()) == 2 * 3600 / (2 * 2 * 9 * 3600)
    assert cache.weeks([MON], layout)[MON] is week and cache.built == 1
    remember(store, MON + timedelta(days=2), 5)  # a new day of the week
    assert cache.weeks([MON], layout)[MON].count_days == 3 and cache.built == 2
    other = Layout.of(DIRECTORY, {}, 0.0, WorkingTime(days=frozenset({0})))  # Mondays only
    monday_only = cache.weeks([MON], other)[MON]
    assert monday_only.use_days == 1 and cache.built == 3
    cache.weeks([MON - timedelta(days=7 * n) for n in range(1, 4)], layout)  # three more weeks
    assert cache.built == 6
    cache.weeks([MON], layout)  # pushed out by them: summed again
    assert cache.built == 7
    store.close()
