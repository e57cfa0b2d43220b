"""Event encryption and signing exactly as Feishu does it (contract sections 2.2 and 2.3).

Uses pycryptodome, the AES library lark-oapi itself depends on.
"""
from __future__ import annotations

import base64
import hashlib
import os

from Crypto.Cipher import AES

BLOCK = AES.block_size


def _key(encrypt_key: str) -> bytes:
    return hashlib.sha256(encrypt_key.encode("utf-8")).digest()


def encrypt(plaintext: str, encrypt_key: str, iv: bytes | None = None) -> str:
    """base64(iv + AES-256-CBC(sha256(key), PKCS7(plaintext))); a random IV unless one is given."""
    iv = iv if iv is not None else os.urandom(BLOCK)
    data = plaintext.encode("utf-8")
    pad = BLOCK - len(data) % BLOCK
    cipher = AES.new(_key(encrypt_key), AES.MODE_CBC, iv)
    return base64.b64encode(iv + cipher.encrypt(data + bytes([pad]) * pad)).decode("ascii")


def decrypt(encrypted: str, encrypt_key: str) -> str:
    """The inverse of encrypt (used to check the documented test vector)."""
    raw = base64.b64decode(encrypted)
    if len(raw) < 2 * BLOCK or len(raw) % BLOCK:
        raise ValueError("invalid ciphertext length")
    plain = AES.new(_key(encrypt_key), AES.MODE_CBC, raw[:BLOCK]).decrypt(raw[BLOCK:])
    pad = plain[-1]
    if not 1 <= pad <= BLOCK or plain[-pad:] != bytes([pad]) * pad:
        raise ValueError("invalid PKCS7 padding")
    return plain[:-pad].decode("utf-8")


def signature(timestamp: str, nonce: str, encrypt_key: str, body: bytes) -> str:
    """X-Lark-Signature: hex sha256 of timestamp + nonce + encrypt_key, then the raw body bytes."""
    return hashlib.sha256((timestamp + nonce + encrypt_key).encode("utf-8") + body).hexdigest()
