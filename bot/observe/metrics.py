"""Every Prometheus metric roombot exports, and the registry `/metrics` serves.

The metric objects live here, at module level, because prometheus_client's multiprocess mode
needs them created once per process from one place. `roombot serve` sets
PROMETHEUS_MULTIPROC_DIR before anything imports prometheus_client (bot/cli.py), so
the web process and every worker process write their samples to files there, and the web
process's `/metrics` adds them up (`scrape_registry`). Without that variable (tests, `ask`, the
demo) the values live in this process's memory and `/metrics` shows this process alone.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client import values as prometheus_values
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from prometheus_client.registry import REGISTRY

log = logging.getLogger(__name__)

FAST = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0)  # acks: Feishu waits 3 s
SLOW = (0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 300.0)  # answers

EVENTS = Counter("roombot_events_received", "Deliveries from Feishu by door, event type and the "
                 "HTTP status answered (200 for the long connection's acknowledged frames)",
                 ["door", "type", "status"])
ACK_SECONDS = Histogram("roombot_ack_seconds", "From a delivery's arrival to its acknowledgement",
                        ["door"], buckets=FAST)
ANSWERS = Counter("roombot_answers", "Inbound items handled, by question kind and outcome "
                  "(answered, ignored, rate_limited, feishu_error, error, send_failed)",
                  ["kind", "outcome"])
ANSWER_SECONDS = Histogram("roombot_answer_seconds", "Handling one item: understand, answer, "
                           "render and send", ["kind"], buckets=SLOW)
ANSWER_LATENCY = Histogram("roombot_answer_latency_seconds", "From a message's creation in "
                           "Feishu to roombot's answer being sent (queueing included)",
                           buckets=SLOW)
DEAD_LETTERS = Counter("roombot_dead_letters", "Inbox items given up for good")
FEISHU_CALLS = Counter("roombot_feishu_calls", "HTTP calls to Feishu by API and result code "
                       "(Feishu's code; http_<status> or network when there was none)",
                       ["api", "code"])
FEISHU_SECONDS = Histogram("roombot_feishu_call_seconds", "One HTTP call to Feishu", ["api"],
                           buckets=FAST + (10.0, 20.0))
FEISHU_RETRIES = Counter("roombot_feishu_retries", "Feishu calls sent again, by API and reason "
                         "(rate_limited, server_error, unreadable, token_expired)",
                         ["api", "reason"])
RATE_LIMIT_WAITS = Counter("roombot_feishu_rate_limit_waits", "Waits before a Feishu call: our "
                           "own limiter (client) or Feishu's 429 reset (server)",
                           ["api", "source"])
RATE_LIMIT_WAIT_SECONDS = Counter("roombot_feishu_rate_limit_wait_seconds",
                                  "Seconds spent in those waits", ["api", "source"])
QUOTA_REFUSALS = Counter("roombot_feishu_quota_refusals", "Calls refused by our own limiter "
                         "because the wait would outlast the time budget", ["api"])
LEDGER_READS = Counter("roombot_ledger_reads", "Day-ledger reads: hit (cache), shared (joined a "
                       "read in flight), miss (read from Feishu), fresh (Refresh), uncached "
                       "(cache off)", ["result"])
DIGEST_RUNS = Counter("roombot_digest_runs", "Scheduled digest runs by outcome (ok, partial, "
                      "no_data, error)", ["outcome"])
DIGESTS_SENT = Counter("roombot_digests_sent", "Digest cards posted")
REMINDERS = Counter("roombot_reminders", "Keep-or-release reminders by outcome (sent, failed, "
                    "or the reason one was skipped)", ["outcome"])
LONG_CONNECTION_UP = Gauge("roombot_long_connection_up", "1 while the long connection to Feishu "
                           "is open, 0 while it is down or reconnecting",
                           multiprocess_mode="livemax")
LONG_CONNECTION_RECONNECTS = Counter("roombot_long_connection_reconnects",
                                     "Times the long connection was opened again after a drop")

KNOWN_EVENT_TYPES = frozenset({
    "url_verification", "im.message.receive_v1", "card.action.trigger",
    "im.chat.member.bot.added_v1", "im.chat.member.bot.deleted_v1", "im.chat.disbanded_v1",
})


def event_received(door: str, event_type: str, status: int, seconds: float) -> None:
    """Count one delivery and its acknowledgement time (any event type outside ours is "other")."""
    kind = event_type if event_type in KNOWN_EVENT_TYPES or event_type == "unknown" else "other"
    EVENTS.labels(door, kind, str(status)).inc()
    ACK_SECONDS.labels(door).observe(seconds)


def answered(kind: str, outcome: str, seconds: float, created_ms: int = 0) -> None:
    """Count one handled item; `created_ms` is the message's creation time in Feishu, if any."""
    ANSWERS.labels(kind, outcome).inc()
    ANSWER_SECONDS.labels(kind).observe(seconds)
    if created_ms > 0 and outcome not in ("ignored", "send_failed"):
        ANSWER_LATENCY.observe(max(0.0, time.time() - created_ms / 1000))


def digest_run(sent: int, failed: int, no_data: bool) -> None:
    """Count one scheduled digest run."""
    outcome = "no_data" if no_data else "partial" if failed else "ok"
    DIGEST_RUNS.labels(outcome).inc()
    DIGESTS_SENT.inc(sent)


def reminders_run(sent: int, failed: int, skipped: Mapping[str, int]) -> None:
    """Count one reminder scan's sends, failures and skips (by reason)."""
    if sent:
        REMINDERS.labels("sent").inc(sent)
    if failed:
        REMINDERS.labels("failed").inc(failed)
    for why, count in skipped.items():
        REMINDERS.labels(why).inc(count)


# -- scraping ------------------------------------------------------------------------------------

InboxCounts = Callable[[], Mapping[str, tuple[int, float | None]]]


class InboxCollector:
    """Inbox depth and the age of its oldest waiting item, read from the store at scrape time."""

    def __init__(self, counts: InboxCounts, wall_clock: Callable[[], float] = time.time) -> None:
        self._counts = counts
        self._wall_clock = wall_clock

    def describe(self) -> list[Metric]:
        return [GaugeMetricFamily("roombot_inbox_items", "", labels=["status"]),
                GaugeMetricFamily("roombot_inbox_oldest_pending_age_seconds", "")]

    def collect(self) -> Iterator[Metric]:
        try:
            counts = self._counts()
        except Exception as exc:  # the store is down: /readyz says so; the scrape still works
            log.warning("metrics: cannot read the inbox: %s", exc, exc_info=True)
            return
        items = GaugeMetricFamily("roombot_inbox_items", "Inbox items by status (pending = "
                                  "waiting or being answered)", labels=["status"])
        for status in ("pending", "done", "dead"):
            items.add_metric([status], counts.get(status, (0, None))[0])
        yield items
        oldest = counts.get("pending", (0, None))[1]
        age = max(0.0, self._wall_clock() - oldest) if oldest is not None else 0.0
        yield GaugeMetricFamily("roombot_inbox_oldest_pending_age_seconds", "Age of the oldest "
                                "item waiting in the inbox (0 when none)", value=age)


class _ThisProcess:
    """The default registry's metrics, for a registry of its own (single-process mode)."""

    def collect(self) -> Iterator[Metric]:
        return REGISTRY.collect()


def multiprocess() -> bool:
    """Whether this process's metrics are written to PROMETHEUS_MULTIPROC_DIR files."""
    return bool(getattr(prometheus_values.ValueClass, "_multiprocess", False))


def scrape_registry(inbox_counts: InboxCounts) -> CollectorRegistry:
    """What `/metrics` serves: every process's metrics (or this one's) plus the inbox gauges."""
    registry = CollectorRegistry()
    if multiprocess():
        MultiProcessCollector(registry)
    else:
        registry.register(_ThisProcess())  # type: ignore[arg-type]
    registry.register(InboxCollector(inbox_counts))  # type: ignore[arg-type]
    return registry


# -- multiprocess mode (roombot serve; bot/cli.py sets PROMETHEUS_MULTIPROC_DIR first) --------

def process_exited(pid: int) -> None:
    """Forget a dead process's live gauges (its counters still count)."""
    if multiprocess():
        mark_process_dead(pid)
