"""to_event, row by row: Feishu's envelopes become roombot's values; a wrong type is Malformed."""
from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.receive.events import (
    BotAdded,
    BotRemoved,
    CardAction,
    Ignored,
    Inbound,
    IncomingMessage,
    from_payload,
    kind_of,
    strip_mentions,
    to_event,
    to_payload,
)
from bot.receive.verify import Credentials, Malformed, open_request
from bot.sandbox import crypto

EVENT_ID = "5e3702a84e847582be8db7fb73283c02"
MENTION = {"key": "@_user_1", "id": {"union_id": "on_b", "user_id": "e33ggbyz",
                                     "open_id": "ou_bot"}, "name": "roombot", "tenant_key": "t1"}


def envelope(event_type: str, event: Any) -> dict[str, Any]:
    """The schema 2.0 envelope of contract §2.4 (what `EventPusher.envelope` builds)."""
    return {"schema": "2.0",
            "header": {"event_id": EVENT_ID, "event_type": event_type,
                       "create_time": "1608725989000", "token": "vt", "app_id": "cli_9f53",
                       "tenant_key": "2ca1d211f64f6438"},
            "event": event}


def message(**fields: Any) -> dict[str, Any]:
    """im.message.receive_v1 as in contract §2.5; a field set to ... is dropped."""
    body = {"message_id": "om_5ce6", "root_id": "om_r", "parent_id": "om_p",
            "create_time": "1609073151345", "update_time": "1687343654666", "chat_id": "oc_5ce6",
            "thread_id": "omt_d4be", "chat_type": "group", "message_type": "text",
            "content": json.dumps({"text": "@_user_1 who booked 5F today"}),
            "mentions": [MENTION], "user_agent": "Mozilla/5.0 Lark/6.7.5", **fields}
    sender = {"sender_id": {"union_id": "on_8ed6", "user_id": "e33g", "open_id": "ou_84aa"},
              "sender_type": "user", "tenant_key": "736588c9260f175e"}
    return envelope("im.message.receive_v1", {
        "sender": sender, "message": {k: v for k, v in body.items() if v is not ...}})


def card(**action: Any) -> dict[str, Any]:
    """card.action.trigger as in contract §3.1, with `action` fields overridden (or dropped)."""
    fields = {"value": {"cmd": "refresh", "room": "omm_x"}, "tag": "button",
              "name": "Button_lvkepfu3", "form_value": {"Input_lf4": "1234"},
              "timezone": "Asia/Shanghai", **action}
    return envelope("card.action.trigger", {
        "operator": {"tenant_key": "2df7", "user_id": "867", "open_id": "ou_3c14",
                     "union_id": "on_cad4"},
        "token": "c-295ee5",
        "action": {k: v for k, v in fields.items() if v is not ...},
        "host": "im_message",
        "context": {"open_message_id": "om_574d", "open_chat_id": "oc_e4d2"}})


def chat_event(event_type: str, **fields: Any) -> dict[str, Any]:
    """The bot added/removed and chat disbanded events (contract §2.6)."""
    body = {"chat_id": "oc_4138", "operator_id": {"union_id": "on_1", "user_id": "e33g",
                                                  "open_id": "ou_op"},
            "external": False, "operator_tenant_key": "72ud6639", "name": "会议室群",
            "i18n_names": {"zh_cn": "会议室群", "en_us": "Rooms"}, **fields}
    return envelope(event_type, {k: v for k, v in body.items() if v is not ...})


def edit(payload: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy with the field at a dotted path replaced (or removed, for ...)."""
    changed = copy.deepcopy(payload)
    *parents, last = path.split(".")
    node = changed
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    key: Any = int(last) if isinstance(node, list) else last
    if value is ...:
        del node[key]
    else:
        node[key] = value
    return changed


MESSAGE = IncomingMessage(EVENT_ID, "om_5ce6", "oc_5ce6", "group", "ou_84aa", "user", "text",
                          "who booked 5F today", ("ou_bot",), 1609073151345)
CARD = CardAction(EVENT_ID, "c-295ee5", "ou_3c14", "om_574d", "oc_e4d2",
                  {"cmd": "refresh", "room": "omm_x"}, {"Input_lf4": "1234"})

CONVERTED: list[tuple[str, dict[str, Any], Inbound | Ignored]] = [
    ("group text with a mention", message(), MESSAGE),
    ("p2p text", message(chat_type="p2p", mentions=..., content=json.dumps({"text": "hi  5F"})),
     IncomingMessage(EVENT_ID, "om_5ce6", "oc_5ce6", "p2p", "ou_84aa", "user", "text",
                     "hi 5F", (), 1609073151345)),
    ("mentions null", message(mentions=None), replace(MESSAGE, mentioned_open_ids=())),
    ("a mention with an empty open_id is skipped", message(mentions=[
        MENTION, {"key": "@_user_2", "id": {"open_id": ""}}]), MESSAGE),
    ("create_time an int", message(create_time=1609073151345), MESSAGE),
    ("create_time absent", message(create_time=...), replace(MESSAGE, create_time_ms=0)),
    ("create_time null", message(create_time=None), replace(MESSAGE, create_time_ms=0)),
    ("an image: no text", message(message_type="image", content='{"image_key": "img_1"}'),
     replace(MESSAGE, message_type="image", text="")),
    ("a post: no text", message(message_type="post", content='{"title": "t", "content": []}'),
     replace(MESSAGE, message_type="post", text="")),
    ("another bot's message", edit(message(), "event.sender.sender_type", "app"),
     replace(MESSAGE, sender_type="app")),
    ("a button click", card(form_value=None), replace(CARD, form_value={})),
    ("a form submission", card(), CARD),
    ("form_value a string: kept, marked unreadable", card(form_value="1234"),
     replace(CARD, form_value={}, form_unreadable="action.form_value is not an object")),
    ("a click with no value and no context", edit(card(value=None, form_value=...),
                                                  "event.context", ...),
     CardAction(EVENT_ID, "c-295ee5", "ou_3c14", "", "", {}, {})),
    ("bot added", chat_event("im.chat.member.bot.added_v1"),
     BotAdded(EVENT_ID, "oc_4138", "ou_op", "会议室群")),
    ("bot added, no operator, no name", chat_event("im.chat.member.bot.added_v1",
                                                   operator_id=None, name=...),
     BotAdded(EVENT_ID, "oc_4138", "", "")),
    ("bot removed", chat_event("im.chat.member.bot.deleted_v1"),
     BotRemoved(EVENT_ID, "oc_4138", "removed")),
    ("bot removed, operator garbled", chat_event("im.chat.member.bot.deleted_v1",
                                                 operator_id="?", name=7),
     BotRemoved(EVENT_ID, "oc_4138", "removed")),
    ("chat disbanded", chat_event("im.chat.disbanded_v1"),
     BotRemoved(EVENT_ID, "oc_4138", "disbanded")),
    ("message read: subscribed, ignored", envelope("im.message.message_read_v1", {"reader": 1}),
     Ignored("im.message.message_read_v1", EVENT_ID)),
    ("an unknown type without an event", {**envelope("vc.meeting.all_meeting_started_v1", None)},
     Ignored("vc.meeting.all_meeting_started_v1", EVENT_ID)),
]


@pytest.mark.parametrize(("name", "payload", "expected"), CONVERTED,
                         ids=[row[0] for row in CONVERTED])
def test_converted(name: str, payload: dict[str, Any], expected: Inbound | Ignored) -> None:
    assert to_event(payload) == expected


MSG = "event.message"
REJECTED: list[tuple[str, Callable[[], Any], str]] = [
    ("not schema 2.0", lambda: {**message(), "schema": "1.0"}, "schema 2.0"),
    ("not a dict", lambda: [message()], "schema 2.0"),
    ("header a list", lambda: {**message(), "header": []}, "header"),
    ("event_id missing", lambda: edit(message(), "header.event_id", ...), "event_id"),
    ("event_id empty", lambda: edit(message(), "header.event_id", ""), "event_id"),
    ("event_id a number", lambda: edit(message(), "header.event_id", 7), "event_id"),
    ("event_type null", lambda: edit(message(), "header.event_type", None), "event_type"),
    ("event missing", lambda: edit(message(), "event", ...), "event"),
    ("event a list", lambda: edit(card(), "event", []), "event"),
    ("message missing", lambda: edit(message(), MSG, ...), "message"),
    ("message_id empty", lambda: message(message_id=""), "message_id"),
    ("message_id a number", lambda: message(message_id=7), "message_id"),
    ("chat_id null", lambda: message(chat_id=None), "chat_id"),
    ("chat_type unknown", lambda: message(chat_type="topic"), "chat_type"),
    ("chat_type an object", lambda: message(chat_type={}), "chat_type"),
    ("chat_type a list", lambda: message(chat_type=["p2p"]), "chat_type"),
    ("message_type null", lambda: message(message_type=None), "message_type"),
    ("message_type empty", lambda: message(message_type=""), "message_type"),
    ("content missing", lambda: message(content=...), "content"),
    ("content an object, not a string", lambda: message(content={"text": "hi"}), "content"),
    ("content not JSON", lambda: message(content="not json {"), "content"),
    ("content a JSON list", lambda: message(content="[1, 2]"), "content"),
    ("content a JSON string", lambda: message(content='"hi"'), "content"),
    ("content nested too deeply", lambda: message(content="[" * 100_000 + "]" * 100_000),
     "nested too deeply"),
    ("image content not JSON", lambda: message(message_type="image", content="x"), "content"),
    ("text a number", lambda: message(content=json.dumps({"text": 7})), "content.text"),
    ("text null", lambda: message(content=json.dumps({"text": None})), "content.text"),
    ("text missing", lambda: message(content="{}"), "content.text"),
    ("text a lone surrogate", lambda: message(content='{"text": "\\ud800"}'), "content.text"),
    ("mentions a string", lambda: message(mentions="@_user_1"), "mentions"),
    ("a mention a number", lambda: message(mentions=[7]), "mention"),
    ("a mention's id a string", lambda: message(mentions=[{"id": "ou_x"}]), "mention.id"),
    ("a mention's open_id a number", lambda: message(mentions=[{"id": {"open_id": 7}}]),
     "open_id"),
    ("a mention without open_id", lambda: message(mentions=[{"id": {"user_id": "u"}}]),
     "open_id"),
    ("create_time not digits", lambda: message(create_time="yesterday"), "create_time"),
    ("create_time full-width digits", lambda: message(create_time="１２"), "create_time"),
    ("create_time negative", lambda: message(create_time=-1), "create_time"),
    ("create_time a float", lambda: message(create_time=1.5), "create_time"),
    ("create_time a bool", lambda: message(create_time=True), "create_time"),
    ("sender missing", lambda: edit(message(), "event.sender", ...), "sender"),
    ("sender_id a string", lambda: edit(message(), "event.sender.sender_id", "ou"), "sender_id"),
    ("sender open_id missing", lambda: edit(message(), "event.sender.sender_id.open_id", ...),
     "open_id"),
    ("sender_type null", lambda: edit(message(), "event.sender.sender_type", None),
     "sender_type"),
    ("card operator missing", lambda: edit(card(), "event.operator", ...), "operator"),
    ("card operator open_id null", lambda: edit(card(), "event.operator.open_id", None),
     "operator.open_id"),
    ("card token missing", lambda: edit(card(), "event.token", ...), "token"),
    ("card token a number", lambda: edit(card(), "event.token", 7), "token"),
    ("card action a string", lambda: edit(card(), "event.action", "click"), "action"),
    ("card value a string", lambda: card(value="refresh"), "action.value"),
    ("card value a list", lambda: card(value=[1]), "action.value"),
    ("card value nested too deeply", lambda: card(value=deep(20)), "nested too deeply"),
    ("card value with a lone surrogate", lambda: card(value={"room": "\ud800"}), "Unicode"),
    ("card value with a non-JSON value", lambda: card(value={"rooms": {1, 2}}), "not JSON"),
    ("card value with a number key", lambda: card(value={1: "x"}), "key"),
    ("card context a string", lambda: edit(card(), "event.context", "om_1"), "context"),
    ("card open_message_id a number", lambda: edit(card(), "event.context.open_message_id", 7),
     "open_message_id"),
    ("bot added chat_id empty", lambda: chat_event("im.chat.member.bot.added_v1", chat_id=""),
     "chat_id"),
    ("bot added operator_id a string", lambda: chat_event("im.chat.member.bot.added_v1",
                                                          operator_id="ou_op"), "operator_id"),
    ("bot added operator open_id a number", lambda: chat_event(
        "im.chat.member.bot.added_v1", operator_id={"open_id": 7}), "operator_id.open_id"),
    ("bot added name a number", lambda: chat_event("im.chat.member.bot.added_v1", name=7), "name"),
    ("bot removed chat_id missing", lambda: chat_event("im.chat.member.bot.deleted_v1",
                                                       chat_id=...), "chat_id"),
    ("disbanded chat_id a number", lambda: chat_event("im.chat.disbanded_v1", chat_id=7),
     "chat_id"),
]


def deep(levels: int) -> dict[str, Any]:
    value: dict[str, Any] = {"leaf": 1}
    for _ in range(levels):
        value = {"next": value}
    return value


@pytest.mark.parametrize(("name", "build", "where"), REJECTED, ids=[row[0] for row in REJECTED])
def test_rejected(name: str, build: Callable[[], Any], where: str) -> None:
    with pytest.raises(Malformed) as caught:
        to_event(build())
    assert caught.value.status == 400
    assert where in caught.value.reason, caught.value.reason


@pytest.mark.parametrize(("text", "stripped"), [
    ("@_user_1 who booked 5F", "who booked 5F"),
    ("is @_user_12 free  at 3pm @_user_2", "is free at 3pm"),
    ("  5F   today ", "5F today"),
    ("@_user_1", ""),
    ("mail me@_user_x", "mail me@_user_x"),
])
def test_strip_mentions(text: str, stripped: str) -> None:
    assert strip_mentions(text) == stripped


@pytest.mark.parametrize(("item", "kind", "key"), [
    (MESSAGE, "message", "msg:om_5ce6"),
    (CARD, "card_action", f"card:{EVENT_ID}"),
    (BotAdded(EVENT_ID, "oc_1"), "bot_added", f"evt:{EVENT_ID}"),
    (BotRemoved(EVENT_ID, "oc_1", "disbanded"), "bot_removed", f"evt:{EVENT_ID}"),
])
def test_stored_and_read_back(item: Inbound, kind: str, key: str) -> None:
    stored = json.loads(json.dumps(to_payload(item)))
    assert (kind_of(item), item.dedupe_key) == (kind, key)
    assert from_payload(kind, stored) == item


def test_a_click_stored_before_form_value_existed_reads_back() -> None:
    old = {k: v for k, v in to_payload(CARD).items() if k != "form_value"}
    assert from_payload("card_action", old) == CardAction(**{**old, "form_value": {}})


# --- fuzz: a value or Malformed, nothing else --------------------------------------------------

JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
                    lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=12)
TYPES = st.sampled_from(["im.message.receive_v1", "card.action.trigger", "im.chat.disbanded_v1",
                         "im.chat.member.bot.added_v1", "im.chat.member.bot.deleted_v1",
                         "im.message.message_read_v1"])
TEMPLATES = [message(), message(chat_type="p2p", mentions=None), card(), card(value=None),
             chat_event("im.chat.member.bot.added_v1"), chat_event("im.chat.disbanded_v1")]
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def value_or_malformed(payload: Any) -> None:
    try:
        result = to_event(payload)
    except Malformed as exc:
        assert exc.reason
        return
    assert isinstance(result, Ignored | IncomingMessage | CardAction | BotAdded | BotRemoved)


def paths(node: Any, prefix: str = "") -> list[str]:
    """Every dotted path inside a JSON value (list items by index)."""
    children = node.items() if isinstance(node, dict) else enumerate(node) \
        if isinstance(node, list) else []
    found = []
    for key, child in children:
        path = f"{prefix}{key}"
        found += [path, *paths(child, path + ".")]
    return found


@FUZZ
@given(payload=st.dictionaries(st.text(max_size=8), JSON, max_size=5)
       | st.fixed_dictionaries({"schema": st.just("2.0"), "header": st.fixed_dictionaries(
           {"event_id": st.text(max_size=5), "event_type": TYPES}), "event": JSON}))
def test_any_dict_gives_a_value_or_malformed(payload: dict[str, Any]) -> None:
    value_or_malformed(payload)


@FUZZ
@given(data=st.data(), template=st.sampled_from(TEMPLATES), replacement=JSON | st.just(...))
def test_one_field_of_a_real_envelope_changed_gives_a_value_or_malformed(
        data: st.DataObject, template: dict[str, Any], replacement: Any) -> None:
    path = data.draw(st.sampled_from(paths(template)))
    value_or_malformed(edit(template, path, replacement))


TEXT = st.text(min_size=1, max_size=20)


@FUZZ
@given(ids=st.tuples(TEXT, TEXT, TEXT, TEXT), chat_type=st.sampled_from(["p2p", "group"]),
       words=st.text(max_size=40), created=st.integers(0, 2 ** 62))
def test_a_valid_message_round_trips(ids: tuple[str, str, str, str], chat_type: str,
                                     words: str, created: int) -> None:
    event_id, message_id, chat_id, sender = ids
    payload = edit(edit(message(message_id=message_id, chat_id=chat_id, chat_type=chat_type,
                                content=json.dumps({"text": words}), create_time=str(created)),
                        "header.event_id", event_id), "event.sender.sender_id.open_id", sender)
    item = to_event(payload)
    assert item == IncomingMessage(event_id, message_id, chat_id, chat_type, sender, "user",
                                   "text", strip_mentions(words), ("ou_bot",), created)
    assert from_payload("message", json.loads(json.dumps(to_payload(item)))) == item


def test_a_sealed_signed_message_opens_and_converts() -> None:
    """The whole pure path: Feishu's sealed request → open_request → to_event."""
    creds = Credentials("ek", "vt")
    body = json.dumps({"encrypt": crypto.encrypt(json.dumps(message()), "ek")}).encode()
    headers = {"X-Lark-Request-Timestamp": "1700000000", "X-Lark-Request-Nonce": "n",
               "X-Lark-Signature": crypto.signature("1700000000", "n", "ek", body)}
    assert to_event(open_request(body, headers, creds, 1_700_000_001.0)) == MESSAGE
