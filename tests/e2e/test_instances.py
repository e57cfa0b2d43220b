"""Two real `roombot serve` processes on one real PostgreSQL, deliveries reaching either of them.

Webhook mode: each delivery goes to a randomly chosen instance (as a load balancer without sticky
routing would send it); a redelivery may go to the other one. Both digest schedulers run, one of
them holding the lease. The lease holder's whole process group is killed with SIGKILL mid-burst:
the survivor answers what the dead one had acknowledged once its leases lapse, and takes the
scheduler lease over. Long-connection mode: both instances hold a connection and the sandbox,
like Feishu, hands each event to one of them at random.
"""
from __future__ import annotations

import os
import random
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
import pytest

from bot.digest.scheduler import LEASE_NAME
from bot.receive.inbox import LEASE_SECONDS as EVENT_LEASE
from bot.sandbox import Push, Sandbox
from bot.store import Store
from tests.e2e.harness import ServeProcess, free_port, serve, serve_config

pytestmark = pytest.mark.postgres

SCHEDULER_LEASE = 6.0  # digest.lease_seconds for these instances (the default is 90)
QUESTIONS = 80
RATE = 40.0  # per second
KILL_AFTER = 1.0
DIGEST_CHATS = ("oc_digest_a", "oc_digest_b", "oc_digest_c")
TZ = ZoneInfo("Asia/Shanghai")  # bot.timezone's default, the tenant's timezone


def start_instances(sandbox: Sandbox, tmp_path: Path, pg_url: str,
                    mode: str = "webhook") -> list[ServeProcess]:
    """Two `roombot serve` processes on the same database, started together."""
    def one(name: str) -> ServeProcess:
        folder = tmp_path / name
        folder.mkdir()
        port = free_port()
        config = serve_config(sandbox, folder, port, worker_processes=1, workers=8,
                              storage_url=pg_url)
        text = config.read_text().replace("[feishu]\n", f'[feishu]\nmode = "{mode}"\n')
        config.write_text(text + f"\n[digest]\nlease_seconds = {SCHEDULER_LEASE}\n")
        return serve(sandbox, config, port)
    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(one, ("a", "b")))


@pytest.fixture
def stopping() -> Iterator[list[ServeProcess]]:
    """Instances to kill when the test ends, however it ends."""
    started: list[ServeProcess] = []
    yield started
    for instance in started:
        if instance.process.poll() is None:
            instance.kill()


def subscribe_digests(pg_url: str) -> None:
    """Subscriptions whose time passed a minute ago: the leader catches that run up at start."""
    at = (datetime.now(TZ) - timedelta(minutes=1)).strftime("%H:%M")
    with Store.open(pg_url) as store:
        for chat in DIGEST_CHATS:
            store.add_subscription(chat, at=at, lang="en")


def digests_posted(sandbox: Sandbox) -> Counter[str]:
    return Counter(r.chat_id for r in sandbox.sent if r.chat_id in DIGEST_CHATS)


def replies(sandbox: Sandbox) -> Counter[str]:
    """How many replies each user message got."""
    return Counter(r.reply_to for r in sandbox.sent if r.reply_to)


def scheduler_holder(pg_url: str) -> int | None:
    """The process group (= the instance) of the digest scheduler lease's holder, if alive."""
    with psycopg.connect(pg_url, autocommit=True) as conn:
        row = conn.execute("SELECT holder, until FROM leases WHERE name = %s",
                           (LEASE_NAME,)).fetchone()
    if row is None or float(row[1]) < time.time():
        return None
    try:
        return os.getpgid(int(str(row[0]).split(":")[1]))
    except (ProcessLookupError, ValueError, IndexError):
        return None


def wait_until(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"not within {timeout} s: {what}"
        time.sleep(0.2)


def burst(pushers: list[Any], seed: int = 9) -> list[tuple[int, Push]]:
    """QUESTIONS messages at RATE per second, each to a random instance: (instance, Push)."""
    rng = random.Random(seed)
    targets = [rng.randrange(len(pushers)) for _ in range(QUESTIONS)]
    started = time.monotonic()

    def one(n: int) -> tuple[int, Push]:
        time.sleep(max(0.0, started + n / RATE - time.monotonic()))
        return targets[n], pushers[targets[n]].message(f"is Oslo free in {n % 50 + 10} minutes")
    with ThreadPoolExecutor(max_workers=16) as pool:
        return list(pool.map(one, range(QUESTIONS)))


def test_each_event_and_digest_once_across_instances_and_through_a_kill_9(
        sandbox: Sandbox, tmp_path: Path, pg_url: str, stopping: list[ServeProcess]) -> None:
    subscribe_digests(pg_url)
    instances = start_instances(sandbox, tmp_path, pg_url)
    stopping.extend(instances)
    pushers = [sandbox.pusher(instance.webhook_url) for instance in instances]

    # Both schedulers run; the one holding the lease catches the missed run up: once per chat.
    wait_until(lambda: set(digests_posted(sandbox)) == set(DIGEST_CHATS), 60, "the digests")
    wait_until(lambda: scheduler_holder(pg_url) is not None, 20, "a scheduler lease holder")
    holder = scheduler_holder(pg_url)
    leader = next(i for i, inst in enumerate(instances) if inst.process.pid == holder)
    survivor = instances[1 - leader]

    # A burst to both instances; the lease holder is killed with SIGKILL one second in.
    sandbox.faults.latency = 0.3
    try:
        with ThreadPoolExecutor(max_workers=1) as running:
            pushes = running.submit(burst, pushers)
            time.sleep(KILL_AFTER)
            instances[leader].kill()
            killed_at = time.monotonic()
            answered_at_kill = set(replies(sandbox))
            deliveries = pushes.result()
    finally:
        sandbox.faults.latency = 0.0
    acked_by_dead = {p.message_id for i, p in deliveries if i == leader and p.status == 200}
    assert acked_by_dead - answered_at_kill, "the kill should leave acknowledged questions behind"
    again = sandbox.pusher(survivor.webhook_url)
    for _i, push in deliveries:
        if push.status != 200:  # Feishu re-delivers what got no 200: now to the survivor
            assert again.redeliver(push).status == 200
    for _i, push in deliveries[::7]:  # and sometimes re-delivers what did get its 200
        assert again.redeliver(push).status == 200
    everything = {p.message_id for _i, p in deliveries}
    wait_until(lambda: set(replies(sandbox)) >= everything, EVENT_LEASE + 50, "every answer")
    assert time.monotonic() - killed_at < EVENT_LEASE + 50
    time.sleep(1.0)  # a duplicate answer would arrive about now
    twice = {m: n for m, n in replies(sandbox).items() if n > 1}
    assert not twice, f"answered more than once: {twice}"

    # The survivor takes the scheduler lease over, catches the same run up, and posts nothing new.
    wait_until(lambda: scheduler_holder(pg_url) == survivor.process.pid,
               SCHEDULER_LEASE * 3 + 10, "the survivor holding the scheduler lease")
    time.sleep(2.0)
    assert digests_posted(sandbox) == Counter({chat: 1 for chat in DIGEST_CHATS})


def test_long_connection_instances_each_answer_what_they_are_handed(
        sandbox: Sandbox, tmp_path: Path, pg_url: str, stopping: list[ServeProcess]) -> None:
    lc = sandbox.long_connection()
    stopping.extend(start_instances(sandbox, tmp_path, pg_url, mode="long_connection"))
    clients = lc.wait_for_clients(2, timeout=60)
    deliveries = [lc.message(f"is Oslo free in {n + 10} minutes") for n in range(24)]
    assert all(d.ok for d in deliveries), [(d.error, d.ack) for d in deliveries if not d.ok]
    assert {d.connection for d in deliveries} == {c.conn_id for c in clients}  # both got some
    redelivered = [lc.redeliver(d) for d in deliveries[::3]]  # perhaps to the other instance
    assert all(d.ok for d in redelivered)
    wanted = {d.message_id for d in deliveries}
    wait_until(lambda: set(replies(sandbox)) >= wanted, 60, "every answer")
    time.sleep(1.0)
    assert all(replies(sandbox)[m] == 1 for m in wanted), replies(sandbox)
