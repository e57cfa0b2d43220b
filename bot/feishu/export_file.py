"""Parse the xlsx of GET /vc/v1/exports/download into Reservation rows.

Columns are mapped by their Chinese header names, never by position: the sheet layout is
only inferred from the export resource page [DOC 导出/资源介绍], so title rows before the
header and re-ordered or extra columns are tolerated.

The file is read with python-calamine (Rust): a 20,000-row export reads and parses in about
0.5 s of CPU, against 3.5-5 s with openpyxl's read-only mode (`bench/export_reader.py`). Calamine
gives empty cells as "" and every number as a float; `_plain` turns integral floats back into ints
and date cells into datetimes, so the cell readers of bot.feishu.parsing see what openpyxl gave.
"""
from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime, time, tzinfo
from itertools import chain, islice
from typing import Any

from python_calamine import CalamineWorkbook

from bot.feishu.models import Reservation
from bot.feishu.parsing import cell_duration, cell_time, to_int, to_text

log = logging.getLogger(__name__)

# header text -> our field; the sheet has no room-id column and no 是否提前释放 column.
HEADERS: dict[str, str] = {
    "会议室名称": "room_name",
    "会议主题": "topic",
    "预定人": "reserver",
    "预定人所属部门": "department",
    "邀请人数": "guests",
    "接受人数": "accepted",
    "会议开始时间": "start",
    "会议结束时间": "end",
    "会议时长": "duration",
    "会议室预定状态": "reservation_status",
    "签到设备": "check_in_device",
    "会议室签到状态": "check_in_status",
    "会议室签到时间": "check_in_time",
    "释放人": "releaser",
    "释放时间": "release_time",
}
REQUIRED = ("room_name", "start", "end")
_HEADER_SCAN_ROWS = 10  # how far down to look for the header row (title rows above it)


class ExportFormatError(ValueError):
    """The downloaded file is not the reservation sheet we expect."""


def parse_export(data: bytes, tz: tzinfo,
                 room_ids_by_name: Mapping[str, str] | None = None) -> list[Reservation]:
    """Parse the export xlsx bytes into reservations. The sheet has no room-id column: a row's
    room_id is `room_ids_by_name[room name]` when given and known, else ""."""
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheet = book.get_sheet_by_index(0)
    except Exception as exc:  # calamine raises CalamineError, ZipError, XmlError ... alike
        raise ExportFormatError(f"export file is not a readable xlsx: {exc}") from exc
    try:
        return parse_rows(sheet.iter_rows(), tz, room_ids_by_name)  # streamed: no second copy in Python
    finally:
        book.close()


def parse_rows(rows: Iterable[Sequence[Any]], tz: tzinfo,
               room_ids_by_name: Mapping[str, str] | None = None) -> list[Reservation]:
    """Reservations from sheet rows: find the header row, then one Reservation per non-blank row.

    Each distinct cell value is read once per kind (text, time, count, duration) and every row
    shares the result: a 2,000-room day repeats a few thousand names, statuses and times over
    300,000 cells, so this costs a dictionary lookup per cell and one string object per name.
    """
    rows = iter(rows)
    head = list(islice(rows, _HEADER_SCAN_ROWS))
    columns, header_index = _find_header(head)
    readers = _Readers(tz)
    plan = [(readers.memo[kind], readers.read[kind], columns.get(name, -1))
            for name, kind in _SHEET_FIELDS]
    names = room_ids_by_name or {}
    result = []
    for values in chain(head[header_index + 1:], rows):
        width = len(values)
        cells = []
        for memo, read, i in plan:
            cell = values[i] if 0 <= i < width else None
            try:
                cells.append(memo[cell])
            except KeyError:
                memo[cell] = found = read(cell)
                cells.append(found)
        (room_name, topic, reserver, department, guests, accepted, start, end, duration,
         reservation_status, check_in_device, check_in_status, check_in_time, releaser,
         release_time) = cells
        if not room_name and _blank(values[i] for i in columns.values() if i < width):
            continue
        if start is None or end is None:
            raise ExportFormatError(f"export row without start/end time: {list(values)!r}")
        result.append(Reservation(
            names.get(room_name, ""), room_name, reserver, "", department, start, end,
            end - start if duration is None else duration, reservation_status, check_in_status,
            topic, guests, accepted, check_in_device, check_in_time, "", releaser, release_time))
    return result


# the sheet's fields in the order parse_rows unpacks them, with how each cell is read
_SHEET_FIELDS = (
    ("room_name", "text"), ("topic", "text"), ("reserver", "text"), ("department", "text"),
    ("guests", "count"), ("accepted", "count"), ("start", "time"), ("end", "time"),
    ("duration", "duration"), ("reservation_status", "text"), ("check_in_device", "text"),
    ("check_in_status", "text"), ("check_in_time", "time"), ("releaser", "text"),
    ("release_time", "time"),
)


class _Readers:
    """One memo per kind of cell (shared by the columns of that kind) and its reader."""

    def __init__(self, tz: tzinfo) -> None:
        self.memo: dict[str, dict[Any, Any]] = {kind: {} for kind in ("text", "count", "time",
                                                                      "duration")}
        self.read: dict[str, Callable[[Any], Any]] = {
            "text": lambda cell: to_text(_plain(cell)),
            "count": lambda cell: to_int(_plain(cell)),
            "time": lambda cell: cell_time(_plain(cell), tz),
            "duration": lambda cell: cell_duration(_plain(cell)),
        }


def _plain(value: Any) -> Any:
    """A cell as openpyxl would give it: 5.0 -> 5, a date cell -> a datetime at midnight."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, date) and not isinstance(value, datetime):
        return datetime.combine(value, time(0))
    return value


def _find_header(rows: Sequence[Sequence[Any]]) -> tuple[dict[str, int], int]:
    """Locate the header row among the first rows and map each known header to its column."""
    for index, values in enumerate(rows[:_HEADER_SCAN_ROWS]):
        names = [_header_name(v) for v in values]
        columns = {HEADERS[n]: i for i, n in enumerate(names) if n in HEADERS}
        if all(field in columns for field in REQUIRED):
            return columns, index
    raise ExportFormatError(
        f"no header row with {[k for k, v in HEADERS.items() if v in REQUIRED]} "
        f"in the first {_HEADER_SCAN_ROWS} rows of the export sheet"
    )


def _header_name(value: Any) -> str:
    """Normalise a header cell: strip spaces (including full-width ones)."""
    return "".join(to_text(value).split()).replace("\u3000", "")


def _blank(values: Iterable[Any]) -> bool:
    return all(v is None or to_text(v) == "" for v in values)
