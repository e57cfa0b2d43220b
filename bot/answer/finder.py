"""The room-finder form on the help and free-room cards: its initial values and place options, and
the form shown again with what was wrong when a submission does not hold (bot/understand/form.py).
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.answer import windows
from bot.queries import TENANT, Lang, Place, Reply, Window
from bot.understand import actions, form
from bot.understand.normalise import floor_key

if TYPE_CHECKING:
    from bot.answer import AnswerContext
    from bot.directory.tree import Directory
    from bot.feishu.models import RoomLevel

MAX_PLACE_OPTIONS = 60  # a select of buildings and floors stays a few KB of the 30 KB card
DEFAULT_LENGTH = timedelta(hours=1)


def form_data(lang: Lang, ctx: AnswerContext, window: Window | None = None, capacity: int = 0,
              place: Place = TENANT, filled: dict[str, str] | None = None) -> dict[str, Any]:
    """The form's submit value, initial values (from a question, else the next hour) and places."""
    start, end = _initial_times(window, ctx)
    values = {form.DATE: start.date().isoformat(), form.START: start.strftime("%H:%M"),
              form.END: end.strftime("%H:%M"), form.PEOPLE: str(capacity) if capacity else "",
              form.PLACE: form.place_value(place)}
    values.update(filled or {})
    _keep_in_order(values, set(filled or ()))
    return {"value": actions.room_finder(lang), "fields": values,
            "places": place_options(ctx.directory, place),
            "timezone": ctx.settings.bot.timezone}


def _keep_in_order(values: dict[str, str], kept: set[str]) -> None:
    """Move the default end (or start) so the form shown again asks a window that holds: an end
    an hour after a kept start, or a start an hour before a kept end."""
    start, end = values[form.START], values[form.END]
    if start < end:  # "HH:MM" strings order like times
        return
    hour = timedelta(hours=1)
    if form.END in kept and form.START not in kept:
        values[form.START] = _clock(max(_minutes(end) - hour, timedelta(0)))
    else:
        values[form.END] = _clock(min(_minutes(start) + hour, timedelta(hours=23, minutes=59)))


def _minutes(clock: str) -> timedelta:
    hours, minutes = clock.split(":")
    return timedelta(hours=int(hours), minutes=int(minutes))


def _clock(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def form_error_reply(error: form.FormError, ctx: AnswerContext) -> Reply:
    """The room finder again, its good fields kept, with the problem above it."""
    data = {"reason": error.reason, "field": error.field, "max_hours": _hours(form.MAX_WINDOW),
            "max_days": form.MAX_DAYS_AWAY, "max_people": form.MAX_PEOPLE, "now": ctx.now,
            "finder": form_data(error.lang, ctx, filled=error.filled)}
    return Reply(card="find_form", data=data, lang=error.lang)


def _hours(delta: timedelta) -> int:
    return int(delta.total_seconds() // 3600)


def _initial_times(window: Window | None, ctx: AnswerContext) -> tuple[datetime, datetime]:
    """A start and end within one day: the question's window, or a slot from now (or 09:00)."""
    minutes = ctx.settings.bot.slot_minutes
    if window is None:
        window = windows.whole_day(ctx.now)
    if window.whole_day or window.end - window.start > form.MAX_WINDOW or window.end <= ctx.now:
        base = window if window.end > ctx.now else windows.whole_day(ctx.now)
        start = windows.bookable_slot(Window(base.start, base.end, True), ctx.now, minutes).start
        start = _round_up(start, minutes)
        return start, min(start + DEFAULT_LENGTH, _last_minute(start))
    return window.start, min(window.end, _last_minute(window.start))


def _round_up(moment: datetime, minutes: int) -> datetime:
    """The next slot boundary at or after `moment` (10:20 -> 10:30 for half-hour slots)."""
    midnight = windows.day_start(moment)
    elapsed = int((moment - midnight).total_seconds() // 60)
    return midnight + timedelta(minutes=-(-elapsed // minutes) * minutes)


def _last_minute(moment: datetime) -> datetime:
    """23:59 of the moment's day: the latest end a time picker can show."""
    return windows.next_day_start(moment) - timedelta(minutes=1)


def place_options(directory: Directory, current: Place) -> list[dict[str, str]]:
    """Anywhere, each building, then each building's floors (nearest the current place first when
    the tenant has more than MAX_PLACE_OPTIONS of them)."""
    options = [{"value": form.ANYWHERE, "label": ""}]
    buildings = sorted(directory.buildings(), key=lambda lv: lv.name.casefold())
    floors = [lv for lv in directory.levels if directory.is_floor(lv) and directory.rooms_under(lv.level_id)]
    floors.sort(key=lambda lv: (_building_name(directory, lv), floor_number(lv.name)))
    levels = [*buildings, *floors]
    if len(levels) + 1 > MAX_PLACE_OPTIONS:
        levels = _nearest(levels, directory, current)
    options += [{"value": form.place_value(directory.level_place(lv)),
                 "label": directory.level_label(lv)} for lv in levels]
    return options


def _building_name(directory: Directory, floor: RoomLevel) -> str:
    building = directory.building_of_level(floor)
    return building.name.casefold() if building is not None else ""


def _nearest(levels: list[RoomLevel], directory: Directory, current: Place) -> list[RoomLevel]:
    """Buildings first, then the floors of the current place's building; the current place kept."""
    home = directory.level(current.id) if current.kind in ("floor", "building") else None
    building = home if home is not None and not directory.is_floor(home) else (
        directory.building_of_level(home) if home is not None else None)
    mine = {lv.level_id for lv in directory.floors_in(building.level_id)} if building else set()
    ranked = sorted(levels, key=lambda lv: (lv.level_id != current.id, directory.is_floor(lv),
                                            lv.level_id not in mine))
    kept = {lv.level_id for lv in ranked[:MAX_PLACE_OPTIONS - 1]}
    return [lv for lv in levels if lv.level_id in kept]


def floor_number(name: str) -> int:
    """A floor's number for ordering and distance: "7F" -> 7, "B1" -> -1, anything else 0."""
    key = floor_key(name) or ""
    if key.startswith("B") and key[1:].isdigit():
        return -int(key[1:])
    return int(key[:-1]) if key.endswith("F") and key[:-1].isdigit() else 0
