"""SQLite persistence for the sandbox.

Every API resource is stored as its JSON representation plus a few projected
columns for filtering. One connection guarded by one re-entrant lock keeps the
sandbox thread-safe and makes check-then-write sequences (double booking,
unique phone numbers) atomic without further ceremony.
"""
from __future__ import annotations

import base64
import json
import sqlite3
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from .timeutil import micros_to_ts, now_micros, ts_to_micros

# Projected columns per resource kind, beyond id/organization_id/created_at/updated_at/data.
RESOURCE_COLUMNS: dict[str, tuple[str, ...]] = {
    "organizations": ("external_id", "status"),
    "coordinators": ("status",),
    "contacts": ("phone", "email_lower", "deleted"),
    "calls": ("started_at", "direction", "status", "outcome", "contact_id", "campaign_id",
              "duration_seconds", "sentiment"),
    "appointments": ("starts_at", "ends_at", "status", "contact_id"),
    "messages": ("appointment_id", "status"),
    "leads": ("contact_id",),
    "campaigns": ("status",),
    "dials": ("campaign_id", "dial_key", "status"),  # per-target campaign dials (issue 14)
    "chat_sessions": ("coordinator_id",),
    "chat_messages": ("session_id", "role"),
    "call_handling": (),  # one document per organization (call_handling.py)
    "knowledge_sources": ("external_id", "coordinator_id"),  # coordinator knowledge (issue 19)
    "knowledge_chunks": ("source_id", "position"),
}

_EXTRA_INDEXES = (
    "CREATE UNIQUE INDEX IF NOT EXISTS dials_key ON dials (organization_id, dial_key)",  # issue 14
    "CREATE INDEX IF NOT EXISTS organizations_sync ON organizations (updated_at, id)",
    "CREATE INDEX IF NOT EXISTS organizations_external ON organizations (external_id)",
    "CREATE INDEX IF NOT EXISTS contacts_phone ON contacts (organization_id, phone)",
    # Covers the stats and usage aggregates, so they never read the large JSON rows.
    "CREATE INDEX IF NOT EXISTS calls_window ON calls (organization_id, started_at, direction, status,"
    " outcome, sentiment, duration_seconds)",
    "CREATE INDEX IF NOT EXISTS calls_contact ON calls (contact_id)",
    "CREATE INDEX IF NOT EXISTS appointments_time ON appointments (organization_id, starts_at)",
    "CREATE INDEX IF NOT EXISTS chat_messages_session ON chat_messages (session_id, created_at)",
    "CREATE INDEX IF NOT EXISTS knowledge_chunks_source ON knowledge_chunks (source_id, position)",  # issue 19
)

_SUPPORT_TABLES = """
CREATE TABLE IF NOT EXISTS api_keys (
    key_hash TEXT PRIMARY KEY, organization_id TEXT NOT NULL, prefix TEXT NOT NULL,
    created_at TEXT NOT NULL, revoked_at TEXT);
CREATE INDEX IF NOT EXISTS api_keys_org ON api_keys (organization_id);
CREATE TABLE IF NOT EXISTS idempotency_keys (
    scope TEXT NOT NULL, key TEXT NOT NULL, fingerprint TEXT NOT NULL, state TEXT NOT NULL,
    status INTEGER, body BLOB, content_type TEXT, created_epoch REAL NOT NULL,
    PRIMARY KEY (scope, key));
CREATE TABLE IF NOT EXISTS events (
    id TEXT PRIMARY KEY, organization_id TEXT NOT NULL, type TEXT NOT NULL,
    created INTEGER NOT NULL, body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS events_org ON events (organization_id);
CREATE TABLE IF NOT EXISTS webhook_deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT NOT NULL, organization_id TEXT NOT NULL,
    event_type TEXT NOT NULL, url TEXT NOT NULL, state TEXT NOT NULL, attempts INTEGER NOT NULL,
    next_attempt_epoch REAL NOT NULL, log TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS deliveries_due ON webhook_deliveries (state, next_attempt_epoch);
CREATE TABLE IF NOT EXISTS campaign_targets (
    campaign_id TEXT NOT NULL, position INTEGER NOT NULL, contact_id TEXT NOT NULL,
    contact_name TEXT, phone TEXT, status TEXT NOT NULL, outcome TEXT, call_id TEXT,
    attempted_at TEXT, PRIMARY KEY (campaign_id, position));
"""


def _resource_table_sql(kind: str, columns: tuple[str, ...]) -> str:
    extra = "".join(f", {name}" for name in columns)
    return (
        f"CREATE TABLE IF NOT EXISTS {kind} (id TEXT PRIMARY KEY, organization_id TEXT NOT NULL,"
        f" created_at TEXT NOT NULL, updated_at TEXT NOT NULL, data TEXT NOT NULL{extra});"
        f"CREATE INDEX IF NOT EXISTS {kind}_sync ON {kind} (organization_id, updated_at, id);"
    )


def _projected_value(kind: str, column: str, doc: dict) -> Any:
    if column == "email_lower":
        return (doc.get("email") or "").lower() or None
    if column == "deleted":
        return 1 if doc.get("deleted") else 0
    return doc.get(column)


class InvalidCursor(ValueError):
    pass


def encode_cursor(*parts: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(parts).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, arity: int) -> list:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        parts = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, TypeError) as exc:
        raise InvalidCursor("malformed cursor") from exc
    if not isinstance(parts, list) or len(parts) != arity:
        raise InvalidCursor("malformed cursor")
    return parts


class Store:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._depth = 0
        self._conn = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None)
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._create_schema()
        self._last_micros = self._latest_stamp()

    def _create_schema(self) -> None:
        script = "".join(_resource_table_sql(k, c) for k, c in RESOURCE_COLUMNS.items())
        self._conn.executescript(script + _SUPPORT_TABLES + ";".join(_EXTRA_INDEXES))

    def _latest_stamp(self) -> int:
        latest = 0
        for kind in RESOURCE_COLUMNS:
            row = self._conn.execute(f"SELECT MAX(updated_at) FROM {kind}").fetchone()
            if row[0]:
                latest = max(latest, ts_to_micros(row[0]))
        return latest

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Serialised read-write unit; nested use joins the outer transaction."""
        with self._lock:
            outermost = self._depth == 0
            if outermost:
                self._conn.execute("BEGIN IMMEDIATE")
            self._depth += 1
            try:
                yield self._conn
            except BaseException:
                self._depth -= 1
                if outermost:
                    self._conn.execute("ROLLBACK")
                raise
            self._depth -= 1
            if outermost:
                self._conn.execute("COMMIT")

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            yield self._conn

    def stamp(self) -> str:
        """Strictly increasing timestamp, so (updated_at, id) sync never misses a write.

        Only valid inside a transaction: a stamp taken outside one could be committed
        after a later stamp and slip behind a client's sync cursor.
        """
        with self._lock:
            self._require_transaction()
            self._last_micros = max(now_micros(), self._last_micros + 1)
            return micros_to_ts(self._last_micros)

    def stamps(self, count: int) -> list[str]:
        with self._lock:
            self._require_transaction()
            first = max(now_micros(), self._last_micros + 1)
            self._last_micros = first + count - 1
            return [micros_to_ts(first + offset) for offset in range(count)]

    def _require_transaction(self) -> None:
        if self._depth == 0:
            raise RuntimeError("timestamps must be taken inside store.transaction()")

    # ----- resources -----
    def insert(self, kind: str, doc: dict) -> dict:
        self.insert_many(kind, [doc])
        return doc

    def insert_many(self, kind: str, docs: list[dict]) -> None:
        columns = RESOURCE_COLUMNS[kind]
        names = ("id", "organization_id", "created_at", "updated_at", "data") + columns
        sql = f"INSERT INTO {kind} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
        rows = [
            (d["id"], d.get("organization_id") or d["id"], d["created_at"], d["updated_at"],
             json.dumps(d, separators=(",", ":")))
            + tuple(_projected_value(kind, c, d) for c in columns)
            for d in docs
        ]
        with self.transaction() as conn:
            conn.executemany(sql, rows)

    def save(self, kind: str, doc: dict, touch: bool = True) -> dict:
        """Write back a changed resource, bumping updated_at unless told not to."""
        if touch:
            doc["updated_at"] = self.stamp()
        columns = RESOURCE_COLUMNS[kind]
        assignments = ", ".join(f"{c} = ?" for c in ("updated_at", "data") + columns)
        values = (doc["updated_at"], json.dumps(doc, separators=(",", ":")))
        values += tuple(_projected_value(kind, c, doc) for c in columns)
        with self.transaction() as conn:
            conn.execute(f"UPDATE {kind} SET {assignments} WHERE id = ?", values + (doc["id"],))
        return doc

    def get(self, kind: str, resource_id: str) -> dict | None:
        with self.reading() as conn:
            row = conn.execute(f"SELECT data FROM {kind} WHERE id = ?", (resource_id,)).fetchone()
        return json.loads(row["data"]) if row else None

    def find(self, kind: str, where: str, params: tuple = (), order: str = "updated_at, id",
             limit: int | None = None, offset: int = 0) -> list[dict]:
        sql = f"SELECT data FROM {kind} WHERE {where} ORDER BY {order}"
        if limit is not None:
            sql += f" LIMIT {int(limit)} OFFSET {int(offset)}"
        with self.reading() as conn:
            return [json.loads(r["data"]) for r in conn.execute(sql, params)]

    def scalar(self, sql: str, params: tuple = ()) -> Any:
        with self.reading() as conn:
            row = conn.execute(sql, params).fetchone()
        return row[0] if row else None

    def rows(self, sql: str, params: tuple = ()) -> list[sqlite3.Row]:
        with self.reading() as conn:
            return conn.execute(sql, params).fetchall()

    def execute(self, sql: str, params: tuple = ()) -> int:
        with self.transaction() as conn:
            return conn.execute(sql, params).rowcount

    def page(self, kind: str, where: list[str], params: list, limit: int,
             cursor: str | None, updated_since: str | None) -> str:
        """One page of a list ordered by (updated_at, id), as the API's list envelope in JSON.

        Stored documents are spliced in as they are, so paging through large tables
        does not pay for decoding and re-encoding every row.
        """
        clauses, values = list(where), list(params)
        if updated_since:
            clauses.append("updated_at >= ?")
            values.append(updated_since)
        if cursor:
            after_stamp, after_id = decode_cursor(cursor, 2)
            clauses.append("(updated_at > ? OR (updated_at = ? AND id > ?))")
            values += [after_stamp, after_stamp, after_id]
        sql = (f"SELECT updated_at, id, data FROM {kind} WHERE {' AND '.join(clauses) or '1'}"
               f" ORDER BY updated_at, id LIMIT ?")
        with self.reading() as conn:
            rows = conn.execute(sql, values + [limit + 1]).fetchall()
        has_more = len(rows) > limit
        rows = rows[:limit]
        next_cursor = encode_cursor(rows[-1]["updated_at"], rows[-1]["id"]) if has_more else None
        return ('{"data":[' + ",".join(r["data"] for r in rows) + '],"next_cursor":'
                + json.dumps(next_cursor) + ',"has_more":' + ("true" if has_more else "false") + "}")
