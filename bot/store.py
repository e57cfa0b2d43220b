"""roombot's state (seen events, subscriptions, digests sent, leases) in SQLite or PostgreSQL, same SQL.

The SQL is written once with `?` placeholders; the PostgreSQL backend rewrites them to `%s`.
Every write is one short transaction and every "only once" rule rests on a unique key, so several
threads, processes or instances can share one database safely.
"""
from __future__ import annotations

import hashlib
import json
import logging
import queue
import sqlite3
import threading
import time
import uuid as uuidlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Protocol, Self

log = logging.getLogger(__name__)

EVENT_LEASE_SECONDS = 120.0  # a claimed event is someone's for this long, then may be re-claimed
DIGEST_LEASE_SECONDS = 300.0  # a digest left 'sending' this long by a crashed run may be re-sent
MAX_EVENT_ATTEMPTS = 5

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
)

_SQL = {
    "accept_event": "INSERT INTO events (key, kind, payload, received_at) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (key) DO NOTHING",
    "pending_events": "SELECT key, kind, payload, received_at, attempts FROM events "
                      "WHERE status = 'pending' AND received_at <= ? "
                      "AND (lease_until IS NULL OR lease_until < ?) ORDER BY received_at",
    "claim_pending": "UPDATE events SET lease_until = ? WHERE key = ? AND status = 'pending' "
                     "AND (lease_until IS NULL OR lease_until < ?)",
    "mark_done": "UPDATE events SET status = 'done', done_at = ?, lease_until = NULL WHERE key = ?",
    "mark_failed": "UPDATE events SET attempts = attempts + 1, last_error = ?, lease_until = ?, "
                   "status = CASE WHEN attempts + 1 >= ? THEN 'failed' ELSE status END "
                   "WHERE key = ? AND status = 'pending'",
    "prune_events": "DELETE FROM events WHERE status <> 'pending' AND received_at < ?",
    "add_subscription": "INSERT INTO subscriptions (chat_id, chat_type, level_id, level_label, kinds, "
                        "at, lang, created_by, active, created_at, updated_at) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?) "
                        "ON CONFLICT (chat_id, level_id) DO UPDATE SET chat_type = excluded.chat_type, "
                        "level_label = excluded.level_label, kinds = excluded.kinds, at = excluded.at, "
                        "lang = excluded.lang, active = 1, inactive_reason = NULL, "
                        "updated_at = excluded.updated_at",
    "select_subscription": "SELECT {sub_cols} FROM subscriptions WHERE chat_id = ? AND level_id = ?",
    "remove_subscriptions_chat": "DELETE FROM subscriptions WHERE chat_id = ?",
    "remove_subscriptions_level": "DELETE FROM subscriptions WHERE chat_id = ? AND level_id = ?",
    "subscriptions": "SELECT {sub_cols} FROM subscriptions WHERE (? = '' OR chat_id = ?) "
                     "AND (? = 0 OR active = 1) ORDER BY id",
    "deactivate_chat": "UPDATE subscriptions SET active = 0, inactive_reason = ?, updated_at = ? "
                       "WHERE chat_id = ? AND active = 1",
    "insert_digest": "INSERT INTO digests (chat_id, day, kind, uuid, status, attempts, claimed_at, "
                     "lease_until, token) VALUES (?, ?, ?, ?, 'sending', 1, ?, ?, ?) "
                     "ON CONFLICT (chat_id, day, kind) DO NOTHING",
    "reclaim_digest": "UPDATE digests SET status = 'sending', attempts = attempts + 1, claimed_at = ?, "
                      "lease_until = ?, token = ? WHERE chat_id = ? AND day = ? AND kind = ? "
                      "AND (status = 'released' OR (status = 'sending' AND lease_until < ?))",
    "digest_attempts": "SELECT attempts FROM digests WHERE chat_id = ? AND day = ? AND kind = ?",
    "mark_digest_sent": "UPDATE digests SET status = 'sent', message_id = ?, sent_at = ? "
                        "WHERE chat_id = ? AND day = ? AND kind = ? AND status <> 'sent'",
    "release_digest": "UPDATE digests SET status = 'released', lease_until = 0 "
                      "WHERE chat_id = ? AND day = ? AND kind = ? AND token = ? AND status = 'sending'",
    "digest_status": "SELECT status, message_id FROM digests WHERE chat_id = ? AND day = ? AND kind = ?",
    "acquire_lease": "INSERT INTO leases (name, holder, until) VALUES (?, ?, ?) "
                     "ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until "
                     "WHERE leases.holder = excluded.holder OR leases.until < ?",
    "release_lease": "DELETE FROM leases WHERE name = ? AND holder = ?",
    "put_fact": "INSERT INTO day_facts (name, day, data, saved_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (name, day) DO UPDATE SET data = excluded.data, saved_at = excluded.saved_at",
    "facts": "SELECT day, data FROM day_facts WHERE name = ? AND day >= ? AND day <= ?",
}
_SUB_COLS = ("id, chat_id, chat_type, level_id, level_label, kinds, at, lang, created_by, active, "
             "created_at")


class StoreError(RuntimeError):
    """The storage URL is unusable or the database could not be reached."""


@dataclass(frozen=True)
class InboundEvent:
    """An accepted inbound event (message or card action) waiting to be processed."""

    key: str
    kind: str
    payload: dict[str, Any]
    received_at: datetime  # aware, UTC
    attempts: int


@dataclass(frozen=True)
class Subscription:
    """A chat's daily digest subscription for one place (level_id "" = the whole tenant)."""

    id: int
    chat_id: str
    chat_type: str
    level_id: str
    level_label: str
    kinds: tuple[str, ...]
    at: str  # "HH:MM", tenant timezone
    lang: str
    created_by: str
    active: bool
    created_at: datetime  # aware, UTC


@dataclass(frozen=True)
class DigestClaim:
    """The right to send one digest (chat, day, kind); `uuid` is the same on every attempt."""

    chat_id: str
    day: date
    kind: str
    uuid: str
    attempt: int
    token: str


def digest_uuid(chat_id: str, day: date, kind: str) -> str:
    """The Feishu message uuid for a digest: deterministic, so a re-send is deduped by Feishu."""
    digest = hashlib.sha256(f"{chat_id}|{day.isoformat()}|{kind}".encode()).hexdigest()
    return f"dg-{digest[:40]}"  # Feishu allows <= 50 chars


class _Cursor(Protocol):
    rowcount: int

    def execute(self, sql: str, params: Sequence[Any] = ...) -> Any: ...
    def fetchall(self) -> list[tuple[Any, ...]]: ...
    def fetchone(self) -> tuple[Any, ...] | None: ...


class _Backend(Protocol):
    dialect: str

    def transaction(self) -> Any: ...
    def migration_lock(self, cur: _Cursor) -> None: ...
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

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA busy_timeout = 30000")
        if self.path != ":memory:":
            conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")  # an accepted event must survive a crash
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
    def transaction(self) -> Iterator[_Cursor]:
        """BEGIN IMMEDIATE ... COMMIT: writers queue on the busy timeout instead of failing."""
        with self._shared_lock or _nullcontext():
            conn = self._conn()
            cur = conn.cursor()
            cur.execute("BEGIN IMMEDIATE")
            try:
                yield cur
            except BaseException:
                conn.rollback()
                raise
            conn.commit()

    def migration_lock(self, cur: _Cursor) -> None:
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
    def transaction(self) -> Iterator[_Cursor]:
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

    def migration_lock(self, cur: _Cursor) -> None:
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


_DIALECT = {
    "sqlite": {"real": "REAL", "serial_pk": "INTEGER PRIMARY KEY AUTOINCREMENT"},
    "postgresql": {"real": "DOUBLE PRECISION", "serial_pk": "BIGSERIAL PRIMARY KEY"},
}


def _backend_for(url: str) -> _Backend:
    if url.startswith("sqlite:///"):
        return _SQLiteBackend(url[len("sqlite:///"):] or ":memory:")
    if url.startswith(("postgresql://", "postgres://")):
        return _PostgresBackend(url)
    raise StoreError(f"storage url {url!r} must be sqlite:///PATH or postgresql://user@host/db")


def _utc(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, tz=UTC)


class Store:
    """All of roombot's persistent state behind one small API; open with `Store.open(url)`."""

    def __init__(self, backend: _Backend, *, clock: Callable[[], float] = time.time,
                 max_attempts: int = MAX_EVENT_ATTEMPTS) -> None:
        self._db = backend
        self._clock = clock
        self.max_attempts = max_attempts
        self.dialect = backend.dialect

    @classmethod
    def open(cls, url: str, *, clock: Callable[[], float] = time.time,
             max_attempts: int = MAX_EVENT_ATTEMPTS) -> Store:
        """Connect to `url` (sqlite:///PATH or postgresql://…) and create/upgrade the schema."""
        store = cls(_backend_for(url), clock=clock, max_attempts=max_attempts)
        store.migrate()
        return store

    def close(self) -> None:
        """Close every connection."""
        self._db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- schema --------------------------------------------------------------------------------

    def migrate(self) -> int:
        """Apply the migrations not yet recorded in schema_version; return the schema version."""
        with self._db.transaction() as cur:
            self._db.migration_lock(cur)
            cur.execute("CREATE TABLE IF NOT EXISTS schema_version "
                        "(version INTEGER PRIMARY KEY, applied_at " + _DIALECT[self.dialect]["real"]
                        + " NOT NULL)")
            cur.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version")
            row = cur.fetchone()
            current = int(row[0]) if row else 0
            for version, statements in enumerate(MIGRATIONS[current:], start=current + 1):
                for statement in statements:
                    cur.execute(statement.format(**_DIALECT[self.dialect]))
                cur.execute("INSERT INTO schema_version (version, applied_at) VALUES (?, ?)",
                            (version, self._clock()))
                log.info("store: applied migration %d (%s)", version, self.dialect)
        return len(MIGRATIONS)

    def schema_version(self) -> int:
        """The highest applied migration."""
        with self._db.transaction() as cur:
            cur.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version")
            row = cur.fetchone()
        return int(row[0]) if row else 0

    def _write(self, name: str, params: Sequence[Any]) -> int:
        """Run one named statement in its own transaction; return the affected row count."""
        with self._db.transaction() as cur:
            cur.execute(_SQL[name], params)
            return cur.rowcount

    def _read(self, name: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        with self._db.transaction() as cur:
            cur.execute(_SQL[name].format(sub_cols=_SUB_COLS), params)
            return cur.fetchall()

    # -- inbound events ------------------------------------------------------------------------

    def accept_event(self, key: str, kind: str, payload: dict[str, Any]) -> bool:
        """Record an inbound event durably unless `key` was seen before; False for a duplicate."""
        text = json.dumps(payload, ensure_ascii=False, default=str)
        return self._write("accept_event", (key, kind, text, self._clock())) == 1

    def pending_events(self, older_than_seconds: float = 0) -> list[InboundEvent]:
        """Accepted events not done, not failed for good, not leased, received at least that long ago."""
        now = self._clock()
        rows = self._read("pending_events", (now - older_than_seconds, now))
        return [InboundEvent(key, kind, json.loads(payload), _utc(received), int(attempts))
                for key, kind, payload, received, attempts in rows]

    def claim_pending(self, key: str, lease_seconds: float = EVENT_LEASE_SECONDS) -> bool:
        """Lease a pending event to this worker; False if done, failed, or leased by someone else."""
        now = self._clock()
        return self._write("claim_pending", (now + lease_seconds, key, now)) == 1

    def mark_done(self, key: str) -> None:
        """The event was handled; it is no longer pending."""
        self._write("mark_done", (self._clock(), key))

    def mark_failed(self, key: str, error: str, retry_after_seconds: float = 0.0) -> None:
        """Count a failed attempt; retry no sooner than `retry_after_seconds`; after `max_attempts`
        the event is given up."""
        retry_at = self._clock() + retry_after_seconds if retry_after_seconds > 0 else None
        self._write("mark_failed", (error[:2000], retry_at, self.max_attempts, key))

    def prune_events(self, older_than_seconds: float = 7 * 86400) -> int:
        """Forget finished events older than this (Feishu re-delivers for ~6 h at most)."""
        return self._write("prune_events", (self._clock() - older_than_seconds,))

    # -- subscriptions -------------------------------------------------------------------------

    def add_subscription(self, chat_id: str, *, chat_type: str = "group", level_id: str = "",
                         level_label: str = "", kinds: Sequence[str] = ("no_shows", "early_releases"),
                         at: str = "09:00", lang: str = "zh", created_by: str = "") -> Subscription:
        """Subscribe a chat for a place; subscribing again updates time, kinds and language."""
        now = self._clock()
        with self._db.transaction() as cur:
            cur.execute(_SQL["add_subscription"], (
                chat_id, chat_type, level_id, level_label, ",".join(kinds), at, lang, created_by,
                now, now))
            cur.execute(_SQL["select_subscription"].format(sub_cols=_SUB_COLS), (chat_id, level_id))
            row = cur.fetchone()
        assert row is not None
        return _subscription(row)

    def remove_subscriptions(self, chat_id: str, level_id: str | None = None) -> int:
        """Delete a chat's subscriptions (all, or the one for `level_id`); return how many."""
        if level_id is None:
            return self._write("remove_subscriptions_chat", (chat_id,))
        return self._write("remove_subscriptions_level", (chat_id, level_id))

    def subscriptions(self, chat_id: str | None = None, active_only: bool = True) -> list[Subscription]:
        """Subscriptions of one chat (or all chats), oldest first."""
        chat = chat_id or ""
        rows = self._read("subscriptions", (chat, chat, 1 if active_only else 0))
        return [_subscription(row) for row in rows]

    def deactivate_chat(self, chat_id: str, reason: str) -> int:
        """Stop digests to a chat we can no longer post to; return how many subscriptions."""
        count = self._write("deactivate_chat", (reason[:500], self._clock(), chat_id))
        if count:
            log.warning("store: deactivated %d subscription(s) of chat %s: %s", count, chat_id, reason)
        return count

    # -- digests -------------------------------------------------------------------------------

    def claim_digest(self, chat_id: str, day: date, kind: str,
                     lease_seconds: float = DIGEST_LEASE_SECONDS) -> DigestClaim | None:
        """Claim the one send of (chat, day, kind); None if sent, or being sent by someone else."""
        now, token = self._clock(), uuidlib.uuid4().hex
        uuid = digest_uuid(chat_id, day, kind)
        key = (chat_id, day.isoformat(), kind)
        with self._db.transaction() as cur:
            cur.execute(_SQL["insert_digest"], (*key, uuid, now, now + lease_seconds, token))
            if cur.rowcount != 1:
                cur.execute(_SQL["reclaim_digest"], (now, now + lease_seconds, token, *key, now))
                if cur.rowcount != 1:
                    return None
            cur.execute(_SQL["digest_attempts"], key)
            row = cur.fetchone()
        return DigestClaim(chat_id, day, kind, uuid, int(row[0]) if row else 1, token)

    def mark_digest_sent(self, claim: DigestClaim, message_id: str) -> None:
        """The digest was posted; it will never be claimed again."""
        self._write("mark_digest_sent", (message_id, self._clock(), claim.chat_id,
                                         claim.day.isoformat(), claim.kind))

    def release_digest(self, claim: DigestClaim) -> None:
        """The send failed: let a later run claim it again (with the same uuid)."""
        self._write("release_digest", (claim.chat_id, claim.day.isoformat(), claim.kind, claim.token))

    def digest_status(self, chat_id: str, day: date, kind: str) -> tuple[str, str | None] | None:
        """(status, message_id) of a digest row, or None if never claimed."""
        with self._db.transaction() as cur:
            cur.execute(_SQL["digest_status"], (chat_id, day.isoformat(), kind))
            row = cur.fetchone()
        return (str(row[0]), row[1]) if row else None

    # -- day facts ------------------------------------------------------------------------------

    def put_fact(self, name: str, day: date, data: Any) -> None:
        """Remember a JSON-able fact about a finished day (replacing an older one)."""
        text = json.dumps(data, ensure_ascii=False, default=str)
        self._write("put_fact", (name, day.isoformat(), text, self._clock()))

    def facts(self, name: str, first: date, last: date) -> dict[date, Any]:
        """The facts called `name` remembered for the days first..last (missing days are absent)."""
        rows = self._read("facts", (name, first.isoformat(), last.isoformat()))
        return {date.fromisoformat(day): json.loads(data) for day, data in rows}

    # -- leases (scheduler leadership) ---------------------------------------------------------

    def acquire_lease(self, name: str, holder: str, ttl_seconds: float) -> bool:
        """Take or renew the named lease for `holder`; False while someone else holds it."""
        now = self._clock()
        return self._write("acquire_lease", (name, holder, now + ttl_seconds, now)) == 1

    def release_lease(self, name: str, holder: str) -> None:
        """Give the lease up (only if we hold it)."""
        self._write("release_lease", (name, holder))


def _subscription(row: Sequence[Any]) -> Subscription:
    ident, chat_id, chat_type, level_id, label, kinds, at, lang, by, active, created = row
    return Subscription(int(ident), chat_id, chat_type, level_id, label,
                        tuple(k for k in kinds.split(",") if k), at, lang, by, bool(active),
                        _utc(float(created)))
