"""A submitted room-finder form (`action.form_value` of card.action.trigger) -> FindFree, or what is wrong.

Pure and strict, like the text parser: every field is checked for its type, length and format
before it is read, and a bad field gives a `FormError` (shown on the form again), never an
exception. Fields, by their `name` in the card (templates/_find_form.json.j2):

| field       | component       | accepted                                                        |
|-------------|-----------------|-----------------------------------------------------------------|
| `rf_date`   | date_picker     | "YYYY-MM-DD", optionally followed by the client's " +0800"       |
| `rf_start`  | picker_time     | "HH:MM" (00:00-23:59), optionally followed by " +0800"           |
| `rf_end`    | picker_time     | the same, after the start, at most `MAX_WINDOW` later            |
| `rf_people` | input           | empty (any size), or a whole number 1-1000 (full-width digits ok) |
| `rf_place`  | select_static   | empty or "anywhere", "building:<level_id>", "floor:<level_id>"   |

Times are read in the tenant timezone (the form says so): Feishu appends the client's offset
to picked values as a reference only, not as the timezone the person meant [DOC date picker].
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from bot.queries import TENANT, FindFree, Lang, Place, Window
from bot.understand import actions

if TYPE_CHECKING:
    from bot.directory.tree import Directory

DATE, START, END, PEOPLE, PLACE = "rf_date", "rf_start", "rf_end", "rf_people", "rf_place"
FIELDS = (DATE, START, END, PEOPLE, PLACE)
ANYWHERE = "anywhere"
MAX_TEXT = 64  # longer than any value the form's components can produce
MAX_PEOPLE = 1000
MAX_WINDOW = timedelta(hours=12)
MAX_DAYS_AWAY = 90  # as far as a button may ask (bot/understand/actions.py MAX_DISTANCE)

_OFFSET = r"(?: [+-]\d{4})?"
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})" + _OFFSET)
_TIME = re.compile(r"([01]\d|2[0-3]):([0-5]\d)" + _OFFSET)
_PEOPLE = re.compile(r"[0-9]{1,4}")


@dataclass(frozen=True)
class FormError:
    """Why a submitted form cannot be asked, and the fields that were fine (to fill the form again)."""

    lang: Lang
    reason: str  # missing_date, bad_date, missing_time, bad_time, end_before_start, too_long,
    #              past, too_far, bad_people, unknown_place
    field: str  # the field at fault (one of FIELDS), "" for the window as a whole
    filled: dict[str, str] = field(default_factory=dict)


class _Bad(ValueError):
    """One field is wrong: `reason` says how."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(reason)
        self.name, self.reason = name, reason


def is_room_finder(value: Mapping[str, Any], form_value: Mapping[str, Any]) -> bool:
    """True for a room-finder submission: its submit button's value, or (a client that drops a
    submit button's value) a value-less action whose form holds the finder's fields."""
    return actions.is_room_finder(value) or (not value and bool(set(form_value) & set(FIELDS)))


def read_form(form_value: Mapping[str, Any], lang: Lang, now: datetime,
              directory: Directory) -> FindFree | FormError:
    """The FindFree a submitted room finder asks, or a FormError naming the first problem."""
    filled: dict[str, str] = {}
    try:
        day = _field(form_value, DATE, _date, filled)
        start = _field(form_value, START, _time, filled)
        end = _field(form_value, END, _time, filled)
        people = _field(form_value, PEOPLE, _people, filled)
        place = _field(form_value, PLACE, lambda raw: _place(raw, directory), filled)
        window = _window(day, start, end, now)
    except _Bad as bad:
        filled.pop(bad.name, None)
        return FormError(lang, bad.reason, bad.name, filled)
    return FindFree(lang, window, people, place)


def _field(form_value: Mapping[str, Any], name: str, read: Callable[[Any], Any],
           filled: dict[str, str]) -> Any:
    """Read one field; remember its clean text for the form when it is fine."""
    raw = form_value.get(name)
    try:
        value = read(raw)
    except _Bad as bad:
        raise _Bad(name, bad.reason) from None
    if isinstance(raw, (str, int)) and not isinstance(raw, bool):
        filled[name] = _clean(name, value)
    return value


def _clean(name: str, value: Any) -> str:
    """The text to put back into a field: normalised, never the raw submission."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, Place):
        return place_value(value)
    return str(value) if name == PEOPLE and value else ""


def _text(raw: Any, missing: str, bad: str) -> str:
    """A non-empty, short string; `missing` when absent or empty, `bad` for any other type."""
    if raw is None or raw == "":
        raise _Bad("", missing)
    if not isinstance(raw, str) or len(raw) > MAX_TEXT:
        raise _Bad("", bad)
    return raw.strip()


def _date(raw: Any) -> date:
    match = _DATE.fullmatch(_text(raw, "missing_date", "bad_date"))
    if not match:
        raise _Bad("", "bad_date")
    try:
        return date(*(int(part) for part in match.groups()))
    except ValueError:
        raise _Bad("", "bad_date") from None


def _time(raw: Any) -> time:
    match = _TIME.fullmatch(_text(raw, "missing_time", "bad_time"))
    if not match:
        raise _Bad("", "bad_time")
    return time(int(match.group(1)), int(match.group(2)))


def _people(raw: Any) -> int:
    """Empty means any size; otherwise 1..MAX_PEOPLE as digits (or a JSON whole number)."""
    if raw is None or raw == "":
        return 0
    if isinstance(raw, int) and not isinstance(raw, bool):
        number = raw
    elif isinstance(raw, str) and len(raw) <= MAX_TEXT:
        digits = unicodedata.normalize("NFKC", raw).strip()
        if not digits:
            return 0
        if not _PEOPLE.fullmatch(digits):
            raise _Bad("", "bad_people")
        number = int(digits)
    else:
        raise _Bad("", "bad_people")
    if not 1 <= number <= MAX_PEOPLE:
        raise _Bad("", "bad_people")
    return number


def _place(raw: Any, directory: Directory) -> Place:
    """Anywhere, or a building or floor that exists and is of the kind the option says."""
    if raw is None or raw == "" or raw == ANYWHERE:
        return TENANT
    if not isinstance(raw, str) or len(raw) > MAX_TEXT * 2:
        raise _Bad("", "unknown_place")
    kind, _, level_id = raw.partition(":")
    level = directory.level(level_id) if level_id else None
    if level is None or directory.is_root(level.level_id):
        raise _Bad("", "unknown_place")
    place = directory.level_place(level)
    if place.kind != kind:
        raise _Bad("", "unknown_place")
    return place


def place_value(place: Place) -> str:
    """The select option value of a place (the inverse of `_place`)."""
    return ANYWHERE if place.kind == "tenant" else f"{place.kind}:{place.id}"


def _window(day: date, start: time, end: time, now: datetime) -> Window:
    """The asked window in the tenant timezone, checked like a typed time."""
    if abs((day - now.date()).days) > MAX_DAYS_AWAY:
        raise _Bad(DATE, "too_far")
    begin = datetime.combine(day, start, tzinfo=now.tzinfo)
    finish = datetime.combine(day, end, tzinfo=now.tzinfo)
    if finish <= begin:
        raise _Bad(END, "end_before_start")
    if finish - begin > MAX_WINDOW:
        raise _Bad(END, "too_long")
    if finish <= now:
        raise _Bad(END, "past")
    return Window(begin, finish)
