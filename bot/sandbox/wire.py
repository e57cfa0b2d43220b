"""Wire shapes of the fake Feishu: Room, RoomLevel and reservation rows exactly as the SDK models name them."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bot.feishu.models import BusyInterval, Reservation, Room, RoomLevel
from bot.sandbox.directory import RoomExtra

EXPORT_HEADER = ("会议室名称", "会议主题", "预定人", "预定人所属部门", "邀请人数", "接受人数", "会议开始时间",
                 "会议结束时间", "会议时长", "会议室预定状态", "签到设备", "会议室签到状态", "会议室签到时间",
                 "释放人", "释放时间")


def feishu_time(moment: datetime | None) -> str:
    """"2022.12.17 21:00:00 (GMT+08:00)", the reservation list's time format ("" for None)."""
    if moment is None:
        return ""
    offset = moment.utcoffset() or timedelta(0)
    sign = "-" if offset < timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    return f"{moment:%Y.%m.%d %H:%M:%S} (GMT{sign}{minutes // 60:02d}:{minutes % 60:02d})"


def feishu_duration(duration: timedelta, *, pad_hours: bool = False) -> str:
    """"1:00:00" (list API) or "01:00:00" (export sheet)."""
    seconds = int(duration.total_seconds())
    hours, rest = divmod(seconds, 3600)
    return f"{hours:02d}:{rest // 60:02d}:{rest % 60:02d}" if pad_hours else f"{hours}:{rest // 60:02d}:{rest % 60:02d}"


def rfc3339(moment: datetime) -> str:
    """"2019-09-04T09:00:00+08:00", the free/busy time format."""
    return moment.isoformat(timespec="seconds")


def room_json(room: Room, extra: RoomExtra) -> dict[str, Any]:
    """A Room as GET /vc/v1/rooms returns it (lark_oapi.api.vc.v1.model.Room)."""
    return {
        "room_id": room.room_id, "name": room.name, "capacity": room.capacity,
        "description": extra.description, "display_id": room.display_id,
        "custom_room_id": extra.custom_room_id, "room_level_id": room.level_id, "path": list(room.path),
        "room_status": {
            "status": room.enabled, "schedule_status": room.enabled,
            "disable_start_time": 0, "disable_end_time": 0,
            "disable_reason": "" if room.enabled else "设备维修 / under maintenance",
            "contact_ids": [], "disable_notice": False, "resume_notice": False,
        },
        "device": [{"name": name} for name in extra.devices],
    }


def level_json(level: RoomLevel) -> dict[str, Any]:
    """A RoomLevel as GET /vc/v1/room_levels returns it (lark_oapi.api.vc.v1.model.RoomLevel)."""
    return {"room_level_id": level.level_id, "name": level.name, "parent_id": level.parent_id,
            "path": list(level.path), "has_child": level.has_child, "custom_group_id": ""}


def reservation_json(r: Reservation, need_topic: bool) -> dict[str, str]:
    """One room_reservation_list row: every value a string, event_title only with need_topic."""
    row = {"room_id": r.room_id, "room_name": r.room_name}
    if need_topic:
        row["event_title"] = r.topic
    row.update({
        "reserver": r.reserver, "reserver_user_id": r.reserver_id,
        "department_of_reserver": r.department,
        "guests_number": str(r.guests), "accepted_number": str(r.accepted),
        "event_start_time": feishu_time(r.start), "event_end_time": feishu_time(r.end),
        "event_duration": feishu_duration(r.duration),
        "reservation_status": r.reservation_status, "check_in_device": r.check_in_device,
        "room_check_in_status": r.check_in_status, "check_in_time": feishu_time(r.check_in_time),
        "is_release_early": r.release_early, "releasing_person": r.releaser,
        "releasing_time": feishu_time(r.release_time),
    })
    return row


def export_row(r: Reservation, need_topic: bool) -> tuple[Any, ...]:
    """One row of the export sheet, in EXPORT_HEADER order."""
    return (r.room_name, r.topic if need_topic else "", r.reserver, r.department, r.guests, r.accepted,
            feishu_time(r.start), feishu_time(r.end), feishu_duration(r.duration, pad_hours=True),
            r.reservation_status, r.check_in_device, r.check_in_status, feishu_time(r.check_in_time),
            r.releaser, feishu_time(r.release_time))


def busy_json(interval: BusyInterval) -> dict[str, Any]:
    """One free/busy interval; organizer_info omitted for private events, its name for app-created ones."""
    item: dict[str, Any] = {"start_time": rfc3339(interval.start), "end_time": rfc3339(interval.end),
                            "uid": interval.uid, "original_time": interval.original_time}
    if interval.organizer_open_id:
        organizer = {"name": interval.organizer_name} if interval.organizer_name else {}
        item["organizer_info"] = {**organizer, "open_id": interval.organizer_open_id}
    return item
