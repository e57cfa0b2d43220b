"""`roombot doctor`: check the config, the door, and each Feishu permission roombot needs, one line each.

It says which door the config uses (webhook or long connection). In long-connection mode it asks
Feishu for a connection URL, exactly as `lark.ws.Client` does first, without connecting (a doctor's
connection would be handed events at random). If a `roombot serve` answers on the configured port,
it reports that process's door, and whether its long connection is up.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TextIO

import requests

from bot.config import Settings
from bot.feishu.errors import FeishuError, PermissionMissing
from bot.respond import Responder

ENDPOINT_PATH = "/callback/ws/endpoint"
HTTP_TIMEOUT = 10.0
CREDENTIAL_CODES = {1000040344, 1000040345, 1000040346}  # no / wrong secret / wrong app_id
MODE_LINES = {
    "webhook": "Feishu POSTs events and card callbacks to https://YOUR-HOST/webhook/event",
    "long_connection": "roombot opens a WebSocket to Feishu; no public URL is needed (set the "
                       "app's event and callback subscription to long connection)",
}


class Problem(Exception):
    """A check that failed for a reason other than a Feishu API error."""


class Notice(Exception):
    """Neither a pass nor a failure: something the reader should know."""


def run_doctor(settings: Settings, out: TextIO) -> int:
    """Run every check; exit status 0 only when all pass."""
    responder = Responder.build(settings)
    out.write(f"config ok: domain {settings.feishu.domain}, timezone {settings.bot.timezone}, "
              f"storage {settings.storage.url.split('@')[-1]}\n")
    out.write(f"mode {settings.feishu.mode}: {MODE_LINES[settings.feishu.mode]}\n")
    checks: list[tuple[str, Callable[[Responder], str]]] = [
        ("app credentials and bot info (bot/v3/info)", _bot),
        ("room directory (vc:room:readonly)", _rooms),
        ("reservation ledger (vc:room:readonly + admin VC rights)", _reservations),
        ("free/busy (calendar:room:readonly)", _freebusy),
        ("booking: the app's calendar (calendar:calendar, or calendar.event:create + :update)",
         _calendar),
        ("booking: the rooms' booking rules (vc/v1 reserve_scope)", _reserve_rules),
    ]
    if settings.feishu.mode == "long_connection":
        checks.append((f"long-connection endpoint ({ENDPOINT_PATH})", _endpoint))
    checks.append((f"roombot serve on {_local_url(settings)}", _running))
    failures = 0
    for name, check in checks:
        try:
            out.write(f"  ✓ {name}: {check(responder)}\n")
        except Notice as exc:
            out.write(f"  – {name}: {exc}\n")
        except Problem as exc:
            failures += 1
            out.write(f"  ✗ {name}: {exc}\n")
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


def _calendar(responder: Responder) -> str:
    if not responder.settings.booking.enabled:
        raise Notice("booking is off ([booking] enabled = false)")
    calendar_id = responder.gateway.primary_calendar()
    return (f"primary calendar {calendar_id}; creating and changing events is first tried by a "
            "booking (a check cannot write to a calendar)")


def _reserve_rules(responder: Responder) -> str:
    if not responder.settings.booking.enabled:
        raise Notice("booking is off ([booking] enabled = false)")
    rooms = responder.directory.get().rooms[:1]
    if not rooms:
        return "no rooms to check"
    rules = responder.gateway.reserve_rules(rooms[0].room_id)
    needs = "needs approval" if rules.approval else "no approval needed"
    return f"{rooms[0].name}: {needs}" + ("" if rules.allow_all else ", open to some people only")


def _endpoint(responder: Responder) -> str:
    """Ask for a connection URL as lark.ws.Client does (contract 2.9), and do not connect."""
    feishu = responder.settings.feishu
    try:
        reply = requests.post(feishu.domain + ENDPOINT_PATH, timeout=HTTP_TIMEOUT,
                              headers={"locale": "zh"},
                              json={"AppID": feishu.app_id, "AppSecret": feishu.app_secret})
        body = reply.json()
    except (requests.RequestException, ValueError) as exc:
        raise Problem(f"Feishu did not answer: {exc}") from None
    code = body.get("code") if isinstance(body, dict) else None
    if reply.status_code != 200 or code != 0:
        hint = ("check feishu.app_id and feishu.app_secret" if code in CREDENTIAL_CODES else
                "only self-built apps may use the long connection")
        raise Problem(f"HTTP {reply.status_code}, code {code} {body.get('msg', '')}: {hint}")
    config = (body.get("data") or {}).get("ClientConfig") or {}
    return f"Feishu hands out a connection (ping every {config.get('PingInterval', '?')} s)"


def _running(responder: Responder) -> str:
    """What the local `roombot serve` says about its door (GET /longconn)."""
    settings = responder.settings
    url = _local_url(settings)
    try:
        status: dict[str, Any] = requests.get(f"{url}/longconn", timeout=2).json()
    except (requests.RequestException, ValueError):
        raise Notice("not answering here; the connection is opened by `roombot serve`") from None
    mode = status.get("mode")
    if mode != settings.feishu.mode:
        raise Problem(f"it runs in {mode} mode, this config says {settings.feishu.mode}")
    if mode != "long_connection":
        return "running, events arrive by webhook"
    if not status.get("connected"):
        raise Problem(f"long connection {status.get('state')}: {status.get('last_error') or '-'}")
    since = datetime.fromtimestamp(float(status.get("since", 0)), settings.bot.tz)
    return (f"long connection up since {since:%Y-%m-%d %H:%M:%S} (conn_id {status.get('conn_id')}, "
            f"{status.get('connects')} connect(s) since start)")


def _local_url(settings: Settings) -> str:
    host = settings.server.host
    host = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    return f"http://{f'[{host}]' if ':' in host else host}:{settings.server.port}"
