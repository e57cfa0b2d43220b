"""Build and post the daily digests: fetch the day once, one card per subscription, each sent exactly once.

Data for all subscriptions is fetched once per run: the digest day through the paged list API, or
through one async export when the tenant is big. The day before (for the change numbers) and the
earlier days of the week (repeat offenders) come from what earlier runs and the scheduler's
history job remembered in the store (bot/digest/facts.py, history.py); days still missing are
read too, in chunks. If the data cannot be fetched,
nothing is posted. With `privacy.nudge_no_shows` on, the run then nudges repeat no-showers.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from bot.answer.digest import DayData, answer_digest, day_data, digest_query
from bot.digest import facts
from bot.digest.fetch import DigestDataError, Progress, fetch_rows
from bot.digest.history import read_and_remember
from bot.digest.nudges import send_nudges
from bot.feishu.errors import ChatUnreachable, FeishuError
from bot.insights import incidents
from bot.queries import TENANT, Place
from bot.render.cards import render
from bot.respond import Responder
from bot.store import Subscription

log = logging.getLogger(__name__)

__all__ = ["DigestDataError", "DigestRun", "digest_kind", "fetch_day_data", "fetch_rows",
           "names_allowed", "not_yet_sent", "run_digests", "send_once", "subscription_place"]


@dataclass
class DigestRun:
    """What one run did; `cards` holds the cards of a dry run."""

    day: date  # the digest's day; a weekly digest's Monday
    method: str = ""  # "paging", "export", "export->paging"
    sent: list[tuple[str, str, str]] = field(default_factory=list)  # (chat_id, kind, message_id)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (chat_id, why)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (chat_id or "*", error)
    deactivated: list[str] = field(default_factory=list)
    cards: list[dict[str, Any]] = field(default_factory=list)
    calls: int = 0  # Feishu calls made by this run
    nudged: list[str] = field(default_factory=list)  # people sent a nudge
    period: str = "daily"

    def __str__(self) -> str:
        what = f"weekly digest {self.day}–{self.day + timedelta(days=6)}" if (
            self.period == "weekly") else f"digest {self.day}"
        return (f"{what}: {len(self.sent)} sent, {len(self.skipped)} skipped, "
                f"{len(self.failed)} failed, {len(self.deactivated)} chat(s) deactivated, "
                f"{len(self.cards)} card(s) built, {len(self.nudged)} nudge(s); data by "
                f"{self.method or '-'}, {self.calls} Feishu call(s)")


def run_digests(responder: Responder, day: date | None = None, chat_id: str | None = None,
                dry_run: bool = False, on_progress: Progress | None = None,
                at: str | None = None, nudge: bool = False) -> DigestRun:
    """Post (or with dry_run, build) the digest of `day` (default yesterday) for each daily
    subscription (of one chat, or at one time of day); then, with `nudge`, the nudges."""
    progress = on_progress or (lambda _message: None)
    day = day or responder.now().date() - timedelta(days=1)
    run = DigestRun(day)
    subs = [s for s in responder.store.subscriptions(chat_id)
            if s.period == "daily" and (at is None or s.at == at)]
    if not dry_run:
        subs = not_yet_sent(responder, subs, day, run)
    nudging = nudge and not dry_run and responder.settings.privacy.nudge_no_shows
    before = responder.gateway.calls.total
    if subs or nudging:
        try:
            data, week = fetch_day_data(
                responder, day, need_marks=nudging or any(names_allowed(responder, s) for s in subs),
                progress=progress)
        except DigestDataError as exc:
            log.error("digest %s: no data, nothing posted: %s", day, exc)
            run.failed.append(("*", str(exc)))
            run.calls = responder.gateway.calls.total - before
            return run
        run.method = data.method
        for sub in subs:
            _serve(responder, sub, data, run, dry_run, progress)
        if nudging and data.marks:
            run.nudged = send_nudges(responder, day, week)
    else:
        progress("no subscriptions to serve")
    run.calls = responder.gateway.calls.total - before
    log.info("%s", run)
    return run


def not_yet_sent(responder: Responder, subs: list[Subscription], day: date,
                 run: DigestRun) -> list[Subscription]:
    """Drop subscriptions whose digest for `day` is already sent (so a re-run fetches nothing)."""
    todo = []
    for sub in subs:
        status = responder.store.digest_status(sub.chat_id, day, digest_kind(sub))
        if status is not None and status[0] == "sent":
            run.skipped.append((sub.chat_id, "already sent"))
        else:
            todo.append(sub)
    return todo


def _serve(responder: Responder, sub: Subscription, data: DayData, run: DigestRun,
           dry_run: bool, progress: Progress) -> None:
    """Answer one subscription's digest, render it, and send it once (or keep it: dry run)."""
    query = digest_query(sub.lang, subscription_place(responder, sub), data.day, sub.kinds,
                         names_allowed(responder, sub))
    ctx = responder.context(sub.chat_id, sub.chat_type)
    card = render(answer_digest(query, ctx, data))
    if dry_run:
        run.cards.append(card)
        return
    send_once(responder, sub, data.day, digest_kind(sub), card, run, progress)


def send_once(responder: Responder, sub: Subscription, day: date, kind: str,
              card: dict[str, Any], run: DigestRun, progress: Progress) -> None:
    """Claim (chat, day, kind), send the card with the claim's uuid, and record the outcome."""
    claim = responder.store.claim_digest(sub.chat_id, day, kind)
    if claim is None:
        run.skipped.append((sub.chat_id, "already sent or being sent"))
        return
    try:
        sent = responder.gateway.send_card(sub.chat_id, card, uuid=claim.uuid)
    except ChatUnreachable as exc:
        responder.store.release_digest(claim)
        responder.store.deactivate_chat(sub.chat_id, f"{exc.code}: {exc.msg}")
        run.deactivated.append(sub.chat_id)
        run.failed.append((sub.chat_id, str(exc)))
        return
    except FeishuError as exc:
        responder.store.release_digest(claim)
        log.warning("digest to %s failed, will retry on the next run: %s", sub.chat_id, exc)
        run.failed.append((sub.chat_id, str(exc)))
        return
    responder.store.mark_digest_sent(claim, sent.message_id)
    run.sent.append((sub.chat_id, kind, sent.message_id))
    progress(f"sent to {sub.chat_id} ({sent.message_id})")


def digest_kind(sub: Subscription) -> str:
    """The exactly-once key of a subscription's digest (a chat may follow several places)."""
    return f"{sub.period}:{sub.level_id or 'tenant'}"


# ----------------------------------------------------------------------------------- fetching

def fetch_day_data(responder: Responder, day: date, *, need_marks: bool = True,
                   progress: Progress | None = None) -> tuple[DayData, list[facts.NoShow]]:
    """The digest day (and the day before unless remembered) reduced to per-room counts and
    incidents, and 7 days of no-shows ([] when not needed or unreadable)."""
    progress = progress or (lambda _message: None)
    tz, store, now = responder.settings.bot.tz, responder.store, responder.now()
    yesterday = day - timedelta(days=1)
    before = facts.known_counts(store, yesterday, yesterday).get(yesterday)
    first = day if before is not None else yesterday
    try:
        rows, method = fetch_rows(responder, first, day, progress)
    except FeishuError as exc:
        raise DigestDataError(f"reservations of {day} could not be read: {exc}") from exc
    fetched: list[facts.NoShow] = []
    by_day = {}
    for d, reduced in facts.reduce_days(rows, facts.days_between(first, day), tz).items():
        by_day[d] = reduced.counts
        facts.remember(store, d, reduced, now)
        fetched += reduced.misses
    data = day_data(day, rows, tz, by_day.get(yesterday, before), method=method,
                    counts=by_day[day])
    del rows  # only the reduced day is kept
    week = _week_no_shows(responder, day, fetched, first, progress) if need_marks else []
    return replace(data, marks=[n.mark for n in week]), week


def _week_no_shows(responder: Responder, day: date, fetched: list[facts.NoShow], first: date,
                   progress: Progress) -> list[facts.NoShow]:
    """No-shows of day-6..day: `fetched` covers first..day; older days come from the store or,
    when not remembered, from Feishu (in chunks, remembered for next time). [] when unreadable."""
    tz, store = responder.settings.bot.tz, responder.store
    start = day - timedelta(days=incidents.REPEAT_DAYS - 1)
    known = facts.known_no_shows(store, start, first - timedelta(days=1), tz)
    found = fetched + [n for items in known.values() for n in items]
    missing = [d for d in facts.days_between(start, first - timedelta(days=1)) if d not in known]
    if missing:
        progress(f"reading no-shows of {len(missing)} earlier day(s)")
        try:
            for chunk in read_and_remember(responder, missing[0], missing[-1], progress):
                found += [n for d, _counts, misses in chunk if d in missing for n in misses]
        except (DigestDataError, FeishuError) as exc:
            log.warning("repeat offenders left out: earlier days unreadable: %s", exc)
            return []  # never show a partial offender list as if complete
    return found


def names_allowed(responder: Responder, sub: Subscription) -> bool:
    """Whether this chat may see reservers' names (privacy.reserver_names)."""
    mode = responder.settings.privacy.reserver_names
    return mode == "all" or (mode == "dm_only" and sub.chat_type == "p2p")


def subscription_place(responder: Responder, sub: Subscription) -> Place:
    """The place a subscription covers (the tenant when its level is gone or is the root)."""
    directory = responder.directory.get()
    level = directory.level(sub.level_id) if sub.level_id else None
    if level is None or level.level_id == directory.root_id:
        return TENANT
    return directory.level_place(level)

