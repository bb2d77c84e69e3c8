"""Counting failures (logins, codes, reset requests) per account and per
address, and saying when the next try is allowed.

Limits per account stop guessing one password from many addresses; the
per-address limit is much higher, so colleagues behind one office address do
not lock each other out. Counts live in the rate-limit storage (Redis in
production), through the `limits` library Flask-Limiter is built on.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timezone

from flask import current_app, request
from limits import parse_many
from limits.storage import MemoryStorage
from limits.strategies import FixedWindowRateLimiter

from app.extensions import limiter

log = logging.getLogger(__name__)

# When the shared storage (Redis) is down, counting goes on in this process
# rather than failing the login: throttling stays on, per process, until it returns.
_memory_fallback = FixedWindowRateLimiter(MemoryStorage())


def _with_storage(operation):
    """Run `operation(strategy)` on the shared storage, or on memory while it is unreachable."""
    try:
        return operation(limiter.limiter)
    except Exception as exc:  # the storage client's connection errors vary by backend
        log.warning("rate-limit storage unreachable (%s); counting in memory", type(exc).__name__)
        return operation(_memory_fallback)


@dataclass
class Blocked:
    retry_at: datetime

    @property
    def minutes(self) -> int:
        return max(1, int((self.retry_at.timestamp() - time.time() + 59) // 60))

    def message(self, what: str = "Too many attempts") -> str:
        return (f"{what}. Try again at {self.retry_at:%H:%M} UTC "
                f"(in about {self.minutes} minute{'s' if self.minutes != 1 else ''}).")


# kind -> (setting per client address, setting per account)
SETTINGS = {
    "login": ("LOGIN_RATE_LIMIT", "LOGIN_RATE_LIMIT_PER_ACCOUNT"),
    "two_factor": ("TWO_FACTOR_RATE_LIMIT", "TWO_FACTOR_RATE_LIMIT_PER_ACCOUNT"),
    "reset": ("PASSWORD_RESET_RATE_LIMIT", "PASSWORD_RESET_RATE_LIMIT_PER_ACCOUNT"),
    "verify": ("VERIFY_EMAIL_RATE_LIMIT", "VERIFY_EMAIL_RATE_LIMIT_PER_ACCOUNT"),
}


def _limits(setting: str):
    return parse_many(current_app.config[setting])


def _keys(kind: str, account: str | None) -> list[tuple[str, str]]:
    per_address, per_account = SETTINGS[kind]
    keys = [(per_address, f"throttle:{kind}:addr:{request.remote_addr or 'unknown'}")]
    if account:
        keys.append((per_account, f"throttle:{kind}:acct:{account.strip().lower()}"))
    return keys


def blocked(kind: str, account: str | None) -> Blocked | None:
    """Blocked when any limit for the address or the account is used up."""
    def latest_reset(strategy):
        latest = None
        for setting, key in _keys(kind, account):
            for limit in _limits(setting):
                if not strategy.test(limit, key):
                    reset_at, _remaining = strategy.get_window_stats(limit, key)
                    latest = max(latest or 0, reset_at)
        return latest

    latest = _with_storage(latest_reset)
    if latest is None:
        return None
    return Blocked(datetime.fromtimestamp(latest, tz=timezone.utc))


def count(kind: str, account: str | None) -> None:
    def hit(strategy):
        for setting, key in _keys(kind, account):
            for limit in _limits(setting):
                strategy.hit(limit, key)

    _with_storage(hit)


def clear(kind: str, account: str | None) -> None:
    """A success forgets the account's failures (the address keeps its count)."""
    if not account:
        return
    setting, key = _keys(kind, account)[1]

    def forget(strategy):
        for limit in _limits(setting):
            strategy.clear(limit, key)

    _with_storage(forget)
