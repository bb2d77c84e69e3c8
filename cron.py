"""Recurring jobs, read by RQ's own cron scheduler: `rq cron cron.py`.

Areas append (function, interval seconds) to app.jobs.schedule.RECURRING_JOBS;
the same list drives the in-process runner of `make run`.
"""
from rq import cron

from app.jobs.schedule import RECURRING_JOBS

for func, interval in RECURRING_JOBS:
    cron.register(func, "default", interval=interval)
