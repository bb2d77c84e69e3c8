"""A real 4calls sandbox over HTTP for the provisioning tests, and an app pointed at it."""
from __future__ import annotations

import pytest

from app.fourcalls.health import clear_cache
from sandbox.fourcalls.testing import running_fourcalls


@pytest.fixture(scope="session")
def fourcalls_sandbox(tmp_path_factory):
    with running_fourcalls(tmp_path_factory.mktemp("fourcalls-provisioning")) as handle:
        yield handle


@pytest.fixture
def fourcalls(app, fourcalls_sandbox):
    """The sandbox with no faults, and the app talking to it."""
    fourcalls_sandbox.clear_faults()
    saved = {name: app.config[name] for name in ("FOURCALLS_API_URL", "FOURCALLS_API_KEY")}
    app.config.update(FOURCALLS_API_URL=fourcalls_sandbox.url, FOURCALLS_API_KEY=fourcalls_sandbox.platform_key)
    clear_cache()
    yield fourcalls_sandbox
    fourcalls_sandbox.clear_faults()
    app.config.update(saved)
    clear_cache()


@pytest.fixture
def worker_pool(app):
    """Run jobs on four worker threads, as several RQ workers would in
    production, instead of one after another. Yields a drain() function."""
    from app.jobs.queue import InProcessQueue

    original = app.extensions["job_queue"]
    pool = InProcessQueue(app, workers=4)
    app.extensions["job_queue"] = pool
    yield lambda: pool.drain(timeout=120)
    pool.drain(timeout=120)
    pool.close()
    app.extensions["job_queue"] = original


@pytest.fixture
def run_jobs(run_jobs):
    """Drain the queue, then forget what this test's session had loaded: the
    test and the requests it makes share one session, and the jobs changed rows."""
    from app.extensions import db

    def _run():
        result = run_jobs()
        db.session.expire_all()
        return result

    return _run
