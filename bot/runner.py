"""`roombot serve`: the web server, the answer worker processes and the digest scheduler."""
from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
from collections.abc import Callable

from bot import Runtime, create_app
from bot.config import Settings
from bot.scheduler import DigestScheduler
from bot.serving import serve_forever

log = logging.getLogger(__name__)

POLL_SECONDS = 0.05  # how often a worker process looks for newly accepted events
WORKER_NICENESS = 5  # answers are background work: the acks Feishu waits for get the CPU first
CLICK_GRACE_SECONDS = 10.0  # fresh card clicks are the web process's to answer within 3 s
RECOVERY_INTERVAL_SECONDS = 60.0
STALE_EVENT_SECONDS = 30.0  # an accepted event unfinished this long was lost by a crashed worker


def run_forever(settings: Settings) -> None:
    """Serve the webhook; answer in worker processes (or in-process when there are none)."""
    processes = settings.server.worker_processes
    app = create_app(settings, answer_inline=processes == 0)
    runtime: Runtime = app.extensions["roombot"]
    stop = threading.Event()
    # waitress stops on SystemExit, so `finally` below also runs on SIGTERM and ends the children.
    signal.signal(signal.SIGTERM, _exit)
    children = [_spawn(settings, n) for n in range(processes)]
    scheduler = None
    if not children:  # this process answers, recovers and schedules by itself
        runtime.worker.recover()
        threading.Thread(target=_poll_loop, name="roombot-recovery", daemon=True,
                         args=(runtime, stop, RECOVERY_INTERVAL_SECONDS, STALE_EVENT_SECONDS)).start()
        scheduler = _start_scheduler(runtime)
    try:
        serve_forever(app, settings.server.host, settings.server.port, settings.server.threads)
    finally:
        stop.set()
        if scheduler is not None:
            scheduler.shutdown()
        for child in children:
            child.terminate()
            child.join(10)
        runtime.worker.shutdown(wait=False)


def answer_worker(settings: Settings, number: int) -> None:
    """A worker process: answer every accepted event from the store, and run the scheduler."""
    os.nice(WORKER_NICENESS)
    logging.basicConfig(level=os.environ.get("ROOMBOT_LOG_LEVEL", "INFO"),
                        format=f"%(asctime)s %(levelname)s worker-{number} %(name)s: %(message)s")
    app = create_app(settings)  # its own store connection and gateway
    runtime: Runtime = app.extensions["roombot"]
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda _sig, _frame: stop.set())
    parent = os.getppid()
    _warm_directory(runtime)
    scheduler = _start_scheduler(runtime)  # one leader across all processes (a store lease)
    try:
        _poll_loop(runtime, stop, POLL_SECONDS, 0.0, CLICK_GRACE_SECONDS,
                   alive=lambda: os.getppid() == parent)  # die with the web process
    finally:
        scheduler.shutdown()
        runtime.worker.shutdown(wait=True)


def _warm_directory(runtime: Runtime) -> None:
    """Load the room directory before the first question, so no one waits for it."""
    try:
        runtime.services.directory.get()
    except Exception:  # Feishu down at start: the first question will try again
        log.exception("could not load the room directory at start")


def _exit(_signal: int, _frame: object) -> None:
    raise SystemExit(0)


def _spawn(settings: Settings, number: int) -> multiprocessing.process.BaseProcess:
    context = multiprocessing.get_context("spawn")
    process = context.Process(target=answer_worker, args=(settings, number),
                              name=f"roombot-worker-{number}", daemon=True)
    process.start()
    return process


def _poll_loop(runtime: Runtime, stop: threading.Event, interval: float, older_than: float,
               clicks_older_than: float = 0.0, alive: Callable[[], bool] = lambda: True) -> None:
    """Every `interval`, queue the accepted events nobody is working on, until stopped."""
    while not stop.wait(interval) and alive():
        try:
            runtime.worker.recover(older_than_seconds=older_than,
                                   clicks_older_than=clicks_older_than)
        except Exception:
            log.exception("polling for accepted events failed")


def _start_scheduler(runtime: Runtime) -> DigestScheduler:
    scheduler = DigestScheduler(runtime.services)
    scheduler.start()
    return scheduler

