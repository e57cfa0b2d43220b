"""Named leases (one digest scheduler per deployment) and small facts about finished days."""
from __future__ import annotations

import json
from datetime import date
from typing import Any

from bot.store.db import Database

LEASE_SQL = {
    "acquire_lease": "INSERT INTO leases (name, holder, until) VALUES (?, ?, ?) "
                     "ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, "
                     "until = excluded.until "
                     "WHERE leases.holder = excluded.holder OR leases.until < ?",
    "release_lease": "DELETE FROM leases WHERE name = ? AND holder = ?",
    "put_fact": "INSERT INTO day_facts (name, day, data, saved_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (name, day) DO UPDATE SET data = excluded.data, "
                "saved_at = excluded.saved_at",
    "facts": "SELECT day, data FROM day_facts WHERE name = ? AND day >= ? AND day <= ?",
    "fact_days": "SELECT day FROM day_facts WHERE name = ? AND day >= ? AND day <= ?",
}


class LeaseTable(Database):
    """Leases for leadership, and per-day facts."""

    def acquire_lease(self, name: str, holder: str, ttl_seconds: float) -> bool:
        """Take or renew the named lease for `holder`; False while someone else holds it."""
        now = self._clock()
        return self._write("acquire_lease", (name, holder, now + ttl_seconds, now)) == 1

    def release_lease(self, name: str, holder: str) -> None:
        """Give the lease up (only if we hold it)."""
        self._write("release_lease", (name, holder))

    def put_fact(self, name: str, day: date, data: Any) -> None:
        """Remember a JSON-able fact about a finished day (replacing an older one)."""
        text = json.dumps(data, ensure_ascii=False, default=str)
        self._write("put_fact", (name, day.isoformat(), text, self._clock()))

    def facts(self, name: str, first: date, last: date) -> dict[date, Any]:
        """The facts called `name` remembered for the days first..last (missing days are absent)."""
        rows = self._read("facts", (name, first.isoformat(), last.isoformat()))
        return {date.fromisoformat(day): json.loads(data) for day, data in rows}

    def fact_days(self, name: str, first: date, last: date) -> set[date]:
        """The days first..last that have a fact called `name` (without reading the facts)."""
        rows = self._read("fact_days", (name, first.isoformat(), last.isoformat()))
        return {date.fromisoformat(day) for (day,) in rows}
