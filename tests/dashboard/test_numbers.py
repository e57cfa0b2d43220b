"""The dashboard's pure numbers: whole weeks, windows against the ones before, rooms, groups."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.dashboard import numbers
from bot.dashboard.downloads import table_file
from bot.dashboard.rollup import Layout, week_rollup
from bot.digest.facts import NoShow, encode_counts
from bot.directory.tree import Directory
from bot.feishu.models import Room
from bot.insights.incidents import Counts
from bot.insights.working_time import WorkingTime

TZ = ZoneInfo("Asia/Shanghai")
SUNDAY = date(2025, 11, 16)


def counts(bookings: int, no_shows: int, hours: float = 1.0) -> Counts:
    return Counts(bookings=bookings, no_shows=no_shows, checked_in=bookings - no_shows,
                  booked=timedelta(hours=hours * bookings), no_show_time=timedelta(hours=hours * no_shows))


def raw(by_day: dict[date, dict[str, Counts]]) -> dict[date, dict[str, list[float]]]:
    """Room counts as the store keeps them."""
    return {day: {key: encode_counts(c) for key, c in rooms.items()} for day, rooms in by_day.items()}


def use_fact(hours: dict[str, dict[int, float]] | None = None, people: dict[str, list[int]] | None = None,
             departments: dict[str, Counts] | None = None) -> dict[str, Any]:
    """A day's room_use fact as the store keeps it."""
    return {"rooms": {k: [x for h, s in v.items() for x in (h, s)] for k, v in (hours or {}).items()},
            "people": people or {},
            "departments": {d: encode_counts(c) for d, c in (departments or {}).items()}}


def weekly(counts: dict[date, Any], uses: dict[date, Any], layout: Layout) -> dict[date, Any]:
    days = set(counts) | set(uses)
    mondays = {d - timedelta(days=d.weekday()) for d in days}
    return {m: week_rollup(m, counts, uses, layout) for m in mondays}


def test_weeks_end_on_the_last_sunday_and_the_window_before_touches_it() -> None:
    assert numbers.last_sunday(date(2025, 11, 18)) == SUNDAY  # a Tuesday
    assert numbers.last_sunday(date(2025, 11, 17)) == SUNDAY  # a Monday
    assert numbers.last_sunday(SUNDAY) == date(2025, 11, 9)  # Sunday's own week is not over
    four = numbers.Weeks(4, SUNDAY)
    assert four.first == date(2025, 10, 20) and four.first.weekday() == 0 and len(four.days()) == 28
    assert four.before().last == date(2025, 10, 19) and four.before().first == date(2025, 9, 22)
    assert four.mondays()[-1] == date(2025, 11, 10)


def test_the_overview_adds_the_windows_days_and_says_how_many_are_remembered() -> None:
    by_day = raw({SUNDAY - timedelta(days=n): {"r1": counts(4, 1), "r2": counts(2, 0)}
                  for n in range(10)})
    uses = {day: use_fact({"r1": {10: 1800.0}}) for day in by_day}  # half of 10:00-11:00
    directory = Directory([Room("r1", "Oslo", 6, "0"), Room("r2", "Rome", 6, "0")], [], "0")
    layout = Layout.of(directory, {"r1": 100.0}, 100.0, WorkingTime())
    rows = {row["weeks"]: row for row in numbers.overview(weekly(by_day, uses, layout), SUNDAY,
                                                          layout)}
    assert rows[1]["totals"]["bookings"] == 42 and rows[1]["totals"]["no_shows"] == 7
    assert rows[1]["previous"]["bookings"] == 18 and rows[1]["known_days"] == 7  # 3 days before
    assert rows[1]["cost"] == 700.0 and rows[1]["totals"]["no_show_rate"] == round(100 * 7 / 42)
    assert rows[4]["known_days"] == 10 and rows[4]["days"] == 28 and rows[4]["previous"] is None
    assert rows[52]["totals"]["bookings"] == 60
    # 2 rooms × 9 working hours on each of the 5 remembered working days of the last week
    assert rows[1]["totals"]["utilisation"] == round(100 * 5 * 1800 / (2 * 5 * 9 * 3600), 1)
    assert rows[4]["previous"] is None and rows[1]["previous"]["utilisation"] == round(
        100 * 1800 / (2 * 9 * 3600), 1)  # of the 3 days before, one working day (Friday)


def test_rooms_count_idle_weeks_and_sort_with_missing_values_last() -> None:
    directory = Directory([Room(rid, name, 6, "0") for rid, name in (("r1", "Oslo"), ("r2", "Rome"),
                                                                     ("r3", "Lima"))], [], "0")
    by_day = raw({SUNDAY: {"r1": counts(3, 1)}, SUNDAY - timedelta(days=7): {"r2": counts(1, 0)}})
    uses = {SUNDAY - timedelta(days=6): use_fact({"r1": {9: 3600.0}}, {"r1": [2, 3, 10]})}
    layout = Layout.of(directory, {"r1": 10.0, "r2": 10.0, "r3": 10.0}, 0.0, WorkingTime())
    rows = numbers.rooms_table(by_day, uses, numbers.Weeks(2, SUNDAY), directory, layout)
    by_name = {r["name"]: r for r in rows}
    assert by_name["Oslo"]["utilisation"] == round(100 / 9, 1) and by_name["Rome"]["utilisation"] == 0
    assert by_name["Oslo"]["median_people"] == 3.0 and by_name["Oslo"]["fit"] == 50
    assert by_name["Rome"]["median_people"] is None and by_name["Rome"]["fit"] is None
    assert by_name["Oslo"]["idle_weeks"] == 1 and by_name["Rome"]["idle_weeks"] == 1
    assert by_name["Lima"]["idle_weeks"] == 2 and by_name["Lima"]["no_show_rate"] is None
    assert [r["name"] for r in numbers.sort_rows(rows, "no_show_rate", True)] == ["Oslo", "Rome", "Lima"]
    assert [r["name"] for r in numbers.sort_rows(rows, "no_show_rate", False)] == ["Rome", "Oslo", "Lima"]
    assert numbers.sort_rows(rows, "not a column; drop table", True) == rows


def test_departments_and_bookers_with_their_no_shows_and_early_releases() -> None:
    start = datetime(2025, 11, 14, 10, tzinfo=TZ)
    misses = {SUNDAY - timedelta(days=2): [
        NoShow(SUNDAY, "Li Lei", "Sales", "u1", "r1", "Oslo", start, start + timedelta(hours=1)),
        NoShow(SUNDAY, "Li Lei", "Sales", "u1", "r1", "Oslo", start, start + timedelta(minutes=30)),
        NoShow(SUNDAY, "Han Mei", "", "u2", "r1", "Oslo", start, start + timedelta(hours=2))]}
    uses = {SUNDAY - timedelta(days=2): use_fact(departments={"Sales": counts(5, 2), "": counts(1, 1)})}
    layout = Layout.of(Directory([], [], "0"), {}, 0.0, WorkingTime())
    week = weekly({}, uses, layout)[SUNDAY - timedelta(days=6)]
    releasers = {"Li Lei · Sales": [1, 1800.0], "Wang Fang": [2, 5400.0]}
    departments = {row["name"]: row for row in numbers.departments(week)}
    assert list(departments) == ["Sales", "—"]
    assert departments["Sales"]["bookings"] == 5 and departments["Sales"]["no_shows"] == 2
    assert departments["—"]["no_show_rate"] == 100
    shown = numbers.people([n for found in misses.values() for n in found], releasers)
    assert shown[0] == {"name": "Li Lei · Sales", "no_shows": 2, "no_show_hours": 1.5,
                        "early_releases": 1, "reclaimed_hours": 0.5}
    people = {row["name"]: row for row in shown}
    assert people["Wang Fang"] == {"name": "Wang Fang", "no_shows": 0, "no_show_hours": 0,
                                   "early_releases": 2, "reclaimed_hours": 1.5}  # releases only
    assert [row["name"] for row in shown] == ["Li Lei · Sales", "Han Mei", "Wang Fang"]


def test_a_table_downloads_as_csv_with_a_bom_and_as_xlsx() -> None:
    rows = [{"name": "珠峰", "n": 3, "rate": None}]
    csv = table_file("csv", "rooms", [("name", "Room"), ("n", "N"), ("rate", "Rate")], rows)
    assert csv.startswith(b"\xef\xbb\xbf") and csv.decode("utf-8-sig") == "Room,N,Rate\r\n珠峰,3,\r\n"
    xlsx = table_file("xlsx", "rooms", [("name", "Room")], rows)
    assert xlsx[:2] == b"PK"


def test_a_csv_text_cell_a_spreadsheet_would_run_is_made_text() -> None:
    rows = [{"name": name, "n": n} for name, n in (("=cmd|'/c calc'!A1", -2), ("+1", 0), ("@SUM(1)", 1),
                                                     ("-Sales", 2), ("Han Mei", 3))]
    csv = table_file("csv", "people", [("name", "Name"), ("n", "N")], rows).decode("utf-8-sig")
    assert csv.splitlines()[1:] == ["'=cmd|'/c calc'!A1,-2", "'+1,0", "'@SUM(1),1", "'-Sales,2", "Han Mei,3"]
