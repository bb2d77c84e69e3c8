"""The `fourcalls` entry of /healthz: can we reach 4calls, cheaply?"""
from __future__ import annotations

import threading
import time

import httpx
from flask import current_app

from app.fourcalls.client import RetryPolicy, client_with_key
from app.fourcalls.errors import FourCallsError, Unauthorized

CACHE_SECONDS = 10.0
TIMEOUT_SECONDS = 2.0

_cache: dict[str, tuple[float, dict]] = {}
_lock = threading.Lock()


def fourcalls_health() -> dict:
    """{"status": "ok" | "error", ...}, cached for a few seconds per API URL so
    a busy health probe never turns into load on 4calls. Reported, never fatal:
    the app serves its pages while 4calls is away."""
    config = current_app.config
    url = config["FOURCALLS_API_URL"]
    now = time.monotonic()
    with _lock:
        cached = _cache.get(url)
        if cached and now - cached[0] < CACHE_SECONDS:
            return dict(cached[1], cached=True)
    result = _probe(config)
    with _lock:
        _cache[url] = (time.monotonic(), result)
    return result


def _probe(config) -> dict:
    client = client_with_key(
        config["FOURCALLS_API_KEY"], config,
        timeout=min(TIMEOUT_SECONDS, float(config.get("FOURCALLS_TIMEOUT_SECONDS", TIMEOUT_SECONDS))),
        retry=RetryPolicy(max_attempts=1),
    )
    started = time.monotonic()
    try:
        client.list_organizations(page_size=1).page()
    except Unauthorized:
        return {"status": "error", "error": "credentials refused"}
    except FourCallsError as exc:
        return {"status": "error", "error": type(exc).__name__}
    except httpx.HTTPError as exc:  # anything the client did not translate
        return {"status": "error", "error": type(exc).__name__}
    return {"status": "ok", "latency_ms": round((time.monotonic() - started) * 1000)}


def clear_cache() -> None:
    with _lock:
        _cache.clear()
