"""Reading reservation rows: what each one's status strings mean, and the filters insights share.

Definitions (status strings from the Feishu docs, feishu-contract §6.2; full-width parentheses):
- no-show: room_check_in_status 超时未签到, or reservation_status 已释放（未签到被释放）.
- checked in: 已签到. With no-shows these are the bookings that needed a check-in: the rate's denominator.
- exempt: 无需签到… / 不可签到… (no check-in needed or possible); pending: 审批中, 签到时间未结束, 待签到.
  Neither is a no-show nor counts in the rate.
- early release: 已释放（手动释放） or 已释放（传感器自动释放） before the booked end; the time given back is
  end - release time. 已释放（会议结束后自动释放） is not an early release.
- A meeting belongs to the local day (tenant timezone) on which it starts.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta, tzinfo
from functools import lru_cache
from typing import Literal, Protocol

from bot.feishu.models import Reservation, Room, RoomLevel

CHECKED_IN = "已签到"
TIMED_OUT = "超时未签到"
RELEASED_NO_CHECK_IN = "已释放（未签到被释放）"
RELEASED_MANUALLY = "已释放（手动释放）"
RELEASED_BY_SENSOR = "已释放（传感器自动释放）"
RELEASED_AFTER_END = "已释放（会议结束后自动释放）"
APPROVING = "审批中"
PENDING_CHECK_IN = ("签到时间未结束", "待签到")
EXEMPT_PREFIXES = ("无需签到", "不可签到")
EARLY_RELEASES = {RELEASED_MANUALLY: "manual", RELEASED_BY_SENSOR: "sensor"}

Outcome = Literal["no_show", "checked_in", "exempt", "pending", "unknown"]
_HALF_TO_FULL = str.maketrans({"(": "（", ")": "）", ",": "，"})


class RoomDirectory(Protocol):
    """The parts of bot.directory.Directory that insights use."""

    def room(self, room_id: str) -> Room | None: ...
    def room_by_name(self, name: str) -> Room | None: ...
    def floor_of(self, room: Room) -> RoomLevel | None: ...
    def building_of(self, room: Room) -> RoomLevel | None: ...


@lru_cache(maxsize=8192)
def norm(status: str) -> str:
    """A status string with half-width punctuation and stray spaces made canonical (cached: a
    2,000-room day asks for the same few statuses some 250,000 times)."""
    return "".join(status.split()).translate(_HALF_TO_FULL)


def outcome(row: Reservation) -> Outcome:
    """What happened to the check-in of one booking."""
    check_in, status = norm(row.check_in_status), norm(row.reservation_status)
    if check_in == TIMED_OUT or status == RELEASED_NO_CHECK_IN:
        return "no_show"
    if check_in == CHECKED_IN:
        return "checked_in"
    if status == APPROVING or check_in in PENDING_CHECK_IN:
        return "pending"
    if check_in.startswith(EXEMPT_PREFIXES):
        return "exempt"
    return "unknown"


def release_kind(row: Reservation) -> str | None:
    """'manual' or 'sensor' for an early release, else None (a release after the end is none)."""
    for text in (row.reservation_status, row.release_early):
        kind = EARLY_RELEASES.get(norm(text))
        if kind:
            if row.release_time is not None and row.release_time >= row.end:
                return None
            return kind
    return None


def given_back(row: Reservation) -> timedelta:
    """Booked time returned to others by a release before the end (zero when unknown or none)."""
    status = norm(row.reservation_status)
    if row.release_time is None or status == RELEASED_AFTER_END or row.release_time >= row.end:
        return timedelta(0)
    if release_kind(row) is None and status != RELEASED_NO_CHECK_IN:
        return timedelta(0)
    return row.end - max(row.release_time, row.start)


def local_day(row: Reservation, tz: tzinfo) -> date:
    """The tenant-local day on which the meeting starts (a meeting over midnight counts once)."""
    return row.start.astimezone(tz).date()


def _finality(row: Reservation) -> int:
    return {"pending": 0, "unknown": 1}.get(outcome(row), 2) + (1 if row.release_time else 0)


def dedupe(rows: Iterable[Reservation]) -> list[Reservation]:
    """One row per meeting (the same meeting may come in two day-chunks); keep the most final row."""
    best: dict[tuple[str, datetime, datetime, str], Reservation] = {}
    for row in rows:
        key = (row.room_id or norm(row.room_name), row.start, row.end, row.reserver_id or row.reserver)
        kept = best.get(key)
        if kept is None or _finality(row) > _finality(kept):
            best[key] = row
    return sorted(best.values(), key=lambda r: (r.start, r.room_name, r.reserver))


def resolve_rooms(rows: Iterable[Reservation], directory: RoomDirectory) -> list[Reservation]:
    """Fill in room_id for export rows (which have only the room name) from the directory."""
    resolved = []
    for row in rows:
        if not row.room_id:
            room = directory.room_by_name(row.room_name)
            if room is not None:
                row = replace(row, room_id=room.room_id)
        resolved.append(row)
    return resolved


def starting_on(rows: Iterable[Reservation], days: Sequence[date] | date, tz: tzinfo) -> list[Reservation]:
    """Rows whose meeting starts on one of these local days."""
    wanted = {days} if isinstance(days, date) else set(days)
    return [row for row in rows if local_day(row, tz) in wanted]


def in_rooms(rows: Iterable[Reservation], room_ids: set[str] | None) -> list[Reservation]:
    """Rows in these rooms (None = every room)."""
    return list(rows) if room_ids is None else [row for row in rows if row.room_id in room_ids]


