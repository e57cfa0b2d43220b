"""Time phrases in English and Chinese: find them in normalised text, then resolve them to a Window.

`extract(text)` scans the normalised text with a small grammar (days, weekdays, dates, parts
of the day, clock times, ranges, durations, weeks, "now") and returns a `TimeSpec` plus the
spans it used. `resolve(spec, now, mode, ...)` applies the defaults a person expects for the
kind of question and returns a `Window` or a `BadTime`.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Literal

from bot.queries import BadTime, Lang, Window

Mode = Literal["who", "free", "find", "report"]
FORWARD_MODES = ("free", "find")

PART_HOURS: dict[str, tuple[int, int]] = {
    "morning": (9, 12), "noon": (12, 13), "afternoon": (13, 18), "afternoon_zh": (12, 18),
    "evening": (18, 22), "after_lunch": (13, 14),
}
PM_PARTS = ("afternoon", "afternoon_zh", "evening", "after_lunch")
WORK_START = 9  # "tomorrow for an hour" starts at 09:00
MAX_DAYS_AWAY = 366
MAX_MINUTES = 24 * 60


@dataclass(frozen=True)
class Clock:
    """A time of day as said: hour, minute and an explicit "am"/"pm" marker ("" if none)."""

    hour: int
    minute: int = 0
    marker: str = ""


@dataclass(frozen=True)
class DayRef:
    """A day as said: an offset from today, a weekday of some week, or a calendar date."""

    kind: Literal["offset", "weekday", "date"]
    offset: int = 0  # days from today, or weeks from this week for a weekday
    weekday: int = 0  # 0 = Monday
    explicit_week: bool = False  # "next"/"this"/"last"/"下"/"上" was said
    year: int = 0  # 0 = the nearest sensible year
    month: int = 0  # 0 = this month (a bare "25号")
    day: int = 0


@dataclass(frozen=True)
class Piece:
    """One time phrase found in the text, with its span."""

    kind: str  # day | part | clock | range | until | duration | now | week | error
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
    now: bool = False
    week: int | None = None
    error: str = ""
    said: str = ""  # the text of the phrase in error, or of all time phrases (the label)

    @property
    def given(self) -> bool:
        """True when the message said anything about time."""
        return bool(self.day or self.part or self.start or self.end or self.minutes
                    or self.now or self.week is not None or self.error)


# -- the grammar -------------------------------------------------------------------------------
_AMPM = r"(a\.?m\.?|p\.?m\.?)"
_ZH_CLOCK = r"\d{1,2}\s*[点點时時]钟?(?:\d刻(?!钟)|半|\d{1,2}(?![\d个小])分?)?"
_EN_CLOCK = r"\d{1,2}(?::\d{2})?(?:\s*(?:a\.?m\.?|p\.?m\.?)(?![a-z]))?"
_ANY_CLOCK = rf"(?:{_ZH_CLOCK}|{_EN_CLOCK})"
_NOT_AMOUNT = (r"(?!\s*(?:people|persons?|ppl|pax|seats?|guests?|hours?|hrs?|mins?|minutes?|人|个人|位|"
               r"个小时|小时|分钟))(?![/\d:])")
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTH = r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
_EN_WEEKDAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
_WEEK_WORDS = {"next": 1, "下": 1, "下个": 1, "下下": 2, "this": 0, "coming": 0, "这": 0, "这个": 0,
               "本": 0, "last": -1, "past": -1, "上": -1, "上个": -1}
_DAY_WORDS = (
    (r"大后天", 3, ""), (r"\bday after tomorrow\b|后天", 2, ""),
    (r"\bday before yesterday\b|前天", -2, ""),
    (r"\btonight\b|今晚|今夜", 0, "evening"), (r"明晚", 1, "evening"),
    (r"昨晚", -1, "evening"), (r"明早", 1, "morning"), (r"今早", 0, "morning"),
    (r"\b(?:today|tdy|tday|2day)\b|今天|今日|今儿", 0, ""),
    (r"\b(?:tomorrow|tmrw|tmr|tmw|tmrow|tomo|2moro|2morrow)\b|明天|明日|明儿", 1, ""),
    (r"\b(?:yesterday|yday|ystd|ytd)\b|昨天|昨日|昨儿", -1, ""),
)
_PART_WORDS = (
    (r"\bafter\s+lunch\b|午饭后|午饭之后|午休后|吃完午饭|饭后", "after_lunch"),
    (r"\bmorning\b|上午|早上|早晨|清早|上半天", "morning"),
    (r"\b(?:noon|midday|lunch\s*time|lunch)\b|中午|午休|午饭", "noon"),
    (r"\bafternoon\b", "afternoon"), (r"下午|下半天", "afternoon_zh"),
    (r"\b(?:evening|night)\b|晚上|傍晚|晚间|夜里", "evening"),
)
_NOW = r"\b(?:right\s+now|now|currently|at\s+the\s+moment|atm|asap|immediately)\b|现在|目前|此刻|马上|立刻|当前|这会儿?|眼下"


def _clock(text: str) -> Clock | Piece:
    """Parse one clock phrase ("3pm", "15:30", "3点半", "3点1刻", "3") into a Clock."""
    text = text.strip()
    marker = "pm" if re.search(r"p\.?m", text) else "am" if re.search(r"a\.?m", text) else ""
    numbers = [int(n) for n in re.findall(r"\d+", text)]
    hour, minute = numbers[0], numbers[1] if len(numbers) > 1 else 0
    if "刻" in text:
        minute = 15 * minute
    elif "半" in text:
        minute = 30
    if minute > 59:
        return Piece("error", error="minute_out_of_range")
    if hour > 24 or (marker and not 1 <= hour <= 12) or (hour == 24 and minute):
        return Piece("error", error="hour_out_of_range")
    return Clock(hour, minute, marker)


def _clock_piece(m: re.Match[str]) -> Piece:
    """A single clock time."""
    clock = _clock(m.group("c"))
    return clock if isinstance(clock, Piece) else Piece("clock", clock=clock)


def _range_piece(m: re.Match[str]) -> Piece:
    """A clock range ("2-4pm", "from 2 to 4", "3点到4点"), or a month-day written with a dash."""
    first, second = _clock(m.group("a")), _clock(m.group("b"))
    if m.group("sep") == "-" and re.fullmatch(r"\d{1,2}-\d{1,2}", m.group(0).strip()):
        a, b = (int(n) for n in m.group(0).split("-"))
        if b > 24:  # "11-25" is a date, not hours
            return Piece("day", day=DayRef("date", month=a, day=b))
    for clock in (first, second):
        if isinstance(clock, Piece):
            return clock
    assert isinstance(first, Clock) and isinstance(second, Clock)
    return Piece("range", clock=first, until=second)


def _until_piece(m: re.Match[str]) -> Piece:
    """An end time alone ("until 4", "4点以前")."""
    clock = _clock(m.group("c"))
    return clock if isinstance(clock, Piece) else Piece("until", until=clock)


def _minutes_piece(factor: float, extra: int = 0) -> Callable[[re.Match[str]], Piece]:
    """A duration builder: the first number times `factor`, plus `extra` minutes."""
    def build(m: re.Match[str]) -> Piece:
        found = re.search(r"\d+(?:\.\d+)?", m.group(0))
        amount = float(found.group(0)) if found else 1.0
        return Piece("duration", minutes=round(amount * factor) + extra)
    return build


def _fixed(kind: str, **fields: object) -> Callable[[re.Match[str]], Piece]:
    """A builder that always yields the same piece."""
    return lambda m: Piece(kind, **fields)  # type: ignore[arg-type]


def _weekday_piece(m: re.Match[str]) -> Piece:
    """An English or Chinese weekday, maybe with next/this/last ("next tue", "下周一")."""
    word = m.group("w") or ""
    name = m.group("d")
    weekday = int(name) - 1 if name.isdigit() else _EN_WEEKDAYS[name[:3]]
    return Piece("day", day=DayRef("weekday", offset=_WEEK_WORDS.get(word, 0),
                                   weekday=weekday, explicit_week=bool(word)))


def _week_piece(m: re.Match[str]) -> Piece:
    """"this week", "last week", "上周" ..."""
    return Piece("week", weeks=_WEEK_WORDS[m.group("w")])


def _date_piece(m: re.Match[str]) -> Piece:
    """A calendar date: ISO, "11/25", "11月25日", "Nov 25", "25 Nov", "25号"."""
    groups = m.groupdict()
    month_text = groups.get("mn")
    month = _MONTHS.index(month_text[:3]) + 1 if month_text else int(groups.get("m") or 0)
    year = int(groups.get("y") or 0)
    return Piece("day", day=DayRef("date", year=year, month=month, day=int(groups["d"])))


def _day_word(offset: int, part: str) -> Callable[[re.Match[str]], Piece]:
    """"today", "明天", "tonight" (a day plus an evening)."""
    return lambda m: Piece("day", day=DayRef("offset", offset=offset), part=part)


def _rule(pattern: str, build: Callable[[re.Match[str]], Piece]) -> tuple[re.Pattern[str], Callable[[re.Match[str]], Piece]]:
    """Compile one grammar rule."""
    return re.compile(pattern), build


RULES = (
    _rule(r"\b(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})\b", _date_piece),
    _rule(r"(?:(?P<y>\d{4})\s*年\s*)?(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*[日号]?", _date_piece),
    _rule(rf"\b{_MONTH.replace('(jan', '(?P<mn>jan', 1)}\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\b", _date_piece),
    _rule(rf"\b(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH.replace('(jan', '(?P<mn>jan', 1)}(?![a-z])", _date_piece),
    _rule(r"(?<![\d:/.])(?P<m>\d{1,2})/(?P<d>\d{1,2})(?![\d/])", _date_piece),
    _rule(r"\bthe\s+(?P<d>\d{1,2})(?:st|nd|rd|th)\b", _date_piece),
    _rule(r"(?<![\d月])(?P<d>\d{1,2})\s*[号日](?!\s*(?:会议室|楼|厅|室|房|报))", _date_piece),
    _rule(rf"(?:\bbetween\s+)(?P<a>{_ANY_CLOCK})\s*(?P<sep>and|-|~|to)\s*(?P<b>{_ANY_CLOCK}){_NOT_AMOUNT}", _range_piece),
    _rule(rf"(?:\bfrom\s+|从)?(?<![\d:./])(?P<a>{_ANY_CLOCK})\s*(?P<sep>-|~|\bto\b|\btill\b|\buntil\b|\btil\b|到|至)\s*(?P<b>{_ANY_CLOCK}){_NOT_AMOUNT}", _range_piece),
    _rule(r"\b(?:for\s+)?(?:an?|one)\s+hour\s+and\s+a\s+half\b|\b(?:for\s+)?(?:an?|one)\s+and\s+a\s+half\s+hours?\b", _fixed("duration", minutes=90)),
    _rule(r"\d+\s*个?\s*半\s*(?:小时|钟头)", _minutes_piece(60, 30)),
    _rule(r"\b(?:for\s+)?half\s+an?\s+hour\b|半\s*个?\s*(?:小时|钟头)", _fixed("duration", minutes=30)),
    _rule(r"\b(?:for\s+)?(?:a\s+)?quarter\s+(?:of\s+)?an?\s+hour\b", _fixed("duration", minutes=15)),
    _rule(r"\b(?:for\s+)?(?:an?|one)\s+hour\b", _fixed("duration", minutes=60)),
    _rule(r"(?:\bfor\s+)?\d+(?:\.\d+)?\s*(?:hours?|hrs?|h\b|个?\s*小时|个?\s*钟头)", _minutes_piece(60)),
    _rule(r"(?:\bfor\s+)?\d+\s*(?:minutes?\b|mins?\b|m\b|分钟)", _minutes_piece(1)),
    _rule(r"\d\s*刻钟", _minutes_piece(15)),
    _rule(r"\b(?:until|till|til|before|by)\s+(?P<c>" + _EN_CLOCK + r")(?![\d:])" + _NOT_AMOUNT, _until_piece),
    _rule(r"(?:到|至)\s*(?P<c>" + _ZH_CLOCK + r")", _until_piece),
    _rule(r"(?P<c>" + _ZH_CLOCK + r")\s*(?:以前|之前|前)", _until_piece),
    _rule(r"(?<![\d:])(?P<c>\d{1,2}:\d{2}(?:\s*" + _AMPM + r"(?![a-z]))?)", _clock_piece),
    _rule(r"(?<![\d:])(?P<c>\d{1,2}\s*" + _AMPM + r")(?![a-z])", _clock_piece),
    _rule(r"(?<![\d:])(?P<c>" + _ZH_CLOCK + r")", _clock_piece),
    _rule(r"\b(?:at|after|around|about|@)\s*(?P<c>\d{1,2})(?![\d:])" + _NOT_AMOUNT + r"(?!\s*(?:f\b|楼|层|th\b))", _clock_piece),
    _rule(r"\b(?P<c>\d{1,2})\s*o'?clock\b", _clock_piece),
    _rule(r"\bhalf\s+past\s+(?P<h>\d{1,2})\b", lambda m: Piece("clock", clock=Clock(int(m.group("h")), 30))),
    _rule(r"\bat\s+(?:noon|midday)\b", _fixed("clock", clock=Clock(12, 0, "pm"))),
    _rule(r"\bat\s+midnight\b", _fixed("clock", clock=Clock(0, 0))),
    *(_rule(pattern, _day_word(offset, part)) for pattern, offset, part in _DAY_WORDS),
    _rule(r"(?:\b(?P<w>next|this|last|coming)\s+)?\b(?P<d>monday|mon|tuesday|tues|tue|wednesday|wed|thursday|thurs|thur|thu|friday|fri|saturday|sat|sunday)\b", _weekday_piece),
    _rule(r"(?P<w>下下|下个|上个|这个|下|上|这|本)?\s*(?:周|星期|礼拜)(?P<d>[1-7])", _weekday_piece),
    _rule(r"\b(?P<w>this|last|next|past)\s+week\b", _week_piece),
    _rule(r"(?P<w>这个|上个|下个|这|本|上|下)(?:周|星期|礼拜)(?![1-7末])", _week_piece),
    *(_rule(pattern, _fixed("part", part=part)) for pattern, part in _PART_WORDS),
    _rule(_NOW, _fixed("now")),
)


# -- extraction --------------------------------------------------------------------------------
def find_pieces(text: str) -> list[Piece]:
    """Every time phrase in the text, earliest rule first, without overlaps, in text order."""
    taken: list[Piece] = []
    for pattern, build in RULES:
        for match in pattern.finditer(text):
            span = match.span()
            if span[0] == span[1] or any(_overlaps(span, (p.start, p.end)) for p in taken):
                continue
            taken.append(replace(build(match), start=span[0], end=span[1]))
    return sorted(taken, key=lambda piece: piece.start)


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    """True when two half-open spans share a character."""
    return a[0] < b[1] and b[0] < a[1]


def extract(text: str) -> tuple[TimeSpec, list[tuple[int, int]]]:
    """The TimeSpec said in `text` and the spans it was read from."""
    pieces = find_pieces(text)
    spec = TimeSpec()
    for piece in pieces:
        spec = _merge(spec, piece, text[piece.start:piece.end].strip())
    if not spec.error:
        spec = replace(spec, said=" ".join(text[p.start:p.end].strip() for p in pieces))
    return spec, [(p.start, p.end) for p in pieces]


def _merge(spec: TimeSpec, piece: Piece, said: str) -> TimeSpec:
    """Add one piece to the spec; the first day, part and time said win."""
    if spec.error:
        return spec
    if piece.kind == "error":
        return replace(spec, error=piece.error, said=said)
    updates: dict[str, object] = {
        "day": spec.day or piece.day,
        "part": spec.part or piece.part,
        "minutes": spec.minutes or piece.minutes,
        "now": spec.now or piece.kind == "now",
        "week": spec.week if spec.week is not None or piece.kind != "week" else piece.weeks,
    }
    if piece.kind in ("clock", "range") and spec.start is None:
        updates["start"] = piece.clock
    if piece.kind in ("range", "until") and spec.end is None:
        updates["end"] = piece.until
    return replace(spec, **updates)  # type: ignore[arg-type]


# -- resolution --------------------------------------------------------------------------------
def hour_of(clock: Clock, part: str) -> tuple[int, bool]:
    """The 24-hour hour of a clock and whether a bare 1-7 was taken as pm."""
    hour = clock.hour
    if clock.marker:
        return hour % 12 + (12 if clock.marker == "pm" else 0), False
    if part in PM_PARTS and hour < 12:
        return hour + 12, False
    if part == "noon" and 1 <= hour <= 5:
        return hour + 12, False
    if part or hour >= 13 or hour == 0:
        return hour, False
    return (hour + 12, True) if hour <= 7 else (hour, False)


def clock_time(clock: Clock, part: str = "") -> time:
    """A clock as a time of day (bare 1-7 means pm)."""
    hour, _ = hour_of(clock, part)
    return time(hour % 24, clock.minute)


def range_minutes(start: Clock, end: Clock, part: str) -> tuple[int, int]:
    """Minutes since midnight of both ends of a range, sharing am/pm the way people do."""
    if not part and end.marker and not start.marker:
        shared = hour_of(replace(start, marker=end.marker), part)[0] * 60 + start.minute
        tail = hour_of(end, part)[0] * 60 + end.minute
        return (shared if shared < tail else start.hour * 60 + start.minute), tail
    (h1, pm1), (h2, pm2) = hour_of(start, part), hour_of(end, part)
    first, last = h1 * 60 + start.minute, h2 * 60 + end.minute
    if last <= first and pm1 and not pm2:
        first -= 12 * 60  # "7-9" is 07:00-09:00
    elif last <= first and start.marker == "pm" and not end.marker and end.hour < 12:
        last += 12 * 60  # "8pm-10" is 20:00-22:00
    return first, last


def resolve(spec: TimeSpec, now: datetime, mode: Mode, lang: Lang,
            slot_minutes: int = 30) -> Window | BadTime:
    """Turn what was said into a concrete Window, using the defaults of the question kind."""
    if spec.error:
        return BadTime(lang, spec.said, spec.error)
    if spec.minutes > MAX_MINUTES:
        return BadTime(lang, spec.said, "duration_too_long")
    today = now.date()
    day = resolve_day(spec.day, today, mode) if spec.day else today
    if isinstance(day, str):
        return BadTime(lang, spec.said, day)
    window = _window(spec, day, now, mode, slot_minutes)
    if isinstance(window, str):
        return BadTime(lang, spec.said, window)
    return replace(window, label=spec.said or default_label(mode, lang))


def _window(spec: TimeSpec, day: date, now: datetime, mode: Mode, slot: int) -> Window | str:
    """The window for a resolved day: a range, a slot, a part of day, a week or the whole day."""
    minute_now = now.replace(second=0, microsecond=0)
    length = timedelta(minutes=spec.minutes or slot)
    if spec.week is not None and spec.day is None and spec.start is None:
        return week_window(spec.week, minute_now, mode)
    if spec.start is not None and spec.end is not None:
        first, last = range_minutes(spec.start, spec.end, spec.part)
        return _checked(at_minutes(day, first, now), at_minutes(day, last, now))
    if spec.start is not None:
        start = at_minutes(day, _minutes_of(spec.start, spec.part), now)
        return Window(start, start + length)
    if spec.end is not None:
        end = at_minutes(day, _minutes_of(spec.end, spec.part), now)
        return _checked(minute_now if day == now.date() else at_minutes(day, WORK_START * 60, now), end)
    if spec.part:
        return _part_window(spec, day, minute_now)
    if spec.now or (spec.minutes and day == now.date()):
        return Window(minute_now, minute_now + length)
    if spec.minutes:
        start = at_minutes(day, WORK_START * 60, now)
        return Window(start, start + length)
    if spec.day is not None:
        return whole_days(day, 1, now)
    return default_window(mode, minute_now, slot)


def _minutes_of(clock: Clock, part: str) -> int:
    """Minutes since midnight of a clock."""
    return hour_of(clock, part)[0] * 60 + clock.minute


def _checked(start: datetime, end: datetime) -> Window | str:
    """A window, or "end_before_start"."""
    return Window(start, end) if end > start else "end_before_start"


def _part_window(spec: TimeSpec, day: date, minute_now: datetime) -> Window:
    """A part of the day; with a duration, a slot of that length at its start (or now)."""
    first, last = PART_HOURS.get(spec.part, PART_HOURS["morning"])
    start = at_minutes(day, first * 60, minute_now)
    end = at_minutes(day, last * 60, minute_now)
    if not spec.minutes:
        return Window(start, end)
    if start < minute_now < end:
        start = minute_now
    return Window(start, start + timedelta(minutes=spec.minutes))


def at_minutes(day: date, minutes: int, now: datetime) -> datetime:
    """An aware datetime `minutes` after midnight of `day` (24:00 is the next midnight)."""
    midnight = datetime(day.year, day.month, day.day, tzinfo=now.tzinfo)
    return midnight + timedelta(minutes=minutes)


def whole_days(day: date, count: int, now: datetime) -> Window:
    """`count` whole local days from `day`."""
    start = at_minutes(day, 0, now)
    return Window(start, at_minutes(day + timedelta(days=count), 0, now), whole_day=True)


def week_window(weeks: int, minute_now: datetime, mode: Mode) -> Window:
    """A Monday-to-Monday week; this week for a report runs Monday 00:00 up to now."""
    monday = minute_now.date() - timedelta(days=minute_now.weekday()) + timedelta(weeks=weeks)
    window = whole_days(monday, 7, minute_now)
    if weeks == 0 and mode == "report":
        end = max(minute_now, window.start + timedelta(minutes=1))
        return replace(window, end=end)
    return window


def default_window(mode: Mode, minute_now: datetime, slot: int) -> Window:
    """No time said: who-booked = today, reports = yesterday, free questions = now + slot."""
    today = minute_now.date()
    if mode == "who":
        return whole_days(today, 1, minute_now)
    if mode == "report":
        return whole_days(today - timedelta(days=1), 1, minute_now)
    return Window(minute_now, minute_now + timedelta(minutes=slot))


def default_label(mode: Mode, lang: Lang) -> str:
    """How to name a default window on a card."""
    words = {"who": ("today", "今天"), "report": ("yesterday", "昨天")}.get(mode, ("now", "现在"))
    return words[1] if lang == "zh" else words[0]


def resolve_day(ref: DayRef, today: date, mode: Mode) -> date | str:
    """The date a DayRef points to, or an error key ("invalid_date", "too_far")."""
    if ref.kind == "offset":
        return today + timedelta(days=ref.offset)
    if ref.kind == "weekday":
        day = today - timedelta(days=today.weekday()) + timedelta(weeks=ref.offset, days=ref.weekday)
        if day < today and not ref.explicit_week and mode in FORWARD_MODES:
            day += timedelta(weeks=1)
        return day
    found = _calendar_day(ref, today, mode)
    if isinstance(found, date) and abs((found - today).days) > MAX_DAYS_AWAY:
        return "too_far"
    return found


def _calendar_day(ref: DayRef, today: date, mode: Mode) -> date | str:
    """A calendar date: the year said, else the nearest; a bare day is in this month."""
    if not ref.month:
        return _day_of_month(ref.day, today, mode)
    years = [ref.year] if ref.year else [today.year - 1, today.year, today.year + 1]
    candidates = [d for d in (_safe_date(y, ref.month, ref.day) for y in years) if d]
    if not candidates:
        return "invalid_date"
    if mode in FORWARD_MODES and not ref.year:
        ahead = [d for d in candidates if d >= today]
        candidates = ahead or candidates
    return min(candidates, key=lambda d: abs((d - today).days))


def _day_of_month(day: int, today: date, mode: Mode) -> date | str:
    """"25号": that day of this month (next month for a free question when it has passed)."""
    found = _safe_date(today.year, today.month, day)
    if found is None:
        return "invalid_date"
    if found < today and mode in FORWARD_MODES:
        year, month = (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)
        return _safe_date(year, month, day) or "invalid_date"
    return found


def _safe_date(year: int, month: int, day: int) -> date | None:
    """date(year, month, day), or None when there is no such day."""
    try:
        return date(year, month, day)
    except ValueError:
        return None
