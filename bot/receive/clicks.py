"""Card clicks are answered in place: Feishu waits 3 s for the new card (or a toast).

A click is recorded in the inbox already held by this process, answered on a thread, and returned
in the HTTP response when ready within `CARD_SYNC_SECONDS`. Otherwise the response is a
"working on it" toast and the card is patched when the answer is ready. If this process dies
first, the click's lease lapses and a worker answers it and patches the card.
"""
from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from bot.receive.events import CardAction
from bot.receive.inbox import Inbox
from bot.respond import Responder, Toast

log = logging.getLogger(__name__)

CARD_SYNC_SECONDS = 2.2  # Feishu waits 3 s for a card callback; the rest is network margin
WORKING_TOAST = {"toast": {"type": "info", "content": "Asking Feishu, the card will update shortly",
                           "i18n": {"zh_cn": "正在查询飞书，卡片稍后更新",
                                    "en_us": "Asking Feishu, the card will update shortly"}}}
UNREADABLE_FORM = {"zh": "无法读取这个表单，请重新填写后再提交", "en": "The form could not be read: please fill it in again and resubmit"}


def unreadable_form_toast(lang: object) -> dict[str, Any]:
    """The toast for a form_value of the wrong type, in the card's language (the client picks
    the person's own from `i18n`)."""
    content = UNREADABLE_FORM["zh" if lang == "zh" else "en"]
    return {"toast": {"type": "error", "content": content,
                      "i18n": {"zh_cn": UNREADABLE_FORM["zh"], "en_us": UNREADABLE_FORM["en"]}}}


class ClickDesk:
    """Answers card clicks within Feishu's 3 s, or with a toast and a later patch."""

    def __init__(self, inbox: Inbox, responder: Responder, threads: int = 4) -> None:
        self.inbox = inbox
        self.responder = responder
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="roombot-click")

    def answer(self, action: CardAction) -> dict[str, Any]:
        """The callback's response body: the new card, a toast, or {} for a duplicate click.

        Raises StoreError when the click cannot be recorded (the webhook answers 503).
        """
        if action.form_unreadable:  # nothing to act on; answering twice does no harm
            log.warning("event %s: form not read: %s", action.event_id, action.form_unreadable)
            return unreadable_form_toast(action.value.get("lang"))
        if not self.inbox.record(action, held=True):
            return {}
        late = _LateFlag()
        future: Future[dict[str, Any] | Toast | None] = self._pool.submit(self._run, action, late)
        try:
            card = future.result(timeout=CARD_SYNC_SECONDS)
        except FutureTimeout:
            if late.set_late():
                return WORKING_TOAST
            card = future.result()
        if isinstance(card, Toast):
            return card.body()
        return {"card": {"type": "raw", "data": card}} if card else {}

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True)

    def _run(self, action: CardAction, late: _LateFlag) -> dict[str, Any] | Toast | None:
        key = action.dedupe_key
        try:
            with self.inbox.holding(key):
                card = self.responder.respond(action)
                if isinstance(card, dict) and card and late.finished_late():
                    self.responder.gateway.patch_card(action.message_id, card)
            self.inbox.done(key)
            return card
        except Exception as exc:  # a worker tries again after the retry delay, and patches
            log.warning("event %s: click not answered in place: %r", key, exc, exc_info=True)
            self.inbox.failed(key, repr(exc))
            return None


class _LateFlag:
    """Whether the callback already answered with a toast, so the result must be patched in."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._late = False
        self._finished = False

    def set_late(self) -> bool:
        with self._lock:
            self._late = not self._finished
            return self._late

    def finished_late(self) -> bool:
        with self._lock:
            self._finished = True
            return self._late
