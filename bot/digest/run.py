"""Build and post the daily digests: fetch the day once, one card per subscription, each sent exactly once.

Data for all subscriptions is fetched once per run: the day and the day before (for the change
numbers) through the paged list API, or through one async export when the tenant is big. Repeat
offenders need 7 days of no-shows; finished days' no-shows are remembered in the store (day_facts),
so a steady-state run fetches only two days. If the data cannot be fetched, nothing is posted.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from bot import insights
from bot.answer.digest import DayData, answer_digest, digest_query
from bot.cards import render
from bot.feishu.errors import ChatUnreachable, FeishuError
from bot.feishu.models import Reservation
from bot.insights import NoShowMark
from bot.queries import TENANT, Place
from bot.respond import Responder
from bot.store import Subscription

log = logging.getLogger(__name__)

ROWS_PER_ROOM = 5  # rough bookings per room per day, to guess when the export is cheaper
EXPORT_BUDGET_SECONDS = 300.0  # a background export may take minutes on a big tenant
NO_SHOW_FACT = "no_shows"
Progress = Callable[[str], None]


class DigestDataError(RuntimeError):
    """The day's reservations could not be fetched: no digest is posted."""


@dataclass
class DigestRun:
    """What one run did; `cards` holds the cards of a dry run."""

    day: date
    method: str = ""  # "paging", "export", "export->paging"
    sent: list[tuple[str, str, str]] = field(default_factory=list)  # (chat_id, kind, message_id)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (chat_id, why)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (chat_id or "*", error)
    deactivated: list[str] = field(default_factory=list)
    cards: list[dict[str, Any]] = field(default_factory=list)
    calls: int = 0  # Feishu calls made by this run

    def __str__(self) -> str:
        return (f"digest {self.day}: {len(self.sent)} sent, {len(self.skipped)} skipped, "
                f"{len(self.failed)} failed, {len(self.deactivated)} chat(s) deactivated, "
                f"{len(self.cards)} card(s) built; data by {self.method or '-'}, "
                f"{self.calls} Feishu call(s)")


def run_digests(responder: Responder, day: date | None = None, chat_id: str | None = None,
                dry_run: bool = False, on_progress: Progress | None = None,
                at: str | None = None) -> DigestRun:
    """Post (or with dry_run, build) the digest of `day` (default yesterday) for each subscription."""
    progress = on_progress or (lambda _message: None)
    now = responder.now()
    day = day or now.date() - timedelta(days=1)
    run = DigestRun(day)
    subs = [s for s in responder.store.subscriptions(chat_id) if at is None or s.at == at]
    if not dry_run:
        subs = _not_yet_sent(responder, subs, day, run)
    if not subs:
        progress("no subscriptions to serve")
        return run
    before = responder.gateway.calls.total
    try:
        data = fetch_day_data(responder, day, need_marks=any(_names_allowed(responder, s) for s in subs),
                              progress=progress)
    except DigestDataError as exc:
        log.error("digest %s: no data, nothing posted: %s", day, exc)
        run.failed.append(("*", str(exc)))
        run.calls = responder.gateway.calls.total - before
        return run
    run.method = data.method
    for sub in subs:
        _serve(responder, sub, data, run, dry_run, progress)
    run.calls = responder.gateway.calls.total - before
    log.info("%s", run)
    return run


def _not_yet_sent(responder: Responder, subs: list[Subscription], day: date,
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
                         _names_allowed(responder, sub))
    ctx = responder.context(sub.chat_id, sub.chat_type)
    card = render(answer_digest(query, ctx, data))
    if dry_run:
        run.cards.append(card)
        return
    kind = digest_kind(sub)
    claim = responder.store.claim_digest(sub.chat_id, data.day, kind)
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
    """The exactly-once key of a subscription's daily digest (a chat may follow several places)."""
    return f"daily:{sub.level_id or 'tenant'}"


# ----------------------------------------------------------------------------------- fetching

def _midnight(day: date, responder: Responder) -> datetime:
    return datetime.combine(day, time(0), tzinfo=responder.settings.bot.tz)


def prefer_export(responder: Responder, days: int = 1) -> bool:
    """The async export is cheaper than paging for a big tenant or several days."""
    rooms = len(responder.directory.get().rooms)
    return days > 2 or rooms * ROWS_PER_ROOM > responder.settings.digest.export_threshold


def fetch_rows(responder: Responder, first: date, last: date, progress: Progress,
               export: bool | None = None) -> tuple[list[Reservation], str]:
    """Every reservation starting on first..last, whole tenant: export (falling back to paging) or paging."""
    directory = responder.directory.get()
    root = responder.settings.bot.room_level_id
    start, end = _midnight(first, responder), min(_midnight(last + timedelta(days=1), responder),
                                                  responder.now())
    use_export = prefer_export(responder, (last - first).days + 1) if export is None else export
    method = "paging"
    if use_export:
        try:
            rows = responder.gateway.export_reservations(
                root, start, end, on_progress=lambda stage: progress(f"export {stage}"),
                time_budget=EXPORT_BUDGET_SECONDS)
            rows, method = insights.resolve_rooms(rows, directory), "export"
        except FeishuError as exc:
            log.warning("export of %s..%s failed, paging instead: %s", first, last, exc)
            progress(f"export failed ({exc.code}), paging instead")
            use_export, method = False, "export->paging"
    if not use_export:
        rows = _page(responder, root, first, last, progress)
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    return insights.dedupe(insights.starting_on(rows, days, responder.settings.bot.tz)), method


def _page(responder: Responder, root: str, first: date, last: date, progress: Progress) -> list[Reservation]:
    """The list API one day at a time (each day its own time budget)."""
    rows: list[Reservation] = []
    day = first
    while day <= last:
        progress(f"reading reservations of {day}")
        start = _midnight(day, responder)
        try:
            rows += responder.gateway.reservations(root, start, start + timedelta(days=1))
        except FeishuError as exc:
            raise DigestDataError(f"reservations of {day} could not be read: {exc}") from exc
        day += timedelta(days=1)
    return rows


def fetch_day_data(responder: Responder, day: date, *, need_marks: bool = True,
                   progress: Progress | None = None) -> DayData:
    """The digest day and the day before (one fetch), and 7 days of no-shows (store-cached)."""
    progress = progress or (lambda _message: None)
    try:
        rows, method = fetch_rows(responder, day - timedelta(days=1), day, progress)
    except DigestDataError:
        raise
    except FeishuError as exc:
        raise DigestDataError(f"reservations of {day} could not be read: {exc}") from exc
    marks = _week_marks(responder, day, rows, progress) if need_marks else []
    return DayData(day, rows, marks, method)


def _week_marks(responder: Responder, day: date, rows: list[Reservation],
                progress: Progress) -> list[NoShowMark]:
    """No-shows of day-6..day: the two fetched days from `rows`, older days from the store or Feishu."""
    tz, store = responder.settings.bot.tz, responder.store
    marks = insights.no_show_marks(rows, tz)
    _remember(responder, marks, [day - timedelta(days=1), day])
    first, last = day - timedelta(days=insights.REPEAT_DAYS - 1), day - timedelta(days=2)
    known = store.facts(NO_SHOW_FACT, first, last)
    missing = [d for d in _days(first, last) if d not in known]
    for d, items in known.items():
        marks += [NoShowMark(d, *item) for item in items]
    if missing:
        progress(f"reading no-shows of {len(missing)} earlier day(s)")
        try:
            older, _ = fetch_rows(responder, missing[0], missing[-1], progress)
        except (DigestDataError, FeishuError) as exc:
            log.warning("repeat offenders left out: earlier days unreadable: %s", exc)
            return []  # never show a partial offender list as if complete
        fetched = [m for m in insights.no_show_marks(older, tz) if m.day in set(missing)]
        _remember(responder, fetched, missing)
        marks += fetched
    return marks


def _remember(responder: Responder, marks: Sequence[NoShowMark], days: Iterable[date]) -> None:
    """Store the no-shows of days that are over (statuses no longer change)."""
    today = responder.now().date()
    for d in days:
        if d < today - timedelta(days=1):
            responder.store.put_fact(NO_SHOW_FACT, d, [[m.reserver, m.department, m.room_id]
                                                      for m in marks if m.day == d])


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]




def _names_allowed(responder: Responder, sub: Subscription) -> bool:
    mode = responder.settings.privacy.reserver_names
    return mode == "all" or (mode == "dm_only" and sub.chat_type == "p2p")


def subscription_place(responder: Responder, sub: Subscription) -> Place:
    """The place a subscription covers (the tenant when its level is gone or is the root)."""
    directory = responder.directory.get()
    level = directory.level(sub.level_id) if sub.level_id else None
    if level is None or level.level_id == directory.root_id:
        return TENANT
    return directory.level_place(level)
