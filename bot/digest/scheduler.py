"""The digest scheduler in `roombot serve`: one cron job per subscription time, in the tenant timezone.

Every `serve` process builds one, but only the holder of the store lease "digest-scheduler" has digest
jobs: the others keep trying to take the lease over, so exactly one process per deployment posts
digests and another takes over within a lease period if it dies. (Sends are exactly-once anyway,
through the store's digest claims.) A digest time missed while no process was running is run once
at start if it is less than `digest.misfire_grace_seconds` old.
"""
from __future__ import annotations

import logging
import os
import socket
import uuid
from datetime import datetime, timedelta
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.config import parse_clock
from bot.digest.run import run_digests
from bot.respond import Responder

log = logging.getLogger(__name__)

LEASE_NAME = "digest-scheduler"
LEASE_SECONDS = 90.0
TICK_SECONDS = 30.0  # renew the lease and re-read subscriptions this often
TICK_JOB = "roombot-digest-tick"
JOB_PREFIX = "digest-"


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
            self._remove_jobs(set(self.digest_jobs()))

    def refresh(self) -> None:
        """Make the cron jobs match the distinct HH:MM times of active subscriptions."""
        wanted = {sub.at for sub in self.responder.store.subscriptions()}
        current = self.digest_jobs()
        self._remove_jobs(set(current) - wanted)
        for at in sorted(wanted - set(current)):
            self._add_job(at)

    def digest_jobs(self) -> dict[str, Any]:
        """The digest jobs by HH:MM."""
        return {job.id[len(JOB_PREFIX):]: job for job in self.scheduler.get_jobs()
                if job.id.startswith(JOB_PREFIX)}

    def _add_job(self, at: str) -> None:
        clock = parse_clock(at, "subscription time")
        trigger = CronTrigger(hour=clock.hour, minute=clock.minute, timezone=self.tz)
        missed = self.missed_run(at)
        options = {"next_run_time": missed} if missed else {}
        self.scheduler.add_job(self.run_at, trigger, args=[at], id=JOB_PREFIX + at, name=f"digest {at}",
                               replace_existing=True, **options)
        log.info("digest scheduler: job at %s %s%s", at, self.tz.key,
                 f" (catching up the run missed at {missed:%H:%M})" if missed else "")

    def missed_run(self, at: str) -> datetime | None:
        """Today's (or yesterday's) run time of `at` if it passed within the misfire grace period."""
        now = self.responder.now()
        clock = parse_clock(at, "subscription time")
        last = now.replace(hour=clock.hour, minute=clock.minute, second=0, microsecond=0)
        if last > now:
            last -= timedelta(days=1)
        grace = timedelta(seconds=self.responder.settings.digest.misfire_grace_seconds)
        return last if now - last <= grace else None

    def _remove_jobs(self, times: set[str]) -> None:
        for at in times:
            self.scheduler.remove_job(JOB_PREFIX + at)

    def run_at(self, at: str) -> None:
        """The job: post the digests of the subscriptions at `at` (if we still lead)."""
        if not self.responder.store.acquire_lease(LEASE_NAME, self.holder, self.lease_seconds):
            log.info("digest scheduler: not the leader any more; %s left to the leader", at)
            return
        try:
            run = run_digests(self.responder, at=at)
            log.info("digest scheduler: %s: %s", at, run)
        except Exception:
            log.exception("digest scheduler: run at %s failed", at)

    def shutdown(self) -> None:
        """Stop the scheduler and give the lease up so another process can take over at once."""
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        if self.leader:
            try:
                self.responder.store.release_lease(LEASE_NAME, self.holder)
            except Exception:
                log.exception("digest scheduler: could not release the lease")
