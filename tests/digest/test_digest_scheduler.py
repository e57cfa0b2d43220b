"""The digest scheduler: jobs per subscription time in Asia/Shanghai, catch-up, one leader. No sleeps."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from bot.config import (
    DigestSettings,
    FeishuSettings,
    PrivacySettings,
    ReleaseSettings,
    Settings,
    StorageSettings,
)
from bot.digest.scheduler import HISTORY_JOB, LEASE_NAME, REMINDER_JOB, DigestScheduler
from bot.respond import Responder
from bot.store import Store
from tests.clocks import SettableClock

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2025, 11, 18, 9, 40, tzinfo=TZ)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    clock = SettableClock(NOW.timestamp())
    with Store.open(f"sqlite:///{tmp_path / 'sched.db'}", clock=clock) as opened:
        yield opened


def services(store: Store, now: datetime = NOW, grace: int = 3600):
    """Just what the scheduler reads: settings, store and the clock."""
    settings = Settings(FeishuSettings("cli", "secret"), digest=DigestSettings(misfire_grace_seconds=grace))
    return SimpleNamespace(settings=settings, store=store, now=lambda: now)


@pytest.fixture
def scheduler(store: Store) -> Iterator[DigestScheduler]:
    made = DigestScheduler(services(store), holder="a")  # type: ignore[arg-type]
    yield made
    made.shutdown()


def test_one_job_per_distinct_time_with_a_shanghai_cron(store: Store, scheduler: DigestScheduler) -> None:
    store.add_subscription("oc_1", at="09:30")
    store.add_subscription("oc_2", at="09:30")
    store.add_subscription("oc_3", at="18:05")
    scheduler.start(paused=True)
    jobs = scheduler.digest_jobs()
    assert sorted(jobs) == ["09:30", "18:05"]
    trigger = jobs["18:05"].trigger
    assert trigger.timezone == TZ
    assert trigger.get_next_fire_time(None, NOW) == datetime(2025, 11, 18, 18, 5, tzinfo=TZ)
    assert trigger.get_next_fire_time(None, datetime(2025, 11, 18, 18, 6, tzinfo=TZ)) == \
        datetime(2025, 11, 19, 18, 5, tzinfo=TZ)
    assert jobs["18:05"].next_run_time.astimezone(TZ).strftime("%H:%M") == "18:05"
    assert jobs["09:30"].misfire_grace_time == 3600 and jobs["09:30"].coalesce


def test_refresh_adds_and_removes_jobs(store: Store, scheduler: DigestScheduler) -> None:
    store.add_subscription("oc_1", at="08:00")
    scheduler.start(paused=True)
    store.add_subscription("oc_2", at="10:15")
    store.remove_subscriptions("oc_1")
    scheduler.refresh()
    assert sorted(scheduler.digest_jobs()) == ["10:15"]


def test_a_time_missed_during_downtime_runs_once_within_the_grace(store: Store) -> None:
    store.add_subscription("oc_1", at="09:00")  # 40 min ago
    store.add_subscription("oc_2", at="07:00")  # 2 h 40 min ago: beyond a 1 h grace
    sched = DigestScheduler(services(store), holder="a")  # type: ignore[arg-type]
    sched.start(paused=True)
    try:
        jobs = sched.digest_jobs()
        assert jobs["09:00"].next_run_time == datetime(2025, 11, 18, 9, 0, tzinfo=TZ)
        assert jobs["07:00"].next_run_time > datetime.now(TZ)
        assert sched.missed_run("09:41") is None  # yesterday 09:41 is long past the grace
    finally:
        sched.shutdown()


def test_only_the_lease_holder_has_digest_jobs_and_another_takes_over(store: Store) -> None:
    store.add_subscription("oc_1", at="09:30")
    first = DigestScheduler(services(store), holder="a")  # type: ignore[arg-type]
    second = DigestScheduler(services(store), holder="b")  # type: ignore[arg-type]
    first.start(paused=True)
    second.start(paused=True)
    try:
        assert first.leader and list(first.digest_jobs()) == ["09:30"]
        assert not second.leader and second.digest_jobs() == {}
        first.shutdown()  # releases the lease
        second.tick()
        assert second.leader and list(second.digest_jobs()) == ["09:30"]
        assert not store.acquire_lease(LEASE_NAME, "a", 90)
    finally:
        first.shutdown()
        second.shutdown()


def test_the_job_posts_digests_for_its_time_only(sandbox, tmp_path: Path) -> None:
    """The 09:30 job really runs the digest: the sandbox receives it for the 09:30 chat only."""
    settings = Settings(sandbox.feishu_settings(),
                        storage=StorageSettings(f"sqlite:///{tmp_path / 'job.db'}"))
    real = Responder.build(settings)
    real.store.add_subscription("oc_at_0930", at="09:30")
    real.store.add_subscription("oc_at_1805", at="18:05")
    scheduler = DigestScheduler(real, holder="a")
    scheduler.start(paused=True)
    try:
        job = scheduler.digest_jobs()["09:30"]
        job.func(*job.args)
        assert [record.chat_id for record in sandbox.sent] == ["oc_at_0930"]
        real.store.release_lease(LEASE_NAME, "a")
        assert real.store.acquire_lease(LEASE_NAME, "intruder", 90)
        scheduler.digest_jobs()["18:05"].func("18:05")  # no longer the leader: does nothing
        assert [record.chat_id for record in sandbox.sent] == ["oc_at_0930"]
    finally:
        scheduler.shutdown()


def test_weekly_subscriptions_get_a_cron_on_their_weekday(store: Store, scheduler: DigestScheduler) -> None:
    store.add_subscription("oc_1", at="09:30")
    store.add_subscription("oc_1", at="09:00", period="weekly")  # Monday by default
    store.add_subscription("oc_2", at="17:00", period="weekly", weekday=4)
    scheduler.start(paused=True)
    assert sorted(scheduler.digest_jobs()) == ["09:30"]
    jobs = scheduler.weekly_jobs()
    assert sorted(jobs) == ["0 09:00", "4 17:00"]
    friday = jobs["4 17:00"].trigger
    assert friday.get_next_fire_time(None, NOW) == datetime(2025, 11, 21, 17, 0, tzinfo=TZ)
    assert jobs["0 09:00"].trigger.get_next_fire_time(None, NOW) == datetime(2025, 11, 24, 9, 0, tzinfo=TZ)
    store.remove_subscriptions("oc_2", period="weekly")
    scheduler.refresh()
    assert sorted(scheduler.weekly_jobs()) == ["0 09:00"]


def test_a_weekly_run_missed_this_morning_is_caught_up(store: Store) -> None:
    monday = datetime(2025, 11, 17, 9, 40, tzinfo=TZ)
    store.add_subscription("oc_1", at="09:00", period="weekly")
    store.add_subscription("oc_2", at="09:00", period="weekly", weekday=1)  # Tuesday: not yet
    sched = DigestScheduler(services(store, now=monday), holder="a")  # type: ignore[arg-type]
    sched.start(paused=True)
    try:
        jobs = sched.weekly_jobs()
        assert jobs["0 09:00"].next_run_time == datetime(2025, 11, 17, 9, 0, tzinfo=TZ)
        assert jobs["1 09:00"].next_run_time > datetime.now(TZ)
    finally:
        sched.shutdown()


def test_nudges_on_means_a_daily_job_even_without_subscriptions(store: Store) -> None:
    settings = Settings(FeishuSettings("cli", "secret"), digest=DigestSettings(time="08:45"),
                        privacy=PrivacySettings(nudge_no_shows=True))
    sched = DigestScheduler(SimpleNamespace(settings=settings, store=store, now=lambda: NOW),  # type: ignore[arg-type]
                            holder="a")
    sched.start(paused=True)
    try:
        assert list(sched.digest_jobs()) == ["08:45"]
    finally:
        sched.shutdown()


def test_the_weekly_job_posts_the_last_complete_week(sandbox, tmp_path: Path) -> None:
    settings = Settings(sandbox.feishu_settings(),
                        storage=StorageSettings(f"sqlite:///{tmp_path / 'weekly.db'}"))
    real = Responder.build(settings)
    real.store.add_subscription("oc_weekly", at="09:00", period="weekly", lang="en")
    real.store.add_subscription("oc_daily", at="09:00", lang="en")
    scheduler = DigestScheduler(real, holder="a")
    scheduler.start(paused=True)
    try:
        job = scheduler.weekly_jobs()["0 09:00"]
        job.func(*job.args)
        [record] = sandbox.sent
        assert record.chat_id == "oc_weekly"
        assert record.content["header"]["title"]["content"].startswith("Meeting-room weekly")
    finally:
        scheduler.shutdown()


def test_the_leader_fills_history_while_anyone_subscribes(store: Store,
                                                          scheduler: DigestScheduler) -> None:
    scheduler.start(paused=True)
    assert scheduler.scheduler.get_job(HISTORY_JOB) is None  # nobody subscribes: nothing to keep
    store.add_subscription("oc_1", period="weekly")
    scheduler.refresh()
    job = scheduler.scheduler.get_job(HISTORY_JOB)
    assert job is not None and job.next_run_time <= datetime.now(TZ)  # at once, then every 2 min
    store.remove_subscriptions("oc_1")
    scheduler.refresh()
    assert scheduler.scheduler.get_job(HISTORY_JOB) is None


def test_a_follower_has_no_history_job(store: Store) -> None:
    store.add_subscription("oc_1")
    assert store.acquire_lease(LEASE_NAME, "someone-else", 90)
    follower = DigestScheduler(services(store), holder="b")  # type: ignore[arg-type]
    follower.start(paused=True)
    try:
        assert not follower.leader and follower.scheduler.get_job(HISTORY_JOB) is None
    finally:
        follower.shutdown()


def reminding(store: Store) -> SimpleNamespace:
    made = services(store)
    made.settings = replace(made.settings, reminders=ReleaseSettings(enabled=True))
    return made


def test_the_leader_scans_for_reminders_every_minute_only_when_the_tenant_turns_them_on(
        store: Store, scheduler: DigestScheduler) -> None:
    scheduler.start(paused=True)
    assert scheduler.scheduler.get_job(REMINDER_JOB) is None  # [reminders] enabled = false
    leader = DigestScheduler(reminding(store), holder="a")  # type: ignore[arg-type]
    leader.start(paused=True)
    try:
        job = leader.scheduler.get_job(REMINDER_JOB)
        assert job is not None and job.trigger.interval.total_seconds() == 60
        assert store.acquire_lease(LEASE_NAME, "a", 90)
    finally:
        leader.shutdown()


def test_a_follower_does_not_scan_for_reminders(store: Store) -> None:
    assert store.acquire_lease(LEASE_NAME, "someone-else", 90)
    follower = DigestScheduler(reminding(store), holder="b")  # type: ignore[arg-type]
    follower.start(paused=True)
    try:
        assert not follower.leader and follower.scheduler.get_job(REMINDER_JOB) is None
    finally:
        follower.shutdown()
