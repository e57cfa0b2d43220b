"""Open a webhook request the way Feishu seals it: size, signature, timestamp, AES, token.

`open_request` returns the verified plaintext JSON object, or raises a `RejectedRequest` whose type
alone gives the HTTP status. It raises nothing else, whatever the bytes and headers
(contract §2.1–2.3; https://open.feishu.cn/document/server-docs/event-subscription-guide/).

| Check, in this order                                   | Rejected as                        |
|--------------------------------------------------------|------------------------------------|
| body > MAX_BODY_BYTES (1 MiB), not UTF-8, not JSON, not a JSON object, NaN/Infinity, nested past Python's recursion limit | Malformed 400 |
| encrypt key set, any X-Lark-* header present: all three must be strings, timestamp Unix s (or ms when > 1e11), signature right, signed ≤ 7.5 h ago and ≤ 300 s ahead | Unauthorized 401 |
| `encrypt` present: no encrypt key configured, not a str, not base64, < 32 bytes or not a multiple of 16, bad PKCS7 padding, plaintext not UTF-8 / JSON / an object | Malformed 400 |
| neither a url_verification nor a schema "2.0" envelope with an object `header` | Malformed 400 |
| verification token set: `token` (url_verification) or `header.token` missing, null, not a str, wrong | Unauthorized 401 |
| encrypt key set, an event with no X-Lark-* headers      | Unauthorized 401 (unsigned)        |
| encrypt key set, a signed event in plain JSON           | Malformed 400 (not encrypted)      |
| url_verification whose `challenge` is not a str          | Malformed 400                      |

Why this order: a signature, when present, is checked before decrypting, so a forgery costs one
hash. lark-oapi answers Feishu's URL check before any signature check, so nothing says that check
is signed: a request with no X-Lark-* headers at all is still decrypted, and is accepted only when
it turns out to be a url_verification carrying the right token. A url_verification may come plain even when an
encrypt key is set. With no encrypt key (local experiments) bodies are plain JSON and headers are
ignored; with no verification token, tokens are not checked. Keys beside `encrypt` in an
encrypted body are ignored (the signature covers them; Feishu sends none).
7.5 h is Feishu's redelivery horizon (15 s, 5 min, 1 h, 6 h) plus margin; 300 s is clock skew.
1 MiB is far above real events: a 150 KB text message (Feishu's limit) of ordinary text, escaped
twice and base64-encoded, stays well under it.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from Crypto.Cipher import AES

MAX_BODY_BYTES = 1 << 20
MAX_AGE_SECONDS = 7.5 * 3600
MAX_AHEAD_SECONDS = 300.0
MILLIS_ABOVE = 1e11  # a timestamp above this is in milliseconds (1e11 s is the year 5138)
TIMESTAMP, NONCE, SIGNATURE = ("x-lark-request-timestamp", "x-lark-request-nonce",
                               "x-lark-signature")
BLOCK = AES.block_size


class RejectedRequest(Exception):
    """A request refused at the edge; `status` is the HTTP answer, `reason` safe to log and echo."""

    status: ClassVar[int] = 400

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Unauthorized(RejectedRequest):
    """Not provably from Feishu: signature, timestamp or verification token."""

    status: ClassVar[int] = 401


class Malformed(RejectedRequest):
    """From anyone, but not something roombot can read: encryption, JSON, envelope, field types."""

    status: ClassVar[int] = 400


@dataclass(frozen=True)
class Credentials:
    """The app's Encrypt Key and Verification Token; an empty one switches its checks off."""

    encrypt_key: str
    verification_token: str


def open_request(body: bytes, headers: Mapping[str, str], creds: Credentials,
                 now: float) -> dict[str, Any]:
    """The verified plaintext JSON object of one webhook POST; `now` is Unix seconds."""
    if not isinstance(body, bytes | bytearray):
        raise Malformed("body is not bytes")
    if len(body) > MAX_BODY_BYTES:
        raise Malformed("body too large")
    outer = loads_object(bytes(body), "body")
    signed = bool(creds.encrypt_key) and _check_signature(bytes(body), headers, creds.encrypt_key,
                                                          now)
    encrypted = "encrypt" in outer
    if encrypted and not creds.encrypt_key:
        raise Malformed("encrypted body, but no encrypt key is configured")
    payload = loads_object(decrypt(outer["encrypt"], creds.encrypt_key),
                           "decrypted body") if encrypted else outer
    verification = is_url_verification(payload)
    if not verification and not is_event(payload):
        raise Malformed("not an event")
    _check_token(payload, creds.verification_token)
    if verification:
        if not isinstance(payload.get("challenge"), str):
            raise Malformed("challenge is not a string")
    elif creds.encrypt_key and not signed:
        raise Unauthorized("unsigned request")
    elif creds.encrypt_key and not encrypted:
        raise Malformed("event not encrypted")
    return payload


def is_url_verification(payload: Mapping[str, Any]) -> bool:
    """Feishu's URL check (also used for the card callback URL): answer with `challenge_reply`."""
    return payload.get("type") == "url_verification" and "schema" not in payload


def is_event(payload: Mapping[str, Any]) -> bool:
    """A schema 2.0 envelope with a header object (events and card callbacks alike)."""
    return payload.get("schema") == "2.0" and isinstance(payload.get("header"), dict)


def challenge_reply(payload: Mapping[str, Any]) -> dict[str, str]:
    """The body that answers a url_verification checked by `open_request`."""
    return {"challenge": str(payload["challenge"])}


def decrypt(encrypted: object, encrypt_key: str) -> str:
    """AES-256-CBC, key sha256(encrypt_key), data base64(iv + ciphertext), PKCS7 (contract §2.2)."""
    if not isinstance(encrypted, str):
        raise Malformed("encrypt is not a string")
    try:
        raw = base64.b64decode(encrypted, validate=True)
    except (binascii.Error, ValueError):
        raise Malformed("encrypt is not base64") from None
    if len(raw) < 2 * BLOCK or len(raw) % BLOCK:
        raise Malformed("ciphertext has a bad length")
    key = hashlib.sha256(encrypt_key.encode("utf-8", "surrogatepass")).digest()
    plain = AES.new(key, AES.MODE_CBC, raw[:BLOCK]).decrypt(raw[BLOCK:])
    pad = plain[-1]
    if not 1 <= pad <= BLOCK or plain[-pad:] != bytes([pad]) * pad:
        raise Malformed("bad padding")
    try:
        return plain[:-pad].decode("utf-8")
    except UnicodeDecodeError:
        raise Malformed("decrypted body is not UTF-8") from None


def loads_object(text: bytes | str, what: str) -> dict[str, Any]:
    """Strict JSON (UTF-8, no NaN/Infinity) that must be an object; Malformed otherwise."""
    try:
        value = json.loads(text.decode("utf-8") if isinstance(text, bytes) else text,
                           parse_constant=_no_constants)
    except RecursionError:
        raise Malformed(f"{what} nested too deeply") from None
    except UnicodeDecodeError:
        raise Malformed(f"{what} is not UTF-8") from None
    except ValueError:
        raise Malformed(f"{what} is not JSON") from None
    if not isinstance(value, dict):
        raise Malformed(f"{what} is not a JSON object")
    return value


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _check_signature(body: bytes, headers: Mapping[str, str], encrypt_key: str,
                     now: float) -> bool:
    """False when no X-Lark-* header is present; True when all are and hold; else Unauthorized."""
    found = _lark_headers(headers)
    if not found:
        return False
    timestamp, nonce, signature = (found.get(name) for name in (TIMESTAMP, NONCE, SIGNATURE))
    if not isinstance(timestamp, str) or not isinstance(nonce, str) \
            or not isinstance(signature, str):
        raise Unauthorized("missing or malformed signature headers")
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 16):
        raise Unauthorized("timestamp is not a number")
    text = (timestamp + nonce + encrypt_key).encode("utf-8", "surrogatepass")
    expected = hashlib.sha256(text + body).hexdigest().encode("ascii")
    if not hmac.compare_digest(expected, signature.lower().encode("utf-8", "surrogatepass")):
        raise Unauthorized("bad signature")
    seconds = int(timestamp) / (1000 if int(timestamp) > MILLIS_ABOVE else 1)
    if now - seconds > MAX_AGE_SECONDS:
        raise Unauthorized("timestamp too old")
    if seconds - now > MAX_AHEAD_SECONDS:
        raise Unauthorized("timestamp too far in the future")
    return True


def _lark_headers(headers: Mapping[str, str]) -> dict[str, object]:
    """The three signature headers by lower-cased name (HTTP header names ignore case)."""
    wanted = (TIMESTAMP, NONCE, SIGNATURE)
    found: dict[str, object] = {}
    for name, value in headers.items():
        key = name.lower() if isinstance(name, str) else None
        if key in wanted and key not in found:
            found[key] = value
    return found


def _check_token(payload: Mapping[str, Any], expected: str) -> None:
    if not expected:
        return
    holder = payload if is_url_verification(payload) else payload["header"]
    token = holder.get("token")
    if not isinstance(token, str):
        raise Unauthorized("missing verification token")
    if not hmac.compare_digest(token.encode("utf-8", "surrogatepass"),
                               expected.encode("utf-8", "surrogatepass")):
        raise Unauthorized("wrong verification token")
