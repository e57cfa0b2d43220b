"""FeishuGateway: every Feishu Open API call roombot makes, returning roombot's own models.

The `bot.feishu` package is the only code that imports lark_oapi. Paging, batching, day-splitting,
retries, token refresh, rate limiting and the per-call time budget all live here, so the rest of
roombot sees `Room`, `Reservation`, `BusyInterval` ... and `FeishuError` subclasses. The gateway
is one facade over one mixin per API family, all sharing `GatewayBase`'s plumbing (base.py).
"""
from __future__ import annotations

from bot.feishu.base import (
    API_BOT_INFO,
    API_FREEBUSY,
    API_LEVEL,
    API_LEVELS,
    API_RESERVATIONS,
    API_ROOMS,
)
from bot.feishu.calendar import CalendarCalls
from bot.feishu.freebusy import FreeBusyCalls, InstanceCalls
from bot.feishu.login import LoginCalls
from bot.feishu.messaging import MessageCalls
from bot.feishu.reservations import ReservationCalls, day_chunks
from bot.feishu.rooms import RoomCalls

__all__ = ["API_BOT_INFO", "API_FREEBUSY", "API_LEVEL", "API_LEVELS", "API_RESERVATIONS",
           "API_ROOMS", "FeishuGateway", "day_chunks"]


class FeishuGateway(RoomCalls, ReservationCalls, FreeBusyCalls, InstanceCalls, CalendarCalls,
                    MessageCalls, LoginCalls):
    """roombot's client of the Feishu Open API (thread-safe; share one per process)."""
