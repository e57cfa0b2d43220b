"""Opt-in nudges: one direct message a week to each person with repeated no-shows.

With `privacy.nudge_no_shows = true`, the daily digest run sends each reserver with at least
`privacy.nudge_threshold` no-shows in the last 7 days a card listing them and how to release a room
they will not use. Exactly once per (person, week): a store claim like a digest's, keyed
("nudge:<id>", the week's Monday, "nudge"), sent with the claim's uuid.

Who to message: the reservation list gives `reserver_user_id` ("ou_…(UserID);cli_…(BotID)",
feishu-contract §6.1); the export has no id column (§6.4), so a person known only by name gets
their id from one list call per day for the rooms of their no-shows. A person the bot cannot
message (230013: outside the app's availability; a bad id) is logged and skipped for the week.
"""
from __future__ import annotations

import logging
import re
from collections import defaultdict
from datetime import date, datetime, time, timedelta
from typing import Any

from bot.answer.weekly_digest import week_of
from bot.digest.facts import NoShow
from bot.feishu.errors import ChatUnreachable, FeishuError
from bot.queries import Reply
from bot.render.cards import render
from bot.respond import Responder

log = logging.getLogger(__name__)

NUDGE_KIND = "nudge"
UNREACHABLE_CODES = frozenset({230013, 230034})  # outside the app's availability; bad receive_id
_ID = re.compile(r"\s*([A-Za-z0-9_\-]+)\s*(?:\((\w+)\))?\s*$")
_CJK = re.compile(r"[\u3400-\u9fff]")


def receiver(raw: str) -> tuple[str, str] | None:
    """(id, receive_id_type) from a reserver_user_id such as "ou_1(UserID);cli_2(BotID)"."""
    for part in raw.split(";"):
        match = _ID.match(part)
        if match and (match[2] is None or match[2].lower() in ("userid", "openid")):
            ident = match[1]
            return ident, "open_id" if ident.startswith("ou_") else "user_id"
    return None


def send_nudges(responder: Responder, day: date, week: list[NoShow]) -> list[str]:
    """Nudge everyone over the threshold in day-6..day who was not nudged this week; return the
    ids messaged."""
    threshold = responder.settings.privacy.nudge_threshold
    first = day - timedelta(days=6)
    people: dict[tuple[str, str], list[NoShow]] = defaultdict(list)
    for miss in week:
        if first <= miss.day <= day and (miss.reserver or miss.reserver_id):
            people[(miss.reserver, miss.department)].append(miss)
    due = {who: misses for who, misses in people.items() if len(misses) >= threshold}
    ids = _ids(responder, due)
    monday, _ = week_of(day)
    sent = []
    for who, misses in sorted(due.items()):
        target = ids.get(who)
        if target is None:
            log.warning("nudge: no Feishu id for %s (%s); skipped", who[0], who[1])
        elif _nudge(responder, target, who[0], sorted(misses, key=lambda m: m.start), monday):
            sent.append(target[0])
    return sent


def _ids(responder: Responder, due: dict[tuple[str, str], list[NoShow]]
         ) -> dict[tuple[str, str], tuple[str, str]]:
    """Each person's (id, id type): from their rows, or else from the list API for the day and
    rooms of their no-shows (export rows carry no id)."""
    found = {}
    lookups: dict[date, set[str]] = defaultdict(set)
    for who, misses in due.items():
        known = next((r for m in misses if m.reserver_id and (r := receiver(m.reserver_id))), None)
        located = next((m for m in misses if m.room_id), None)
        if known:
            found[who] = known
        elif located is not None:
            lookups[located.day].add(located.room_id)
    tz, root = responder.settings.bot.tz, responder.settings.bot.room_level_id
    for day, rooms in sorted(lookups.items()):
        start = datetime.combine(day, time(0), tz)
        try:
            rows = responder.gateway.reservations(root, start, start + timedelta(days=1),
                                                  room_ids=sorted(rooms))
        except FeishuError as exc:
            log.warning("nudge: reserver ids of %s unreadable, those people wait: %s", day, exc)
            continue
        for row in rows:
            target = receiver(row.reserver_id)
            if target and (row.reserver, row.department) in due:
                found.setdefault((row.reserver, row.department), target)
    return found


def _nudge(responder: Responder, target: tuple[str, str], name: str, misses: list[NoShow],
           monday: date) -> bool:
    """Send one person's nudge once this week; False when claimed already or not deliverable."""
    claim = responder.store.claim_digest(f"nudge:{target[0]}", monday, NUDGE_KIND)
    if claim is None:
        return False
    card = render(Reply("nudge", nudge_data(responder, name, misses), _lang(name)))
    try:
        sent = responder.gateway.send_card(target[0], card, receive_id_type=target[1],
                                           uuid=claim.uuid)
    except FeishuError as exc:
        if isinstance(exc, ChatUnreachable) or exc.code in UNREACHABLE_CODES:
            log.warning("nudge: %s cannot be messaged (%s, log_id %s); skipped this week",
                        target[0], exc.code, exc.log_id)
            responder.store.mark_digest_sent(claim, f"unreachable:{exc.code}")
        else:
            log.warning("nudge to %s failed, will retry on the next run: %s", target[0], exc)
            responder.store.release_digest(claim)
        return False
    responder.store.mark_digest_sent(claim, sent.message_id)
    return True


def nudge_data(responder: Responder, name: str, misses: list[NoShow]) -> dict[str, Any]:
    """The nudge card's data: the person's no-shows of the last 7 days, oldest first."""
    tz, directory = responder.settings.bot.tz, responder.directory.get()
    rows = []
    for miss in misses:
        room = directory.room(miss.room_id) if miss.room_id else None
        rows.append({"day": miss.start.astimezone(tz).date(), "room": miss.room_name,
                     "time": f"{miss.start.astimezone(tz):%H:%M}–{miss.end.astimezone(tz):%H:%M}",
                     "place": directory.location_label(room) if room else ""})
    return {"name": name, "count": len(misses), "days": 7, "misses": rows}


def _lang(name: str) -> str:
    """Chinese for a Chinese name, else English (Feishu does not tell us the person's language)."""
    return "zh" if _CJK.search(name) else "en"
