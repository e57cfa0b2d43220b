"""The day-ledger cache: single flight, expiry, the Refresh bypass, whole-tenant reads."""
from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from feishu_helpers import NOW, SH, fixed_clock

from bot.answer import AnswerContext
from bot.answer.who_booked import WHOLE_TENANT_ROOMS, answer_who_booked
from bot.answer.windows import whole_day
from bot.config import Settings
from bot.directory.tree import Directory
from bot.feishu.errors import FeishuUnavailable, RateLimited
from bot.feishu.gateway import API_RESERVATIONS, FeishuGateway
from bot.feishu.ledger import LedgerCache
from bot.queries import WhoBooked
from bot.render.cards import render
from bot.render.text import card_to_text
from bot.sandbox import Sandbox
from tests.clocks import SettableClock
from tests.e2e.harness import start_bot

TODAY = whole_day(NOW, "today")
MIDNIGHT = TODAY.start


class Fetches:
    """A fetch function that counts its calls and can be held until released."""

    def __init__(self, rows: tuple = (), error: Exception | None = None) -> None:
        self.count = 0
        self.rows, self.error = rows, error
        self.release = threading.Event()
        self.release.set()
        self._lock = threading.Lock()

    def __call__(self) -> tuple:
        with self._lock:
            self.count += 1
        self.release.wait(10)
        if self.error is not None:
            raise self.error
        return self.rows


def concurrently(n: int, read: object) -> list:
    with ThreadPoolExecutor(max_workers=n) as pool:
        futures = [pool.submit(read) for _ in range(n)]  # type: ignore[arg-type]
        return [f.exception() or f.result() for f in futures]


# -- the cache alone ------------------------------------------------------------------------------

def test_concurrent_identical_reads_share_one_call() -> None:
    cache, fetch = LedgerCache(60), Fetches(rows=("row",))
    fetch.release.clear()  # the first read is held in flight while the others arrive
    threading.Timer(0.3, fetch.release.set).start()
    results = concurrently(20, lambda: cache.read("day", fetch))
    assert fetch.count == 1
    assert all(r.rows == ("row",) and r.age_seconds == 0.0 for r in results)


def test_a_cached_day_answers_until_it_expires_and_says_how_old() -> None:
    clock = SettableClock(1000.0)
    cache, fetch = LedgerCache(60, monotonic=clock), Fetches(rows=("row",))
    assert cache.read("day", fetch).age_seconds == 0.0
    clock.advance(35)
    again = cache.read("day", fetch)
    assert fetch.count == 1 and again.age_seconds == 35.0
    clock.advance(25)  # 60 s after the read: expired
    assert cache.read("day", fetch).age_seconds == 0.0 and fetch.count == 2
    assert cache.read("other day", fetch) and fetch.count == 3  # keys do not mix


def test_refresh_bypasses_the_cache_and_its_result_is_kept() -> None:
    clock = SettableClock(1000.0)
    cache = LedgerCache(60, monotonic=clock)
    cache.read("day", Fetches(rows=("old",)))
    clock.advance(30)
    fresh = cache.read("day", Fetches(rows=("new",)), fresh=True)
    assert fresh.rows == ("new",) and fresh.age_seconds == 0.0
    clock.advance(5)
    later = cache.read("day", Fetches(rows=("never read",)))
    assert later.rows == ("new",) and later.age_seconds == 5.0


def test_a_failed_read_is_shared_by_those_waiting_and_not_cached() -> None:
    cache = LedgerCache(60)
    failing = Fetches(error=RateLimited(99991400, "slow down", "log-1", 429, retry_after=1))
    failing.release.clear()
    threading.Timer(0.3, failing.release.set).start()
    results = concurrently(8, lambda: cache.read("day", failing))
    assert failing.count == 1 and all(isinstance(r, RateLimited) for r in results)
    assert cache.read("day", Fetches(rows=("row",))).rows == ("row",)  # tried again


def test_ttl_zero_turns_sharing_and_caching_off() -> None:
    cache, fetch = LedgerCache(0), Fetches(rows=("row",))
    for _ in range(3):
        cache.read("day", fetch)
    assert fetch.count == 3 and not cache.enabled


# -- through the gateway and the answer ----------------------------------------------------------

@pytest.fixture(scope="module")
def small() -> Iterator[Sandbox]:
    """A 40-room tenant, as in the nine o'clock rush."""
    sandbox = Sandbox.start(seed=7, rooms=40, clock=fixed_clock)
    yield sandbox
    sandbox.stop()


def gateway(sb: Sandbox, ttl: float = 60, clock: SettableClock | None = None) -> FeishuGateway:
    return FeishuGateway(sb.feishu_settings(), tz=SH, clock=fixed_clock, time_budget=10.0,
                         ledger_cache_seconds=ttl, sleep=lambda _s: None,
                         **({"monotonic": clock} if clock else {}))


def context(sb: Sandbox, gw: FeishuGateway, directory: Directory, fresh: bool = False
            ) -> AnswerContext:
    return AnswerContext(gateway=gw, directory=directory, settings=Settings(sb.feishu_settings()),
                         now=NOW, fresh=fresh)


def list_calls(sb: Sandbox) -> int:
    return len(sb.calls_to("resource_reservation_list"))


def test_concurrent_identical_gateway_reads_make_one_feishu_read(small: Sandbox) -> None:
    gw = gateway(small)
    small.faults.latency = 0.2
    try:
        before = list_calls(small)
        results = concurrently(10, lambda: gw.ledger("0", MIDNIGHT, TODAY.end))
    finally:
        small.faults.latency = 0.0
    pages = -(-len(small.tenant.reservations_on(NOW.date())) // 100)  # 100 rows a page
    assert list_calls(small) - before == pages == gw.calls.by_path[API_RESERVATIONS]
    assert len({r.rows for r in results}) == 1 and results[0].rows


def test_small_tenant_one_read_of_the_day_answers_every_room(small: Sandbox) -> None:
    gw = gateway(small)
    directory = Directory.load(gw, "0")
    assert len(directory.rooms) <= WHOLE_TENANT_ROOMS
    before = list_calls(small)
    truth = small.tenant.reservations_on(NOW.date())
    for room in directory.rooms:
        data = answer_who_booked(WhoBooked("en", directory.room_place(room), TODAY),
                                 context(small, gw, directory)).data
        mine = [r for r in truth if r.room_id == room.room_id]
        assert [(row["start"], row["who"]) for row in data["rows"]] == [
            (r.start, r.reserver) for r in mine]
    calls = small.calls_to("resource_reservation_list")[before:]
    assert len(calls) == -(-len(truth) // 100)  # the tenant's day, 100 rows a page
    assert all(c.query["is_exclude"][0].lower() == "true" for c in calls)  # the whole tenant


def test_a_bigger_tenant_is_read_room_by_room_but_still_cached() -> None:
    sb = Sandbox.start(seed=7, rooms=WHOLE_TENANT_ROOMS + 20, clock=fixed_clock)
    try:
        gw = gateway(sb)
        directory = Directory.load(gw, "0")
        mercury, oslo = directory.room_by_name("Mercury"), directory.room_by_name("Oslo")
        before = list_calls(sb)
        for room in (mercury, oslo, mercury, oslo):
            answer_who_booked(WhoBooked("en", directory.room_place(room), TODAY),
                              context(sb, gw, directory))
        calls = sb.calls_to("resource_reservation_list")[before:]
        assert [c.query["room_ids"] for c in calls] == [[mercury.room_id], [oslo.room_id]]
    finally:
        sb.stop()


def test_a_cached_answer_says_how_old_it_is_and_refresh_reads_again(small: Sandbox) -> None:
    clock = SettableClock(1000.0)
    gw = gateway(small, clock=clock)
    directory = Directory.load(gw, "0")
    place = directory.room_place(directory.room_by_name("Mercury"))
    first = answer_who_booked(WhoBooked("en", place, TODAY), context(small, gw, directory))
    assert first.data["data_age"] == 0 and "ago" not in str(card_to_text(render(first)))
    clock.advance(42)
    before = list_calls(small)
    cached = answer_who_booked(WhoBooked("zh", place, TODAY), context(small, gw, directory))
    assert list_calls(small) == before and cached.data["rows"] == first.data["rows"]
    assert "42 秒前从飞书读取" in str(card_to_text(render(cached)))
    english = answer_who_booked(WhoBooked("en", place, TODAY), context(small, gw, directory))
    assert "as read from Feishu 42 s ago" in str(card_to_text(render(english)))
    refreshed = answer_who_booked(WhoBooked("en", place, TODAY),
                                  context(small, gw, directory, fresh=True))
    assert list_calls(small) > before and refreshed.data["data_age"] == 0
    refresh = [b for b in refreshed.data["buttons"] if b["key"] == "refresh"]
    assert refresh and refresh[0]["value"]["fresh"] is True
    others = [b for b in refreshed.data["buttons"] if b["key"] != "refresh"]
    assert others and all("fresh" not in b["value"] for b in others)


def test_yesterday_and_today_are_cached_as_separate_days(small: Sandbox) -> None:
    gw = gateway(small)
    before = list_calls(small)
    both = gw.ledger("0", MIDNIGHT - timedelta(days=1), TODAY.end)
    gw.ledger("0", MIDNIGHT, TODAY.end)  # today again: cached
    gw.ledger("0", MIDNIGHT - timedelta(days=1), MIDNIGHT)  # yesterday again: cached
    yesterday = small.tenant.reservations_on((NOW - timedelta(days=1)).date())
    today = small.tenant.reservations_on(NOW.date())
    pages = -(-len(yesterday) // 100) + -(-len(today) // 100)
    assert list_calls(small) - before == pages
    assert len(both.rows) <= len(yesterday) + len(today)


def test_errors_are_not_cached(small: Sandbox) -> None:
    gw = gateway(small)
    small.faults.inject("resource_reservation_list", "bad_gateway", times=20)
    try:
        with pytest.raises(FeishuUnavailable):
            gw.ledger("0", MIDNIGHT, TODAY.end)
    finally:
        small.faults.clear()
    assert gw.ledger("0", MIDNIGHT, TODAY.end).rows


def test_the_cards_refresh_button_reads_feishu_again(sandbox: Sandbox, tmp_path: Path) -> None:
    bot = start_bot(sandbox, tmp_path)  # the shipped settings: ledger_cache_seconds = 60
    try:
        bot.ask("who booked Mercury today")
        before = list_calls(sandbox)
        again = bot.ask("who booked Mercury today")
        assert list_calls(sandbox) == before  # answered from the cache
        label, value = card_to_text(again.content).buttons[0]
        assert label == "Refresh" and value["fresh"] is True
        click = bot.pusher.card_action(value, message_id=again.message_id, chat_id=again.chat_id)
        assert click.status == 200 and "Mercury" in str(click.json)
        assert list_calls(sandbox) > before  # the click read Feishu
        assert "as read from Feishu" not in str(click.json)
    finally:
        bot.stop()
