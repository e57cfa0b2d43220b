"""roombot's own models of Feishu data: what the gateway returns, never SDK objects."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta


@dataclass(frozen=True)
class RoomLevel:
    """A node of the room tree: the tenant root, a building, a floor, ..."""

    level_id: str
    name: str
    parent_id: str
    path: tuple[str, ...] = ()  # ancestor level ids, root first
    has_child: bool = False


@dataclass(frozen=True)
class Room:
    """A bookable meeting room."""

    room_id: str
    name: str
    capacity: int
    level_id: str
    path: tuple[str, ...] = ()  # ancestor level ids, root first
    display_id: str = ""
    enabled: bool = True  # room_status.status


@dataclass(frozen=True, slots=True)
class Reservation:
    """One row of the reservation ledger (list API or export file).

    `room_id` is empty for export rows unless the caller passed a name-to-id map: the export sheet
    has no room-id column, so rooms are mapped by `room_name` through the directory. Slotted: a
    2,000-room day is 20,000 of these, about 0.3 KB each instead of 1.7 KB with a __dict__.
    """

    room_id: str
    room_name: str
    reserver: str
    reserver_id: str
    department: str
    start: datetime
    end: datetime
    duration: timedelta
    reservation_status: str
    check_in_status: str
    topic: str = ""
    guests: int = 0
    accepted: int = 0
    check_in_device: str = ""
    check_in_time: datetime | None = None
    release_early: str = ""
    releaser: str = ""
    release_time: datetime | None = None


@dataclass(frozen=True)
class BusyInterval:
    """A busy slot of one room from free/busy; organizer absent for private events."""

    room_id: str
    start: datetime
    end: datetime
    uid: str = ""
    organizer_name: str = ""
    organizer_open_id: str = ""
    original_time: int = 0


@dataclass(frozen=True)
class SentMessage:
    """What Feishu answered to a send or reply."""

    message_id: str
    chat_id: str = ""


@dataclass
class CallCounter:
    """Counts Feishu API calls by path; read by tests and benchmarks."""

    by_path: dict[str, int] = field(default_factory=dict)

    def add(self, path: str) -> None:
        self.by_path[path] = self.by_path.get(path, 0) + 1

    @property
    def total(self) -> int:
        return sum(self.by_path.values())


@dataclass(frozen=True)
class RoomAttendee:
    """A room on one of the app's calendar events: `rsvp_status` needs_action (Feishu is still
    deciding), accept (booked), decline (not booked) or removed."""

    attendee_id: str
    room_id: str
    rsvp_status: str


def _int(raw: object, default: int = 0) -> int:
    try:
        return int(float(str(raw)))
    except (TypeError, ValueError):
        return default


@dataclass(frozen=True)
class ReserveRules:
    """Who may book a room, when, and for how long (vc/v1 reserve_scope) [contract §10]."""

    room_id: str
    approval: bool = False  # approval_switch on
    approval_over_hours: float = 0.0  # 0: every booking needs approval; else only longer ones
    limited_time: bool = False  # time_switch on: the window and the maximum apply
    days_in_advance: int = 0  # 0: no limit
    day_start_s: int = 0  # seconds after local midnight
    day_end_s: int = 0  # 0: no daily end
    max_hours: float = 0.0  # 0: no maximum
    allow_all: bool = True
    allow_users: frozenset[str] = frozenset()
    allow_depts: frozenset[str] = frozenset()

    @classmethod
    def from_api(cls, room_id: str, data: dict[str, object]) -> ReserveRules:
        approve = data.get("approve_config") or {}
        timing = data.get("time_config") or {}
        scope = data.get("reserve_scope_config") or {}
        assert isinstance(approve, dict) and isinstance(timing, dict) and isinstance(scope, dict)
        approval = _int(approve.get("approval_switch")) == 1
        over = float(approve.get("meeting_duration") or 0) \
            if _int(approve.get("approval_condition")) == 1 else 0.0
        users = frozenset(str(u.get("user_id")) for u in scope.get("allow_users") or ()
                          if isinstance(u, dict) and u.get("user_id"))
        depts = frozenset(str(d.get("department_id")) for d in scope.get("allow_depts") or ()
                          if isinstance(d, dict) and d.get("department_id"))
        allow_all = scope.get("allow_all_users")
        return cls(room_id, approval=approval, approval_over_hours=over,
                   limited_time=_int(timing.get("time_switch"), 1) == 1 and bool(timing),
                   days_in_advance=_int(timing.get("days_in_advance")),
                   day_start_s=_int(timing.get("start_time")),
                   day_end_s=_int(timing.get("end_time")),
                   max_hours=float(timing.get("max_duration") or 0),
                   allow_all=allow_all is None or str(allow_all).lower() in ("true", "1"),
                   allow_users=users, allow_depts=depts)
