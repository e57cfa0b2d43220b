"""Card button values: a Query encoded into a small dict, and decoded back with every field re-checked."""
from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from bot.queries import (
    TENANT,
    FindFree,
    Help,
    IsFree,
    ListSubscriptions,
    Place,
    Query,
    Report,
    Subscribe,
    Unsubscribe,
    WhoBooked,
    Window,
)

if TYPE_CHECKING:
    from bot.directory import Directory

VERSION = 1
MAX_WINDOW = timedelta(days=31)
MAX_DISTANCE = timedelta(days=90)  # a button may not ask about a window further than this from now
REPORT_KINDS = ("no_shows", "early_releases")


class BadAction(ValueError):
    """A button value that is malformed, stale or forged."""


def encode(query: Query) -> dict[str, Any]:
    """Encode a query as a button value (a JSON object, as the SDK requires)."""
    value: dict[str, Any] = {"v": VERSION, "lang": query.lang}
    if isinstance(query, (WhoBooked, IsFree, FindFree, Report)):
        value.update(_window(query.window))
    if isinstance(query, (WhoBooked, IsFree, FindFree, Report, Subscribe)):
        value["place"] = [query.place.kind, query.place.id]
    if isinstance(query, Unsubscribe) and query.place is not None:
        value["place"] = [query.place.kind, query.place.id]
    if isinstance(query, FindFree):
        value["cap"] = query.capacity
    if isinstance(query, (Report, Subscribe)):
        value["kinds"] = list(query.kinds)
    if isinstance(query, Subscribe) and query.at is not None:
        value["at"] = query.at.strftime("%H:%M")
    value["q"] = _KINDS[type(query)]
    return value


_KINDS: dict[type, str] = {
    WhoBooked: "who_booked", IsFree: "is_free", FindFree: "find_free", Report: "report",
    Subscribe: "subscribe", Unsubscribe: "unsubscribe", ListSubscriptions: "subscriptions",
    Help: "help",
}


def _window(window: Window) -> dict[str, Any]:
    return {"start": window.start.isoformat(), "end": window.end.isoformat(),
            "day": window.whole_day, "label": window.label}


def decode(value: Any, directory: Directory, now: datetime) -> Query:
    """Turn a clicked button's value back into a Query, trusting nothing the client sent."""
    if not isinstance(value, dict) or value.get("v") != VERSION:
        raise BadAction("unknown button value")
    lang = "zh" if value.get("lang") == "zh" else "en"
    kind = value.get("q")
    if kind == "help":
        return Help(lang)
    if kind == "subscriptions":
        return ListSubscriptions(lang)
    if kind == "unsubscribe":
        place = _place(value["place"], directory) if "place" in value else None
        return Unsubscribe(lang, place)
    if kind == "subscribe":
        return Subscribe(lang, _kinds(value), _at(value.get("at")), _place(value.get("place"), directory))
    window = _decode_window(value, now)
    place = _place(value.get("place"), directory)
    if kind == "who_booked":
        return WhoBooked(lang, _not_tenant(place), window)
    if kind == "is_free":
        return IsFree(lang, _not_tenant(place), window)
    if kind == "find_free":
        capacity = value.get("cap", 0)
        if not isinstance(capacity, int) or not 0 <= capacity <= 1000:
            raise BadAction("bad capacity")
        return FindFree(lang, window, capacity, place)
    if kind == "report":
        return Report(lang, _kinds(value), window, place)
    raise BadAction(f"unknown query kind {kind!r}")


def _decode_window(value: dict[str, Any], now: datetime) -> Window:
    try:
        start = datetime.fromisoformat(value["start"]).astimezone(now.tzinfo)
        end = datetime.fromisoformat(value["end"]).astimezone(now.tzinfo)
    except (KeyError, TypeError, ValueError):
        raise BadAction("bad window") from None
    if not start < end or end - start > MAX_WINDOW:
        raise BadAction("bad window length")
    if abs(start - now) > MAX_DISTANCE:
        raise BadAction("window too far from now")
    label = value.get("label", "")
    return Window(start, end, bool(value.get("day")), label if isinstance(label, str) else "")


def _place(raw: Any, directory: Directory) -> Place:
    if raw is None:
        return TENANT
    if not (isinstance(raw, list) and len(raw) == 2 and all(isinstance(x, str) for x in raw)):
        raise BadAction("bad place")
    kind, ident = raw
    if kind == "tenant":
        return TENANT
    if kind == "room":
        room = directory.room(ident)
        if room is None:
            raise BadAction("room no longer exists")
        return directory.room_place(room)
    level = directory.level(ident)
    if kind in ("floor", "building") and level is not None:
        return directory.level_place(level)
    raise BadAction("place no longer exists")


def _not_tenant(place: Place) -> Place:
    if place.kind == "tenant":
        raise BadAction("question needs a room or floor")
    return place


def _kinds(value: dict[str, Any]) -> tuple[Any, ...]:
    kinds = value.get("kinds", list(REPORT_KINDS))
    if not isinstance(kinds, list) or not kinds or any(k not in REPORT_KINDS for k in kinds):
        raise BadAction("bad report kinds")
    return tuple(k for k in REPORT_KINDS if k in kinds)


def _at(raw: Any) -> time | None:
    if raw is None:
        return None
    try:
        return time.fromisoformat(raw)
    except (TypeError, ValueError):
        raise BadAction("bad time of day") from None
