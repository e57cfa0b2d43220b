"""Which rooms to ask free/busy about, in what order, and when to stop: a few calls, best fits first.

Candidates are the enabled rooms of the place with enough seats, best fit first (fewest seats,
then name). They are asked about in rounds of 20, 40 and 40 rooms (one, two and two free/busy
calls: the gateway batches 20 rooms a call, concurrently), and the search stops as soon as a
round brings the free rooms found to `ENOUGH`. So a question costs at most five calls however
big the tenant; "more rooms" continues at `next_offset`.

Each call asks for a longer span than the window (up to `LOOKAHEAD` later the same day), at no
extra cost, so near misses ("free from 11:00", "free for 40 of the 60 minutes") need no call.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.answer import windows
from bot.answer.timeline import is_free
from bot.feishu.models import BusyInterval
from bot.queries import FindFree, Window

if TYPE_CHECKING:
    from bot.answer import AnswerContext
    from bot.feishu.models import Room

ROUNDS = (20, 40, 40)  # rooms per round: 1 + 2 + 2 free/busy calls at most
ENOUGH = 5  # free rooms that make a good answer
MAX_SHOWN = 25  # free rooms listed on one card; "more rooms" goes on after the last one shown
LOOKAHEAD = timedelta(hours=3)
CALL_BUDGET = 5  # free/busy calls one find-a-room answer may make
ROOMS_PER_CALL = 20  # the gateway's free/busy batch (Feishu's documented maximum of room_ids)


@dataclass(frozen=True)
class Found:
    """What one search learned: the rooms checked, their busy time, the free ones, where to go on."""

    candidates: int  # how many rooms fit (enabled, enough seats, in the place)
    checked: list[Room]  # asked about, best fit first
    busy: dict[str, list[BusyInterval]]  # per checked room, over [window.start, horizon)
    free: list[Room]  # free for the whole window, best fit first (at most MAX_SHOWN)
    next_offset: int | None  # where "more rooms" continues; None when every candidate was checked
    horizon: datetime
    calls: int  # free/busy calls made


def candidates_for(query: FindFree, ctx: AnswerContext) -> list[Room]:
    """Enabled rooms in the place with at least `capacity` seats, best fit first."""
    rooms = [r for r in ctx.directory.place_rooms(query.place)
             if r.enabled and r.capacity >= query.capacity]
    return sorted(rooms, key=fit)


def fit(room: Room) -> tuple[int, str, str]:
    """Best fit first: the fewest seats that still fit, then by name."""
    return (room.capacity, room.name.casefold(), room.room_id)


def horizon(window: Window) -> datetime:
    """How far each call looks: `LOOKAHEAD` past the window, within the window's last day."""
    day_end = windows.next_day_start(window.end - timedelta(microseconds=1))
    return max(window.end, min(window.end + LOOKAHEAD, day_end))


def search(query: FindFree, candidates: Sequence[Room], ctx: AnswerContext) -> Found:
    """Ask about candidates from `query.offset` on, round by round, until enough are free."""
    window, until = query.window, horizon(query.window)
    position = min(query.offset, len(candidates))
    checked: list[Room] = []
    busy: dict[str, list[BusyInterval]] = {}
    free: list[Room] = []
    calls = 0
    for size in ROUNDS:
        batch = list(candidates[position:position + size])
        if not batch:
            break
        busy.update(ctx.gateway.freebusy([r.room_id for r in batch], window.start, until))
        calls += -(-len(batch) // ROOMS_PER_CALL)
        position += len(batch)
        checked += batch
        free += [r for r in batch if is_free(busy.get(r.room_id, []), window.start, window.end)]
        if len(free) >= ENOUGH:
            break
    if len(free) > MAX_SHOWN:  # go on after the last room shown, so none is skipped
        free = free[:MAX_SHOWN]
        position = candidates.index(free[-1]) + 1
    more = position if position < len(candidates) else None
    return Found(len(candidates), checked, busy, free, more, until, calls)
