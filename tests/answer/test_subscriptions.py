"""Subscription commands in both languages, at the answer level: parse -> answer -> card."""
from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from fakes import NOW, CannedGateway, context, directory

from bot.answer.subscriptions import (
    answer_list_subscriptions,
    answer_subscribe,
    answer_unsubscribe,
)
from bot.cards import render
from bot.config import DigestSettings
from bot.queries import ListSubscriptions, Subscribe, Unsubscribe
from bot.store import Store
from bot.understand import parse


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(f"sqlite:///{tmp_path / 'subs.db'}") as opened:
        yield opened


def ctx_for(store: Store, chat_type: str = "group", user: str = "ou_alice", admins: tuple = ()):
    base = context(CannedGateway(), chat_type=chat_type)
    settings = replace(base.settings, digest=DigestSettings(admins=admins))
    return replace(base, store=store, chat_id="oc_team", user_open_id=user, settings=settings)


def ask(text: str, ctx):
    query = parse(text, NOW, directory())
    handler = {Subscribe: answer_subscribe, Unsubscribe: answer_unsubscribe,
               ListSubscriptions: answer_list_subscriptions}[type(query)]
    reply = handler(query, ctx)
    return reply, json.dumps(render(reply), ensure_ascii=False)


@pytest.mark.parametrize(("text", "at", "lang", "words"), [
    ("subscribe this chat to the daily report at 9:30", "09:30", "en", "every day at **09:30**"),
    ("订阅日报 9:30", "09:30", "zh", "每天 **09:30**"),
    ("订阅会议室日报，每天早上9点半", "09:30", "zh", "已订阅会议室日报"),
])
def test_subscribe_in_both_languages(store: Store, text: str, at: str, lang: str, words: str) -> None:
    reply, card = ask(text, ctx_for(store))
    assert reply.lang == lang and words in card
    [sub] = store.subscriptions("oc_team")
    assert (sub.at, sub.lang, sub.chat_type, sub.created_by, sub.level_id) == (at, lang, "group", "ou_alice", "")


def test_subscribing_again_updates_the_time(store: Store) -> None:
    ask("订阅日报 9:30", ctx_for(store))
    ask("subscribe this chat to the daily report at 8:00", ctx_for(store))
    [sub] = store.subscriptions("oc_team")
    assert (sub.at, sub.lang) == ("08:00", "en")


def test_default_time_comes_from_settings(store: Store) -> None:
    answer_subscribe(Subscribe("en"), ctx_for(store))
    assert store.subscriptions("oc_team")[0].at == "09:00"


def test_a_floor_subscription_and_its_kinds(store: Store) -> None:
    _, card = ask("subscribe 4F no-shows at 8:00", ctx_for(store))
    [sub] = store.subscriptions("oc_team")
    assert (sub.level_id, sub.level_label, sub.kinds) == ("lvl_4f", "T2 · 4F", ("no_shows",))
    assert "T2 · 4F" in card and "early releases" not in card


@pytest.mark.parametrize("text", ["取消订阅", "unsubscribe"])
def test_unsubscribe_in_both_languages(store: Store, text: str) -> None:
    ask("订阅日报 9:30", ctx_for(store))
    reply, card = ask(text, ctx_for(store))
    assert reply.data["status"] == "unsubscribed" and store.subscriptions("oc_team") == []
    assert ("已退订" if text == "取消订阅" else "Unsubscribed") in card
    reply, _ = ask(text, ctx_for(store))
    assert reply.data["status"] == "nothing_to_remove"


def test_unsubscribe_one_place_keeps_the_others(store: Store) -> None:
    ask("subscribe 4F no-shows at 8:00", ctx_for(store))
    ask("subscribe this chat to the daily report at 9:30", ctx_for(store))
    place = directory().level_place(directory().level("lvl_4f"))
    answer_unsubscribe(Unsubscribe("en", place), ctx_for(store))
    assert [s.level_id for s in store.subscriptions("oc_team")] == [""]


@pytest.mark.parametrize(("text", "words"), [("我的订阅", "日报订阅"), ("list subscriptions", "Digest subscriptions")])
def test_list_subscriptions(store: Store, text: str, words: str) -> None:
    _, empty = ask(text, ctx_for(store))
    assert words in empty
    ask("订阅日报 9:30", ctx_for(store))
    _, card = ask(text, ctx_for(store))
    assert "09:30" in card


def test_only_admins_may_subscribe_a_group_when_an_allow_list_is_set(store: Store) -> None:
    reply, card = ask("订阅日报 9:30", ctx_for(store, user="ou_bob", admins=("ou_alice",)))
    assert reply.data["status"] == "not_allowed" and store.subscriptions() == []
    assert "管理员" in card
    ask("订阅日报 9:30", ctx_for(store, user="ou_alice", admins=("ou_alice",)))
    assert len(store.subscriptions()) == 1
    reply, _ = ask("取消订阅", ctx_for(store, user="ou_bob", admins=("ou_alice",)))
    assert reply.data["status"] == "not_allowed" and len(store.subscriptions()) == 1
    ask("订阅日报 9:30", ctx_for(store, chat_type="p2p", user="ou_bob", admins=("ou_alice",)))
    assert len(store.subscriptions()) == 1  # a p2p chat is the user's own: allowed (same chat id here)
