"""SQLite persistence: Stripe objects as JSON documents, idempotency records, webhook deliveries.

One connection guarded by a re-entrant lock: the werkzeug worker threads and the
webhook thread all go through it, and every multi-step state change runs inside
`transaction()` so readers never observe half of a checkout or a renewal.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
import time
from typing import Iterator, Optional

_SCHEMA = """
CREATE TABLE IF NOT EXISTS objects (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    created INTEGER NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS objects_by_type ON objects (type, created DESC, seq DESC);
CREATE TABLE IF NOT EXISTS idempotency (
    api_key TEXT NOT NULL,
    key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status INTEGER NOT NULL,
    body TEXT NOT NULL,
    created REAL NOT NULL,
    PRIMARY KEY (api_key, key)
);
CREATE TABLE IF NOT EXISTS deliveries (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    url TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL,
    last_status_code INTEGER,
    last_error TEXT,
    history TEXT NOT NULL DEFAULT '[]',
    created REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (status, next_attempt_at);
"""


class Store:
    def __init__(self, path: str):
        directory = os.path.dirname(os.path.abspath(path))
        os.makedirs(directory, exist_ok=True)
        self.path = path
        self._lock = threading.RLock()
        self._depth = 0
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._conn.row_factory = sqlite3.Row
        with self._lock:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator["Store"]:
        with self._lock:
            outermost = self._depth == 0
            if outermost:
                self._conn.execute("BEGIN IMMEDIATE")
            self._depth += 1
            try:
                yield self
            except BaseException:
                self._depth -= 1
                if outermost:
                    self._conn.execute("ROLLBACK")
                raise
            self._depth -= 1
            if outermost:
                self._conn.execute("COMMIT")

    def _execute(self, sql: str, args: tuple = ()) -> sqlite3.Cursor:
        with self._lock:
            return self._conn.execute(sql, args)

    def _query(self, sql: str, args: tuple = ()) -> list[sqlite3.Row]:
        # Rows are fetched under the lock too: the connection is shared, so stepping a
        # cursor while another thread is mid-transaction would read its uncommitted rows.
        with self._lock:
            return self._conn.execute(sql, args).fetchall()

    # --- Stripe objects -------------------------------------------------------

    def save(self, obj: dict) -> dict:
        body = json.dumps(obj, separators=(",", ":"))
        with self._lock:
            cursor = self._conn.execute("UPDATE objects SET body = ? WHERE id = ?", (body, obj["id"]))
            if cursor.rowcount == 0:
                self._conn.execute(
                    "INSERT INTO objects (id, type, created, body) VALUES (?, ?, ?, ?)",
                    (obj["id"], obj["object"], obj.get("created") or int(time.time()), body),
                )
        return obj

    def get(self, object_id: str, object_type: Optional[str] = None) -> Optional[dict]:
        rows = self._query("SELECT type, body FROM objects WHERE id = ?", (object_id,))
        row = rows[0] if rows else None
        if row is None or (object_type and row["type"] != object_type):
            return None
        return json.loads(row["body"])

    def all_of(self, object_type: str) -> list[dict]:
        """Newest first, the order Stripe lists use."""
        rows = self._query("SELECT body FROM objects WHERE type = ? ORDER BY created DESC, seq DESC", (object_type,))
        return [json.loads(row["body"]) for row in rows]

    # --- Idempotency ----------------------------------------------------------

    def idempotent_response(self, api_key: str, key: str) -> Optional[sqlite3.Row]:
        rows = self._query(
            "SELECT fingerprint, status, body FROM idempotency WHERE api_key = ? AND key = ?", (api_key, key))
        return rows[0] if rows else None

    def remember_response(self, api_key: str, key: str, fingerprint: str, status: int, body: str) -> None:
        self._execute(
            "INSERT OR REPLACE INTO idempotency (api_key, key, fingerprint, status, body, created) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (api_key, key, fingerprint, status, body, time.time()),
        )

    # --- Webhook deliveries ---------------------------------------------------

    def add_delivery(self, event_id: str, event_type: str, url: str) -> None:
        self._execute(
            "INSERT INTO deliveries (event_id, event_type, url, status, next_attempt_at, created) "
            "VALUES (?, ?, ?, 'pending', ?, ?)",
            (event_id, event_type, url, time.time(), time.time()),
        )

    def due_deliveries(self, moment: float) -> list[dict]:
        rows = self._query(
            "SELECT * FROM deliveries WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY seq", (moment,))
        return [dict(row) for row in rows]

    def next_delivery_time(self) -> Optional[float]:
        rows = self._query("SELECT MIN(next_attempt_at) AS due FROM deliveries WHERE status = 'pending'")
        return rows[0]["due"] if rows else None

    def record_attempt(self, seq: int, status: str, next_attempt_at: float, status_code: Optional[int],
                       error: Optional[str], attempt: dict) -> None:
        with self.transaction():
            row = self._query("SELECT attempts, history FROM deliveries WHERE seq = ?", (seq,))[0]
            history = json.loads(row["history"]) + [attempt]
            self._execute(
                "UPDATE deliveries SET status = ?, attempts = ?, next_attempt_at = ?, last_status_code = ?, "
                "last_error = ?, history = ? WHERE seq = ?",
                (status, row["attempts"] + 1, next_attempt_at, status_code, error, json.dumps(history), seq),
            )

    def deliveries(self) -> list[dict]:
        rows = self._query("SELECT * FROM deliveries ORDER BY seq")
        result = []
        for row in rows:
            entry = dict(row)
            entry["history"] = json.loads(entry["history"])
            result.append(entry)
        return result
