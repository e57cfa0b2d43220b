"""Weekly digests through the real gateway against the sandbox: the numbers, the charts, the weeks
covered, exactly once on SQLite and PostgreSQL, and daily and weekly side by side."""
from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.config import Settings, StorageSettings
from bot.digest.fetch import chunks
from bot.digest.run import DigestRun, run_digests
from bot.digest.weekly import fetch_week_data, last_complete_week, run_weekly_digests
from bot.insights import incidents, outcomes, usage, working_time
from bot.render.cards import MAX_CARD_BYTES, card_bytes
from bot.respond import Responder
from bot.sandbox import Sandbox
from bot.store import Store

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2025, 11, 18, 9, 0, tzinfo=TZ)  # a Tuesday morning
WEEK = date(2025, 11, 10)  # the last complete week: Mon 10 - Sun 16 Nov
EXPORT = "/open-apis/vc/v1/exports/resource_reservation_list"


@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    sandbox = Sandbox.start(seed=7, rooms=60, clock=lambda: NOW)
    yield sandbox
    sandbox.stop()


def make(sb: Sandbox, url: str) -> Responder:
    settings = Settings(feishu=sb.feishu_settings(), storage=StorageSettings(url))
    return Responder.build(settings, clock=lambda: NOW, store=Store.open(url))


@pytest.fixture
def services(sb: Sandbox, tmp_path: Path) -> Iterator[Responder]:
    made = make(sb, f"sqlite:///{tmp_path / 'weekly.db'}")
    yield made
    made.store.close()


def sent_to(sb: Sandbox, chat_id: str) -> list:
    return [record for record in sb.sent if record.chat_id == chat_id]


def week_rows(sb: Sandbox, first: date, last: date) -> list:
    start = datetime.combine(first, time(0), TZ)
    end = min(datetime.combine(last + timedelta(days=1), time(0), TZ), NOW)
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    return outcomes.dedupe(outcomes.starting_on(sb.tenant.reservations(start, end), days, TZ))


def test_last_complete_week_and_chunks() -> None:
    assert last_complete_week(date(2025, 11, 18)) == (WEEK, date(2025, 11, 16))
    assert last_complete_week(date(2025, 11, 17)) == (WEEK, date(2025, 11, 16))  # a Monday
    assert last_complete_week(date(2025, 11, 16)) == (date(2025, 11, 3), date(2025, 11, 9))
    assert chunks(WEEK, WEEK + timedelta(days=6), 3) == [
        (WEEK, date(2025, 11, 12)), (date(2025, 11, 13), date(2025, 11, 15)),
        (date(2025, 11, 16), date(2025, 11, 16))]


def test_the_weekly_card_has_the_weeks_numbers_and_two_charts(sb: Sandbox, services: Responder) -> None:
    services.store.add_subscription("oc_week_en", lang="en", period="weekly")
    run = run_weekly_digests(services, dry_run=True)
    assert run.day == WEEK and run.period == "weekly" and not run.failed
    [card] = run.cards
    body = json.dumps(card, ensure_ascii=False)
    rows = week_rows(sb, WEEK, WEEK + timedelta(days=6))
    truth = incidents.count(rows)
    before = incidents.count(week_rows(sb, WEEK - timedelta(days=7), WEEK - timedelta(days=1)))
    assert f"{truth.no_shows} no-shows" in body and f"{truth.early_releases} early releases" in body
    change = truth.no_shows - before.no_shows
    assert (f"+{change} vs the week before" if change > 0 else f"−{-change} vs the week before"
            if change < 0 else "same as the week before") in body
    window = working_time.Window(WEEK, WEEK + timedelta(days=6), NOW)
    measured = usage.measure(rows, services.directory.get().rooms, window)
    assert f"Utilisation {round(100 * usage.group(measured).utilisation, 1)}%" in body
    charts = [e for e in card["body"]["elements"] if e["tag"] == "chart"]
    assert len(charts) == 2 and card_bytes(card) <= MAX_CARD_BYTES
    assert [p["hour"] for p in charts[1]["chart_spec"]["data"]["values"]][:2] == ["09:00", "10:00"]
    idle = usage.idle_rooms(measured)
    assert f"**Idle rooms** (under 5% used): {len(idle)}" in body
    assert "Right-sizing" in body and "Repeated no-shows this week" in body


def test_reading_in_chunks_gives_the_same_week(sb: Sandbox, services: Responder) -> None:
    last = WEEK + timedelta(days=6)
    whole = fetch_week_data(services, WEEK, last, lambda _m: None)
    by_day = fetch_week_data(services, WEEK, last, lambda _m: None, chunk=1)
    assert whole.counts == by_day.counts and whole.before == by_day.before
    assert whole.sizes == by_day.sizes and sorted(map(repr, whole.marks)) == sorted(map(repr, by_day.marks))
    for room_id, found in whole.usages.items():
        other = by_day.usages[room_id]
        assert (found.held, found.used, found.ghost, found.bookings) == (
            other.held, other.used, other.ghost, other.bookings)
        assert found.hourly == pytest.approx(other.hourly)


def test_the_week_before_is_read_once_then_remembered(sb: Sandbox, services: Responder) -> None:
    services.store.add_subscription("oc_remember", lang="en", period="weekly")
    first = run_weekly_digests(services, dry_run=True)
    exports = services.gateway.calls.by_path[EXPORT]
    assert exports == 2  # the week, and the week before
    second = run_weekly_digests(services, dry_run=True)
    assert services.gateway.calls.by_path[EXPORT] == exports + 1  # the week before is remembered
    assert second.cards == first.cards


def test_a_week_that_contains_today_is_counted_up_to_now(sb: Sandbox, services: Responder) -> None:
    services.store.add_subscription("oc_now", lang="zh", period="weekly")
    run = run_weekly_digests(services, day=NOW.date(), dry_run=True)
    assert run.day == date(2025, 11, 17)
    body = json.dumps(run.cards[0], ensure_ascii=False)
    assert "本周尚未结束" in body
    rows = week_rows(sb, date(2025, 11, 17), date(2025, 11, 23))
    assert rows and max(r.start for r in rows) < NOW
    assert f"未签到 {incidents.count(rows).no_shows} 次" in body
    assert run_weekly_digests(services, day=date(2025, 11, 24), dry_run=True).failed  # not begun


def test_daily_and_weekly_subscriptions_of_one_chat_are_served_apart(
        sb: Sandbox, services: Responder) -> None:
    services.store.add_subscription("oc_both", lang="en")
    services.store.add_subscription("oc_both", lang="en", period="weekly", weekday=4, at="17:00")
    assert len(services.store.subscriptions("oc_both")) == 2
    daily = run_digests(services, chat_id="oc_both")
    weekly = run_weekly_digests(services, chat_id="oc_both")
    assert [kind for _, kind, _ in daily.sent] == ["daily:tenant"]
    assert [kind for _, kind, _ in weekly.sent] == ["weekly:tenant"]
    titles = [r.content["header"]["title"]["content"] for r in sent_to(sb, "oc_both")]
    assert titles[0].startswith("Meeting-room digest") and titles[1].startswith("Meeting-room weekly")
    assert run_weekly_digests(services, chat_id="oc_both", at="17:00", weekday=3).sent == []


def _two_concurrent_runs(sb: Sandbox, url: str) -> list[DigestRun]:
    runners = [make(sb, url) for _ in range(2)]
    results: list[DigestRun] = []
    barrier = threading.Barrier(2)

    def go(services: Responder) -> None:
        barrier.wait()
        results.append(run_weekly_digests(services))

    threads = [threading.Thread(target=go, args=(s,)) for s in runners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    for services in runners:
        services.store.close()
    return results


def test_weekly_digests_are_sent_exactly_once(sb: Sandbox, store_url: str) -> None:
    chats = [f"oc_weekly_{store_url[:5]}_{i}" for i in range(4)]
    with Store.open(store_url) as setup:
        for chat in chats:
            setup.add_subscription(chat, lang="en", period="weekly")
        setup.add_subscription(chats[0], lang="en", period="weekly", level_id="omb_gone",
                               level_label="gone")  # a second place: its own digest
    results = _two_concurrent_runs(sb, store_url)
    sent = sorted((chat, kind) for run in results for chat, kind, _ in run.sent)
    assert sent == sorted([(c, "weekly:tenant") for c in chats] + [(chats[0], "weekly:omb_gone")])
    assert [len(sent_to(sb, chat)) for chat in chats] == [2, 1, 1, 1]
    again = make(sb, store_url)
    calls = again.gateway.calls.total
    rerun = run_weekly_digests(again)
    assert rerun.sent == [] and len(rerun.skipped) == 5
    assert again.gateway.calls.total == calls  # nothing read for digests already sent
    with Store.open(store_url) as check:
        assert check.digest_status(chats[1], WEEK, "weekly:tenant")[0] == "sent"
    again.store.close()
