"""Understanding messages: `parse(text, now, directory)` turns text into a typed Query.

`describe(query)` turns any Query into a JSON-able dict (for `roombot parse --json`).
"""
from __future__ import annotations

import re
from dataclasses import fields, is_dataclass
from datetime import date, datetime, time
from typing import Any

from bot.queries import Query
from bot.understand.parse import parse

__all__ = ["describe", "kind_of", "parse"]


def kind_of(query: Query) -> str:
    """The snake-case kind of a query: "who_booked", "is_free", "choose_room", ..."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", type(query).__name__).lower()


def describe(query: Query) -> dict[str, Any]:
    """A JSON-able dict of a query: its kind, then every field (times as ISO strings)."""
    return {"kind": kind_of(query), **{f.name: _plain(getattr(query, f.name)) for f in fields(query)}}


def _plain(value: Any) -> Any:
    """A value as plain JSON data: dataclasses as dicts, tuples as lists, times as ISO."""
    if is_dataclass(value) and not isinstance(value, type):
        if type(value).__module__ == "bot.queries" and type(value).__name__ not in ("Window", "Place"):
            return describe(value)  # type: ignore[arg-type]
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, (datetime, time)):
        return value.isoformat(timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (tuple, list)):
        return [_plain(item) for item in value]
    return value
