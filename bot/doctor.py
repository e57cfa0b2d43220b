"""`roombot doctor`: check the config and each Feishu permission roombot needs, one line each."""
from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TextIO

from bot.config import Settings
from bot.feishu.errors import FeishuError, PermissionMissing
from bot.respond import Responder


def run_doctor(settings: Settings, out: TextIO) -> int:
    """Run every check; exit status 0 only when all pass."""
    responder = Responder.build(settings)
    out.write(f"config ok: domain {settings.feishu.domain}, timezone {settings.bot.timezone}, "
              f"storage {settings.storage.url.split('@')[-1]}\n")
    checks: list[tuple[str, Callable[[Responder], str]]] = [
        ("app credentials and bot info (bot/v3/info)", _bot),
        ("room directory (vc:room:readonly)", _rooms),
        ("reservation ledger (vc:room:readonly + admin VC rights)", _reservations),
        ("free/busy (calendar:room:readonly)", _freebusy),
    ]
    failures = 0
    for name, check in checks:
        try:
            out.write(f"  ✓ {name}: {check(responder)}\n")
        except PermissionMissing as exc:
            failures += 1
            out.write(f"  ✗ {name}: grant {', '.join(exc.scopes) or 'the scope'} (log_id {exc.log_id})\n")
        except FeishuError as exc:
            failures += 1
            out.write(f"  ✗ {name}: {exc.code} {exc.msg} (log_id {exc.log_id or '-'})\n")
    return 1 if failures else 0


def _bot(responder: Responder) -> str:
    return f"open_id {responder.gateway.bot_open_id()}"


def _rooms(responder: Responder) -> str:
    directory = responder.directory.get()
    return f"{len(directory.rooms)} rooms in {len(directory.levels)} levels"


def _reservations(responder: Responder) -> str:
    now = responder.now()
    rows = responder.gateway.reservations(responder.settings.bot.room_level_id, now - timedelta(hours=1), now)
    return f"{len(rows)} bookings in the last hour"


def _freebusy(responder: Responder) -> str:
    rooms = responder.directory.get().rooms[:1]
    if not rooms:
        return "no rooms to check"
    now = responder.now()
    busy = responder.gateway.freebusy([rooms[0].room_id], now, now + timedelta(hours=1))
    return f"{sum(len(v) for v in busy.values())} busy slots in the next hour for {rooms[0].name}"
