"""One way to enqueue background work, three ways to run it.

* ``rq``: RQ on Redis — production, and the PostgreSQL test run.
* ``in-process``: a thread pool inside the web process, for `make run`
  without Redis. It runs the very same job functions with the same unique
  ids and retry schedule.
* ``eager``: jobs wait in a list until a test calls ``drain()``.

Job functions are plain module-level functions taking ids; every runner
calls them inside an app context and cleans the session afterwards.
"""
from __future__ import annotations

import importlib
import logging
import re
import uuid
import threading
import time
from collections import Counter, deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Callable

from flask import Flask, current_app

log = logging.getLogger(__name__)

# RQ statuses in which a job with the same id is still going to run.
_PENDING_STATUSES = {"queued", "started", "deferred", "scheduled"}


def run_in_app_context(app: Flask, func: Callable, args: tuple, kwargs: dict):
    from app.extensions import db

    with app.app_context():
        try:
            return func(*args, **kwargs)
        finally:
            db.session.remove()


@dataclass
class _PendingJob:
    func: Callable
    args: tuple
    kwargs: dict
    job_id: str | None
    attempts_left: int
    attempt: int = 0
    not_before: float = field(default=0.0)


class EagerQueue:
    """Holds jobs until `drain()`; used by tests for determinism."""

    backend = "eager"

    def __init__(self, app: Flask):
        self.app = app
        self.pending: deque[_PendingJob] = deque()
        # The ids in `pending`, so a duplicate check is not a scan of the queue
        # (a sync page queues hundreds of jobs: that scan was quadratic).
        self.pending_ids: Counter[str] = Counter()
        self.failed: list[tuple[_PendingJob, BaseException]] = []

    def enqueue(self, func, *args, job_id=None, delay: timedelta | None = None, retries=None, fresh_id=False,
                **kwargs):
        if job_id and self.pending_ids[job_id]:
            return None
        retries = len(self.app.config["JOB_RETRY_INTERVALS"]) if retries is None else retries
        self._append(_PendingJob(func, args, kwargs, job_id, retries))
        return job_id or func.__name__

    def _append(self, job: _PendingJob) -> None:
        self.pending.append(job)
        if job.job_id:
            self.pending_ids[job.job_id] += 1

    def clear(self) -> None:
        """Forget every queued and failed job (a test's fresh start, or a lost queue)."""
        self.pending.clear()
        self.pending_ids.clear()
        self.failed.clear()

    def drain(self, max_jobs: int = 10_000) -> int:
        """Run queued jobs (and their retries) until none are left."""
        ran = 0
        while self.pending and ran < max_jobs:
            job = self.pending.popleft()
            if job.job_id:
                self.pending_ids[job.job_id] -= 1
            ran += 1
            try:
                run_in_app_context(self.app, job.func, job.args, job.kwargs)
            except Exception as exc:  # recorded by the job itself; retried here
                if job.attempts_left > 0:
                    job.attempts_left -= 1
                    self._append(job)
                else:
                    self.failed.append((job, exc))
        return ran

    def health(self) -> dict:
        return {"backend": self.backend, "status": "ok", "pending": len(self.pending)}


class InProcessQueue:
    """A small thread pool standing in for RQ workers when there is no Redis."""

    backend = "in-process"

    def __init__(self, app: Flask, workers: int = 4):
        self.app = app
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="job")
        self.active_ids: set[str] = set()
        # When each job (by id) waiting on a timer (a delay or a retry's backoff) comes due.
        self.due_at: dict[str, float] = {}
        self.timers: set[threading.Timer] = set()
        self.running = 0  # jobs handed to the pool and not yet done (or cancelled)
        self.closed = False
        # Re-entrant: a job done before add_done_callback returns calls _done at once, under _submit's hold.
        self.lock = threading.RLock()

    def enqueue(self, func, *args, job_id=None, delay: timedelta | None = None, retries=None, fresh_id=False,
                **kwargs):
        with self.lock:
            if self.closed or (job_id and job_id in self.active_ids):
                return None
            if job_id:
                self.active_ids.add(job_id)
        intervals = list(self.app.config["JOB_RETRY_INTERVALS"])
        if retries is not None:
            intervals = intervals[:retries]
        job = _PendingJob(func, args, kwargs, job_id, len(intervals))
        self._schedule(job, delay.total_seconds() if delay else 0, intervals)
        return job_id or func.__name__

    def _schedule(self, job: _PendingJob, seconds: float, intervals: list[int]):
        if seconds > 0:
            timer = threading.Timer(seconds, lambda: self._submit(job, intervals, timer))
            timer.daemon = True
            with self.lock:
                if self.closed:
                    return
                if job.job_id:
                    self.due_at[job.job_id] = time.monotonic() + seconds
                self.timers.add(timer)
            timer.start()
        else:
            self._submit(job, intervals)

    def _submit(self, job: _PendingJob, intervals: list[int], timer: threading.Timer | None = None):
        with self.lock:
            self.timers.discard(timer)
            if job.job_id:
                self.due_at.pop(job.job_id, None)
            if self.closed:
                return
            self.running += 1
            # Counted down when done, or when close() cancels it before it started.
            self.executor.submit(self._run, job, intervals).add_done_callback(self._done)

    def _done(self, _future) -> None:
        with self.lock:
            self.running -= 1

    def close(self, timeout: float = 30.0) -> None:
        """Stop: jobs waiting on a timer or in the pool's queue are dropped, new
        ones refused, and jobs running now get up to `timeout` to finish. For a
        process (or a test's live site) shutting down, so no job starts after
        what it needs (its database, 4calls) is gone."""
        with self.lock:
            self.closed = True
            timers, self.timers = self.timers, set()
            self.due_at.clear()
            self.active_ids.clear()
        for timer in timers:
            timer.cancel()
        self.executor.shutdown(wait=False, cancel_futures=True)
        deadline = time.monotonic() + timeout
        while self.running and time.monotonic() < deadline:
            time.sleep(0.05)

    def _run(self, job: _PendingJob, intervals: list[int]):
        try:
            run_in_app_context(self.app, job.func, job.args, job.kwargs)
        except Exception:
            log.exception("job %s failed (attempt %s)", job.job_id or job.func.__name__, job.attempt + 1)
            if job.attempt < len(intervals):
                delay = intervals[job.attempt]
                job.attempt += 1
                self._schedule(job, delay, intervals)
                return
        self._release(job)

    def _release(self, job: _PendingJob):
        if job.job_id:
            with self.lock:
                self.active_ids.discard(job.job_id)

    def start_recurring(self) -> None:
        """Run RECURRING_JOBS on their intervals, as `rq cron` does in production."""
        from app.recurring import RECURRING_JOBS

        def loop(path, interval):
            while True:
                time.sleep(interval)
                self.enqueue(path, job_id=f"cron:{path}")

        for path, interval in RECURRING_JOBS:
            threading.Thread(target=loop, args=(path, interval), daemon=True, name=f"cron-{path}").start()

    def drain(self, timeout: float = 30.0) -> int:
        """Wait (at most `timeout`) for the jobs running, queued, or coming due
        within it. A job whose delay ends after the deadline could not finish
        within it anyway, so it is not waited for (a reminder an hour away kept
        every caller waiting the whole timeout)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self._due_before(deadline):
            time.sleep(0.05)
        return 0

    def _due_before(self, deadline: float) -> bool:
        with self.lock:
            return any(self.due_at.get(job_id, 0) < deadline for job_id in self.active_ids)

    def health(self) -> dict:
        return {"backend": self.backend, "status": "ok", "active": len(self.active_ids)}


def rq_job_id(job_id: str | None) -> str | None:
    """RQ accepts only letters, digits, '_' and '-' in job ids; the app's ids
    read "kind:id", so every other character is spelled out (':' -> '-3a-'),
    which keeps distinct ids distinct."""
    if not job_id:
        return job_id
    return re.sub(r"[^A-Za-z0-9_]", lambda match: f"-{ord(match.group()):x}-", job_id)


class RQQueue:
    backend = "rq"

    def __init__(self, app: Flask):
        from redis import Redis
        from rq import Queue

        self.app = app
        self.redis = Redis.from_url(app.config["REDIS_URL"])
        self.queue = Queue(app.config["RQ_QUEUE_NAME"], connection=self.redis)

    def enqueue(self, func, *args, job_id=None, delay: timedelta | None = None, retries=None, fresh_id=False,
                **kwargs):
        from rq import Retry

        job_id = rq_job_id(job_id)
        if job_id and not fresh_id and self._pending(job_id):
            return None
        intervals = list(self.app.config["JOB_RETRY_INTERVALS"])
        if retries is not None:
            intervals = intervals[:retries]
        options = {"job_id": job_id, "kwargs": kwargs, "args": args}
        if intervals:
            options["retry"] = Retry(max=len(intervals), interval=intervals)
        if delay:
            job = self.queue.enqueue_in(delay, func, **options)
            return job.id
        # One round trip: RQ sends the queue registration and the job in two otherwise.
        with self.redis.pipeline() as pipeline:
            job = self.queue.enqueue(func, pipeline=pipeline, **options)
            pipeline.execute()
        return job.id

    def _pending(self, job_id: str) -> bool:
        """Whether a job with this id is still going to run: one HGET of its
        status, not a fetch of the whole job. A "started" job whose worker
        died (SIGKILL, a lost machine) stays "started" until its heartbeat
        expires; then recovering the abandoned jobs retries or fails it, and
        this request is not refused because of a job nobody runs."""
        status = self.redis.hget(f"rq:job:{job_id}", "status")
        status = status.decode() if isinstance(status, bytes) else status
        if status == "started" and self.recover_abandoned():
            status = self.redis.hget(f"rq:job:{job_id}", "status")
            status = status.decode() if isinstance(status, bytes) else status
        return status in _PENDING_STATUSES

    def recover_abandoned(self, now: float | None = None) -> int:
        """Hand started jobs whose worker stopped sending heartbeats to RQ's
        own cleanup: retried (with the same id) while retries are left, else
        marked failed. `now` (seconds since the epoch) defaults to the app
        clock. Returns how many were abandoned."""
        from rq.registry import StartedJobRegistry

        from app.models.base import utcnow

        registry = StartedJobRegistry(queue=self.queue)
        moment = utcnow().timestamp() if now is None else now
        abandoned = len(registry.get_expired_job_ids(moment))
        if abandoned:
            log.warning("%d abandoned job(s) in %s: retrying or failing them", abandoned, self.queue.name)
            registry.cleanup(moment)
        return abandoned

    def drain(self, timeout: float = 60.0) -> int:
        """Run everything queued in this process (tests)."""
        from app.jobs.worker import AppContextSimpleWorker

        worker = AppContextSimpleWorker([self.queue], connection=self.redis)
        worker.flask_app = self.app
        worker.work(burst=True, with_scheduler=False)
        return 0

    def health(self) -> dict:
        try:
            self.redis.ping()
            return {"backend": self.backend, "status": "ok", "queued": len(self.queue)}
        except Exception as exc:  # reported, not raised: health must answer
            return {"backend": self.backend, "status": "error", "error": type(exc).__name__}


def init_queue(app: Flask):
    from app.jobs.after_commit import install as install_after_commit

    install_after_commit()
    backend = app.config["JOB_BACKEND"]
    if backend == "rq":
        queue = RQQueue(app)
    elif backend == "eager":
        queue = EagerQueue(app)
    else:
        queue = InProcessQueue(app)
    app.extensions["job_queue"] = queue
    return queue


def get_queue():
    return current_app.extensions["job_queue"]


def resolve_job(func: Callable | str) -> Callable:
    """A job given by dotted path ("app.mail.jobs.deliver_email_job"), as RQ
    accepts natively, so services need not import job modules to enqueue them."""
    if callable(func):
        return func
    module_name, _, attribute = func.rpartition(".")
    return getattr(importlib.import_module(module_name), attribute)


def job_path(func: Callable) -> str:
    return f"{func.__module__}.{func.__qualname__}"


def enqueue(func: Callable | str, *args, job_id: str | None = None, delay: timedelta | None = None,
            fresh_id: bool = False, **kwargs):
    """Queue `func(*args, **kwargs)`; `func` may be a dotted path. A job whose id
    is already waiting or running is not queued again; returns None in that case.

    When the queue cannot be reached (Redis down), the request is written to
    `deferred_jobs` and None is returned: the caller's request still succeeds,
    and `flush_deferred_jobs` enqueues it once Redis answers again.

    `fresh_id`: the caller just created what the id names (a new webhook
    row), so no job can carry it yet and the lookup is skipped."""
    func = resolve_job(func)
    try:
        return get_queue().enqueue(func, *args, job_id=job_id, delay=delay, fresh_id=fresh_id, **kwargs)
    except QUEUE_UNREACHABLE as exc:
        _defer(func, args, kwargs, job_id, exc)
        return None


def _queue_unreachable_errors() -> tuple[type[BaseException], ...]:
    errors: list[type[BaseException]] = [ConnectionError, TimeoutError]
    try:
        from redis.exceptions import ConnectionError as RedisConnectionError, TimeoutError as RedisTimeoutError

        errors += [RedisConnectionError, RedisTimeoutError]
    except ImportError:  # pragma: no cover - redis is a runtime dependency
        pass
    return tuple(errors)


QUEUE_UNREACHABLE = _queue_unreachable_errors()


def _defer(func: Callable, args: tuple, kwargs: dict, job_id: str | None, exc: BaseException) -> None:
    # Its own short transaction: the caller may have committed already, and must
    # not have its unrelated pending changes committed by us.
    from sqlalchemy import insert

    from app.extensions import db
    from app.models.base import utcnow
    from app.models.jobs import DeferredJob

    log.warning("queue unreachable (%s); deferring %s", type(exc).__name__, job_id or job_path(func))
    now = utcnow()
    with db.engine.begin() as connection:
        connection.execute(insert(DeferredJob).values(
            id=uuid.uuid4(), func_path=job_path(func), args=list(args), kwargs=dict(kwargs), job_id=job_id,
            error=f"{type(exc).__name__}: {exc}"[:500], attempts=0, created_at=now, updated_at=now,
        ))


def flush_deferred_jobs(limit: int = 1000) -> int:
    """Enqueue job requests that were deferred while the queue was unreachable,
    oldest first; stops at the first failure (the queue is still down)."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models.base import utcnow
    from app.models.jobs import DeferredJob

    waiting = db.session.scalars(
        select(DeferredJob).where(DeferredJob.enqueued_at.is_(None)).order_by(DeferredJob.created_at).limit(limit)
    ).all()
    flushed = 0
    for deferred in waiting:
        deferred.attempts += 1
        try:
            get_queue().enqueue(resolve_job(deferred.func_path), *deferred.args, job_id=deferred.job_id,
                                **deferred.kwargs)
        except QUEUE_UNREACHABLE as exc:
            deferred.error = f"{type(exc).__name__}: {exc}"[:500]
            break
        deferred.enqueued_at = utcnow()
        flushed += 1
    db.session.commit()
    return flushed


def recover_abandoned_jobs() -> int:
    """Recurring: retry (or fail) jobs left "started" by a worker that died,
    once their heartbeat has expired, instead of waiting for RQ's own
    10-minute maintenance. The next request for the same job id would do it
    too; this covers jobs nobody asks for again (a provisioning run)."""
    queue = get_queue()
    return queue.recover_abandoned() if isinstance(queue, RQQueue) else 0
