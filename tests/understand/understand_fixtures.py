"""The test tenant for the parser, and short helpers to spell out expected windows.

Building T2 has floors 3F-9F; building T3 has its own 4F (so "4F" alone is ambiguous).
Rooms mirror the example tenant plus a few that share words ("Room A"/"Room AB", "Sun 1"/"Sun 2").
"""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.directory import Directory
from bot.feishu.models import Room, RoomLevel
from bot.queries import Place, Window

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 17, 10, 20, tzinfo=TZ)  # Tuesday
LATE = datetime(2026, 11, 17, 22, 30, tzinfo=TZ)  # Tuesday late evening
WEEKEND = datetime(2026, 11, 21, 15, 5, tzinfo=TZ)  # Saturday afternoon
YEAR_END = datetime(2026, 12, 30, 9, 0, tzinfo=TZ)  # Wednesday

LEVELS = [
    RoomLevel("0", "Acme", "", (), True),
    RoomLevel("t2", "T2", "0", ("0",), True),
    RoomLevel("t3", "T3", "0", ("0",), True),
    *(RoomLevel(f"t2_{n}", f"{n}F", "t2", ("0", "t2")) for n in range(3, 10)),
    RoomLevel("t3_4", "4F", "t3", ("0", "t3")),
]
ROOMS = [
    Room("venus", "Venus", 10, "t2_3"),
    Room("mer", "Mercury", 6, "t2_4"),
    Room("jup", "Jupiter 木星", 12, "t2_4"),
    Room("r402", "Room 402", 8, "t2_4"),
    Room("ra", "Room A", 6, "t2_5"),
    Room("rab", "Room AB", 8, "t2_5"),
    Room("emei", "峨眉山", 20, "t2_5"),
    Room("sun1", "Sun 1", 4, "t2_6"),
    Room("sun2", "Sun 2", 6, "t2_6"),
    Room("qcs", "青城山", 10, "t2_7"),
    Room("oslo", "Oslo", 4, "t2_7"),
    Room("everest", "Everest", 30, "t2_8"),
    Room("saturn", "Saturn 土星", 16, "t3_4"),
    Room("lotus", "Lotus", 4, "t3_4"),
]


def make_directory() -> Directory:
    """The test tenant as a Directory."""
    return Directory(ROOMS, LEVELS, "0")


def room(room_id: str) -> Place:
    """A room of the test tenant as a Place."""
    found = next(r for r in ROOMS if r.room_id == room_id)
    return Place("room", found.room_id, found.name)


VENUS, MERCURY, JUPITER, R402 = room("venus"), room("mer"), room("jup"), room("r402")
ROOM_A, ROOM_AB, EMEI, SUN1, SUN2 = room("ra"), room("rab"), room("emei"), room("sun1"), room("sun2")
QCS, OSLO, EVEREST, SATURN, LOTUS = room("qcs"), room("oslo"), room("everest"), room("saturn"), room("lotus")
T2 = Place("building", "t2", "T2")
T3 = Place("building", "t3", "T3")
F3, F5, F6, F7, F8 = (Place("floor", f"t2_{n}", f"T2 · {n}F") for n in (3, 5, 6, 7, 8))
T2_4 = Place("floor", "t2_4", "T2 · 4F")
T3_4 = Place("floor", "t3_4", "T3 · 4F")


def dt(day: int, hour: int = 0, minute: int = 0, month: int = 11, year: int = 2026) -> datetime:
    """An aware datetime in the tenant timezone."""
    return datetime(year, month, day, hour, minute, tzinfo=TZ)


def day(d: int, month: int = 11, year: int = 2026) -> Window:
    """The whole local day."""
    start = dt(d, month=month, year=year)
    return Window(start, start + timedelta(days=1), whole_day=True)


def span(d: int, h1: int, m1: int, h2: int, m2: int, month: int = 11) -> Window:
    """A window inside one day."""
    return Window(dt(d, h1, m1, month), dt(d, h2, m2, month))


def days(start: datetime, end: datetime) -> Window:
    """A window of named days (weeks), from start to end."""
    return Window(start, end, whole_day=True)


NOW_SLOT = span(17, 10, 20, 10, 50)
