"""POST im/v1/files: a file uploaded for a file message, and the `file_key` a `msg_type: file`
message must carry [DOC 上传文件: multipart form with file_type, file_name, file; at most 30 MB,
not empty; file_type one of opus, mp4, pdf, doc, xls, ppt, stream]."""
from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.sandbox.server import ApiError, Route, ok

if TYPE_CHECKING:
    from werkzeug.wrappers import Response

    from bot.sandbox.server import Call

FILE_TYPES = ("opus", "mp4", "pdf", "doc", "xls", "ppt", "stream")
MAX_BYTES = 30 * 1024 * 1024
BAD_PARAM = 234001  # the upload page's "invalid request param"


@dataclass(frozen=True)
class UploadedFile:
    file_key: str
    file_type: str
    file_name: str
    data: bytes


class FileStore:
    """Every file uploaded, by file_key."""

    def __init__(self) -> None:
        self._files: dict[str, UploadedFile] = {}
        self._lock = threading.Lock()

    def add(self, file_type: str, file_name: str, data: bytes) -> UploadedFile:
        uploaded = UploadedFile("file_v3_" + secrets.token_hex(12), file_type, file_name, data)
        with self._lock:
            self._files[uploaded.file_key] = uploaded
        return uploaded

    def get(self, file_key: str) -> UploadedFile | None:
        with self._lock:
            return self._files.get(file_key)


def upload_file(call: Call) -> Response:
    form, files = call.request.form, call.request.files
    file_type, file_name, upload = form.get("file_type"), form.get("file_name"), files.get("file")
    if file_type not in FILE_TYPES:
        raise ApiError(400, BAD_PARAM, f"invalid request param: file_type {file_type!r} is not one of {FILE_TYPES}")
    if not file_name:
        raise ApiError(400, BAD_PARAM, "invalid request param: file_name is required")
    if upload is None:  # a part without a filename is a form field, not a file
        raise ApiError(400, BAD_PARAM, "invalid request param: file is required (a file part)")
    data = upload.read()
    if not data:
        raise ApiError(400, BAD_PARAM, "invalid request param: the file is empty")
    if len(data) > MAX_BYTES:
        raise ApiError(400, BAD_PARAM, f"invalid request param: the file is over 30 MB ({len(data)} bytes)")
    return ok({"file_key": call.sb.files.add(file_type, file_name, data).file_key})


FILE_ROUTES = (Route("POST", "/open-apis/im/v1/files", upload_file, "file_upload", "im:resource"),)
