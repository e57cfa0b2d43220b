"""The nine o'clock rush: hundreds of "who booked <room> today" in one minute, quota enforced.

`roombot serve` (2 worker processes, 4 answer threads each, as in config.example.toml) runs as
its own process against an in-process sandbox tenant of 40 rooms that enforces Feishu's quota
of 100 reservation-list calls a minute (429 + 99991400 beyond it). 300 questions about the 40
rooms arrive evenly over 60 s, signed and encrypted as Feishu sends them. Run twice: with the
ledger cache off (`[bot] ledger_cache_seconds = 0`, how roombot behaved before) and on (60 s).

For each run it prints: answers that match the sandbox's ground truth, "Feishu is busy" cards,
other or missing answers, correct answers per minute, reservation-list calls and how many of
them Feishu refused with 429, and the p50/p95/max time from question to answer.
Run: `.venv/bin/python -m bench.rush [--questions 300] [--seconds 60] [--rooms 40]`.
"""
from __future__ import annotations

import argparse
import random
import re
import shutil
import statistics
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import requests

from bench.serving import LOG_NAME, serve
from bot.render.text import card_to_text
from bot.sandbox import Sandbox

LIST_PATH = "/open-apis/vc/v1/resource_reservation_list"
COUNT = re.compile(r"^(?:共 )?(\d+) (?:bookings?|个预定)", re.MULTILINE)  # "3 bookings:" / "共 3 个预定："


@dataclass
class Rush:
    """What one run saw."""

    cache_seconds: float
    asked: dict[str, tuple[str, float]] = field(default_factory=dict)  # message_id -> (room, t)
    answered: dict[str, tuple[float, dict]] = field(default_factory=dict)  # -> (t, card)
    list_calls: int = 0
    refused: int = 0
    ledger_reads: dict[str, float] = field(default_factory=dict)
    truth: dict[str, int] = field(default_factory=dict)  # room -> bookings today, at the end


def watch(sandbox: Sandbox, rush: Rush, stop: threading.Event) -> None:
    """Note when each answer is posted (polling the sandbox's record every 20 ms)."""
    seen = 0
    while not stop.is_set():
        sent = list(sandbox.sent)
        now = time.monotonic()
        for record in sent[seen:]:
            if record.reply_to in rush.asked and record.reply_to not in rush.answered:
                rush.answered[record.reply_to] = (now, record.content)
        seen = len(sent)
        time.sleep(0.02)


def run(cache_seconds: float, args: argparse.Namespace) -> Rush:
    """One rush against a fresh tenant and a fresh `roombot serve`."""
    sandbox = Sandbox.start(seed=7, rooms=args.rooms, latency=args.latency)
    rush = Rush(cache_seconds)
    try:
        with tempfile.TemporaryDirectory(prefix="roombot-rush-") as tmp:
            try:
                with serve(sandbox, Path(tmp), db="rush.db", ready="/readyz",
                           bot={"ledger_cache_seconds": cache_seconds}) as served:
                    time.sleep(2)  # the worker processes load the directory at start
                    ask_all(sandbox, served.url, rush, args)
                    rush.ledger_reads = ledger_reads(served.url)
            finally:
                if args.logs:
                    shutil.copy(Path(tmp) / LOG_NAME,
                                Path(args.logs) / f"rush-cache-{cache_seconds:g}.log")
        calls = [c for c in sandbox.calls if c.path == LIST_PATH]
        rush.list_calls, rush.refused = len(calls), sum(c.status == 429 for c in calls)
        truth = sandbox.tenant.reservations_on(sandbox.now().date())
        rush.truth = {room.name: sum(r.room_id == room.room_id for r in truth)
                      for room in sandbox.tenant.rooms}
    finally:
        sandbox.stop()
    return rush


def ask_all(sandbox: Sandbox, url: str, rush: Rush, args: argparse.Namespace) -> None:
    """Push the questions evenly over the minute and wait for every answer (or give up)."""
    sandbox.faults.rate_limits = True
    pusher = sandbox.pusher(f"{url}/webhook/event")
    rooms = [room.name for room in sandbox.tenant.rooms]
    users = sandbox.tenant.users
    chooser = random.Random(9)
    plan = [rooms[i % len(rooms)] for i in range(args.questions)]
    chooser.shuffle(plan)
    stop = threading.Event()
    watcher = threading.Thread(target=watch, args=(sandbox, rush, stop), daemon=True)
    watcher.start()
    begin = time.monotonic() + 0.2

    def ask(i: int) -> None:
        time.sleep(max(0.0, begin + i * args.seconds / args.questions - time.monotonic()))
        asked = time.monotonic()
        push = pusher.message(f"who booked {plan[i]} today", sender=users[i % len(users)])
        if push.status == 200:
            rush.asked[push.message_id] = (plan[i], asked)

    with ThreadPoolExecutor(max_workers=32) as pool:
        list(pool.map(ask, range(args.questions)))
    deadline = time.monotonic() + args.wait
    while len(rush.answered) < len(rush.asked) and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.2)
    stop.set()
    watcher.join()


def ledger_reads(url: str) -> dict[str, float]:
    """roombot_ledger_reads_total by result, from the serve process's /metrics."""
    text = requests.get(f"{url}/metrics", timeout=10).text
    found = re.findall(r'roombot_ledger_reads_total\{result="(\w+)"\} ([\d.e+]+)', text)
    return {result: float(value) for result, value in found}


def report(rush: Rush) -> str:
    """One table row for a run."""
    correct, busy, other, times = 0, 0, 0, []
    for message_id, (room, asked) in rush.asked.items():
        if message_id not in rush.answered:
            continue
        at, card = rush.answered[message_id]
        text = str(card_to_text(card))
        times.append(at - asked)
        count = COUNT.search(text)
        got = 0 if ("No bookings" in text or "没有预定" in text) else int(count[1]) if count else -1
        titled = f"Who booked {room}" in text or f"谁订了 {room}" in text
        if titled and got == rush.truth[room]:
            correct += 1
        elif "Feishu is busy" in text or "飞书繁忙" in text:
            busy += 1
        else:
            other += 1
    missing = len(rush.asked) - len(rush.answered)
    first = min(asked for _room, asked in rush.asked.values())
    last = max(at for at, _card in rush.answered.values())
    per_minute = correct / max(1e-9, (last - first) / 60)
    times.sort()
    p95 = times[max(0, int(len(times) * 0.95) - 1)]
    label = "off (0 s)" if not rush.cache_seconds else f"{rush.cache_seconds:g} s"
    return (f"{label:10} {correct:7} {busy:5} {other + missing:6} {per_minute:12.0f} "
            f"{rush.list_calls:10} {rush.refused:5} {statistics.median(times):7.1f} s "
            f"{p95:6.1f} s {times[-1]:6.1f} s   {_reads(rush.ledger_reads)}")


def _reads(reads: dict[str, float]) -> str:
    return ", ".join(f"{k} {v:g}" for k, v in sorted(reads.items()) if v) or "-"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--questions", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--rooms", type=int, default=40)
    parser.add_argument("--latency", type=float, default=0.05, help="simulated s per Feishu call")
    parser.add_argument("--wait", type=float, default=120.0, help="s to wait for late answers")
    parser.add_argument("--logs", help="copy each run's serve log into this directory")
    parser.add_argument("--cache", type=float, nargs="*", default=[0.0, 60.0],
                        help="ledger_cache_seconds of each run (default: 0 then 60)")
    args = parser.parse_args(argv)
    print(f"## The nine o'clock rush: {args.questions} \"who booked <room> today\" over "
          f"{args.seconds:g} s about {args.rooms} rooms; Feishu's 100 list calls/min enforced, "
          f"{args.latency * 1000:.0f} ms a call; roombot serve, 2 worker processes x 4 threads")
    print(f"{'cache':10} {'correct':>7} {'busy':>5} {'other':>6} {'correct/min':>12} "
          f"{'list calls':>10} {'429s':>5} {'p50':>9} {'p95':>8} {'max':>8}   ledger reads")
    for cache_seconds in args.cache:
        print(report(run(cache_seconds, args)), flush=True)


if __name__ == "__main__":
    main()
