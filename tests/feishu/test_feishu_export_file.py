"""The export sheet: columns found by their Chinese header names, rows parsed to Reservation."""
from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from openpyxl import Workbook

from bot.feishu.export_file import ExportFormatError, parse_export

SH = ZoneInfo("Asia/Shanghai")
HEADER = ["会议室名称", "会议主题", "预定人", "预定人所属部门", "邀请人数", "接受人数", "会议开始时间",
          "会议结束时间", "会议时长", "会议室预定状态", "签到设备", "会议室签到状态", "会议室签到时间",
          "释放人", "释放时间"]
ROW = ["Mercury", "周会", "张三", "研发", 5, "2", "2024.05.13 09:00:00 (GMT+08:00)",
       "2024.05.13 10:00:00 (GMT+08:00)", "01:00:00", "已释放（未签到被释放）", "", "超时未签到", "",
       "", "2024.05.13 09:15:00 (GMT+08:00)"]


def xlsx(*rows: Sequence[object]) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_row_in_documented_order() -> None:
    [row] = parse_export(xlsx(HEADER, ROW), SH)
    assert row.room_id == "" and row.room_name == "Mercury" and row.reserver == "张三"
    assert row.start == datetime(2024, 5, 13, 9, tzinfo=SH)
    assert row.duration == timedelta(hours=1) and (row.guests, row.accepted) == (5, 2)
    assert row.check_in_status == "超时未签到" and row.check_in_time is None
    assert row.release_time == datetime(2024, 5, 13, 9, 15, tzinfo=SH)
    assert row.topic == "周会" and row.department == "研发"


def test_columns_mapped_by_name_not_position() -> None:
    order = list(reversed(range(len(HEADER))))
    header = [HEADER[i] for i in order] + ["未知列"]
    values = [ROW[i] for i in order] + ["x"]
    assert parse_export(xlsx(header, values), SH) == parse_export(xlsx(HEADER, ROW), SH)


def test_title_rows_blank_rows_and_native_cells() -> None:
    native = list(ROW)
    native[6] = datetime(2024, 5, 13, 9, 0)  # a real date cell: naive, tenant-local
    native[7] = datetime(2024, 5, 13, 10, 0)
    native[8] = timedelta(minutes=60)
    book = parse_export(xlsx(["会议室预定数据 2024-05-13"], [], [" 会议室名称 ", *HEADER[1:]], native,
                             [None] * len(HEADER)), SH)
    assert len(book) == 1
    assert book[0].start == datetime(2024, 5, 13, 9, tzinfo=SH) and book[0].start.tzinfo is SH
    assert book[0].duration == timedelta(hours=1)


def test_missing_header_is_a_format_error() -> None:
    with pytest.raises(ExportFormatError):
        parse_export(xlsx(["a", "b"], [1, 2]), SH)


def test_not_an_xlsx_is_a_format_error() -> None:
    with pytest.raises(ExportFormatError):
        parse_export(b"<html>502 Bad Gateway</html>", SH)


def test_numbers_read_as_openpyxl_gave_them() -> None:
    """Calamine gives every number as a float: counts and numeric room names stay integral."""
    native = list(ROW)
    native[0] = 402  # a room named by its number, stored as a numeric cell
    native[4], native[5] = 12, 3.0
    [row] = parse_export(xlsx(HEADER, native), SH)
    assert row.room_name == "402" and (row.guests, row.accepted) == (12, 3)


def test_date_time_and_fraction_cells() -> None:
    """A date-only start, time-of-day and fraction-of-a-day durations, empty optional cells."""
    first, second = list(ROW), list(ROW)
    first[6], first[7], first[8] = date(2024, 5, 13), datetime(2024, 5, 13, 1, 30), time(1, 30)
    second[8], second[14] = 0.0625, None  # 1.5 h as Excel stores it; no release time
    one, two = parse_export(xlsx(HEADER, first, second), SH)
    assert one.start == datetime(2024, 5, 13, tzinfo=SH) and one.duration == timedelta(hours=1.5)
    assert two.duration == timedelta(hours=1.5) and two.release_time is None


def test_short_rows_and_the_sandbox_writer() -> None:
    """Rows shorter than the header read as blanks; the sandbox's write-only sheet parses back."""
    from bot.sandbox.exports import build_xlsx

    [row] = parse_export(xlsx(HEADER, ROW[:8]), SH)
    assert row.reservation_status == "" and row.duration == timedelta(hours=1)
    [again] = parse_export(build_xlsx(parse_export(xlsx(HEADER, ROW), SH), need_topic=True), SH)
    assert again == parse_export(xlsx(HEADER, ROW), SH)[0]


def test_empty_workbook_is_a_format_error() -> None:
    with pytest.raises(ExportFormatError):
        parse_export(xlsx(), SH)


def test_room_ids_come_from_the_names_given_and_repeated_cells_are_shared() -> None:
    other = list(ROW)
    other[0], other[6], other[7] = "Nowhere", "2024.05.13 11:00:00 (GMT+08:00)", \
        "2024.05.13 12:00:00 (GMT+08:00)"
    known, unknown = parse_export(xlsx(HEADER, ROW, other), SH, {"Mercury": "omm_mercury"})
    assert known.room_id == "omm_mercury" and unknown.room_id == ""  # resolved later, by name
    assert known.reserver is unknown.reserver  # one string object per distinct name
    assert known.release_time is unknown.release_time  # one datetime per distinct time
    assert parse_export(xlsx(HEADER, ROW), SH)[0].room_id == ""  # no names given: no ids
