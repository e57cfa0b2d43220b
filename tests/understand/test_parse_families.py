"""The parse table, continued: the seven families of issue 10, both languages, on two tenants.

1 buildings by short names · 2 room nicknames and spellings (and several rooms at once) ·
3 relative starts · 4 weekdays and weekends · 5 compact and loose times, future times asked as
"who" · 6 colloquial and verbless questions · 7 reports in other words. Expected values are
written by hand from the rules in bot/understand/when.py and build.py; labels are compared in
test_understand_parts.py, so rows strip them. Unless a row says otherwise, now is Tuesday
2026-11-17 10:20 (NOW); SUNDAY is 2026-11-22 15:00.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from test_parse_table import unlabel
from understand_fixtures import (
    AURORA,
    BANNA,
    BLDG_2,
    BLDG_C,
    BLDG_D,
    C_2,
    C_5,
    C_7,
    C_MERCURY,
    CHONGQING,
    D_2,
    EMEI,
    EVEREST,
    F5,
    F6,
    F7,
    GREAT_WALL,
    JUPITER,
    LIJIANG,
    MERAK,
    MERCURY,
    NORTH,
    NORTH_5,
    NORTH_7,
    NOW,
    NOW_SLOT,
    OASIS,
    ORION,
    OSLO,
    QCS,
    R402,
    ROOM_A,
    ROOM_AB,
    ROOM_B,
    ROOM_C,
    SATURN,
    SOUTH,
    SOUTH_5,
    SOUTH_6,
    SUNDAY,
    T2,
    TAISHAN,
    VENUS,
    WEEKEND,
    day,
    days,
    dt,
    make_campus,
    make_directory,
    span,
)

from bot.queries import TENANT, ReportKind
from bot.queries import Book as BK
from bot.queries import ChooseRoom as CR
from bot.queries import FindFree as FF
from bot.queries import IsFree as IF
from bot.queries import Report as RP
from bot.queries import Subscribe as SUB
from bot.queries import WhoBooked as WB
from bot.understand import parse

NS: tuple[ReportKind, ...] = ("no_shows",)
ER: tuple[ReportKind, ...] = ("early_releases",)
BOTH: tuple[ReportKind, ...] = ("no_shows", "early_releases")
WEEK_SO_FAR = days(dt(16), dt(17, 10, 20))
LAST_WEEK = days(dt(9), dt(16))

# 1. Buildings by short names (campus tenant: 总部大楼北塔/南塔, 研发中心C栋/D栋, Riverside Building 2).
BUILDING_ROWS: list[tuple[str, Any]] = [
    ("is North Tower free now", IF("en", NORTH, NOW_SLOT)),
    ("North Tower 5F free at 3?", IF("en", NORTH_5, span(17, 15, 0, 15, 30))),
    ("who booked the north tower 7th floor tomorrow", WB("en", NORTH_7, day(18))),
    ("is Building C 7F free at 4pm", IF("en", C_7, span(17, 16, 0, 16, 30))),
    ("Bldg C 7F free now?", IF("en", C_7, NOW_SLOT)),
    ("Block C 7F free at 4", IF("en", C_7, span(17, 16, 0, 16, 30))),
    ("7F Block C at 2pm?", IF("en", C_7, span(17, 14, 0, 14, 30))),
    ("is Tower C free now", IF("en", BLDG_C, NOW_SLOT)),
    ("find a room in Building C for 6 people tomorrow morning",
     FF("en", span(18, 9, 0, 12, 0), 6, BLDG_C)),
    ("no-shows in South Tower yesterday", RP("en", NS, day(16), SOUTH)),
    ("who booked Bldg 2 today", WB("en", BLDG_2, day(17))),
    ("is 5F free at 3", CR("en", "5F", (NORTH_5, SOUTH_5, C_5), IF("en", NORTH_5, span(17, 15, 0, 15, 30)))),
    ("South Tower 6F tomorrow 2-3pm free?", IF("en", SOUTH_6, span(18, 14, 0, 15, 0))),
    ("北塔现在有空吗", IF("zh", NORTH, NOW_SLOT)),
    ("北塔5楼下午3点有空吗", IF("zh", NORTH_5, span(17, 15, 0, 15, 30))),
    ("5楼北塔明天谁订了", WB("zh", NORTH_5, day(18))),
    ("北塔 5F 现在有人吗", IF("zh", NORTH_5, NOW_SLOT)),
    ("C栋7楼现在有空吗", IF("zh", C_7, NOW_SLOT)),
    ("C座7楼明天上午有空吗", IF("zh", C_7, span(18, 9, 0, 12, 0))),
    ("7楼C座下午有空吗", IF("zh", C_7, span(17, 12, 0, 18, 0))),
    ("C栋明天谁订了", WB("zh", BLDG_C, day(18))),
    ("南塔上周的no-show", RP("zh", NS, LAST_WEEK, SOUTH)),
    ("北塔昨天谁提前释放了", RP("zh", ER, day(16), NORTH)),
    ("2号楼现在有空吗", IF("zh", BLDG_2, NOW_SLOT)),
    ("研发中心C栋7楼有空吗", IF("zh", C_7, NOW_SLOT)),
    ("帮我在北塔找个能坐8人的会议室", FF("zh", NOW_SLOT, 8, NORTH)),
    ("D栋下午3点有空吗", IF("zh", BLDG_D, span(17, 15, 0, 15, 30))),
    ("南塔6楼3点有人吗", IF("zh", SOUTH_6, span(17, 15, 0, 15, 30))),
    ("订阅北塔的日报", SUB("zh", BOTH, None, NORTH)),
    ("研发中心7楼有空吗", IF("zh", C_7, NOW_SLOT)),  # the only 研发中心 building with a 7th floor
    ("研发中心2楼有空吗", CR("zh", "研发中心", (C_2, D_2), IF("zh", C_2, NOW_SLOT))),
    ("研发中心现在有空吗", CR("zh", "研发中心", (BLDG_C, BLDG_D), IF("zh", BLDG_C, NOW_SLOT))),
]

# 2. Room nicknames and spellings, and several rooms at once (test tenant).
NICKNAME_ROWS: list[tuple[str, Any]] = [
    ("merc free at 3?", IF("en", MERCURY, span(17, 15, 0, 15, 30))),
    ("who booked merc tomorrow", WB("en", MERCURY, day(18))),
    ("jup free now?", IF("en", JUPITER, NOW_SLOT)),
    ("青城明天下午有空吗", IF("zh", QCS, span(18, 12, 0, 18, 0))),
    ("峨眉3点有空吗", IF("zh", EMEI, span(17, 15, 0, 15, 30))),
    ("qingchengshan free at 2?", IF("en", QCS, span(17, 14, 0, 14, 30))),
    ("is Qing Cheng Shan free at 2", IF("en", QCS, span(17, 14, 0, 14, 30))),
    ("Qīngchéngshān tomorrow at 10?", IF("en", QCS, span(18, 10, 0, 10, 30))),
    ("who booked muxing today", WB("en", JUPITER, day(17))),
    ("is mu xing free now", IF("en", JUPITER, NOW_SLOT)),
    ("emeishan明天有人订吗", IF("zh", EMEI, day(18))),
    ("roomA free?", IF("en", ROOM_A, NOW_SLOT)),
    ("who booked rooma today", WB("en", ROOM_A, day(17))),
    ("is RoomAB free at 4", IF("en", ROOM_AB, span(17, 16, 0, 16, 30))),
    ("会议室AB现在有人吗", IF("zh", ROOM_AB, NOW_SLOT)),
    ("AB会议室下午3点有空吗", IF("zh", ROOM_AB, span(17, 15, 0, 15, 30))),
    ("402会议室3点有空吗", IF("zh", R402, span(17, 15, 0, 15, 30))),
    ("room402 free at 4?", IF("en", R402, span(17, 16, 0, 16, 30))),
    ("青成山明天有空吗", IF("zh", QCS, day(18))),  # a homophone typo
    ("木兴下午有人吗", IF("zh", JUPITER, span(17, 12, 0, 18, 0))),
    ("is Mercury or Jupiter free at 3", IF("en", MERCURY, span(17, 15, 0, 15, 30), (JUPITER,))),
    ("Mercury和木星3点有空吗", IF("zh", MERCURY, span(17, 15, 0, 15, 30), (JUPITER,))),
    ("木星、土星、Oslo明天上午有空吗", IF("zh", JUPITER, span(18, 9, 0, 12, 0), (SATURN, OSLO))),
    ("is 5F or 6F free at 3", IF("en", F5, span(17, 15, 0, 15, 30), (F6,))),
    ("who booked Oslo and Everest yesterday", WB("en", OSLO, day(16), (EVEREST,))),
    ("is Mercry or Jupitor free at 4", IF("en", MERCURY, span(17, 16, 0, 16, 30), (JUPITER,))),
]

# 2, continued, on the campus tenant.
CAMPUS_NICKNAME_ROWS: list[tuple[str, Any]] = [
    ("西双版纳3点有空吗", IF("zh", BANNA, span(17, 15, 0, 15, 30))),
    ("xishuangbanna free at 3", IF("en", BANNA, span(17, 15, 0, 15, 30))),
    ("谁订了版纳", WB("zh", BANNA, day(17))),
    ("Banna tomorrow 10am?", IF("en", BANNA, span(18, 10, 0, 10, 30))),
    ("mer free at 3", CR("en", "mer", (MERAK, C_MERCURY), IF("en", MERAK, span(17, 15, 0, 15, 30)))),
    ("merc free at 3", IF("en", C_MERCURY, span(17, 15, 0, 15, 30))),
    ("RoomC free?", IF("en", ROOM_C, NOW_SLOT)),
    ("roomc tomorrow", WB("en", ROOM_C, day(18))),
    ("会议室C有空吗", IF("zh", ROOM_C, NOW_SLOT)),
    ("C会议室3点有人吗", IF("zh", ROOM_C, span(17, 15, 0, 15, 30))),
    ("B会议室现在能用吗", IF("zh", ROOM_B, NOW_SLOT)),
    ("is room b free at 2", IF("en", ROOM_B, span(17, 14, 0, 14, 30))),
    ("changcheng free at 2?", IF("en", GREAT_WALL, span(17, 14, 0, 14, 30))),
    ("长成明天上午有空吗", IF("zh", GREAT_WALL, span(18, 9, 0, 12, 0))),  # 长 read "zhang" here
    ("chongqingting free now", IF("en", CHONGQING, NOW_SLOT)),
    ("lvzhou 3点有空吗", IF("zh", OASIS, span(17, 15, 0, 15, 30))),
    ("luzhou free at 3", IF("en", OASIS, span(17, 15, 0, 15, 30))),
    ("taishan明天谁订了", WB("zh", TAISHAN, day(18))),
    ("泰删现在有人吗", IF("zh", TAISHAN, NOW_SLOT)),
    ("Lijiang or Banna at 4pm?", IF("en", LIJIANG, span(17, 16, 0, 16, 30), (BANNA,))),
    ("who booked orion today", WB("en", ORION, day(17))),
    ("is orian free at 3", IF("en", ORION, span(17, 15, 0, 15, 30))),
    ("aurora现在有人吗", IF("zh", AURORA, NOW_SLOT)),
]

# 3. Relative starts: a meeting that starts then, one slot long (not the span until then).
RELATIVE_ROWS: list[tuple[str, Any]] = [
    ("is Oslo free in 45 minutes", IF("en", OSLO, span(17, 11, 5, 11, 35))),
    ("is Jupiter free in two hours", IF("en", JUPITER, span(17, 12, 20, 12, 50))),
    ("Oslo in 20 min?", IF("en", OSLO, span(17, 10, 40, 11, 10))),
    ("is T2 7F free in 30 minutes", IF("en", F7, span(17, 10, 50, 11, 20))),
    ("find a room for 6 in an hour", FF("en", span(17, 11, 20, 11, 50), 6, TENANT)),
    ("need a room in half an hour for an hour", FF("en", span(17, 10, 50, 11, 50), 0, TENANT)),
    ("is Venus free an hour from now", IF("en", VENUS, span(17, 11, 20, 11, 50))),
    ("any room free in 15 mins for 4 people", FF("en", span(17, 10, 35, 11, 5), 4, TENANT)),
    ("who booked Oslo in an hour", IF("en", OSLO, span(17, 11, 20, 11, 50))),
    ("二十分钟后木星有空吗", IF("zh", JUPITER, span(17, 10, 40, 11, 10))),
    ("过一个小时开会，青城山有空吗", IF("zh", QCS, span(17, 11, 20, 11, 50))),
    ("半小时后Oslo有人吗", IF("zh", OSLO, span(17, 10, 50, 11, 20))),
    ("一个半小时后帮我找个会议室", FF("zh", span(17, 11, 50, 12, 20), 0, TENANT)),
    ("再过十分钟5楼有空会议室吗", IF("zh", F5, span(17, 10, 30, 11, 0))),
    ("2小时以后木星有人用吗", IF("zh", JUPITER, span(17, 12, 20, 12, 50))),
    ("十五分钟之后有没有空会议室", FF("zh", span(17, 10, 35, 11, 5), 0, TENANT)),
    ("木星两天后有空吗", IF("zh", JUPITER, day(19))),
    ("is Oslo free in 2 days", IF("en", OSLO, day(19))),
]

# 4. Weekdays and weekends, asked on a Sunday or on the Tuesday of NOW.
WEEKDAY_ROWS: list[tuple[datetime, str, Any]] = [
    (SUNDAY, "who booked Mercury this Thursday", WB("en", MERCURY, day(26))),
    (SUNDAY, "周四谁订了木星", WB("zh", JUPITER, day(26))),
    (SUNDAY, "is Oslo free Thursday at 3", IF("en", OSLO, span(26, 15, 0, 15, 30))),
    (SUNDAY, "周四下午木星有空吗", IF("zh", JUPITER, span(26, 12, 0, 18, 0))),
    (SUNDAY, "who booked Oslo next Monday", WB("en", OSLO, day(23))),
    (SUNDAY, "下周一木星有空吗", IF("zh", JUPITER, day(23))),
    (SUNDAY, "who booked Oslo last Tuesday", WB("en", OSLO, day(17))),
    (SUNDAY, "上周二谁订了木星", WB("zh", JUPITER, day(10))),
    (SUNDAY, "no-shows on Thursday", RP("en", NS, day(19))),
    (SUNDAY, "周四谁没签到", RP("zh", NS, day(19))),
    (SUNDAY, "这周四谁订了木星", WB("zh", JUPITER, day(19))),
    (SUNDAY, "is Jupiter free on Sunday", IF("en", JUPITER, day(22))),
    (SUNDAY, "no-shows this weekend", RP("en", NS, days(dt(21), dt(22, 15, 0)))),
    (NOW, "is Oslo free this weekend", IF("en", OSLO, days(dt(21), dt(23)))),
    (NOW, "周末木星有人订吗", IF("zh", JUPITER, days(dt(21), dt(23)))),
    (NOW, "who booked Everest last weekend", WB("en", EVEREST, days(dt(14), dt(16)))),
    (NOW, "上周末谁没签到", RP("zh", NS, days(dt(14), dt(16)))),
    (NOW, "下周末木星有空吗", IF("zh", JUPITER, days(dt(28), dt(30)))),
    (NOW, "who booked Oslo on Thursday", WB("en", OSLO, day(19))),
    (NOW, "Mercury last Friday?", WB("en", MERCURY, day(13))),
    (NOW, "who booked Oslo this Monday", WB("en", OSLO, day(23))),
    (WEEKEND, "木星周日有空吗", IF("zh", JUPITER, day(22))),
]

# 5. Compact and loose times; a time still to come today is asked of free/busy even as "who".
TIME_ROWS: list[tuple[str, Any]] = [
    ("is Oslo free at 1630", IF("en", OSLO, span(17, 16, 30, 17, 0))),
    ("Oslo 1630?", IF("en", OSLO, span(17, 16, 30, 17, 0))),
    ("is Jupiter free at 15h", IF("en", JUPITER, span(17, 15, 0, 15, 30))),
    ("is Jupiter free 9h30 tomorrow", IF("en", JUPITER, span(18, 9, 30, 10, 0))),
    ("is Venus free at three o'clock", IF("en", VENUS, span(17, 15, 0, 15, 30))),
    ("Oslo at half past four?", IF("en", OSLO, span(17, 16, 30, 17, 0))),
    ("is Oslo free at quarter past 3", IF("en", OSLO, span(17, 15, 15, 15, 45))),
    ("is Oslo free at 4.30pm", IF("en", OSLO, span(17, 16, 30, 17, 0))),
    ("is Oslo free until end of day", IF("en", OSLO, span(17, 10, 20, 18, 0))),
    ("is Mercury free at noon tomorrow", IF("en", MERCURY, span(18, 12, 0, 12, 30))),
    ("who booked Mercury at 4pm", IF("en", MERCURY, span(17, 16, 0, 16, 30))),
    ("who's in Oslo at 1400", IF("en", OSLO, span(17, 14, 0, 14, 30))),
    ("who booked Mercury at 9am", WB("en", MERCURY, span(17, 9, 0, 9, 30))),  # past: the ledger
    ("who has Oslo tomorrow at 3", WB("en", OSLO, span(18, 15, 0, 15, 30))),
    ("木星三点一刻有空吗", IF("zh", JUPITER, span(17, 15, 15, 15, 45))),
    ("Oslo 4点半有空吗", IF("zh", OSLO, span(17, 16, 30, 17, 0))),
    ("晚上8点木星有人吗", IF("zh", JUPITER, span(17, 20, 0, 20, 30))),
    ("木星晚八点有空吗", IF("zh", JUPITER, span(17, 20, 0, 20, 30))),
    ("中午木星有人吗", IF("zh", JUPITER, span(17, 12, 0, 13, 0))),
    ("木星下班前有空吗", IF("zh", JUPITER, span(17, 10, 20, 18, 0))),
    ("谁订了木星下午4点", IF("zh", JUPITER, span(17, 16, 0, 16, 30))),
    ("木星三点四十五有空吗", IF("zh", JUPITER, span(17, 15, 45, 16, 15))),
    ("木星十点过五分有空吗", IF("zh", JUPITER, span(17, 10, 5, 10, 35))),
    ("青城山16点半谁在用", IF("zh", QCS, span(17, 16, 30, 17, 0))),
]

# 6. Colloquial Chinese and questions without a verb: a room or floor plus a time asks if it is free.
COLLOQUIAL_ROWS: list[tuple[str, Any]] = [
    ("木星有人占着吗", IF("zh", JUPITER, NOW_SLOT)),
    ("青城山空着没", IF("zh", QCS, NOW_SLOT)),
    ("Oslo现在能不能用", IF("zh", OSLO, NOW_SLOT)),
    ("木星3点被订了吗", IF("zh", JUPITER, span(17, 15, 0, 15, 30))),
    ("青城山明天上午有人订吗", IF("zh", QCS, span(18, 9, 0, 12, 0))),
    ("木星现在忙不忙", IF("zh", JUPITER, NOW_SLOT)),
    ("峨眉山空不空", IF("zh", EMEI, NOW_SLOT)),
    ("Oslo 下午有安排吗", IF("zh", OSLO, span(17, 12, 0, 18, 0))),
    ("5楼现在有没有人", IF("zh", F5, NOW_SLOT)),
    ("木星现在能借用吗", IF("zh", JUPITER, NOW_SLOT)),
    ("7楼下午3点？", IF("zh", F7, span(17, 15, 0, 15, 30))),
    ("木星三点？", IF("zh", JUPITER, span(17, 15, 0, 15, 30))),
    ("Mercury at 2pm?", IF("en", MERCURY, span(17, 14, 0, 14, 30))),
    ("7F 3pm?", IF("en", F7, span(17, 15, 0, 15, 30))),
    ("Jupiter tomorrow 10am?", IF("en", JUPITER, span(18, 10, 0, 10, 30))),
    ("anyone in Oslo?", IF("en", OSLO, NOW_SLOT)),
    ("is anybody using Jupiter at 4", IF("en", JUPITER, span(17, 16, 0, 16, 30))),
    ("is there a meeting in Mercury at 3", IF("en", MERCURY, span(17, 15, 0, 15, 30))),
    ("book Oslo at 3", BK("en", OSLO, span(17, 15, 0, 15, 30), 0, False)),
    ("T2 7F now?", IF("en", F7, NOW_SLOT)),
    ("Room 402 tmrw 9am?", IF("en", R402, span(18, 9, 0, 9, 30))),
    ("Venus this afternoon?", IF("en", VENUS, span(17, 13, 0, 18, 0))),
]

# 7. Reports in other words; the kind and the place (room, floor, building) carry through.
REPORT_ROWS: list[tuple[str, Any]] = [
    ("哪些会议室占着不用", RP("zh", NS, day(16), TENANT)),
    ("超时没签到被释放的", RP("zh", NS, day(16), TENANT)),
    ("昨天有哪些会议室订了没人来", RP("zh", NS, day(16), TENANT)),
    ("上周超时未签到的会议", RP("zh", NS, LAST_WEEK, TENANT)),
    ("5楼昨天谁放鸽子了", RP("zh", NS, day(16), F5)),
    ("这周谁提前退了会议室", RP("zh", ER, WEEK_SO_FAR, TENANT)),
    ("木星上周的no-show", RP("zh", NS, LAST_WEEK, JUPITER)),
    ("T2上周的提前释放", RP("zh", ER, LAST_WEEK, T2)),
    ("昨天被自动释放的会议室", RP("zh", NS, day(16), TENANT)),
    ("上周五楼的爽约", RP("zh", NS, LAST_WEEK, F5)),
    ("who didn't check in on 7F yesterday", RP("en", NS, day(16), F7)),
    ("which rooms were booked but not used yesterday", RP("en", NS, day(16), TENANT)),
    ("ghost bookings last week", RP("en", NS, LAST_WEEK, TENANT)),
    ("who didnt check-in today", RP("en", NS, day(17), TENANT)),
    ("no check-ins on 5F yesterday", RP("en", NS, day(16), F5)),
    ("who gave rooms back early last week", RP("en", ER, LAST_WEEK, TENANT)),
    ("meetings that ended early this week", RP("en", ER, WEEK_SO_FAR, TENANT)),
    ("Mercury no-shows last week", RP("en", NS, LAST_WEEK, MERCURY)),
    ("no-shows this month", RP("en", NS, days(dt(1), dt(17, 10, 20)), TENANT)),
    ("上个月谁没签到", RP("zh", NS, days(dt(1, month=10), dt(1)), TENANT)),
    ("no-shows in the last 7 days", RP("en", NS, days(dt(10), dt(17, 10, 20)), TENANT)),
    ("最近3天谁提前释放了", RP("zh", ER, days(dt(14), dt(17, 10, 20)), TENANT)),
]

# 7, continued, on the campus tenant.
CAMPUS_REPORT_ROWS: list[tuple[str, Any]] = [
    ("北塔上周的no-show", RP("zh", NS, LAST_WEEK, NORTH)),
    ("C栋昨天谁没签到", RP("zh", NS, day(16), BLDG_C)),
    ("early releases in North Tower this week", RP("en", ER, WEEK_SO_FAR, NORTH)),
    ("no-shows on North Tower 5F yesterday", RP("en", NS, day(16), NORTH_5)),
]

DIRECTORY = make_directory()
CAMPUS = make_campus()
TEST_TENANT_ROWS = NICKNAME_ROWS + RELATIVE_ROWS + TIME_ROWS + COLLOQUIAL_ROWS + REPORT_ROWS
CAMPUS_ROWS = BUILDING_ROWS + CAMPUS_NICKNAME_ROWS + CAMPUS_REPORT_ROWS
ALL_ROWS: list[tuple[datetime, str, Any, Any]] = [
    *((NOW, text, expected, DIRECTORY) for text, expected in TEST_TENANT_ROWS),
    *((NOW, text, expected, CAMPUS) for text, expected in CAMPUS_ROWS),
    *((now, text, expected, DIRECTORY) for now, text, expected in WEEKDAY_ROWS),
]


@pytest.mark.parametrize(("text", "expected"), TEST_TENANT_ROWS)
def test_test_tenant(text: str, expected: Any) -> None:
    assert unlabel(parse(text, NOW, DIRECTORY)) == expected


@pytest.mark.parametrize(("text", "expected"), CAMPUS_ROWS)
def test_campus(text: str, expected: Any) -> None:
    assert unlabel(parse(text, NOW, CAMPUS)) == expected


@pytest.mark.parametrize(("now", "text", "expected"), WEEKDAY_ROWS)
def test_weekdays(now: datetime, text: str, expected: Any) -> None:
    assert unlabel(parse(text, now, DIRECTORY)) == expected


def test_families_are_big_and_bilingual() -> None:
    zh = [text for _, text, _, _ in ALL_ROWS if any("\u4e00" <= ch <= "\u9fff" for ch in text)]
    assert len(ALL_ROWS) >= 120
    assert min(len(zh), len(ALL_ROWS) - len(zh)) >= 50
