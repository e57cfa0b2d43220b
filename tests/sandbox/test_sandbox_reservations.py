"""GET vc/v1/resource_reservation_list through lark-oapi: rows, paging, parameters, documented errors."""
from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from lark_oapi.api.vc.v1 import GetResourceReservationListRequest
from sandbox_helpers import NOW, SH, client, get

from bot.sandbox import Sandbox
from bot.sandbox.wire import feishu_time

PATH = "/open-apis/vc/v1/resource_reservation_list"
MIDNIGHT = datetime(2025, 3, 4, tzinfo=SH)
YESTERDAY = MIDNIGHT - timedelta(days=1)
TIME_FORMAT = re.compile(r"^\d{4}\.\d{2}\.\d{2} \d{2}:\d{2}:\d{2} \(GMT\+08:00\)$")


def request(start: datetime, end: datetime, room_ids: list[str], *, is_exclude: bool = False,
            need_topic: bool = False, page_size: int = 100, page_token: str | None = None,
            level: str = "0") -> GetResourceReservationListRequest:
    builder = (GetResourceReservationListRequest.builder().room_level_id(level).room_ids(room_ids)
               .is_exclude(is_exclude).need_topic(need_topic).start_time(str(int(start.timestamp())))
               .end_time(str(int(end.timestamp()))).page_size(page_size))
    return (builder.page_token(page_token) if page_token else builder).build()


def every_page(sb: Sandbox, **kwargs: object) -> tuple[list, int]:
    sdk, rows, token, pages = client(sb), [], None, 0
    while True:
        reply = sdk.vc.v1.resource_reservation_list.get(request(**kwargs, page_token=token))
        assert reply.success(), (reply.code, reply.msg)
        rows += reply.data.room_reservation_list or []
        pages += 1
        if not reply.data.has_more:
            return rows, pages
        token = reply.data.page_token


def params(**overrides: object) -> dict[str, object]:
    base = {"room_level_id": "0", "room_ids": ["omm_none"], "is_exclude": "true",
            "start_time": int(YESTERDAY.timestamp()), "end_time": int(MIDNIGHT.timestamp())}
    return {**base, **overrides}


def test_whole_tenant_yesterday_pages_and_matches_ground_truth(fixed: Sandbox) -> None:
    rows, pages = every_page(fixed, start=YESTERDAY, end=MIDNIGHT, room_ids=["omm_none"], is_exclude=True,
                             page_size=20)
    truth = fixed.tenant.reservations_on(YESTERDAY.date())
    assert pages > 5
    assert len(rows) == len(truth)
    assert [(r.room_id, r.event_start_time, r.reservation_status) for r in rows] == \
           [(t.room_id, feishu_time(t.start), t.reservation_status) for t in truth]
    assert fixed.calls_to(PATH)[1].query["page_token"]


def test_values_are_strings_in_the_documented_formats(fixed: Sandbox) -> None:
    reply = get(fixed, PATH, params(need_topic="true"))
    rows = reply.json()["data"]["room_reservation_list"]
    assert rows and all(isinstance(v, str) for row in rows for v in row.values())
    row = rows[0]
    assert TIME_FORMAT.match(row["event_start_time"]) and TIME_FORMAT.match(row["event_end_time"])
    assert re.fullmatch(r"\d+:\d{2}:\d{2}", row["event_duration"])
    assert "event_title" in row
    without_topic = get(fixed, PATH, params()).json()["data"]["room_reservation_list"]
    assert all("event_title" not in r for r in without_topic)


@pytest.mark.parametrize("spelling", ["True", "true"])
def test_booleans_in_either_spelling(fixed: Sandbox, spelling: str) -> None:
    reply = get(fixed, PATH, params(is_exclude=spelling, need_topic=spelling))
    assert reply.json()["code"] == 0
    assert "event_title" in reply.json()["data"]["room_reservation_list"][0]


def test_room_ids_select_and_is_exclude_excludes(fixed: Sandbox) -> None:
    oslo = fixed.tenant.room_by_name("Oslo").room_id
    only, _ = every_page(fixed, start=YESTERDAY, end=MIDNIGHT, room_ids=[oslo, "omm_unknown"])
    assert only and {r.room_id for r in only} == {oslo}
    others, _ = every_page(fixed, start=YESTERDAY, end=MIDNIGHT, room_ids=[oslo], is_exclude=True)
    assert oslo not in {r.room_id for r in others} and len(others) > len(only)


def test_today_until_midnight_shows_meetings_to_come(fixed: Sandbox) -> None:
    rows, _ = every_page(fixed, start=MIDNIGHT, end=MIDNIGHT + timedelta(days=1), room_ids=["x"],
                         is_exclude=True)
    later = [r for r in rows if r.event_start_time > feishu_time(NOW + timedelta(minutes=15))]
    assert later and {r.room_check_in_status for r in later} <= {
        "待签到", "无需签到（未开启签到设置）", "无需签到（即时预定）", "无需签到（未安装签到设备）", "无需签到"}
    assert {r.reservation_status for r in later} <= {"预定成功", "审批中"}


def test_point_in_time_window_finds_meetings_in_progress(fixed: Sandbox) -> None:
    at = int(NOW.timestamp())
    rows = get(fixed, PATH, params(start_time=at, end_time=at)).json()["data"]["room_reservation_list"]
    assert rows
    assert all(r["event_start_time"] <= feishu_time(NOW) < r["event_end_time"] for r in rows)


@pytest.mark.parametrize(("overrides", "code"), [
    ({"start_time": int((NOW + timedelta(minutes=1)).timestamp())}, 126005),
    ({"start_time": -1}, 126005),
    ({"end_time": int((YESTERDAY - timedelta(seconds=1)).timestamp())}, 126006),
    ({"end_time": int((MIDNIGHT + timedelta(seconds=1)).timestamp())}, 126006),
    ({"page_size": 19}, 121003),
    ({"page_size": 101}, 121003),
    ({"room_ids": []}, 121003),
    ({"room_level_id": ""}, 121003),
    ({"is_exclude": "yes"}, 121003),
])
def test_documented_errors(fixed: Sandbox, overrides: dict[str, object], code: int) -> None:
    reply = get(fixed, PATH, params(**overrides))
    assert (reply.status_code, reply.json()["code"]) == (400, code)


def test_sdk_sees_126005_as_a_failed_response(fixed: Sandbox) -> None:
    reply = client(fixed).vc.v1.resource_reservation_list.get(
        request(NOW + timedelta(hours=1), NOW + timedelta(hours=2), ["x"], is_exclude=True))
    assert (reply.success(), reply.code, reply.raw.status_code) == (False, 126005, 400)


def test_paging_reuses_the_generated_day(fixed: Sandbox) -> None:
    every_page(fixed, start=YESTERDAY, end=MIDNIGHT, room_ids=["x"], is_exclude=True, page_size=20)
    key = next(iter(fixed._queries))
    first = fixed._queries[key]
    every_page(fixed, start=YESTERDAY, end=MIDNIGHT, room_ids=["x"], is_exclude=True, page_size=20)
    assert fixed._queries[key] is first
