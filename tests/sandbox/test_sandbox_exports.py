"""The reservation export through lark-oapi: create, poll, download, parse the xlsx."""
from __future__ import annotations

import io
from datetime import datetime, timedelta

from lark_oapi.api.vc.v1 import (
    DownloadExportRequest,
    GetExportRequest,
    ResourceReservationListExportRequest,
    ResourceReservationListExportRequestBody,
)
from openpyxl import load_workbook
from sandbox_helpers import SH, client, get, send

from bot.sandbox import Sandbox
from bot.sandbox.wire import EXPORT_HEADER, feishu_time

DAY = datetime(2025, 3, 3, tzinfo=SH)


def create(sb: Sandbox, start: datetime, end: datetime, room_ids: list[str] | None = None) -> str:
    body = (ResourceReservationListExportRequestBody.builder().room_level_id(sb.tenant.root.level_id)
            .need_topic(True).start_time(int(start.timestamp())).end_time(int(end.timestamp())))
    if room_ids:
        body = body.room_ids(room_ids)
    reply = client(sb).vc.v1.export.resource_reservation_list(
        ResourceReservationListExportRequest.builder().request_body(body.build()).build())
    assert reply.success(), reply.msg
    return reply.data.task_id


def poll(sb: Sandbox, task_id: str) -> object:
    return client(sb).vc.v1.export.get(GetExportRequest.builder().task_id(task_id).build()).data


def test_create_poll_download_matches_the_list_rows(fixed: Sandbox) -> None:
    fixed.faults.export_polls = 2
    task_id = create(fixed, DAY, DAY + timedelta(days=1))
    assert [poll(fixed, task_id).status for _ in range(2)] == [1, 1]
    done = poll(fixed, task_id)
    assert done.status == 3 and set("+/=") & set(done.file_token)
    got = client(fixed).vc.v1.export.download(DownloadExportRequest.builder().file_token(done.file_token).build())
    assert got.code == 0 and got.file_name.endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(got.file.read())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == EXPORT_HEADER
    truth = fixed.tenant.reservations_on(DAY.date())
    assert [(r[0], r[1], r[6], r[9], r[11]) for r in rows[1:]] == \
           [(t.room_name, t.topic, feishu_time(t.start), t.reservation_status, t.check_in_status) for t in truth]
    one_hour = next(r for r in rows[1:] if r[8] == "01:00:00")
    assert one_hour


def test_times_may_be_strings_and_windows_longer_than_a_day(fixed: Sandbox) -> None:
    oslo = fixed.tenant.room_by_name("Oslo").room_id
    start, end = DAY - timedelta(days=6), DAY + timedelta(days=1)
    reply = send(fixed, "POST", "/open-apis/vc/v1/exports/resource_reservation_list",
                 {"room_level_id": fixed.tenant.root.level_id, "start_time": str(int(start.timestamp())),
                  "end_time": str(int(end.timestamp())), "room_ids": [oslo]})
    task = fixed.exports.tasks[reply.json()["data"]["task_id"]]
    assert len(task.rows) == len(fixed.tenant.reservations(start, end, [oslo]))
    assert {r.room_name for r in task.rows} == {"Oslo"}


def test_more_than_31_days_is_121003(fixed: Sandbox) -> None:
    reply = send(fixed, "POST", "/open-apis/vc/v1/exports/resource_reservation_list",
                 {"room_level_id": "0", "start_time": 0, "end_time": 32 * 86400})
    assert (reply.status_code, reply.json()["code"]) == (400, 121003)


def test_forced_failure_reports_status_2(fixed: Sandbox) -> None:
    fixed.faults.export_polls = 0
    fixed.faults.export_failure = "no permission"
    status = poll(fixed, create(fixed, DAY, DAY + timedelta(hours=2)))
    assert (status.status, status.fail_msg) == (2, "no permission")


def test_unknown_task_and_file_are_121004(fixed: Sandbox) -> None:
    assert get(fixed, "/open-apis/vc/v1/exports/123").json()["code"] == 121004
    reply = client(fixed).vc.v1.export.download(DownloadExportRequest.builder().file_token("nope==").build())
    assert (reply.code, reply.raw.status_code) == (121004, 404)
