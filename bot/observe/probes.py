"""GET /readyz and GET /metrics (GET /healthz, "the process is alive", is the webhook's).

`/readyz` answers 200 when this process can do its work: the store answers a query, the room
directory is loaded (loading it if needed) and a tenant token can be obtained. Otherwise 503,
naming each failing dependency. Each check is given `CHECK_SECONDS`, so a probe never hangs on
a slow Feishu. `/metrics` is the Prometheus text format (bot/observe/metrics.py).
"""
from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from flask import Blueprint, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bot.observe import metrics
from bot.respond import Responder

CHECK_SECONDS = 5.0  # per check; probes usually time out after a few seconds
DETAIL_CHARS = 200


def probes_blueprint(responder: Responder) -> Blueprint:
    """GET /readyz and GET /metrics for the process that owns `responder`."""
    blueprint = Blueprint("probes", __name__)
    registry = metrics.scrape_registry(responder.store.inbox_counts)
    pool = ThreadPoolExecutor(max_workers=3, thread_name_prefix="roombot-probe")  # lazy threads
    checks: dict[str, Callable[[], str]] = {
        "store": lambda: f"schema version {responder.store.schema_version()}",
        "directory": lambda: f"{len(responder.directory.get().rooms)} rooms",
        "feishu_token": lambda: _ok(responder.gateway.tenant_token()),
    }

    @blueprint.get("/readyz")
    def readyz() -> Response:
        futures = {name: pool.submit(check) for name, check in checks.items()}
        results = {name: _outcome(future) for name, future in futures.items()}
        failing = [name for name, (ok, _detail) in results.items() if not ok]
        body = {"status": "not ready" if failing else "ready", "failing": failing,
                "checks": {name: {"ok": ok, "detail": detail}
                           for name, (ok, detail) in results.items()}}
        return Response(json.dumps(body, ensure_ascii=False), 503 if failing else 200,
                        content_type="application/json; charset=utf-8")

    @blueprint.get("/metrics")
    def scrape() -> Response:
        return Response(generate_latest(registry), 200, content_type=CONTENT_TYPE_LATEST)

    return blueprint


def _ok(_none: None) -> str:
    return "obtained"


def _outcome(future: Any) -> tuple[bool, str]:
    """(passed, what it found or why not) for one check."""
    try:
        return True, str(future.result(timeout=CHECK_SECONDS))
    except FutureTimeout:
        return False, f"no answer within {CHECK_SECONDS:g} s"
    except Exception as exc:  # noqa: BLE001 - whatever broke, the probe names it, not a 500
        return False, f"{exc.__class__.__name__}: {exc}"[:DETAIL_CHARS]
