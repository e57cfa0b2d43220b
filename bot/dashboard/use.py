"""Utilisation, the weekday × hour heatmap, per-floor trends, head-counts and departments, from
the remembered `room_use` facts (bot/digest/facts.py `DayUse`). Pure functions, no Feishu call.

Utilisation follows the cards' definition (bot/insights/usage.py): a group's held time inside
working time ÷ (its rooms × the working time), over the window's working days that are remembered.
Held time is kept per clock hour, so a working day that starts or ends inside an hour (09:30)
counts that hour's held time in proportion to its working part: with whole hours (the default
09:00-18:00) the numbers are the usage card's exactly.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import date, timedelta
from statistics import median
from typing import Any

from bot.answer.digest import add_counts, totals_data
from bot.digest.facts import DayUse
from bot.directory.tree import Directory
from bot.insights.incidents import Counts
from bot.insights.working_time import WorkingTime

DayUses = Mapping[date, DayUse]


def hour_weights(working: WorkingTime) -> dict[int, float]:
    """{clock hour: the share of it that is working time}: 1.0 for whole hours."""
    start = working.start.hour * 3600 + working.start.minute * 60 + working.start.second
    end = working.end.hour * 3600 + working.end.minute * 60 + working.end.second
    return {h: (min(end, 3600 * (h + 1)) - max(start, 3600 * h)) / 3600 for h in working.hours}


def working_seconds(working: WorkingTime) -> float:
    """The working seconds of one working day."""
    return sum(hour_weights(working).values()) * 3600


def working_days(uses: DayUses, days: Iterable[date], working: WorkingTime) -> list[date]:
    """The remembered working days among `days`."""
    return [d for d in days if d in uses and d.weekday() in working.days]


def held_seconds(use: DayUse, rooms: Collection[str], weights: Mapping[int, float]) -> float:
    """Held seconds inside working time of these room keys on one day."""
    total = 0.0
    for key in rooms:
        for hour, seconds in use.hours.get(key, {}).items():
            weight = weights.get(hour)
            if weight:
                total += seconds * weight
    return total


def utilisation(uses: DayUses, days: Iterable[date], rooms: Collection[str],
                working: WorkingTime) -> float | None:
    """Held ÷ working time of the rooms over the remembered working days (None: none remembered)."""
    counted = working_days(uses, days, working)
    if not counted or not rooms:
        return None
    weights = hour_weights(working)
    held = sum(held_seconds(uses[d], rooms, weights) for d in counted)
    return held / (len(rooms) * len(counted) * working_seconds(working))


def pct(share: float | None) -> float | None:
    """A share as the cards show it: percent with one decimal."""
    return None if share is None else round(100 * share, 1)


def heatmap(uses: DayUses, days: Iterable[date], rooms: Collection[str],
            working: WorkingTime) -> list[dict[str, Any]]:
    """Per working weekday × working hour: the share of the rooms' hour that was held, averaged
    over that weekday's remembered days (the cards' peak hours, one row per weekday)."""
    by_weekday: dict[int, list[date]] = defaultdict(list)
    for d in working_days(uses, days, working):
        by_weekday[d.weekday()].append(d)
    cells = []
    for weekday in sorted(working.days):
        found = by_weekday.get(weekday, [])
        for hour in working.hours:
            held = sum(uses[d].hours.get(key, {}).get(hour, 0.0) for d in found for key in rooms)
            room_hours = len(found) * len(rooms) * 3600
            cells.append({"weekday": weekday, "hour": f"{hour:02d}:00",
                          "value": pct(held / room_hours) if room_hours else None})
    return cells


def floors_of(directory: Directory, rooms: Iterable[str]) -> dict[str, list[str]]:
    """{floor label: its room keys} for these room ids (rooms without a floor left out)."""
    floors: dict[str, list[str]] = defaultdict(list)
    for key in rooms:
        room = directory.room(key)
        level = directory.floor_of(room) if room else None
        if level is not None:
            floors[directory.level_label(level)].append(key)
    return dict(floors)


def floor_trend(uses: DayUses, counts: Mapping[date, Mapping[str, Counts]],
                mondays: Sequence[date], floors: Mapping[str, Sequence[str]],
                working: WorkingTime) -> list[dict[str, Any]]:
    """Per week and floor: utilisation (%) and no-shows, for the trend charts."""
    points = []
    for monday in mondays:
        days = [monday + timedelta(days=n) for n in range(7)]
        for label, keys in floors.items():
            share = utilisation(uses, days, keys, working)
            misses = sum(counts.get(d, {}).get(k, Counts()).no_shows for d in days for k in keys)
            points.append({"week": monday.isoformat(), "floor": label, "utilisation": pct(share),
                           "no_shows": misses})
    return points


def head_counts(uses: DayUses, days: Iterable[date]) -> dict[str, list[int]]:
    """Per room key, the head-count of every remembered booking on these days."""
    found: dict[str, list[int]] = defaultdict(list)
    for d in days:
        use = uses.get(d)
        if use is not None:
            for key, people in use.people.items():
                found[key].extend(people)
    return found


def median_people(people: Sequence[int]) -> float | None:
    """The median head-count of a room's bookings (None without bookings)."""
    return float(median(people)) if people else None


def departments(uses: DayUses, days: Iterable[date]) -> list[dict[str, Any]]:
    """Per department: bookings, no-shows, their rate and hours, early releases and the hours
    they gave back, most no-shows first."""
    parts: dict[str, list[Counts]] = defaultdict(list)
    for d in days:
        use = uses.get(d)
        if use is not None:
            for dept, counts in use.departments.items():
                parts[dept or "—"].append(counts)
    rows = [{"name": dept, **totals_data(add_counts(found))} for dept, found in parts.items()]
    return sorted(rows, key=lambda r: (-r["no_shows"], -r["early_releases"], r["name"]))

