"""Background work: every accepted event is stored before the ack, then answered by a thread pool."""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from bot.inbound import CardAction, Inbound, from_payload, kind_of, to_payload

log = logging.getLogger(__name__)

CARD_SYNC_SECONDS = 2.2  # Feishu waits 3 s for a card callback; the rest is network margin
WORKING_TOAST = {"toast": {"type": "info", "content": "Asking Feishu, the card will update shortly",
                           "i18n": {"zh_cn": "正在查询飞书，卡片稍后更新",
                                    "en_us": "Asking Feishu, the card will update shortly"}}}


class Worker:
    """Accepts inbound items durably and processes each exactly once."""

    def __init__(self, store: Any, handle: Callable[[Inbound], Any],
                 patch_card: Callable[[str, dict[str, Any]], None], threads: int = 4) -> None:
        self._store = store
        self._handle = handle  # returns a card dict for a CardAction, None otherwise
        self._patch_card = patch_card
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="roombot-worker")

    def accept(self, item: Inbound) -> bool:
        """Record the item (committed) and queue it; False for a duplicate delivery."""
        if not self._store.accept_event(item.dedupe_key, kind_of(item), to_payload(item)):
            log.info("duplicate delivery ignored: %s", item.dedupe_key)
            return False
        self._pool.submit(self._run, item)
        return True

    def card_action(self, action: CardAction) -> dict[str, Any]:
        """Answer a click within Feishu's 3 s: the new card if ready, else a toast and a later patch."""
        if not self._store.accept_event(action.dedupe_key, kind_of(action), to_payload(action)):
            return {}
        late = _LateFlag()
        future: Future = self._pool.submit(self._run, action, late)
        try:
            card = future.result(timeout=CARD_SYNC_SECONDS)
        except FutureTimeout:
            if late.set_late():
                return WORKING_TOAST
            card = future.result()
        return {"card": {"type": "raw", "data": card}} if card else {}

    def recover(self, older_than_seconds: float = 0.0) -> int:
        """Queue events accepted before a crash or restart and never finished."""
        pending = self._store.pending_events(older_than_seconds)
        for event in pending:
            item = from_payload(event.kind, event.payload)
            self._pool.submit(self._run, item, _LateFlag(late=True))
        if pending:
            log.info("recovering %d unfinished events", len(pending))
        return len(pending)

    def shutdown(self, wait: bool = True) -> None:
        self._pool.shutdown(wait=wait)

    def _run(self, item: Inbound, late: _LateFlag | None = None) -> dict[str, Any] | None:
        key = item.dedupe_key
        if not self._store.claim_pending(key):
            return None  # another worker or instance has it
        try:
            card = self._handle(item)
            if isinstance(item, CardAction) and card and late and late.finished_late():
                self._patch_card(item.message_id, card)
            self._store.mark_done(key)
            return card
        except Exception as exc:  # never lose the event silently; it is retried up to the store's limit
            log.exception("failed to process %s", key)
            self._store.mark_failed(key, repr(exc))
            return None


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
