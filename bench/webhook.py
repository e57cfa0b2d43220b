"""Webhook benchmark: ack latency under load, Feishu calls per answer, end-to-end answer latency.

The bot runs as a separate `roombot serve` process (waitress, real SQLite store) pointed at an
in-process sandbox tenant; events are pushed signed and encrypted exactly as Feishu sends them.
Run: `make bench` or `.venv/bin/python -m bench.webhook [--rate 200] [--seconds 5]`.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import re
import statistics
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests

from bench.serving import serve
from bot.sandbox import Sandbox, crypto

# The load is "is it free" questions: free/busy has no documented quota, while the reservation
# list is capped by Feishu at 100 calls/min per tenant (the gateway's limiter keeps to it), so
# 1,000 "who booked" questions would take ten minutes to answer whatever roombot did.
LOAD_QUESTION = "is Oslo free now"
QUESTIONS = [
    ("who booked (room, today)", "who booked Mercury today"),
    ("who booked (room, yesterday)", "昨天青城山谁用了"),
    ("who booked (room, tomorrow)", "Mercury bookings tomorrow"),
    ("is it free (room)", "is Oslo free at 3pm"),
    ("is it free (floor T2 5F)", "is T2 5F free at 3pm"),
    ("is it free (building T2)", "is T2 free at 3pm"),
    ("find a free room", "find a free room for 8 people now"),
    ("no-show report (yesterday)", "no-shows yesterday"),
    ("help", "help"),
]


def answer(sandbox: Sandbox, pusher, text: str) -> tuple[float, Counter]:
    """Push one question; return seconds until the reply was posted and the Feishu calls it cost."""
    calls_before, sent_before = len(sandbox.calls), len(sandbox.sent)
    started = time.monotonic()
    push = pusher.message(text)
    assert push.status == 200, push.body
    sent = sandbox.wait_for_sent(sent_before + 1, timeout=60)
    elapsed = time.monotonic() - started
    assert len(sent) > sent_before, f"no answer to {text!r}"
    time.sleep(0.2)  # let stragglers (none expected) land before counting
    calls = Counter(re.sub(r"/om_\w+", "/:message_id", c.path.replace("/open-apis/", ""))
                    for c in sandbox.calls[calls_before:] if "tenant_access_token" not in c.path)
    return elapsed, calls


def calls_per_answer(sandbox: Sandbox, pusher) -> None:
    print("\n## Feishu calls per answer (warm directory)")
    print(f"{'question':34} {'calls':>5}  breakdown")
    for name, text in QUESTIONS:
        _, calls = answer(sandbox, pusher, text)
        detail = ", ".join(f"{path} ×{n}" for path, n in sorted(calls.items()))
        print(f"{name:34} {sum(calls.values()):>5}  {detail}")


def answer_latency(sandbox: Sandbox, pusher, latency: float) -> None:
    print(f"\n## End-to-end answer latency, {latency * 1000:.0f} ms simulated per Feishu call")
    sandbox.faults.latency = latency
    try:
        for name, text in QUESTIONS:
            elapsed, calls = answer(sandbox, pusher, text)
            print(f"{name:34} {elapsed * 1000:7.0f} ms  ({sum(calls.values())} calls)")
    finally:
        sandbox.faults.latency = 0.0


def signed_bodies(sandbox: Sandbox, pusher, total: int) -> list[tuple[bytes, dict[str, str]]]:
    """`total` distinct message events, encrypted and signed exactly as Feishu sends them."""
    bodies = []
    user = sandbox.tenant.directory.users[0]
    for i in range(total):
        message_id, chat_id = f"om_bench_{i:06d}", f"oc_bench_{i % 50}"
        sandbox.register_messages([(message_id, chat_id)])
        event = {"sender": {"sender_id": {"open_id": user.open_id}, "sender_type": "user"},
                 "message": {"message_id": message_id, "chat_id": chat_id, "chat_type": "p2p",
                             "message_type": "text", "create_time": "0",
                             "content": json.dumps({"text": LOAD_QUESTION})}}
        plaintext = json.dumps(pusher.envelope("im.message.receive_v1", event, None))
        body = json.dumps({"encrypt": crypto.encrypt(plaintext, sandbox.encrypt_key)}).encode()
        timestamp, nonce = str(int(time.time())), f"n{i}"
        bodies.append((body, {"Content-Type": "application/json;charset=utf-8",
                              "X-Lark-Request-Timestamp": timestamp, "X-Lark-Request-Nonce": nonce,
                              "X-Lark-Signature": crypto.signature(timestamp, nonce,
                                                                   sandbox.encrypt_key, body)}))
    return bodies


def post_at_rate(url: str, bodies: list[tuple[bytes, dict[str, str]]], rate: int,
                 results: Any) -> None:
    """Load generator (its own process): post each body on schedule, report (seconds, status)."""
    start = time.monotonic() + 0.5

    def post(i: int) -> tuple[float, int]:
        delay = start + i / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        body, headers = bodies[i]
        began = time.monotonic()
        try:
            status = requests.post(url, data=body, headers=headers, timeout=3).status_code
        except requests.RequestException:
            status = 0  # Feishu gives up after 3 s and re-delivers later
        return time.monotonic() - began, status

    with ThreadPoolExecutor(max_workers=64) as pool:
        results.put(list(pool.map(post, range(len(bodies)))))


def ack_latency(sandbox: Sandbox, pusher, url: str, rate: int, seconds: float,
                latency: float) -> None:
    print(f"\n## Webhook ack latency at {rate} events/s for {seconds:.0f} s, Feishu at "
          f"{latency:.1f} s per call (load generator in its own process; every event is a "
          "question the bot answers)")
    sandbox.faults.latency = latency
    total = int(rate * seconds)
    sent_before = len(sandbox.sent)
    bodies = signed_bodies(sandbox, pusher, total)
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    generator = context.Process(target=post_at_rate, args=(url, bodies, rate, results))
    generator.start()
    outcome = results.get(timeout=seconds + 120)
    generator.join()
    elapsed = sorted(seconds_ for seconds_, _ in outcome)
    statuses = Counter(status for _, status in outcome)
    p50 = statistics.median(elapsed) * 1000
    p99 = elapsed[int(len(elapsed) * 0.99) - 1] * 1000
    print(f"events {total}, HTTP statuses {dict(statuses)}, ack p50 {p50:.1f} ms, "
          f"p99 {p99:.1f} ms, max {elapsed[-1] * 1000:.1f} ms")
    waited = time.monotonic()
    answered = len(sandbox.wait_for_sent(sent_before + total, timeout=900)) - sent_before
    sandbox.faults.latency = 0.0
    print(f"answers posted: {answered} of {total} "
          f"(backlog drained {time.monotonic() - waited:.1f} s after the last ack)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--latency", type=float, default=2.0,
                        help="simulated seconds per Feishu call during the ack load")
    parser.add_argument("--answer-threads", type=int, default=32,
                        help="answer threads per worker process ([bot] workers)")
    parser.add_argument("--ack-only", action="store_true", help="only the ack latency under load")
    args = parser.parse_args(argv)
    sandbox = Sandbox.start(seed=7, rooms=120)
    try:
        with (tempfile.TemporaryDirectory() as tmp,
              serve(sandbox, Path(tmp), bot={"workers": args.answer_threads},
                    server={"threads": 8}) as served):
            url = served.webhook_url
            pusher = sandbox.pusher(url)
            answer(sandbox, pusher, "help")  # warm the directory and the token
            if not args.ack_only:
                calls_per_answer(sandbox, pusher)
                answer_latency(sandbox, pusher, 0.1)
            ack_latency(sandbox, pusher, url, args.rate, args.seconds, args.latency)
    finally:
        sandbox.stop()


if __name__ == "__main__":
    main()
