"""Benchmark the daily digest on a big tenant: Feishu calls (export vs paging), wall time, peak memory.

    .venv/bin/python -m bench.digest [--rooms 2000]

The sandbox runs in-process with no latency; the gateway's rate-limit and back-off sleeps are skipped
(simulated), so wall time is our own work plus local HTTP. Prints numbers; not part of the tests.
"""
from __future__ import annotations

import argparse
import time
import tracemalloc
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.config import DigestSettings, Settings, StorageSettings
from bot.digest.run import run_digests
from bot.feishu.gateway import FeishuGateway
from bot.respond import Responder
from bot.sandbox import Sandbox

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2025, 11, 18, 9, 0, tzinfo=TZ)
DAY = date(2025, 11, 17)


def services_for(sb: Sandbox, threshold: int, week_known: bool) -> Responder:
    """Services on the sandbox whose gateway never really sleeps (rate limits are simulated)."""
    settings = Settings(feishu=sb.feishu_settings(), storage=StorageSettings("sqlite:///:memory:"),
                        digest=DigestSettings(export_threshold=threshold))
    services = Responder.build(settings, clock=lambda: NOW)
    services.gateway = FeishuGateway(settings.feishu, tz=TZ, clock=lambda: NOW, time_budget=3600,
                                     sleep=lambda _s: None)
    directory = services.directory.get()  # warm: the directory is cached in a running bot
    services.directory.get = lambda: directory  # type: ignore[method-assign]
    services.store.add_subscription("oc_bench_all", lang="en")
    services.store.add_subscription("oc_bench_floor", lang="zh",
                                    level_id=next(lv.level_id for lv in directory.levels if not lv.has_child))
    if week_known:
        for n in range(2, 7):
            services.store.put_fact("no_shows", DAY - timedelta(days=n), [])
    return services


def measure(sb: Sandbox, label: str, threshold: int, week_known: bool = True) -> None:
    """One run for calls and wall time, a second (fresh store) under tracemalloc for peak memory."""
    services = services_for(sb, threshold, week_known)
    calls_before = dict(services.gateway.calls.by_path)
    started = time.perf_counter()
    run = run_digests(services, day=DAY, dry_run=True)
    wall = time.perf_counter() - started
    calls = {p.rsplit("/open-apis/", 1)[-1]: n - calls_before.get(p, 0)
             for p, n in services.gateway.calls.by_path.items() if n - calls_before.get(p, 0)}
    services = services_for(sb, threshold, week_known)
    tracemalloc.start()
    run_digests(services, day=DAY, dry_run=True)
    _, peak = tracemalloc.get_traced_memory()  # includes the in-process sandbox building the file
    tracemalloc.stop()
    print(f"{label:<34} method={run.method:<8} feishu_calls={sum(calls.values()):>4} "
          f"wall={wall:6.2f}s peak_mem={peak / 2**20:6.1f} MiB cards={len(run.cards)}")
    print(f"{'':<34} {calls}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rooms", type=int, default=2000)
    parser.add_argument("--cold", action="store_true",
                        help="also measure a cold start that must fetch the whole week of no-shows")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    sb = Sandbox.start(seed=7, rooms=args.rooms, clock=lambda: NOW)
    try:
        rows = len(sb.tenant.reservations_on(DAY))
        print(f"tenant: {args.rooms} rooms, {rows} reservations on {DAY} "
              f"(sandbox ready in {time.perf_counter() - started:.1f}s)")
        measure(sb, "export (steady state)", threshold=300)
        measure(sb, "paging (steady state)", threshold=10**9)
        if args.cold:
            measure(sb, "export (cold: week of no-shows)", threshold=300, week_known=False)
    finally:
        sb.stop()


if __name__ == "__main__":
    main()
