"""Subscription commands in both languages, at the answer level: parse -> answer -> card.

The chat's subscriptions live in a real SQLite store; the directory is the sandbox tenant's, loaded
through the real gateway. Subscribing never asks Feishu anything, which the tests check too.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.answer import AnswerContext, router
from bot.config import DigestSettings, Settings
from bot.directory.tree import Directory
from bot.feishu.gateway import FeishuGateway
from bot.queries import ListSubscriptions, Place, Reply, Subscribe, Unsubscribe
from bot.render.cards import render
from bot.sandbox import Sandbox
from bot.store import Store
from bot.understand import parse
from tests.answer.conftest import NOW, api_calls

CtxFor = Callable[..., AnswerContext]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(f"sqlite:///{tmp_path / 'subs.db'}") as opened:
        yield opened


@pytest.fixture
def ctx_for(sb: Sandbox, gateway: FeishuGateway, directory: Directory, store: Store) -> CtxFor:
    """An AnswerContext for chat oc_team over the sandbox tenant, with the store and digest admins."""
    def build(chat_type: str = "group", user: str = "ou_alice", admins: tuple = ()) -> AnswerContext:
        settings = Settings(sb.feishu_settings(), digest=DigestSettings(admins=admins))
        return AnswerContext(gateway=gateway, directory=directory, settings=settings, now=NOW,
                             chat_id="oc_team", chat_type=chat_type, user_open_id=user, store=store)
    return build


@pytest.fixture
def t2_4f(directory: Directory) -> Place:
    """Floor 4F of building T2 (the sandbox has a 4F in other buildings too)."""
    for level in directory.levels:
        parent = directory.level(level.parent_id)
        if level.name == "4F" and parent is not None and parent.name == "T2":
            return directory.level_place(level)
    raise AssertionError("the sandbox tenant has floor T2 · 4F")


def ask(text: str, ctx: AnswerContext) -> tuple[Reply, str]:
    """Parse as the bot would, answer through the router, render; Feishu is never asked."""
    query = parse(text, NOW, ctx.directory)
    assert isinstance(query, Subscribe | Unsubscribe | ListSubscriptions), query
    reply = router.answer(query, ctx)
    assert api_calls(ctx.gateway) == {}
    return reply, json.dumps(render(reply), ensure_ascii=False)


@pytest.mark.parametrize(("text", "at", "lang", "words"), [
    ("subscribe this chat to the daily report at 9:30", "09:30", "en", "every day at **09:30**"),
    ("订阅日报 9:30", "09:30", "zh", "每天 **09:30**"),
    ("订阅会议室日报，每天早上9点半", "09:30", "zh", "已订阅会议室日报"),
])
def test_subscribe_in_both_languages(store: Store, ctx_for: CtxFor, text: str, at: str, lang: str,
                                     words: str) -> None:
    reply, card = ask(text, ctx_for())
    assert reply.lang == lang and words in card
    [sub] = store.subscriptions("oc_team")
    assert (sub.at, sub.lang, sub.chat_type, sub.created_by, sub.level_id) == (
        at, lang, "group", "ou_alice", "")


def test_subscribing_again_updates_the_time(store: Store, ctx_for: CtxFor) -> None:
    ask("订阅日报 9:30", ctx_for())
    ask("subscribe this chat to the daily report at 8:00", ctx_for())
    [sub] = store.subscriptions("oc_team")
    assert (sub.at, sub.lang) == ("08:00", "en")


def test_default_time_comes_from_settings(store: Store, ctx_for: CtxFor) -> None:
    router.answer(Subscribe("en"), ctx_for())
    assert store.subscriptions("oc_team")[0].at == "09:00"


def test_a_floor_subscription_and_its_kinds(store: Store, ctx_for: CtxFor, t2_4f: Place) -> None:
    _, card = ask("subscribe T2 4F no-shows at 8:00", ctx_for())
    [sub] = store.subscriptions("oc_team")
    assert (sub.level_id, sub.level_label, sub.kinds) == (t2_4f.id, "T2 · 4F", ("no_shows",))
    assert "T2 · 4F" in card and "early releases" not in card


@pytest.mark.parametrize("text", ["取消订阅", "unsubscribe"])
def test_unsubscribe_in_both_languages(store: Store, ctx_for: CtxFor, text: str) -> None:
    ask("订阅日报 9:30", ctx_for())
    reply, card = ask(text, ctx_for())
    assert reply.data["status"] == "unsubscribed" and store.subscriptions("oc_team") == []
    assert ("已退订" if text == "取消订阅" else "Unsubscribed") in card
    reply, _ = ask(text, ctx_for())
    assert reply.data["status"] == "nothing_to_remove"


def test_unsubscribe_one_place_keeps_the_others(store: Store, ctx_for: CtxFor, t2_4f: Place) -> None:
    ask("subscribe T2 4F no-shows at 8:00", ctx_for())
    ask("subscribe this chat to the daily report at 9:30", ctx_for())
    assert len(store.subscriptions("oc_team")) == 2
    router.answer(Unsubscribe("en", t2_4f), ctx_for())
    assert [s.level_id for s in store.subscriptions("oc_team")] == [""]


@pytest.mark.parametrize(("text", "words"), [("我的订阅", "日报和周报订阅"),
                                             ("list subscriptions", "Digest subscriptions")])
def test_list_subscriptions(ctx_for: CtxFor, text: str, words: str) -> None:
    _, empty = ask(text, ctx_for())
    assert words in empty and "09:30" not in empty
    ask("订阅日报 9:30", ctx_for())
    _, card = ask(text, ctx_for())
    assert "09:30" in card


def test_only_admins_may_subscribe_a_group_when_an_allow_list_is_set(store: Store,
                                                                     ctx_for: CtxFor) -> None:
    reply, card = ask("订阅日报 9:30", ctx_for(user="ou_bob", admins=("ou_alice",)))
    assert reply.data["status"] == "not_allowed" and store.subscriptions() == []
    assert "管理员" in card
    ask("订阅日报 9:30", ctx_for(user="ou_alice", admins=("ou_alice",)))
    assert len(store.subscriptions()) == 1
    reply, _ = ask("取消订阅", ctx_for(user="ou_bob", admins=("ou_alice",)))
    assert reply.data["status"] == "not_allowed" and len(store.subscriptions()) == 1
    reply, _ = ask("订阅日报 9:30", ctx_for(chat_type="p2p", user="ou_bob", admins=("ou_alice",)))
    assert reply.data["status"] == "subscribed" and len(store.subscriptions()) == 1  # a p2p chat is the user's own: allowed (same chat id here)


@pytest.mark.parametrize(("text", "weekday", "at", "lang", "words"), [
    ("subscribe weekly report", 0, "09:00", "en", "every Monday at 09:00"),
    ("subscribe to the weekly report every friday at 5pm", 4, "17:00", "en", "every Friday at 17:00"),
    ("订阅周报", 0, "09:00", "zh", "每周一 09:00"),
    ("订阅周报 每周三 10:30", 2, "10:30", "zh", "每周三 10:30"),
    ("每周五下午5点发周报", 4, "17:00", "zh", "已订阅会议室周报"),
])
def test_subscribe_weekly_in_both_languages(store: Store, ctx_for: CtxFor, text: str, weekday: int,
                                            at: str, lang: str, words: str) -> None:
    reply, card = ask(text, ctx_for())
    assert reply.lang == lang and words in card, card
    [sub] = store.subscriptions("oc_team")
    assert (sub.period, sub.weekday, sub.at, sub.lang) == ("weekly", weekday, at, lang)


def test_daily_and_weekly_are_listed_and_unsubscribed_apart(store: Store, ctx_for: CtxFor,
                                                            t2_4f: Place) -> None:
    ask("订阅日报 9:30", ctx_for())
    ask("subscribe T2 4F weekly report every monday at 10:00", ctx_for())
    ask("订阅周报", ctx_for())
    assert sorted((s.period, s.level_id) for s in store.subscriptions("oc_team")) == [
        ("daily", ""), ("weekly", ""), ("weekly", t2_4f.id)]
    _, listing = ask("我的订阅", ctx_for())
    assert "每天 09:30" in listing and "每周一 10:00" in listing and "周报" in listing
    _, listing = ask("list subscriptions", ctx_for())
    assert "every Monday at 10:00" in listing and "weekly digest" in listing
    reply, card = ask("取消周报", ctx_for())
    assert reply.data["removed"] == 2 and "周报订阅" in card
    assert [s.period for s in store.subscriptions("oc_team")] == ["daily"]
    reply, _ = ask("unsubscribe weekly report", ctx_for())
    assert reply.data["status"] == "nothing_to_remove"
    reply, _ = ask("stop the daily report", ctx_for())
    assert reply.data["removed"] == 1 and store.subscriptions("oc_team") == []
