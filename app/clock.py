"""The one clock the app reads. Tests inject a frozen or moving clock with
`set_clock` instead of sleeping or patching `datetime`."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone


def _system_now() -> datetime:
    return datetime.now(timezone.utc)


_now: Callable[[], datetime] = _system_now


def utcnow() -> datetime:
    """The current instant, timezone-aware in UTC."""
    value = _now()
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def set_clock(now: Callable[[], datetime] | datetime) -> None:
    """Make `utcnow()` answer `now` (a fixed instant, or a callable for a moving clock)."""
    global _now
    _now = (lambda: now) if isinstance(now, datetime) else now


def reset_clock() -> None:
    global _now
    _now = _system_now
