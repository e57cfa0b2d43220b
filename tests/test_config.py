"""Settings: defaults, environment overrides for secrets, and errors that name the key."""
from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings, settings_from_dict

ROOT = Path(__file__).resolve().parent.parent
MINIMAL = {"feishu": {"app_id": "cli_a", "app_secret": "s"}}


def test_example_config_loads_with_the_secret_from_the_environment() -> None:
    settings = load_settings(ROOT / "config.example.toml", {"ROOMBOT_FEISHU_APP_SECRET": "x"})
    assert settings.feishu.app_secret == "x"
    assert settings.bot.timezone == "Asia/Shanghai"
    assert settings.digest.default_time.hour == 9


def test_defaults() -> None:
    settings = settings_from_dict(MINIMAL, {})
    assert settings.feishu.domain == "https://open.feishu.cn"
    assert settings.storage.url == "sqlite:///roombot.db"
    assert settings.bot.room_level_id == "0"
    assert settings.privacy.show_topics is False


def test_environment_overrides_secrets_and_storage() -> None:
    env = {"ROOMBOT_FEISHU_ENCRYPT_KEY": "ek", "ROOMBOT_STORAGE_URL": "postgresql://u@h/db"}
    settings = settings_from_dict(MINIMAL, env)
    assert settings.feishu.encrypt_key == "ek"
    assert settings.storage.url == "postgresql://u@h/db"


def test_settings_are_frozen() -> None:
    settings = settings_from_dict(MINIMAL, {})
    with pytest.raises(AttributeError):
        settings.bot.timezone = "UTC"  # type: ignore[misc]


@pytest.mark.parametrize("data, key", [
    ({"feishu": {"app_id": "cli_a"}}, "feishu.app_secret"),
    ({"feishu": {"app_secret": "s"}}, "feishu.app_id"),
    ({**MINIMAL, "bot": {"timezone": "Mars/Olympus"}}, "bot.timezone"),
    ({"feishu": {**MINIMAL["feishu"], "domain": "http://example.com"}}, "feishu.domain"),
    ({**MINIMAL, "storage": {"url": "mysql://x"}}, "storage.url"),
    ({**MINIMAL, "digest": {"time": "25:00"}}, "digest.time"),
    ({**MINIMAL, "server": {"port": "80"}}, "server.port"),
    ({**MINIMAL, "bot": {"colour": "blue"}}, "bot.colour"),
    ({**MINIMAL, "privacy": {"reserver_names": "some"}}, "privacy.reserver_names"),
    ({**MINIMAL, "digest": {"admins": "ou_1"}}, "digest.admins"),
    ({**MINIMAL, "nonsense": {}}, "[nonsense]"),
    ({**MINIMAL, "reminders": {"minutes_before": 0}}, "reminders.minutes_before"),
    ({**MINIMAL, "reminders": {"quiet_hours": "20:00"}}, "reminders.quiet_hours"),
    ({**MINIMAL, "reminders": {"quiet_hours": "20:00-8pm"}}, "reminders.quiet_hours"),
    ({**MINIMAL, "reminders": {"per_second": 80}}, "reminders.per_second"),
    ({**MINIMAL, "reminders": {"skip_booked_within_minutes": -1}}, "reminders.skip_booked_within_minutes"),
])
def test_wrong_values_fail_naming_the_key(data: dict, key: str) -> None:
    with pytest.raises(ConfigError, match=key.replace("[", r"\[").replace("]", r"\]")):
        settings_from_dict(data, {})


def test_missing_secret_says_how_to_set_it() -> None:
    with pytest.raises(ConfigError, match="ROOMBOT_FEISHU_APP_SECRET"):
        settings_from_dict({"feishu": {"app_id": "cli_a"}}, {})


def test_sandbox_domain_on_loopback_is_allowed() -> None:
    settings = settings_from_dict({"feishu": {**MINIMAL["feishu"], "domain": "http://127.0.0.1:9300"}}, {})
    assert settings.feishu.domain == "http://127.0.0.1:9300"


def test_missing_file_and_bad_toml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_settings(tmp_path / "nope.toml", {})
    bad = tmp_path / "bad.toml"
    bad.write_text("[feishu\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(bad, {})
