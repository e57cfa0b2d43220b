"""Feishu failures become an honest error card in the one place that makes them (the Responder),
never a crash or a wrong answer."""
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from bot.answer import router
from bot.answer.windows import whole_day
from bot.config import Settings
from bot.directory.cache import DirectoryCache
from bot.directory.tree import Directory
from bot.feishu.errors import FeishuUnavailable
from bot.feishu.gateway import FeishuGateway
from bot.queries import Help, WhoBooked
from bot.respond import Responder
from bot.sandbox import Sandbox
from bot.store import Store
from tests.answer.conftest import NOW, fixed_clock


@pytest.fixture
def responder(sb: Sandbox, gateway: FeishuGateway, directory: Directory) -> Iterator[Responder]:
    store = Store.open("sqlite:///:memory:")
    yield Responder(Settings(sb.feishu_settings()), gateway, DirectoryCache(lambda: directory),
                    store, fixed_clock)
    store.close()


def card_of(responder: Responder, text: str) -> tuple[dict[str, Any], str]:
    card = responder.card_for_text(text)
    return card, json.dumps(card, ensure_ascii=False)


def test_bad_gateway_gives_unavailable_card_with_log_id(sb: Sandbox, responder: Responder) -> None:
    sb.faults.inject("resource_reservation_list", "bad_gateway", times=10)
    card, text = card_of(responder, "who booked Mercury today")
    assert card["header"]["template"] in ("red", "orange", "yellow")
    assert "Feishu is unavailable" in text


def test_rate_limit_says_when_to_try_again(sb: Sandbox, responder: Responder) -> None:
    sb.faults.inject("freebusy", "rate_limit", times=10, reset=30)
    _card, text = card_of(responder, "Oslo现在有空吗")
    assert "秒后再试" in text


def test_missing_permission_names_the_scope(sb: Sandbox, responder: Responder) -> None:
    sb.faults.inject("freebusy", "permission", times=10)
    _card, text = card_of(responder, "find a room for 4 people now")
    assert "calendar:room:readonly" in text or "scope" in text.lower()


def test_answers_raise_feishu_errors_for_the_responder_to_turn_into_cards(
        sb: Sandbox, ctx: Any, directory: Directory) -> None:
    sb.faults.inject("resource_reservation_list", "bad_gateway", times=10)
    mercury = directory.room_place(directory.room_by_name("Mercury"))
    with pytest.raises(FeishuUnavailable):
        router.answer(WhoBooked("en", mercury, whole_day(NOW)), ctx())


def test_transient_server_error_is_retried_by_the_gateway(sb: Sandbox, ctx: Any,
                                                          directory: Directory) -> None:
    sb.faults.inject("resource_reservation_list", "server_error", times=1)
    mercury = directory.room_place(directory.room_by_name("Mercury"))
    reply = router.answer(WhoBooked("en", mercury, whole_day(NOW)), ctx())
    assert reply.card == "who_booked"


def test_help_needs_no_feishu_call(ctx: Any, gateway: FeishuGateway) -> None:
    reply = router.answer(Help("en"), ctx())
    assert reply.card == "help" and gateway.calls.total == 0
