"""The digest scheduler in `roombot serve`: one cron job per subscription time, in the tenant timezone.

Daily digests get a job per distinct HH:MM ("digest-09:30"), weekly digests one per weekday and time
("weekly-0-09:00", a cron on that day of the week). The daily job also sends the opt-in nudges, so
with `privacy.nudge_no_shows` on there is a daily job at `digest.time` even without subscriptions.

Every `serve` process builds one, but only the holder of the store lease "digest-scheduler" has digest
jobs: the others keep trying to take the lease over, so exactly one process per deployment posts
digests and another takes over within a lease period if it dies. (Sends are exactly-once anyway,
through the store's digest claims.) A digest time missed while no process was running is run once
at start if it is less than `digest.misfire_grace_seconds` old.

With `[reminders] enabled`, the leader also runs the keep-or-release reminder scan every
REMINDER_SECONDS (bot/remind/scan.py); it does not wait for a digest's read.

While anyone subscribes, the leader also fills the digests' history (bot/digest/history.py): one
chunk of days at a time, the next HISTORY_PAUSE_SECONDS later while days are missing, then a look
every HISTORY_SECONDS; never while a digest is reading.
"""
from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.config import parse_clock
from bot.digest.history import fill_history, missing_days
from bot.digest.run import DigestRun, run_digests
from bot.digest.weekly import run_weekly_digests
from bot.observe import metrics
from bot.remind.scan import run_reminders
from bot.respond import Responder

log = logging.getLogger(__name__)

LEASE_NAME = "digest-scheduler"
LEASE_SECONDS = 90.0
TICK_SECONDS = 30.0  # renew the lease and re-read subscriptions this often
TICK_JOB = "roombot-digest-tick"
HISTORY_JOB = "roombot-digest-history"
REMINDER_JOB = "roombot-reminders"
REMINDER_SECONDS = 60.0
HISTORY_SECONDS = 120.0  # look for missing history this often (a no-op once filled)
HISTORY_PAUSE_SECONDS = 5.0  # between two chunks while history is missing
JOB_PREFIX = "digest-"
WEEKLY_PREFIX = "weekly-"
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class DigestScheduler:
    """APScheduler jobs for digests, leader-elected through the store."""

    def __init__(self, responder: Responder, *, holder: str | None = None,
                 lease_seconds: float = LEASE_SECONDS, tick_seconds: float = TICK_SECONDS) -> None:
        self.responder = responder
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.lease_seconds = lease_seconds
        self.tick_seconds = tick_seconds
        self.tz = responder.settings.bot.tz
        self.leader = False
        self._reading = threading.Lock()  # one digest or history read at a time (memory)
        self.scheduler = BackgroundScheduler(timezone=self.tz, job_defaults={
            "coalesce": True, "max_instances": 1,
            "misfire_grace_time": responder.settings.digest.misfire_grace_seconds})

    def start(self, paused: bool = False) -> None:
        """Start the scheduler thread; the first tick (lease, jobs, catch-up) runs at once."""
        self.scheduler.start(paused=paused)
        self.scheduler.add_job(self.tick, IntervalTrigger(seconds=self.tick_seconds, timezone=self.tz),
                               id=TICK_JOB, replace_existing=True)
        self.tick()

    def tick(self) -> None:
        """Renew (or try to take) the lease; the leader re-reads subscriptions, others drop their jobs."""
        try:
            self.leader = self.responder.store.acquire_lease(LEASE_NAME, self.holder, self.lease_seconds)
        except Exception:
            log.exception("digest scheduler: lease check failed")
            self.leader = False
        if self.leader:
            self.refresh()
        else:
            self._remove_jobs(set(self.digest_jobs()), JOB_PREFIX)
            self._remove_jobs(set(self.weekly_jobs()), WEEKLY_PREFIX)
            self._keep_history_job(False)
            self._keep_reminder_job(False)

    def refresh(self) -> None:
        """Make the cron jobs match the distinct times (and weekdays) of active subscriptions."""
        subs = self.responder.store.subscriptions()
        daily = {sub.at for sub in subs if sub.period == "daily"}
        if self.responder.settings.privacy.nudge_no_shows:
            daily.add(self.responder.settings.digest.time)  # nudges run with the daily job
        weekly = {f"{sub.weekday} {sub.at}" for sub in subs if sub.period == "weekly"}
        for prefix, wanted, current in ((JOB_PREFIX, daily, self.digest_jobs()),
                                        (WEEKLY_PREFIX, weekly, self.weekly_jobs())):
            self._remove_jobs(set(current) - wanted, prefix)
            for key in sorted(wanted - set(current)):
                self._add_job(prefix, key)
        self._keep_history_job(bool(daily or weekly))
        self._keep_reminder_job(self.responder.settings.reminders.enabled)

    def run_reminders(self) -> None:
        """The reminder job: one scan, if we still lead (the rows make sends once anyway)."""
        try:
            if self.responder.store.acquire_lease(LEASE_NAME, self.holder, self.lease_seconds):
                run = run_reminders(self.responder)
                if run.sent or run.failed:
                    log.info("reminders: %s", run)
                metrics.reminders_run(len(run.sent), run.failed, run.skipped)
        except Exception:
            log.exception("reminders: scan failed")

    def _keep_history_job(self, wanted: bool) -> None:
        self._keep_interval_job(HISTORY_JOB, self.run_history, HISTORY_SECONDS, wanted)

    def _keep_reminder_job(self, wanted: bool) -> None:
        self._keep_interval_job(REMINDER_JOB, self.run_reminders, REMINDER_SECONDS, wanted)

    def _keep_interval_job(self, job_id: str, run: Callable[[], None], seconds: float,
                           wanted: bool) -> None:
        """Add an interval job (first run at once) or remove it."""
        job = self.scheduler.get_job(job_id)
        if wanted and job is None:
            self.scheduler.add_job(run, IntervalTrigger(seconds=seconds, timezone=self.tz),
                                   id=job_id, next_run_time=datetime.now(self.tz),
                                   replace_existing=True)
        elif not wanted and job is not None:
            job.remove()

    def run_history(self) -> None:
        """The history job: remember one more chunk of missing days, unless a digest is reading
        (it then fills what it needs itself) or we no longer lead. While days are still missing
        the next chunk follows HISTORY_PAUSE_SECONDS later (a pause in which a digest due
        meanwhile takes its turn), so a new subscription's history fills in minutes."""
        if not self._reading.acquire(blocking=False):
            return
        more = False
        try:
            if self.responder.store.acquire_lease(LEASE_NAME, self.holder, self.lease_seconds):
                more = bool(fill_history(self.responder, max_chunks=1)
                            and missing_days(self.responder))
        except Exception:
            log.exception("digest scheduler: filling history failed")
        finally:
            self._reading.release()
        job = self.scheduler.get_job(HISTORY_JOB)
        if more and job is not None:
            job.modify(next_run_time=datetime.now(self.tz) + timedelta(
                seconds=HISTORY_PAUSE_SECONDS))

    def digest_jobs(self) -> dict[str, Any]:
        """The daily digest jobs by HH:MM."""
        return self._jobs(JOB_PREFIX)

    def weekly_jobs(self) -> dict[str, Any]:
        """The weekly digest jobs by "weekday HH:MM" (0 = Monday)."""
        return {key.replace("-", " ", 1): job for key, job in self._jobs(WEEKLY_PREFIX).items()}

    def _jobs(self, prefix: str) -> dict[str, Any]:
        return {job.id[len(prefix):]: job for job in self.scheduler.get_jobs()
                if job.id.startswith(prefix)}

    def _add_job(self, prefix: str, key: str) -> None:
        """A daily job for key "HH:MM", or a weekly one for key "weekday HH:MM"."""
        weekday, _, at = key.rpartition(" ")
        clock = parse_clock(at, "subscription time")
        day = DAYS[int(weekday)] if weekday else "*"
        trigger = CronTrigger(day_of_week=day, hour=clock.hour, minute=clock.minute, timezone=self.tz)
        missed = self.missed_run(at, int(weekday) if weekday else None)
        options = {"next_run_time": missed} if missed else {}
        job = self.run_weekly if weekday else self.run_at
        args = [at, int(weekday)] if weekday else [at]
        self.scheduler.add_job(job, trigger, args=args, id=prefix + key.replace(" ", "-"),
                               name=f"{prefix}{key}", replace_existing=True, **options)
        log.info("digest scheduler: %sjob at %s %s%s", prefix, key, self.tz.key,
                 f" (catching up the run missed at {missed:%a %H:%M})" if missed else "")

    def missed_run(self, at: str, weekday: int | None = None) -> datetime | None:
        """The last run time of `at` (on `weekday`, for a weekly job) if it passed within the
        misfire grace period."""
        now = self.responder.now()
        clock = parse_clock(at, "subscription time")
        last = now.replace(hour=clock.hour, minute=clock.minute, second=0, microsecond=0)
        if last > now:
            last -= timedelta(days=1)
        if weekday is not None:
            last -= timedelta(days=(last.weekday() - weekday) % 7)
        grace = timedelta(seconds=self.responder.settings.digest.misfire_grace_seconds)
        return last if now - last <= grace else None

    def _remove_jobs(self, keys: set[str], prefix: str = JOB_PREFIX) -> None:
        for key in keys:
            self.scheduler.remove_job(prefix + key.replace(" ", "-"))

    def run_weekly(self, at: str, weekday: int) -> None:
        """The weekly job: post the weekly digests due at `at` on `weekday` (if we still lead)."""
        self._run_as_leader(f"weekly {DAYS[weekday]} {at}",
                            lambda: run_weekly_digests(self.responder, at=at, weekday=weekday))

    def run_at(self, at: str) -> None:
        """The daily job: post the digests of the subscriptions at `at`, then the nudges (if we
        still lead)."""
        self._run_as_leader(at, lambda: run_digests(self.responder, at=at, nudge=True))

    def _run_as_leader(self, what: str, run_digest: Callable[[], DigestRun]) -> None:
        """Run one digest job if we still hold the lease (one read at a time), and count it."""
        if not self.responder.store.acquire_lease(LEASE_NAME, self.holder, self.lease_seconds):
            log.info("digest scheduler: not the leader any more; %s left to the leader", what)
            return
        try:
            with self._reading:
                run = run_digest()
            log.info("digest scheduler: %s: %s", what, run)
            metrics.digest_run(len(run.sent), len(run.failed),
                               no_data=any(chat == "*" for chat, _why in run.failed))
        except Exception:
            metrics.DIGEST_RUNS.labels("error").inc()
            log.exception("digest scheduler: run %s failed", what)

    def shutdown(self) -> None:
        """Stop the scheduler and give the lease up so another process can take over at once."""
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        if self.leader:
            try:
                self.responder.store.release_lease(LEASE_NAME, self.holder)
            except Exception:
                log.exception("digest scheduler: could not release the lease")
