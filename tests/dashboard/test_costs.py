"""Costs per room-hour: the default, overridden by building, floor or room (the most specific
wins), keys that name no place reported; no-show cost per place; the config table."""
from __future__ import annotations

import tomllib
from datetime import timedelta

import pytest

from bot.config import ConfigError, Settings, settings_from_dict
from bot.dashboard import numbers
from bot.dashboard.costs import room_costs
from bot.dashboard.rollup import Layout
from bot.directory.tree import Directory
from bot.insights.incidents import Counts
from bot.insights.working_time import WorkingTime
from tests.dashboard.test_numbers import SUNDAY, raw, weekly
from tests.insights.test_usage import A_1F, ROOT, T2, T2_4F, T2_5F, A, room

ROOMS = [room("Mercury", 8, T2_4F), room("Venus", 4, T2_5F), room("Everest", 12, T2_5F),
         room("Lhasa", 6, A_1F)]
DIRECTORY = Directory(ROOMS, [ROOT, T2, A, T2_4F, T2_5F, A_1F], "root")


def test_the_most_specific_place_wins_and_unknown_keys_are_reported() -> None:
    costs, unknown = room_costs(DIRECTORY, 100.0, (("T2", 150.0), ("T2 · 5F", 200.0),
                                                   ("Everest", 300.0), ("Atlantis", 1.0),
                                                   ("5F", 9.0)))
    assert costs == {"omm_Mercury": 150.0, "omm_Venus": 200.0, "omm_Everest": 300.0,
                     "omm_Lhasa": 100.0}
    assert unknown == ["5F", "Atlantis"]  # a bare floor name is ambiguous between buildings
    by_id, none = room_costs(DIRECTORY, 0.0, ((A_1F.level_id, 80.0),))
    assert by_id["omm_Lhasa"] == 80.0 and by_id["omm_Mercury"] == 0.0 and none == []


def test_no_show_cost_per_building_and_floor() -> None:
    costs, _ = room_costs(DIRECTORY, 100.0, (("T2 · 5F", 200.0),))
    miss = Counts(bookings=2, no_shows=1, no_show_time=timedelta(hours=1.5))
    by_day = raw({SUNDAY: {"omm_Venus": miss, "omm_Mercury": miss, "name:unknown": miss}})
    layout = Layout.of(DIRECTORY, costs, 100.0, WorkingTime())
    weeks = weekly(by_day, {}, layout)
    rows = {(r["kind"], r["name"]): r for r in
            numbers.place_costs(weeks[SUNDAY - timedelta(days=6)], DIRECTORY)}
    assert rows[("floor", "T2 · 5F")]["cost"] == 300.0 and rows[("floor", "T2 · 4F")]["cost"] == 150.0
    assert rows[("building", "T2")]["cost"] == 450.0 and rows[("building", "T2")]["rooms"] == 3
    assert rows[("building", "A座")]["cost"] == 0.0
    overview = numbers.overview(weeks, SUNDAY, layout)
    assert overview[0]["cost"] == 600.0  # the room known only by name costs the default


def test_cost_per_place_is_a_table_of_numbers() -> None:
    base = '[feishu]\napp_id = "cli_x"\napp_secret = "s"\n'

    def load_settings_text(text: str) -> Settings:
        return settings_from_dict(tomllib.loads(text), {})
    settings = load_settings_text(base + '[dashboard.cost_per_place]\n"T2" = 150\n"T2 · 5F" = 200.5\n')
    assert settings.dashboard.cost_per_place == (("T2", 150.0), ("T2 · 5F", 200.5))
    for bad in ('[dashboard]\ncost_per_place = ["T2"]\n', '[dashboard.cost_per_place]\n"T2" = "cheap"\n',
                '[dashboard.cost_per_place]\n"T2" = -1\n'):
        with pytest.raises(ConfigError, match="cost_per_place"):
            load_settings_text(base + bad)
