"""/healthz, /readyz and /metrics over real HTTP: in-process, and from `roombot serve`."""
from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from bot.sandbox.sandbox import forget_sdk_token
from tests.e2e.harness import RunningBot, ServeProcess, free_port, serve, serve_config


def get(url: str) -> requests.Response:
    return requests.get(url, timeout=15)


def test_ready_when_the_store_the_directory_and_a_token_are_there(bot: RunningBot) -> None:
    ready = get(f"{bot.server.url}/readyz")
    assert ready.status_code == 200
    body = ready.json()
    assert body["status"] == "ready" and body["failing"] == []
    assert set(body["checks"]) == {"store", "directory", "feishu_token"}
    assert all(check["ok"] for check in body["checks"].values())
    assert body["checks"]["directory"]["detail"] == "60 rooms"


def test_not_ready_naming_the_store_when_the_database_is_gone(bot: RunningBot,
                                                             tmp_path: Path) -> None:
    bot.responder.store.close()
    tmp_path.rename(tmp_path.with_name(tmp_path.name + "-gone"))  # the database file with it
    ready = get(f"{bot.server.url}/readyz")
    assert ready.status_code == 503
    body = ready.json()
    assert body["status"] == "not ready" and body["failing"][0] == "store"
    assert "feishu_token" not in body["failing"]  # (the directory may be read from the store)
    assert not body["checks"]["store"]["ok"] and body["checks"]["store"]["detail"]
    assert get(f"{bot.server.url}/healthz").status_code == 200  # alive, just not ready
    assert get(f"{bot.server.url}/metrics").status_code == 200  # still scrapeable


def test_not_ready_naming_feishu_when_no_token_can_be_had(bot: RunningBot) -> None:
    forget_sdk_token(bot.settings.feishu.app_id)
    bot.sandbox.faults.inject("tenant_access_token", "server_error", times=3)
    try:
        body = get(f"{bot.server.url}/readyz").json()
    finally:
        bot.sandbox.faults.clear()
    assert "feishu_token" in body["failing"] and "store" not in body["failing"]
    assert get(f"{bot.server.url}/readyz").status_code == 200  # Feishu is back


@pytest.fixture
def served(sandbox: Any, tmp_path: Path) -> Iterator[ServeProcess]:
    port = free_port()
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    (metrics_dir / "counter_1.db").write_bytes(b"garbage")  # serve must empty it, or /metrics fails
    env = {**os.environ, "ROOMBOT_LOG_LEVEL": "WARNING",
           "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}
    running = serve(sandbox, serve_config(sandbox, tmp_path, port), port, env=env)
    yield running
    if running.process.poll() is None:
        running.kill()


def test_serve_adds_up_the_worker_processes_metrics(sandbox: Any, served: ServeProcess) -> None:
    assert get(f"{served.url}/readyz").status_code == 200
    pusher = sandbox.pusher(served.webhook_url)
    assert pusher.message("who booked Mercury today").status == 200
    assert sandbox.wait_for_sent(1, timeout=60)
    text = ""
    for _ in range(50):  # the worker counts the answer just after the reply is posted
        text = get(f"{served.url}/metrics").text
        if 'roombot_answers_total{kind="who_booked",outcome="answered"} 1.0' in text:
            break
        time.sleep(0.1)
    assert 'roombot_answers_total{kind="who_booked",outcome="answered"} 1.0' in text  # worker
    assert re.search(r'roombot_events_received_total\{door="webhook",status="200",'
                     r'type="im.message.receive_v1"\} 1\.0', text)  # the web process
    assert re.search(r'roombot_feishu_calls_total\{api="/open-apis/vc/v1/resource_reservation_'
                     r'list",code="0"\} [1-9]', text)
    assert "roombot_inbox_items" in text
