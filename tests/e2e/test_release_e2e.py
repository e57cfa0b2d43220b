"""Giving a room back end to end: the current no-shows card, Release by an admin or the holder
through meeting_room/instance/reply, refusals audited, a recurring series released one instance
at a time, and a stale original_time retried once."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.config import ReleaseSettings
from bot.digest.run import run_digests
from bot.render.text import card_to_text
from tests.e2e.harness import RunningBot, click, free_rooms, room_name, start_bot

ADMIN = "ou_admin_for_tests"


@pytest.fixture
def bot(sandbox: Any, tmp_path: Path) -> Any:
    running = start_bot(sandbox, tmp_path, sections={"reminders": ReleaseSettings(admins=(ADMIN,))})
    yield running
    running.stop()


def unused_booking(bot: RunningBot, holder: Any) -> tuple[str, str, Any]:
    """A booking that began 12 minutes ago in a free room, nobody checked in; (room, uid, start)."""
    now = bot.sandbox.now().replace(second=0, microsecond=0)
    start, end = now - timedelta(minutes=12), now + timedelta(minutes=48)
    rooms = [r for r in bot.sandbox.calendar.open_rooms() if room_name(bot, r).isascii()]
    [room] = free_rooms(bot, start, end, among=rooms)
    uid = bot.sandbox.calendar.add_booking(room, start, end, holder.open_id, checkin=True)
    return room, uid, start


def release_button(card: dict[str, Any], name: str) -> dict[str, Any]:
    return next(v for label, v in card_to_text(card).buttons if label == f"Release {name}")


def test_an_admin_releases_a_current_no_show_and_the_room_is_free(bot: RunningBot) -> None:
    holder = bot.sandbox.tenant.users[4]
    room, uid, start = unused_booking(bot, holder)
    name = room_name(bot, room)
    record = bot.ask("current no-shows")
    text = str(card_to_text(record.content))
    assert name in text and "nobody checked in" in text
    stranger = bot.sandbox.tenant.users[8]
    refused = click(bot, record, release_button(record.content, name), stranger).json
    assert "Only the person who booked it or an admin" in refused["toast"]["content"]
    assert bot.sandbox.calendar.instance_replies == []  # nothing released
    answer = click(bot, record, release_button(record.content, name), ADMIN).json
    assert f"Released: {name} is free again from" in str(card_to_text(answer["card"]["data"]))
    [reply] = bot.sandbox.calendar.instance_replies
    assert (reply.room_id, reply.uid, reply.original_time) == (room, uid, int(start.timestamp()))
    now = bot.sandbox.now()
    assert not bot.responder.gateway.freebusy([room], now, now + timedelta(minutes=30)).get(room)
    again = click(bot, record, release_button(record.content, name), ADMIN).json  # a second click
    assert "already released" in again["toast"]["content"]
    assert len(bot.sandbox.calendar.instance_replies) == 1
    actions = [(a.actor, a.action) for a in bot.responder.store.audit_since(0)]
    assert actions == [(stranger.open_id, "refused:release"), (ADMIN, "release")]
    assert bot.responder.store.audit_since(0, "release")[0].log_id  # Feishu's log_id is kept
    bot.ask("subscribe this chat to the daily report", chat_type="group")
    digest = run_digests(bot.responder, day=bot.sandbox.now().date(), dry_run=True).cards
    text = "\n".join(str(card_to_text(c)) for c in digest)
    assert "1 booking released early through roombot, 0.8 room-hours given back" in text, text[:1500]


def test_the_holder_may_release_their_own_booking(bot: RunningBot) -> None:
    holder = bot.sandbox.tenant.users[5]
    room, _uid, _start = unused_booking(bot, holder)
    record = bot.ask("现在有哪些会议室订了没人用", sender=holder)
    name = room_name(bot, room)
    value = next(v for label, v in card_to_text(record.content).buttons if label == f"释放 {name}")
    answer = click(bot, record, value, holder).json
    assert f"已释放：{name}" in str(card_to_text(answer["card"]["data"]))
    assert bot.responder.store.audit_since(0, "release")[0].detail["as"] == "holder"


def test_a_stale_original_time_is_read_again_and_retried_once(bot: RunningBot) -> None:
    holder = bot.sandbox.tenant.users[6]
    room, _uid, _start = unused_booking(bot, holder)
    record = bot.ask("current no-shows")
    bot.sandbox.calendar.stale_original_time(1)
    answer = click(bot, record, release_button(record.content, room_name(bot, room)), ADMIN).json
    assert "Released:" in str(card_to_text(answer["card"]["data"]))
    assert len(bot.sandbox.calendar.instance_replies) == 1
    assert len(bot.sandbox.calls_to("/meeting_room/instance/reply")) == 2  # 105003, then success


def test_release_passes_the_instance_start_so_only_that_instance_of_a_series_ends(bot: RunningBot) -> None:
    series = bot.sandbox.calendar.recurring_series()
    room, one = next(iter(series.items()))
    now = bot.sandbox.now()
    busy = bot.responder.gateway.freebusy([room], now, now + timedelta(days=8))[room]
    instances = [b for b in busy if b.uid == one.uid] if hasattr(one, "uid") else []
    if len(instances) < 2:
        pytest.skip("the series has fewer than two upcoming instances in this tenant")
    first = instances[0]
    bot.responder.gateway.release_instance(room, first.uid, int(first.start.timestamp()))
    after = [b for b in bot.responder.gateway.freebusy([room], now, now + timedelta(days=8))[room]
             if b.uid == first.uid]
    assert len(after) == len(instances) - 1  # only that instance; 0 would have ended them all


def test_the_daily_digest_leads_admins_to_the_current_no_shows_and_their_release(bot: RunningBot) -> None:
    holder = bot.sandbox.tenant.users[7]
    room, _uid, _start = unused_booking(bot, holder)
    record = bot.ask("subscribe this chat to the daily report", chat_type="group")
    [digest] = run_digests(bot.responder, day=bot.sandbox.now().date(), dry_run=True).cards
    value = next(v for label, v in card_to_text(digest).buttons if label == "Booked but unused now")
    unused = click(bot, record, value, ADMIN).json["card"]["data"]
    answer = click(bot, record, release_button(unused, room_name(bot, room)), ADMIN).json
    assert "Released:" in str(card_to_text(answer["card"]["data"]))
