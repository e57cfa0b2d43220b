"""The async reservation export: create the task, poll it with back-off, download the xlsx."""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Any

import lark_oapi as lark
from lark_oapi.api.vc.v1 import (
    DownloadExportRequest,
    GetExportRequest,
    ResourceReservationListExportRequest,
    ResourceReservationListExportRequestBody,
)

from bot.feishu.errors import LOCAL_CODE, ExportFailed, FeishuUnavailable
from bot.feishu.resilience import Deadline, backoff_delay
from bot.feishu.transport import Transport

log = logging.getLogger(__name__)

API_EXPORT_CREATE = "/open-apis/vc/v1/exports/resource_reservation_list"
API_EXPORT_GET = "/open-apis/vc/v1/exports/:task_id"
API_EXPORT_DOWNLOAD = "/open-apis/vc/v1/exports/download"
STATUS_FAILED, STATUS_DONE = 2, 3  # 1 = processing [DOC 查询导出任务结果]


def create_export(client: lark.Client, transport: Transport, deadline: Deadline, *,
                  level_id: str, start: datetime, end: datetime, room_ids: tuple[str, ...],
                  need_topic: bool) -> str:
    """POST vc/v1/exports/resource_reservation_list; returns the task_id."""
    def send() -> Any:
        body = (ResourceReservationListExportRequestBody.builder()
                .room_level_id(level_id).need_topic(need_topic)
                .start_time(int(start.timestamp())).end_time(int(end.timestamp())))
        if room_ids:  # optional here, unlike the list API [contract §6.3]
            body = body.room_ids(list(room_ids)).is_exclude(False)
        request = ResourceReservationListExportRequest.builder().request_body(body.build())
        return client.vc.v1.export.resource_reservation_list(request.build())

    reply = transport.execute(API_EXPORT_CREATE, send, deadline)
    task_id = str(reply.data.get("task_id") or "")
    if not task_id:
        raise FeishuUnavailable(LOCAL_CODE, "export create returned no task_id",
                                reply.log_id, reply.status)
    log.info("export task %s created (log_id=%s)", task_id, reply.log_id or "-")
    return task_id


def wait_export(client: lark.Client, transport: Transport, deadline: Deadline, *,
                task_id: str, sleep: Callable[[float], None],
                progress: Callable[[str], None]) -> str:
    """Poll GET vc/v1/exports/:task_id with back-off until done (returns file_token) or failed."""
    send = partial(_send_get, client, task_id)
    attempt = 0
    while True:
        attempt += 1
        reply = transport.execute(API_EXPORT_GET, send, deadline)
        status = reply.data.get("status")
        if status == STATUS_DONE:
            return str(reply.data.get("file_token") or "")
        if status == STATUS_FAILED:
            fail_msg = str(reply.data.get("fail_msg") or "")
            log.warning("export task %s failed: %s (log_id=%s)", task_id, fail_msg,
                        reply.log_id or "-")
            raise ExportFailed(LOCAL_CODE, f"export task {task_id} failed: {fail_msg}",
                               reply.log_id, reply.status, fail_msg=fail_msg)
        progress("processing")
        delay = backoff_delay(attempt, base=0.5, cap=3.0)
        if delay >= deadline.remaining():
            raise FeishuUnavailable(
                LOCAL_CODE, f"export task {task_id} not finished within {deadline.budget:g}s "
                f"(status {status})", reply.log_id, reply.status)
        sleep(delay)


def download_export(client: lark.Client, transport: Transport, deadline: Deadline, *,
                    file_token: str) -> tuple[bytes, str]:
    """GET vc/v1/exports/download; returns the file bytes and the log_id."""
    reply = transport.execute(API_EXPORT_DOWNLOAD, partial(_send_download, client, file_token),
                              deadline, binary=True)
    return reply.content, reply.log_id


def _send_get(client: lark.Client, task_id: str) -> Any:
    return client.vc.v1.export.get(GetExportRequest.builder().task_id(task_id).build())


def _send_download(client: lark.Client, file_token: str) -> Any:
    return client.vc.v1.export.download(DownloadExportRequest.builder().file_token(file_token)
                                        .build())
