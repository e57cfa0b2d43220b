"""The database under the store: named statements, transactions and the migrations (migrations.py) over
one of two backends (backends.py).

The SQL is written once with `?` placeholders; the PostgreSQL backend rewrites them to `%s`.
Every write is one short transaction and every "only once" rule rests on a unique key, so several
threads, processes or instances can share one database safely. Reads never take SQLite's write
lock (a deferred transaction under WAL), so readers never queue behind the acknowledging writer.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar, Self

from bot.store.backends import Backend, StoreError, backend_for
from bot.store.migrations import DIALECTS, MIGRATIONS

__all__ = ["DIALECTS", "MIGRATIONS", "Backend", "Database", "StoreError", "utc"]

log = logging.getLogger(__name__)


def utc(epoch: float) -> datetime:
    """An epoch as an aware UTC datetime."""
    return datetime.fromtimestamp(epoch, tz=UTC)


class Database:
    """A connection to the store's database: transactions, named statements, migrations."""

    SQL: ClassVar[dict[str, str]] = {}  # filled by the table mixins of `Store`

    def __init__(self, backend: Backend, *, clock: Callable[[], float] = time.time) -> None:
        self._db = backend
        self._clock = clock
        self.dialect = backend.dialect

    @classmethod
    def open(cls, url: str, *, clock: Callable[[], float] = time.time,
             schema_version: int | None = None, **options: Any) -> Self:
        """Connect to `url` and create/upgrade the schema (to `schema_version`, default: latest)."""
        store = cls(backend_for(url), clock=clock, **options)
        store.migrate(schema_version)
        return store

    def close(self) -> None:
        """Close every connection."""
        self._db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def migrate(self, upto: int | None = None) -> int:
        """Apply the migrations not yet recorded in schema_version; return the schema version."""
        target = len(MIGRATIONS) if upto is None else upto
        with self._db.transaction() as cur:
            self._db.migration_lock(cur)
            cur.execute("CREATE TABLE IF NOT EXISTS schema_version "
                        "(version INTEGER PRIMARY KEY, applied_at " + DIALECTS[self.dialect]["real"]
                        + " NOT NULL)")
            cur.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version")
            row = cur.fetchone()
            current = int(row[0]) if row else 0
            for version, statements in enumerate(MIGRATIONS[current:target], start=current + 1):
                for statement in statements:
                    cur.execute(statement.format(**DIALECTS[self.dialect]))
                cur.execute("INSERT INTO schema_version (version, applied_at) VALUES (?, ?)",
                            (version, self._clock()))
                log.info("store: applied migration %d (%s)", version, self.dialect)
        return max(current, target)

    def schema_version(self) -> int:
        """The highest applied migration."""
        with self._db.transaction(write=False) as cur:
            cur.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version")
            row = cur.fetchone()
        return int(row[0]) if row else 0

    def sql(self, name: str) -> str:
        """A named statement in this database's dialect."""
        return self.SQL[name].format(**DIALECTS[self.dialect])

    def _write(self, name: str, params: Sequence[Any]) -> int:
        """Run one named statement as its own transaction; return the affected row count."""
        with self._db.statement() as cur:
            cur.execute(self.sql(name), params)
            return cur.rowcount

    def _read(self, name: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        """Run one named query in a read transaction (no write lock)."""
        with self._db.transaction(write=False) as cur:
            cur.execute(self.sql(name), params)
            return cur.fetchall()
