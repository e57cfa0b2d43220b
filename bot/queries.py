"""What people ask, as frozen values: the parser produces these, the answer functions consume them."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any, Literal

Lang = Literal["zh", "en"]
PlaceKind = Literal["room", "floor", "building", "tenant"]
ReportKind = Literal["no_shows", "early_releases"]
Period = Literal["daily", "weekly"]


@dataclass(frozen=True)
class Window:
    """A time window in the tenant timezone; `start` < `end`, both aware."""

    start: datetime
    end: datetime
    whole_day: bool = False  # the user named a day, not a time ("today", "明天")
    label: str = ""  # how the user said it, for card subtitles ("tomorrow 3pm")


@dataclass(frozen=True)
class Place:
    """Where a question points: one room, a floor or building (a room level), or the whole tenant."""

    kind: PlaceKind
    id: str  # room_id for a room, level_id for a floor/building, "" for the tenant
    label: str  # display name: "Mercury", "4F", "T2 · 7F"


TENANT = Place("tenant", "", "")


@dataclass(frozen=True)
class WhoBooked:
    """Who booked a room (or each room of a floor) during a window."""

    lang: Lang
    place: Place
    window: Window
    more: tuple[Place, ...] = ()  # other places named in the same message ("Mercury and Jupiter")


@dataclass(frozen=True)
class IsFree:
    """Is a room, or each room of a floor/building, free over a window."""

    lang: Lang
    place: Place
    window: Window
    more: tuple[Place, ...] = ()  # other places asked about at once ("is Mercury or Jupiter free")


@dataclass(frozen=True)
class FindFree:
    """Find rooms free over the whole window, with at least `capacity` seats, inside `place`."""

    lang: Lang
    window: Window
    capacity: int = 0
    place: Place = TENANT
    offset: int = 0  # "more rooms": how many best-fit candidates earlier cards already checked


@dataclass(frozen=True)
class Report:
    """An on-demand insight report (no-shows, early releases) over whole local days."""

    lang: Lang
    kinds: tuple[ReportKind, ...]
    window: Window
    place: Place = TENANT


@dataclass(frozen=True)
class Subscribe:
    """Subscribe this chat to the daily digest."""

    lang: Lang
    kinds: tuple[ReportKind, ...] = ("no_shows", "early_releases")
    at: time | None = None  # None = the configured default digest time
    place: Place = TENANT
    period: Period = "daily"  # "weekly": the digest of the previous Monday to Sunday
    weekday: int | None = None  # a weekly digest's day (0 = Monday); None = Monday


@dataclass(frozen=True)
class Unsubscribe:
    """Stop this chat's digests (all of them, or those for one place, or of one period)."""

    lang: Lang
    place: Place | None = None
    period: Period | None = None  # None: daily and weekly


@dataclass(frozen=True)
class ListSubscriptions:
    """Show this chat's subscriptions."""

    lang: Lang


@dataclass(frozen=True)
class Help:
    """Show what roombot can do; `reason` says why we got here."""

    lang: Lang
    reason: Literal["asked", "not_understood", "not_text", "greeting", "follow_up"] = "asked"


@dataclass(frozen=True)
class ChooseRoom:
    """The room name matched several rooms: ask which one, then ask `question` again."""

    lang: Lang
    said: str  # the name as the user typed it
    options: tuple[Place, ...]
    question: WhoBooked | IsFree | FindFree


@dataclass(frozen=True)
class UnknownRoom:
    """The room name matched nothing: show the closest names."""

    lang: Lang
    said: str
    suggestions: tuple[Place, ...]
    question: WhoBooked | IsFree


@dataclass(frozen=True)
class BadTime:
    """The time could not be understood or is impossible ("25:00", "Feb 30")."""

    lang: Lang
    said: str
    reason: str  # a short machine key: "hour_out_of_range", "end_before_start", "too_far", ...


UsageFocus = Literal["utilisation", "peak", "idle", "sizing"]
USAGE_FOCUSES: tuple[UsageFocus, ...] = ("utilisation", "peak", "idle", "sizing")


@dataclass(frozen=True)
class Usage:
    """How a place's rooms were used over past days: utilisation, peak hours, idle rooms or fit."""

    lang: Lang
    place: Place
    window: Window
    focus: UsageFocus = "utilisation"


@dataclass(frozen=True)
class Book:
    """Book a room for the window: the room named, or the best-fitting free room of `place` that
    seats `capacity` ("book a room for 6 now")."""

    lang: Lang
    place: Place
    window: Window
    capacity: int = 0
    sized: bool = True  # False: only a start was said; the booking's default length applies


@dataclass(frozen=True)
class MyBookings:
    """The asker's upcoming bookings made through roombot."""

    lang: Lang


BookingAction = Literal["cancel", "extend", "check"]


@dataclass(frozen=True)
class ChangeBooking:
    """Cancel, extend or look again at one of the asker's bookings: the one `key` names (a button),
    or the one the words point at ("cancel my 3pm", "把明天的珠峰取消", "extend my meeting")."""

    lang: Lang
    action: BookingAction
    key: str = ""
    window: Window | None = None  # typed: the booking that overlaps this
    place: Place | None = None  # typed: the booking in this room
    minutes: int = 30  # extend by


@dataclass(frozen=True)
class CurrentNoShows:
    """Bookings under way that nobody checked into ("现在有哪些会议室订了没人用"), with Release."""

    lang: Lang
    place: Place = TENANT


@dataclass(frozen=True)
class ReleaseInstance:
    """Give back one room instance (a Release button): the room, the event's uid, its start."""

    lang: Lang
    room_id: str
    uid: str
    start: int  # epoch seconds: the instance's own start, Feishu's original_time for a series
    place: Place = TENANT  # the card's place, to answer with the card again


@dataclass(frozen=True)
class ExportBookings:
    """Send the bookings of a place over a window as an xlsx file ("导出5楼上个月的预订")."""

    lang: Lang
    place: Place
    window: Window


ReminderAnswer = Literal["keep", "late", "release", "stop"]


@dataclass(frozen=True)
class ReminderChoice:
    """A button on a keep-or-release reminder: Keep, I'm running late, Release, Don't remind me."""

    lang: Lang
    room_id: str
    uid: str
    start: int  # epoch seconds: the instance's own start (the reminder row's key)
    choice: ReminderAnswer


@dataclass(frozen=True)
class RemindMe:
    """"stop reminding me" / "别提醒我" (wanted False), "remind me" / "提醒我" (True)."""

    lang: Lang
    wanted: bool


Query = (
    WhoBooked | IsFree | FindFree | Report | Subscribe | Unsubscribe | ListSubscriptions
    | Help | ChooseRoom | UnknownRoom | BadTime | Usage | Book | MyBookings | ChangeBooking
    | CurrentNoShows | ReleaseInstance | ReminderChoice | RemindMe | ExportBookings
)


@dataclass(frozen=True)
class Reply:
    """An answer ready to render: the card template's name and the data it shows."""

    card: str  # template name without extension, e.g. "who_booked"
    data: dict[str, Any] = field(default_factory=dict)
    lang: Lang = "en"


@dataclass(frozen=True)
class Digest:
    """The daily digest of one subscription: one day's no-shows and early releases for a place."""

    lang: Lang
    place: Place
    day: date
    kinds: tuple[ReportKind, ...] = ("no_shows", "early_releases")
    names: bool = True  # whether this chat may see reservers' names (privacy settings)


@dataclass(frozen=True)
class WeeklyDigest:
    """The weekly digest of one subscription: a Monday-to-Sunday week of a place (cut at now)."""

    lang: Lang
    place: Place
    first: date  # the Monday
    kinds: tuple[ReportKind, ...] = ("no_shows", "early_releases")
    names: bool = True  # whether this chat may see reservers' names (privacy settings)
