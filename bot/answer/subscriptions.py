"""Subscribe, unsubscribe and list this chat's daily and weekly digests."""
from __future__ import annotations

from typing import Any

from bot.answer import AnswerContext
from bot.queries import ListSubscriptions, Place, Reply, Subscribe, Unsubscribe
from bot.store import Store, Subscription

KIND_ORDER = ("no_shows", "early_releases")


def _store(ctx: AnswerContext) -> Store:
    if ctx.store is None:
        raise RuntimeError("subscriptions need a store in the AnswerContext")
    return ctx.store


def may_manage(ctx: AnswerContext) -> bool:
    """Anyone may manage their own p2p chat; a group needs an admin when an allow-list is set."""
    admins = ctx.settings.digest.admins
    return ctx.chat_type == "p2p" or not admins or ctx.user_open_id in admins


def level_of(place: Place, ctx: AnswerContext) -> tuple[str, str]:
    """(level_id, label) a subscription stores: a room is followed through its floor."""
    if place.kind == "tenant":
        return "", ""
    if place.kind == "room":
        room = ctx.directory.room(place.id)
        level = ctx.directory.level(room.level_id) if room else None
        if level is None:
            return "", ""
        return level.level_id, ctx.directory.level_place(level).label
    return place.id, place.label


def _listing(subs: list[Subscription]) -> list[dict[str, Any]]:
    return [{"place": s.level_label, "at": s.at, "kinds": list(s.kinds), "level_id": s.level_id,
             "period": s.period, "weekday": s.weekday} for s in subs]


def _refused(lang: str) -> Reply:
    return Reply("subscription", {"status": "not_allowed", "place": "", "subscriptions": []}, lang)


def answer_subscribe(query: Subscribe, ctx: AnswerContext) -> Reply:
    """Store (or update) this chat's subscription and confirm it."""
    if not may_manage(ctx):
        return _refused(query.lang)
    store = _store(ctx)
    level_id, label = level_of(query.place, ctx)
    at = (query.at or ctx.settings.digest.default_time).strftime("%H:%M")
    kinds = tuple(k for k in KIND_ORDER if k in query.kinds) or KIND_ORDER
    weekday = query.weekday if query.weekday is not None else 0  # weekly: Monday by default
    sub = store.add_subscription(ctx.chat_id, chat_type=ctx.chat_type, level_id=level_id,
                                 level_label=label, kinds=kinds, at=at, lang=query.lang,
                                 created_by=ctx.user_open_id, period=query.period, weekday=weekday)
    data = {"status": "subscribed", "place": sub.level_label, "at": sub.at, "kinds": list(sub.kinds),
            "period": sub.period, "weekday": sub.weekday, "timezone": ctx.settings.bot.timezone,
            "subscriptions": _listing(store.subscriptions(ctx.chat_id))}
    return Reply("subscription", data, query.lang)


def answer_unsubscribe(query: Unsubscribe, ctx: AnswerContext) -> Reply:
    """Remove this chat's subscriptions (all, or the one for a place) and confirm."""
    if not may_manage(ctx):
        return _refused(query.lang)
    store = _store(ctx)
    level_id = None if query.place is None else level_of(query.place, ctx)[0]
    removed = store.remove_subscriptions(ctx.chat_id, level_id, query.period)
    data = {"status": "unsubscribed" if removed else "nothing_to_remove", "removed": removed,
            "place": query.place.label if query.place else "", "period": query.period or "",
            "subscriptions": _listing(store.subscriptions(ctx.chat_id))}
    return Reply("subscription", data, query.lang)


def answer_list_subscriptions(query: ListSubscriptions, ctx: AnswerContext) -> Reply:
    """Show this chat's subscriptions."""
    subs = _store(ctx).subscriptions(ctx.chat_id)
    return Reply("subscriptions", {"subscriptions": _listing(subs),
                                   "timezone": ctx.settings.bot.timezone}, query.lang)
