"""Booking rows for cards: Feishu's status strings classified into plain keys, privacy applied."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.config import Settings
from bot.feishu.models import BusyInterval, Reservation
from bot.insights import outcomes

# Feishu's documented value strings (contract §6.2, full-width parentheses); the check-in and
# release definitions themselves live in bot/insights/outcomes.py.
DISABLED_PREFIX = "不可签到"
APPROVAL = "审批中"

Row = dict[str, Any]


def names_visible(settings: Settings, chat_type: str) -> bool:
    """Whether reserver names may be shown here (privacy.reserver_names: all | dm_only | counts_only)."""
    mode = settings.privacy.reserver_names
    return mode == "all" or (mode == "dm_only" and chat_type == "p2p")


def check_in_state(r: Reservation) -> str:
    """checked_in | pending | no_show | not_required | disabled | unknown.

    The same definitions as the reports and digests (bot/insights/outcomes.py), so a card never calls a
    booking a no-show that the digest does not count, or the other way round.
    """
    state = outcomes.outcome(r)
    if state == "exempt":
        return "disabled" if r.check_in_status.strip().startswith(DISABLED_PREFIX) else "not_required"
    return state


def released_early(r: Reservation) -> bool:
    """True if the room was given back before the meeting's end (manually or by a sensor).

    A no-show release and the automatic release at the end do not count.
    """
    return outcomes.release_kind(r) is not None


def ledger_row(r: Reservation, *, show_names: bool, show_topics: bool) -> Row:
    """A reservation-list row for a card."""
    early = released_early(r)
    return {
        "start": r.start, "end": r.end, "room": r.room_name, "room_id": r.room_id,
        "who": r.reserver if show_names else "",
        "dept": r.department if show_names else "",
        "state": check_in_state(r), "state_raw": r.check_in_status,
        "approval": r.reservation_status == APPROVAL,
        "released_early": early, "released_at": r.release_time if early else None,
        "topic": r.topic if show_topics else "",
        "private": False, "source": "ledger",
    }


def busy_row(b: BusyInterval, room_name: str, *, show_names: bool) -> Row:
    """A free/busy interval as a booking row: the organizer only, or a private event."""
    private = not (b.organizer_name or b.organizer_open_id)
    return {
        "start": b.start, "end": b.end, "room": room_name, "room_id": b.room_id,
        "who": b.organizer_name if show_names else "", "dept": "",
        "state": "upcoming", "state_raw": "", "approval": False,
        "released_early": False, "released_at": None, "topic": "",
        "private": private, "source": "freebusy",
    }


def holder(b: BusyInterval, *, show_names: bool) -> dict[str, Any]:
    """Who holds a room during a busy interval, for availability cards."""
    return {"who": b.organizer_name if show_names else "",
            "private": not (b.organizer_name or b.organizer_open_id),
            "start": b.start, "end": b.end}


def sort_rows(rows: list[Row]) -> list[Row]:
    """Rows by start time, then room name, then end."""
    return sorted(rows, key=lambda row: (row["start"], row["room"], row["end"]))


def first_start(rows: list[Row]) -> datetime | None:
    """The earliest start among rows, or None."""
    return min((row["start"] for row in rows), default=None)
