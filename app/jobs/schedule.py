"""Recurring jobs: (function, interval in seconds).

Used by `rq cron cron.py` in production and by the in-process runner of
`make run`, so both schedule the same work.
"""
from __future__ import annotations

RECURRING_JOBS: list[tuple] = []
