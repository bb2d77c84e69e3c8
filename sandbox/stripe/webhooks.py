"""Background delivery of events to the webhook endpoint, signed the way Stripe signs them."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time
import urllib.error
import urllib.request
from typing import Optional

from .config import SandboxConfig
from .store import Store

log = logging.getLogger("sandbox.stripe.webhooks")


def signature_header(payload: str, secret: str, timestamp: Optional[int] = None) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    signed = f"{timestamp}.{payload}".encode("utf-8")
    digest = hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


class WebhookDispatcher:
    """Polls due deliveries from SQLite, so pending retries survive a restart."""

    def __init__(self, store: Store, config: SandboxConfig):
        self._store = store
        self._config = config
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="stripe-sandbox-webhooks", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def wake(self) -> None:
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                for delivery in self._store.due_deliveries(time.time()):
                    if self._stop.is_set():
                        return
                    self._attempt(delivery)
            except Exception:  # keep the thread alive whatever one delivery does
                log.exception("webhook dispatch loop failed")
            self._wake.wait(timeout=self._seconds_until_next_due())
            self._wake.clear()

    def _seconds_until_next_due(self) -> float:
        due = self._store.next_delivery_time()
        if due is None:
            return 1.0
        return min(1.0, max(0.01, due - time.time()))

    def _attempt(self, delivery: dict) -> None:
        event = self._store.get(delivery["event_id"], "event")
        if event is None:
            self._store.record_attempt(delivery["seq"], "failed", time.time(), None, "event missing", {})
            return
        payload = json.dumps(event, indent=2)
        header = signature_header(payload, self._config.webhook_secret)
        started = time.time()
        status_code: Optional[int] = None
        error: Optional[str] = None
        try:
            request = urllib.request.Request(
                delivery["url"],
                data=payload.encode("utf-8"),
                method="POST",
                headers={
                    "Content-Type": "application/json; charset=utf-8",
                    "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
                    "Stripe-Signature": header,
                },
            )
            with urllib.request.urlopen(request, timeout=self._config.webhook_timeout_seconds) as response:
                status_code = response.status
        except urllib.error.HTTPError as failure:
            status_code = failure.code
            error = f"HTTP {failure.code}"
        except Exception as failure:  # connection refused, timeout, reset...
            error = f"{type(failure).__name__}: {failure}"
        attempt_number = delivery["attempts"] + 1
        succeeded = status_code is not None and 200 <= status_code < 300
        attempt = {
            "attempt": attempt_number,
            "at": started,
            "duration_ms": int((time.time() - started) * 1000),
            "status_code": status_code,
            "error": None if succeeded else error,
        }
        if succeeded:
            self._store.record_attempt(delivery["seq"], "succeeded", started, status_code, None, attempt)
            self._mark_event_delivered(event)
        elif attempt_number >= self._config.webhook_max_attempts:
            self._store.record_attempt(delivery["seq"], "failed", started, status_code, error, attempt)
        else:
            # Exponential backoff; Stripe spreads retries over days, the sandbox over seconds.
            delay = self._config.webhook_retry_base_seconds * (2 ** (attempt_number - 1))
            self._store.record_attempt(delivery["seq"], "pending", time.time() + delay, status_code, error, attempt)

    def _mark_event_delivered(self, event: dict) -> None:
        with self._store.transaction():
            current = self._store.get(event["id"], "event")
            if current is not None and current["pending_webhooks"] > 0:
                current["pending_webhooks"] -= 1
                self._store.save(current)
