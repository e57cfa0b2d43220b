"""Digest history: reads sized by working days, the look-back filled ahead of time, and a digest
that then reads only its own day."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.config import Settings, StorageSettings
from bot.digest import facts
from bot.digest.fetch import DigestDataError, fetch_rows, plan_chunks
from bot.digest.history import (
    LOOK_BACK_DAYS,
    backfill,
    backfill_progress,
    fill_history,
    missing_days,
    note_progress,
)
from bot.digest.run import fetch_day_data, run_digests
from bot.digest.weekly import run_weekly_digests
from bot.feishu.errors import FeishuError
from bot.respond import Responder
from bot.sandbox import Sandbox
from bot.store import Store

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2025, 11, 18, 9, 0, tzinfo=TZ)  # a Tuesday morning
EXPORT = "/open-apis/vc/v1/exports/resource_reservation_list"



@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    sandbox = Sandbox.start(seed=11, rooms=40, clock=lambda: NOW)
    yield sandbox
    sandbox.stop()


@pytest.fixture
def responder(sb: Sandbox, tmp_path: Path) -> Iterator[Responder]:
    url = f"sqlite:///{tmp_path / 'history.db'}"
    settings = Settings(feishu=sb.feishu_settings(), storage=StorageSettings(url))
    made = Responder.build(settings, clock=lambda: NOW, store=Store.open(url))
    yield made
    made.store.close()


def reads(responder: Responder) -> int:
    """Reservation reads so far: exports created plus list pages."""
    by_path = responder.gateway.calls.by_path
    return sum(n for path, n in by_path.items() if "resource_reservation_list" in path)


def test_reads_are_sized_by_working_days() -> None:
    monday = date(2025, 11, 10)
    cost = {True: 10, False: 2}
    spans = plan_chunks(monday, monday + timedelta(days=13),
                        lambda day: cost[day.weekday() < 5], 30)
    # three working days fill a read; a weekend rides along with the two days before it
    assert spans == [(monday, date(2025, 11, 12)), (date(2025, 11, 13), date(2025, 11, 16)),
                     (date(2025, 11, 17), date(2025, 11, 19)),
                     (date(2025, 11, 20), date(2025, 11, 23))]
    assert plan_chunks(monday, monday, lambda _day: 99, 30) == [(monday, monday)]  # over budget
    assert plan_chunks(monday, monday - timedelta(days=1), lambda _day: 1, 30) == []


def test_history_is_filled_once_then_a_digest_reads_only_its_day(responder: Responder) -> None:
    expected = [NOW.date() - timedelta(days=n) for n in range(LOOK_BACK_DAYS, 0, -1)]
    assert missing_days(responder) == expected  # yesterday ended 9 h ago: final
    filled = fill_history(responder)
    assert filled == expected and missing_days(responder) == []
    assert facts.remembered_days(responder.store, expected[0], expected[-1]) == set(expected)
    before = reads(responder)
    assert fill_history(responder) == [] and reads(responder) == before  # nothing left to read
    responder.store.add_subscription("oc_history", lang="en")
    yesterday = NOW.date() - timedelta(days=1)
    run = run_digests(responder, day=yesterday, dry_run=True)
    assert not run.failed and len(run.cards) == 1
    digest_reads = reads(responder) - before
    fetch_rows(responder, yesterday, yesterday, lambda _message: None)
    assert digest_reads == reads(responder) - before - digest_reads  # the digest day only


def test_a_digest_with_history_gives_the_card_of_one_without(sb: Sandbox, responder: Responder,
                                                             tmp_path: Path) -> None:
    responder.store.add_subscription("oc_same", lang="zh")
    responder.store.add_subscription("oc_same", lang="zh", period="weekly")
    fill_history(responder)
    daily = run_digests(responder, dry_run=True).cards
    weekly = run_weekly_digests(responder, dry_run=True).cards
    url = f"sqlite:///{tmp_path / 'cold.db'}"
    cold = Responder.build(Settings(feishu=sb.feishu_settings(), storage=StorageSettings(url)),
                           clock=lambda: NOW, store=Store.open(url))
    cold.store.add_subscription("oc_same", lang="zh")
    cold.store.add_subscription("oc_same", lang="zh", period="weekly")
    assert run_digests(cold, dry_run=True).cards == daily
    assert run_weekly_digests(cold, dry_run=True).cards == weekly
    cold.store.close()


def test_one_chunk_at_a_time_and_a_failed_read_is_retried(sb: Sandbox,
                                                          responder: Responder) -> None:
    today = NOW.date()
    fetch_day_data(responder, today - timedelta(days=5))  # remembers days -11..-5 (a digest did)
    older = [today - timedelta(days=n) for n in range(LOOK_BACK_DAYS, 11, -1)]
    recent = [today - timedelta(days=n) for n in (4, 3, 2, 1)]
    assert missing_days(responder) == older + recent
    assert fill_history(responder, max_chunks=1) == older  # one read: the older gap
    left = missing_days(responder)
    assert left == recent
    sb.faults.export_failure = "internal error"
    sb.faults.inject("/vc/v1/resource_reservation_list", "server_error", times=1000)
    try:  # the export fails and so does the paging fallback
        assert fill_history(responder) == []
    finally:
        sb.faults.export_failure = ""
        sb.faults.clear()
    assert missing_days(responder) == left
    assert fill_history(responder) == left


def test_the_scheduler_reads_the_next_chunk_soon_while_days_are_missing(
        responder: Responder) -> None:
    from bot.digest.scheduler import HISTORY_JOB, HISTORY_PAUSE_SECONDS, DigestScheduler

    today = NOW.date()
    fetch_day_data(responder, today - timedelta(days=5))  # two gaps: two reads
    responder.store.add_subscription("oc_soon", lang="en")
    scheduler = DigestScheduler(responder, holder="history-test")
    scheduler.start(paused=True)
    try:
        later = datetime.now(TZ) + timedelta(hours=1)  # as if the job had just run on its own
        scheduler.scheduler.get_job(HISTORY_JOB).modify(next_run_time=later)
        scheduler.run_history()  # the older gap
        pulled = scheduler.scheduler.get_job(HISTORY_JOB).next_run_time
        assert pulled <= datetime.now(TZ) + timedelta(seconds=HISTORY_PAUSE_SECONDS + 1)
        assert missing_days(responder) == [today - timedelta(days=n) for n in (4, 3, 2, 1)]
        scheduler.run_history()  # the recent gap: nothing left, so no next read is pulled in
        assert missing_days(responder) == []
        assert scheduler.scheduler.get_job(HISTORY_JOB).next_run_time == pulled
    finally:
        scheduler.shutdown()


def test_backfill_remembers_the_missing_finished_days_with_progress(responder: Responder) -> None:
    first_week = backfill(responder, 1)  # the 7 finished days before today
    assert first_week == [NOW.date() - timedelta(days=n) for n in range(7, 0, -1)]
    seen: list[tuple[int, int]] = []
    more = backfill(responder, 3, lambda done, total: seen.append((done, total)))
    assert len(more) == 14 and more[-1] == NOW.date() - timedelta(days=8)  # only what was missing
    assert seen[0] == (0, 14) and seen[-1] == (14, 14)  # a step after each read
    assert backfill_progress(responder.store) == {"done": 14, "total": 14, "finished": True,
                                                  "at": NOW.isoformat()}  # the dashboard's line
    assert len(facts.remembered_days(responder.store, NOW.date() - timedelta(days=21), NOW.date())) == 21
    assert backfill(responder, 3) == [] and reads(responder) > 0


def test_an_interrupted_backfill_says_how_far_it_got(sb: Sandbox, responder: Responder) -> None:
    sb.faults.export_failure = "internal error"
    sb.faults.inject("/vc/v1/resource_reservation_list", "server_error", times=1000)
    try:  # nothing can be read: the backfill raises, and its last state says where it stopped
        with pytest.raises((DigestDataError, FeishuError)):
            backfill(responder, 2)
    finally:
        sb.faults.export_failure = ""
        sb.faults.clear()
    assert backfill_progress(responder.store) == {"done": 0, "total": 14, "finished": True,
                                                  "at": NOW.isoformat()}
    note_progress(responder.store, 3, 14, NOW, finished=False)  # one still running
    assert backfill_progress(responder.store)["finished"] is False
