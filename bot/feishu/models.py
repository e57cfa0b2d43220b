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
