"""Answer workers: claim an item from the inbox, respond to it, mark it done (or dead).

A dispatcher thread sleeps until the inbox wakes it (a slow poll is the backstop), claims items
while a thread is free, and hands each to a pool thread. The same class runs inside each worker
process of `roombot serve`, and in-process for the demo and tests.
"""
from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Self

from bot.observe import logs, metrics
from bot.receive.events import CardAction
from bot.receive.inbox import Claimed, Inbox
from bot.respond import Responder

log = logging.getLogger(__name__)

BACKSTOP_POLL_SECONDS = 1.0  # an item recorded by another instance is found at least this soon


class AnswerWorkers:
    """Threads that answer what the inbox holds, each item once."""

    def __init__(self, inbox: Inbox, responder: Responder, threads: int = 4) -> None:
        self.inbox = inbox
        self.responder = responder
        responder.wake = inbox.nudge  # a booking job queued by a click is claimed at once
        self._slots = threading.BoundedSemaphore(threads)
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="roombot-answer")
        self._stop = threading.Event()
        self._idle = threading.Condition()
        self._busy = 0
        self._thread = threading.Thread(target=self._dispatch, name="roombot-dispatch",
                                        daemon=True)

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self, wait: bool = True) -> None:
        """Stop claiming; with `wait`, let the items in hand finish."""
        self._stop.set()
        self.inbox.nudge()
        self._pool.shutdown(wait=wait)
        self.inbox.close()

    def drain(self, timeout: float = 30.0) -> bool:
        """Wait until nothing is waiting in the inbox or in hand (for tests and the demo)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._idle:
                if self._busy == 0 and self.inbox.store.claimable() == 0:
                    self.inbox.flush()
                    return True
                self._idle.wait(0.05)
        return False

    def _dispatch(self) -> None:
        """Claim as many items as there are free threads (one transaction), then sleep."""
        while not self._stop.is_set():
            self._slots.acquire()  # at least one thread is free
            free = 1
            while self._slots.acquire(blocking=False):
                free += 1
            with self._idle:  # counted as busy before the claim commits: drain() never sees
                self._busy += free  # an item that is neither claimable nor in hand
            try:
                claimed = [] if self._stop.is_set() else self.inbox.claim(free)
            except Exception:
                log.exception("inbox: claim failed")
                claimed = []
            for _unused in range(free - len(claimed)):
                self._slots.release()
            with self._idle:
                self._busy -= free - len(claimed)
                self._idle.notify_all()
            for item in claimed:
                self._pool.submit(self._answer, item)
            if not claimed:
                self.inbox.wait(BACKSTOP_POLL_SECONDS)

    def _answer(self, claimed: Claimed) -> None:
        try:
            with self.inbox.holding(claimed.key), logs.context(event_id=claimed.key):
                answer_one(self.inbox, self.responder, claimed)
        finally:
            self._slots.release()
            with self._idle:
                self._busy -= 1
                self._idle.notify_all()


def answer_one(inbox: Inbox, responder: Responder, claimed: Claimed) -> None:
    """Answer one claimed item exactly once, or retry it later, or give it up."""
    item = claimed.item
    if item is None:
        metrics.DEAD_LETTERS.inc()
        inbox.dead(claimed.key, "stored payload unreadable")
        return
    if claimed.attempts > inbox.max_attempts:  # it failed, or killed its worker, every time
        metrics.DEAD_LETTERS.inc()
        inbox.dead(claimed.key, f"claimed {claimed.attempts} times without finishing")
        responder.dead_letter(item, "too many attempts")
        return
    try:
        card = responder.respond(item)
        if isinstance(item, CardAction) and isinstance(card, dict) and card:  # answered late: patch
            responder.gateway.patch_card(item.message_id, card)
    except Exception as exc:  # e.g. Feishu refused the reply: try again later
        log.warning("event %s: attempt %d failed: %r", claimed.key, claimed.attempts, exc,
                    exc_info=True)
        if inbox.failed(claimed.key, repr(exc)):
            metrics.DEAD_LETTERS.inc()
            log.error("event %s: dead letter after %d attempts", claimed.key, claimed.attempts)
            responder.dead_letter(item, repr(exc))
        return
    inbox.done(claimed.key)
