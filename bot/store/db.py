"""The database under the store: SQLite or PostgreSQL behind one cursor API, and ordered migrations.

The SQL is written once with `?` placeholders; the PostgreSQL backend rewrites them to `%s`.
Every write is one short transaction and every "only once" rule rests on a unique key, so several
threads, processes or instances can share one database safely. Reads never take SQLite's write
lock (a deferred transaction under WAL), so readers never queue behind the acknowledging writer.
"""
from __future__ import annotations

import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, ClassVar, Protocol, Self

log = logging.getLogger(__name__)

# Ordered migrations; each runs once, in a transaction, and is recorded in schema_version.
# {real} and {serial_pk} are the only dialect differences.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE events (
            key TEXT PRIMARY KEY, kind TEXT NOT NULL, payload TEXT NOT NULL,
            received_at {real} NOT NULL, status TEXT NOT NULL DEFAULT 'pending',
            attempts INTEGER NOT NULL DEFAULT 0, lease_until {real}, last_error TEXT,
            done_at {real})""",
        "CREATE INDEX events_pending ON events (status, received_at)",
        """CREATE TABLE subscriptions (
            id {serial_pk}, chat_id TEXT NOT NULL, chat_type TEXT NOT NULL,
            level_id TEXT NOT NULL, level_label TEXT NOT NULL, kinds TEXT NOT NULL,
            at TEXT NOT NULL, lang TEXT NOT NULL, created_by TEXT NOT NULL,
            active INTEGER NOT NULL DEFAULT 1, created_at {real} NOT NULL,
            updated_at {real} NOT NULL, inactive_reason TEXT,
            UNIQUE (chat_id, level_id))""",
        """CREATE TABLE digests (
            chat_id TEXT NOT NULL, day TEXT NOT NULL, kind TEXT NOT NULL, uuid TEXT NOT NULL,
            status TEXT NOT NULL, attempts INTEGER NOT NULL, claimed_at {real} NOT NULL,
            lease_until {real} NOT NULL, token TEXT NOT NULL, message_id TEXT, sent_at {real},
            PRIMARY KEY (chat_id, day, kind))""",
        """CREATE TABLE leases (
            name TEXT PRIMARY KEY, holder TEXT NOT NULL, until {real} NOT NULL)""",
    ),
    (  # 2: small per-day facts (e.g. a finished day's no-shows) so digests need not re-fetch old days
        """CREATE TABLE day_facts (
            name TEXT NOT NULL, day TEXT NOT NULL, data TEXT NOT NULL, saved_at {real} NOT NULL,
            PRIMARY KEY (name, day))""",
    ),
    (  # 3: the inbox counts attempts when an item is claimed; given-up items are 'dead' letters
        "UPDATE events SET status = 'dead' WHERE status = 'failed'",
    ),
    (  # 4: a subscription is daily or weekly (on a weekday); a chat may have both for one place.
        # SQLite cannot change a UNIQUE constraint in place, so the table is rebuilt (ids renumbered
        # in the same order; nothing refers to them).
        "ALTER TABLE subscriptions RENAME TO subscriptions_v3",
        """CREATE TABLE subscriptions (
            id {serial_pk}, chat_id TEXT NOT NULL, chat_type TEXT NOT NULL,
            level_id TEXT NOT NULL, level_label TEXT NOT NULL, kinds TEXT NOT NULL,
            at TEXT NOT NULL, lang TEXT NOT NULL, created_by TEXT NOT NULL,
            active INTEGER NOT NULL DEFAULT 1, created_at {real} NOT NULL,
            updated_at {real} NOT NULL, inactive_reason TEXT,
            period TEXT NOT NULL DEFAULT 'daily', weekday INTEGER NOT NULL DEFAULT 0,
            UNIQUE (chat_id, level_id, period))""",
        """INSERT INTO subscriptions (chat_id, chat_type, level_id, level_label, kinds, at, lang,
            created_by, active, created_at, updated_at, inactive_reason, period, weekday)
            SELECT chat_id, chat_type, level_id, level_label, kinds, at, lang, created_by, active,
            created_at, updated_at, inactive_reason, 'daily', 0 FROM subscriptions_v3 ORDER BY id""",
        "DROP TABLE subscriptions_v3",
    ),
    (  # 5: the last room directory read from Feishu, per root level: a new process starts from it
        """CREATE TABLE directory_snapshots (
            root_id TEXT PRIMARY KEY, data TEXT NOT NULL, saved_at {real} NOT NULL)""",
    ),
)

DIALECTS = {
    "sqlite": {"real": "REAL", "serial_pk": "INTEGER PRIMARY KEY AUTOINCREMENT", "skip_locked": ""},
    "postgresql": {"real": "DOUBLE PRECISION", "serial_pk": "BIGSERIAL PRIMARY KEY",
                   "skip_locked": "FOR UPDATE SKIP LOCKED"},
}


class StoreError(RuntimeError):
    """The storage URL is unusable or the database could not be reached."""


class Cursor(Protocol):
    rowcount: int

    def execute(self, sql: str, params: Sequence[Any] = ...) -> Any: ...
    def fetchall(self) -> list[tuple[Any, ...]]: ...
    def fetchone(self) -> tuple[Any, ...] | None: ...


class _Backend(Protocol):
    dialect: str

    def transaction(self, write: bool = True) -> Any: ...
    def statement(self) -> Any: ...
    def migration_lock(self, cur: Cursor) -> None: ...
    def close(self) -> None: ...


class _SQLiteBackend:
    """sqlite3 with WAL and a busy timeout; one connection per thread (one shared for :memory:)."""

    dialect = "sqlite"

    def __init__(self, path: str) -> None:
        self.path = path
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._shared_lock = threading.RLock() if path == ":memory:" else None
        self._shared: sqlite3.Connection | None = None
        # This process's writers queue here, woken at once, instead of in SQLite's busy handler,
        # which sleeps up to 100 ms between tries: an ack must not wait behind its own siblings.
        self._write_lock = threading.Lock()

    def _connect(self) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None,
                                   check_same_thread=False)
            conn.execute("PRAGMA busy_timeout = 30000")
            if self.path != ":memory:":
                conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = FULL")  # an acknowledged event must survive a crash
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open SQLite database {self.path}: {exc}") from exc
        with self._lock:
            self._all.append(conn)
        return conn

    def _conn(self) -> sqlite3.Connection:
        if self._shared_lock is not None:
            if self._shared is None:
                self._shared = self._connect()
            return self._shared
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self._connect()
        return conn

    @contextmanager
    def transaction(self, write: bool = True) -> Iterator[Cursor]:
        """BEGIN IMMEDIATE for writes (one writer per process at a time), BEGIN for reads."""
        with self._shared_lock or _nullcontext(), self._write_lock if write else _nullcontext():
            conn = self._conn()
            cur = conn.cursor()
            try:
                cur.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            except sqlite3.Error as exc:
                raise StoreError(f"SQLite database {self.path} unusable: {exc}") from exc
            try:
                yield cur
            except BaseException:
                conn.rollback()
                raise
            conn.commit()

    @contextmanager
    def statement(self) -> Iterator[Cursor]:
        """One write statement in autocommit: SQLite holds its write lock only inside the C call
        (the GIL released), never across Python code that may wait for the GIL in a busy process.
        The inbox's hot writes are all single statements, so acks never queue behind a worker
        thread that holds the lock while waiting for its turn on the GIL."""
        with self._shared_lock or _nullcontext(), self._write_lock:
            try:
                yield self._conn().cursor()
            except sqlite3.OperationalError as exc:
                raise StoreError(f"SQLite database {self.path} unusable: {exc}") from exc

    def migration_lock(self, cur: Cursor) -> None:
        """BEGIN IMMEDIATE already holds the write lock."""

    def close(self) -> None:
        with self._lock:
            conns, self._all = self._all, []
        for conn in conns:
            conn.close()


class _PostgresBackend:
    """psycopg 3 with a small pool of connections, checked out per transaction."""

    dialect = "postgresql"

    def __init__(self, url: str, pool_size: int = 8) -> None:
        import psycopg  # imported here so SQLite users need no PostgreSQL client

        self._psycopg = psycopg
        self.url = url
        self._idle: queue.LifoQueue[Any] = queue.LifoQueue(maxsize=pool_size)
        self._closed = False

    def _get(self) -> Any:
        try:
            conn = self._idle.get_nowait()
            if not conn.closed:
                return conn
        except queue.Empty:
            pass
        try:
            return self._psycopg.connect(self.url, connect_timeout=10)
        except self._psycopg.OperationalError as exc:
            raise StoreError(f"cannot connect to PostgreSQL: {exc}") from exc

    def _put(self, conn: Any) -> None:
        if self._closed or conn.closed or conn.broken:
            conn.close()
            return
        try:
            self._idle.put_nowait(conn)
        except queue.Full:
            conn.close()

    @contextmanager
    def transaction(self, write: bool = True) -> Iterator[Cursor]:
        """One transaction on a pooled connection; rolled back on any error."""
        conn = self._get()
        try:
            with conn.cursor() as cur:
                yield _PgCursor(cur)
            conn.commit()
        except BaseException:
            if not conn.closed:
                conn.rollback()
            raise
        finally:
            self._put(conn)

    @contextmanager
    def statement(self) -> Iterator[Cursor]:
        """One write statement (its own transaction)."""
        with self.transaction() as cur:
            yield cur

    def migration_lock(self, cur: Cursor) -> None:
        """Two instances starting together must not both run a migration."""
        cur.execute("SELECT pg_advisory_xact_lock(727001)")

    def close(self) -> None:
        self._closed = True
        while True:
            try:
                self._idle.get_nowait().close()
            except queue.Empty:
                return


class _PgCursor:
    """A psycopg cursor that accepts the `?` placeholders the SQL is written with."""

    def __init__(self, cur: Any) -> None:
        self._cur = cur

    @property
    def rowcount(self) -> int:
        return int(self._cur.rowcount)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self._cur.execute(_to_pyformat(sql), params)

    def fetchall(self) -> list[tuple[Any, ...]]:
        return list(self._cur.fetchall())

    def fetchone(self) -> tuple[Any, ...] | None:
        return self._cur.fetchone()


_PYFORMAT: dict[str, str] = {}


def _to_pyformat(sql: str) -> str:
    """`?` -> `%s` (our SQL has no `?` or `%` inside string literals)."""
    converted = _PYFORMAT.get(sql)
    if converted is None:
        converted = _PYFORMAT[sql] = sql.replace("%", "%%").replace("?", "%s")
    return converted


@contextmanager
def _nullcontext() -> Iterator[None]:
    yield


def _backend_for(url: str) -> _Backend:
    if url.startswith("sqlite:///"):
        return _SQLiteBackend(url[len("sqlite:///"):] or ":memory:")
    if url.startswith(("postgresql://", "postgres://")):
        return _PostgresBackend(url)
    raise StoreError(f"storage url {url!r} must be sqlite:///PATH or postgresql://user@host/db")


def utc(epoch: float) -> datetime:
    """An epoch as an aware UTC datetime."""
    return datetime.fromtimestamp(epoch, tz=UTC)


class Database:
    """A connection to the store's database: transactions, named statements, migrations."""

    SQL: ClassVar[dict[str, str]] = {}  # filled by the table mixins of `Store`

    def __init__(self, backend: _Backend, *, clock: Callable[[], float] = time.time) -> None:
        self._db = backend
        self._clock = clock
        self.dialect = backend.dialect

    @classmethod
    def open(cls, url: str, *, clock: Callable[[], float] = time.time,
             schema_version: int | None = None, **options: Any) -> Self:
        """Connect to `url` and create/upgrade the schema (to `schema_version`, default: latest)."""
        store = cls(_backend_for(url), clock=clock, **options)
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
