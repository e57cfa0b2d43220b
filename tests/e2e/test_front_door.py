"""The webhook's contract, row by row (README: "The front door"), and a fuzzing barrage.

Each request is posted over real HTTP to the running webhook, signed and encrypted the way
Feishu does it (or deliberately not). Bad input is answered 4xx, is never recorded and never
answered in the chat; a valid question right after the barrage is answered as usual.
"""
from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.sandbox import crypto
from tests.e2e.harness import RunningBot, signed

Request = tuple[bytes, dict[str, str]]


def message_event(bot: RunningBot, **message: Any) -> dict[str, Any]:
    """A valid im.message.receive_v1 envelope, with `message` fields overridden."""
    body = {"message_id": f"om_{time.monotonic_ns()}", "create_time": "1700000000000",
            "chat_id": "oc_front_door", "chat_type": "p2p", "message_type": "text",
            "content": json.dumps({"text": "who booked Mercury today"})}
    body.update(message)
    sender = {"sender_id": {"open_id": "ou_front_door", "union_id": "on_x", "user_id": "u1"},
              "sender_type": "user", "tenant_key": "t1"}
    return bot.pusher.envelope("im.message.receive_v1", {"sender": sender, "message": body}, None)


def sealed(bot: RunningBot, payload: Any, **sign: Any) -> Request:
    """Encrypt any JSON value and sign the body, as Feishu does."""
    text = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)
    body = json.dumps({"encrypt": crypto.encrypt(text, bot.settings.feishu.encrypt_key)}).encode()
    return body, signed(bot, body, **sign)


def with_token(bot: RunningBot, token: Any, drop: bool = False) -> Request:
    envelope = message_event(bot)
    if drop:
        del envelope["header"]["token"]
    else:
        envelope["header"]["token"] = token
    return sealed(bot, envelope)


def raw(bot: RunningBot, body: bytes) -> Request:
    return body, signed(bot, body)


def challenge(bot: RunningBot, token: str, encrypted: bool) -> Request:
    payload = {"challenge": "c-123", "token": token, "type": "url_verification"}
    if encrypted:
        return sealed(bot, payload)
    return json.dumps(payload).encode(), {"Content-Type": "application/json"}


def forged(request: Request) -> Request:
    body, headers = request
    return body, {**headers, "X-Lark-Signature": "0" * 64}


def now() -> int:
    return int(time.time())


ROWS: list[tuple[str, Callable[[RunningBot], Request], int]] = [
    ("url_verification, right token", lambda b: challenge(b, b.sandbox.verification_token, False),
     200),
    ("url_verification, encrypted", lambda b: challenge(b, b.sandbox.verification_token, True),
     200),
    ("url_verification, wrong token", lambda b: challenge(b, "wrong", False), 401),
    ("forged signature", lambda b: forged(sealed(b, message_event(b))), 401),
    ("unsigned event", lambda b: (sealed(b, message_event(b))[0],
                                  {"Content-Type": "application/json"}), 401),
    ("wrong verification token", lambda b: with_token(b, "not-the-token"), 401),
    ("null verification token", lambda b: with_token(b, None), 401),
    ("missing verification token", lambda b: with_token(b, None, drop=True), 401),
    ("signed 8 hours ago", lambda b: sealed(b, message_event(b), timestamp=str(now() - 8 * 3600)),
     401),
    ("signed 10 minutes ahead", lambda b: sealed(b, message_event(b), timestamp=str(now() + 600)),
     401),
    ("bad base64", lambda b: raw(b, b'{"encrypt": "%%%not base64%%%"}'), 400),
    ("ciphertext of a bad length", lambda b: raw(
        b, json.dumps({"encrypt": base64.b64encode(b"x" * 40).decode()}).encode()), 400),
    ("not JSON", lambda b: raw(b, b"not json {"), 400),
    ("plaintext not JSON", lambda b: sealed(b, "{not json"), 400),
    ("plaintext a JSON list", lambda b: sealed(b, [1, 2, 3]), 400),
    ("not an event", lambda b: sealed(b, {"hello": "world"}), 400),
    ("content text is a number", lambda b: sealed(
        b, message_event(b, content=json.dumps({"text": 7}))), 400),
    ("content text is null", lambda b: sealed(
        b, message_event(b, content=json.dumps({"text": None}))), 400),
    ("content is not JSON", lambda b: sealed(b, message_event(b, content="not json {")), 400),
    ("content is a list", lambda b: sealed(b, message_event(b, content="[1, 2]")), 400),
    ("chat_type is an object", lambda b: sealed(b, message_event(b, chat_type={})), 400),
    ("message_type is null", lambda b: sealed(b, message_event(b, message_type=None)), 400),
    ("an event type roombot ignores", lambda b: sealed(b, b.pusher.envelope(
        "vc.meeting.all_meeting_started_v1", {"meeting": {"id": "1"}}, None)), 200),
]


@pytest.mark.parametrize(("name", "build", "status"), ROWS, ids=[row[0] for row in ROWS])
def test_status_table(bot: RunningBot, name: str, build: Callable[[RunningBot], Request],
                      status: int) -> None:
    body, headers = build(bot)
    push = bot.pusher.post(body, headers)
    assert push.status == status, (name, push.body)
    if name.startswith("url_verification") and status == 200:
        assert push.json == {"challenge": "c-123"}
    bot.settle()
    assert bot.responder.store.inbox_counts() == {}, "bad input must never be recorded"
    assert bot.sandbox.sent == [], "bad input must never be answered"


# --- the barrage --------------------------------------------------------------------------------

NOT_A_STRING = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
                         st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=3),
                                                                             st.integers(), max_size=2))
STRING_FIELDS = ("message_id", "chat_id", "message_type", "content")


@st.composite
def malformed(draw: st.DrawFn, bot: RunningBot) -> Request:
    """One bad request of a randomly chosen family."""
    family = draw(st.sampled_from(["bytes", "truncated", "wrong_type", "chat_type", "text",
                                   "unsigned", "base64"]))
    if family == "bytes":
        return raw(bot, draw(st.binary(max_size=300)))
    if family == "truncated":
        body, _headers = sealed(bot, message_event(bot))
        cut = body[:draw(st.integers(0, len(body) - 1))]
        return raw(bot, cut)
    if family == "wrong_type":
        field = draw(st.sampled_from(STRING_FIELDS))
        return sealed(bot, message_event(bot, **{field: draw(NOT_A_STRING)}))
    if family == "chat_type":
        value = draw(st.one_of(NOT_A_STRING, st.text(max_size=8).filter(
            lambda t: t not in ("p2p", "group"))))
        return sealed(bot, message_event(bot, chat_type=value))
    if family == "text":
        content = {"text": draw(NOT_A_STRING)} if draw(st.booleans()) else draw(NOT_A_STRING)
        return sealed(bot, message_event(bot, content=json.dumps(content)))
    if family == "unsigned":
        return sealed(bot, message_event(bot))[0], {"Content-Type": "application/json"}
    return raw(bot, json.dumps({"encrypt": draw(st.text(max_size=80))}).encode())


def test_a_barrage_of_bad_requests_is_refused_and_a_question_after_it_is_answered(
        bot: RunningBot) -> None:
    statuses: list[int] = []

    @settings(max_examples=1000, deadline=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(st.data())
    def post_one(data: st.DataObject) -> None:
        body, headers = data.draw(malformed(bot))
        push = bot.pusher.post(body, headers)
        statuses.append(push.status)
        assert 400 <= push.status < 500, (body[:200], push.status, push.body)

    post_one()
    assert len(statuses) >= 500
    bot.settle()
    assert bot.responder.store.inbox_counts() == {}
    assert bot.sandbox.sent == []
    started = time.monotonic()
    record = bot.ask("who booked Mercury today")
    assert "Mercury" in json.dumps(record.content, ensure_ascii=False)
    assert time.monotonic() - started < 10
