"""Benchmark the daily and weekly digests on a big tenant: Feishu calls, CPU seconds, peak memory.

    .venv/bin/python -m bench.digest [--rooms 2000] [--cold] [--no-weekly] [--profile DIR]

The sandbox (2,000 rooms, ~20,000 bookings a weekday) runs in this process; every digest runs in a
fresh child interpreter, as `roombot digest` would from cron, against the sandbox over HTTP, with
the room directory's snapshot already in the store ("warm"). A child that only does
`import lark_oapi` is measured in the same run, and the digest's cost is counted beyond it: CPU
seconds from getrusage(RUSAGE_CHILDREN) around each child, peak RSS from each child's own
/proc/self/status VmHWM (RUSAGE_CHILDREN's ru_maxrss is the maximum over all children, so it
cannot tell one child from another). Steady state: the days the digests look back on are
remembered, as `serve`'s history job leaves them (bot/digest/history.py), which a warm-up child
does first. One chunk of that history job (what a new subscription costs in the background) is
measured too. `--cold` also measures both digests with a store that has nothing but the directory.
`--profile DIR` writes each measured child's cProfile stats to DIR/<mode>.prof (its CPU figures
then include the profiler's own cost). Prints numbers; not part of the tests.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2025, 11, 18, 9, 0, tzinfo=TZ)  # a Tuesday morning
DAY = date(2025, 11, 17)  # the daily digest's day (a Monday)
WEEK = date(2025, 11, 10)  # the weekly digest's week (the last complete one)
TARGETS = {"daily": (10, 3.0, 60.0), "weekly": (25, 15.0, 150.0)}  # calls, CPU s, MB
CHATS = ("oc_bench_all", "oc_bench_floor")


# --------------------------------------------------------------------------- the child processes

def _child(mode: str, config: str) -> dict[str, Any]:
    """Run one mode in this (fresh) interpreter; return what it did."""
    if mode == "import":
        import lark_oapi  # noqa: F401

        return {}
    from bot.config import load_settings
    from bot.respond import Responder

    responder = Responder.build(load_settings(config, os.environ), clock=lambda: NOW)
    before = dict(responder.gateway.calls.by_path)
    result: dict[str, Any] = {}
    if mode in ("warm", "warm-directory"):
        _warm(responder, full=mode == "warm")
    elif mode == "history-chunk":
        from bot.digest.history import fill_history

        days = fill_history(responder, max_chunks=1)
        result = {"method": f"{len(days)} day(s) remembered", "failed": [] if days else ["none"]}
    elif mode == "daily":
        from bot.digest.run import run_digests

        run = run_digests(responder, day=DAY)
        result = {"method": run.method, "sent": len(run.sent), "failed": run.failed}
    elif mode == "weekly":
        from bot.digest.weekly import run_weekly_digests

        run = run_weekly_digests(responder, day=WEEK)
        result = {"method": run.method, "sent": len(run.sent), "failed": run.failed}
    calls = {path.rsplit("/open-apis/", 1)[-1]: n - before.get(path, 0)
             for path, n in responder.gateway.calls.by_path.items() if n - before.get(path, 0)}
    return {**result, "calls": sum(calls.values()), "by_path": calls}


def _warm(responder: Any, full: bool) -> None:
    """List the directory (saving its snapshot) and subscribe two chats to both digests; with
    `full`, also fill the history the digests look back on, as serve's history job does."""
    from bot.digest.history import fill_history

    directory = responder.directory.get()
    floor = next(lv for lv in directory.levels
                 if directory.is_floor(lv) and directory.rooms_under(lv.level_id))
    for period in ("daily", "weekly"):
        responder.store.add_subscription(CHATS[0], lang="en", period=period)
        responder.store.add_subscription(CHATS[1], lang="zh", period=period,
                                         level_id=floor.level_id,
                                         level_label=directory.level_label(floor))
    if full:
        fill_history(responder)


def _report(result: dict[str, Any]) -> None:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    status = Path("/proc/self/status").read_text()
    hwm = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM"))
    print(json.dumps({**result, "cpu": usage.ru_utime + usage.ru_stime, "hwm_kb": hwm}))


# --------------------------------------------------------------------------- the parent

def run_child(mode: str, config: Path) -> dict[str, Any]:
    """One child interpreter; its CPU from RUSAGE_CHILDREN, the rest from its report."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "bench.digest", "--child", mode,
                           "--config", str(config)], capture_output=True, text=True, check=False,
                          cwd=Path(__file__).resolve().parent.parent)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"child {mode} failed:\n{done.stderr[-3000:]}")
    report = json.loads(done.stdout.strip().splitlines()[-1])
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return {**report, "cpu_children": cpu, "wall": wall}


def _config(sb: Any, folder: Path, name: str) -> Path:
    path = folder / f"{name}.toml"
    path.write_text(sb.config_toml() + f'\n[storage]\nurl = "sqlite:///{folder / name}.db"\n')
    return path


def _line(label: str, found: dict[str, Any], base: dict[str, Any], kind: str | None) -> str:
    cpu = found["cpu_children"] - base["cpu_children"]
    rss = (found["hwm_kb"] - base["hwm_kb"]) / 1024
    text = (f"{label:<32} calls={found.get('calls', 0):>3}  cpu={cpu:5.2f}s  "
            f"peak_rss=+{rss:5.1f} MB  wall={found['wall']:5.1f}s  {found.get('method', '')}")
    if kind:
        calls, cpu_max, rss_max = TARGETS[kind]
        ok = found["calls"] <= calls and cpu <= cpu_max and rss <= rss_max and not found["failed"]
        text += (f"\n{'':<32} target ≤{calls} calls, ≤{cpu_max:g}s, ≤{rss_max:g} MB: "
                 f"{'met' if ok else 'MISSED'}; {found['by_path']}")
    return text


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rooms", type=int, default=2000)
    parser.add_argument("--cold", action="store_true", help="also both digests with a cold store (only the directory known)")
    parser.add_argument("--no-weekly", action="store_true", help="only the daily digest")
    parser.add_argument("--profile", metavar="DIR", help="write each measured child's cProfile stats here")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--config", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        profile_dir = os.environ.get("ROOMBOT_BENCH_PROFILE")
        if profile_dir and args.child not in ("import", "warm", "warm-directory"):
            import cProfile

            with cProfile.Profile() as profiler:
                result = _child(args.child, args.config)
            profiler.dump_stats(str(Path(profile_dir) / f"{args.child}.prof"))
            _report(result)
            return
        _report(_child(args.child, args.config))
        return
    if args.profile:
        Path(args.profile).mkdir(parents=True, exist_ok=True)
        os.environ["ROOMBOT_BENCH_PROFILE"] = str(Path(args.profile).resolve())
    from bot.sandbox import Sandbox

    started = time.perf_counter()
    sb = Sandbox.start(seed=7, rooms=args.rooms, clock=lambda: NOW)
    folder = Path(tempfile.mkdtemp(prefix="roombot-bench-"))
    try:
        rows = len(sb.tenant.reservations_on(DAY))
        print(f"tenant: {args.rooms} rooms, {rows} reservations on {DAY} "
              f"(sandbox ready in {time.perf_counter() - started:.1f}s)")
        runs = sorted((run_child("import", folder / "none.toml") for _ in range(3)),
                      key=lambda found: found["cpu_children"])
        base = {"cpu_children": runs[1]["cpu_children"],  # the median of three: CPU time varies
                "hwm_kb": sorted(found["hwm_kb"] for found in runs)[1]}
        print(f"{'import lark_oapi alone (median)':<32} cpu={base['cpu_children']:5.2f}s  "
              f"peak_rss={base['hwm_kb'] / 1024:6.1f} MB  (subtracted below; runs: "
              f"{', '.join(format(found['cpu_children'], '.2f') for found in runs)} s)")
        steady = _config(sb, folder, "steady")
        warm = run_child("warm", steady)
        print(f"{'warm-up (not counted)':<32} calls={warm['calls']:>3}  "
              f"cpu={warm['cpu_children']:5.2f}s  wall={warm['wall']:5.1f}s")
        print(_line("daily digest (2 chats)", run_child("daily", steady), base, "daily"))
        if not args.no_weekly:
            print(_line("weekly digest (2 chats)", run_child("weekly", steady), base, "weekly"))
        fresh = _config(sb, folder, "history")  # a new subscription: history filled meanwhile
        run_child("warm-directory", fresh)
        print(_line("history job, one read", run_child("history-chunk", fresh), base, None))
        if args.cold:  # nothing remembered but the directory: the days before are read too
            for mode in ("daily", "weekly"):
                cold = _config(sb, folder, f"cold-{mode}")
                run_child("warm-directory", cold)
                print(_line(f"{mode}, cold store (dir. only)", run_child(mode, cold), base, None))
    finally:
        sb.stop()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
