"""Reminder benchmark: the minute scan in the morning rush of a 2,000-room tenant.

`--due` bookings (default 500) all start ten minutes from now in different rooms, with the
sandbox enforcing Feishu's documented quotas (429 + 99991400 past 50 messages a second or 1,000 a
minute). One scan reads free/busy for every room, notes each instance, and sends the due
reminders; a second scan a minute later shows the steady cost (nothing sent twice). Printed: the
scan's seconds, Feishu calls by API, reminders sent, 429s met, and the largest send rate in any
one second. Run: `make bench` or `.venv/bin/python -m bench.reminders [--due 500]`.
"""
from __future__ import annotations

import argparse
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

from bot.config import BotSettings, ReleaseSettings, Settings, StorageSettings
from bot.remind.scan import run_reminders
from bot.respond import Responder
from bot.sandbox import Sandbox

ROOMS = 2000


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--due", type=int, default=500, help="bookings starting in ten minutes")
    parser.add_argument("--rooms", type=int, default=ROOMS)
    args = parser.parse_args(argv)
    sandbox = Sandbox.start(seed=7, rooms=args.rooms)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            now = sandbox.now().replace(second=0, microsecond=0)
            start = now + timedelta(minutes=10)
            settings = Settings(feishu=sandbox.feishu_settings(), bot=BotSettings(),
                                storage=StorageSettings(f"sqlite:///{Path(tmp) / 'bench.db'}"),
                                reminders=ReleaseSettings(enabled=True))
            clock = {"at": now}
            responder = Responder.build(settings, clock=lambda: clock["at"])
            rooms = sandbox.calendar.open_rooms()
            busy = responder.gateway.freebusy(rooms, start, start + timedelta(hours=1))
            free = [room for room in rooms if not busy.get(room)][:args.due]
            users = sandbox.tenant.users
            for i, room in enumerate(free):
                sandbox.calendar.add_booking(room, start, start + timedelta(hours=1),
                                             users[i % len(users)].open_id)
            responder.directory.get()  # the directory is listed once at start, not per scan
            sandbox.faults.rate_limits = True
            print(f"## Reminder scan: {len(free)} bookings due at {start:%H:%M} in a "
                  f"{args.rooms}-room tenant (Feishu's quotas enforced)")
            for label in ("first scan (the rush)", "next minute"):
                calls_before, sent_before = len(sandbox.calls), len(sandbox.sent)
                began = time.monotonic()
                run = run_reminders(responder)
                seconds = time.monotonic() - began
                calls = sandbox.calls[calls_before:]
                by_api = Counter(c.path.replace("/open-apis/", "").split("?")[0] for c in calls
                                 if "tenant_access_token" not in c.path)
                limited = sum(1 for c in calls if c.status == 429)
                sends = sorted(r.create_time // 1000 for r in sandbox.sent[sent_before:])
                peak = max(Counter(sends).values(), default=0)
                print(f"{label}: {seconds:.1f} s, {len(run.sent)} reminders sent "
                      f"({len(run.sent) / seconds if seconds else 0:.1f}/s, peak {peak} in one "
                      f"second), {run.failed} failed, {limited} answered 429; calls: "
                      + ", ".join(f"{api} ×{n}" for api, n in sorted(by_api.items())))
                clock["at"] = clock["at"] + timedelta(minutes=1)
            print(f"pace: per_second = {settings.reminders.per_second:.0f} (Feishu allows 50/s, "
                  "1,000/min per app, 5/s per user)")
    finally:
        sandbox.stop()


if __name__ == "__main__":
    main()
