"""The dashboard's numbers, from the store's remembered day facts only (no Feishu call).

Pure functions over week rollups (rollup.py) and, for the per-room table, over the stored day
vectors themselves. Totals go through the digests' own `totals_data` (a vector sum is what
`add_counts` gives), so a week on the page is the weekly card's week, number for number, and
utilisation is the usage card's (bot/dashboard/use.py; tests/dashboard/test_use.py).

Windows are whole Monday-to-Sunday weeks ending with the last complete week (the weekly digest's
week), each compared with the same number of weeks just before it.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from operator import add
from typing import Any

from bot.answer.digest import totals_data
from bot.dashboard import use
from bot.dashboard.rollup import WIDTH, Group, Layout, Rollup, total
from bot.digest import facts
from bot.digest.facts import NoShow
from bot.directory.tree import Directory
from bot.insights.working_time import WorkingTime

WINDOWS = (1, 4, 13, 52)  # weeks the overview compares
WEEK = timedelta(days=7)
Weekly = Mapping[date, Rollup]  # week rollups by Monday


@dataclass(frozen=True)
class Weeks:
    """`count` whole weeks ending on Sunday `last`."""

    count: int
    last: date

    @property
    def first(self) -> date:
        return self.last - timedelta(days=7 * self.count - 1)

    def before(self) -> Weeks:
        """The same number of weeks just before."""
        return Weeks(self.count, self.first - timedelta(days=1))

    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range(7 * self.count)]

    def mondays(self) -> list[date]:
        return [self.first + n * WEEK for n in range(self.count)]


def last_sunday(today: date) -> date:
    """The Sunday that ended the last complete week before `today`."""
    return today - timedelta(days=today.weekday() + 1)


def window_rollup(weekly: Weekly, window: Weeks, layout: Layout, levels: bool = True) -> Rollup:
    """The window's weeks summed (`levels`: buildings and floors too)."""
    return total((weekly[m] for m in window.mondays() if m in weekly), layout, levels)


def group_numbers(found: Rollup, group: Group, working: WorkingTime) -> dict[str, Any]:
    """A group's totals as the cards show them, with its utilisation (%)."""
    return {**totals_data(facts.decode_counts(group.counts)),
            "utilisation": use.pct(found.utilisation(group, working))}


def overview(weekly: Weekly, last: date, layout: Layout) -> list[dict[str, Any]]:
    """Each window's totals (as the cards show them) with the tenant's utilisation, the window
    before, and the cost of no-shows."""
    rows = []
    for count in WINDOWS:
        this, before = Weeks(count, last), Weeks(count, last).before()
        now = window_rollup(weekly, this, layout, levels=False)
        then = window_rollup(weekly, before, layout, levels=False)
        rows.append({"weeks": count, "first": this.first, "last": this.last,
                     "totals": group_numbers(now, now.tenant, layout.working),
                     "previous": group_numbers(then, then.tenant, layout.working)
                     if then.count_days else None,
                     "cost": round(now.tenant.cost, 2),
                     "known_days": now.count_days, "days": 7 * count})
    return rows


def weekly_trend(weekly: Weekly, window: Weeks, working: WorkingTime) -> list[dict[str, Any]]:
    """Per week of the window: the tenant's utilisation, bookings, no-shows and no-show rate."""
    points = []
    for monday in window.mondays():
        week = weekly.get(monday, Rollup())
        shown = group_numbers(week, week.tenant, working)
        points.append({"week": monday.isoformat(), "utilisation": shown["utilisation"],
                       "bookings": shown["bookings"], "no_shows": shown["no_shows"],
                       "no_show_rate": shown["no_show_rate"] or 0})
    return points


def floor_trend(weekly: Weekly, window: Weeks, floors: Mapping[str, str],
                working: WorkingTime) -> list[dict[str, Any]]:
    """Per week and floor ({level id: label}): utilisation (%) and no-shows."""
    points = []
    for monday in window.mondays():
        week = weekly.get(monday, Rollup())
        for level_id, label in floors.items():
            group = week.group(level_id)
            points.append({"week": monday.isoformat(), "floor": label,
                           "utilisation": use.pct(week.utilisation(group, working)),
                           "no_shows": group.no_shows})
    return points


def place_costs(found: Rollup, directory: Directory) -> list[dict[str, Any]]:
    """The cost of no-shows per building and per floor, costliest first."""
    rows = []
    for level_id, group in found.levels.items():
        level = directory.level(level_id)
        if level is None or not group.rooms:
            continue
        rows.append({"kind": "floor" if directory.is_floor(level) else "building",
                     "name": directory.level_label(level), "rooms": group.rooms,
                     "no_shows": group.no_shows, "no_show_hours": round(group.no_show_hours, 1),
                     "cost": round(group.cost, 2)})
    return sorted(rows, key=lambda r: (-r["cost"], -r["no_show_hours"], r["kind"], r["name"]))


def departments(found: Rollup) -> list[dict[str, Any]]:
    """Bookings, no-shows and early releases by department, most no-shows first."""
    groups = [{"name": dept, **totals_data(facts.decode_counts(values))}
              for dept, values in found.departments.items()]
    return sorted(groups, key=lambda r: (-r["no_shows"], -r["early_releases"], r["name"]))


def people(misses: Sequence[NoShow], releasers: Mapping[str, Sequence[float]]) -> list[dict[str, Any]]:
    """Per booker: no-shows and their hours, early releases and the hours they gave back
    (`releasers`: {booker: [early releases, seconds given back]}); most no-shows first."""
    counts: Counter[str] = Counter()
    hours: Counter[str] = Counter()
    for miss in misses:
        who = facts.booker(miss.reserver, miss.department)
        counts[who] += 1
        hours[who] += (miss.end - miss.start).total_seconds() / 3600
    rows = [{"name": who, "no_shows": counts[who], "no_show_hours": round(hours[who], 1),
             "early_releases": int(releasers.get(who, (0, 0))[0]),
             "reclaimed_hours": round(releasers.get(who, (0, 0))[1] / 3600, 1)}
            for who in set(counts) | set(releasers)]
    return sorted(rows, key=lambda r: (-r["no_shows"], -r["early_releases"], r["name"]))


def rooms_table(counts: Mapping[date, Mapping[str, Sequence[float]]],
                uses: Mapping[date, Mapping[str, Any]], window: Weeks, directory: Directory,
                layout: Layout) -> list[dict[str, Any]]:
    """One row per room of the directory over the window, busiest first: its counts, utilisation,
    median head-count against its seats (right-sizing), idle weeks and the cost of its no-shows.
    `counts` and `uses` are the stored day facts as the store returns them."""
    working = layout.working
    weights = use.hour_weights(working)
    sums: dict[str, list[float]] = {}
    held: Counter[str] = Counter()
    people: dict[str, list[int]] = {}
    busy_weeks: dict[str, set[date]] = {}
    use_days = 0
    for day in window.days():
        monday = day - timedelta(days=day.weekday())
        for key, values in counts.get(day, {}).items():
            mine = sums.get(key)
            sums[key] = values if mine is None else list(map(add, mine, values))
            if values[facts.BOOKINGS_AT]:
                busy_weeks.setdefault(key, set()).add(monday)
        day_use = uses.get(day)
        if day_use is None:
            continue
        for key, found in day_use["people"].items():
            people.setdefault(key, []).extend(found)
        if day.weekday() in working.days:
            use_days += 1
            weight = weights.get
            for key, flat in day_use["rooms"].items():  # hour, seconds, hour, seconds...
                held[key] += sum([seconds * weight(hour, 0.0)
                                  for hour, seconds in zip(flat[::2], flat[1::2], strict=True)])
    per_room_working = use_days * use.working_seconds(working)
    rows = []
    for room in directory.rooms:
        shown = totals_data(facts.decode_counts(sums.get(room.room_id, [0.0] * WIDTH)))
        middle = use.median_people(people.get(room.room_id, []))
        cost = layout.costs.get(room.room_id, layout.default_cost)
        rows.append({
            "room_id": room.room_id, "name": room.name, "where": directory.location_label(room),
            "capacity": room.capacity,
            "utilisation": use.pct(held[room.room_id] / per_room_working)
            if per_room_working else None,
            "median_people": middle,
            "fit": round(100 * middle / room.capacity) if middle is not None and room.capacity > 0
            else None,
            "bookings": shown["bookings"], "no_shows": shown["no_shows"],
            "no_show_rate": shown["no_show_rate"], "no_show_hours": shown["no_show_hours"],
            "early_releases": shown["early_releases"], "reclaimed_hours": shown["reclaimed_hours"],
            "booked_hours": shown["booked_hours"],
            "idle_weeks": window.count - len(busy_weeks.get(room.room_id, ())),
            "cost_per_hour": cost,
            "cost": round(sums.get(room.room_id, [0.0] * WIDTH)[facts.NO_SHOW_TIME_AT] / 3600 * cost, 2),
        })
    return sorted(rows, key=lambda r: (-r["booked_hours"], r["name"]))


ROOM_COLUMNS = ("name", "where", "capacity", "utilisation", "median_people", "fit", "bookings",
                "booked_hours", "no_shows", "no_show_rate",
                "no_show_hours", "early_releases", "reclaimed_hours", "idle_weeks", "cost_per_hour",
                "cost")


def sort_rows(rows: list[dict[str, Any]], column: str, descending: bool) -> list[dict[str, Any]]:
    """Rows sorted by a known column (None sorts last either way); unknown columns keep the order."""
    if column not in ROOM_COLUMNS:
        return rows
    present = [r for r in rows if r[column] is not None]
    missing = [r for r in rows if r[column] is None]
    return sorted(present, key=lambda r: r[column], reverse=descending) + missing
