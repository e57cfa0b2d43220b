"""roombot's settings: TOML plus environment overrides for secrets, loaded once into frozen dataclasses."""
from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, field
from datetime import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.insights.working_time import WorkingTime

SECRET_ENV = {
    "app_id": "ROOMBOT_FEISHU_APP_ID",
    "app_secret": "ROOMBOT_FEISHU_APP_SECRET",
    "encrypt_key": "ROOMBOT_FEISHU_ENCRYPT_KEY",
    "verification_token": "ROOMBOT_FEISHU_VERIFICATION_TOKEN",
}
STORAGE_ENV = "ROOMBOT_STORAGE_URL"
PRIVACY_NAMES = ("all", "dm_only", "counts_only")
LOG_FORMATS = ("text", "json")
FEISHU_MODES = ("webhook", "long_connection")


class ConfigError(ValueError):
    """A setting is missing or wrong; the message names the key and how to set it."""


@dataclass(frozen=True)
class FeishuSettings:
    app_id: str
    app_secret: str
    encrypt_key: str = ""
    verification_token: str = ""
    domain: str = "https://open.feishu.cn"
    mode: str = "webhook"  # how events arrive: "webhook" (HTTP POSTs) or "long_connection" (WebSocket)


@dataclass(frozen=True)
class BotSettings:
    timezone: str = "Asia/Shanghai"
    room_level_id: str = "0"  # "0" = the tenant root
    slot_minutes: int = 30  # "at 3pm" means 15:00 plus this
    workers: int = 4
    time_budget_seconds: float = 20.0  # a user never waits longer than this for Feishu
    ledger_cache_seconds: float = 60.0  # a day's reservation ledger is reused this long; 0 = off

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class ServerSettings:
    host: str = "127.0.0.1"
    port: int = 8080
    threads: int = 8
    worker_processes: int = 2  # processes answering messages, apart from the one acking webhooks


@dataclass(frozen=True)
class StorageSettings:
    url: str = "sqlite:///roombot.db"


@dataclass(frozen=True)
class DigestSettings:
    time: str = "09:00"  # default time of day for a new subscription, tenant timezone
    admins: tuple[str, ...] = ()  # open_ids allowed to subscribe groups; empty = anyone in the chat
    export_threshold: int = 300  # a day with more rows than this goes through the async export
    misfire_grace_seconds: int = 3600
    lease_seconds: float = 90.0  # another instance takes the scheduler over this soon after a crash

    @property
    def default_time(self) -> time:
        return parse_clock(self.time, "digest.time")


@dataclass(frozen=True)
class PrivacySettings:
    reserver_names: str = "all"  # all | dm_only | counts_only
    show_topics: bool = False  # meeting titles are private unless turned on
    nudge_no_shows: bool = False  # opt-in: a weekly DM to people with repeated no-shows
    nudge_threshold: int = 2  # no-shows in the last 7 days that earn a nudge


@dataclass(frozen=True)
class ExportSettings:
    """Who may have bookings sent to them as a file ("export 5F bookings last month")."""

    admins: tuple[str, ...] = ()  # open_ids; empty = nobody (exports carry names and departments)


@dataclass(frozen=True)
class InsightsSettings:
    """Working time that utilisation and peak hours are measured against (tenant timezone)."""

    working_hours: str = "09:00-18:00"
    working_days: tuple[str, ...] = ("Mon", "Tue", "Wed", "Thu", "Fri")

    @property
    def working(self) -> WorkingTime:
        return WorkingTime.parse(self.working_hours, self.working_days)


@dataclass(frozen=True)
class BookingSettings:
    """Booking from the card through calendar v4, as the app (see README "Booking")."""

    enabled: bool = True  # needs calendar:calendar (or calendar.event:create + :update)
    default_minutes: int = 60  # "book Everest at 3pm" books this long
    max_minutes: int = 240  # the longest booking roombot makes (a room's own maximum also applies)
    # The event title ({room}). Not "<name>'s meeting": an app reads no one's name without the
    # contact scope, so the requester's name is Feishu's to show (it lists the event under them).
    title: str = "Booked with roombot · {room}"
    notify: bool = True  # Feishu notifies the requester (need_notification)
    poll_seconds: float = 15.0  # how long a booking waits for Feishu's accept before "still pending"


@dataclass(frozen=True)
class ReleaseSettings:
    """Giving rooms back: who may release anyone's booking, and when a booking counts as a
    current no-show (started this long ago, nobody checked in)."""

    admins: tuple[str, ...] = ()  # open_ids that may release any booking (the holder always may)
    no_show_after_minutes: int = 10
    # Keep-or-release reminders (opt-in): a DM to the holder `minutes_before` a booking starts.
    enabled: bool = False
    minutes_before: int = 10
    quiet_hours: str = ""  # "HH:MM-HH:MM" (may cross midnight): no reminder for a start inside
    skip_booked_within_minutes: int = 30  # a booking made this recently gets no reminder
    check_in_rooms_only: bool = True  # skip rooms without check-in (their bookings never lapse)
    per_second: float = 20.0  # reminders sent per second at most (Feishu: 50/s per app)

    def quiet(self, at: time) -> bool:
        """Whether a start at `at` (tenant time) falls in the quiet hours."""
        if not self.quiet_hours:
            return False
        first, _, last = self.quiet_hours.partition("-")
        begin, end = parse_clock(first, "reminders.quiet_hours"), parse_clock(last, "reminders.quiet_hours")
        return begin <= at < end if begin <= end else (at >= begin or at < end)


@dataclass(frozen=True)
class DashboardSettings:
    """The admins' dashboard under /admin/ (README "Dashboard"), signed in with Feishu."""

    enabled: bool = False
    admins: tuple[str, ...] = ()  # open_ids that may sign in; empty = nobody
    # Where browsers reach roombot, e.g. "https://roombot.example.com": the OAuth redirect URL to
    # register is this + "/admin/callback". Empty: the address the request came in on.
    public_url: str = ""
    # Feishu's authorize page; empty = accounts.feishu.cn (or .larksuite.com for Lark, or the
    # sandbox's own page when feishu.domain is a local sandbox).
    authorize_url: str = ""
    session_hours: float = 8.0  # a sign-in lasts this long
    rooms_per_page: int = 200  # rows of the rooms table on the page (downloads have every room)
    cost_per_room_hour: float = 0.0  # what an hour of a room costs, for "cost of no-shows"
    # Other costs for some places: {"T2" = 150, "T2 · 5F" = 200, "Everest" = 300}, keyed by a
    # building's name, a floor's label as cards show it, a room's name, or a level or room id;
    # the most specific place wins (room, then floor, then building, then cost_per_room_hour).
    cost_per_place: tuple[tuple[str, float], ...] = field(default=(), metadata={"table": float})
    currency: str = "CNY"


@dataclass(frozen=True)
class LogSettings:
    format: str = "text"  # "text" or "json" (one object per line)
    include_text: bool = False  # log what people wrote; off by default (it is their message)


@dataclass(frozen=True)
class Settings:
    feishu: FeishuSettings
    bot: BotSettings = field(default_factory=BotSettings)
    server: ServerSettings = field(default_factory=ServerSettings)
    storage: StorageSettings = field(default_factory=StorageSettings)
    digest: DigestSettings = field(default_factory=DigestSettings)
    privacy: PrivacySettings = field(default_factory=PrivacySettings)
    insights: InsightsSettings = field(default_factory=InsightsSettings)
    log: LogSettings = field(default_factory=LogSettings)
    booking: BookingSettings = field(default_factory=BookingSettings)
    reminders: ReleaseSettings = field(default_factory=ReleaseSettings)
    exports: ExportSettings = field(default_factory=ExportSettings)
    dashboard: DashboardSettings = field(default_factory=DashboardSettings)


def parse_clock(text: str, key: str) -> time:
    """Parse "HH:MM" or fail naming the key."""
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", text.strip())
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise ConfigError(f'{key} = "{text}" is not a time of day; write it as "HH:MM", e.g. "09:00"')
    return time(int(match[1]), int(match[2]))


def load_settings(path: str | Path | None, env: Mapping[str, str]) -> Settings:
    """Read the TOML file at `path` (optional), apply env overrides, validate."""
    data: dict[str, Any] = {}
    if path is not None:
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"config file {path} not found; copy config.example.toml") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
    return settings_from_dict(data, env)


def settings_from_dict(data: Mapping[str, Any], env: Mapping[str, str]) -> Settings:
    """Build validated settings from parsed TOML and environment variables."""
    known = {"feishu", "bot", "server", "storage", "digest", "privacy", "insights", "log",
             "booking", "reminders", "exports", "dashboard"}
    for section in data:
        if section not in known:
            raise ConfigError(f"[{section}] is not a roombot config section; known: {sorted(known)}")
    feishu_raw = dict(data.get("feishu", {}))
    for key, var in SECRET_ENV.items():
        if env.get(var):
            feishu_raw[key] = env[var]
    storage_raw = dict(data.get("storage", {}))
    if env.get(STORAGE_ENV):
        storage_raw["url"] = env[STORAGE_ENV]
    for key in ("app_id", "app_secret"):
        if not str(feishu_raw.get(key, "")).strip():
            raise ConfigError(
                f"feishu.{key} is missing: set it in the [feishu] section of the config file "
                f"or in the environment variable {SECRET_ENV[key]}"
            )
    settings = Settings(
        feishu=_section(FeishuSettings, "feishu", feishu_raw),
        bot=_section(BotSettings, "bot", data.get("bot", {})),
        server=_section(ServerSettings, "server", data.get("server", {})),
        storage=_section(StorageSettings, "storage", storage_raw),
        digest=_section(DigestSettings, "digest", data.get("digest", {})),
        privacy=_section(PrivacySettings, "privacy", data.get("privacy", {})),
        insights=_section(InsightsSettings, "insights", data.get("insights", {})),
        log=_section(LogSettings, "log", data.get("log", {})),
        booking=_section(BookingSettings, "booking", data.get("booking", {})),
        reminders=_section(ReleaseSettings, "reminders", data.get("reminders", {})),
        exports=_section(ExportSettings, "exports", data.get("exports", {})),
        dashboard=_section(DashboardSettings, "dashboard", data.get("dashboard", {})),
    )
    _validate(settings)
    return settings


def _section(cls: type, name: str, raw: Mapping[str, Any]) -> Any:
    fields = cls.__dataclass_fields__
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in fields:
            raise ConfigError(f"{name}.{key} is not a known setting; known: {sorted(fields)}")
        default = fields[key].default
        if default is MISSING:
            default = ""
        if fields[key].metadata.get("table") is float:
            if not isinstance(value, dict) or not all(
                    isinstance(v, (int, float)) and not isinstance(v, bool) for v in value.values()):
                raise ConfigError(f'{name}.{key} must be a table of numbers, e.g. {{"T2" = 150}}')
            value = tuple((str(k), float(v)) for k, v in value.items())
        elif isinstance(default, tuple):
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ConfigError(f"{name}.{key} must be a list of strings")
            value = tuple(value)
        elif not _fits(value, default):
            raise ConfigError(f"{name}.{key} must be a {type(default).__name__}, got {value!r}")
        values[key] = value
    return cls(**values)


def _fits(value: Any, default: Any) -> bool:
    """Whether a TOML value has the setting's type (an int is fine where a float is expected)."""
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(value, bool) and isinstance(default, bool)
    if isinstance(default, float):
        return isinstance(value, (int, float))
    return isinstance(value, type(default))


def _validate(settings: Settings) -> None:
    try:
        ZoneInfo(settings.bot.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f'bot.timezone = "{settings.bot.timezone}" is not an IANA timezone, e.g. "Asia/Shanghai"'
        ) from None
    domain = settings.feishu.domain
    if not re.fullmatch(r"https://[^/]+|http://(127\.0\.0\.1|localhost|\[::1\])(:\d+)?", domain):
        raise ConfigError(
            f'feishu.domain = "{domain}" must be https://host (e.g. https://open.feishu.cn or '
            "https://open.larksuite.com), or http://127.0.0.1:PORT for the sandbox"
        )
    if settings.feishu.mode not in FEISHU_MODES:
        raise ConfigError(f'feishu.mode = "{settings.feishu.mode}" must be one of {FEISHU_MODES}')
    if not 3 <= settings.digest.lease_seconds <= 3600:
        raise ConfigError("digest.lease_seconds must be between 3 and 3600")
    url = settings.storage.url
    if not url.startswith(("sqlite:///", "postgresql://", "postgres://")):
        raise ConfigError(
            f'storage.url = "{url}" must be sqlite:///PATH or postgresql://user@host/db'
        )
    if settings.privacy.reserver_names not in PRIVACY_NAMES:
        raise ConfigError(f"privacy.reserver_names must be one of {PRIVACY_NAMES}")
    if not 1 <= settings.privacy.nudge_threshold <= 100:
        raise ConfigError("privacy.nudge_threshold must be between 1 and 100")
    if settings.log.format not in LOG_FORMATS:
        raise ConfigError(f'log.format = "{settings.log.format}" must be one of {LOG_FORMATS}')
    if not 0 <= settings.bot.ledger_cache_seconds <= 3600:
        raise ConfigError("bot.ledger_cache_seconds must be between 0 (off) and 3600")
    if not 5 <= settings.bot.slot_minutes <= 240:
        raise ConfigError("bot.slot_minutes must be between 5 and 240")
    if not 0 <= settings.server.worker_processes <= 64:
        raise ConfigError("server.worker_processes must be between 0 and 64")
    if not 1 <= settings.server.port <= 65535:
        raise ConfigError("server.port must be between 1 and 65535")
    parse_clock(settings.digest.time, "digest.time")
    _validate_insights(settings.insights)
    _validate_booking(settings.booking)
    _validate_reminders(settings.reminders)
    _validate_dashboard(settings.dashboard)


def _validate_dashboard(dashboard: DashboardSettings) -> None:
    if not 0.25 <= dashboard.session_hours <= 24 * 7:
        raise ConfigError("dashboard.session_hours must be between 0.25 and 168")
    if dashboard.cost_per_room_hour < 0:
        raise ConfigError("dashboard.cost_per_room_hour must be 0 or more")
    if not 10 <= dashboard.rooms_per_page <= 10000:
        raise ConfigError("dashboard.rooms_per_page must be between 10 and 10000")
    negative = [place for place, cost in dashboard.cost_per_place if cost < 0]
    if negative:
        raise ConfigError(f"dashboard.cost_per_place must be 0 or more: {negative}")
    for key in ("public_url", "authorize_url"):
        value = getattr(dashboard, key)
        if value and not re.fullmatch(r"https://[^/\s]+(/\S*)?|http://(127\.0\.0\.1|localhost)(:\d+)?(/\S*)?", value):
            raise ConfigError(f'dashboard.{key} = "{value}" must be an https:// URL '
                              "(http:// only for 127.0.0.1 or localhost)")
    if dashboard.enabled and not dashboard.admins:
        raise ConfigError("dashboard.enabled needs dashboard.admins: the open_ids that may sign in")


def _validate_reminders(reminders: ReleaseSettings) -> None:
    if not 1 <= reminders.minutes_before <= 120:
        raise ConfigError("reminders.minutes_before must be between 1 and 120")
    if not 0 <= reminders.skip_booked_within_minutes <= 24 * 60:
        raise ConfigError("reminders.skip_booked_within_minutes must be between 0 and 1440")
    if not 1 <= reminders.no_show_after_minutes <= 240:
        raise ConfigError("reminders.no_show_after_minutes must be between 1 and 240")
    if not 1 <= reminders.per_second <= 50:
        raise ConfigError("reminders.per_second must be between 1 and 50 (Feishu's limit per app)")
    if reminders.quiet_hours:
        first, dash, last = reminders.quiet_hours.partition("-")
        if not dash:
            raise ConfigError(f'reminders.quiet_hours = "{reminders.quiet_hours}" must be '
                              '"HH:MM-HH:MM", e.g. "20:00-08:00"')
        parse_clock(first, "reminders.quiet_hours")
        parse_clock(last, "reminders.quiet_hours")


def _validate_booking(booking: BookingSettings) -> None:
    if not 15 <= booking.default_minutes <= booking.max_minutes <= 24 * 60:
        raise ConfigError("booking.default_minutes must be at least 15 and at most "
                          "booking.max_minutes, which is at most 1440")
    if not 1 <= booking.poll_seconds <= 60:
        raise ConfigError("booking.poll_seconds must be between 1 and 60")
    try:
        booking.title.format(room="x")
    except (KeyError, IndexError, ValueError):
        raise ConfigError('booking.title may use only {room}, e.g. "Booked with roombot · {room}"') from None


def _validate_insights(insights: InsightsSettings) -> None:
    """Working hours and days must parse; the error names the key."""
    try:
        WorkingTime.parse(insights.working_hours)
    except ValueError:
        raise ConfigError(f'insights.working_hours = "{insights.working_hours}" must be '
                          '"HH:MM-HH:MM" with the end after the start, e.g. "09:00-18:00"') from None
    try:
        days = WorkingTime.parse(insights.working_hours, insights.working_days).days
    except ValueError:
        days = frozenset()
    if not days:
        raise ConfigError(f"insights.working_days = {list(insights.working_days)} must be one or "
                          'more of "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"')
