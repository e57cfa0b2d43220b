"""The time grammar: regular-expression building blocks, one builder per kind of phrase, and `RULES`
in priority order (dates, relative starts, ranges, durations, clock times, days, weekdays, weekends,
weeks, months, parts of the day, "now"). An earlier rule wins where two phrases overlap."""
from __future__ import annotations

import re
from collections.abc import Callable

from bot.understand.timepieces import END_OF_DAY, Clock, DayRef, Piece

_AMPM = r"(a\.?m\.?|p\.?m\.?)"
_ZH_CLOCK = r"\d{1,2}\s*[点點时時]钟?(?:\d刻(?!钟)|半|[过過]?\d{1,2}(?![\d个小])分?)?"
_HHMM = r"(?:[01]\d|2[0-3])[0-5]\d(?!\d)"
_EN_CLOCK = rf"(?:{_HHMM}|\d{{1,2}}(?::\d{{2}}|\.[0-5]\d)?(?:\s*(?:a\.?m\.?|p\.?m\.?)(?![a-z]))?)"
_ANY_CLOCK = rf"(?:{_ZH_CLOCK}|{_EN_CLOCK})"
_NOT_AMOUNT = (r"(?!\s*(?:people|persons?|ppl|pax|seats?|guests?|hours?|hrs?|mins?|minutes?|人|个人|位|"
               r"个小时|小时|分钟))(?![/\d:])")
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTH = r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
_EN_WEEKDAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
_WEEK_WORDS = {"next": 1, "下": 1, "下个": 1, "下下": 2, "this": 0, "coming": 0, "这": 0, "这个": 0,
               "本": 0, "last": -1, "past": -1, "上": -1, "上个": -1, "上上": -2}
_LITERAL_WEEK = ("这", "这个", "本", "上", "上个", "上上", "下", "下个", "下下")  # 周 is a calendar week
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
    (r"\b(?:evening|night)\b|晚上|傍晚|晚间|夜里|晚(?=\s*\d{1,2}\s*[点點])", "evening"),
    (r"凌晨|半夜|早(?=\s*\d{1,2}\s*[点點])", "early"),
)
_NOW = r"\b(?:right\s+now|now|currently|at\s+the\s+moment|atm|asap|immediately)\b|现在|目前|此刻|马上|立刻|当前|这会儿?|眼下"
_END_OF_DAY = (r"(?:\b(?:by|before|until|till|til|at)\s+)?(?:\bthe\s+)?(?:\bend\s+of\s+(?:the\s+)?"
               r"(?:day|today|business|work)\b|\beod\b|\bcob\b|\bclose\s+of\s+business\b)"
               r"|(?:今天)?下班(?:以前|之前|前)")
# "in 45 minutes", "in an hour and a half", "two hours from now", "二十分钟后", "过一个小时"
_EN_AMOUNT = (r"(?P<n>\d+(?:\.\d+)?|an?|one|a\s+couple\s+of|a\s+few|half\s+an?|a\s+half|"
              r"(?:a\s+)?quarter\s+(?:of\s+)?an?)")
_EN_UNIT = r"(?P<u>hours?|hrs?|h|minutes?|mins?|m)\b(?P<half>\s+and\s+a\s+half)?"
_ZH_AMOUNT = r"(?P<n>\d+(?:\.\d+)?|半)\s*个?\s*(?P<half>半)?\s*(?P<u>小时|钟头|分钟|分|刻钟|刻)"


def clock_of(text: str) -> Clock | Piece:
    """Parse one clock phrase ("3pm", "15:30", "1630", "4.30", "3点半", "3点1刻", "3") into a Clock."""
    text = text.strip()
    marker = "pm" if re.search(r"p\.?m", text) else "am" if re.search(r"a\.?m", text) else ""
    numbers = [int(n) for n in re.findall(r"\d+", text)]
    if re.fullmatch(r"\d{4}", text):
        numbers = [int(text[:2]), int(text[2:])]
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
    clock = clock_of(m.group("c"))
    return clock if isinstance(clock, Piece) else Piece("clock", clock=clock)


def _compact_piece(m: re.Match[str]) -> Piece | None:
    """"1630", "0930h": a clock when said after "at" or on a round minute (not a year or a room)."""
    before = m.string[:m.start()].rstrip()
    cued = before.endswith(("at", "@", "by", "until", "till", "from", "到", "从"))
    if not cued and int(m.group("c")[2:]) % 5:
        return None
    return _clock_piece(m)


def _hours_piece(m: re.Match[str]) -> Piece | None:
    """"15h", "9h30", "at 10h": a clock; "2h" alone is left to the duration rule."""
    hour, minute = int(m.group("h")), int(m.group("m") or 0)
    cued = m.string[:m.start()].rstrip().endswith(("at", "@"))
    if not (m.group("m") or cued or 13 <= hour <= 23):
        return None
    return Piece("clock", clock=Clock(hour, minute)) if hour <= 23 and minute <= 59 else None


def _range_piece(m: re.Match[str]) -> Piece:
    """A clock range ("2-4pm", "from 2 to 4", "3点到4点"), or a month-day written with a dash."""
    first, second = clock_of(m.group("a")), clock_of(m.group("b"))
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
    clock = clock_of(m.group("c"))
    return clock if isinstance(clock, Piece) else Piece("until", until=clock)


def _amount_minutes(amount: str, unit: str, half: bool) -> int:
    """Minutes in "2 hours", "an hour and a half", "半小时", "1个半小时", "3刻钟"."""
    amount = amount.strip()
    words = {"a": 1.0, "an": 1.0, "one": 1.0, "半": 0.5}
    if amount.startswith(("half", "a half")):
        value = 0.5
    elif "quarter" in amount:
        value = 0.25
    elif "couple" in amount or "few" in amount:
        value = 2.0 if "couple" in amount else 3.0
    else:
        value = words.get(amount) or float(amount)
    value += 0.5 if half else 0
    if unit.startswith(("h", "小时", "钟头")):
        return round(value * 60)
    if unit.startswith("刻"):
        return round(value * 15)
    return round(value)


def _after_piece(m: re.Match[str]) -> Piece:
    """A meeting that starts some time from now ("in 45 minutes", "二十分钟后", "过一个小时")."""
    minutes = _amount_minutes(m.group("n"), m.group("u"), bool(m.group("half")))
    return Piece("after", minutes=minutes)


def _minutes_piece(factor: float, extra: int = 0) -> Callable[[re.Match[str]], Piece]:
    """A duration builder: the first number times `factor`, plus `extra` minutes."""
    def build(m: re.Match[str]) -> Piece:
        found = re.search(r"\d+(?:\.\d+)?", m.group(0))
        amount = float(found.group(0)) if found else 1.0
        return Piece("duration", minutes=round(amount * factor) + extra)
    return build


def _past_the_hour(minute: int) -> Callable[[re.Match[str]], Piece]:
    """A clock builder: the hour in group "h", at `minute` past ("half past 3", "quarter past 3")."""
    return lambda m: Piece("clock", clock=Clock(int(m.group("h")), minute))


def _fixed(kind: str, **fields: object) -> Callable[[re.Match[str]], Piece]:
    """A builder that always yields the same piece."""
    return lambda m: Piece(kind, **fields)  # type: ignore[arg-type]


def _week_ref(word: str | None) -> tuple[int, bool, bool]:
    """(week offset, explicit, literal) of a week word: "next" (1, True, False), "这" (0, True, True)."""
    word = (word or "").strip()
    return _WEEK_WORDS.get(word, 0), bool(word), word in _LITERAL_WEEK


def _weekday_piece(m: re.Match[str]) -> Piece:
    """An English or Chinese weekday, maybe with next/this/last ("next tue", "下周一", "这周四")."""
    offset, explicit, literal = _week_ref(m.group("w"))
    name = m.group("d")
    weekday = int(name) - 1 if name.isdigit() else _EN_WEEKDAYS[name[:3]]
    return Piece("day", day=DayRef("weekday", offset=offset, weekday=weekday,
                                   explicit_week=explicit, literal=literal))


def _weekend_piece(m: re.Match[str]) -> Piece:
    """"this weekend", "周末", "下周末", "last weekend": Saturday and Sunday of some week."""
    offset, explicit, literal = _week_ref(m.group("w"))
    return Piece("day", day=DayRef("weekend", offset=offset, weekday=5, explicit_week=explicit,
                                   literal=literal))


def _month_piece(m: re.Match[str]) -> Piece:
    """"this month", "上个月" ..."""
    return Piece("month", weeks=_WEEK_WORDS[m.group("w") or m.group("zw")])


def _recent_piece(m: re.Match[str]) -> Piece:
    """"the last 7 days", "past 2 weeks", "最近3天", "近1周": days back from today."""
    count = int(m.group("n") or m.group("zn"))
    unit = m.group("u") or m.group("zu")
    return Piece("recent", minutes=count * (7 if unit.startswith(("w", "周", "个", "星")) else 1))


def _days_later_piece(m: re.Match[str]) -> Piece:
    """"in 2 days", "3天后": a day that many days from today."""
    return Piece("day", day=DayRef("offset", offset=int(m.group("n") or m.group("zn"))))


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


Builder = Callable[[re.Match[str]], Piece | None]


def _rule(pattern: str, build: Builder) -> tuple[re.Pattern[str], Builder]:
    """Compile one grammar rule."""
    return re.compile(pattern), build


_MONTH_NAMED = _MONTH.replace("(jan", "(?P<mn>jan", 1)
RULES = (
    _rule(r"\b(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})\b", _date_piece),
    _rule(r"(?:(?P<y>\d{4})\s*年\s*)?(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*[日号]?", _date_piece),
    _rule(rf"\b{_MONTH_NAMED}\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\b", _date_piece),
    _rule(rf"\b(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH_NAMED}(?![a-z])", _date_piece),
    _rule(r"(?<![\d:/.])(?P<m>\d{1,2})/(?P<d>\d{1,2})(?![\d/])", _date_piece),
    _rule(r"\bthe\s+(?P<d>\d{1,2})(?:st|nd|rd|th)\b", _date_piece),
    _rule(r"(?<![\d月])(?P<d>\d{1,2})\s*[号日](?!\s*(?:会议室|楼|厅|室|房|报))", _date_piece),
    _rule(rf"\b(?:in|within)\s+(?:about\s+|around\s+|like\s+)?{_EN_AMOUNT}\s*{_EN_UNIT}", _after_piece),
    _rule(rf"\b{_EN_AMOUNT}\s*{_EN_UNIT}\s+(?:from\s+now|later)\b", _after_piece),
    _rule(rf"(?<![点點])(?:再?过|等)\s*{_ZH_AMOUNT}(?:\s*(?:以后|之后|后))?", _after_piece),
    _rule(rf"{_ZH_AMOUNT}\s*(?:以后|之后|后)", _after_piece),
    _rule(r"\b(?:in\s+)?(?:the\s+)?(?:last|past)\s+(?P<n>\d+)\s+(?P<u>days?|weeks?)\b"
          r"|(?:最近|近|过去)\s*(?P<zn>\d+)\s*(?P<zu>天|日|周|个?星期)", _recent_piece),
    _rule(r"\bin\s+(?P<n>\d+)\s+days?\b|(?P<zn>\d+)\s*天(?:以后|之后|后)", _days_later_piece),
    _rule(rf"(?:\bbetween\s+)(?P<a>{_ANY_CLOCK})\s*(?P<sep>and|-|~|to)\s*(?P<b>{_ANY_CLOCK}){_NOT_AMOUNT}", _range_piece),
    _rule(rf"(?:\bfrom\s+|从)?(?<![\d:./])(?P<a>{_ANY_CLOCK})\s*(?P<sep>-|~|\bto\b|\btill\b|\buntil\b|\btil\b|到|至)\s*(?P<b>{_ANY_CLOCK}){_NOT_AMOUNT}", _range_piece),
    _rule(_END_OF_DAY, _fixed("until", until=Clock(END_OF_DAY, 0))),
    _rule(r"(?<![\d.:])(?P<h>\d{1,2})\s?h(?P<m>[0-5]\d)?\b", _hours_piece),
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
    _rule(r"(?<![\d:.])(?P<c>\d{1,2}(?::\d{2}|\.[0-5]\d)(?:\s*" + _AMPM + r"(?![a-z]))?)(?![\d.])", _clock_piece),
    _rule(r"(?<![\d:])(?P<c>\d{1,2}\s*" + _AMPM + r")(?![a-z])", _clock_piece),
    _rule(r"(?<![\d:./-])(?P<c>" + _HHMM + r")(?:\s*(?:h|hrs)\b)?(?!\s*(?:年|号|日|人|位|个|f\b|楼|层))", _compact_piece),
    _rule(r"(?<![\d:])(?P<c>" + _ZH_CLOCK + r")", _clock_piece),
    _rule(r"\b(?:at|after|around|about|from|@)\s*(?P<c>\d{1,2})(?![\d:])" + _NOT_AMOUNT + r"(?!\s*(?:f\b|楼|层|th\b))", _clock_piece),
    _rule(r"\b(?P<c>\d{1,2})\s*o'?clock\b", _clock_piece),
    _rule(r"\bhalf\s+past\s+(?P<h>\d{1,2})\b", _past_the_hour(30)),
    _rule(r"\bquarter\s+past\s+(?P<h>\d{1,2})\b", _past_the_hour(15)),
    _rule(r"\b(?:at\s+)?half\s+(?P<h>\d{1,2})\b(?!\s*(?:hours?|hrs?|h\b|mins?|minutes?))", _past_the_hour(30)),
    _rule(r"\bat\s+(?:noon|midday)\b", _fixed("clock", clock=Clock(12, 0, "pm"))),
    _rule(r"\bat\s+midnight\b", _fixed("clock", clock=Clock(0, 0))),
    _rule(r"\bfirst\s+thing\b", _fixed("clock", clock=Clock(9, 0, "am"))),
    *(_rule(pattern, _day_word(offset, part)) for pattern, offset, part in _DAY_WORDS),
    _rule(r"(?:\b(?P<w>next|this|last|coming|past)\s+)?\b(?P<d>monday|mon|tuesday|tues|tue|wednesday|wed|thursday|thurs|thur|thu|friday|fri|saturday|sat|sunday)\b", _weekday_piece),
    _rule(r"(?P<w>下下|上上|下个|上个|这个|下|上|这|本)?\s*(?:周|星期|礼拜)(?P<d>[1-7])", _weekday_piece),
    _rule(r"(?:\b(?P<w>next|this|last|coming|past)\s+)?\b(?:weekend|wknd)\b", _weekend_piece),
    _rule(r"(?P<w>下下|上上|下个|上个|这个|下|上|这|本)?\s*(?:周末|礼拜末)", _weekend_piece),
    _rule(r"\b(?P<w>this|last|next|past)\s+week\b", _week_piece),
    _rule(r"(?P<w>这个|上个|下个|上上|下下|这|本|上|下)(?:周|星期|礼拜)(?![1-7末])", _week_piece),
    _rule(r"\b(?P<w>this|last|next|past)\s+month\b|(?P<zw>这个|上个|下个|本|上|下)月(?!\s*\d)", _month_piece),
    *(_rule(pattern, _fixed("part", part=part)) for pattern, part in _PART_WORDS),
    _rule(_NOW, _fixed("now")),
)
