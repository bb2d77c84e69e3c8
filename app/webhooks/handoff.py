"""Handing stored 4calls events to the workers without one job per event.

The stored row is the durable hand-off: `process_stored_events` (a job) applies
every unprocessed row of a source, and the sweep re-queues it for rows nobody
picked up (Redis was down, a worker died). What the receiver adds is only a
prompt: each web process queues at most one batch job per WEBHOOK_BATCH_SECONDS
window, so at 1,000 events/s the receiver does no Redis work for almost every
event.

Why a window and not "queue unless one is pending": a pending batch job that
has already started may have read the table before this row was committed,
and would never see it. A job queued for window w first waits until w ends,
so it reads the table after every row that any process stored during w, the
rows whose receiver skipped queueing because w's job was already queued.
With WEBHOOK_BATCH_SECONDS = 0 (tests) there is no window to wait for, so
every event queues a batch job of its own, under a fresh id. One shared id
would lose events: the queue skips an id whose job is still running, and that
job may already have made its last, empty read of the table.
"""
from __future__ import annotations

import math
import threading
import time
import uuid

from flask import current_app

BATCH_JOB = "app.webhooks.jobs.process_stored_events_job"

_last_window: dict[str, int] = {}
_lock = threading.Lock()


def announce_stored_event(source: str) -> None:
    """A new row of `source` is committed: make sure a batch job will read it."""
    from app.jobs import enqueue

    seconds = float(current_app.config.get("WEBHOOK_BATCH_SECONDS") or 0)
    if seconds <= 0:
        enqueue(BATCH_JOB, source, job_id=f"webhooks:{source}:batch:{uuid.uuid4().hex}", fresh_id=True)
        return
    window = math.floor(time.time() / seconds)
    with _lock:
        if _last_window.get(source) == window:
            return
        _last_window[source] = window
    # Each process may queue the same window's id: RQ then runs it twice, and
    # the second run finds nothing left (rows are claimed one by one).
    enqueue(BATCH_JOB, source, not_before=(window + 1) * seconds, job_id=f"webhooks:{source}:batch:{window}",
            fresh_id=True)


def wait_until(not_before: float | None, longest: float = 10.0) -> None:
    """The batch job's first step: let its window end (bounded, in case of a clock jump)."""
    if not_before is None:
        return
    time.sleep(min(longest, max(0.0, not_before - time.time())))
