"""Which bookings are due a keep-or-release reminder (pure: free/busy, the ledger, settings)."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.config import ReleaseSettings
from bot.feishu.models import BusyInterval, Reservation
from bot.remind.due import Upcoming, skip_reason, upcoming, without_check_in
from bot.store import Booking
from bot.store.reminders import UNKNOWN_AGE

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 7, 9, 50, tzinfo=TZ)
TEN = NOW + timedelta(minutes=10)
ON = ReleaseSettings(enabled=True)


def busy(start: datetime, uid: str = "uid_1", room: str = "omm_1", name: str = "张三",
         open_id: str = "ou_zhang") -> BusyInterval:
    return BusyInterval(room, start, start + timedelta(hours=1), uid, name, open_id)


def test_upcoming_takes_what_starts_ahead_with_its_holder() -> None:
    found = upcoming({"omm_1": [busy(TEN), busy(NOW - timedelta(minutes=5), "uid_0"),
                                busy(NOW + timedelta(minutes=50), "uid_far")],
                      "omm_2": [busy(TEN, "uid_2", "omm_2", "Alice", "ou_alice"),
                                BusyInterval("omm_2", TEN, TEN + timedelta(hours=1))]},
                     [], NOW, timedelta(minutes=41))
    assert [(u.room_id, u.uid, u.holder, u.lang) for u in found] == [
        ("omm_1", "uid_1", "ou_zhang", "zh"), ("omm_2", "uid_2", "ou_alice", "en")]


def test_roombots_own_booking_is_held_by_its_requester() -> None:
    ours = Booking("k" * 40, "ou_asker", "omm_1", "Everest", TEN.timestamp(),
                   (TEN + timedelta(hours=1)).timestamp(), lang="en", status="booked",
                   created_at=1000.0)
    cancelled = Booking("c" * 40, "ou_other", "omm_2", "K2", TEN.timestamp(),
                        (TEN + timedelta(hours=1)).timestamp(), status="cancelled")
    [mine, theirs] = upcoming({"omm_1": [busy(TEN, open_id="ou_roombot_app")],
                               "omm_2": [busy(TEN, "uid_2", "omm_2")]},
                              [ours, cancelled], NOW, timedelta(minutes=41))
    assert (mine.holder, mine.booking_key, mine.booked_at, mine.lang) == ("ou_asker", "k" * 40, 1000.0, "en")
    assert (theirs.holder, theirs.booking_key) == ("ou_zhang", "")


def item(start: datetime = TEN, holder: str = "ou_zhang", **changes: object) -> Upcoming:
    fields = {"room_id": "omm_1", "uid": "uid_1", "start": start, "end": start + timedelta(hours=1),
              "holder": holder, **changes}
    return Upcoming(**fields)  # type: ignore[arg-type]


def reason(it: Upcoming, settings: ReleaseSettings = ON, first_seen: float = UNKNOWN_AGE,
           opted_out: frozenset[str] = frozenset(), no_check_in: frozenset = frozenset()) -> str:
    return skip_reason(it, NOW, settings, first_seen=first_seen, opted_out=set(opted_out),
                       no_check_in=set(no_check_in))


def test_a_booking_ten_minutes_ahead_is_due_and_eleven_is_not_yet() -> None:
    assert reason(item()) == ""
    assert reason(item(NOW + timedelta(minutes=11))) == "not_yet"
    assert reason(item(NOW + timedelta(minutes=11)),
                  ReleaseSettings(enabled=True, minutes_before=15)) == ""


@pytest.mark.parametrize(("quiet", "start", "why"), [
    ("20:00-08:00", datetime(2026, 12, 7, 7, 30, tzinfo=TZ), "quiet_hours"),
    ("20:00-08:00", datetime(2026, 12, 7, 21, 0, tzinfo=TZ), "quiet_hours"),
    ("20:00-08:00", datetime(2026, 12, 7, 8, 0, tzinfo=TZ), ""),
    ("12:00-13:30", datetime(2026, 12, 7, 12, 30, tzinfo=TZ), "quiet_hours"),
    ("12:00-13:30", datetime(2026, 12, 7, 13, 30, tzinfo=TZ), ""),
])
def test_quiet_hours_may_cross_midnight(quiet: str, start: datetime, why: str) -> None:
    now = start - timedelta(minutes=10)
    assert skip_reason(item(start), now, ReleaseSettings(enabled=True, quiet_hours=quiet),
                       first_seen=UNKNOWN_AGE, opted_out=set(), no_check_in=set()) == why


def test_no_holder_opted_out_and_rooms_without_check_in_are_skipped() -> None:
    assert reason(item(holder="")) == "no_holder"
    assert reason(item(), opted_out=frozenset({"ou_zhang"})) == "opted_out"
    exempt = frozenset({("omm_1", TEN.timestamp())})
    assert reason(item(), no_check_in=exempt) == "no_check_in"
    assert reason(item(), ReleaseSettings(enabled=True, check_in_rooms_only=False), no_check_in=exempt) == ""


def test_a_booking_made_recently_gets_none() -> None:
    just_seen = (NOW - timedelta(minutes=5)).timestamp()
    long_seen = (NOW - timedelta(minutes=31)).timestamp()
    assert reason(item(), first_seen=just_seen) == "booked_recently"
    assert reason(item(), first_seen=long_seen) == ""
    assert reason(item(), first_seen=UNKNOWN_AGE) == ""  # there before the scan began
    ours = item(booking_key="k" * 40, booked_at=just_seen)
    assert reason(ours, first_seen=UNKNOWN_AGE) == "booked_recently"  # the ledger knows
    assert reason(item(), ReleaseSettings(enabled=True, skip_booked_within_minutes=0),
                  first_seen=just_seen) == ""


def test_rooms_without_check_in_come_from_the_reservation_list() -> None:
    def row(status: str, room: str) -> Reservation:
        return Reservation(room, room, "张三", "ou_zhang", "", TEN, TEN + timedelta(hours=1),
                           timedelta(hours=1), "已预约", status)
    exempt = without_check_in([row("无需签到", "omm_1"), row("未签到", "omm_2"),
                               row("不可签到（非会议室）", "omm_3")])
    assert exempt == {("omm_1", TEN.timestamp()), ("omm_3", TEN.timestamp())}
