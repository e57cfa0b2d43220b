"""A crash mid-burst loses nothing: every acknowledged question is answered exactly once.

`roombot serve` runs as a real process; a burst of questions arrives at 50/s while Feishu takes
0.3 s per call; the whole process group is killed with SIGKILL one second in and restarted at once
on the same database; every delivery that got no 200 is re-delivered, as Feishu does.
"""
from __future__ import annotations

import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bot.sandbox import Push
from tests.e2e.harness import free_port, serve, serve_config

QUESTIONS = 120
RATE = 50.0  # per second
KILL_AFTER = 1.0


def push_burst(pusher: Any, started: float) -> list[Push]:
    """Post QUESTIONS messages at RATE per second; returns each delivery and its answer."""
    def one(n: int) -> Push:
        time.sleep(max(0.0, started + n / RATE - time.monotonic()))
        return pusher.message(f"is Oslo free in {n % 50 + 10} minutes")
    with ThreadPoolExecutor(max_workers=16) as pool:
        return list(pool.map(one, range(QUESTIONS)))


def replies_by_question(sandbox: Any) -> Counter[str]:
    """How many replies each user message got (the warm-up question aside)."""
    return Counter(record.reply_to for record in sandbox.sent[1:] if record.reply_to)


def test_kill_9_mid_burst_then_restart_answers_every_acknowledged_question_once(
        sandbox: Any, tmp_path: Path) -> None:
    port = free_port()
    config = serve_config(sandbox, tmp_path, port, worker_processes=1, workers=8)
    first = serve(sandbox, config, port)
    pusher = sandbox.pusher(first.webhook_url)
    assert pusher.message("help").status == 200  # the workers are up and answering
    sandbox.wait_for_sent(1, timeout=60)
    sandbox.faults.latency = 0.3
    try:
        with ThreadPoolExecutor(max_workers=1) as burst:
            started = time.monotonic()
            pushes = burst.submit(push_burst, pusher, started)
            time.sleep(max(0.0, started + KILL_AFTER - time.monotonic()))
            first.kill()
            deliveries = pushes.result()
        acked = {p.message_id for p in deliveries if p.status == 200}
        answered = set(replies_by_question(sandbox))
        assert 0 < len(acked) < QUESTIONS, "the kill should land mid-burst"
        assert len(acked - answered) > 0, "some acknowledged questions were still unanswered"
        second = serve(sandbox, config, port)
        try:
            for push in deliveries:
                if push.status != 200:  # Feishu re-delivers what got no 200
                    again = pusher.redeliver(push)
                    assert again.status == 200, again.body
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                if set(replies_by_question(sandbox)) >= {p.message_id for p in deliveries}:
                    break
                time.sleep(0.2)
            time.sleep(1.0)  # a duplicate answer would arrive about now
            replies = replies_by_question(sandbox)
            missing = [p.message_id for p in deliveries if p.message_id not in replies]
            assert not missing, f"{len(missing)} acknowledged questions were never answered"
            twice = {m: n for m, n in replies.items() if n > 1}
            assert not twice, f"answered more than once: {twice}"
        finally:
            second.kill()
    finally:
        sandbox.faults.latency = 0.0
        if first.process.poll() is None:
            first.kill()
