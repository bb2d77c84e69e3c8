"""Timestamps in the one wire format the API uses: UTC, microseconds, trailing Z.

A fixed-width format means SQLite can order and compare timestamps as plain text.
"""
from __future__ import annotations

import time
from datetime import date, datetime, timedelta, timezone, tzinfo

UTC = timezone.utc
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def now_utc() -> datetime:
    return datetime.now(UTC)


def format_ts(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def micros_to_ts(micros: int) -> str:
    return format_ts(_EPOCH + timedelta(microseconds=micros))


def now_micros() -> int:
    return time.time_ns() // 1000


def ts_to_micros(value: str) -> int:
    delta = parse_ts(value) - _EPOCH
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


def parse_ts(value: str, zone: tzinfo | None = None) -> datetime:
    """Parse ISO 8601 (date or date-time). Naive values are read in `zone` (UTC by default)."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError("expected an ISO 8601 date-time")
    text = value.strip()
    if text.endswith(("z", "Z")):
        text = text[:-1] + "+00:00"
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone or UTC)
    return parsed.astimezone(UTC)


def parse_date(value: str) -> date:
    if not isinstance(value, str):
        raise ValueError("expected a date (YYYY-MM-DD)")
    return date.fromisoformat(value.strip())


def unix_seconds(moment: datetime | None = None) -> int:
    return int((moment or now_utc()).timestamp())


def local_label(moment: datetime, zone: tzinfo) -> str:
    local = moment.astimezone(zone)
    hour = local.strftime("%I").lstrip("0") or "12"
    return f"{local.strftime('%a %b')} {local.day}, {hour}:{local.strftime('%M %p')}"


def local_iso(moment: datetime, zone: tzinfo) -> str:
    return moment.astimezone(zone).isoformat(timespec="seconds")


def from_epoch(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)
