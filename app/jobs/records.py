"""Each job run leaves a row: status, progress, counts and any error."""
from __future__ import annotations

import uuid
from contextlib import contextmanager

from app.extensions import db
from app.models import JobRun
from app.models.base import utcnow


def create_run(kind: str, business_id: uuid.UUID | None = None) -> JobRun:
    run = JobRun(kind=kind, business_id=business_id, status="queued")
    db.session.add(run)
    db.session.commit()
    return run


@contextmanager
def recorded_run(kind: str, business_id: uuid.UUID | None = None, run_id: uuid.UUID | str | None = None):
    """Record a job's execution. Exceptions are written to the run and re-raised
    so the queue's retry policy still applies."""
    run = db.session.get(JobRun, uuid.UUID(str(run_id))) if run_id else None
    if run is None:
        # Column defaults apply only at flush; the counter is incremented before that.
        run = JobRun(kind=kind, business_id=business_id, attempts=0)
        db.session.add(run)
    run.status = "running"
    run.attempts += 1
    run.error = None
    run.started_at = run.started_at or utcnow()
    db.session.commit()
    run_pk = run.id
    try:
        yield run
    except Exception as exc:
        db.session.rollback()
        failed = db.session.get(JobRun, run_pk)
        failed.status = "failed"
        failed.error = f"{type(exc).__name__}: {exc}"[:2000]
        failed.finished_at = utcnow()
        db.session.commit()
        raise
    else:
        run.status = "succeeded"
        run.progress = 100
        run.finished_at = utcnow()
        db.session.commit()


def set_progress(run: JobRun, progress: int, **counts) -> None:
    """Move the run's progress and counts; they show once the caller commits."""
    run.progress = max(0, min(100, int(progress)))
    if counts:
        run.counts = {**(run.counts or {}), **counts}


def update_progress(run: JobRun, progress: int, **counts) -> None:
    set_progress(run, progress, **counts)
    db.session.commit()
