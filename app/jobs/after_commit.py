"""Enqueue work once the current transaction commits.

A job must see the rows that asked for it, so services record "run this job
for that id" on the session and the jobs go to the queue in `after_commit`.
A rollback forgets them. When Redis is down the enqueue is only logged: every
area that uses this keeps a sweep that picks up rows still waiting.
"""
from __future__ import annotations

import logging
from typing import Callable

from sqlalchemy import event

from app.extensions import db

log = logging.getLogger(__name__)
_PENDING_KEY = "jobs_after_commit"
_installed = False


def enqueue_after_commit(job_path: str, item_id, *, job_id: str, **options) -> None:
    """Queue `job_path(item_id)` under `job_id` after the current transaction commits."""
    db.session.info.setdefault(_PENDING_KEY, []).append((job_path, str(item_id), job_id, options))


def after_commit(callback: Callable[[], None]) -> None:
    """Run `callback` once the current transaction commits (jobs must see the
    rows); a rollback of the transaction forgets it, as it forgets the rows."""
    db.session.info.setdefault(_CALLBACKS_KEY, []).append(callback)


_CALLBACKS_KEY = "callbacks_after_commit"


def _enqueue_pending(session) -> None:
    for callback in session.info.pop(_CALLBACKS_KEY, ()):
        try:
            callback()
        except Exception:  # Redis down: the area's sweep picks the row up
            log.warning("after-commit callback %s failed; the sweep will pick it up",
                        getattr(callback, "__qualname__", callback), exc_info=True)
    pending = session.info.pop(_PENDING_KEY, None)
    if not pending:
        return
    from app.jobs.queue import enqueue

    for job_path, item_id, job_id, options in pending:
        try:
            enqueue(job_path, item_id, job_id=job_id, **options)
        except Exception:  # Redis down: the area's sweep picks the row up
            log.warning("could not enqueue %s for %s; the sweep will pick it up", job_path, item_id)


def install() -> None:
    """Listen on every session once per process (create_app may run many times in tests)."""
    global _installed
    if _installed:
        return
    from sqlalchemy.orm import Session

    event.listen(Session, "after_commit", _enqueue_pending)
    forget_with_the_transaction(_PENDING_KEY, _CALLBACKS_KEY)
    _installed = True


def forget_with_the_transaction(*keys: str) -> None:
    """Drop these `session.info` entries (work held for a commit) when a whole
    transaction rolls back. Not when a savepoint does: a savepoint rolled back
    (a lost race for a unique row, say) leaves the rest of the transaction to
    commit, and what it held must go out with it. Call once per process."""
    from sqlalchemy.orm import Session

    def forget(session, previous_transaction) -> None:
        if previous_transaction.parent is None:
            for key in keys:
                session.info.pop(key, None)

    event.listen(Session, "after_soft_rollback", forget)
