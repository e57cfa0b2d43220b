"""Keep-or-release reminders end to end: the scan of two instances sharing one store DMs the holder
once, ten minutes before; Keep, I'm running late and Release through the real webhook; a stranger
refused; a repeated click a no-op; "stop reminding me"; quiet hours, bookings made just now and
rooms without check-in skipped; a holder Feishu will not let us message; a send that fails is
tried again by the next scan."""
from __future__ import annotations

import threading
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.config import ReleaseSettings
from bot.digest.weekly import run_weekly_digests
from bot.remind.scan import run_reminders
from bot.render.text import card_to_text
from bot.respond import Responder
from bot.sandbox.messages import p2p_chat_id
from tests.e2e.harness import RunningBot, click, free_rooms, room_name, start_bot

ADMIN = "ou_admin_for_tests"
ON = ReleaseSettings(enabled=True, admins=(ADMIN,))


@pytest.fixture
def bot(sandbox: Any, tmp_path: Path) -> Any:
    running = start_bot(sandbox, tmp_path, sections={"reminders": ON})
    yield running
    running.stop()


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def scanner(bot: RunningBot, at: datetime, reminders: ReleaseSettings = ON) -> tuple[Responder, Clock]:
    """Another roombot process sharing the store, with its clock at `at` (at or before the
    sandbox's: the reservation list refuses a start after now)."""
    clock = Clock(at)
    settings = replace(bot.settings, reminders=reminders)
    return Responder.build(settings, clock=clock, store=bot.responder.store), clock


def booking_in_ten(bot: RunningBot, holder: Any, *, checkin: bool = True,
                   minutes: int = 10) -> tuple[str, str, datetime]:
    """Someone's booking of a free room starting `minutes` after the minute now begun."""
    now = bot.sandbox.now().replace(second=0, microsecond=0)
    start = now + timedelta(minutes=minutes)
    rooms = [r for r in bot.sandbox.calendar.open_rooms() if room_name(bot, r).isascii()]
    [room] = free_rooms(bot, now, start + timedelta(hours=1), among=rooms)
    uid = bot.sandbox.calendar.add_booking(room, start, start + timedelta(hours=1), holder.open_id,
                                           checkin=checkin)
    return room, uid, start


def reminders_to(bot: RunningBot, holder: Any, room: str) -> list[Any]:
    return [r for r in bot.sandbox.sent if r.receive_id == holder.open_id
            and room_name(bot, room) in str(card_to_text(r.content))]


def reminded(bot: RunningBot, holder: Any) -> tuple[str, str, datetime, Any]:
    """A booking of the holder's ten minutes ahead, the scan run at its reminder time, and the
    one reminder the holder got: (room, uid, start, the sent reminder)."""
    room, uid, start = booking_in_ten(bot, holder)
    run_reminders(scanner(bot, start - timedelta(minutes=10))[0])
    [record] = reminders_to(bot, holder, room)
    return room, uid, start, record


def press(bot: RunningBot, record: Any, label: str, operator: Any) -> dict[str, Any]:
    """Click the reminder card's button labelled `label`; the callback's reply."""
    value = next(v for lab, v in card_to_text(record.card).buttons if lab == label)
    return click(bot, record, value, operator).json


def test_the_holder_is_asked_once_ten_minutes_before_across_two_instances(bot: RunningBot) -> None:
    holder = bot.sandbox.tenant.users[4]
    room, uid, start = booking_in_ten(bot, holder)
    one, clock_one = scanner(bot, start - timedelta(minutes=11))
    two, clock_two = scanner(bot, start - timedelta(minutes=11))
    run_reminders(one)
    assert reminders_to(bot, holder, room) == []  # eleven minutes before: not yet
    clock_one.at = clock_two.at = start - timedelta(minutes=10)
    runs: list[Any] = []
    threads = [threading.Thread(target=lambda r=r: runs.append(run_reminders(r))) for r in (one, two)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    [record] = reminders_to(bot, holder, room)
    assert record.receive_id_type == "open_id" and record.chat_id == p2p_chat_id(holder.open_id)
    text = str(card_to_text(record.content))
    assert f"{start:%H:%M}–{start + timedelta(hours=1):%H:%M}" in text and "将在 10 分钟后开始" in text
    assert [label for label, _ in card_to_text(record.content).buttons] == [  # 徐娜 reads Chinese
        "保留", "我会晚到", "释放", "不再提醒我"]
    assert sum(f"{room}/{uid}" in run.sent for run in runs) == 1
    clock_one.at += timedelta(minutes=1)
    run_reminders(one)
    assert len(reminders_to(bot, holder, room)) == 1  # never again
    row = bot.responder.store.reminder(room, uid, start.timestamp())
    assert row is not None and row.state == "sent" and row.message_id == record.message_id


def test_keep_is_the_holders_and_release_frees_the_room(bot: RunningBot) -> None:
    holder, stranger = bot.sandbox.tenant.users[5], bot.sandbox.tenant.users[8]
    room, uid, start, record = reminded(bot, holder)
    refused = press(bot, record, "Keep", stranger)
    assert "Only the person who booked it" in refused["toast"]["content"]
    kept = press(bot, record, "Keep", holder)
    assert "the room stays yours" in str(card_to_text(kept["card"]["data"]))
    assert bot.responder.store.reminder(room, uid, start.timestamp()).state == "kept"
    assert bot.sandbox.calendar.instance_replies == []
    record.patches.append(kept["card"]["data"])  # what the holder now sees
    refused = press(bot, record, "Release it after all", stranger)
    assert "Only the person who booked it or an admin" in refused["toast"]["content"]
    released = press(bot, record, "Release it after all", holder)
    name = room_name(bot, room)
    assert f"Released: {name} is free again from {start:%H:%M}" in str(card_to_text(released["card"]["data"]))
    [reply] = bot.sandbox.calendar.instance_replies
    assert (reply.room_id, reply.uid, reply.original_time) == (room, uid, int(start.timestamp()))
    assert not bot.responder.gateway.freebusy([room], start, start + timedelta(hours=1)).get(room)
    again = press(bot, record, "Release it after all", holder)
    assert "already released" in again["toast"]["content"]
    assert len(bot.sandbox.calendar.instance_replies) == 1
    audit = [(a.actor, a.action, a.detail.get("source")) for a in bot.responder.store.audit_since(0)]
    assert audit == [(stranger.open_id, "refused:release", "reminder_card"),
                     (holder.open_id, "release", "reminder_card")]


def test_running_late_keeps_it_and_an_admin_may_release(bot: RunningBot) -> None:
    holder = bot.sandbox.tenant.users[3]
    *_, record = reminded(bot, holder)
    late = press(bot, record, "I'm running late", holder)
    assert "Check in when you arrive" in str(card_to_text(late["card"]["data"]))
    released = press(bot, record, "Release", ADMIN)
    assert "Released:" in str(card_to_text(released["card"]["data"]))
    assert bot.responder.store.audit_since(0, "release")[0].detail["as"] == "admin"


def test_dont_remind_me_and_remind_me(bot: RunningBot) -> None:
    holder = bot.sandbox.tenant.users[7]
    room, _uid, start = booking_in_ten(bot, holder)
    answer = bot.ask("stop reminding me", sender=holder)
    assert "no more reminders" in str(card_to_text(answer.content))
    run = run_reminders(scanner(bot, start - timedelta(minutes=10))[0])
    assert reminders_to(bot, holder, room) == [] and run.skipped["opted_out"] >= 1
    answer = bot.ask("提醒我", sender=holder)
    assert "会议开始前 10 分钟" in str(card_to_text(answer.content))
    assert holder.open_id not in bot.responder.store.reminder_opt_outs()


def test_the_card_button_turns_reminders_off(bot: RunningBot) -> None:
    holder = bot.sandbox.tenant.users[9]
    *_, record = reminded(bot, holder)
    answer = press(bot, record, "Don't remind me", holder)
    assert "no more reminders" in str(card_to_text(answer["card"]["data"]))
    assert holder.open_id in bot.responder.store.reminder_opt_outs()


def test_quiet_hours_recent_bookings_and_rooms_without_check_in_are_skipped(bot: RunningBot) -> None:
    holder = bot.sandbox.tenant.users[10]
    room, _uid, start = booking_in_ten(bot, holder, minutes=10)
    quiet = f"{start:%H:%M}-{start + timedelta(minutes=1):%H:%M}"
    run = run_reminders(scanner(bot, start - timedelta(minutes=10),
                                replace(ON, quiet_hours=quiet))[0])
    assert reminders_to(bot, holder, room) == [] and run.skipped["quiet_hours"] >= 1
    # without check-in: its bookings never lapse, so nobody is asked
    other = bot.sandbox.tenant.users[11]
    room2, _uid2, start2 = booking_in_ten(bot, other, checkin=False)
    run = run_reminders(scanner(bot, start2 - timedelta(minutes=10))[0])
    assert reminders_to(bot, other, room2) == [] and run.skipped["no_check_in"] >= 1


def test_a_booking_first_seen_just_now_is_not_reminded(bot: RunningBot) -> None:
    holder = bot.sandbox.tenant.users[12]
    now = bot.sandbox.now().replace(second=0, microsecond=0)
    one, clock = scanner(bot, now - timedelta(minutes=2))
    run_reminders(one)  # the scan is running: what it finds later is new
    room, uid, start = booking_in_ten(bot, holder)
    clock.at = start - timedelta(minutes=10)
    run = run_reminders(one)
    assert reminders_to(bot, holder, room) == [] and run.skipped["booked_recently"] >= 1
    assert bot.responder.store.reminder(room, uid, start.timestamp()).state == "skipped"


def test_a_failed_send_is_tried_again_by_the_next_scan_and_posted_once(bot: RunningBot) -> None:
    holder = bot.sandbox.tenant.users[13]
    room, uid, start = booking_in_ten(bot, holder)
    one, clock = scanner(bot, start - timedelta(minutes=10))
    bot.sandbox.faults.inject("/im/v1/messages", "server_error", times=200)
    run = run_reminders(one)
    assert run.failed >= 1 and reminders_to(bot, holder, room) == []
    assert bot.responder.store.reminder(room, uid, start.timestamp()).state == "seen"
    bot.sandbox.faults.clear()
    clock.at += timedelta(seconds=60)
    run_reminders(one)
    assert len(reminders_to(bot, holder, room)) == 1


def test_hours_given_back_show_in_the_weekly_digest_and_the_usage_card(bot: RunningBot) -> None:
    holder = bot.sandbox.tenant.users[15]
    *_, record = reminded(bot, holder)
    press(bot, record, "Release", holder)  # ten minutes ahead: the whole hour is given back
    line = "1 booking released early through roombot, 1.0 room-hours given back"
    bot.ask("subscribe this chat to the weekly report", chat_type="group")
    weekly = run_weekly_digests(bot.responder, day=bot.sandbox.now().date(), dry_run=True).cards
    assert weekly and line in "\n".join(str(card_to_text(c)) for c in weekly)
    usage = bot.final_card(bot.ask("how busy were the rooms this week"))
    assert line in str(card_to_text(usage)), str(card_to_text(usage))
