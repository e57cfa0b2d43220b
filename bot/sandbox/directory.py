"""The sandbox tenant's static half: room levels, rooms, users and the bot, generated from (seed, rooms)."""
from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field

from bot.feishu.models import Room, RoomLevel
from bot.sandbox import names

# The rooms every example in docs/interfaces.md and examples.md relies on: (floor, name, capacity).
FIXED_ROOMS = (("4F", "Mercury", 6), ("4F", "Jupiter 木星", 12), ("4F", "Room 402", 8),
               ("7F", "青城山", 10), ("7F", "Oslo", 4))
T2_FLOORS = tuple(f"{n}F" for n in range(3, 10))
T2_ROOMS_PER_FLOOR = 4
CAPACITIES = (4, 4, 6, 6, 8, 8, 10, 12, 14, 16, 20)
# Room demand (a multiplier of the chance that a meeting starts) and the share of rooms with it:
# a few idle rooms nobody books, quiet ones, most of them, and popular ones.
DEMAND = ((0.01, 0.06), (0.5, 0.2), (1.0, 0.54), (1.35, 0.2))
OVERSIZED_SHARE = 0.3  # of the rooms for 10 or more: mostly booked by 2-3 people
TOO_SMALL_SHARE = 0.15  # of the rooms for 6 or fewer: often invited more people than fit
SINGLE_GIVEN = [g for g in names.GIVEN if len(g) == 1]
USERS_PER_ROOM = 3  # enough people that a repeat no-show is a habit, not chance
HABITUAL_SHARE = 1 / 40  # of the people: they often book and do not come


def stable_hex(*parts: object, length: int = 32) -> str:
    """A deterministic hex digest of the parts (ids must not depend on PYTHONHASHSEED)."""
    return hashlib.md5(":".join(map(str, parts)).encode("utf-8")).hexdigest()[:length]


@dataclass(frozen=True)
class User:
    """A person of the sandbox tenant."""

    open_id: str
    union_id: str
    user_id: str
    name: str
    department: str


@dataclass(frozen=True)
class RoomExtra:
    """Room fields the shared Room model does not carry, kept for the wire format."""

    description: str = ""
    custom_room_id: str = ""
    devices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Series:
    """A recurring weekday meeting held in one room at one slot."""

    uid: str
    start_minute: int  # minutes after local midnight
    minutes: int
    organizer: User
    topic: str


@dataclass(frozen=True)
class RoomProfile:
    """How a room is used: its demand and how its meetings fit it."""

    demand: float = 1.0  # multiplies the chance that a meeting starts; near 0 = an idle room
    fit: str = "fit"  # "fit", "oversized" (a big room booked by 2-3 people) or "too_small"


@dataclass
class Directory:
    """Levels, rooms and users of one generated tenant, with lookups."""

    seed: int
    root: RoomLevel
    levels: list[RoomLevel]
    rooms: list[Room]
    users: list[User]
    bot_open_id: str
    bot_name: str
    tenant_key: str
    extras: dict[str, RoomExtra] = field(default_factory=dict)
    series: dict[str, Series] = field(default_factory=dict)
    profiles: dict[str, RoomProfile] = field(default_factory=dict)
    habitual: frozenset[str] = frozenset()  # open_ids of people who often do not show up

    def __post_init__(self) -> None:
        self._rooms = {r.room_id: r for r in self.rooms}
        self._levels = {lv.level_id: lv for lv in self.levels}
        self._users = {u.open_id: u for u in self.users}

    def room(self, room_id: str) -> Room | None:
        """The room with this id, or None."""
        return self._rooms.get(room_id)

    def level(self, level_id: str) -> RoomLevel | None:
        """The level with this id ("0" is the root), or None."""
        return self.root if level_id == "0" else self._levels.get(level_id)

    def child_levels(self, parent_id: str) -> list[RoomLevel]:
        """Levels directly under `parent_id` ("" or "0" = the root)."""
        parent = self.root.level_id if parent_id in ("", "0") else parent_id
        return [lv for lv in self.levels if lv.parent_id == parent and lv.level_id != parent]

    def rooms_under(self, level_id: str) -> list[Room]:
        """Rooms anywhere below a level (the root or "0" = every room)."""
        if level_id in ("", "0", self.root.level_id):
            return list(self.rooms)
        return [r for r in self.rooms if r.level_id == level_id or level_id in r.path]

    def user(self, open_id: str) -> User | None:
        """The user with this open_id, or None."""
        return self._users.get(open_id)

    def add_room(self, name: str, capacity: int, floor: RoomLevel) -> Room:
        """Create a room on `floor`, as an admin would in Feishu while the bot runs: listed from
        then on, with no bookings (the booking book knows the rooms it was built with)."""
        room = Room("omm_" + stable_hex("added", self.seed, name), name, capacity, floor.level_id,
                    floor.path + (floor.level_id,))
        self.extras[room.room_id] = RoomExtra(f"{name} · {capacity} 人")
        self._rooms[room.room_id] = room
        self.rooms.append(room)
        return room


class _Builder:
    """Builds a Directory step by step from one seeded random stream."""

    def __init__(self, seed: int, room_count: int) -> None:
        if room_count < len(FIXED_ROOMS):
            raise ValueError(f"the sandbox needs at least {len(FIXED_ROOMS)} rooms, got {room_count}")
        self.seed = seed
        self.target = room_count
        self.rng = random.Random(f"sandbox-tenant:{seed}:{room_count}")
        self.root = RoomLevel(self._level_id("root"), "Sandbox 科技", "", (), True)
        self.levels: list[RoomLevel] = [self.root]
        self.rooms: list[Room] = []
        self.extras: dict[str, RoomExtra] = {}
        self.used_names = {name for _, name, _ in FIXED_ROOMS}
        themes = [t for t in names.ROOM_THEMES if t not in self.used_names]
        self.rng.shuffle(themes)
        self.themes = themes

    def _level_id(self, *parts: object) -> str:
        return "omb_" + stable_hex("level", self.seed, self.target, *parts)

    def add_level(self, name: str, parent: RoomLevel, has_child: bool) -> RoomLevel:
        """Append a level under `parent`."""
        level = RoomLevel(self._level_id(parent.level_id, name), name, parent.level_id,
                          parent.path + (parent.level_id,), has_child)
        self.levels.append(level)
        return level

    def add_room(self, floor: RoomLevel, name: str, capacity: int, fixed: bool = False) -> None:
        """Append a room on `floor`."""
        index = len(self.rooms)
        room_id = "omm_" + stable_hex("room", self.seed, self.target, index)
        enabled = fixed or self.rng.random() >= 0.01
        self.rooms.append(Room(room_id, name, capacity, floor.level_id,
                               floor.path + (floor.level_id,),
                               f"LM{int(stable_hex('display', room_id, length=8), 16) % 10**9:09d}",
                               enabled))
        devices = tuple(self.rng.sample(names.DEVICES, self.rng.randint(1, 3)))
        self.extras[room_id] = RoomExtra(f"{name} · {capacity} 人", str(1000 + index), devices)
        self.used_names.add(name)

    def generated_name(self, building: str, floor_no: int) -> str:
        """A fresh room name: a theme while any is left, then a numbered one."""
        while self.themes:
            name = self.themes.pop()
            if name not in self.used_names:
                return name
        prefix = "Room " if building == "T2" else f"{building[0].upper()}-"
        number = 1
        while f"{prefix}{floor_no}{number:02d}" in self.used_names:
            number += 1
        return f"{prefix}{floor_no}{number:02d}"

    def build_t2(self) -> None:
        """Building T2 with floors 3F-9F, the fixed example rooms, and a few generated ones."""
        t2 = self.add_level("T2", self.root, True)
        floors = {name: self.add_level(name, t2, False) for name in T2_FLOORS}
        for floor, name, capacity in FIXED_ROOMS:
            self.add_room(floors[floor], name, capacity, fixed=True)
        quota = min(self.target, len(T2_FLOORS) * T2_ROOMS_PER_FLOOR)
        counts = {f: sum(1 for fl, _, _ in FIXED_ROOMS if fl == f) for f in T2_FLOORS}
        while len(self.rooms) < quota:
            floor = min(T2_FLOORS, key=lambda f: (counts[f], f))
            counts[floor] += 1
            self.add_room(floors[floor], self.generated_name("T2", int(floor[:-1])), self.rng.choice(CAPACITIES))

    def build_others(self) -> None:
        """More buildings with floors and rooms until the room count is reached."""
        index = 0
        while len(self.rooms) < self.target:
            name = names.BUILDINGS[index] if index < len(names.BUILDINGS) else f"{index + 1}号楼"
            index += 1
            building = self.add_level(name, self.root, True)
            for floor_no in range(1, self.rng.randint(3, 12) + 1):
                if len(self.rooms) >= self.target:
                    break
                floor = self.add_level(f"{floor_no}F", building, False)
                for _ in range(min(self.rng.randint(4, 10), self.target - len(self.rooms))):
                    self.add_room(floor, self.generated_name(name, floor_no), self.rng.choice(CAPACITIES))

    def build_users(self) -> list[User]:
        """People with Chinese and English names, unique, each in a department."""
        users: list[User] = []
        seen: set[str] = set()
        while len(users) < max(120, self.target * USERS_PER_ROOM):
            if len(users) % 2 == 0:
                name = self.rng.choice(names.SURNAMES) + self.rng.choice(names.GIVEN)
                if name in seen:  # the pools run out in big tenants: a three-character name
                    name = name[0] + "".join(self.rng.sample(SINGLE_GIVEN, 2))
            else:
                first, last = self.rng.choice(names.FIRST_NAMES), self.rng.choice(names.LAST_NAMES)
                name = f"{first} {last}"
                if name in seen:
                    name = f"{first} {self.rng.choice(names.FIRST_NAMES)[0]}. {last}"
            if name in seen:
                continue
            seen.add(name)
            key = stable_hex("user", self.seed, len(users))
            users.append(User("ou_" + key, "on_" + stable_hex("union", key), key[:8], name,
                              self.rng.choice(names.DEPARTMENTS)))
        return users

    def build_series(self, users: list[User]) -> dict[str, Series]:
        """A recurring weekday meeting for about a third of the rooms."""
        series: dict[str, Series] = {}
        for room in self.rooms:
            if self.rng.random() < 0.3:
                uid = _uuid_text(stable_hex("series", room.room_id))
                series[room.room_id] = Series(
                    uid, self.rng.choice((540, 570, 600, 840, 960, 1050)), self.rng.choice((30, 60)),
                    self.rng.choice(users), self.rng.choice(names.SERIES_TOPICS))
        return series


def build_profiles(seed: int, rooms: list[Room],
                   users: list[User]) -> tuple[dict[str, RoomProfile], frozenset[str]]:
    """Each room's demand and fit, and the habitual no-shows; the fixed example rooms are typical.

    A random stream of its own: profiles never shift the rooms, people or series of a seed.
    """
    rng = random.Random(f"sandbox-usage:{seed}:{len(rooms)}")
    fixed = {name for _, name, _ in FIXED_ROOMS}
    profiles = {}
    for room in rooms:
        demand = rng.choices([d for d, _ in DEMAND], weights=[w for _, w in DEMAND])[0]
        fit = "fit"
        if room.capacity >= 10 and rng.random() < OVERSIZED_SHARE:
            fit = "oversized"
        elif room.capacity <= 6 and rng.random() < TOO_SMALL_SHARE:
            fit = "too_small"
        typical = room.name in fixed
        profiles[room.room_id] = RoomProfile() if typical else RoomProfile(demand, fit)
    habitual = rng.sample(users, max(3, round(len(users) * HABITUAL_SHARE)))
    return profiles, frozenset(u.open_id for u in habitual)


def _uuid_text(hex32: str) -> str:
    return f"{hex32[:8]}-{hex32[8:12]}-{hex32[12:16]}-{hex32[16:20]}-{hex32[20:32]}"


def build_directory(seed: int, room_count: int) -> Directory:
    """Generate the tenant's levels, rooms, users and recurring meetings; deterministic in (seed, room_count)."""
    builder = _Builder(seed, room_count)
    builder.build_t2()
    builder.build_others()
    users = builder.build_users()
    series = builder.build_series(users)
    profiles, habitual = build_profiles(seed, builder.rooms, users)
    return Directory(seed, builder.root, builder.levels, builder.rooms, users,
                     bot_open_id="ou_" + stable_hex("bot", seed), bot_name="RoomBot 会议室助手",
                     tenant_key=stable_hex("tenant", seed, length=16),
                     extras=builder.extras, series=series, profiles=profiles, habitual=habitual)
