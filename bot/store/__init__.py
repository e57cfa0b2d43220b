"""roombot's state in SQLite or PostgreSQL: the inbox, subscriptions, digest claims, leases, facts,
the room directory's snapshot, the bookings and releases ledgers, the audit log, reminders and
conversations.

    store = Store.open("sqlite:///roombot.db")   # or postgresql://…; the schema is migrated
"""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import ClassVar

from bot.directory.table import DIRECTORY_SQL, DirectorySnapshot, DirectoryTable
from bot.store.bookings import BOOKING_SQL, AuditRow, Booking, BookingTable
from bot.store.db import MIGRATIONS, Backend, Database, StoreError
from bot.store.events import EVENT_SQL, EventTable, InboundEvent
from bot.store.leases import LEASE_SQL, LeaseTable
from bot.store.releases import RELEASE_SQL, ReleaseRow, ReleaseTable
from bot.store.reminders import REMINDER_SQL, Reminder, ReminderTable
from bot.store.subscriptions import (
    SUBSCRIPTION_SQL,
    DigestClaim,
    Subscription,
    SubscriptionTable,
    digest_uuid,
)

MAX_EVENT_ATTEMPTS = 5

__all__ = ["MIGRATIONS", "AuditRow", "Booking", "DigestClaim", "DirectorySnapshot", "InboundEvent", "ReleaseRow", "Reminder",
           "Store", "StoreError", "Subscription", "digest_uuid"]


class Store(EventTable, SubscriptionTable, LeaseTable, DirectoryTable, BookingTable, ReleaseTable,
            ReminderTable, Database):
    """All of roombot's persistent state behind one small API; open with `Store.open(url)`."""

    SQL: ClassVar[dict[str, str]] = {**EVENT_SQL, **SUBSCRIPTION_SQL, **LEASE_SQL, **DIRECTORY_SQL,
                                **BOOKING_SQL, **RELEASE_SQL, **REMINDER_SQL}

    def __init__(self, backend: Backend, *, clock: Callable[[], float] = time.time,
                 max_attempts: int = MAX_EVENT_ATTEMPTS) -> None:
        super().__init__(backend, clock=clock)
        self.max_attempts = max_attempts
