"""Daily digests through the real gateway against the sandbox: exactly once, failures, privacy, paths."""
from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.config import DigestSettings, PrivacySettings, Settings, StorageSettings
from bot.digest.facts import NO_SHOW_ROWS, ROOM_COUNTS
from bot.digest.run import DigestRun, digest_kind, fetch_rows, run_digests
from bot.insights.incidents import analyse, no_show_marks, offenders
from bot.respond import Responder
from bot.sandbox import Sandbox
from bot.store import Store
from tests.clocks import SettableClock

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2025, 11, 18, 9, 0, tzinfo=TZ)  # a Tuesday morning
DAY = date(2025, 11, 17)
LIST_API = "/open-apis/vc/v1/resource_reservation_list"


@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    sandbox = Sandbox.start(seed=7, rooms=60, clock=lambda: NOW)
    yield sandbox
    sandbox.stop()


def make_services(sb: Sandbox, url: str, clock: SettableClock | None = None, *,
                  privacy: PrivacySettings | None = None, digest: DigestSettings | None = None,
                  week_known: bool = True) -> Responder:
    """Responder on the sandbox with a fixed clock; by default the earlier week's no-shows are known."""
    settings = Settings(feishu=sb.feishu_settings(), storage=StorageSettings(url),
                        privacy=privacy or PrivacySettings(), digest=digest or DigestSettings())
    services = Responder.build(settings, clock=lambda: NOW,
                               store=Store.open(url, clock=clock or SettableClock(NOW.timestamp())))
    if week_known:
        for n in range(2, 7):
            services.store.put_fact(NO_SHOW_ROWS, DAY - timedelta(days=n), [])
    return services


@pytest.fixture(autouse=True)
def no_faults_left(sb: Sandbox) -> Iterator[None]:
    yield
    sb.faults.clear()


@pytest.fixture
def services(sb: Sandbox, tmp_path: Path) -> Iterator[Responder]:
    made = make_services(sb, f"sqlite:///{tmp_path / 'roombot.db'}")
    yield made
    made.store.close()


def sent_to(sb: Sandbox, chat_id: str) -> list:
    return [record for record in sb.sent if record.chat_id == chat_id or record.receive_id == chat_id]


def test_each_subscription_gets_one_card_and_a_rerun_sends_and_fetches_nothing(
        sb: Sandbox, services: Responder) -> None:
    services.store.add_subscription("oc_d1", chat_type="group", lang="zh")
    services.store.add_subscription("oc_d2", chat_type="p2p", lang="en", kinds=("no_shows",))
    run = run_digests(services)
    assert run.day == DAY and run.method == "paging" and not run.failed
    assert sorted(chat for chat, _, _ in run.sent) == ["oc_d1", "oc_d2"]
    [first] = sent_to(sb, "oc_d1")
    assert first.msg_type == "interactive" and first.uuid and len(first.uuid) <= 50
    text = json.dumps(first.content, ensure_ascii=False)
    assert "会议室日报" in text and "未签到" in text
    assert "early release" not in json.dumps(sent_to(sb, "oc_d2")[0].content).lower()
    calls = services.gateway.calls.total
    again = run_digests(services)
    assert again.sent == [] and len(again.skipped) == 2
    assert services.gateway.calls.total == calls  # nothing fetched for digests already sent
    assert len(sent_to(sb, "oc_d1")) == 1


def test_numbers_match_the_tenant_ground_truth(sb: Sandbox, services: Responder) -> None:
    services.store.add_subscription("oc_truth", lang="en")
    run = run_digests(services, dry_run=True)
    truth = analyse(sb.tenant.reservations_on(DAY), [DAY], TZ)
    body = json.dumps(run.cards[0], ensure_ascii=False)
    assert f"{truth.totals.no_shows} no-show" in body
    assert f"{truth.totals.early_releases} early release" in body
    assert run.sent == [] and sb.sent == [] or not sent_to(sb, "oc_truth")
    assert services.store.digest_status("oc_truth", DAY, "daily:tenant") is None


def test_removed_chat_is_deactivated_and_others_still_get_theirs(sb: Sandbox, services: Responder) -> None:
    services.store.add_subscription("oc_gone", lang="en")
    services.store.add_subscription("oc_stays", lang="en")
    sb.remove_bot_from("oc_gone")
    run = run_digests(services)
    assert run.deactivated == ["oc_gone"]
    assert [chat for chat, _, _ in run.sent] == ["oc_stays"]
    assert services.store.subscriptions("oc_gone") == []
    assert not services.store.subscriptions("oc_gone", active_only=False)[0].active


def test_dissolved_chat_is_deactivated(sb: Sandbox, services: Responder) -> None:
    services.store.add_subscription("oc_dissolved", lang="zh")
    sb.dissolve("oc_dissolved")
    run = run_digests(services, chat_id="oc_dissolved")
    assert run.deactivated == ["oc_dissolved"] and run.sent == []


def test_crashed_send_is_retried_after_the_lease_with_the_same_uuid(sb: Sandbox, tmp_path: Path) -> None:
    clock = SettableClock(NOW.timestamp())
    services = make_services(sb, f"sqlite:///{tmp_path / 'crash.db'}", clock)
    sub = services.store.add_subscription("oc_crash", lang="en")
    crashed = services.store.claim_digest("oc_crash", DAY, digest_kind(sub))  # a run died here
    assert crashed is not None
    assert run_digests(services).sent == []  # still leased to the crashed run
    clock.advance(3600)
    run = run_digests(services)
    assert [chat for chat, _, _ in run.sent] == ["oc_crash"]
    assert sent_to(sb, "oc_crash")[0].uuid == crashed.uuid


def test_no_data_means_nothing_posted(sb: Sandbox, services: Responder) -> None:
    services.store.add_subscription("oc_nodata", lang="en")
    sb.faults.inject("resource_reservation_list", "permission", times=10)
    run = run_digests(services)
    assert run.failed and run.failed[0][0] == "*" and run.sent == []
    assert sent_to(sb, "oc_nodata") == []
    assert services.store.digest_status("oc_nodata", DAY, "daily:tenant") is None


def test_export_path_equals_paging_path(sb: Sandbox, services: Responder) -> None:
    paged, _ = fetch_rows(services, DAY - timedelta(days=1), DAY, lambda _m: None, export=False)
    exported, method = fetch_rows(services, DAY - timedelta(days=1), DAY, lambda _m: None, export=True)
    assert method == "export"
    directory = services.directory.get()
    by_page = analyse(paged, [DAY], TZ, directory)
    by_export = analyse(exported, [DAY], TZ, directory)
    assert by_export.totals == by_page.totals
    assert [(g.key, g.counts) for g in by_export.rooms] == [(g.key, g.counts) for g in by_page.rooms]
    assert [(g.label, g.counts) for g in by_export.reservers] == [(g.label, g.counts) for g in by_page.reservers]
    week = offenders(no_show_marks(paged, TZ), DAY - timedelta(days=1), DAY)
    assert week == offenders(no_show_marks(exported, TZ), DAY - timedelta(days=1), DAY)


def test_big_tenant_uses_the_export_and_a_failed_export_falls_back_to_paging(
        sb: Sandbox, tmp_path: Path) -> None:
    services = make_services(sb, f"sqlite:///{tmp_path / 'big.db'}",
                             digest=DigestSettings(export_threshold=10))
    services.store.add_subscription("oc_big", lang="en")
    services.store.add_subscription("oc_big2", lang="en")
    assert run_digests(services, dry_run=True).method == "export"
    sb.faults.inject("exports/resource_reservation_list", "permission", times=1)
    run = run_digests(services)
    assert run.method == "export->paging" and len(run.sent) == 2


def test_week_of_no_shows_is_fetched_once_then_remembered(sb: Sandbox, tmp_path: Path) -> None:
    services = make_services(sb, f"sqlite:///{tmp_path / 'week.db'}", week_known=False)
    services.store.add_subscription("oc_week", lang="en")
    first = run_digests(services, dry_run=True)
    assert "Repeated no-shows (7 days)" in json.dumps(first.cards[0])
    exports = services.gateway.calls.by_path.get("/open-apis/vc/v1/exports/resource_reservation_list", 0)
    assert exports == 1  # the five older days in one export
    assert len(services.store.facts(NO_SHOW_ROWS, DAY - timedelta(days=6), DAY)) == 7
    assert len(services.store.facts(ROOM_COUNTS, DAY - timedelta(days=6), DAY)) == 7
    two_days = services.gateway.calls.by_path[LIST_API]  # the digest day and the day before, paged
    again = run_digests(services, dry_run=True)
    one_day = services.gateway.calls.by_path[LIST_API] - two_days
    assert 0 < one_day < two_days  # only the digest day: the day before is remembered
    assert services.gateway.calls.by_path.get("/open-apis/vc/v1/exports/resource_reservation_list") == 1
    assert again.cards == first.cards  # the remembered day gives the same change numbers


@pytest.mark.parametrize(("mode", "chat_type", "names_shown"), [
    ("all", "group", True), ("dm_only", "group", False), ("dm_only", "p2p", True),
    ("counts_only", "p2p", False)])
def test_privacy_of_reserver_names(sb: Sandbox, tmp_path: Path, mode: str, chat_type: str,
                                   names_shown: bool) -> None:
    services = make_services(sb, f"sqlite:///{tmp_path / 'privacy.db'}",
                             privacy=PrivacySettings(reserver_names=mode))
    services.store.add_subscription("oc_priv", chat_type=chat_type, lang="en")
    body = json.dumps(run_digests(services, dry_run=True).cards[0], ensure_ascii=False)
    names = {u.name for u in sb.tenant.users}
    assert any(name in body for name in names) == names_shown
    assert ("Repeated no-shows" in body) == names_shown  # not shown (nor fetched) when names are not


def test_floor_subscription_counts_only_its_rooms(sb: Sandbox, services: Responder) -> None:
    directory = services.directory.get()
    floor = next(level for level in directory.levels if level.name == "4F" and directory.rooms_under(level.level_id))
    services.store.add_subscription("oc_floor", level_id=floor.level_id, level_label="4F", lang="en")
    services.store.add_subscription("oc_all", lang="en")
    run = run_digests(services, dry_run=True)
    floor_rooms = {room.room_id for room in directory.rooms_under(floor.level_id)}
    truth = analyse([r for r in sb.tenant.reservations_on(DAY) if r.room_id in floor_rooms], [DAY], TZ)
    floor_card = json.dumps(run.cards[0], ensure_ascii=False)
    assert f"{truth.totals.no_shows} no-show" in floor_card
    assert floor_card != json.dumps(run.cards[1], ensure_ascii=False)


def _two_concurrent_runs(sb: Sandbox, url: str) -> list[DigestRun]:
    runners = [make_services(sb, url) for _ in range(2)]
    results: list[DigestRun] = []
    barrier = threading.Barrier(2)

    def go(services: Responder) -> None:
        barrier.wait()
        results.append(run_digests(services))

    threads = [threading.Thread(target=go, args=(s,)) for s in runners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    for services in runners:
        services.store.close()
    return results


def test_two_concurrent_runs_send_each_digest_once(sb: Sandbox, store_url: str) -> None:
    chats = [f"oc_race_{store_url[:5]}_{i}" for i in range(6)]
    with Store.open(store_url) as setup:
        for chat in chats:
            setup.add_subscription(chat, lang="en")
    results = _two_concurrent_runs(sb, store_url)
    sent = sorted(chat for run in results for chat, _, _ in run.sent)
    assert sent == sorted(chats)  # the store, not Feishu's uuid dedupe, kept it to one each
    assert all(len(sent_to(sb, chat)) == 1 for chat in chats)


def test_run_for_one_time_of_day_only(sb: Sandbox, services: Responder) -> None:
    services.store.add_subscription("oc_at9", at="09:00", lang="en")
    services.store.add_subscription("oc_at10", at="10:00", lang="en")
    run = run_digests(services, at="10:00", dry_run=True)
    assert len(run.cards) == 1
    assert replace(run, cards=[]).failed == []


def test_a_room_missing_from_the_snapshot_makes_the_directory_list_again(
        sb: Sandbox, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'snap.db'}"
    clock = SettableClock(NOW.timestamp())
    services = make_services(sb, url, clock, digest=DigestSettings(export_threshold=10))
    rooms, levels = list(sb.tenant.rooms), list(sb.tenant.levels)
    clock.advance(-2 * 3600)  # listed two hours ago, before rooms[0] was added
    services.store.save_directory("0", rooms[1:], levels)
    clock.advance(2 * 3600)
    services.store.add_subscription("oc_snap", lang="en")
    run = run_digests(services, dry_run=True)
    listed = services.gateway.calls.by_path.get("/open-apis/vc/v1/rooms", 0)
    assert run.method == "export" and listed > 0  # the new room's name was not in the snapshot
    assert services.directory.get().room(rooms[0].room_id) is not None
    truth = analyse(sb.tenant.reservations_on(DAY), [DAY], TZ)
    assert f"{truth.totals.no_shows} no-show" in json.dumps(run.cards[0])
    again = make_services(sb, url, clock, digest=DigestSettings(export_threshold=10))
    run_digests(again, dry_run=True)
    assert again.gateway.calls.by_path.get("/open-apis/vc/v1/rooms", 0) == 0  # the snapshot knows it now
