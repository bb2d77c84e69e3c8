"""Idempotency-Key handling for POST requests, stored in SQLite so it survives restarts."""
from __future__ import annotations

import hashlib
import json
import time

from flask import Response, g, request

from .errors import conflict, invalid
from .runtime import runtime

REPLAY_HEADER = "Idempotent-Replayed"
KEEP_SECONDS = 24 * 3600
MAX_KEY_LENGTH = 255
# Auth failures and throttling say nothing about the operation, so they are not remembered.
_NOT_REMEMBERED = {401, 429}


def _fingerprint() -> str:
    raw = request.get_data(cache=True)
    try:
        canonical = json.dumps(json.loads(raw or b"null"), sort_keys=True, separators=(",", ":"))
    except ValueError:
        canonical = raw.decode("latin-1")
    material = f"{request.method} {request.path}\n{canonical}"
    return hashlib.sha256(material.encode()).hexdigest()


def begin(scope: str) -> Response | None:
    """Replay a remembered response, refuse a clash, or reserve the key for this request."""
    key = request.headers.get("Idempotency-Key")
    if request.method != "POST" or not key:
        return None
    if len(key) > MAX_KEY_LENGTH:
        raise invalid({"Idempotency-Key": f"must be at most {MAX_KEY_LENGTH} characters"})
    fingerprint = _fingerprint()
    store = runtime().store
    with store.transaction() as conn:
        row = conn.execute("SELECT * FROM idempotency_keys WHERE scope = ? AND key = ?",
                           (scope, key)).fetchone()
        if row is not None and row["created_epoch"] < time.time() - KEEP_SECONDS:
            conn.execute("DELETE FROM idempotency_keys WHERE scope = ? AND key = ?", (scope, key))
            row = None
        if row is not None:
            if row["fingerprint"] != fingerprint:
                raise conflict("This Idempotency-Key was already used for a different request.",
                               reason="idempotency_key_reused")
            if row["state"] != "done":
                raise conflict("A request with this Idempotency-Key is still in progress.",
                               reason="idempotency_key_in_progress")
            replay = Response(row["body"], status=row["status"], content_type=row["content_type"])
            replay.headers[REPLAY_HEADER] = "true"
            g.idempotency_replayed = True
            return replay
        conn.execute(
            "INSERT INTO idempotency_keys (scope, key, fingerprint, state, created_epoch)"
            " VALUES (?, ?, ?, 'in_progress', ?)", (scope, key, fingerprint, time.time()))
    g.idempotency_reservation = (scope, key)
    return None


def finish(response: Response) -> None:
    reservation = g.pop("idempotency_reservation", None)
    if reservation is None:
        return
    store = runtime().store
    if response.status_code >= 500 or response.status_code in _NOT_REMEMBERED or response.is_streamed:
        store.execute("DELETE FROM idempotency_keys WHERE scope = ? AND key = ?", reservation)
        return
    store.execute(
        "UPDATE idempotency_keys SET state = 'done', status = ?, body = ?, content_type = ?"
        " WHERE scope = ? AND key = ?",
        (response.status_code, response.get_data(), response.content_type) + reservation)


def abandon() -> None:
    """Free a reservation whose request never produced a response."""
    reservation = g.pop("idempotency_reservation", None)
    if reservation is not None:
        runtime().store.execute("DELETE FROM idempotency_keys WHERE scope = ? AND key = ?",
                                reservation)


def purge_expired() -> None:
    runtime().store.execute("DELETE FROM idempotency_keys WHERE created_epoch < ?",
                            (time.time() - KEEP_SECONDS,))
