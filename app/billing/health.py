"""The `stripe` entry of /healthz: one tiny API call, remembered for a minute.

Billing being unreachable degrades checkout and plan changes only; the site
keeps serving, so this entry never turns /healthz into a 503.
"""
from __future__ import annotations

import threading
import time

import stripe
from flask import current_app

OK_SECONDS = 60
ERROR_SECONDS = 15
TIMEOUT_SECONDS = 2.0

_last: dict[str, tuple[float, dict]] = {}
_lock = threading.Lock()


def stripe_health() -> dict:
    base = current_app.config["STRIPE_API_BASE"].rstrip("/")
    with _lock:
        cached = _last.get(base)
        if cached and cached[0] > time.monotonic():
            return cached[1]
    started = time.monotonic()
    try:
        probe = stripe.StripeClient(
            current_app.config["STRIPE_SECRET_KEY"],
            base_addresses={"api": base},
            http_client=stripe.RequestsClient(timeout=TIMEOUT_SECONDS),
            max_network_retries=0,
        )
        probe.v1.prices.list(params={"limit": 1})
        result = {"status": "ok", "latency_ms": int((time.monotonic() - started) * 1000)}
        keep_for = OK_SECONDS
    except stripe.AuthenticationError:
        result = {"status": "error", "error": "AuthenticationError"}
        keep_for = ERROR_SECONDS
    except stripe.StripeError as exc:
        result = {"status": "error", "error": type(exc).__name__}
        keep_for = ERROR_SECONDS
    result["checked_at"] = int(time.time())
    with _lock:
        _last[base] = (time.monotonic() + keep_for, result)
    return result


def forget() -> None:
    with _lock:
        _last.clear()
