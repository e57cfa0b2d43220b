"""Background work: every accepted event is stored before the ack, then answered by a thread pool."""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.inbound import CardAction, Inbound, from_payload, kind_of, to_payload

log = logging.getLogger(__name__)

RETRY_SECONDS = 15.0  # a failed event is tried again after this (Feishu's own first retry interval)
CARD_SYNC_SECONDS = 2.2  # Feishu waits 3 s for a card callback; the rest is network margin
WORKING_TOAST = {"toast": {"type": "info", "content": "Asking Feishu, the card will update shortly",
                           "i18n": {"zh_cn": "正在查询飞书，卡片稍后更新",
                                    "en_us": "Asking Feishu, the card will update shortly"}}}


class Worker:
    """Accepts inbound items durably and processes each exactly once."""

    def __init__(self, store: Any, handle: Callable[[Inbound], Any],
                 patch_card: Callable[[str, dict[str, Any]], None], threads: int = 4,
                 inline: bool = True) -> None:
        self._store = store
        self._handle = handle  # returns a card dict for a CardAction, None otherwise
        self._patch_card = patch_card
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="roombot-worker")
        # inline=False: accepted messages are answered by worker processes polling the store
        # (`roombot serve`), so answering never competes with the webhook's acks for the GIL.
        self._inline = inline
        self._in_flight: set[str] = set()
        self._lock = threading.Lock()

    def accept(self, item: Inbound) -> bool:
        """Record the item (committed) and queue it; False for a duplicate delivery."""
        if not self._store.accept_event(item.dedupe_key, kind_of(item), to_payload(item)):
            log.info("duplicate delivery ignored: %s", item.dedupe_key)
            return False
        if self._inline:
            self._submit(item)
        return True

    def card_action(self, action: CardAction) -> dict[str, Any]:
        """Answer a click within Feishu's 3 s: the new card if ready, else a toast and a later patch."""
        if not self._store.accept_event(action.dedupe_key, kind_of(action), to_payload(action)):
            return {}
        late = _LateFlag()
        future: Future = self._submit(action, late)
        try:
            card = future.result(timeout=CARD_SYNC_SECONDS)
        except FutureTimeout:
            if late.set_late():
                return WORKING_TOAST
            card = future.result()
        return {"card": {"type": "raw", "data": card}} if card else {}

    def recover(self, older_than_seconds: float = 0.0, clicks_older_than: float = 0.0) -> int:
        """Queue accepted events that nobody here is working on (after a restart, or for a worker
        process polling the store); a card click answered this way is patched into its card.

        `clicks_older_than` leaves fresh clicks to the web process, which answers them in place.
        """
        click_cutoff = datetime.now(UTC) - timedelta(seconds=clicks_older_than)
        with self._lock:
            pending = [e for e in self._store.pending_events(older_than_seconds)
                       if e.key not in self._in_flight
                       and not (e.kind == "card_action" and e.received_at > click_cutoff)]
        for event in pending:
            self._submit(from_payload(event.kind, event.payload), _LateFlag(late=True))
        if pending:
            log.info("queued %d accepted, unfinished events", len(pending))
        return len(pending)

    def _submit(self, item: Inbound, late: _LateFlag | None = None) -> Future:
        with self._lock:
            self._in_flight.add(item.dedupe_key)
        return self._pool.submit(self._run, item, late)

    def shutdown(self, wait: bool = True) -> None:
        self._pool.shutdown(wait=wait)

    def _run(self, item: Inbound, late: _LateFlag | None = None) -> dict[str, Any] | None:
        key = item.dedupe_key
        try:
            if not self._store.claim_pending(key):
                return None  # another worker or instance has it
            card = self._handle(item)
            if isinstance(item, CardAction) and card and late and late.finished_late():
                self._patch_card(item.message_id, card)
            self._store.mark_done(key)
            return card
        except Exception as exc:  # never lose the event silently; it is retried up to the store's limit
            log.exception("failed to process %s", key)
            self._store.mark_failed(key, repr(exc), retry_after_seconds=RETRY_SECONDS)
            return None
        finally:
            with self._lock:
                self._in_flight.discard(key)


class _LateFlag:
    """Whether the callback already answered with a toast, so the result must be patched in."""

    def __init__(self, late: bool = False) -> None:
        self._lock = threading.Lock()
        self._late = late
        self._finished = False

    def set_late(self) -> bool:
        with self._lock:
            self._late = not self._finished
            return self._late

    def finished_late(self) -> bool:
        with self._lock:
            self._finished = True
            return self._late
