"""Log lines as text or JSON, carrying the fields of the item being answered.

    logs.configure(settings.log, process="worker-1")     # once per process, at the edge
    with logs.context(event_id=..., chat_id=..., text=...):
        logs.bind(kind="who_booked")                       # learnt later in the same answer
        log.info("answered")                               # -> event_id, chat_id, kind as fields

The fields live in a context variable, so every line logged while an item is handled carries
them, from whichever module. What people wrote (`text`) is dropped by both formatters unless
`[log] include_text = true`: message text is personal, log pipelines are not.
"""
from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from bot.config import LogSettings

FIELDS = ("event_id", "chat_id", "log_id", "kind", "outcome")  # in this order, when present
TEXT_FORMAT = "%(asctime)s %(levelname)s {process}%(name)s: %(message)s"

_fields: ContextVar[dict[str, Any] | None] = ContextVar("roombot_log_fields", default=None)


@contextmanager
def context(**fields: Any) -> Iterator[dict[str, Any]]:
    """Attach fields to every line logged inside the block (nested blocks add to the outer)."""
    token = _fields.set({**(_fields.get() or {}), **_nonempty(fields)})
    try:
        yield _fields.get() or {}
    finally:
        _fields.reset(token)


def bind(**fields: Any) -> None:
    """Add fields to the innermost open `context` (nothing happens outside one)."""
    current = _fields.get()
    if current is not None:
        current.update(_nonempty(fields))


def current() -> dict[str, Any]:
    """A copy of the fields in effect here."""
    return dict(_fields.get() or {})


def _nonempty(fields: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in fields.items() if value not in (None, "")}


def _record_fields(record: logging.LogRecord, include_text: bool) -> dict[str, Any]:
    """The context's fields, overridden by `extra=` fields of the call; text only if allowed."""
    found = current()
    for key in (*FIELDS, "text"):
        value = getattr(record, key, None)
        if value not in (None, ""):
            found[key] = value
    if not include_text:
        found.pop("text", None)
    return found


class TextFormatter(logging.Formatter):
    """The classic line, then the fields as key=value."""

    def __init__(self, include_text: bool = False, process: str = "") -> None:
        super().__init__(TEXT_FORMAT.format(process=f"{process} " if process else ""))
        self.include_text = include_text

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        fields = _record_fields(record, self.include_text)
        extra = " ".join(f"{key}={_quoted(value) if key == 'text' else value}"
                         for key, value in fields.items())
        if not extra:
            return line
        head, newline, rest = line.partition("\n")  # a traceback stays below the fields
        return f"{head} [{extra}]{newline}{rest}"


def _quoted(text: Any) -> str:
    return json.dumps(text, ensure_ascii=False)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, process, message, fields, exception."""

    def __init__(self, include_text: bool = False, process: str = "") -> None:
        super().__init__()
        self.include_text = include_text
        self.process = process

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname, "logger": record.name,
            "process": self.process or str(record.process), "message": record.getMessage(),
        }
        entry.update(_record_fields(record, self.include_text))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def formatter(settings: LogSettings, process: str = "") -> logging.Formatter:
    """The formatter `[log] format` asks for."""
    kind = JsonFormatter if settings.format == "json" else TextFormatter
    return kind(include_text=settings.include_text, process=process)


def configure(settings: LogSettings | None = None, *, process: str = "",
              level: str = "INFO") -> None:
    """Send every log line to stderr in the configured format (replaces earlier handlers)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter(settings or LogSettings(), process))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
