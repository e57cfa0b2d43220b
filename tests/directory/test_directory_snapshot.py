"""The room directory's snapshot in the store: a new process starts from it without listing rooms;
it is listed again when a day old, or when a name is unknown (at most once per period); a failed
listing falls back to the snapshot."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.directory.snapshot import RECHECK_AGE, SNAPSHOT_MAX_AGE, SnapshotLoader, snapshot_cache
from bot.feishu.gateway import FeishuGateway
from bot.sandbox import Sandbox
from bot.store import Store
from tests.clocks import SettableClock

LISTING = ("/open-apis/vc/v1/rooms", "/open-apis/vc/v1/room_levels")
TZ = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def clock() -> SettableClock:
    return SettableClock(1_763_420_400.0)


@pytest.fixture
def store(tmp_path: Path, clock: SettableClock) -> Iterator[Store]:
    with Store.open(f"sqlite:///{tmp_path / 'dir.db'}", clock=clock) as opened:
        yield opened


def gateway(sb: Sandbox) -> FeishuGateway:
    return FeishuGateway(sb.feishu_settings(), tz=TZ)


def listed(gw: FeishuGateway) -> int:
    return sum(n for path, n in gw.calls.by_path.items() if path.startswith(LISTING))


def test_a_new_process_starts_from_the_snapshot(shared_sandbox: Sandbox, store: Store) -> None:
    first = gateway(shared_sandbox)
    directory = snapshot_cache(first, store, "0").get()
    assert listed(first) > 0 and len(directory.rooms) == 60
    second = gateway(shared_sandbox)  # another process, the same store
    again = snapshot_cache(second, store, "0").get()
    assert listed(second) == 0
    assert again.rooms == directory.rooms and again.levels == directory.levels
    assert again.level_label(directory.levels[-1]) == directory.level_label(directory.levels[-1])


def test_a_day_old_snapshot_is_listed_again(shared_sandbox: Sandbox, store: Store,
                                            clock: SettableClock) -> None:
    gw = gateway(shared_sandbox)
    loader = SnapshotLoader(gw, store, "0")
    built = loader()
    calls = listed(gw)
    assert loader() is built and listed(gw) == calls  # unchanged snapshot: nothing rebuilt
    clock.advance(SNAPSHOT_MAX_AGE + 1)
    assert loader() is not built and listed(gw) == 2 * calls


def test_an_unknown_name_lists_again_but_not_over_and_over(shared_sandbox: Sandbox, store: Store,
                                                           clock: SettableClock) -> None:
    gw = gateway(shared_sandbox)
    cache = snapshot_cache(gw, store, "0")
    cache.get()
    calls = listed(gw)
    assert cache.refresh_unknown("Narnia") is not None
    assert listed(gw) == calls  # the snapshot is minutes old: it is current
    clock.advance(RECHECK_AGE + 1)
    assert cache.refresh_unknown("Narnia") is None  # asked again within MIN_REFRESH_SECONDS
    fresh = snapshot_cache(gw, store, "0")
    assert fresh.refresh_unknown("Narnia") is not None and listed(gw) == 2 * calls
    clock.advance(RECHECK_AGE + 1)  # a room that is not in the tenant (deleted, still in old
    later = snapshot_cache(gw, store, "0")  # bookings) does not re-list again...
    assert later.refresh_unknown("Narnia") is not None and listed(gw) == 2 * calls
    other = snapshot_cache(gw, store, "0")  # ... but another unknown room does
    assert other.refresh_unknown("omm_new_room") is not None and listed(gw) == 3 * calls


def test_a_failed_listing_falls_back_to_the_old_snapshot(shared_sandbox: Sandbox, store: Store,
                                                         clock: SettableClock) -> None:
    loader = SnapshotLoader(gateway(shared_sandbox), store, "0")
    rooms = loader().rooms
    clock.advance(SNAPSHOT_MAX_AGE + 1)
    down = Sandbox.start(seed=7, rooms=60)
    down.stop()  # a Feishu that does not answer
    broken = SnapshotLoader(FeishuGateway(down.feishu_settings(), tz=TZ, time_budget=2.0), store, "0")
    assert broken().rooms == rooms
