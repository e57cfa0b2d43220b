"""open_request, row by row: what Feishu seals is opened, everything else is refused by type."""
from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Mapping
from typing import Any

import pytest
from Crypto.Cipher import AES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import Headers

from bot.receive.verify import (
    MAX_BODY_BYTES,
    Credentials,
    Malformed,
    RejectedRequest,
    Unauthorized,
    challenge_reply,
    decrypt,
    is_url_verification,
    open_request,
)
from bot.sandbox import crypto

KEY, TOKEN = "ek-roombot-test", "vt-roombot-test"
CREDS = Credentials(KEY, TOKEN)
NOW = 1_700_000_000.0
Request = tuple[bytes, Mapping[str, Any]]


def envelope(**header: Any) -> dict[str, Any]:
    """A schema 2.0 envelope shaped like contract §2.4, with header fields overridden."""
    head = {"event_id": "5e3702a84e847582be8db7fb73283c02", "event_type": "im.message.receive_v1",
            "create_time": "1608725989000", "token": TOKEN, "app_id": "cli_9f5343c580712544",
            "tenant_key": "2ca1d211f64f6438", **header}
    return {"schema": "2.0", "header": {k: v for k, v in head.items() if v is not ...},
            "event": {"message": {"message_id": "om_1"}}}


def challenge(token: Any = TOKEN, value: Any = "ajls384kdjxxxx") -> dict[str, Any]:
    return {"challenge": value, "token": token, "type": "url_verification"}


def sealed_body(payload: Any, key: str = KEY) -> bytes:
    """{"encrypt": …} around any JSON value, or around a str as is."""
    text = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)
    return json.dumps({"encrypt": crypto.encrypt(text, key)}).encode()


def seal_raw(plain: bytes, pad: bytes) -> bytes:
    """An encrypt body whose plaintext and padding are chosen byte by byte."""
    iv = bytes(16)
    cipher = AES.new(hashlib.sha256(KEY.encode()).digest(), AES.MODE_CBC, iv)
    encrypted = base64.b64encode(iv + cipher.encrypt(plain + pad)).decode()
    return json.dumps({"encrypt": encrypted}).encode()


def sign(body: bytes, timestamp: str = str(int(NOW)), key: str = KEY, **override: Any
         ) -> dict[str, Any]:
    """The X-Lark-* headers Feishu sends (contract §2.3), with any header overridden or dropped."""
    headers = {"Content-Type": "application/json;charset=utf-8",
               "X-Lark-Request-Timestamp": timestamp, "X-Lark-Request-Nonce": "n0nce",
               "X-Lark-Signature": crypto.signature(timestamp, "n0nce", key, body), **override}
    return {k: v for k, v in headers.items() if v is not ...}


def signed(body: bytes, **sign_args: Any) -> Request:
    return body, sign(body, **sign_args)


def plain(payload: Any) -> bytes:
    return json.dumps(payload).encode()


def reheader(rename: Callable[[str, Any], tuple[str, Any]],
             wrap: Callable[[dict[str, Any]], Mapping[str, Any]] = dict) -> Request:
    """A signed event whose headers are renamed (or rewrapped) after signing."""
    body = sealed_body(envelope())
    return body, wrap(dict(rename(k, v) for k, v in sign(body).items()))


UNSIGNED = {"Content-Type": "application/json"}

REJECTED: list[tuple[str, Callable[[], Request], type[RejectedRequest], str]] = [
    ("body not JSON", lambda: signed(b"not json {"), Malformed, "not JSON"),
    ("body not UTF-8", lambda: signed(b'\xff\xfe{"a": 1}'), Malformed, "not UTF-8"),
    ("body a JSON list", lambda: signed(b"[1, 2]"), Malformed, "not a JSON object"),
    ("body a JSON string", lambda: signed(b'"encrypt"'), Malformed, "not a JSON object"),
    ("body a JSON number", lambda: signed(b"7"), Malformed, "not a JSON object"),
    ("body too large", lambda: signed(b" " * (MAX_BODY_BYTES + 1)), Malformed, "too large"),
    ("body with NaN", lambda: signed(b'{"encrypt": NaN}'), Malformed, "not JSON"),
    ("body nested too deeply", lambda: signed(b"[" * 200_000 + b"]" * 200_000), Malformed,
     "nested too deeply"),
    ("encrypt a number", lambda: signed(plain({"encrypt": 7})), Malformed, "not a string"),
    ("encrypt null", lambda: signed(plain({"encrypt": None})), Malformed, "not a string"),
    ("bad base64", lambda: signed(plain({"encrypt": "%%%not base64%%%"})), Malformed,
     "not base64"),
    ("ciphertext under 32 bytes", lambda: signed(plain({"encrypt": base64.b64encode(
        bytes(16)).decode()})), Malformed, "bad length"),
    ("ciphertext not a multiple of 16", lambda: signed(plain({"encrypt": base64.b64encode(
        bytes(40)).decode()})), Malformed, "bad length"),
    ("bad padding", lambda: signed(seal_raw(b"{}" + bytes(11), b"\x03\x02\x03")), Malformed,
     "padding"),
    ("zero padding", lambda: signed(seal_raw(b"{}" + bytes(14), b"")), Malformed,
     "padding"),
    ("plaintext not UTF-8", lambda: signed(seal_raw(b"\xff" * 12, b"\x04" * 4)), Malformed,
     "not UTF-8"),
    ("plaintext not JSON", lambda: signed(sealed_body("{not json")), Malformed, "not JSON"),
    ("plaintext a JSON list", lambda: signed(sealed_body([1, 2, 3])), Malformed,
     "not a JSON object"),
    ("not an event", lambda: signed(sealed_body({"hello": "world"})), Malformed, "not an event"),
    ("a v1 envelope", lambda: signed(sealed_body({"uuid": "u", "token": TOKEN, "ts": "1",
                                                  "type": "event_callback", "event": {}})),
     Malformed, "not an event"),
    ("schema 2.0 without header", lambda: signed(sealed_body({"schema": "2.0", "event": {}})),
     Malformed, "not an event"),
    ("header not an object", lambda: signed(sealed_body({"schema": "2.0", "header": "x"})),
     Malformed, "not an event"),
    ("signed event in plain JSON", lambda: signed(plain(envelope())), Malformed,
     "not encrypted"),
    ("challenge not a string", lambda: (plain(challenge(value=7)), UNSIGNED), Malformed,
     "challenge"),
    ("forged signature", lambda: signed(sealed_body(envelope()),
                                        **{"X-Lark-Signature": "0" * 64}), Unauthorized,
     "bad signature"),
    ("signed with another key", lambda: signed(sealed_body(envelope()), key="other"),
     Unauthorized, "bad signature"),
    ("body changed after signing", lambda: (sealed_body(envelope()),
                                            sign(sealed_body(envelope()))), Unauthorized,
     "bad signature"),  # the IV is random: two seals of one envelope differ
    ("no timestamp header", lambda: signed(sealed_body(envelope()), **{
        "X-Lark-Request-Timestamp": ...}), Unauthorized, "signature headers"),
    ("no nonce header", lambda: signed(sealed_body(envelope()), **{
        "X-Lark-Request-Nonce": ...}), Unauthorized, "signature headers"),
    ("no signature header", lambda: signed(sealed_body(envelope()), **{
        "X-Lark-Signature": ...}), Unauthorized, "signature headers"),
    ("signature header not a string", lambda: signed(sealed_body(envelope()), **{
        "X-Lark-Signature": None}), Unauthorized, "signature headers"),
    ("timestamp not a number", lambda: signed(sealed_body(envelope()), timestamp="soon"),
     Unauthorized, "not a number"),
    ("timestamp negative", lambda: signed(sealed_body(envelope()), timestamp="-5"),
     Unauthorized, "not a number"),
    ("timestamp with a fraction", lambda: signed(sealed_body(envelope()),
                                                 timestamp="1700000000.5"),
     Unauthorized, "not a number"),
    ("timestamp in full-width digits", lambda: signed(sealed_body(envelope()),
                                                      timestamp="１７００００００００"),
     Unauthorized, "not a number"),
    ("signed 8 hours ago", lambda: signed(sealed_body(envelope()),
                                          timestamp=str(int(NOW) - 8 * 3600)),
     Unauthorized, "too old"),
    ("signed 8 hours ago, in ms", lambda: signed(sealed_body(envelope()),
                                                 timestamp=str(int(NOW - 8 * 3600) * 1000)),
     Unauthorized, "too old"),
    ("signed 10 minutes ahead", lambda: signed(sealed_body(envelope()),
                                               timestamp=str(int(NOW) + 600)),
     Unauthorized, "future"),
    ("unsigned encrypted event", lambda: (sealed_body(envelope()), UNSIGNED), Unauthorized,
     "unsigned"),
    ("unsigned plain event", lambda: (plain(envelope()), UNSIGNED), Unauthorized, "unsigned"),
    ("wrong event token", lambda: signed(sealed_body(envelope(token="nope"))), Unauthorized,
     "wrong verification token"),
    ("null event token", lambda: signed(sealed_body(envelope(token=None))), Unauthorized,
     "missing verification token"),
    ("missing event token", lambda: signed(sealed_body(envelope(token=...))), Unauthorized,
     "missing verification token"),
    ("event token a number", lambda: signed(sealed_body(envelope(token=7))), Unauthorized,
     "missing verification token"),
    ("token at the top level only", lambda: signed(sealed_body(
        {**envelope(token=...), "token": TOKEN})), Unauthorized, "missing verification token"),
    ("url_verification, wrong token", lambda: (plain(challenge("nope")), UNSIGNED),
     Unauthorized, "wrong verification token"),
    ("url_verification, no token", lambda: (plain({"challenge": "c", "type": "url_verification"}),
                                            UNSIGNED), Unauthorized, "missing verification"),
    ("url_verification, encrypted, wrong token", lambda: (sealed_body(challenge("nope")),
                                                          UNSIGNED), Unauthorized, "wrong"),
    ("url_verification, forged signature", lambda: signed(sealed_body(challenge()), **{
        "X-Lark-Signature": "f" * 64}), Unauthorized, "bad signature"),
]


@pytest.mark.parametrize(("name", "build", "error", "reason"), REJECTED,
                         ids=[row[0] for row in REJECTED])
def test_rejected(name: str, build: Callable[[], Request], error: type[RejectedRequest],
                  reason: str) -> None:
    body, headers = build()
    with pytest.raises(RejectedRequest) as caught:
        open_request(body, headers, CREDS, NOW)
    assert type(caught.value) is error, (name, caught.value.reason)
    assert reason in caught.value.reason
    assert KEY not in caught.value.reason and TOKEN not in caught.value.reason


ACCEPTED: list[tuple[str, Callable[[], Request], Credentials, dict[str, Any]]] = [
    ("encrypted event, signed", lambda: signed(sealed_body(envelope())), CREDS, envelope()),
    ("timestamp in ms", lambda: signed(sealed_body(envelope()), timestamp=str(int(NOW) * 1000)),
     CREDS, envelope()),
    ("signed 7 hours ago (a redelivery)", lambda: signed(
        sealed_body(envelope()), timestamp=str(int(NOW) - 7 * 3600)), CREDS, envelope()),
    ("signed 4 minutes ahead", lambda: signed(sealed_body(envelope()),
                                              timestamp=str(int(NOW) + 240)), CREDS, envelope()),
    ("lower-case header names", lambda: reheader(lambda k, v: (k.lower(), v)), CREDS,
     envelope()),
    ("upper-case header names and signature", lambda: reheader(
        lambda k, v: (k.upper(), v.upper() if k == "X-Lark-Signature" else v)), CREDS,
     envelope()),
    ("Werkzeug headers, as Flask passes them", lambda: reheader(lambda k, v: (k, v), Headers),
     CREDS, envelope()),
    ("url_verification, plain, unsigned", lambda: (plain(challenge()), UNSIGNED), CREDS,
     challenge()),
    ("url_verification, encrypted, unsigned", lambda: (sealed_body(challenge()), UNSIGNED), CREDS,
     challenge()),
    ("url_verification, encrypted, signed", lambda: signed(sealed_body(challenge())), CREDS,
     challenge()),
    ("no encrypt key: plain event, no headers", lambda: (plain(envelope()), UNSIGNED),
     Credentials("", TOKEN), envelope()),
    ("no encrypt key: headers ignored", lambda: (plain(envelope()), {"X-Lark-Signature": "x"}),
     Credentials("", TOKEN), envelope()),
    ("no verification token: wrong token", lambda: signed(sealed_body(envelope(token="x"))),
     Credentials(KEY, ""), envelope(token="x")),
    ("no verification token: no token", lambda: signed(sealed_body(envelope(token=...))),
     Credentials(KEY, ""), envelope(token=...)),
    ("an unknown event type", lambda: signed(sealed_body(envelope(event_type="vc.x_v1"))), CREDS,
     envelope(event_type="vc.x_v1")),
]


@pytest.mark.parametrize(("name", "build", "creds", "expected"), ACCEPTED,
                         ids=[row[0] for row in ACCEPTED])
def test_accepted(name: str, build: Callable[[], Request], creds: Credentials,
                  expected: dict[str, Any]) -> None:
    body, headers = build()
    assert open_request(body, headers, creds, NOW) == expected


def test_encrypted_body_with_no_encrypt_key_configured_is_malformed() -> None:
    with pytest.raises(Malformed, match="no encrypt key"):
        open_request(sealed_body(envelope()), UNSIGNED, Credentials("", TOKEN), NOW)


def test_the_documented_aes_test_vector() -> None:
    assert decrypt("P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk=", "test key") == "hello world"


def test_url_verification_is_answered_with_its_challenge() -> None:
    payload = open_request(plain(challenge()), UNSIGNED, CREDS, NOW)
    assert is_url_verification(payload)
    assert challenge_reply(payload) == {"challenge": "ajls384kdjxxxx"}
    assert not is_url_verification(envelope())


def test_statuses_come_from_the_types() -> None:
    assert (Unauthorized.status, Malformed.status) == (401, 400)
    assert issubclass(Unauthorized, RejectedRequest) and issubclass(Malformed, RejectedRequest)
    assert Unauthorized("bad signature").reason == "bad signature"


# --- fuzz: nothing but RejectedRequest, whatever arrives ---------------------------------------

HEADER_NAMES = st.sampled_from(["X-Lark-Request-Timestamp", "x-lark-request-nonce",
                                "X-LARK-SIGNATURE", "Content-Type"]) | st.text(max_size=12)
HEADER_VALUES = st.text(max_size=70) | st.none() | st.integers() | st.binary(max_size=8)
HEADERS = st.dictionaries(HEADER_NAMES, HEADER_VALUES, max_size=5)
CREDS_ANY = st.sampled_from([CREDS, Credentials("", TOKEN), Credentials(KEY, ""),
                             Credentials("", "")])
JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
                    | st.text(max_size=12),
                    lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=20)
FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def outcome(body: bytes, headers: Mapping[str, Any], creds: Credentials) -> str:
    try:
        payload = open_request(body, headers, creds, NOW)
    except RejectedRequest as exc:
        assert exc.status in (400, 401) and exc.reason
        return "rejected"
    assert isinstance(payload, dict)
    return "opened"


@FUZZ
@given(body=st.binary(max_size=400) | JSON.map(lambda v: json.dumps(v).encode()),
       headers=HEADERS, creds=CREDS_ANY)
def test_any_bytes_and_headers_raise_only_rejections(body: bytes, headers: dict[Any, Any],
                                                     creds: Credentials) -> None:
    outcome(body, headers, creds)


@FUZZ
@given(plaintext=JSON.map(json.dumps) | st.text(max_size=60),
       extra=st.dictionaries(st.text(max_size=5), JSON, max_size=2), creds=CREDS_ANY)
def test_any_plaintext_sealed_and_signed_raises_only_rejections(
        plaintext: str, extra: dict[str, Any], creds: Credentials) -> None:
    body = json.dumps({**extra, "encrypt": crypto.encrypt(plaintext, KEY)}).encode()
    outcome(body, sign(body), creds)


@FUZZ
@given(flip=st.integers(min_value=0), header=st.sampled_from(["X-Lark-Request-Timestamp",
                                                              "X-Lark-Request-Nonce",
                                                              "X-Lark-Signature"]),
       value=HEADER_VALUES, which=st.booleans())
def test_a_tampered_request_is_never_opened(flip: int, header: str, value: Any,
                                            which: bool) -> None:
    body = sealed_body(envelope())
    headers = sign(body)
    if which:
        position = flip % len(body)
        body = body[:position] + bytes([body[position] ^ 0x01]) + body[position + 1:]
    elif value == headers[header]:
        return
    else:
        headers[header] = value
    assert outcome(body, headers, CREDS) == "rejected"
