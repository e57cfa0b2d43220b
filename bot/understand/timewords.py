"""Time phrases in English and Chinese, found in normalised text: `extract`.

`extract(text)` scans the text with the grammar of timerules.py (dates, relative starts, ranges,
durations, clock times, days, weekdays, weekends, weeks, parts of the day, "now") and returns a
`TimeSpec` (timepieces.py) plus the spans it used. Resolving a spec against `now` is
`when.resolve`'s job.
"""
from __future__ import annotations

from dataclasses import replace

from bot.understand.timepieces import PM_PARTS, Clock, DayRef, Piece, TimeSpec
from bot.understand.timerules import RULES

__all__ = ["PM_PARTS", "Clock", "DayRef", "Piece", "TimeSpec", "extract", "find_pieces"]


def find_pieces(text: str) -> list[Piece]:
    """Every time phrase in the text, earliest rule first, without overlaps, in text order."""
    taken: list[Piece] = []
    for pattern, build in RULES:
        for match in pattern.finditer(text):
            span = match.span()
            if span[0] == span[1] or any(_overlaps(span, (p.start, p.end)) for p in taken):
                continue
            piece = build(match)
            if piece is not None:
                taken.append(replace(piece, start=span[0], end=span[1]))
    return sorted(taken, key=lambda piece: piece.start)


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    """True when two half-open spans share a character."""
    return a[0] < b[1] and b[0] < a[1]


def extract(text: str) -> tuple[TimeSpec, list[tuple[int, int]]]:
    """The TimeSpec said in `text` and the spans it was read from."""
    pieces = find_pieces(text)
    spec = TimeSpec()
    for piece in pieces:
        spec = _merge(spec, piece, text[piece.start:piece.end].strip())
    if not spec.error:
        spec = replace(spec, said=" ".join(text[p.start:p.end].strip() for p in pieces))
    return spec, [(p.start, p.end) for p in pieces]


def _merge(spec: TimeSpec, piece: Piece, said: str) -> TimeSpec:
    """Add one piece to the spec; the first day, part and time said win."""
    if spec.error:
        return spec
    if piece.kind == "error":
        return replace(spec, error=piece.error, said=said)
    updates: dict[str, object] = {
        "day": spec.day or piece.day,
        "part": spec.part or piece.part,
        "minutes": spec.minutes or (piece.minutes if piece.kind == "duration" else 0),
        "after": spec.after if spec.after is not None or piece.kind != "after" else piece.minutes,
        "now": spec.now or piece.kind == "now",
        "week": spec.week if spec.week is not None or piece.kind != "week" else piece.weeks,
        "month": spec.month if spec.month is not None or piece.kind != "month" else piece.weeks,
        "recent": spec.recent or (piece.minutes if piece.kind == "recent" else 0),
    }
    if piece.kind in ("clock", "range") and spec.start is None:
        updates["start"] = piece.clock
    if piece.kind in ("range", "until") and spec.end is None:
        updates["end"] = piece.until
    return replace(spec, **updates)  # type: ignore[arg-type]
