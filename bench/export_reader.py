"""Benchmark reading a 20,000-row export xlsx: python-calamine (what roombot uses) against openpyxl.

    .venv/bin/python -m bench.export_reader [--rows 20000] [--runs 3]

The file is built by the sandbox's own export writer (bot.sandbox.exports.build_xlsx) from a
2,000-room sandbox tenant. Each reader then runs in a fresh subprocess, so the numbers are whole
processes and comparable: the time to read the cells and turn them into Reservation rows,
its CPU, the resident memory before reading (imports only) and the peak resident memory.
Prints numbers; not part of the tests.
"""
from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Shanghai")
DAY = date(2025, 11, 17)  # a Monday
READERS = ("openpyxl", "calamine")


def build_file(rows: int, path: Path) -> None:
    """Write an export of exactly `rows` reservations of a 2,000-room tenant, by the sandbox."""
    from bot.sandbox.exports import build_xlsx
    from bot.sandbox.tenant import Tenant

    now = datetime.combine(DAY + timedelta(days=8), datetime.min.time(), TZ)
    tenant = Tenant(seed=7, rooms=2000, clock=lambda: now)
    found: list[Any] = []
    day = DAY
    while len(found) < rows:
        start = datetime.combine(day, datetime.min.time(), TZ)
        found.extend(tenant.reservations(start, start + timedelta(days=1)))
        day += timedelta(days=1)
    path.write_bytes(build_xlsx(found[:rows], need_topic=True))


def _status_mb(field: str) -> float:
    """A memory line of /proc/self/status in MB (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def _rss_mb() -> float:
    """Current resident memory of this process in MB."""
    return _status_mb("VmRSS")


def _peak_mb() -> float:
    """Peak resident memory of this process so far, in MB.

    VmHWM, not getrusage's ru_maxrss: Linux keeps ru_maxrss across exec, so a child would report
    the parent's peak (the parent holds a 2,000-room tenant).
    """
    return _status_mb("VmHWM")


def read_once(reader: str, path: Path) -> dict[str, float]:
    """Read and parse the file once with one reader, in this process; return the measurements."""
    from bot.feishu.export_file import parse_export, parse_rows

    if reader == "openpyxl":
        from openpyxl import load_workbook
    data = path.read_bytes()
    base_rss = _rss_mb()
    wall, cpu = time.perf_counter(), time.process_time()
    if reader == "openpyxl":  # what export_file did before: read-only, values streamed
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        parsed = parse_rows(book.worksheets[0].iter_rows(values_only=True), TZ)
        book.close()
    else:
        parsed = parse_export(data, TZ)
    return {"rows": len(parsed), "wall_s": time.perf_counter() - wall,
            "cpu_s": time.process_time() - cpu, "base_rss_mb": base_rss, "peak_rss_mb": _peak_mb()}


def measure(reader: str, path: Path) -> dict[str, float]:
    """Run one reader in a fresh interpreter and return what it measured."""
    command = [sys.executable, "-m", "bench.export_reader", "--child", reader, str(path)]
    out = subprocess.run(command, check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def main(argv: list[str] | None = None) -> None:
    """Build the file once, then time each reader in its own subprocess."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3, help="subprocesses per reader")
    parser.add_argument("--child", nargs=2, metavar=("READER", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(read_once(args.child[0], Path(args.child[1]))))
        return
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "export.xlsx"
        started = time.perf_counter()
        build_file(args.rows, path)
        print(f"export file: {args.rows} rows, {path.stat().st_size / 1e6:.1f} MB, "
              f"built by the sandbox writer in {time.perf_counter() - started:.1f} s")
        for reader in READERS:
            for run in range(args.runs):
                m = measure(reader, path)
                print(f"{reader:<9} run {run + 1}: rows={m['rows']:.0f} "
                      f"read+parse wall={m['wall_s']:.2f}s cpu={m['cpu_s']:.2f}s "
                      f"rss after imports={m['base_rss_mb']:.0f}MB peak={m['peak_rss_mb']:.0f}MB")


if __name__ == "__main__":
    main()
