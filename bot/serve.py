"""`roombot serve`: the web process acknowledges, worker processes answer, one leader schedules.

The web process only verifies, records and acknowledges (and answers card clicks in place), so a
burst of questions never competes with the acks Feishu waits 3 s for. Worker processes are
started from a fork server that has already imported the Feishu SDK (about 5 s of CPU and 170 MB
per import), so they share those pages and start in well under a second. They sleep on a
semaphore the web process releases for each recorded item, with a slow poll as the backstop.
"""
from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
from typing import Any

import waitress
from flask import Flask
from waitress import wasyncore

from bot.app import create_app
from bot.config import Settings
from bot.digest.scheduler import TICK_SECONDS, DigestScheduler
from bot.observe import logs, metrics
from bot.receive.clicks import ClickDesk
from bot.receive.inbox import Inbox, Semaphore
from bot.receive.longconn import LongConnection, SocketDoor
from bot.respond import Responder
from bot.workers import AnswerWorkers

log = logging.getLogger(__name__)

WORKER_NICENESS = 5  # answers are background work: the acks Feishu waits for get the CPU first
PRELOAD = ["bot.serve"]  # imports the whole answer path, lark_oapi included, into the fork server
PARENT_CHECK_SECONDS = 1.0


def run_forever(settings: Settings) -> None:
    """Serve the webhook; answer in worker processes (or in this one when there are none)."""
    responder = Responder.build(settings)
    processes = settings.server.worker_processes
    children: list[multiprocessing.process.BaseProcess] = []
    workers, scheduler = None, None
    if processes:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(PRELOAD)
        wakeup = context.Semaphore(0)
        inbox = Inbox(responder.store, wakeup)
        children = [_spawn(context, settings, n, wakeup) for n in range(processes)]
    else:
        inbox = Inbox(responder.store)
        workers = AnswerWorkers(inbox, responder, settings.bot.workers).start()
        scheduler = _start_scheduler(responder)
    app = create_app(settings, responder, inbox, warm_dashboard=True)
    link = _open_long_connection(settings, responder, inbox)
    app.add_url_rule("/longconn", "longconn", lambda: _link_status(link))
    signal.signal(signal.SIGTERM, _exit)  # waitress stops on SystemExit; `finally` ends the rest
    try:
        log.info("roombot listening on http://%s:%d/webhook/event (%d worker process(es)); "
                 "events arrive by %s", settings.server.host, settings.server.port, processes,
                 settings.feishu.mode)
        waitress.serve(app, host=settings.server.host, port=settings.server.port,
                       threads=settings.server.threads, ident="roombot")
    finally:
        if link is not None:
            link.stop()
        for child in children:
            child.terminate()
        for child in children:
            child.join(10)
            if child.pid is not None:
                metrics.process_exited(child.pid)
        if scheduler is not None:
            scheduler.shutdown()
        if workers is not None:
            workers.stop(wait=False)
        inbox.close()


def worker_main(settings: Settings, number: int, wakeup: Semaphore, parent: int) -> None:
    """A worker process: answer what the inbox holds, and run the digest scheduler (one leader)."""
    os.nice(WORKER_NICENESS)
    logs.configure(settings.log, process=f"worker-{number}",
                   level=os.environ.get("ROOMBOT_LOG_LEVEL", "INFO"))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda _sig, _frame: stop.set())
    responder = Responder.build(settings)
    _warm_directory(responder)
    workers = AnswerWorkers(Inbox(responder.store, wakeup), responder, settings.bot.workers)
    workers.start()
    scheduler = _start_scheduler(responder)
    try:
        while not stop.wait(PARENT_CHECK_SECONDS) and _alive(parent):
            pass
    finally:
        scheduler.shutdown()
        workers.stop(wait=True)


def _spawn(context: Any, settings: Settings, number: int,
           wakeup: Semaphore) -> multiprocessing.process.BaseProcess:
    process = context.Process(target=worker_main, args=(settings, number, wakeup, os.getpid()),
                              name=f"roombot-worker-{number}", daemon=True)
    process.start()
    return process


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _warm_directory(responder: Responder) -> None:
    """Load the room directory before the first question, so no one waits for it."""
    try:
        responder.directory.get()
    except Exception:  # Feishu down at start: the first question will try again
        log.exception("could not load the room directory at start")


def _open_long_connection(settings: Settings, responder: Responder,
                          inbox: Inbox) -> LongConnection | None:
    """In long-connection mode, the WebSocket door: same inbox, clicks answered in place."""
    if settings.feishu.mode != "long_connection":
        return None
    door = SocketDoor(inbox, ClickDesk(inbox, responder))
    return LongConnection(settings.feishu, door, threads=settings.server.threads).start()


def _link_status(link: LongConnection | None) -> dict[str, Any]:
    """GET /longconn: which door this process uses and, for the WebSocket, whether it is up."""
    return link.status().as_dict() if link is not None else {"mode": "webhook"}


def _start_scheduler(responder: Responder) -> DigestScheduler:
    lease = responder.settings.digest.lease_seconds
    scheduler = DigestScheduler(responder, lease_seconds=lease,
                                tick_seconds=min(TICK_SECONDS, lease / 3))
    scheduler.start()
    return scheduler


def _exit(_signal: int, _frame: object) -> None:
    raise SystemExit(0)


class BackgroundServer:
    """The app served by waitress on a loopback port in a daemon thread (demo, tests, bench)."""

    def __init__(self, app: Flask, host: str = "127.0.0.1", port: int = 0,
                 threads: int = 8) -> None:
        self._server: Any = waitress.create_server(app, host=host, port=port, threads=threads,
                                                   ident="roombot")
        self.port: int = self._server.effective_port
        self.url = f"http://{host}:{self.port}"
        self._thread = threading.Thread(target=self._server.run, name="roombot-http", daemon=True)

    def start(self) -> BackgroundServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Close the sockets from inside waitress's own loop, so its select() never sees a dead fd."""
        if self._thread.is_alive():
            self._server.trigger.pull_trigger(self._close_in_loop)
            self._thread.join(timeout=5)
        else:
            self._close_in_loop()

    def _close_in_loop(self) -> None:
        self._server.task_dispatcher.shutdown(timeout=1)
        wasyncore.close_all(self._server._map)
