"""What time phrases are read into: a clock time, a day reference, one phrase (`Piece`) and all of
them merged (`TimeSpec`). The grammar that finds them is timerules.py; `timewords.extract` runs it."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

PM_PARTS = ("afternoon", "afternoon_zh", "evening", "after_lunch")
END_OF_DAY = 18  # "end of day", "下班前"


@dataclass(frozen=True)
class Clock:
    """A time of day as said: hour, minute and an explicit "am"/"pm" marker ("" if none)."""

    hour: int
    minute: int = 0
    marker: str = ""


@dataclass(frozen=True)
class DayRef:
    """A day as said: an offset from today, a weekday or weekend of some week, or a date."""

    kind: Literal["offset", "weekday", "weekend", "date"]
    offset: int = 0  # days from today, or weeks from this week for a weekday/weekend
    weekday: int = 0  # 0 = Monday
    explicit_week: bool = False  # "next"/"this"/"last"/"下"/"上" was said
    literal: bool = False  # Chinese "这周四", "上周二": the calendar week said, even when past
    year: int = 0  # 0 = the nearest sensible year
    month: int = 0  # 0 = this month (a bare "25号")
    day: int = 0


@dataclass(frozen=True)
class Piece:
    """One time phrase found in the text, with its span."""

    kind: str  # day | part | clock | range | until | duration | after | now | week | month | recent | error
    start: int = 0
    end: int = 0
    day: DayRef | None = None
    part: str = ""
    clock: Clock | None = None
    until: Clock | None = None
    minutes: int = 0
    weeks: int = 0
    error: str = ""


@dataclass(frozen=True)
class TimeSpec:
    """Everything time-related said in a message, not yet resolved against `now`."""

    day: DayRef | None = None
    part: str = ""
    start: Clock | None = None
    end: Clock | None = None
    minutes: int = 0
    after: int | None = None  # "in 45 minutes": the meeting starts this many minutes from now
    now: bool = False
    week: int | None = None
    month: int | None = None  # "this month" 0, "last month" -1
    recent: int = 0  # "the last 7 days", "最近3天": that many days back, up to now
    error: str = ""
    said: str = ""  # the text of the phrase in error, or of all time phrases (the label)

    @property
    def given(self) -> bool:
        """True when the message said anything about time."""
        return bool(self.day or self.part or self.start or self.end or self.minutes or self.recent
                    or self.after is not None or self.now or self.week is not None
                    or self.month is not None or self.error)

    @property
    def moment(self) -> bool:
        """True when a time of day was said (a clock, a part of day, "now", "in 20 minutes"),
        not only a day."""
        return bool(self.start or self.end or self.part or self.now or self.after is not None)
