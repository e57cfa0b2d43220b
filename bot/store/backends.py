"""SQLite or PostgreSQL behind one cursor API: the SQL is written once with `?` placeholders and
the PostgreSQL backend rewrites them to `%s`. Reads never take SQLite's write lock (a deferred
transaction under WAL), so readers never queue behind the acknowledging writer."""
from __future__ import annotations

import logging
import queue
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol

log = logging.getLogger(__name__)


class StoreError(RuntimeError):
    """The storage URL is unusable or the database could not be reached."""


class Cursor(Protocol):
    rowcount: int

    def execute(self, sql: str, params: Sequence[Any] = ...) -> Any: ...
    def fetchall(self) -> list[tuple[Any, ...]]: ...
    def fetchone(self) -> tuple[Any, ...] | None: ...


class Backend(Protocol):
    dialect: str

    def transaction(self, write: bool = True) -> Any: ...
    def statement(self) -> Any: ...
    def migration_lock(self, cur: Cursor) -> None: ...
    def close(self) -> None: ...


class SQLiteBackend:
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


class PostgresBackend:
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


def backend_for(url: str) -> Backend:
    if url.startswith("sqlite:///"):
        return SQLiteBackend(url[len("sqlite:///"):] or ":memory:")
    if url.startswith(("postgresql://", "postgres://")):
        return PostgresBackend(url)
    raise StoreError(f"storage url {url!r} must be sqlite:///PATH or postgresql://user@host/db")
