"""The asynchronous reservation export: create a task, poll it, download an .xlsx."""
from __future__ import annotations

import base64
import itertools
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Response

from bot.feishu.models import Reservation
from bot.render.sheet import xlsx
from bot.sandbox import wire
from bot.sandbox.server import ApiError, Call, Route, ok, param_error
from bot.sandbox.vc_api import parse_bool, parse_int, selected_rooms

if TYPE_CHECKING:
    from bot.sandbox.sandbox import Sandbox

MAX_EXPORT_SECONDS = 31 * 86400
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHEET_TITLE = "会议室预定数据"
_task_ids = itertools.count(7111325589855797267)


@dataclass
class ExportTask:
    """One export: its rows are fixed when it is created; the file is built once it is done."""

    task_id: str
    created: float
    rows: list[Reservation]
    need_topic: bool
    start: datetime
    polls: int = 0
    file_token: str = ""
    file: bytes = field(default=b"", repr=False)


def new_file_token() -> str:
    """A base64-like file token that always holds '+', '/' and '=' (the SDK must URL-encode it)."""
    return base64.b64encode(b"\xfb\xff\xbf" + secrets.token_bytes(29)).decode()


def build_xlsx(rows: list[Reservation], need_topic: bool) -> bytes:
    """The export sheet: the documented header row, then one row per reservation."""
    return xlsx(SHEET_TITLE, wire.EXPORT_HEADER, (wire.export_row(row, need_topic) for row in rows))


class ExportStore:
    """Export tasks of one sandbox; how long they take and whether they fail is set in sb.faults."""

    def __init__(self, sb: Sandbox) -> None:
        self.sb = sb
        self.tasks: dict[str, ExportTask] = {}
        self._files: dict[str, ExportTask] = {}
        self._lock = threading.Lock()

    def create(self, rows: list[Reservation], need_topic: bool, start: datetime) -> ExportTask:
        """Register a task holding its rows."""
        task = ExportTask(str(next(_task_ids)), time.monotonic(), rows, need_topic, start)
        with self._lock:
            self.tasks[task.task_id] = task
        return task

    def poll(self, task_id: str) -> dict[str, Any]:
        """The task's status payload: 1 processing, then 3 done (or 2 failed)."""
        with self._lock:
            task = self.tasks.get(task_id)
            if task is None:
                raise ApiError(404, 121004, "data not exist")
            task.polls += 1
            faults = self.sb.faults
            if task.polls <= faults.export_polls or time.monotonic() - task.created < faults.export_seconds:
                return {"status": 1, "url": "", "file_token": "", "fail_msg": ""}
            if faults.export_failure:
                return {"status": 2, "url": "", "file_token": "", "fail_msg": faults.export_failure}
            if not task.file_token:
                task.file = build_xlsx(task.rows, task.need_topic)
                task.file_token = new_file_token()
                self._files[task.file_token] = task
        url = f"{self.sb.url}/open-apis/vc/v1/exports/download?file_token={task.file_token}"
        return {"status": 3, "url": url, "file_token": task.file_token, "fail_msg": ""}

    def file(self, file_token: str) -> ExportTask:
        """The finished task behind a file token, or 121004."""
        with self._lock:
            task = self._files.get(file_token)
        if task is None:
            raise ApiError(404, 121004, "data not exist")
        return task


def _json_bool(body: dict[str, Any], name: str) -> bool:
    value = body.get(name, False)
    if isinstance(value, str):
        return parse_bool(value, name)
    if not isinstance(value, bool):
        raise param_error(f"{name} must be a boolean")
    return value


def create_export(call: Call) -> Response:
    """POST vc/v1/exports/resource_reservation_list: times as JSON numbers or strings, room_ids optional."""
    body = call.body()
    level_id = body.get("room_level_id")
    if not isinstance(level_id, str) or not level_id:
        raise param_error("room_level_id is required")
    start, end = parse_int(body.get("start_time"), "start_time"), parse_int(body.get("end_time"), "end_time")
    if start < 0 or end < start or end - start > MAX_EXPORT_SECONDS:
        raise param_error("the export window must be 0 <= start_time <= end_time, at most 31 days")
    room_ids = body.get("room_ids") or []
    if not isinstance(room_ids, list) or not all(isinstance(r, str) for r in room_ids):
        raise param_error("room_ids must be a list of strings")
    is_exclude = _json_bool(body, "is_exclude") or not room_ids
    need_topic = _json_bool(body, "need_topic")
    rooms = selected_rooms(call, level_id, room_ids, is_exclude)
    tenant = call.sb.tenant
    rows = tenant.shown(tenant.book.between(start, end, rooms), need_topic)
    task = call.sb.exports.create(rows, need_topic, datetime.fromtimestamp(start, tenant.tz))
    return ok({"task_id": task.task_id})


def get_export(call: Call) -> Response:
    """GET vc/v1/exports/:task_id."""
    return ok(call.sb.exports.poll(call.params["task_id"]))


def download_export(call: Call) -> Response:
    """GET vc/v1/exports/download?file_token=...: the raw .xlsx with a Content-Disposition file name."""
    task = call.sb.exports.file(call.arg("file_token") or "")
    name = f"resource_reservation_list_{task.start:%Y%m%d}_{task.task_id}.xlsx"
    response = Response(task.file, status=200, content_type=XLSX_TYPE,
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})
    response.feishu_code = 0  # type: ignore[attr-defined]
    return response


EXPORT_ROUTES = (
    Route("POST", "/open-apis/vc/v1/exports/resource_reservation_list", create_export, "export_create",
          "vc:export"),
    Route("GET", "/open-apis/vc/v1/exports/download", download_export, "export_download", "vc:export"),
    Route("GET", "/open-apis/vc/v1/exports/:task_id", get_export, "export_get", "vc:export"),
)
