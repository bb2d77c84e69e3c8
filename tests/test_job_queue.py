"""The in-process job queue (`make run` and the browser tests' live sites):
draining it waits for what can finish, not for jobs due long after."""
from __future__ import annotations

import time
from datetime import timedelta

from app.jobs.queue import InProcessQueue


def test_drain_waits_for_jobs_due_within_it_but_not_for_a_job_due_after_it(app, request):
    ran = []
    pool = InProcessQueue(app, workers=2)
    request.addfinalizer(pool.close)
    pool.enqueue(lambda: ran.append("now"), job_id="now")
    pool.enqueue(lambda: ran.append("soon"), job_id="soon", delay=timedelta(seconds=0.3))
    pool.enqueue(lambda: ran.append("in an hour"), job_id="in-an-hour", delay=timedelta(hours=1))
    started = time.monotonic()
    pool.drain(timeout=20)
    # Both jobs due within the drain ran; the one due in an hour is still waiting,
    # and the drain did not sit out its 20 s for it.
    assert sorted(ran) == ["now", "soon"]
    assert time.monotonic() - started < 10
    assert pool.active_ids == {"in-an-hour"}


def test_drain_waits_for_a_retry_whose_backoff_ends_within_it(app, request):
    app.config["JOB_RETRY_INTERVALS"] = [0.2]
    attempts = []

    def flaky():
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("4calls hiccup")

    pool = InProcessQueue(app, workers=2)
    request.addfinalizer(pool.close)
    pool.enqueue(flaky, job_id="flaky")
    pool.drain(timeout=20)
    assert len(attempts) == 2 and not pool.active_ids


def test_close_drops_waiting_jobs_and_refuses_new_ones(app):
    """A live site shutting down: nothing waiting may start after it is gone."""
    ran = []
    pool = InProcessQueue(app, workers=2)
    pool.enqueue(lambda: ran.append("in an hour"), job_id="reminder", delay=timedelta(hours=1))
    (timer,) = pool.timers
    pool.close()
    assert timer.finished.is_set()  # cancelled: it will never fire
    assert not pool.active_ids and not pool.timers
    assert pool.enqueue(lambda: ran.append("after close"), job_id="late") is None
    assert pool.enqueue(lambda: ran.append("after close, delayed"), delay=timedelta(seconds=1)) is None
    assert ran == [] and not pool.timers and not pool.active_ids
    pool.drain(timeout=20)  # nothing left to wait for


def test_close_lets_a_running_job_finish(app):
    import threading

    started, release, finished = threading.Event(), threading.Event(), []
    pool = InProcessQueue(app, workers=2)

    def slow():
        started.set()
        release.wait(10)
        finished.append(True)

    pool.enqueue(slow, job_id="slow")
    assert started.wait(10)
    threading.Timer(0.2, release.set).start()
    pool.close()
    assert finished == [True] and pool.running == 0


def test_many_instant_jobs_never_deadlock_the_count(app):
    """A job can finish before its done-callback is attached; the count still settles at zero."""
    pool = InProcessQueue(app, workers=4)
    for number in range(300):
        pool.enqueue(lambda: None, job_id=f"instant-{number}")
    pool.drain(timeout=20)
    pool.close(timeout=20)
    assert pool.running == 0 and not pool.active_ids


def test_work_queued_for_the_commit_survives_a_savepoint_rollback_and_dies_with_the_transaction(app, factories):
    """`after_commit` callbacks and `enqueue_after_commit` jobs run once the
    transaction commits; a savepoint rolled back inside it (a lost race for a
    unique row) keeps them, a rollback of the whole transaction drops them."""
    from sqlalchemy import text

    from app.extensions import db
    from app.jobs.after_commit import after_commit, enqueue_after_commit
    from tests.sync_helpers import queued_job_ids

    ran = []
    factories.business(owner=factories.user())  # a transaction with something in it
    after_commit(lambda: ran.append("kept"))
    enqueue_after_commit("app.analytics.jobs.rebuild_rollups_job", "kept-item", job_id="after-commit:kept")
    savepoint = db.session.begin_nested()
    savepoint.rollback()
    assert ran == []
    db.session.commit()
    assert ran == ["kept"]
    assert "after-commit:kept" in queued_job_ids(app)

    db.session.execute(text("SELECT 1"))  # a transaction under way
    after_commit(lambda: ran.append("rolled back"))
    enqueue_after_commit("app.analytics.jobs.rebuild_rollups_job", "gone-item", job_id="after-commit:gone")
    db.session.rollback()
    db.session.commit()
    assert ran == ["kept"]
    assert "after-commit:gone" not in queued_job_ids(app)
