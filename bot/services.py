"""The long-lived pieces roombot runs on, built once at start and passed explicitly."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from bot.config import Settings

if TYPE_CHECKING:
    from bot.directory import DirectoryCache
    from bot.feishu.gateway import FeishuGateway
    from bot.store import Store


@dataclass
class Services:
    """Settings, the Feishu gateway, the cached room directory, the store and the clock."""

    settings: Settings
    gateway: FeishuGateway
    directory: DirectoryCache
    store: Store
    clock: Callable[[], datetime]  # aware now in the tenant timezone

    def now(self) -> datetime:
        """The current time in the tenant timezone, to the second."""
        return self.clock().astimezone(self.settings.bot.tz).replace(microsecond=0)
