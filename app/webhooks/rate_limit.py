"""The receivers' rate limit, with a fraction of a storage command per request.

Flask-Limiter's decorator costs three Redis round trips per request (the hit,
then the window's count and expiry for X-RateLimit headers no sender reads).
Here the same limit string (WEBHOOK_RATE_LIMIT), storage (RATELIMIT_STORAGE_URI)
and fixed-window counter keyed by client address are used, but each process
sends its hits in small batches: while the shared count last seen, plus the
hits not sent yet, plus a whole batch stays under the limit, a hit is only
counted here; otherwise (near the limit, every BATCH_HITS hits, or after
BATCH_SECONDS) the pending hits go to the storage in one INCRBY, and only that
answer can refuse a request. So refusals are exact, and the shared count lags
by at most BATCH_HITS per process. When the storage cannot be reached the
count moves to this process's memory, as RATELIMIT_IN_MEMORY_FALLBACK does for
the rest of the app: a webhook is never refused because Redis is down.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from functools import lru_cache

from limits import parse, strategies
from limits.storage import MemoryStorage

from app.extensions import limiter

log = logging.getLogger(__name__)

BATCH_HITS = 20
BATCH_SECONDS = 0.1
_MAX_KEYS = 10_000

_fallback = strategies.FixedWindowRateLimiter(MemoryStorage())


@dataclass
class _Counter:
    shared: int = 0  # the storage's count after this process's last send
    unsent: int = 0
    sent_at: float = 0.0


_counters: dict[str, _Counter] = {}
_lock = threading.Lock()


@lru_cache(maxsize=16)
def _parsed(limit: str):
    return parse(limit)


def over_rate_limit(scope: str, limit: str, address: str | None) -> bool:
    """Whether this hit from `address` (the client address) goes over `limit`."""
    item = _parsed(limit)
    address = address or "unknown"
    key = item.key_for(scope, address)
    now = time.monotonic()
    with _lock:
        counter = _counters.get(key)
        if counter is None:
            if len(_counters) >= _MAX_KEYS:
                _counters.clear()
            counter = _counters[key] = _Counter()
        if (counter.unsent < BATCH_HITS and now - counter.sent_at < BATCH_SECONDS
                and counter.shared + counter.unsent + BATCH_HITS < item.amount):
            counter.unsent += 1
            return False
        amount, counter.unsent, counter.sent_at = counter.unsent + 1, 0, now
    try:
        total = limiter.limiter.storage.incr(key, item.get_expiry(), amount=amount)
    except Exception as exc:  # the storage is unreachable: count in memory instead
        log.warning("rate limit storage unreachable (%s); counting %s in memory", type(exc).__name__, scope)
        return not _fallback.hit(item, scope, address, cost=amount)
    counter.shared = total
    return total > item.amount
