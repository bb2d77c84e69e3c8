"""Recurring jobs, read by RQ's own cron scheduler: `rq cron cron.py`.

The list is app/recurring.py (dotted paths); the in-process runner of
`make run` starts the same list.
"""
from rq import cron
from werkzeug.utils import import_string

from app.recurring import RECURRING_JOBS

for path, interval in RECURRING_JOBS:
    cron.register(import_string(path), "default", interval=interval)
