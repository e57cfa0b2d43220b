"""Giving a room back end to end: the current no-shows card, Release by an admin or the holder
through meeting_room/instance/reply, refusals audited, a recurring series released one instance
at a time, and a stale original_time retried once."""
from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.config import ReleaseSettings
from bot.digest.run import run_digests
from bot.render.text import card_to_text
from bot.store import Store
from tests.e2e.harness import (
    RunningBot,
    click,
    free_port,
    free_rooms,
    room_name,
    serve,
    serve_config,
    start_bot,
)

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


def test_an_answer_lost_on_the_way_is_confirmed_by_free_busy_not_sent_twice(bot: RunningBot) -> None:
    """instance/reply has no idempotency key: Feishu ends the instance, its answer is lost (a 504),
    and the release reads free/busy instead of calling again; the audit row says so, once."""
    holder = bot.sandbox.tenant.users[4]
    room, uid, start = unused_booking(bot, holder)
    name = room_name(bot, room)
    record = bot.ask("current no-shows")
    bot.sandbox.faults.inject("/meeting_room/instance/reply", "lost_response")
    answer = click(bot, record, release_button(record.content, name), ADMIN).json
    assert f"Released: {name} is free again from" in str(card_to_text(answer["card"]["data"]))
    assert len(bot.sandbox.calls_to("/meeting_room/instance/reply")) == 1  # not sent again
    [reply] = bot.sandbox.calendar.instance_replies
    assert (reply.room_id, reply.uid, reply.original_time) == (room, uid, int(start.timestamp()))
    [audit] = bot.responder.store.audit_since(0, "release")
    assert (audit.actor, audit.detail["how"], audit.log_id) == (ADMIN, "confirmed by free/busy", "")
    assert bot.responder.store.release_row(audit.target).status == "released"
    again = click(bot, record, release_button(record.content, name), ADMIN).json
    assert "already released" in again["toast"]["content"]
    assert len(bot.responder.store.audit_since(0, "release")) == 1


def test_an_outage_is_a_toast_and_any_click_may_release_it_after(bot: RunningBot) -> None:
    """Feishu fails the call without acting on it: a toast says the room is still booked and the
    card keeps its Release button; free/busy shows it held, so the ledger row is not left blocking
    (a new card's click, minutes later or at once, releases it, audited once with the log_id)."""
    holder = bot.sandbox.tenant.users[6]
    room, _uid, _start = unused_booking(bot, holder)
    name = room_name(bot, room)
    record = bot.ask("current no-shows")
    bot.sandbox.faults.inject("/meeting_room/instance/reply", "server_error")
    failed = click(bot, record, release_button(record.content, name), ADMIN).json
    assert set(failed) == {"toast"} and failed["toast"]["type"] == "error"  # the card stays
    assert failed["toast"]["content"] == (f"Feishu did not answer, so {name} is still booked. "
                                          "Try Release again in a moment.")
    assert bot.sandbox.calendar.instance_replies == []
    now = bot.sandbox.now()
    assert bot.responder.gateway.freebusy([room], now, now + timedelta(minutes=5)).get(room)
    assert bot.responder.store.releases_calling() == []  # failed, not left "calling"
    assert bot.responder.store.audit_since(0, "release") == []
    fresh = bot.ask("current no-shows")  # another card: another click key
    answer = click(bot, fresh, release_button(fresh.content, name), ADMIN).json
    assert f"Released: {name} is free again from" in str(card_to_text(answer["card"]["data"]))
    assert len(bot.sandbox.calendar.instance_replies) == 1
    [audit] = bot.responder.store.audit_since(0, "release")
    assert audit.detail["how"] == "answered" and audit.log_id


def test_kill_9_after_feishu_ended_the_instance_is_resumed_to_one_audited_release(
        bot: RunningBot, tmp_path: Path) -> None:
    """`roombot serve` dies while Feishu's answer to instance/reply is on its way (the instance has
    ended; the audit row is not written). The next process takes the click from the inbox, finds
    the ledger row still `calling`, reads free/busy, and completes it: one call, one audit row,
    and the card patched to say the room is free."""
    sandbox = bot.sandbox
    room, uid, start = unused_booking(bot, sandbox.tenant.users[7])
    name = room_name(bot, room)
    port = free_port()
    config = serve_config(sandbox, tmp_path, port)
    config.write_text(config.read_text() + f'\n[reminders]\nadmins = ["{ADMIN}"]\n')
    store = Store.open(f"sqlite:///{tmp_path / 'serve.db'}")
    target = f"{room}/{uid}/{int(start.timestamp())}"
    running = serve(sandbox, config, port)
    try:
        pusher = sandbox.pusher(running.webhook_url)
        before = len(sandbox.sent)
        assert pusher.message("current no-shows").status == 200
        record = sandbox.wait_for_sent(before + 1, timeout=60)[-1]
        sandbox.faults.stall_seconds = 30
        sandbox.faults.inject("/meeting_room/instance/reply", "stalled_response")
        push = pusher.card_action(release_button(record.content, name), message_id=record.message_id,
                                  chat_id=record.chat_id, operator=ADMIN)
        assert push.status == 200 and "toast" in push.json  # "the card will update shortly"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not sandbox.calendar.instance_replies:
            time.sleep(0.02)
        assert len(sandbox.calendar.instance_replies) == 1  # Feishu has ended it ...
        row = store.release_row(target)
        assert row is not None and row.status == "calling"  # ... and roombot has not kept the answer
        running.kill()
    except BaseException:
        running.kill()
        raise
    sandbox.faults.clear()
    assert store.audit_since(0, "release") == []
    again = serve(sandbox, config, port)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not store.audit_since(0, "release"):
            time.sleep(0.2)
        [audit] = store.audit_since(0, "release")
        assert (audit.actor, audit.target, audit.detail["how"]) == (ADMIN, target, "confirmed by free/busy")
        assert store.release_row(target).status == "released"
        assert len(sandbox.calendar.instance_replies) == 1  # never sent twice (each call is one)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not any(
                f"Released: {name} is free again from" in str(card_to_text(c)) for c in record.patches):
            time.sleep(0.1)
        assert any(f"Released: {name} is free again from" in str(card_to_text(c)) for c in record.patches), \
            [str(card_to_text(c))[:300] for c in record.patches]
    finally:
        again.kill()
        store.close()
