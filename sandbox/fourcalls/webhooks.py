"""Outgoing webhooks: events are recorded with the write that caused them and a
background dispatcher delivers them, signed, with exponential-backoff retries.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time

import httpx

from .runtime import new_id, runtime
from .timeutil import format_ts, from_epoch, now_utc, unix_seconds

log = logging.getLogger("fourcalls.sandbox.webhooks")

SIGNATURE_HEADER = "X-FourCalls-Signature"
USER_AGENT = "4calls-Webhooks/1.0 (sandbox)"


def sign(secret: str, timestamp: int, body: str) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def emit(event_type: str, org: dict, obj: dict) -> dict:
    """Record an event and queue its delivery; call inside the transaction that made the change."""
    rt = runtime()
    event = {"id": new_id("evt"), "type": event_type, "created": unix_seconds(),
             "organization_id": org["id"], "data": {"object": obj}}
    body = json.dumps(event, separators=(",", ":"))
    url = org.get("webhook_url") or rt.options.webhook_url
    with rt.store.transaction() as conn:
        conn.execute("INSERT INTO events (id, organization_id, type, created, body) VALUES (?, ?, ?, ?, ?)",
                     (event["id"], org["id"], event_type, event["created"], body))
        if url:
            conn.execute(
                "INSERT INTO webhook_deliveries (event_id, organization_id, event_type, url, state,"
                " attempts, next_attempt_epoch, log, created_at) VALUES (?, ?, ?, ?, 'pending', 0, ?, '[]', ?)",
                (event["id"], org["id"], event_type, url, time.time(), format_ts(now_utc())))
    rt.webhook_wakeup.set()
    return event


def delivery_log(organization_id: str | None = None, event_type: str | None = None) -> list[dict]:
    clauses, params = ["1"], []
    if organization_id:
        clauses.append("d.organization_id = ?")
        params.append(organization_id)
    if event_type:
        clauses.append("d.event_type = ?")
        params.append(event_type)
    rows = runtime().store.rows(
        "SELECT d.*, e.body FROM webhook_deliveries d JOIN events e ON e.id = d.event_id"
        f" WHERE {' AND '.join(clauses)} ORDER BY d.id", tuple(params))
    return [{
        "id": row["id"], "event_id": row["event_id"], "event_type": row["event_type"],
        "organization_id": row["organization_id"], "url": row["url"], "state": row["state"],
        "attempts": row["attempts"],
        "next_attempt_at": format_ts(from_epoch(row["next_attempt_epoch"]))
        if row["state"] == "pending" else None,
        "log": json.loads(row["log"]), "event": json.loads(row["body"]),
    } for row in rows]


class WebhookDispatcher(threading.Thread):
    def __init__(self, app):
        super().__init__(name="fourcalls-webhooks", daemon=True)
        self._app = app

    def run(self) -> None:
        with self._app.app_context():
            rt = runtime()
            with httpx.Client(timeout=rt.options.webhook_timeout, headers={"User-Agent": USER_AGENT}) as client:
                pause = 0.0
                while not rt.stopping.is_set():
                    rt.webhook_wakeup.wait(pause)
                    rt.webhook_wakeup.clear()
                    try:
                        self._deliver_due(client)
                    except Exception:  # a bad row must not stop all deliveries
                        log.exception("webhook dispatch failed")
                    pause = self._seconds_until_next_due()

    @staticmethod
    def _seconds_until_next_due(idle: float = 1.0) -> float:
        """Sleep exactly until the next retry is due (new events wake the loop early)."""
        earliest = runtime().store.scalar(
            "SELECT MIN(next_attempt_epoch) FROM webhook_deliveries WHERE state = 'pending'")
        return idle if earliest is None else min(idle, max(0.0, earliest - time.time()))

    def _deliver_due(self, client: httpx.Client) -> None:
        rt = runtime()
        rows = rt.store.rows(
            "SELECT d.id, d.url, d.attempts, d.log, d.event_id, d.event_type, e.body"
            " FROM webhook_deliveries d JOIN events e ON e.id = d.event_id"
            " WHERE d.state = 'pending' AND d.next_attempt_epoch <= ?"
            " ORDER BY d.next_attempt_epoch, d.id LIMIT 50", (time.time(),))
        for row in rows:
            if rt.stopping.is_set():
                return
            self._attempt(client, row)

    def _attempt(self, client: httpx.Client, row) -> None:
        rt = runtime()
        options = rt.options
        timestamp = int(time.time())
        headers = {"Content-Type": "application/json",
                   SIGNATURE_HEADER: sign(options.webhook_secret, timestamp, row["body"]),
                   "X-FourCalls-Event-Id": row["event_id"],
                   "X-FourCalls-Event-Type": row["event_type"]}
        started = time.monotonic()
        status_code, error = None, None
        try:
            response = client.post(row["url"], content=row["body"].encode(), headers=headers)
            status_code = response.status_code
            if not 200 <= status_code < 300:
                error = f"HTTP {status_code}"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"
        attempts = row["attempts"] + 1
        entries = json.loads(row["log"])
        entries.append({"attempt": attempts, "at": format_ts(now_utc()), "status_code": status_code,
                        "error": error, "duration_ms": round((time.monotonic() - started) * 1000, 1)})
        next_epoch = time.time()
        if error is None:
            state = "delivered"
        elif attempts >= options.webhook_max_attempts:
            state = "failed"
        else:
            state = "pending"
            next_epoch += options.webhook_retry_base * 2 ** (attempts - 1)
        rt.store.execute(
            "UPDATE webhook_deliveries SET state = ?, attempts = ?, next_attempt_epoch = ?, log = ? WHERE id = ?",
            (state, attempts, next_epoch, json.dumps(entries), row["id"]))
        log.info("webhook %s %s -> %s (attempt %d, %s)", row["event_type"], row["event_id"],
                 status_code or "no response", attempts, state)
