"""Recurring jobs: (function, interval in seconds).

Used by `rq cron cron.py` in production and by the in-process runner of
`make run`, so both schedule the same work.
"""
from __future__ import annotations

from app.fourcalls.jobs import resync_stale_assistants

RECURRING_JOBS: list[tuple] = [
    # Changes 4calls has not confirmed yet (it was down, or a change raced a finishing sync).
    (resync_stale_assistants, 60),
]
