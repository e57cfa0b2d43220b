"""A small in-memory tenant for card tests: a directory and a gateway stand-in with canned answers.

End-to-end answer tests use the sandbox over HTTP; these let card tests shape data exactly
(a 200-booking day, a 45-room floor) without depending on generated bookings.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.answer.context import AnswerContext
from bot.config import FeishuSettings, PrivacySettings, Settings
from bot.directory import Directory
from bot.feishu.models import BusyInterval, CallCounter, Reservation, Room, RoomLevel
from bot.queries import Place

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2024, 11, 19, 10, 20, tzinfo=TZ)  # a Tuesday, as in the examples
ROOT = "0"
NAMED = (("omm_mercury", "Mercury", 6, "lvl_4f"), ("omm_jupiter", "Jupiter 木星", 12, "lvl_4f"),
         ("omm_402", "Room 402", 8, "lvl_4f"), ("omm_qcs", "青城山", 10, "lvl_7f"),
         ("omm_oslo", "Oslo", 4, "lvl_7f"))


def levels() -> list[RoomLevel]:
    """Root, buildings T2 and A1, floors 3F-9F of T2 and 1F of A1."""
    found = [RoomLevel(ROOT, "Tenant", "", (), True),
             RoomLevel("lvl_t2", "T2", ROOT, (ROOT,), True),
             RoomLevel("lvl_a1", "A1", ROOT, (ROOT,), True),
             RoomLevel("lvl_a1_1f", "1F", "lvl_a1", (ROOT, "lvl_a1"))]
    found += [RoomLevel(f"lvl_{n}f", f"{n}F", "lvl_t2", (ROOT, "lvl_t2")) for n in range(3, 10)]
    return found


def rooms() -> list[Room]:
    """The example rooms, 45 rooms on T2 9F, and a disabled room on 7F."""
    found = [Room(rid, name, cap, level, (ROOT, "lvl_t2", level)) for rid, name, cap, level in NAMED]
    found += [Room(f"omm_9f_{i:02d}", f"Room 9{i:02d}", 4 + (i % 5) * 2, "lvl_9f",
                   (ROOT, "lvl_t2", "lvl_9f")) for i in range(1, 46)]
    found.append(Room("omm_old", "Old Store", 20, "lvl_7f", (ROOT, "lvl_t2", "lvl_7f"), enabled=False))
    return found


def directory() -> Directory:
    """The fake tenant's directory."""
    return Directory(rooms(), levels(), ROOT)


def room(d: Directory, room_id: str) -> Room:
    """A room that must exist."""
    found = d.room(room_id)
    assert found is not None, room_id
    return found


def level_place(d: Directory, level_id: str) -> Place:
    """A floor or building, as a Place, that must exist."""
    found = d.level(level_id)
    assert found is not None, level_id
    return d.level_place(found)


@dataclass
class CannedGateway:
    """Answers reservations() and freebusy() from lists; records each call's arguments."""

    booked: list[Reservation] = field(default_factory=list)
    busy: list[BusyInterval] = field(default_factory=list)
    calls: CallCounter = field(default_factory=CallCounter)
    log: list[tuple] = field(default_factory=list)

    def reservations(self, level_id: str, start: datetime, end: datetime, *,
                     room_ids: Sequence[str] = (), is_exclude: bool = False,
                     need_topic: bool = False) -> list[Reservation]:
        self.calls.add("reservations")
        self.log.append(("reservations", level_id, start, end, tuple(room_ids)))
        return [r for r in self.booked if (not room_ids or r.room_id in room_ids)
                and r.start < end and r.end > start]

    def freebusy(self, room_ids: Sequence[str], start: datetime,
                 end: datetime) -> dict[str, list[BusyInterval]]:
        self.calls.add("freebusy")
        self.log.append(("freebusy", tuple(room_ids), start, end))
        out: dict[str, list[BusyInterval]] = {rid: [] for rid in room_ids}
        for b in self.busy:
            if b.room_id in out and b.start < end and b.end > start:
                out[b.room_id].append(b)
        return out


def reservation(room: Room, start: datetime, minutes: int = 60, *, who: str = "张三",
                status: str = "预定成功", check_in: str = "已签到", release_early: str = "",
                release_time: datetime | None = None, topic: str = "Weekly sync") -> Reservation:
    """A reservation-list row."""
    end = start + timedelta(minutes=minutes)
    return Reservation(room.room_id, room.name, who, f"ou_{abs(hash(who)) % 10**6}", "研发部",
                       start, end, end - start, status, check_in, topic=topic,
                       release_early=release_early, release_time=release_time)


def busy(room: Room, start: datetime, minutes: int = 60, who: str = "李四",
         private: bool = False) -> BusyInterval:
    """A free/busy interval; a private one has no organizer."""
    if private:
        return BusyInterval(room.room_id, start, start + timedelta(minutes=minutes), "uid")
    return BusyInterval(room.room_id, start, start + timedelta(minutes=minutes), "uid", who, "ou_x")


def settings(*, show_topics: bool = False, names: str = "all") -> Settings:
    """Settings for the fake tenant."""
    return Settings(FeishuSettings("cli_test", "secret"),
                    privacy=PrivacySettings(reserver_names=names, show_topics=show_topics))


def context(gateway: CannedGateway, *, now: datetime = NOW, chat_type: str = "p2p",
            show_topics: bool = False, names: str = "all") -> AnswerContext:
    """An AnswerContext over the fake tenant."""
    return AnswerContext(gateway=gateway, directory=directory(),  # type: ignore[arg-type]
                         settings=settings(show_topics=show_topics, names=names), now=now,
                         chat_type=chat_type)
