"""Opt-in nudges: one DM a week to each reserver with repeated no-shows, exactly once per (person,
week) on SQLite and PostgreSQL; people the bot cannot message are skipped; off by default."""
from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.config import (
    ConfigError,
    DigestSettings,
    PrivacySettings,
    Settings,
    StorageSettings,
    load_settings,
)
from bot.digest.nudges import UNREACHABLE_CODES, receiver
from bot.digest.run import DigestRun, run_digests
from bot.insights import outcomes
from bot.respond import Responder
from bot.sandbox import Sandbox
from bot.sandbox.messages import p2p_chat_id
from bot.store import Store

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2025, 11, 18, 9, 0, tzinfo=TZ)
DAY = date(2025, 11, 17)
MONDAY = date(2025, 11, 17)


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    """A fresh sandbox per test: Feishu's uuid dedupe must not hide a second send."""
    sandbox = Sandbox.start(seed=7, rooms=60, clock=lambda: NOW)
    yield sandbox
    sandbox.stop()


def make(sb: Sandbox, url: str, *, on: bool = True, threshold: int = 2,
         export_threshold: int = 300) -> Responder:
    settings = Settings(feishu=sb.feishu_settings(), storage=StorageSettings(url),
                        privacy=PrivacySettings(nudge_no_shows=on, nudge_threshold=threshold),
                        digest=DigestSettings(export_threshold=export_threshold))
    return Responder.build(settings, clock=lambda: NOW, store=Store.open(url))


def due(sb: Sandbox, threshold: int = 2) -> dict[str, int]:
    """Ground truth: open_id -> no-shows in DAY-6..DAY, for people at or over the threshold."""
    start = datetime.combine(DAY - timedelta(days=6), time(0), TZ)
    rows = outcomes.dedupe(sb.tenant.reservations(start, datetime.combine(DAY + timedelta(days=1),
                                                                            time(0), TZ)))
    days = [DAY - timedelta(days=n) for n in range(7)]
    misses = Counter(r.reserver_id for r in outcomes.starting_on(rows, days, TZ)
                     if outcomes.outcome(r) == "no_show")
    return {who: n for who, n in misses.items() if n >= threshold}


def dms(sb: Sandbox, since: int = 0) -> list:
    return [r for r in sb.sent[since:] if r.receive_id_type == "open_id"]


def test_receiver_reads_the_documented_reserver_id_forms() -> None:
    assert receiver("ou_1234567(UserID);cli_123123(BotID)") == ("ou_1234567", "open_id")
    assert receiver("ou_abc") == ("ou_abc", "open_id")
    assert receiver("5e8f1a2b(UserID)") == ("5e8f1a2b", "user_id")
    assert receiver("cli_123123(BotID)") is None and receiver("") is None
    assert 230013 in UNREACHABLE_CODES  # "user outside availability" (contract §4)


def test_off_by_default(sb: Sandbox, tmp_path: Path) -> None:
    services = make(sb, f"sqlite:///{tmp_path / 'off.db'}", on=False)
    before = len(sb.sent)
    assert run_digests(services, day=DAY, nudge=True).nudged == []
    assert dms(sb, before) == []


def test_each_repeat_no_shower_gets_one_nudge_a_week(sb: Sandbox, tmp_path: Path) -> None:
    expected = due(sb)
    assert len(expected) >= 2  # the sandbox has habitual no-showers
    skipped = min(expected)
    sb.remove_bot_from(p2p_chat_id(skipped))  # someone the bot cannot message
    services = make(sb, f"sqlite:///{tmp_path / 'nudge.db'}")
    before = len(sb.sent)
    run = run_digests(services, day=DAY, nudge=True)
    assert sorted(run.nudged) == sorted(set(expected) - {skipped})
    sent = dms(sb, before)
    assert sorted(r.receive_id for r in sent) == sorted(run.nudged)
    one = next(r for r in sent if r.receive_id == run.nudged[0])
    body = json.dumps(one.content, ensure_ascii=False)
    assert str(expected[one.receive_id]) in body and ("释放" in body or "Release" in body)
    assert one.uuid and len(one.uuid) <= 50
    calls = services.gateway.calls.by_path.get("/open-apis/im/v1/messages", 0)
    again = run_digests(services, day=DAY, nudge=True)  # the same week: nobody twice
    later = run_digests(services, day=DAY + timedelta(days=1), nudge=True)
    assert again.nudged == [] and later.nudged == [] and dms(sb, before) == sent
    assert services.gateway.calls.by_path.get("/open-apis/im/v1/messages", 0) == calls  # not retried
    status = services.store.digest_status(f"nudge:{skipped}", MONDAY, "nudge")
    assert status is not None and status[1].startswith("unreachable:")


def test_export_rows_without_ids_get_them_from_the_list(sb: Sandbox, tmp_path: Path) -> None:
    services = make(sb, f"sqlite:///{tmp_path / 'export.db'}", export_threshold=10, threshold=3)
    run = run_digests(services, day=DAY, nudge=True)
    assert run.method == "export"
    assert sorted(run.nudged) == sorted(due(sb, 3))


def test_nudges_are_sent_exactly_once_by_concurrent_runs(sb: Sandbox, store_url: str) -> None:
    runners = [make(sb, store_url, threshold=4) for _ in range(2)]
    results: list[DigestRun] = []
    barrier = threading.Barrier(2)

    def go(services: Responder) -> None:
        barrier.wait()
        results.append(run_digests(services, day=DAY, nudge=True))

    before = len(sb.sent)
    threads = [threading.Thread(target=go, args=(s,)) for s in runners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    for services in runners:
        services.store.close()
    nudged = sorted(who for run in results for who in run.nudged)
    assert nudged == sorted(due(sb, 4))
    assert Counter(r.receive_id for r in dms(sb, before)) == Counter(nudged)


def test_nudge_settings_are_read_and_checked(tmp_path: Path) -> None:
    path = tmp_path / "roombot.toml"
    path.write_text('[feishu]\napp_id = "cli_x"\napp_secret = "s"\n'
                    "[privacy]\nnudge_no_shows = true\nnudge_threshold = 3\n")
    privacy = load_settings(path, {}).privacy
    assert (privacy.nudge_no_shows, privacy.nudge_threshold) == (True, 3)
    assert load_settings(None, {"ROOMBOT_FEISHU_APP_ID": "a", "ROOMBOT_FEISHU_APP_SECRET": "b"}
                         ).privacy.nudge_no_shows is False
    path.write_text('[feishu]\napp_id = "cli_x"\napp_secret = "s"\n[privacy]\nnudge_threshold = 0\n')
    with pytest.raises(ConfigError, match="nudge_threshold"):
        load_settings(path, {})
