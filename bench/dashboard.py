"""Dashboard benchmark: every page and download on a 2,000-room tenant with 13 weeks remembered.

The 13 weeks of day facts are made from the sandbox tenant's own rows (what a backfill would
remember, without timing the export). An admin signs in through the sandbox's Feishu login, then
each page is fetched `--runs` times over loopback HTTP. Printed: the sign-in's landing on the
overview with nothing summed yet (what `roombot serve` does in the background at start), then per
page the first fetch (a rooms table not computed yet) and the median and worst of the others
(the request on 127.0.0.1, so essentially server time), its size, and the Feishu calls the pages
made (the target is none, and at most 300 ms a page). Run: `make bench` or
`.venv/bin/python -m bench.dashboard [--rooms 2000] [--weeks 13] [--runs 5]`.
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import requests

from bot.app import create_app
from bot.config import DashboardSettings, Settings, StorageSettings
from bot.dashboard.numbers import last_sunday
from bot.digest import facts
from bot.insights import outcomes
from bot.respond import Responder
from bot.sandbox import Sandbox
from bot.serve import BackgroundServer

PAGES = ("", "?weeks=52", "rooms?weeks=4", "rooms?weeks=13&sort=no_shows&desc=1", "people?weeks=13",
         "patterns?weeks=13", "patterns?weeks=4",
         "rooms.xlsx?weeks=13", "rooms.csv?weeks=13")


def remember(responder: Responder, sandbox: Sandbox, weeks: int) -> int:
    """The last `weeks` whole weeks' facts, reduced from the tenant's rows; the days remembered."""
    last = last_sunday(responder.now().date())
    days = facts.days_between(last - timedelta(days=7 * weeks - 1), last)
    tz = responder.settings.bot.tz
    for day in days:
        rows = outcomes.dedupe(sandbox.tenant.reservations_on(day))
        for one, reduced in facts.reduce_days(rows, [day], tz).items():
            facts.remember(responder.store, one, reduced, responder.now())
    return len(days)


def signed_in(server_url: str, sandbox: Sandbox, admin: str) -> requests.Session:
    http = requests.Session()
    login = http.get(server_url + "/admin/login", allow_redirects=False)
    asked = {k: v[0] for k, v in parse_qs(urlsplit(login.headers["Location"]).query).items()}
    code = sandbox.authen.code_for(admin, asked["redirect_uri"])
    started = time.perf_counter()
    done = http.get(f"{server_url}/admin/callback", params={"code": code, "state": asked["state"]})
    assert done.status_code == 200, done.status_code
    print(f"Sign-in landing on the overview, nothing summed yet (every remembered day read and "
          f"summed into week rollups): {1000 * (time.perf_counter() - started):.0f} ms")
    return http


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rooms", type=int, default=2000)
    parser.add_argument("--weeks", type=int, default=13)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    sandbox = Sandbox.start(seed=7, rooms=args.rooms)
    admin = sandbox.tenant.users[0].open_id
    try:
        with tempfile.TemporaryDirectory() as tmp:
            settings = Settings(feishu=sandbox.feishu_settings(),
                                storage=StorageSettings(f"sqlite:///{Path(tmp) / 'bench.db'}"),
                                dashboard=DashboardSettings(enabled=True, admins=(admin,),
                                                            cost_per_room_hour=100.0))
            responder = Responder.build(settings)
            began = time.monotonic()
            days = remember(responder, sandbox, args.weeks)
            print(f"## Dashboard: {args.rooms} rooms, {days} days remembered "
                  f"(made in {time.monotonic() - began:.0f} s)")
            responder.directory.get()
            server = BackgroundServer(create_app(settings, responder)).start()
            try:
                http = signed_in(server.url, sandbox, admin)
                calls_before = len(sandbox.calls)
                print("| page | first ms | then median ms | then worst ms | KB |\n|---|---|---|---|---|")
                for page in PAGES:
                    times, size = [], 0
                    for _ in range(args.runs):
                        started = time.perf_counter()
                        reply = http.get(f"{server.url}/admin/{page}")
                        times.append(1000 * (time.perf_counter() - started))
                        assert reply.status_code == 200, (page, reply.status_code)
                        size = len(reply.content)
                    first, rest = times[0], times[1:] or times
                    print(f"| /admin/{page} | {first:.0f} | {statistics.median(rest):.0f} | "
                          f"{max(rest):.0f} | {size / 1024:.0f} |")
                print(f"Feishu calls made by the pages: {len(sandbox.calls) - calls_before}")
            finally:
                server.stop()
    finally:
        sandbox.stop()


if __name__ == "__main__":
    main()
