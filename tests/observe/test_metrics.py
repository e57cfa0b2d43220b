"""/metrics after real questions, and the log lines: fields as JSON, no message text by default."""
from __future__ import annotations

import io
import json
import logging
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from bot.cli import _metrics_dir
from bot.config import LogSettings
from bot.observe.logs import JsonFormatter, TextFormatter, formatter
from bot.observe.logs import context as log_context
from tests.e2e.harness import RunningBot, signed, start_bot

QUESTION = "who booked Mercury today"
RESERVATIONS = "/open-apis/vc/v1/resource_reservation_list"
REPLY = "/open-apis/im/v1/messages/:message_id/reply"


def scrape(bot: RunningBot) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of /metrics: (name, sorted labels) -> value."""
    response = requests.get(f"{bot.server.url}/metrics", timeout=10)
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/plain")
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(response.text) for s in family.samples}


def moved(before: dict, after: dict, name: str, **labels: str) -> float:
    key = (name, tuple(sorted(labels.items())))
    return after.get(key, 0.0) - before.get(key, 0.0)


@pytest.fixture
def bot(sandbox: Any, tmp_path: Path) -> Iterator[RunningBot]:
    running = start_bot(sandbox, tmp_path)
    yield running
    running.stop()


def test_a_question_moves_the_counters(bot: RunningBot) -> None:
    before = scrape(bot)
    bot.ask(QUESTION)
    bot.settle()
    after = scrape(bot)
    assert moved(before, after, "roombot_events_received_total", door="webhook",
                 type="im.message.receive_v1", status="200") == 1
    assert moved(before, after, "roombot_ack_seconds_count", door="webhook") == 1
    assert moved(before, after, "roombot_answers_total", kind="who_booked",
                 outcome="answered") == 1
    assert moved(before, after, "roombot_answer_seconds_count", kind="who_booked") == 1
    assert moved(before, after, "roombot_feishu_calls_total", api=RESERVATIONS, code="0") >= 1
    assert moved(before, after, "roombot_feishu_calls_total", api=REPLY, code="0") == 1
    assert moved(before, after, "roombot_ledger_reads_total", result="miss") >= 1
    assert after[("roombot_inbox_items", (("status", "done"),))] >= 1
    assert ("roombot_inbox_oldest_pending_age_seconds", ()) in after


def test_a_rejected_request_and_a_rate_limit_are_counted(bot: RunningBot) -> None:
    before = scrape(bot)
    body = b'{"encrypt": "forged"}'
    forged = requests.post(bot.webhook_url, data=body, headers=signed(bot, body, signature="x"),
                           timeout=10)
    assert forged.status_code == 401
    bot.sandbox.faults.inject("resource_reservation_list", "rate_limit", times=1, reset=1)
    bot.ask("who booked Oslo today")
    bot.settle()
    after = scrape(bot)
    assert moved(before, after, "roombot_events_received_total", door="webhook",
                 type="unknown", status="401") == 1
    assert moved(before, after, "roombot_feishu_calls_total", api=RESERVATIONS,
                 code="99991400") == 1
    assert moved(before, after, "roombot_feishu_retries_total", api=RESERVATIONS,
                 reason="rate_limited") == 1
    assert moved(before, after, "roombot_feishu_rate_limit_waits_total", api=RESERVATIONS,
                 source="server") == 1
    assert moved(before, after, "roombot_answers_total", kind="who_booked",
                 outcome="answered") == 1  # the retry succeeded: no busy card


# -- logs ---------------------------------------------------------------------------------------

@pytest.fixture
def log_lines() -> Iterator[Callable[[logging.Formatter], list[str]]]:
    """Capture roombot's own log lines (not the sandbox's) with the formatter given."""
    stream, root = io.StringIO(), logging.getLogger()
    handler = logging.StreamHandler(stream)
    handler.addFilter(lambda r: r.name.startswith("bot.") and not r.name.startswith("bot.sandbox"))
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)

    def use(fmt: logging.Formatter) -> list[str]:
        handler.setFormatter(fmt)
        return stream.getvalue().splitlines()

    yield use
    root.removeHandler(handler)
    root.setLevel(level)


def test_json_log_lines_carry_the_fields_and_no_message_text(
        bot: RunningBot, log_lines: Callable[[logging.Formatter], list[str]]) -> None:
    log_lines(JsonFormatter())
    bot.sandbox.faults.inject("resource_reservation_list", "permission", times=1)
    sent = bot.ask("who booked Jupiter today")
    bot.settle()
    lines = [json.loads(line) for line in log_lines(JsonFormatter())]
    assert lines and all({"time", "level", "logger", "message"} <= set(line) for line in lines)
    mine = [line for line in lines if line.get("chat_id") == sent.chat_id]
    # "message" until the question is understood (loading the directory comes first)
    assert mine and all(line["event_id"] and line["kind"] in ("message", "who_booked")
                        for line in mine)
    assert any(line["kind"] == "who_booked" for line in mine)
    assert any(line.get("log_id") and line.get("outcome") == "feishu_error" for line in mine)
    assert not any("Jupiter" in json.dumps(line, ensure_ascii=False) for line in lines)


def test_message_text_is_logged_only_when_asked() -> None:
    record = logging.LogRecord("bot.respond", logging.INFO, __file__, 1, "answered %s", ("x",),
                               None)
    with log_context(event_id="ev1", chat_id="oc1", kind="who_booked", text="谁订了木星"):
        quiet = json.loads(JsonFormatter().format(record))
        loud = json.loads(formatter(LogSettings(format="json", include_text=True)).format(record))
        text_line = TextFormatter().format(record)
    assert quiet["event_id"] == "ev1" and quiet["chat_id"] == "oc1" and "text" not in quiet
    assert loud["text"] == "谁订了木星" and loud["message"] == "answered x"
    assert "event_id=ev1 chat_id=oc1 kind=who_booked" in text_line and "木星" not in text_line
    assert "event_id" not in TextFormatter().format(record)  # outside the block: no fields


def test_serve_gets_an_empty_metrics_directory_and_old_ones_are_swept(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    dead = tmp_path / "roombot-metrics-999999999"
    alive = tmp_path / f"roombot-metrics-{os.getppid()}"
    for old in (dead, alive):
        old.mkdir()
        (old / "counter_1.db").write_bytes(b"old")
    environ: dict[str, str] = {}
    made = _metrics_dir(environ)
    assert environ["PROMETHEUS_MULTIPROC_DIR"] == made and Path(made).is_dir()
    assert not dead.exists() and alive.exists()  # a dead process's directory is swept
    mine = tmp_path / "admins"
    mine.mkdir()
    (mine / "gauge_livemax_7.db").write_bytes(b"old")
    assert _metrics_dir({"PROMETHEUS_MULTIPROC_DIR": str(mine)}) == ""  # theirs: kept, emptied
    assert mine.is_dir() and not list(mine.iterdir())
