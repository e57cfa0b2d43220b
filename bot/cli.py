"""The `roombot` command: serve, demo, sandbox, ask, parse, digest, doctor."""
from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator, MutableMapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, datetime
from functools import partial
from pathlib import Path

from bot.config import ConfigError, DashboardSettings, Settings, StorageSettings, load_settings
from bot.observe import logs

log = logging.getLogger("roombot")
METRICS_ENV = "PROMETHEUS_MULTIPROC_DIR"


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `roombot` console script."""
    args = _parser().parse_args(argv)
    logs.configure(level=_log_level(args.cmd))
    try:
        return int(args.func(args) or 0)
    except ConfigError as exc:
        print(f"config error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="roombot", description=__doc__)
    sub = parser.add_subparsers(dest="cmd", required=True)
    serve = sub.add_parser("serve", help="run the webhook and the digest scheduler")
    serve.add_argument("--config", required=True, help="path to roombot.toml")
    serve.set_defaults(func=cmd_serve)
    demo = sub.add_parser("demo", help="chat with roombot in the terminal, on the sandbox tenant")
    _sandbox_args(demo)
    demo.add_argument("--mode", choices=("webhook", "long_connection"), default="webhook",
                      help="how the sandbox delivers events: signed webhook POSTs or frames over "
                           "the long connection (WebSocket) the bot opens")
    demo.set_defaults(func=cmd_demo)
    sandbox = sub.add_parser("sandbox", help="run the Feishu sandbox (fake Open API) alone")
    sandbox.add_argument("--port", type=int, default=9300)
    _sandbox_args(sandbox)
    sandbox.set_defaults(func=cmd_sandbox)
    ask = sub.add_parser("ask", help="ask one question and print the answer")
    ask.add_argument("text")
    ask.add_argument("--config", help="roombot.toml (default: the embedded sandbox tenant)")
    ask.add_argument("--json", action="store_true", help="print the card JSON")
    ask.set_defaults(func=cmd_ask)
    parse = sub.add_parser("parse", help="show how a message is understood")
    parse.add_argument("text")
    parse.add_argument("--now", help="ISO time to parse against (default: now)")
    parse.add_argument("--config", help="roombot.toml (default: the embedded sandbox tenant)")
    parse.add_argument("--json", action="store_true")
    parse.set_defaults(func=cmd_parse)
    digest = sub.add_parser("digest", help="post the daily (or weekly) digests now")
    digest.add_argument("--config", help="roombot.toml (default: the embedded sandbox tenant)")
    digest.add_argument("--date", type=date.fromisoformat,
                        help="YYYY-MM-DD (default: yesterday; with --weekly a day of the week, "
                             "default: the last complete week)")
    digest.add_argument("--weekly", action="store_true",
                        help="the weekly digests of the Monday-to-Sunday week containing --date")
    digest.add_argument("--chat", help="only this chat_id")
    digest.add_argument("--dry-run", action="store_true", help="print the cards instead of sending")
    digest.set_defaults(func=cmd_digest)
    backfill = sub.add_parser("backfill", help="remember up to 52 weeks of history for the dashboard")
    backfill.add_argument("--config", help="roombot.toml (default: the embedded sandbox tenant)")
    backfill.add_argument("--weeks", type=int, default=13, choices=range(1, 53), metavar="1..52")
    backfill.set_defaults(func=cmd_backfill)
    doctor = sub.add_parser("doctor", help="check the config and the Feishu permissions")
    doctor.add_argument("--config", required=True)
    doctor.set_defaults(func=cmd_doctor)
    return parser


def _sandbox_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rooms", type=int, default=60)


def _settings(path: str | None) -> Settings:
    return load_settings(path, os.environ)


@contextmanager
def _embedded(seed: int = 7, rooms: int = 60) -> Iterator[tuple[Settings, object]]:
    """Settings pointing at an in-process sandbox tenant, with a throw-away store."""
    from bot.sandbox import Sandbox

    sandbox = Sandbox.start(seed=seed, rooms=rooms)
    with tempfile.TemporaryDirectory(prefix="roombot-") as tmp:
        try:
            # the dashboard on, for the sandbox's first user (the demo's own)
            dashboard = DashboardSettings(enabled=True, admins=(sandbox.tenant.users[0].open_id,),
                                          cost_per_room_hour=100.0)
            yield Settings(feishu=sandbox.feishu_settings(), dashboard=dashboard,
                           storage=StorageSettings(f"sqlite:///{Path(tmp) / 'roombot.db'}")), sandbox
        finally:
            sandbox.stop()


@contextmanager
def _settings_or_embedded(path: str | None) -> Iterator[Settings]:
    if path:
        yield _settings(path)
        return
    with _embedded() as (settings, _sandbox):
        yield settings


def _log_level(cmd: str) -> str:
    return os.environ.get("ROOMBOT_LOG_LEVEL",
                          "WARNING" if cmd in ("demo", "ask", "parse") else "INFO")


def cmd_serve(args: argparse.Namespace) -> int:
    """Run the webhook under waitress, the answer worker processes and the digest scheduler."""
    settings = _settings(args.config)
    logs.configure(settings.log, process="web", level=_log_level("serve"))
    made = _metrics_dir(os.environ)  # before anything imports prometheus_client
    from bot.serve import run_forever

    try:
        run_forever(settings)
    finally:
        if made:
            shutil.rmtree(made, ignore_errors=True)
    return 0


def _metrics_dir(environ: MutableMapping[str, str]) -> str:
    """Give every process of `serve` one empty PROMETHEUS_MULTIPROC_DIR; returns it if made here.

    Worker processes are separate processes: prometheus_client's multiprocess mode has each
    write its samples to files there, and the web process's /metrics adds them up. The admin's
    directory if set, else `roombot-metrics-<pid>` in the temp dir (those of dead processes,
    left by a kill -9, are removed); either way emptied of a previous run's samples first.
    """
    path = environ.get(METRICS_ENV, "")
    made = "" if path else str(Path(tempfile.gettempdir()) / f"roombot-metrics-{os.getpid()}")
    if made:
        for old in Path(tempfile.gettempdir()).glob("roombot-metrics-*"):
            pid = old.name.rpartition("-")[2]
            if pid.isdigit() and not _alive(int(pid)):
                shutil.rmtree(old, ignore_errors=True)
    os.makedirs(path or made, exist_ok=True)
    for old in Path(path or made).glob("*.db"):
        old.unlink()
    environ[METRICS_ENV] = path or made
    return made


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's
        return True
    return True


def cmd_sandbox(args: argparse.Namespace) -> int:
    from bot.sandbox import serve_forever

    serve_forever(port=args.port, seed=args.seed, rooms=args.rooms, out=sys.stdout)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from bot.demo import run_demo

    with _embedded(args.seed, args.rooms) as (settings, sandbox):
        feishu = replace(settings.feishu, mode=args.mode)
        return run_demo(replace(settings, feishu=feishu), sandbox)


def cmd_ask(args: argparse.Namespace) -> int:
    from bot.render.text import card_to_text
    from bot.respond import Responder

    with _settings_or_embedded(args.config) as settings:
        card = Responder.build(settings).card_for_text(args.text)
    print(json.dumps(card, ensure_ascii=False, indent=2) if args.json else card_to_text(card))
    return 0


def cmd_backfill(args: argparse.Namespace) -> int:
    """Read the missing finished days of the last --weeks weeks, with a progress bar."""
    from bot.digest.history import backfill
    from bot.respond import Responder

    def bar(done: int, total: int) -> None:
        filled = 30 * done // total if total else 30
        print(f"\r[{'#' * filled}{'.' * (30 - filled)}] {done}/{total} days", end="", flush=True)

    with _settings_or_embedded(args.config) as settings:
        days = backfill(Responder.build(settings), args.weeks, bar)
    print(f"\nremembered {len(days)} day(s)" + (f", {days[0]}..{days[-1]}" if days else ""))
    return 0


def cmd_parse(args: argparse.Namespace) -> int:
    from bot.respond import Responder
    from bot.understand import describe, parse

    with _settings_or_embedded(args.config) as settings:
        responder = Responder.build(settings)
        tz = settings.bot.tz
        now = datetime.fromisoformat(args.now).astimezone(tz) if args.now else responder.now()
        query = parse(args.text, now, responder.directory.get(),
                      slot_minutes=settings.bot.slot_minutes)
    described = describe(query)
    print(json.dumps(described, ensure_ascii=False, indent=None if args.json else 2, default=str))
    return 0


def cmd_digest(args: argparse.Namespace) -> int:
    from bot.digest.run import run_digests
    from bot.digest.weekly import run_weekly_digests
    from bot.render.text import card_to_text
    from bot.respond import Responder

    run = run_weekly_digests if args.weekly else partial(run_digests, nudge=True)
    with _settings_or_embedded(args.config) as settings:
        result = run(Responder.build(settings), day=args.date, chat_id=args.chat,
                     dry_run=args.dry_run, on_progress=lambda m: print(m, file=sys.stderr))
    for card in result.cards:  # only a dry run keeps its cards
        print(card_to_text(card), end="\n\n")
    print(result, file=sys.stderr)
    return 1 if result.failed else 0


def cmd_doctor(args: argparse.Namespace) -> int:
    from bot.doctor import run_doctor

    return run_doctor(_settings(args.config), out=sys.stdout)


if __name__ == "__main__":
    sys.exit(main())
