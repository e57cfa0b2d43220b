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

from bot import actions, insights
from bot.cards import render
from bot.feishu.errors import ChatUnreachable, FeishuError
from bot.feishu.models import Reservation
from bot.insights import DayInsights, NoShowMark
from bot.queries import TENANT, Place, Reply, Report, Unsubscribe, Window
from bot.services import Services
from bot.store import Subscription

log = logging.getLogger(__name__)

ROWS_PER_ROOM = 5  # rough bookings per room per day, to guess when the export is cheaper
EXPORT_BUDGET_SECONDS = 300.0  # a background export may take minutes on a big tenant
NO_SHOW_FACT = "no_shows"
TOP_ROOMS = 5
TOP_PEOPLE = 5
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


@dataclass(frozen=True)
class DayData:
    """The rows of the digest day and the day before, plus 7 days of no-show marks."""

    day: date
    rows: list[Reservation]
    marks: list[NoShowMark]
    method: str


def run_digests(services: Services, day: date | None = None, chat_id: str | None = None,
                dry_run: bool = False, on_progress: Progress | None = None,
                at: str | None = None) -> DigestRun:
    """Post (or with dry_run, build) the digest of `day` (default yesterday) for each subscription."""
    progress = on_progress or (lambda _message: None)
    now = services.now()
    day = day or now.date() - timedelta(days=1)
    run = DigestRun(day)
    subs = [s for s in services.store.subscriptions(chat_id) if at is None or s.at == at]
    if not dry_run:
        subs = _not_yet_sent(services, subs, day, run)
    if not subs:
        progress("no subscriptions to serve")
        return run
    before = services.gateway.calls.total
    try:
        data = fetch_day_data(services, day, need_marks=any(_names_allowed(services, s) for s in subs),
                              progress=progress)
    except DigestDataError as exc:
        log.error("digest %s: no data, nothing posted: %s", day, exc)
        run.failed.append(("*", str(exc)))
        run.calls = services.gateway.calls.total - before
        return run
    run.method = data.method
    for sub in subs:
        _serve(services, sub, data, run, dry_run, progress)
    run.calls = services.gateway.calls.total - before
    log.info("%s", run)
    return run


def _not_yet_sent(services: Services, subs: list[Subscription], day: date,
                  run: DigestRun) -> list[Subscription]:
    """Drop subscriptions whose digest for `day` is already sent (so a re-run fetches nothing)."""
    todo = []
    for sub in subs:
        status = services.store.digest_status(sub.chat_id, day, digest_kind(sub))
        if status is not None and status[0] == "sent":
            run.skipped.append((sub.chat_id, "already sent"))
        else:
            todo.append(sub)
    return todo


def _serve(services: Services, sub: Subscription, data: DayData, run: DigestRun,
           dry_run: bool, progress: Progress) -> None:
    """Build one subscription's card and send it once (or keep it, for a dry run)."""
    card = build_card(services, sub, data)
    if dry_run:
        run.cards.append(card)
        return
    kind = digest_kind(sub)
    claim = services.store.claim_digest(sub.chat_id, data.day, kind)
    if claim is None:
        run.skipped.append((sub.chat_id, "already sent or being sent"))
        return
    try:
        sent = services.gateway.send_card(sub.chat_id, card, uuid=claim.uuid)
    except ChatUnreachable as exc:
        services.store.release_digest(claim)
        services.store.deactivate_chat(sub.chat_id, f"{exc.code}: {exc.msg}")
        run.deactivated.append(sub.chat_id)
        run.failed.append((sub.chat_id, str(exc)))
        return
    except FeishuError as exc:
        services.store.release_digest(claim)
        log.warning("digest to %s failed, will retry on the next run: %s", sub.chat_id, exc)
        run.failed.append((sub.chat_id, str(exc)))
        return
    services.store.mark_digest_sent(claim, sent.message_id)
    run.sent.append((sub.chat_id, kind, sent.message_id))
    progress(f"sent to {sub.chat_id} ({sent.message_id})")


def digest_kind(sub: Subscription) -> str:
    """The exactly-once key of a subscription's daily digest (a chat may follow several places)."""
    return f"daily:{sub.level_id or 'tenant'}"


# ----------------------------------------------------------------------------------- fetching

def _midnight(day: date, services: Services) -> datetime:
    return datetime.combine(day, time(0), tzinfo=services.settings.bot.tz)


def prefer_export(services: Services, days: int = 1) -> bool:
    """The async export is cheaper than paging for a big tenant or several days."""
    rooms = len(services.directory.get().rooms)
    return days > 2 or rooms * ROWS_PER_ROOM > services.settings.digest.export_threshold


def fetch_rows(services: Services, first: date, last: date, progress: Progress,
               export: bool | None = None) -> tuple[list[Reservation], str]:
    """Every reservation starting on first..last, whole tenant: export (falling back to paging) or paging."""
    directory = services.directory.get()
    root = services.settings.bot.room_level_id
    start, end = _midnight(first, services), min(_midnight(last + timedelta(days=1), services),
                                                  services.now())
    use_export = prefer_export(services, (last - first).days + 1) if export is None else export
    method = "paging"
    if use_export:
        try:
            rows = services.gateway.export_reservations(
                root, start, end, on_progress=lambda stage: progress(f"export {stage}"),
                time_budget=EXPORT_BUDGET_SECONDS)
            rows, method = insights.resolve_rooms(rows, directory), "export"
        except FeishuError as exc:
            log.warning("export of %s..%s failed, paging instead: %s", first, last, exc)
            progress(f"export failed ({exc.code}), paging instead")
            use_export, method = False, "export->paging"
    if not use_export:
        rows = _page(services, root, first, last, progress)
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    return insights.dedupe(insights.starting_on(rows, days, services.settings.bot.tz)), method


def _page(services: Services, root: str, first: date, last: date, progress: Progress) -> list[Reservation]:
    """The list API one day at a time (each day its own time budget)."""
    rows: list[Reservation] = []
    day = first
    while day <= last:
        progress(f"reading reservations of {day}")
        start = _midnight(day, services)
        try:
            rows += services.gateway.reservations(root, start, start + timedelta(days=1))
        except FeishuError as exc:
            raise DigestDataError(f"reservations of {day} could not be read: {exc}") from exc
        day += timedelta(days=1)
    return rows


def fetch_day_data(services: Services, day: date, *, need_marks: bool = True,
                   progress: Progress | None = None) -> DayData:
    """The digest day and the day before (one fetch), and 7 days of no-shows (store-cached)."""
    progress = progress or (lambda _message: None)
    try:
        rows, method = fetch_rows(services, day - timedelta(days=1), day, progress)
    except DigestDataError:
        raise
    except FeishuError as exc:
        raise DigestDataError(f"reservations of {day} could not be read: {exc}") from exc
    marks = _week_marks(services, day, rows, progress) if need_marks else []
    return DayData(day, rows, marks, method)


def _week_marks(services: Services, day: date, rows: list[Reservation],
                progress: Progress) -> list[NoShowMark]:
    """No-shows of day-6..day: the two fetched days from `rows`, older days from the store or Feishu."""
    tz, store = services.settings.bot.tz, services.store
    marks = insights.no_show_marks(rows, tz)
    _remember(services, marks, [day - timedelta(days=1), day])
    first, last = day - timedelta(days=insights.REPEAT_DAYS - 1), day - timedelta(days=2)
    known = store.facts(NO_SHOW_FACT, first, last)
    missing = [d for d in _days(first, last) if d not in known]
    for d, items in known.items():
        marks += [NoShowMark(d, *item) for item in items]
    if missing:
        progress(f"reading no-shows of {len(missing)} earlier day(s)")
        try:
            older, _ = fetch_rows(services, missing[0], missing[-1], progress)
        except (DigestDataError, FeishuError) as exc:
            log.warning("repeat offenders left out: earlier days unreadable: %s", exc)
            return []  # never show a partial offender list as if complete
        fetched = [m for m in insights.no_show_marks(older, tz) if m.day in set(missing)]
        _remember(services, fetched, missing)
        marks += fetched
    return marks


def _remember(services: Services, marks: Sequence[NoShowMark], days: Iterable[date]) -> None:
    """Store the no-shows of days that are over (statuses no longer change)."""
    today = services.now().date()
    for d in days:
        if d < today - timedelta(days=1):
            services.store.put_fact(NO_SHOW_FACT, d, [[m.reserver, m.department, m.room_id]
                                                      for m in marks if m.day == d])


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


# ----------------------------------------------------------------------------------- the card

def _names_allowed(services: Services, sub: Subscription) -> bool:
    mode = services.settings.privacy.reserver_names
    return mode == "all" or (mode == "dm_only" and sub.chat_type == "p2p")


def subscription_place(services: Services, sub: Subscription) -> Place:
    """The place a subscription covers (the tenant when its level is gone or is the root)."""
    directory = services.directory.get()
    level = directory.level(sub.level_id) if sub.level_id else None
    if level is None or level.level_id == directory.root_id:
        return TENANT
    return directory.level_place(level)


def scope_rooms(services: Services, place: Place) -> set[str] | None:
    """Room ids a place covers (None = every room)."""
    if place.kind == "tenant":
        return None
    return {room.room_id for room in services.directory.get().place_rooms(place)}


def build_card(services: Services, sub: Subscription, data: DayData) -> dict[str, Any]:
    """The digest card of one subscription."""
    place = subscription_place(services, sub)
    rooms = scope_rooms(services, place)
    tz, directory = services.settings.bot.tz, services.directory.get()
    scoped = insights.in_rooms(data.rows, rooms)
    today = insights.analyse(scoped, [data.day], tz, directory)
    before = insights.analyse(scoped, [data.day - timedelta(days=1)], tz, directory)
    names = _names_allowed(services, sub)
    first = data.day - timedelta(days=insights.REPEAT_DAYS - 1)
    repeat = insights.offenders(data.marks, first, data.day, rooms) if data.marks else []
    lang = "zh" if sub.lang == "zh" else "en"
    payload = digest_data(today, before, place, sub.kinds, lang, names, repeat, bool(data.marks),
                          day_window(data.day, services))
    return render(Reply("digest", payload, lang))


def day_window(day: date, services: Services) -> Window:
    """The whole local day as a Window."""
    return Window(_midnight(day, services), _midnight(day + timedelta(days=1), services), True)


def digest_data(today: DayInsights, before: DayInsights, place: Place, kinds: Sequence[str],
                lang: str, names: bool, repeat: Sequence[insights.Offender],
                repeat_known: bool, window: Window) -> dict[str, Any]:
    """Template data for the digest card: plain numbers and strings."""
    day = today.days[0]
    previous = Window(window.start - timedelta(days=1), window.start, True)
    report_kinds = insights_kinds(kinds)
    return {
        "day": day, "place": place.label, "kinds": list(report_kinds),
        "totals": totals_data(today.totals), "previous": totals_data(before.totals),
        "change": {"no_shows": today.totals.no_shows - before.totals.no_shows,
                   "early_releases": today.totals.early_releases - before.totals.early_releases,
                   "reclaimed_hours": _hours(today.totals.reclaimed - before.totals.reclaimed)},
        "worst_rooms": [_room(g) for g in today.rooms
                        if g.counts.no_shows or g.counts.early_releases][:TOP_ROOMS],
        "busiest": [_room(g) for g in today.busiest if g.counts.bookings][:3],
        "names": names, "repeat_known": repeat_known,
        "repeat": [{"name": o.name, "department": o.department, "no_shows": o.no_shows}
                   for o in repeat[:TOP_PEOPLE]] if names else [],
        "repeat_count": len(repeat),
        "details": actions.encode(Report(_lang(lang), report_kinds, window, place)),
        "previous_day": actions.encode(Report(_lang(lang), report_kinds, previous, place)),
        "unsubscribe": actions.encode(Unsubscribe(_lang(lang), place)),
    }


def insights_kinds(kinds: Sequence[str]) -> tuple[Any, ...]:
    """The report kinds of a subscription, in the canonical order (both when none given)."""
    picked = tuple(k for k in actions.REPORT_KINDS if k in kinds)
    return picked or actions.REPORT_KINDS


def _lang(lang: str) -> Any:
    return "zh" if lang == "zh" else "en"


def totals_data(counts: insights.Counts) -> dict[str, Any]:
    """Counts as the templates show them."""
    return {
        "bookings": counts.bookings, "no_shows": counts.no_shows,
        "needed_check_in": counts.needed_check_in, "checked_in": counts.checked_in,
        "exempt": counts.exempt, "pending": counts.pending,
        "no_show_rate": _pct(counts.no_show_rate), "early_releases": counts.early_releases,
        "manual": counts.manual_releases, "sensor": counts.sensor_releases,
        "early_release_rate": _pct(counts.early_release_rate),
        "reclaimed_hours": _hours(counts.reclaimed), "no_show_hours": _hours(counts.no_show_time),
        "booked_hours": _hours(counts.booked),
    }


def _room(group: insights.Group) -> dict[str, Any]:
    return {"name": group.label, "location": group.detail, "no_shows": group.counts.no_shows,
            "early_releases": group.counts.early_releases, "bookings": group.counts.bookings,
            "reclaimed_hours": _hours(group.counts.reclaimed), "held_hours": _hours(group.counts.held),
            "no_show_rate": _pct(group.counts.no_show_rate)}


def _pct(rate: float | None) -> int | None:
    return None if rate is None else round(rate * 100)


def _hours(span: timedelta) -> float:
    return round(span.total_seconds() / 3600, 1)
