"""`roombot serve`: the web server plus the loops that only a long-running process has."""
from __future__ import annotations

import logging
import threading

from flask import Flask

from bot import Runtime
from bot.config import Settings
from bot.serving import serve_forever

log = logging.getLogger(__name__)

RECOVERY_INTERVAL_SECONDS = 60.0
STALE_EVENT_SECONDS = 30.0  # an accepted event unfinished this long was lost by a crashed worker


def run_forever(app: Flask, settings: Settings) -> None:
    """Recover unfinished events, start the digest scheduler, then serve until interrupted."""
    runtime: Runtime = app.extensions["roombot"]
    runtime.worker.recover()
    stop = threading.Event()
    threading.Thread(target=_recovery_loop, args=(runtime, stop), name="roombot-recovery",
                     daemon=True).start()
    scheduler = _start_scheduler(runtime)
    try:
        serve_forever(app, settings.server.host, settings.server.port, settings.server.threads)
    finally:
        stop.set()
        if scheduler is not None:
            scheduler.shutdown()
        runtime.worker.shutdown(wait=False)


def _recovery_loop(runtime: Runtime, stop: threading.Event) -> None:
    while not stop.wait(RECOVERY_INTERVAL_SECONDS):
        try:
            runtime.worker.recover(older_than_seconds=STALE_EVENT_SECONDS)
        except Exception:
            log.exception("event recovery sweep failed")


def _start_scheduler(runtime: Runtime):  # type: ignore[no-untyped-def]
    from bot.scheduler import DigestScheduler

    scheduler = DigestScheduler(runtime.services)
    scheduler.start()
    return scheduler
