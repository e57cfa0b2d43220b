"""Bookings as a file: "export 5F bookings last month" / "导出5楼上个月的预订" builds an xlsx of the
place's reservations over the window (the list API for short windows, the export beyond: the same
reads as the usage card), for `[exports] admins` only, with the privacy settings applied to the
file as to the cards. The Responder uploads it (im/v1/files) and replies with a file message."""
from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.answer.bookings import names_visible
from bot.answer.report import report_days
from bot.answer.usage import fetch
from bot.feishu.models import Reservation
from bot.insights import working_time
from bot.queries import ExportBookings, Lang, Reply
from bot.render.sheet import xlsx as sheet_file

if TYPE_CHECKING:
    from bot.answer import AnswerContext

COLUMNS = (("会议室", "Room"), ("位置", "Where"), ("开始", "Start"), ("结束", "End"),
           ("预定人", "Reserver"), ("部门", "Department"), ("预定状态", "Reservation status"),
           ("签到状态", "Check-in"), ("签到时间", "Checked in at"), ("释放时间", "Released at"))
NAME_COLUMNS = {4, 5}  # reserver and department: hidden where names are
UNSAFE = re.compile(r"[^\w\u3400-\u9fff.-]+")


def export_bookings(query: ExportBookings, ctx: AnswerContext) -> tuple[Reply, bytes | None, str]:
    """(the card, the xlsx or None, the file name)."""
    base = {"place": query.place.label, "label": query.window.label, "rows": 0, "sent": False}
    if ctx.user_open_id not in ctx.settings.exports.admins:
        return Reply("export", {**base, "status": "refused"}, query.lang), None, ""
    days = report_days(query.window, ctx.now)
    if not days:
        return Reply("export", {**base, "status": "future"}, query.lang), None, ""
    window = working_time.Window(days[0], days[-1], ctx.now, ctx.settings.insights.working)
    rows, _method = fetch(query.place, ctx, window)
    rooms = {room.room_id for room in ctx.directory.place_rooms(query.place)}
    rows = [r for r in rows if (not r.room_id or r.room_id in rooms)
            and r.end > query.window.start and r.start < query.window.end]
    names = names_visible(ctx.settings, ctx.chat_type)
    data = {**base, "rows": len(rows), "first": days[0], "last": days[-1], "names": names}
    if not rows:
        return Reply("export", {**data, "status": "empty"}, query.lang), None, ""
    label = UNSAFE.sub("-", query.place.label or ("全部" if query.lang == "zh" else "all")).strip("-")
    name = f"roombot-{label}-{days[0]:%Y%m%d}-{days[-1]:%Y%m%d}.xlsx"
    return (Reply("export", {**data, "status": "ok", "file": name}, query.lang),
            xlsx(rows, query.lang, names, ctx), name)


def xlsx(rows: Sequence[Reservation], lang: Lang, names: bool, ctx: AnswerContext) -> bytes:
    """The rows as one sheet, in the tenant's time; names and departments only where allowed."""
    keep = [i for i in range(len(COLUMNS)) if names or i not in NAME_COLUMNS]
    lines = []
    tz = ctx.settings.bot.tz
    by_name = {room.name: room for room in ctx.directory.rooms}
    for r in sorted(rows, key=lambda r: (r.start, r.room_name)):
        room = ctx.directory.room(r.room_id) or by_name.get(r.room_name)
        cells = [r.room_name, ctx.directory.location_label(room) if room else "",
                 _local(r.start, tz), _local(r.end, tz), r.reserver, r.department,
                 r.reservation_status, r.check_in_status, _local(r.check_in_time, tz),
                 _local(r.release_time, tz)]
        lines.append([cells[i] for i in keep])
    return sheet_file("预订" if lang == "zh" else "Bookings",
                      [COLUMNS[i][0 if lang == "zh" else 1] for i in keep], lines)


def _local(at, tz) -> str:  # type: ignore[no-untyped-def]
    return at.astimezone(tz).strftime("%Y-%m-%d %H:%M") if at else ""
