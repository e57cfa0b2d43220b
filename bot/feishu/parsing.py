"""Pure parsers from Feishu's wire values (dicts, strings) to roombot's models.

Nothing here does I/O or imports lark_oapi, so every rule can be tested as a table.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, time, timedelta, timezone, tzinfo
from functools import lru_cache
from typing import Any

from bot.feishu.models import BusyInterval, Reservation, Room, RoomLevel

# "2022.12.17 21:00:00 (GMT+08:00)" — the reservation list and the export sheet use this
# human format, not epochs [DOC 查询会议室预定数据]. Dashes/slashes and "UTC" are accepted too.
_FEISHU_TIME = re.compile(
    r"\s*(\d{4})[./-](\d{1,2})[./-](\d{1,2})[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?"
    r"\s*(?:[(（]?\s*(?:GMT|UTC)\s*(?:([+-])(\d{1,2})(?::?(\d{2}))?)?\s*[)）]?)?\s*"
)
# "1:00:00", "01:00:00", "25:30:00", "1 day, 2:00:00", "1天2:00:00", "0:45"
_DURATION = re.compile(
    r"\s*(?:(\d+)\s*(?:days?|天)\s*,?\s*)?(\d+):(\d{2})(?::(\d{2}))?\s*"
)


def parse_feishu_time(text: str | None, tz: tzinfo) -> datetime | None:
    """Parse "2022.12.17 21:00:00 (GMT+08:00)" into an aware datetime in `tz`; "" -> None.

    A string without an offset is read as tenant-local time.
    """
    if text is None or not str(text).strip():
        return None
    exact = _documented_time(str(text), tz)
    if exact is not None:
        return exact
    match = _FEISHU_TIME.fullmatch(str(text))
    if not match:
        raise ValueError(f"not a Feishu time: {text!r}")
    year, month, day, hour, minute = (int(match[i]) for i in range(1, 6))
    second = int(match[6] or 0)
    naive = datetime(year, month, day, hour, minute, second)
    if match[7] is None:
        return naive.replace(tzinfo=tz)
    offset = timedelta(hours=int(match[8]), minutes=int(match[9] or 0))
    zone = timezone(offset if match[7] == "+" else -offset)
    return naive.replace(tzinfo=zone).astimezone(tz)


def _documented_time(text: str, tz: tzinfo) -> datetime | None:
    """The documented spelling, exactly "2022.12.17 21:00:00 (GMT+08:00)", read by position (a
    fraction of the regular expression's cost: a 2,000-room day has some 15,000 distinct times);
    None for any other spelling."""
    if len(text) != 31 or text[4] != "." or text[7] != "." or text[10] != " ":
        return None
    zone = _gmt_offset(text[19:])
    if zone is None:
        return None
    try:
        naive = datetime.fromisoformat(f"{text[0:4]}-{text[5:7]}-{text[8:19]}")
    except ValueError:
        return None  # the regular expression's path reports it
    return naive.replace(tzinfo=zone).astimezone(tz)


@lru_cache(maxsize=64)
def _gmt_offset(suffix: str) -> timezone | None:
    """" (GMT+08:00)" as a fixed offset; None for anything else."""
    if len(suffix) != 12 or suffix[:5] != " (GMT" or suffix[5] not in "+-" or (
            suffix[8], suffix[11]) != (":", ")") or not (suffix[6:8] + suffix[9:11]).isdigit():
        return None
    offset = timedelta(hours=int(suffix[6:8]), minutes=int(suffix[9:11]))
    return timezone(offset if suffix[5] == "+" else -offset)


def parse_duration(text: str | None) -> timedelta | None:
    """Parse "1:00:00" / "01:00:00" / "1 day, 2:00:00" into a timedelta; "" -> None."""
    if text is None or not str(text).strip():
        return None
    match = _DURATION.fullmatch(str(text))
    if not match:
        raise ValueError(f"not a Feishu duration: {text!r}")
    days, hours, minutes = int(match[1] or 0), int(match[2]), int(match[3])
    return timedelta(days=days, hours=hours, minutes=minutes, seconds=int(match[4] or 0))


def parse_rfc3339(text: str, tz: tzinfo) -> datetime:
    """Parse free/busy's "2019-09-04T09:00:00+08:00" into an aware datetime in `tz`."""
    value = datetime.fromisoformat(text.strip())
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    return value.astimezone(tz)


def to_int(value: Any) -> int:
    """Read a count that Feishu sends as a string ("5"), a number, or ""."""
    if value is None or value == "":
        return 0
    try:
        return int(float(str(value).strip()))
    except ValueError:
        return 0


def to_text(value: Any) -> str:
    """Read an optional string field; None becomes ""."""
    return "" if value is None else str(value).strip()


def room_from_dict(data: Mapping[str, Any]) -> Room:
    """Build a Room from one `rooms[]` item of GET /vc/v1/rooms [SDK vc/v1/model/room.py]."""
    status = data.get("room_status") or {}
    return Room(
        room_id=to_text(data.get("room_id")),
        name=to_text(data.get("name")),
        capacity=to_int(data.get("capacity")),
        level_id=to_text(data.get("room_level_id")),
        path=tuple(str(p) for p in data.get("path") or ()),
        display_id=to_text(data.get("display_id")),
        enabled=bool(status.get("status", True)),
    )


def level_from_dict(data: Mapping[str, Any]) -> RoomLevel:
    """Build a RoomLevel from a room_levels item [SDK vc/v1/model/room_level.py]."""
    return RoomLevel(
        level_id=to_text(data.get("room_level_id")),
        name=to_text(data.get("name")),
        parent_id=to_text(data.get("parent_id")),
        path=tuple(str(p) for p in data.get("path") or ()),
        has_child=bool(data.get("has_child", False)),
    )


def reservation_from_dict(data: Mapping[str, Any], tz: tzinfo) -> Reservation:
    """Build a Reservation from one `room_reservation_list` item (all values are strings)."""
    start = parse_feishu_time(data.get("event_start_time"), tz)
    end = parse_feishu_time(data.get("event_end_time"), tz)
    if start is None or end is None:
        raise ValueError(f"reservation without start/end: {dict(data)!r}")
    duration = parse_duration(data.get("event_duration"))
    return Reservation(
        room_id=to_text(data.get("room_id")),
        room_name=to_text(data.get("room_name")),
        reserver=to_text(data.get("reserver")),
        reserver_id=to_text(data.get("reserver_user_id")),
        department=to_text(data.get("department_of_reserver")),
        start=start,
        end=end,
        duration=duration if duration is not None else end - start,
        reservation_status=to_text(data.get("reservation_status")),
        check_in_status=to_text(data.get("room_check_in_status")),
        topic=to_text(data.get("event_title")),
        guests=to_int(data.get("guests_number")),
        accepted=to_int(data.get("accepted_number")),
        check_in_device=to_text(data.get("check_in_device")),
        check_in_time=parse_feishu_time(data.get("check_in_time"), tz),
        release_early=to_text(data.get("is_release_early")),
        releaser=to_text(data.get("releasing_person")),
        release_time=parse_feishu_time(data.get("releasing_time"), tz),
    )


def reservation_key(row: Reservation) -> tuple[str, ...]:
    """Identity of a booking, to merge rows that two day-chunks both returned."""
    return (row.room_id, row.room_name, row.start.isoformat(), row.end.isoformat(),
            row.reserver_id or row.reserver)


def busy_from_dict(room_id: str, data: Mapping[str, Any], tz: tzinfo) -> BusyInterval:
    """Build a BusyInterval from one free_busy[room_id] item of meeting_room/freebusy/batch_get."""
    organizer = data.get("organizer_info") or {}
    return BusyInterval(
        room_id=room_id,
        start=parse_rfc3339(str(data["start_time"]), tz),
        end=parse_rfc3339(str(data["end_time"]), tz),
        uid=to_text(data.get("uid")),
        organizer_name=to_text(organizer.get("name")),
        organizer_open_id=to_text(organizer.get("open_id")),
        original_time=to_int(data.get("original_time")),
    )


def cell_time(value: Any, tz: tzinfo) -> datetime | None:
    """Read a time cell of the export sheet: a Feishu time string or a (naive local) datetime."""
    if isinstance(value, datetime):
        return value.astimezone(tz) if value.tzinfo else value.replace(tzinfo=tz)
    return parse_feishu_time(None if value is None else str(value), tz)


def cell_duration(value: Any) -> timedelta | None:
    """Read a duration cell: "01:00:00", a time-of-day cell, a timedelta, or a fraction of a day."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, time):
        return timedelta(hours=value.hour, minutes=value.minute, seconds=value.second)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return timedelta(days=float(value))  # Excel stores durations as fractions of a day
    return parse_duration(None if value is None else str(value))
