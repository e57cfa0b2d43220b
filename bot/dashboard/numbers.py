"""The dashboard's numbers, from the store's remembered day facts only (no Feishu call).

Pure functions over what bot/digest/facts.py keeps per finished day: each room's `Counts` and
each no-show. Totals go through the digests' own `scope_total` and `totals_data`, so a week on
the page is the weekly card's week, number for number.

Windows are whole Monday-to-Sunday weeks ending with the last complete week (the weekly digest's
week), each compared with the same number of weeks just before it.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from bot.answer.digest import add_counts, scope_total, totals_data
from bot.dashboard import use
from bot.digest.facts import NoShow
from bot.directory.tree import Directory
from bot.insights.incidents import Counts
from bot.insights.working_time import WorkingTime

WINDOWS = (1, 4, 13, 52)  # weeks the overview compares
WEEK = timedelta(days=7)

DayCounts = Mapping[date, Mapping[str, Counts]]  # per day, per room key
DayNoShows = Mapping[date, Sequence[NoShow]]


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


def covered(days: Sequence[date], window: Weeks) -> tuple[int, int]:
    """(days of the window remembered, days in the window)."""
    inside = {d for d in days if window.first <= d <= window.last}
    return len(inside), 7 * window.count


def window_counts(by_day: DayCounts, window: Weeks) -> dict[str, Counts]:
    """Per room key, the counts of the window's remembered days added up."""
    days: dict[str, list[Counts]] = defaultdict(list)
    for day in window.days():
        for key, counts in by_day.get(day, {}).items():
            days[key].append(counts)
    return {key: add_counts(values) for key, values in days.items()}


def no_show_cost(by_room: Mapping[str, Counts], costs: Mapping[str, float], default: float) -> float:
    """The no-shows' booked hours, each at its room's cost per hour."""
    return round(sum(c.no_show_time.total_seconds() / 3600 * costs.get(key, default)
                     for key, c in by_room.items()), 2)


def overview(by_day: DayCounts, last: date, costs: Mapping[str, float], default: float,
             uses: use.DayUses, rooms: Sequence[str], working: WorkingTime) -> list[dict[str, Any]]:
    """Each window's totals (as the cards show them) with the utilisation of `rooms`, the window
    before, and the cost of no-shows."""
    rows = []
    for count in WINDOWS:
        this, before = Weeks(count, last), Weeks(count, last).before()
        by_room = window_counts(by_day, this)
        now, then = ({**totals_data(scope_total(counts, None)),
                      "utilisation": use.pct(use.utilisation(uses, w.days(), rooms, working))}
                     for w, counts in ((this, by_room), (before, window_counts(by_day, before))))
        known, days = covered(list(by_day), this)
        known_before, _ = covered(list(by_day), before)
        rows.append({"weeks": count, "first": this.first, "last": this.last, "totals": now,
                     "previous": then if known_before else None,
                     "cost": no_show_cost(by_room, costs, default),
                     "known_days": known, "days": days})
    return rows


def rooms_table(by_day: DayCounts, window: Weeks, directory: Directory, costs: Mapping[str, float],
                uses: use.DayUses, working: WorkingTime) -> list[dict[str, Any]]:
    """One row per room of the directory over the window, busiest first: its counts, its
    utilisation and its median head-count against its seats (right-sizing)."""
    totals = window_counts(by_day, window)
    weekly = [window_counts(by_day, Weeks(1, monday + timedelta(days=6)))
              for monday in window.mondays()]
    days = window.days()
    people = use.head_counts(uses, days)
    rows = []
    for room in directory.rooms:
        mine = totals.get(room.room_id, Counts())
        shown = totals_data(mine)
        middle = use.median_people(people.get(room.room_id, []))
        rows.append({
            "room_id": room.room_id, "name": room.name, "where": directory.location_label(room),
            "capacity": room.capacity,
            "utilisation": use.pct(use.utilisation(uses, days, [room.room_id], working)),
            "median_people": middle,
            "fit": round(100 * middle / room.capacity) if middle is not None and room.capacity > 0
            else None,
            "bookings": shown["bookings"], "no_shows": shown["no_shows"],
            "no_show_rate": shown["no_show_rate"], "no_show_hours": shown["no_show_hours"],
            "early_releases": shown["early_releases"], "reclaimed_hours": shown["reclaimed_hours"],
            "booked_hours": shown["booked_hours"],
            "idle_weeks": sum(1 for week in weekly if not week.get(room.room_id, Counts()).bookings),
            "cost_per_hour": costs.get(room.room_id, 0.0),
            "cost": no_show_cost({room.room_id: mine}, costs, 0.0),
        })
    return sorted(rows, key=lambda r: (-r["booked_hours"], r["name"]))


ROOM_COLUMNS = ("name", "where", "capacity", "utilisation", "median_people", "fit", "bookings",
                "booked_hours", "no_shows", "no_show_rate",
                "no_show_hours", "early_releases", "reclaimed_hours", "idle_weeks", "cost_per_hour",
                "cost")


def place_costs(by_day: DayCounts, window: Weeks, directory: Directory,
                costs: Mapping[str, float]) -> list[dict[str, Any]]:
    """The cost of no-shows per building and per floor over the window, costliest first."""
    totals = window_counts(by_day, window)
    places: dict[tuple[str, str], list[str]] = defaultdict(list)
    for room in directory.rooms:
        for kind, level in (("building", directory.building_of(room)),
                            ("floor", directory.floor_of(room))):
            if level is not None:
                places[(kind, directory.level_label(level))].append(room.room_id)
    rows = []
    for (kind, label), keys in places.items():
        mine = {key: totals[key] for key in keys if key in totals}
        shown = totals_data(add_counts(mine.values()))
        rows.append({"kind": kind, "name": label, "rooms": len(keys), "no_shows": shown["no_shows"],
                     "no_show_hours": shown["no_show_hours"],
                     "cost": no_show_cost(mine, costs, 0.0)})
    return sorted(rows, key=lambda r: (-r["cost"], -r["no_show_hours"], r["kind"], r["name"]))


def sort_rows(rows: list[dict[str, Any]], column: str, descending: bool) -> list[dict[str, Any]]:
    """Rows sorted by a known column (None sorts last either way); unknown columns keep the order."""
    if column not in ROOM_COLUMNS:
        return rows
    present = [r for r in rows if r[column] is not None]
    missing = [r for r in rows if r[column] is None]
    return sorted(present, key=lambda r: r[column], reverse=descending) + missing


def departments(no_shows: DayNoShows, uses: use.DayUses, window: Weeks,
                people: bool) -> dict[str, list[dict[str, Any]]]:
    """Bookings, no-shows and early releases by department (from the use facts), and no-shows by
    person when `people` (privacy allows names)."""
    misses = [n for day in window.days() for n in no_shows.get(day, ())]
    return {"departments": use.departments(uses, window.days()),
            "people": _grouped(misses, lambda n: f"{n.reserver} · {n.department}" if n.department
                               else n.reserver) if people else []}


def _grouped(misses: Sequence[NoShow], key: Any) -> list[dict[str, Any]]:
    counts: Counter[str] = Counter()
    hours: Counter[str] = Counter()
    for miss in misses:
        counts[key(miss)] += 1
        hours[key(miss)] += (miss.end - miss.start).total_seconds() / 3600
    return [{"name": name, "no_shows": n, "no_show_hours": round(hours[name], 1)}
            for name, n in sorted(counts.items(), key=lambda item: (-item[1], item[0]))]


def weekly_trend(by_day: DayCounts, window: Weeks) -> list[dict[str, Any]]:
    """Per week of the window: bookings, no-shows and the no-show rate (for the trend chart)."""
    points = []
    for monday in window.mondays():
        shown = totals_data(scope_total(window_counts(by_day, Weeks(1, monday + timedelta(days=6))),
                                        None))
        points.append({"week": monday.isoformat(), "bookings": shown["bookings"],
                       "no_shows": shown["no_shows"], "no_show_rate": shown["no_show_rate"] or 0})
    return points
