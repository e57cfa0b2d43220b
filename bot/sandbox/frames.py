"""pbbp2 frames, the long connection's wire format, written and read without the SDK (contract 2.9).

    message Header { required string key = 1; required string value = 2; }
    message Frame  { required uint64 SeqID = 1; required uint64 LogID = 2;
                     required int32 service = 3; required int32 method = 4;
                     repeated Header headers = 5;
                     optional string payload_encoding = 6; optional string payload_type = 7;
                     optional bytes payload = 8; optional string LogIDNew = 9; }

The codec is hand-written on purpose: the sandbox plays Feishu's side, so it does not borrow the
SDK's generated class (importing lark_oapi costs seconds); the tests check one against the other.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

CONTROL, DATA = 0, 1  # Frame.method
VARINT, LENGTH = 0, 2  # the two wire types pbbp2 uses
_SKIP = {1: 8, 5: 4}  # fixed64 and fixed32, skipped if they ever appear
_U64 = 1 << 64


class FrameError(ValueError):
    """Bytes that are not a pbbp2 frame."""


@dataclass
class Frame:
    """One pbbp2.Frame; optional fields are None when absent."""

    seq_id: int = 0
    log_id: int = 0
    service: int = 0
    method: int = DATA
    headers: list[tuple[str, str]] = field(default_factory=list)
    payload_encoding: str | None = None
    payload_type: str | None = None
    payload: bytes | None = None
    log_id_new: str | None = None

    def header(self, key: str) -> str | None:
        """The first value of a header, or None."""
        return next((value for name, value in self.headers if name == key), None)

    def encode(self) -> bytes:
        """The frame's protobuf bytes (required fields always written, as proto2 demands)."""
        out = bytearray()
        required = (self.seq_id, self.log_id, self.service, self.method)
        for number, value in enumerate(required, start=1):
            out += _varint(number << 3 | VARINT) + _varint(value % _U64)
        for key, value in self.headers:
            out += _field(5, _field(1, key.encode()) + _field(2, value.encode()))
        for number, text in ((6, self.payload_encoding), (7, self.payload_type)):
            if text is not None:
                out += _field(number, text.encode())
        if self.payload is not None:
            out += _field(8, self.payload)
        if self.log_id_new is not None:
            out += _field(9, self.log_id_new.encode())
        return bytes(out)

    @classmethod
    def decode(cls, data: bytes) -> Frame:
        """Parse protobuf bytes; FrameError when they are malformed or lack a required field."""
        frame, seen = cls(), set[int]()
        for number, value in _fields(data):
            seen.add(number)
            if number in (1, 2, 3, 4) and isinstance(value, int):
                signed = value - _U64 if number in (3, 4) and value >= 1 << 63 else value
                setattr(frame, ("seq_id", "log_id", "service", "method")[number - 1], signed)
            elif number == 5 and isinstance(value, bytes):
                frame.headers.append(_header(value))
            elif number in (6, 7, 9) and isinstance(value, bytes):
                name = {6: "payload_encoding", 7: "payload_type", 9: "log_id_new"}[number]
                setattr(frame, name, value.decode())
            elif number == 8 and isinstance(value, bytes):
                frame.payload = value
        if not {1, 2, 3, 4} <= seen:
            raise FrameError(f"frame lacks required fields {sorted({1, 2, 3, 4} - seen)}")
        return frame


def data_frames(payload: bytes, *, service: int, message_id: str, trace_id: str, seq_id: int,
                log_id: int, frame_type: str = "event", parts: int = 1) -> list[Frame]:
    """The DATA frames carrying one payload, split into `parts` pieces (headers sum and seq)."""
    parts = max(1, min(parts, len(payload) or 1))
    size = -(-len(payload) // parts)
    return [Frame(seq_id, log_id, service, DATA,
                  [("type", frame_type), ("message_id", message_id), ("sum", str(parts)),
                   ("seq", str(seq)), ("trace_id", trace_id)],
                  payload=payload[seq * size:(seq + 1) * size])
            for seq in range(parts)]


def pong_frame(ping: Frame, config: bytes | None) -> Frame:
    """Feishu's answer to a ping: a CONTROL frame typed pong, optionally with ClientConfig JSON."""
    return Frame(ping.seq_id, ping.log_id, ping.service, CONTROL, [("type", "pong")],
                 payload=config)


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        low, value = value & 0x7F, value >> 7
        out.append(low | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _field(number: int, data: bytes) -> bytes:
    return _varint(number << 3 | LENGTH) + _varint(len(data)) + data


def _read_varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while pos < len(data) and shift < 70:
        byte = data[pos]
        value |= (byte & 0x7F) << shift
        pos, shift = pos + 1, shift + 7
        if not byte & 0x80:
            return value, pos
    raise FrameError("truncated or overlong varint")


def _fields(data: bytes) -> Iterator[tuple[int, int | bytes]]:
    """(field number, int or bytes) for each field, in wire order."""
    pos = 0
    while pos < len(data):
        key, pos = _read_varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == VARINT:
            value, pos = _read_varint(data, pos)
            yield number, value
        elif wire == LENGTH:
            length, pos = _read_varint(data, pos)
            if pos + length > len(data):
                raise FrameError("truncated field")
            yield number, data[pos:pos + length]
            pos += length
        elif wire in _SKIP:
            pos += _SKIP[wire]
        else:
            raise FrameError(f"unsupported wire type {wire}")
    if pos != len(data):
        raise FrameError("truncated field")


def _header(data: bytes) -> tuple[str, str]:
    found = {number: value for number, value in _fields(data) if isinstance(value, bytes)}
    if 1 not in found or 2 not in found:
        raise FrameError("header lacks key or value")
    return found[1].decode(), found[2].decode()
