"""Whether roombot may offer a room for a slot: the room's reserve rules (vc/v1 reserve_scope),
cached like the directory, and a pure check of one slot against them."""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.feishu.errors import FeishuError
from bot.feishu.models import ReserveRules

log = logging.getLogger(__name__)

RULES_TTL_SECONDS = 600.0  # rooms' booking rules change rarely; an admin's change shows within 10 min
# The reasons a slot cannot be booked, as the cards explain them.
APPROVAL, TOO_FAR, OUTSIDE_HOURS, TOO_LONG, NOT_ALLOWED, PAST = (
    "approval", "too_far", "outside_hours", "too_long", "not_allowed", "past")


class RulesCache:
    """Each room's reserve rules, read at most once per TTL (thread-safe). A room whose rules cannot
    be read (no permission, an outage) is offered anyway: Feishu itself still decides."""

    def __init__(self, fetch: Callable[[str], ReserveRules], ttl: float = RULES_TTL_SECONDS,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._fetch, self._ttl, self._monotonic = fetch, ttl, monotonic
        self._rules: dict[str, tuple[float, ReserveRules | None]] = {}
        self._lock = threading.Lock()

    def get(self, room_id: str) -> ReserveRules | None:
        now = self._monotonic()
        with self._lock:
            hit = self._rules.get(room_id)
        if hit and now - hit[0] < self._ttl:
            return hit[1]
        try:
            rules: ReserveRules | None = self._fetch(room_id)
        except FeishuError as exc:
            log.warning("reserve rules of %s not read (%s); offering it, Feishu decides", room_id, exc)
            rules = None
        with self._lock:
            self._rules[room_id] = (now, rules)
        return rules


def refusal(rules: ReserveRules | None, start: datetime, end: datetime, now: datetime,
            requester: str, max_minutes: int) -> str:
    """Why this slot cannot be booked for `requester` ("" when it can, as far as roombot knows)."""
    minutes = (end - start).total_seconds() / 60
    if end <= now:
        return PAST
    if minutes > max_minutes:
        return TOO_LONG
    if rules is None:
        return ""
    if rules.approval and (rules.approval_over_hours <= 0 or minutes > rules.approval_over_hours * 60):
        return APPROVAL
    if not rules.allow_all and requester not in rules.allow_users and not rules.allow_depts:
        return NOT_ALLOWED  # with departments listed roombot cannot tell (no contact scope): Feishu does
    if rules.limited_time:
        if rules.max_hours and minutes > rules.max_hours * 60:
            return TOO_LONG
        if rules.days_in_advance and start.date() > (now + timedelta(days=rules.days_in_advance)).date():
            return TOO_FAR
        if not _within_day(rules, start, end):
            return OUTSIDE_HOURS
    return ""


def _within_day(rules: ReserveRules, start: datetime, end: datetime) -> bool:
    if not rules.day_end_s or rules.day_end_s <= rules.day_start_s:
        return True
    midnight = start.replace(hour=0, minute=0, second=0, microsecond=0)
    opens = midnight + timedelta(seconds=rules.day_start_s)
    closes = midnight + timedelta(seconds=rules.day_end_s)
    return opens <= start and end <= closes
