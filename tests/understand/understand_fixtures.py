"""The test tenant for the parser, and short helpers to spell out expected windows.

Building T2 has floors 3F-9F; building T3 has its own 4F (so "4F" alone is ambiguous).
Rooms mirror the example tenant plus a few that share words ("Room A"/"Room AB", "Sun 1"/"Sun 2").
"""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.directory.tree import Directory
from bot.feishu.models import Room, RoomLevel
from bot.queries import Place, Window

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 17, 10, 20, tzinfo=TZ)  # Tuesday
LATE = datetime(2026, 11, 17, 22, 30, tzinfo=TZ)  # Tuesday late evening
WEEKEND = datetime(2026, 11, 21, 15, 5, tzinfo=TZ)  # Saturday afternoon
YEAR_END = datetime(2026, 12, 30, 9, 0, tzinfo=TZ)  # Wednesday
SUNDAY = datetime(2026, 11, 22, 15, 0, tzinfo=TZ)  # the end of a Monday-to-Sunday week

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


# -- a campus tenant: long building names that share a prefix, and rooms with nicknames ----------
# Buildings "总部大楼北塔"/"总部大楼南塔" (people say 北塔, North Tower), "研发中心C栋"/"研发中心D栋"
# (C栋, C座, Building C, Block C) and "Riverside Building 2" (2号楼, Bldg 2). 5F exists in three
# buildings. Rooms: a short Chinese name with a longer usual form ("版纳" for 西双版纳), names that
# share a prefix ("Mercury"/"Merak"), a letter room ("Room C", which is not building C), pinyin
# with a polyphone ("长城" changcheng, "重庆厅" chongqingting) and a "ü" ("绿洲" lvzhou).
CAMPUS_LEVELS = [
    RoomLevel("0", "Acme", "", (), True),
    RoomLevel("bt", "总部大楼北塔", "0", ("0",), True),
    RoomLevel("nt", "总部大楼南塔", "0", ("0",), True),
    RoomLevel("cd", "研发中心C栋", "0", ("0",), True),
    RoomLevel("dd", "研发中心D栋", "0", ("0",), True),
    RoomLevel("rb", "Riverside Building 2", "0", ("0",), True),
    *(RoomLevel(f"bt_{n}", f"{n}F", "bt", ("0", "bt")) for n in range(3, 10)),
    *(RoomLevel(f"nt_{n}", f"{n}F", "nt", ("0", "nt")) for n in range(3, 7)),
    *(RoomLevel(f"cd_{n}", f"{n}楼", "cd", ("0", "cd")) for n in range(1, 9)),
    *(RoomLevel(f"dd_{n}", f"{n}F", "dd", ("0", "dd")) for n in range(1, 4)),
    RoomLevel("rb_1", "1F", "rb", ("0", "rb")),
]
CAMPUS_ROOMS = [
    Room("banna", "版纳 Banna", 8, "bt_5"),
    Room("lijiang", "丽江 Lijiang", 6, "bt_5"),
    Room("great_wall", "长城", 12, "bt_7"),
    Room("taishan", "泰山", 10, "bt_7"),
    Room("room_c", "Room C", 6, "nt_5"),
    Room("mercury", "Mercury", 6, "nt_5"),
    Room("merak", "Merak", 4, "nt_6"),
    Room("oasis", "绿洲 Oasis", 8, "nt_6"),
    Room("orion", "Orion", 10, "cd_7"),
    Room("room_b", "会议室B", 6, "cd_7"),
    Room("chongqing", "重庆厅", 20, "cd_3"),
    Room("aurora", "Aurora", 8, "dd_2"),
    Room("pod", "Lobby Pod", 3, "rb_1"),
]


def make_campus() -> Directory:
    """The campus tenant as a Directory."""
    return Directory(CAMPUS_ROOMS, CAMPUS_LEVELS, "0")


def campus_room(room_id: str) -> Place:
    """A room of the campus tenant as a Place."""
    found = next(r for r in CAMPUS_ROOMS if r.room_id == room_id)
    return Place("room", found.room_id, found.name)


BANNA, LIJIANG, GREAT_WALL, TAISHAN = (campus_room(i) for i in ("banna", "lijiang", "great_wall", "taishan"))
ROOM_C, C_MERCURY, MERAK, OASIS = (campus_room(i) for i in ("room_c", "mercury", "merak", "oasis"))
ORION, ROOM_B, CHONGQING, AURORA, POD = (campus_room(i) for i in ("orion", "room_b", "chongqing", "aurora", "pod"))
NORTH = Place("building", "bt", "总部大楼北塔")
SOUTH = Place("building", "nt", "总部大楼南塔")
BLDG_C = Place("building", "cd", "研发中心C栋")
BLDG_D = Place("building", "dd", "研发中心D栋")
BLDG_2 = Place("building", "rb", "Riverside Building 2")
NORTH_5, NORTH_7 = (Place("floor", f"bt_{n}", f"总部大楼北塔 · {n}F") for n in (5, 7))
SOUTH_5, SOUTH_6 = (Place("floor", f"nt_{n}", f"总部大楼南塔 · {n}F") for n in (5, 6))
C_2, C_5, C_7 = (Place("floor", f"cd_{n}", f"研发中心C栋 · {n}楼") for n in (2, 5, 7))
D_2 = Place("floor", "dd_2", "研发中心D栋 · 2F")
