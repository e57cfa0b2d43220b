"""Card button values: a Query encoded into a small dict, and decoded back with every field re-checked."""
from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from bot.queries import (
    TENANT,
    USAGE_FOCUSES,
    Book,
    ChangeBooking,
    CurrentNoShows,
    FindFree,
    Help,
    IsFree,
    Lang,
    ListSubscriptions,
    MyBookings,
    Period,
    Place,
    Query,
    ReleaseInstance,
    ReminderChoice,
    Report,
    Subscribe,
    Unsubscribe,
    Usage,
    WhoBooked,
    Window,
)

if TYPE_CHECKING:
    from bot.directory.tree import Directory

VERSION = 1
MAX_WINDOW = timedelta(days=31)
MAX_DISTANCE = timedelta(days=90)  # a button may not ask about a window further than this from now
REPORT_KINDS = ("no_shows", "early_releases")
MAX_MORE = 5  # other places one question may carry ("is Mercury or Jupiter free")
MAX_OFFSET = 100_000  # "more rooms" never skips more candidates than a tenant has rooms
FORM_FIND_FREE = "form_find_free"  # the room finder's submit button; its answer comes from form_value


class BadAction(ValueError):
    """A button value that is malformed, stale or forged."""


def encode(query: Query) -> dict[str, Any]:
    """Encode a query as a button value (a JSON object, as the SDK requires)."""
    value: dict[str, Any] = {"v": VERSION, "lang": query.lang}
    if isinstance(query, (WhoBooked, IsFree, FindFree, Report, Usage, Book)):
        value.update(_window(query.window))
    if isinstance(query, (WhoBooked, IsFree, FindFree, Report, Subscribe, Usage, Book)):
        value["place"] = [query.place.kind, query.place.id]
    if isinstance(query, Usage):
        value["focus"] = query.focus
    if isinstance(query, Unsubscribe) and query.place is not None:
        value["place"] = [query.place.kind, query.place.id]
    if isinstance(query, (WhoBooked, IsFree)) and query.more:
        value["more"] = [[p.kind, p.id] for p in query.more]
    if isinstance(query, (CurrentNoShows, ReleaseInstance)):
        value["place"] = [query.place.kind, query.place.id]
    if isinstance(query, (ReleaseInstance, ReminderChoice)):
        value.update(room=query.room_id, uid=query.uid, at=query.start)
    if isinstance(query, ReminderChoice):
        value["do"] = query.choice
    if isinstance(query, ChangeBooking):
        value.update(key=query.key, act=query.action)
        if query.action == "extend":
            value["min"] = query.minutes
    if isinstance(query, (FindFree, Book)) and query.capacity:
        value["cap"] = query.capacity
    if isinstance(query, FindFree):
        value["cap"] = query.capacity
        if query.offset:
            value["from"] = query.offset
    if isinstance(query, (Report, Subscribe)):
        value["kinds"] = list(query.kinds)
    if isinstance(query, Subscribe) and query.at is not None:
        value["at"] = query.at.strftime("%H:%M")
    if (isinstance(query, Subscribe) and query.period != "daily") or (
            isinstance(query, Unsubscribe) and query.period is not None):
        value["period"] = query.period
    if isinstance(query, Subscribe) and query.weekday is not None:
        value["weekday"] = query.weekday
    value["q"] = _KINDS[type(query)]
    return value


_KINDS: dict[type, str] = {
    WhoBooked: "who_booked", IsFree: "is_free", FindFree: "find_free", Report: "report",
    Subscribe: "subscribe", Unsubscribe: "unsubscribe", ListSubscriptions: "subscriptions",
    Help: "help", Usage: "usage", Book: "book", MyBookings: "my_bookings",
    ChangeBooking: "booking", CurrentNoShows: "no_shows_now", ReleaseInstance: "release",
    ReminderChoice: "reminder",
}
MAX_EXTEND_MINUTES = 240


def room_finder(lang: Lang) -> dict[str, Any]:
    """The value of the room finder's submit button: the form's fields carry the question."""
    return {"v": VERSION, "q": FORM_FIND_FREE, "lang": lang}


def is_room_finder(value: Any) -> bool:
    """True for the room finder's submit button (its question is in the form, not the value)."""
    return isinstance(value, dict) and value.get("v") == VERSION and value.get("q") == FORM_FIND_FREE


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
    if kind == "my_bookings":
        return MyBookings(lang)
    if kind == "booking":
        return _change_booking(lang, value)
    if kind == "no_shows_now":
        return CurrentNoShows(lang, _place(value.get("place"), directory))
    if kind == "release":
        return _release(lang, value, directory, now)
    if kind == "reminder":
        return _reminder(lang, value, directory, now)
    if kind == "unsubscribe":
        place = _place(value["place"], directory) if "place" in value else None
        return Unsubscribe(lang, place, _period(value.get("period"), None))
    if kind == "subscribe":
        return Subscribe(lang, _kinds(value), _at(value.get("at")), _place(value.get("place"), directory),
                         _period(value.get("period"), "daily") or "daily", _weekday(value.get("weekday")))
    window = _decode_window(value, now)
    place = _place(value.get("place"), directory)
    if kind == "who_booked":
        return WhoBooked(lang, _not_tenant(place), window, _more(value.get("more"), directory))
    if kind == "is_free":
        return IsFree(lang, _not_tenant(place), window, _more(value.get("more"), directory))
    if kind == "find_free":
        capacity = _bounded_int(value.get("cap", 0), 1000, "bad capacity")
        offset = _bounded_int(value.get("from", 0), MAX_OFFSET, "bad offset")
        return FindFree(lang, window, capacity, place, offset)
    if kind == "report":
        return Report(lang, _kinds(value), window, place)
    if kind == "usage":
        return Usage(lang, place, window, _focus(value.get("focus")))
    if kind == "book":
        return Book(lang, place, window, _bounded_int(value.get("cap", 0), 1000, "bad capacity"))
    raise BadAction(f"unknown query kind {kind!r}")


def _release(lang: Lang, value: dict[str, Any], directory: Directory, now: datetime) -> ReleaseInstance:
    room, uid, at = value.get("room"), value.get("uid"), value.get("at")
    if not isinstance(room, str) or directory.room(room) is None:
        raise BadAction("room no longer exists")
    if not isinstance(uid, str) or not 0 < len(uid) <= 128:
        raise BadAction("bad uid")
    if isinstance(at, bool) or not isinstance(at, int) or abs(at - now.timestamp()) > MAX_DISTANCE.total_seconds():
        raise BadAction("bad instance start")
    return ReleaseInstance(lang, room, uid, at, _place(value.get("place"), directory))


def _reminder(lang: Lang, value: dict[str, Any], directory: Directory, now: datetime) -> ReminderChoice:
    instance = _release(lang, value, directory, now)
    choice = value.get("do")
    if choice not in ("keep", "late", "release", "stop"):
        raise BadAction("bad reminder answer")
    return ReminderChoice(lang, instance.room_id, instance.uid, instance.start, choice)


def _change_booking(lang: Lang, value: dict[str, Any]) -> ChangeBooking:
    key, act = value.get("key"), value.get("act")
    if not isinstance(key, str) or not 32 <= len(key) <= 128 or not key.isalnum():
        raise BadAction("bad booking key")
    if act not in ("cancel", "extend", "check"):
        raise BadAction("bad booking action")
    minutes = _bounded_int(value.get("min", 30), MAX_EXTEND_MINUTES, "bad minutes") or 30
    return ChangeBooking(lang, act, key, minutes=minutes)


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


def _more(raw: Any, directory: Directory) -> tuple[Place, ...]:
    """The other places of a question: a short list of rooms, floors or buildings that still exist."""
    if raw is None:
        return ()
    if not isinstance(raw, list) or len(raw) > MAX_MORE:
        raise BadAction("bad list of places")
    return tuple(_not_tenant(_place(item, directory)) for item in raw)


def _bounded_int(raw: Any, limit: int, problem: str) -> int:
    """A whole number 0..limit (a JSON bool is not a number here)."""
    if isinstance(raw, bool) or not isinstance(raw, int) or not 0 <= raw <= limit:
        raise BadAction(problem)
    return raw


def _not_tenant(place: Place) -> Place:
    if place.kind == "tenant":
        raise BadAction("question needs a room or floor")
    return place


def _kinds(value: dict[str, Any]) -> tuple[Any, ...]:
    kinds = value.get("kinds", list(REPORT_KINDS))
    if not isinstance(kinds, list) or not kinds or any(k not in REPORT_KINDS for k in kinds):
        raise BadAction("bad report kinds")
    return tuple(k for k in REPORT_KINDS if k in kinds)


def _focus(raw: Any) -> Any:
    if raw not in USAGE_FOCUSES:
        raise BadAction("bad usage focus")
    return raw


def _at(raw: Any) -> time | None:
    if raw is None:
        return None
    try:
        return time.fromisoformat(raw)
    except (TypeError, ValueError):
        raise BadAction("bad time of day") from None


def _period(value: Any, default: Period | None) -> Period | None:
    """A subscription period from a button: "daily", "weekly", or absent (the default)."""
    if value is None:
        return default
    if value not in ("daily", "weekly"):
        raise BadAction("bad period")
    return value  # type: ignore[no-any-return]


def _weekday(value: Any) -> int | None:
    """A weekly digest's weekday from a button: 0 (Monday) to 6, or absent."""
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 6:
        raise BadAction("bad weekday")
    return value
