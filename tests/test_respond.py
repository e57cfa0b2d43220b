"""The Responder's chat path: a room added in Feishu after the directory was cached is found by the
next question naming it, and names that are in no listing do not make it re-list over and over."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.config import Settings
from bot.directory.cache import DirectoryCache
from bot.directory.snapshot import RECHECK_AGE
from bot.directory.tree import Directory
from bot.feishu.gateway import FeishuGateway
from bot.respond import Responder
from bot.sandbox import Sandbox
from bot.store import Store
from tests.clocks import SettableClock

ROOMS_API = "/open-apis/vc/v1/rooms"
NO_SUCH_ROOM = "No such room"


@pytest.fixture
def store_clock() -> SettableClock:
    """The store's clock (epoch seconds): how old the saved directory snapshot is."""
    return SettableClock(1_800_000_000.0)


@pytest.fixture
def responder(sandbox: Sandbox, store_clock: SettableClock) -> Iterator[Responder]:
    """A Responder wired as in production: its directory comes from the store's snapshot."""
    with Store.open("sqlite:///:memory:", clock=store_clock) as store:
        yield Responder.build(Settings(sandbox.feishu_settings()), store=store)


def title(card: dict[str, Any]) -> str:
    return str(card["header"]["title"]["content"])


def rooms_listed(responder: Responder) -> int:
    return responder.gateway.calls.by_path.get(ROOMS_API, 0)


def test_a_room_added_in_feishu_is_found_by_the_next_question_naming_it(
        sandbox: Sandbox, responder: Responder, store_clock: SettableClock) -> None:
    assert title(responder.card_for_text("who booked Mercury today")) == "Who booked Mercury"
    floor = sandbox.tenant.level_by_name("4F", "T2")
    assert floor is not None
    sandbox.tenant.directory.add_room("Zephyr", 8, floor)
    store_clock.advance(RECHECK_AGE + 1)  # a snapshot saved minutes ago counts as current
    listed = rooms_listed(responder)
    assert title(responder.card_for_text("who booked Zephyr today")) == "Who booked Zephyr"
    assert rooms_listed(responder) == listed + 1
    assert title(responder.card_for_text("Zephyr 现在空吗")) != NO_SUCH_ROOM
    assert rooms_listed(responder) == listed + 1  # now in the cached directory


def test_names_in_no_listing_re_list_at_most_once_per_min_refresh_seconds(
        responder: Responder, store_clock: SettableClock) -> None:
    responder.card_for_text("who booked Mercury today")
    store_clock.advance(RECHECK_AGE + 1)
    listed = rooms_listed(responder)
    assert title(responder.card_for_text("who booked Narnia today")) == NO_SUCH_ROOM
    assert rooms_listed(responder) == listed + 1
    assert title(responder.card_for_text("who booked Narnia today")) == NO_SUCH_ROOM
    store_clock.advance(RECHECK_AGE + 1)  # the snapshot would allow another listing...
    assert title(responder.card_for_text("is Atlantis free now")) == NO_SUCH_ROOM
    assert rooms_listed(responder) == listed + 1  # ...but this process re-listed moments ago


def test_a_failed_re_listing_still_answers_no_such_room(sandbox: Sandbox) -> None:
    gateway = FeishuGateway(sandbox.feishu_settings(), tz=ZoneInfo("Asia/Shanghai"),
                            sleep=lambda _seconds: None)
    directory = DirectoryCache(lambda: Directory.load(gateway, "0"))
    with Store.open("sqlite:///:memory:") as store:
        responder = Responder(Settings(sandbox.feishu_settings()), gateway, directory, store,
                              sandbox.now)
        responder.card_for_text("who booked Mercury today")
        sandbox.faults.inject("/vc/v1/room", "permission", times=10)
        assert title(responder.card_for_text("who booked Narnia today")) == NO_SUCH_ROOM
