"""The room directory: the level tree, labels, exact and fuzzy lookups, the cache."""
from __future__ import annotations

import random
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.directory.cache import DirectoryCache
from bot.directory.tree import Directory
from bot.feishu.models import Room, RoomLevel
from bot.queries import TENANT, IsFree, Place, WhoBooked
from bot.understand import parse
from bot.understand.normalise import floor_key

NOW = datetime(2026, 11, 17, 10, 20, tzinfo=ZoneInfo("Asia/Shanghai"))

LEVELS = [
    RoomLevel("0", "Acme", ""),
    RoomLevel("t2", "T2", "0"),
    RoomLevel("t2_4", "4F", "t2"),
    RoomLevel("t2_7", "7楼", "t2"),
    RoomLevel("t2_7e", "East wing", "t2_7"),
    RoomLevel("t3", "T3", "0"),
    RoomLevel("t3_4", "Floor 4", "t3"),
    RoomLevel("lobby", "B1", "0"),
]
ROOMS = [
    Room("mer", "Mercury", 6, "t2_4"),
    Room("jup", "Jupiter 木星", 12, "t2_4"),
    Room("qcs", "青城山", 10, "t2_7"),
    Room("east", "East Pod", 3, "t2_7e"),
    Room("sat", "Saturn", 16, "t3_4"),
    Room("cafe", "Cafe Corner", 8, "lobby"),
]


@pytest.fixture
def directory() -> Directory:
    return Directory(ROOMS, LEVELS, "0")


def ids(rooms: list[Room]) -> set[str]:
    return {room.room_id for room in rooms}


def test_rooms_under_is_recursive(directory: Directory) -> None:
    assert ids(directory.rooms_under("t2")) == {"mer", "jup", "qcs", "east"}
    assert ids(directory.rooms_under("t2_7")) == {"qcs", "east"}
    assert ids(directory.rooms_under("t2_7e")) == {"east"}
    assert ids(directory.rooms_under("")) == ids(directory.rooms_under("0")) == ids(ROOMS)
    assert directory.rooms_under("nope") == []


def test_floor_and_building_of(directory: Directory) -> None:
    east = directory.room("east")
    assert east is not None
    assert directory.floor_of(east) == directory.level("t2_7")
    assert directory.building_of(east) == directory.level("t2")
    assert directory.location_label(east) == "T2 · 7楼"
    saturn = directory.room("sat")
    assert saturn is not None and directory.location_label(saturn) == "T3 · Floor 4"
    cafe = directory.room("cafe")
    assert cafe is not None
    assert directory.floor_of(cafe) == directory.level("lobby")
    assert directory.building_of(cafe) is None
    assert directory.location_label(cafe) == "B1"


def test_floor_names_are_recognised() -> None:
    for name in ("5F", "F5", "5楼", "五楼", "Floor 5", "5th floor", "5层", "５Ｆ", "L5"):
        assert floor_key(name) == "5F", name
    assert floor_key("B1") == "B1"
    assert floor_key("地下1层") == "B1"
    for name in ("T2", "East wing", "402", "Mercury"):
        assert floor_key(name) is None, name


def test_places_and_labels(directory: Directory) -> None:
    t2_4 = directory.level("t2_4")
    t2 = directory.level("t2")
    root = directory.level("0")
    assert t2_4 is not None and t2 is not None and root is not None
    assert directory.level_place(t2_4) == Place("floor", "t2_4", "T2 · 4F")
    assert directory.level_place(t2) == Place("building", "t2", "T2")
    assert directory.level_place(root) == TENANT
    mercury = directory.room("mer")
    assert mercury is not None and directory.room_place(mercury) == Place("room", "mer", "Mercury")


def test_floor_label_without_building_name_when_only_one_building() -> None:
    levels = [RoomLevel("0", "Acme", ""), RoomLevel("b", "HQ", "0"), RoomLevel("f7", "7F", "b")]
    single = Directory([Room("o", "Oslo", 4, "f7")], levels, "0")
    f7 = single.level("f7")
    assert f7 is not None and single.level_place(f7).label == "7F"


def test_room_by_name_folds_case_width_and_spaces(directory: Directory) -> None:
    assert directory.room_by_name("  mercury ") == directory.room("mer")
    assert directory.room_by_name("ＭＥＲＣＵＲＹ") == directory.room("mer")
    assert directory.room_by_name("jupiter   木星") == directory.room("jup")
    assert directory.room_by_name("Jupiter") is None


def test_place_rooms(directory: Directory) -> None:
    assert ids(directory.place_rooms(Place("room", "mer", "Mercury"))) == {"mer"}
    assert ids(directory.place_rooms(Place("floor", "t2_7", "T2 · 7楼"))) == {"qcs", "east"}
    assert ids(directory.place_rooms(Place("building", "t3", "T3"))) == {"sat"}
    assert ids(directory.place_rooms(TENANT)) == ids(ROOMS)
    assert directory.place_rooms(Place("room", "gone", "Gone")) == []


def test_floors_with_key_across_buildings(directory: Directory) -> None:
    assert {lv.level_id for lv in directory.floors_with_key("4F")} == {"t2_4", "t3_4"}
    assert [lv.level_id for lv in directory.floors_with_key("4F", "t3")] == ["t3_4"]
    assert [lv.level_id for lv in directory.floors_with_key("7F")] == ["t2_7"]


def test_name_index_lookups(directory: Directory) -> None:
    names = directory.names
    jupiter = Place("room", "jup", "Jupiter 木星")
    assert names.lookup("jupiter木星", whole_only=True) == (jupiter,)
    assert names.lookup("木星") == names.lookup("muxing") == (jupiter,)
    assert names.lookup("木星", whole_only=True) == ()
    assert names.close_word("mercry") == "mercury"
    assert names.close_word("zzzz") is None
    assert names.similar("saturnn")[0][1] == Place("room", "sat", "Saturn")


class FakeGateway:
    """The two gateway calls Directory.load uses, answering from lists."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def room_levels(self, root_id: str = "0") -> list[RoomLevel]:
        self.calls.append(f"levels:{root_id}")
        return LEVELS

    def rooms(self, root_id: str = "0") -> list[Room]:
        self.calls.append(f"rooms:{root_id}")
        return ROOMS


def test_load_uses_only_the_two_gateway_calls() -> None:
    gateway = FakeGateway()
    loaded = Directory.load(gateway, "0")
    assert gateway.calls == ["levels:0", "rooms:0"]
    assert len(loaded.rooms) == len(ROOMS) and loaded.root_id == "0"


def test_cache_reloads_after_ttl_and_on_invalidate() -> None:
    clock = [0.0]
    loads: list[Directory] = []

    def loader() -> Directory:
        loads.append(Directory(ROOMS, LEVELS, "0"))
        return loads[-1]

    cache = DirectoryCache(loader, ttl_seconds=600, clock=lambda: clock[0])
    first = cache.get()
    clock[0] = 599
    assert cache.get() is first
    clock[0] = 601
    second = cache.get()
    assert second is not first and len(loads) == 2
    cache.invalidate()
    assert cache.get() is not second and len(loads) == 3


def test_cache_keeps_serving_the_old_directory_when_a_reload_fails() -> None:
    clock = [0.0]
    outcomes: list[object] = [Directory(ROOMS, LEVELS, "0"), RuntimeError("feishu down")]

    def loader() -> Directory:
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        assert isinstance(outcome, Directory)
        return outcome

    cache = DirectoryCache(loader, ttl_seconds=10, clock=lambda: clock[0])
    first = cache.get()
    clock[0] = 11
    assert cache.get() is first


def test_cache_raises_when_the_first_load_fails() -> None:
    def loader() -> Directory:
        raise RuntimeError("feishu down")

    with pytest.raises(RuntimeError):
        DirectoryCache(loader).get()


# -- a big tenant -------------------------------------------------------------------------------
WORDS = ("Falcon", "Harbor", "Maple", "Cedar", "Summit", "Aurora", "Nimbus", "Quartz", "Willow",
         "Zephyr", "Orchid", "Granite", "Lagoon", "Meadow", "Beacon", "Canyon", "Delta", "Ember",
         "Fjord", "Glacier")
CJK = ("黄山", "泰山", "华山", "衡山", "嵩山", "庐山", "武夷", "长白", "天目", "雁荡")


def big_directory(count: int = 2000) -> Directory:
    """A tenant with 10 buildings x 20 floors and `count` generated rooms, plus Mercury."""
    rng = random.Random(7)
    levels = [RoomLevel("0", "Acme", "")]
    for b in range(10):
        levels.append(RoomLevel(f"b{b}", f"Tower {b}", "0"))
        levels.extend(RoomLevel(f"b{b}f{f}", f"{f}F", f"b{b}") for f in range(1, 21))
    rooms = [Room("mercury", "Mercury", 6, "b0f4")]
    for i in range(count):
        name = f"{rng.choice(WORDS)} {i}" if i % 3 else f"{rng.choice(CJK)}{i}号"
        rooms.append(Room(f"r{i}", name, rng.randint(2, 30), f"b{i % 10}f{1 + i % 20}"))
    return Directory(rooms, levels, "0")


def test_big_directory_resolves_names_correctly() -> None:
    directory = big_directory()
    assert len(directory.rooms) == 2001
    target = directory.room("r1234")
    assert target is not None
    question = parse(f"who booked {target.name} today", NOW, directory)
    assert isinstance(question, WhoBooked) and question.place.id == "r1234"
    assert isinstance(q := parse("is Mercry free at 3", NOW, directory), IsFree)
    assert q.place.id == "mercury"
    cjk = directory.room("r999")
    assert cjk is not None
    answer = parse(f"{cjk.name}现在有空吗", NOW, directory)
    assert isinstance(answer, IsFree) and answer.place.id == "r999"


def test_big_directory_floor_is_ambiguous_without_a_building() -> None:
    directory = big_directory(200)
    question = parse("who booked 7F today", NOW, directory)
    assert type(question).__name__ == "ChooseRoom"
    assert len(question.options) == 10  # type: ignore[union-attr]
    scoped = parse("who booked Tower 3 7F today", NOW, directory)
    assert isinstance(scoped, WhoBooked) and scoped.place.id == "b3f7"


def test_big_directory_many_messages() -> None:
    directory = big_directory()
    for room in directory.rooms[1:400:7]:
        question = parse(f"is {room.name} free at 3pm", NOW, directory)
        assert isinstance(question, IsFree) and question.place.id == room.room_id, room.name


# -- names: variants, buildings, pinyin, prefixes, sounds -----------------------------------------
def campus() -> Directory:
    """Buildings with long names that share a prefix, rooms with Chinese and Latin names."""
    levels = [RoomLevel("0", "Acme", ""), RoomLevel("bt", "总部大楼北塔", "0"),
              RoomLevel("nt", "总部大楼南塔", "0"), RoomLevel("cd", "研发中心C栋", "0"),
              RoomLevel("tb", "Tower B", "0"), RoomLevel("b3", "3号楼", "0"),
              RoomLevel("bt5", "5F", "bt"), RoomLevel("cd7", "7楼", "cd")]
    rooms = [Room("banna", "版纳 Banna", 8, "bt5"), Room("qcs", "青城山", 10, "cd7"),
             Room("rc", "Room C", 6, "cd7"), Room("oasis", "绿洲", 6, "bt5"),
             Room("mer", "Mercury", 6, "bt5"), Room("merak", "Merak", 4, "cd7")]
    return Directory(rooms, levels, "0")


@pytest.mark.parametrize(("key", "level_id"), [
    ("总部大楼北塔", "bt"), ("北塔", "bt"), ("北楼", "bt"), ("northtower", "bt"), ("南塔", "nt"),
    ("c栋", "cd"), ("c座", "cd"), ("buildingc", "cd"), ("bldgc", "cd"), ("blockc", "cd"),
    ("cbuilding", "cd"), ("towerb", "tb"), ("b座", "tb"), ("3号楼", "b3"), ("building3", "b3"),
    ("3栋", "b3"),
])
def test_buildings_are_known_by_their_short_names(key: str, level_id: str) -> None:
    places = campus().names.lookup(key, whole_only=True)
    assert [p.id for p in places] == [level_id]


def test_a_number_never_becomes_a_floor_name_of_a_building() -> None:
    names = campus().names
    assert names.lookup("3楼") == ()  # "3楼" is the third floor, not building 3号楼
    assert names.lookup("c") == (Place("room", "rc", "Room C"),)  # the letter alone is the room


@pytest.mark.parametrize(("key", "room_id"), [
    ("roomc", "rc"), ("会议室c", "rc"), ("c会议室", "rc"), ("qingchengshan", "qcs"),
    ("lvzhou", "oasis"), ("luzhou", "oasis"), ("版纳banna", "banna"),
])
def test_rooms_are_known_by_their_variants(key: str, room_id: str) -> None:
    assert [p.id for p in campus().names.lookup(key, whole_only=True)] == [room_id]


def test_scan_keeps_to_word_boundaries_and_allows_spaces_in_long_names() -> None:
    names = campus().names

    def said(text: str) -> list[str]:
        return [hit.said for hit in names.scan(text, whole_only=True, accept=lambda *_: True)]

    assert said("is qing cheng shan free") == ["qing cheng shan"]
    assert said("is room c free") == ["room c"]
    assert said("roomcc free") == []  # not "roomc" followed by "c"
    assert said("西双版纳3点") == []  # a name word, not a whole name: found once times are gone
    assert said("block c 7f") == ["block c"]
    assert said("c座7楼") == ["c座"]


def test_guesses_by_prefix_containment_and_sound() -> None:
    names = campus().names
    assert names.guess("merc") == (Place("room", "mer", "Mercury"),)
    assert {p.id for p in names.guess("mer")} == {"mer", "merak"}  # ambiguous: both, to ask
    assert names.guess("xishuangbanna") == (Place("room", "banna", "版纳 Banna"),)
    assert names.guess("青成山") == names.guess("青城") == (Place("room", "qcs", "青城山"),)
    assert names.guess("roo") == ()  # the start of "room" names nothing in particular
    assert names.starts_name("qingcheng") and not names.starts_name("zzz")


def test_similar_names_are_ranked_by_rapidfuzz() -> None:
    names = campus().names
    best = names.similar("mercuri")
    assert best[0][1] == Place("room", "mer", "Mercury") and best[0][0] > 0.8
    assert names.similar("zzzzzz") == []
