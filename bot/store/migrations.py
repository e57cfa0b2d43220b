"""The store's schema: ordered migrations, each run once in a transaction and recorded in
schema_version, and the few words in which SQLite and PostgreSQL differ."""
from __future__ import annotations

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
    (  # 6: the bookings ledger (written before the first calendar call) and the audit log
        """CREATE TABLE bookings (
            key TEXT PRIMARY KEY, requester TEXT NOT NULL, chat_id TEXT NOT NULL,
            message_id TEXT NOT NULL, room_id TEXT NOT NULL, room_name TEXT NOT NULL,
            start_ts {real} NOT NULL, end_ts {real} NOT NULL, lang TEXT NOT NULL,
            calendar_id TEXT NOT NULL, event_id TEXT NOT NULL, attendee_id TEXT NOT NULL,
            status TEXT NOT NULL, reason TEXT NOT NULL, history TEXT NOT NULL,
            created_at {real} NOT NULL, updated_at {real} NOT NULL, source TEXT NOT NULL)""",
        "CREATE INDEX bookings_requester ON bookings (requester, end_ts)",
        "CREATE INDEX bookings_time ON bookings (end_ts, start_ts)",
        """CREATE TABLE audit (
            id {serial_pk}, at {real} NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
            target TEXT NOT NULL, room_id TEXT NOT NULL, detail TEXT NOT NULL,
            log_id TEXT NOT NULL)""",
        "CREATE INDEX audit_at ON audit (at)",
    ),
    (  # 7: keep-or-release reminders (one row per room instance), who opted out, when the
       # reminder scan last looked; and each person's last understood question per chat
        """CREATE TABLE reminders (
            room_id TEXT NOT NULL, uid TEXT NOT NULL, start_ts {real} NOT NULL,
            end_ts {real} NOT NULL, holder TEXT NOT NULL, booking_key TEXT NOT NULL,
            first_seen {real} NOT NULL, state TEXT NOT NULL,
            claimed_at {real} NOT NULL, message_id TEXT NOT NULL, updated_at {real} NOT NULL,
            PRIMARY KEY (room_id, uid, start_ts))""",
        "CREATE INDEX reminders_start ON reminders (start_ts)",
        """CREATE TABLE reminder_optouts (
            open_id TEXT PRIMARY KEY, at {real} NOT NULL)""",
        """CREATE TABLE reminder_scans (
            name TEXT PRIMARY KEY, last_scan {real} NOT NULL)""",
        """CREATE TABLE conversations (
            chat_id TEXT NOT NULL, open_id TEXT NOT NULL, data TEXT NOT NULL,
            saved_at {real} NOT NULL, PRIMARY KEY (chat_id, open_id))""",
    ),
    (  # 8: the releases ledger: a row per instance given back, written before instance/reply
        """CREATE TABLE releases (
            target TEXT PRIMARY KEY, click TEXT NOT NULL, actor TEXT NOT NULL, role TEXT NOT NULL,
            source TEXT NOT NULL, room_id TEXT NOT NULL, uid TEXT NOT NULL,
            start_ts {real} NOT NULL, end_ts {real} NOT NULL, holder TEXT NOT NULL,
            status TEXT NOT NULL, log_id TEXT NOT NULL, note TEXT NOT NULL,
            created_at {real} NOT NULL, updated_at {real} NOT NULL)""",
        "CREATE INDEX releases_status ON releases (status, created_at)",
    ),
)

DIALECTS = {
    "sqlite": {"real": "REAL", "serial_pk": "INTEGER PRIMARY KEY AUTOINCREMENT", "skip_locked": ""},
    "postgresql": {"real": "DOUBLE PRECISION", "serial_pk": "BIGSERIAL PRIMARY KEY",
                   "skip_locked": "FOR UPDATE SKIP LOCKED"},
}
