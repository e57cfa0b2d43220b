"""What the dashboard keeps between requests: week rollups, the last rooms tables and no-show
lists, the layout of the current directory; and the background thread that computes them ahead
of a visit. Everything is keyed by what it was computed from, so a newly remembered day, a new
directory listing or a changed config is seen at once."""
from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Hashable
from datetime import date
from typing import Any

from bot.dashboard import numbers
from bot.dashboard.costs import room_costs
from bot.dashboard.rollup import Layout, RollupCache
from bot.digest import facts
from bot.directory.tree import Directory
from bot.respond import Responder

log = logging.getLogger(__name__)
WEEK_CHOICES = (1, 4, 13, 52)  # the windows a page offers


class History:
    """What the pages read, kept between requests: week rollups, and the last few rooms tables
    (each keyed by what it was computed from, so a newly remembered day or a changed directory
    or config is seen at once)."""

    ROOM_TABLES = 12  # rooms tables and people lists kept at once (4 windows of each, and spares)

    def __init__(self, responder: Responder) -> None:
        self.store = responder.store
        self.rollups = RollupCache(responder.store)
        self._tables: OrderedDict[Hashable, Any] = OrderedDict()
        self._layout: tuple[Hashable, Directory, Layout, list[str]] | None = None
        self.made = 0  # rooms tables and no-show lists computed (for tests and logs)
        self._lock = threading.Lock()

    def layout(self, directory: Directory, settings: Any) -> tuple[Layout, list[str]]:
        """The rollups' layout for this directory and config, and the cost keys naming no
        place; made once per directory listing."""
        dashboard, working = settings.dashboard, settings.insights.working
        key = (id(directory), dashboard.cost_per_room_hour, dashboard.cost_per_place, working)
        with self._lock:
            if self._layout is not None and self._layout[0] == key:
                return self._layout[2], self._layout[3]
        costs, unknown = room_costs(directory, dashboard.cost_per_room_hour, dashboard.cost_per_place)
        layout = Layout.of(directory, costs, dashboard.cost_per_room_hour, working)
        with self._lock:  # the directory is held too, so that its id is not reused meanwhile
            self._layout = (key, directory, layout, unknown)
        return layout, unknown

    WARM_EVERY = 300.0  # seconds between looks for new weeks or days to sum ahead of a visit

    def keep_warm(self, responder: Responder) -> None:
        """`warm` now and every WARM_EVERY seconds (a new week, a backfilled day), for good."""
        while True:
            self.warm(responder)
            time.sleep(self.WARM_EVERY)

    def warm(self, responder: Responder) -> None:
        """Compute ahead what the pages read: every week the overview compares, the rooms table
        of each window choice and, when names may show, its no-shows. What is already kept costs
        only its key. Errors are only logged: the pages compute whatever is missing themselves."""
        try:
            directory = responder.directory.get()
            layout, _ = self.layout(directory, responder.settings)
            last = numbers.last_sunday(responder.now().date())
            began, built = time.monotonic(), self.rollups.built
            self.rollups.weeks(numbers.Weeks(2 * max(numbers.WINDOWS), last).mondays(), layout)
            for weeks in WEEK_CHOICES:
                window = numbers.Weeks(weeks, last)
                self.rooms_table(window, directory, layout)
                if responder.settings.privacy.reserver_names == "all":
                    self.people(window, responder.settings.bot.tz)
            if self.rollups.built > built:
                log.info("dashboard: %d weeks summed, rooms tables made in %.1f s",
                         self.rollups.built - built, time.monotonic() - began)
        except Exception:  # a failed warm-up only makes the first page slower
            log.exception("dashboard: summing the remembered weeks failed")

    def rooms_table(self, window: numbers.Weeks, directory: Directory,
                    layout: Layout) -> list[dict[str, Any]]:
        """The rooms table of the window (numbers.rooms_table), kept until a fact changes."""
        key = ("rooms", window, self._known(window, facts.ROOM_COUNTS, facts.ROOM_USE),
               layout.key, tuple((r.room_id, r.name, r.capacity) for r in directory.rooms))
        return self._kept(key, lambda: numbers.rooms_table(
            self.store.facts(facts.ROOM_COUNTS, window.first, window.last),
            self.store.facts(facts.ROOM_USE, window.first, window.last), window, directory, layout))

    def people(self, window: numbers.Weeks, tz: Any) -> list[dict[str, Any]]:
        """The window's bookers with their no-shows and early releases (numbers.people), kept
        until a day of the window is remembered again (only the rows are kept, not the no-shows)."""
        key = ("people", window, self._known(window, facts.NO_SHOW_ROWS, facts.ROOM_USE), str(tz))

        def add_up() -> list[dict[str, Any]]:
            misses = facts.known_no_shows(self.store, window.first, window.last, tz)
            releasers: dict[str, list[float]] = {}
            for day_use in self.store.facts(facts.ROOM_USE, window.first, window.last).values():
                for who, (n, secs) in day_use.get("releasers", {}).items():
                    mine = releasers.setdefault(who, [0, 0.0])
                    mine[0] += n
                    mine[1] += secs
            return numbers.people([n for found in misses.values() for n in found], releasers)
        return self._kept(key, add_up)

    def _known(self, window: numbers.Weeks, *names: str) -> tuple[frozenset[date], ...]:
        return tuple(frozenset(self.store.fact_days(name, window.first, window.last))
                     for name in names)

    def _kept(self, key: Hashable, compute: Any) -> Any:
        with self._lock:
            if key in self._tables:
                self._tables.move_to_end(key)
                return self._tables[key]
        found = compute()
        with self._lock:
            self.made += 1
            self._tables[key] = found
            while len(self._tables) > self.ROOM_TABLES:
                self._tables.popitem(last=False)
        return found
