"""Week rollups: the remembered day facts of one Monday-to-Sunday week, summed once per building,
floor and the whole tenant, so a page adds up a few numbers per week instead of every room of
every day.

A rollup is pure arithmetic over the stored vectors (bot/digest/facts.py): the counts of a group
are the field-wise sum of its rooms' counts (what `add_counts` does), its held time is the
working-time part of its rooms' held seconds per clock hour (`use.hour_weights`), and its
heatmap cells are the held seconds per working weekday and hour. Rollups depend on the week's
remembered days, the directory, the working time and the costs, and are rebuilt when any of them
changes (`RollupCache`).
"""
from __future__ import annotations

import threading
from collections import Counter, OrderedDict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property
from operator import add
from typing import Any

from bot.dashboard import use
from bot.digest import facts
from bot.directory.tree import Directory
from bot.insights.working_time import WorkingTime

WIDTH = len(facts.COUNT_FIELDS)
NO_SHOWS, NO_SHOW_TIME = facts.NO_SHOWS_AT, facts.NO_SHOW_TIME_AT


def add_into(total: list[float], values: Sequence[float]) -> None:
    """total += values, field by field."""
    total[:] = map(add, total, values)


@dataclass
class Group:
    """The sums of some rooms over some days."""

    rooms: int = 0  # rooms of the directory in the group
    counts: list[float] = field(default_factory=lambda: [0.0] * WIDTH)
    held: float = 0.0  # held seconds inside working time
    cells: Counter[tuple[int, int]] = field(default_factory=Counter)  # (weekday, hour): held s
    cost: float = 0.0  # no-shows' booked hours × their rooms' cost per hour

    def add(self, other: Group) -> None:
        add_into(self.counts, other.counts)
        self.held += other.held
        self.cells.update(other.cells)
        self.cost += other.cost

    @property
    def no_shows(self) -> int:
        return int(self.counts[NO_SHOWS])

    @property
    def no_show_hours(self) -> float:
        return self.counts[NO_SHOW_TIME] / 3600


@dataclass
class Rollup:
    """One or more weeks summed: the tenant, each level, each department, and the days behind."""

    count_days: int = 0  # days whose room counts are remembered
    use_days: int = 0  # working days whose use is remembered (utilisation's denominator)
    weekdays: Counter[int] = field(default_factory=Counter)  # use days per weekday (the heatmap's)
    tenant: Group = field(default_factory=Group)  # counts of every room, use of directory rooms
    levels: dict[str, Group] = field(default_factory=dict)
    departments: dict[str, list[float]] = field(default_factory=dict)

    def add(self, other: Rollup, levels: bool = True) -> None:
        """Add another rollup in (`levels`: its buildings and floors too, else only the tenant
        and the departments)."""
        self.count_days += other.count_days
        self.use_days += other.use_days
        self.weekdays.update(other.weekdays)
        self.tenant.add(other.tenant)
        self.tenant.rooms = other.tenant.rooms
        for level_id, group in other.levels.items() if levels else ():
            mine = self.levels.setdefault(level_id, Group(rooms=group.rooms))
            mine.add(group)
        for dept, values in other.departments.items():
            add_into(self.departments.setdefault(dept, [0.0] * WIDTH), values)

    def group(self, level_id: str | None) -> Group:
        """The tenant (None) or one level; an empty group for a level without rooms."""
        return self.tenant if level_id is None else self.levels.get(level_id, Group())

    def utilisation(self, group: Group, working: WorkingTime) -> float | None:
        """Held ÷ working time of the group over the remembered working days (the cards' rule)."""
        if not self.use_days or not group.rooms:
            return None
        return group.held / (group.rooms * self.use_days * use.working_seconds(working))

    def heatmap(self, group: Group, working: WorkingTime) -> list[dict[str, Any]]:
        """Per working weekday × working hour: the share (%) of the group's room-hours held."""
        cells = []
        for weekday in sorted(working.days):
            for hour in working.hours:
                room_hours = self.weekdays[weekday] * group.rooms * 3600
                cells.append({"weekday": weekday, "hour": f"{hour:02d}:00",
                              "value": use.pct(group.cells[(weekday, hour)] / room_hours)
                              if room_hours else None})
        return cells


@dataclass(frozen=True)
class Layout:
    """What a rollup needs of the directory and the config: each room's levels and cost."""

    levels: Mapping[str, tuple[str, ...]]  # room id -> its floor and building level ids;
    #  a floor's id -> the levels above it (its building)
    level_rooms: Mapping[str, int]  # level id -> rooms
    rooms: int
    costs: Mapping[str, float]
    default_cost: float
    working: WorkingTime

    @classmethod
    def of(cls, directory: Directory, costs: Mapping[str, float], default_cost: float,
           working: WorkingTime) -> Layout:
        levels: dict[str, tuple[str, ...]] = {}
        level_rooms: Counter[str] = Counter()
        for room in directory.rooms:
            mine = tuple(level.level_id for level in (directory.floor_of(room),
                                                      directory.building_of(room)) if level)
            levels[room.room_id] = mine
            level_rooms.update(mine)
            if mine:
                levels[mine[0]] = mine[1:]
        return cls(levels, dict(level_rooms), len(directory.rooms), dict(costs), default_cost,
                   working)

    def empty(self, levels: bool = True) -> Rollup:
        """A rollup of nothing yet, with the tenant's and (`levels`) each level's room count."""
        return Rollup(tenant=Group(rooms=self.rooms),
                      levels={lid: Group(rooms=n) for lid, n in self.level_rooms.items()}
                      if levels else {})

    def home(self, key: str) -> str | None:
        """The group a room adds into first: its floor, else its building, "" on no level, and
        None for a key the directory does not know."""
        mine = self.levels.get(key)
        if mine is None or key in self.level_rooms:  # unknown, or a level id
            return None
        return mine[0] if mine else ""

    @cached_property
    def key(self) -> Hashable:
        """What the rollups depend on, as one hashable value (computed once)."""
        return (tuple(sorted(self.levels.items())), tuple(sorted(self.costs.items())),
                self.default_cost, self.working)


def day_rollup(day: date, counts: Mapping[str, Sequence[float]] | None,
               day_use: Mapping[str, Any] | None, layout: Layout) -> Rollup:
    """One day's stored facts (as the store returns them) summed per group.

    Each room is added once, to its "home" (its floor, else its building; "" for a room of the
    directory on no level, None for a key the directory does not know); homes then add up into
    the levels above them and into the tenant."""
    out = layout.empty()
    homes: dict[str | None, Group] = {}
    if counts is not None:
        out.count_days = 1
        for key, values in counts.items():
            home = layout.home(key)
            group = homes.get(home)
            if group is None:
                group = homes[home] = Group(counts=list(values))
            else:
                add_into(group.counts, values)
            group.cost += values[NO_SHOW_TIME] / 3600 * layout.costs.get(key, layout.default_cost)
    working = layout.working
    if day_use is not None and day.weekday() in working.days:
        out.use_days, weekday = 1, day.weekday()
        out.weekdays[weekday] = 1
        weights = use.hour_weights(working)
        for key, flat in day_use["rooms"].items():  # hour, seconds, hour, seconds...
            home = layout.home(key)
            if home is None:  # a room not in the directory: not in anyone's utilisation
                continue
            group = homes.get(home)
            if group is None:
                group = homes[home] = Group()
            cells = group.cells
            for hour, seconds in zip(flat[::2], flat[1::2], strict=True):
                weight = weights.get(hour)
                if weight:
                    group.held += seconds * weight
                    cells[(weekday, hour)] += seconds
    for home, group in homes.items():
        out.tenant.add(group)
        for level_id in layout.levels.get(home, ()) if home else ():
            out.levels[level_id].add(group)
        if home:
            out.levels[home].add(group)
    if day_use is not None:
        for dept, values in day_use["departments"].items():
            add_into(out.departments.setdefault(dept or "—", [0.0] * WIDTH), values)
    return out


def week_rollup(monday: date, counts: Mapping[date, Any], uses: Mapping[date, Any],
                layout: Layout) -> Rollup:
    """The sum of the week's day rollups."""
    out = layout.empty()
    for n in range(7):
        day = monday + timedelta(days=n)
        if day in counts or day in uses:
            out.add(day_rollup(day, counts.get(day), uses.get(day), layout))
    return out


def total(rollups: Iterable[Rollup], layout: Layout, levels: bool = True) -> Rollup:
    """The sum of several rollups (weeks into a window); without `levels`, only the tenant and
    the departments are summed (what the overview needs, at a fraction of the cost)."""
    out = layout.empty(levels)
    for one in rollups:
        out.add(one, levels)
    return out


class RollupCache:
    """Week rollups kept in this process, keyed by the week, its remembered days and the layout:
    a week is read from the store once, until a day of it is remembered again or the directory,
    working time or costs change. Holds at most `size` weeks (least recently used go first)."""

    def __init__(self, store: facts.FactStore, size: int = 2 * 53) -> None:
        self.store = store
        self.size = size
        self._weeks: OrderedDict[Hashable, Rollup] = OrderedDict()
        self._lock = threading.Lock()
        self.built = 0  # weeks built from day facts (for tests and the benchmark)

    def weeks(self, mondays: Sequence[date], layout: Layout) -> dict[date, Rollup]:
        """The rollup of each Monday's week."""
        if not mondays:
            return {}
        first, last = min(mondays), max(mondays) + timedelta(days=6)
        known = self.store.fact_days(facts.ROOM_COUNTS, first, last)
        known_use = self.store.fact_days(facts.ROOM_USE, first, last)
        layout_key = layout.key
        found: dict[date, Rollup] = {}
        missing: dict[date, Hashable] = {}
        with self._lock:
            for monday in mondays:
                days = [monday + timedelta(days=n) for n in range(7)]
                key = (monday, tuple(d in known for d in days), tuple(d in known_use for d in days),
                       layout_key)
                if key in self._weeks:
                    self._weeks.move_to_end(key)
                    found[monday] = self._weeks[key]
                else:
                    missing[monday] = key
        if missing:
            lo, hi = min(missing), max(missing) + timedelta(days=6)
            counts = self.store.facts(facts.ROOM_COUNTS, lo, hi)
            uses = self.store.facts(facts.ROOM_USE, lo, hi)
            for monday, key in missing.items():
                found[monday] = week_rollup(monday, counts, uses, layout)
                with self._lock:
                    self._weeks[key] = found[monday]
                    self.built += 1
                    while len(self._weeks) > self.size:
                        self._weeks.popitem(last=False)
        return found
