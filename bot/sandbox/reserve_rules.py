"""Each sandbox room's booking limits, as GET vc/v1/reserve_configs/reserve_scope reports them, and the
check a room makes before it accepts a booking [DOC 查询会议室预定限制, 日历常见问题].

Most rooms are open to everyone at any time. A deterministic few (never the fixed example rooms)
need approval, take bookings only from some people or departments, or keep a narrow window: a week
ahead at most, 09:00-18:00, an hour or two. An app cannot book an approval room: approval needs a
user token, so the room always declines it.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.sandbox.directory import FIXED_ROOMS, Directory, User, stable_hex
from bot.sandbox.user_ids import user_ref

KIND_OPEN, KIND_APPROVAL, KIND_RESTRICTED, KIND_NARROW = "open", "approval", "restricted", "narrow"
HOUR = 3600
CHECK_IN_SHARE = 0.8  # of the rooms: bookings there must be checked in (sandbox-only, see RoomRules)

# Why a room declines (the sandbox's words; Feishu only says "decline").
APPROVAL, TOO_FAR_AHEAD, OUTSIDE_HOURS, TOO_LONG, NOT_ALLOWED = (
    "needs approval", "beyond days_in_advance", "outside the daily hours", "longer than max_duration",
    "not among allowed users or departments")


@dataclass(frozen=True)
class RoomRules:
    """One room's reserve_scope: approval, time window, who may book; plus whether it needs check-in.

    The defaults are the documented ones (meeting_duration 99 h, 365 days, opening 08:00, 0-86400 s,
    max 2 h); they apply only when the matching switch is on.
    """

    kind: str = KIND_OPEN
    approval_switch: int = 0
    approval_condition: int = 0  # 0: every booking needs approval; 1: those longer than meeting_duration
    meeting_duration: float = 99.0  # hours
    approvers: tuple[str, ...] = ()  # open_ids
    time_switch: int = 0
    days_in_advance: int = 365
    opening_hour: int = 8 * HOUR  # seconds after midnight: the furthest day opens then
    start_time: int = 0  # daily window, seconds after midnight
    end_time: int = 24 * HOUR
    max_duration: int = 2  # hours
    allow_all_users: int = 1
    allow_users: tuple[str, ...] = ()  # open_ids
    allow_depts: tuple[str, ...] = ()  # open_department_ids
    # No Feishu API publishes whether a room wants check-in; this sandbox-only flag decides whether
    # bookings made here through the calendar (or add_booking) get a check-in outcome or 无需签到.
    needs_check_in: bool = True


def department_id(seed: int, name: str) -> str:
    """The open_department_id of a sandbox department (users carry only its name)."""
    return "od-" + stable_hex("department", seed, name)


def build_rules(directory: Directory) -> dict[str, RoomRules]:
    """Rules for every room, from a random stream of their own (the tenant and its bookings stay as they were)."""
    rng = random.Random(f"sandbox-rules:{directory.seed}:{len(directory.rooms)}")
    fixed = {name for _, name, _ in FIXED_ROOMS}
    rules = {r.room_id: RoomRules(needs_check_in=rng.random() < CHECK_IN_SHARE or r.name in fixed)
             for r in directory.rooms}
    candidates = [r.room_id for r in directory.rooms if r.name not in fixed and r.enabled]
    rng.shuffle(candidates)
    each = max(1, len(candidates) // 14)
    makers = (_approval, _restricted, _narrow)
    for index, room_id in enumerate(candidates[: each * len(makers)]):
        kind, nth = divmod(index, each)
        rules[room_id] = makers[kind](rng, directory, nth, rules[room_id].needs_check_in)
    return rules


def _approval(rng: random.Random, directory: Directory, nth: int, check_in: bool) -> RoomRules:
    condition = nth % 2  # alternately every booking, and those over an hour
    return RoomRules(KIND_APPROVAL, 1, condition, 1.0 if condition else 99.0, (rng.choice(directory.users).open_id,),
                     needs_check_in=check_in)


def _restricted(rng: random.Random, directory: Directory, nth: int, check_in: bool) -> RoomRules:
    users = tuple(u.open_id for u in rng.sample(directory.users, 3))
    department = department_id(directory.seed, rng.choice(directory.users).department)
    return RoomRules(KIND_RESTRICTED, allow_all_users=0, allow_users=users, allow_depts=(department,),
                     needs_check_in=check_in)


def _narrow(rng: random.Random, directory: Directory, nth: int, check_in: bool) -> RoomRules:
    return RoomRules(KIND_NARROW, time_switch=1, days_in_advance=7 if nth % 2 else 14, opening_hour=9 * HOUR,
                     start_time=9 * HOUR, end_time=18 * HOUR, max_duration=1 + nth % 2, needs_check_in=check_in)


def refusal(rules: RoomRules, start: int, end: int, person: User, now: datetime, seed: int,
            tz: ZoneInfo) -> str | None:
    """Why the room declines [start, end) booked for `person` at `now`, or None when its rules allow it."""
    hours = (end - start) / HOUR
    if rules.approval_switch and (rules.approval_condition == 0 or hours > rules.meeting_duration):
        return APPROVAL
    if rules.time_switch:
        local = datetime.fromtimestamp(start, tz)
        today = now.astimezone(tz)
        last_day = today.date() + timedelta(days=rules.days_in_advance)
        opened = _seconds(today) >= rules.opening_hour
        if local.date() > last_day or (local.date() == last_day and not opened):
            return TOO_FAR_AHEAD
        if _seconds(local) < rules.start_time or _seconds(local) + (end - start) > rules.end_time:
            return OUTSIDE_HOURS
        if hours > rules.max_duration:
            return TOO_LONG
    if not rules.allow_all_users and person.open_id not in rules.allow_users \
            and department_id(seed, person.department) not in rules.allow_depts:
        return NOT_ALLOWED
    return None


def _seconds(moment: datetime) -> int:
    return moment.hour * HOUR + moment.minute * 60 + moment.second


def rules_json(rules: RoomRules, directory: Directory, id_type: str) -> dict[str, Any]:
    """The reserve_scope reply's data. opening_hour, start_time and end_time are strings, as in the
    doc's example (the SDK types them int but passes the value through)."""
    def people(open_ids: tuple[str, ...]) -> list[dict[str, str]]:
        found = (directory.user(i) for i in open_ids)
        return [{"user_id": user_ref(u, id_type)} for u in found if u is not None]

    return {
        "approve_config": {"approval_switch": rules.approval_switch, "approval_condition": rules.approval_condition,
                           "meeting_duration": rules.meeting_duration, "approvers": people(rules.approvers)},
        "time_config": {"if_cover_child_scope": False, "time_switch": rules.time_switch,
                        "days_in_advance": rules.days_in_advance, "opening_hour": str(rules.opening_hour),
                        "start_time": str(rules.start_time), "end_time": str(rules.end_time),
                        "max_duration": rules.max_duration},
        "reserve_scope_config": {"if_cover_child_scope": False, "allow_all_users": rules.allow_all_users,
                                 "allow_users": people(rules.allow_users),
                                 "allow_depts": [{"department_id": d} for d in rules.allow_depts]},
    }
