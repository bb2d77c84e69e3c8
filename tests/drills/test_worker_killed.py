"""Fault drill: an RQ worker is killed (SIGKILL, work horse and all) in the
middle of a sync. RQ leaves the job "started", which used to block every
later request for the same unique job id; once the dead worker's heartbeat
has expired, the next request (or the minute's recovery job) hands the job
back to RQ's retry, and a new worker finishes it exactly once: every call
stored once, its lead made once, the rollups equal to a full recount.

Real processes: `python worker.py` against a private redis-server, a SQLite
file and the 4calls sandbox (slowed down so the kill lands mid-sync)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app import create_app
from app.config import TestingConfig
from app.encryption import encrypt
from app.extensions import db
from app.models import Business, Call, FourCallsIntegration, JobRun
from app.models.leads import Lead
from sandbox.fourcalls.testing import running_fourcalls
from tests.drills.test_redis_down import PrivateRedis, redis_server  # noqa: F401  (fixture)

ROOT = Path(__file__).resolve().parents[2]
CALLS = 3000  # six pages of 500


def _wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


class WorkerProcess:
    """`python worker.py <queue>` in its own session. RQ puts each work horse
    in a process group of its own, so `kill` finds the horses by parent pid:
    all of them die at once, as on a lost machine."""

    def __init__(self, env: dict, queue: str, log: Path):
        self.log = log.open("ab")
        self.process = subprocess.Popen([sys.executable, "worker.py", queue], cwd=ROOT, env=env,
                                        stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)

    def kill(self):
        horses = subprocess.run(["ps", "-o", "pid=", "--ppid", str(self.process.pid)], capture_output=True,
                                text=True).stdout.split()
        assert horses, "the worker has no work horse: no job is running"
        for pid in [self.process.pid, *map(int, horses)]:
            os.kill(pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        self.log.close()

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
        if not self.log.closed:
            self.log.close()


def drill_setup(tmp_path, redis_server, fourcalls):  # noqa: F811
    """(the test's app, the worker processes' environment, the queue name):
    one SQLite file, the private Redis and the sandbox, shared by both sides."""
    from cryptography.fernet import Fernet

    database = f"sqlite:///{tmp_path / 'drill.sqlite3'}"
    queue_name = f"drill-{redis_server.port}"
    settings = dict(DATABASE_URL=database, REDIS_URL=redis_server.url, JOB_BACKEND="rq", RQ_QUEUE_NAME=queue_name,
                    FOURCALLS_API_URL=fourcalls.url, FOURCALLS_API_KEY=fourcalls.platform_key,
                    ENCRYPTION_KEYS=Fernet.generate_key().decode(), SECRET_KEY="drill-secret-key")
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=database, RATELIMIT_STORAGE_URI=redis_server.url,
                     **{name: value for name, value in settings.items() if name != "DATABASE_URL"})
    env = dict(os.environ, APP_ENV="development", INSTANCE_PATH=str(tmp_path / "instance"), **settings)
    with app.app_context():
        db.create_all()
    return app, env, queue_name


@pytest.fixture
def fourcalls(tmp_path):
    with running_fourcalls(tmp_path / "fourcalls", log_requests=False) as handle:
        yield handle


@pytest.mark.slow
def test_a_sync_killed_mid_run_is_finished_exactly_once_by_the_next_worker(tmp_path, redis_server, fourcalls):  # noqa: F811
    from app.analytics import rollups
    from app.fourcalls import platform_client
    from app.jobs.queue import rq_job_id
    from app.crm_sync.services import request_sync, sync_job_id

    app, env, queue_name = drill_setup(tmp_path, redis_server, fourcalls)
    with app.app_context():
        organization = platform_client().create_organization({"name": "Drill", "timezone": "UTC"})
        fourcalls.seed(organization["id"], calls=CALLS)
        business = Business(name="Drill", slug="drill", category="Restaurant", opening_hours={}, services=[], faq=[])
        db.session.add(business)
        db.session.flush()
        db.session.add(FourCallsIntegration(
            business_id=business.id, organization_id=organization["id"], service_package="ai_business_suite",
            api_key=encrypt(organization["api_key"], app.config["ENCRYPTION_KEYS"]), status="active"))
        rollups.rebuild(business)
        db.session.commit()
        business_id = business.id
    fourcalls.set_faults(latency_ms=400)  # each page takes a while: the kill lands mid-sync

    def stored_calls():
        with app.app_context():
            return db.session.scalar(select(func.count()).select_from(Call).where(Call.business_id == business_id))

    first = WorkerProcess(env, queue_name, tmp_path / "worker-1.log")
    second = None
    try:
        with app.app_context():
            run = request_sync(db.session.get(Business, business_id), ("contacts", "calls"), track=True)
            run_id = run.id
        _wait_for(lambda: 0 < stored_calls() < CALLS, 120, "the sync to commit its first page of calls")
        first.kill()
        killed_at = stored_calls()
        assert 0 < killed_at < CALLS

        with app.app_context():
            queue = app.extensions["job_queue"]
            job_key = f"rq:job:{rq_job_id(sync_job_id(business_id, ('contacts', 'calls')))}"
            assert queue.redis.hget(job_key, "status") == b"started"  # nobody will ever finish it
            # While the dead worker's heartbeat is still valid the job counts as running...
            assert request_sync(db.session.get(Business, business_id), ("contacts", "calls")) is None
            # ...and once it expired (RQ allows heartbeat + 60 s), it is handed to RQ's retry.
            assert queue.recover_abandoned(now=time.time() + 200) == 1
            assert queue.redis.hget(job_key, "status") in (b"scheduled", b"queued")

        fourcalls.set_faults(latency_ms=0)
        second = WorkerProcess(env, queue_name, tmp_path / "worker-2.log")

        def finished():
            with app.app_context():
                db.session.expire_all()
                return db.session.get(JobRun, run_id).status in ("succeeded", "failed")

        _wait_for(finished, 180, "the retried sync to finish")
        with app.app_context():
            run = db.session.get(JobRun, run_id)
            assert run.status == "succeeded", (run.status, run.error)
            assert run.attempts == 2
            business = db.session.get(Business, business_id)
            remote_ids = db.session.scalars(select(Call.remote_id).where(Call.business_id == business_id)).all()
            assert len(remote_ids) == CALLS and len(set(remote_ids)) == CALLS  # each call once
            lead_calls = db.session.scalar(select(func.count()).select_from(Call).where(
                Call.business_id == business_id, Call.outcome == "lead"))
            leads = db.session.scalars(select(Lead.call_id).where(Lead.business_id == business_id)).all()
            assert len(leads) == lead_calls == len(set(leads))  # one lead per lead call, none twice
            daily, hourly, topics = rollups.stored(business)
            tally = rollups.recount(business)
            assert daily == {key: value for key, value in tally.daily.items() if any(value)}
            assert hourly == {key: value for key, value in tally.hourly.items() if value}
            assert topics == {key: value for key, value in tally.topics.items() if value}
            assert queue.redis.hget(job_key, "status") == b"finished"
    finally:
        if first.process.poll() is None:
            first.stop()
        if second is not None:
            second.stop()


@pytest.mark.slow
def test_provisioning_killed_mid_run_is_finished_exactly_once_by_the_next_worker(tmp_path, redis_server, fourcalls):  # noqa: F811
    from app.assistant import provisioning
    from app.fourcalls import platform_client
    from app.jobs.queue import rq_job_id
    from app.models import IntegrationStatus

    app, env, queue_name = drill_setup(tmp_path, redis_server, fourcalls)
    with app.app_context():
        from app.packages.services import sync_catalog

        sync_catalog()
        business = Business(name="Drill Bistro", slug="drill-bistro", category="Restaurant", opening_hours={},
                            services=[], faq=[])
        db.session.add(business)
        db.session.commit()
        business_id = business.id
    fourcalls.set_faults(latency_ms=700)  # each 4calls request takes a while: the kill lands mid-provisioning

    first = WorkerProcess(env, queue_name, tmp_path / "worker-1.log")
    second = None
    try:
        with app.app_context():
            provisioning.activate_package(db.session.get(Business, business_id), "ai_receptionist", "drill")
            queue = app.extensions["job_queue"]
            job_key = f"rq:job:{rq_job_id(provisioning.push_job_id(business_id))}"

        def started():
            with app.app_context():
                return queue.redis.hget(job_key, "status") == b"started"

        _wait_for(started, 60, "the provisioning job to start")

        def organization_created_in_fourcalls():
            with app.app_context():
                return list(platform_client().list_organizations(external_id=str(business_id)))

        # Killed once 4calls has the organization: the worker may not have recorded it yet.
        _wait_for(organization_created_in_fourcalls, 60, "4calls to create the organization")
        first.kill()

        with app.app_context():
            assert queue.redis.hget(job_key, "status") == b"started"
            integration = db.session.scalar(select(FourCallsIntegration).where(
                FourCallsIntegration.business_id == business_id))
            assert integration.status == IntegrationStatus.PROVISIONING  # it did not finish
            assert queue.recover_abandoned(now=time.time() + 200) == 1

        fourcalls.set_faults(latency_ms=0)
        second = WorkerProcess(env, queue_name, tmp_path / "worker-2.log")

        def provisioned():
            with app.app_context():
                db.session.expire_all()
                row = db.session.scalar(select(FourCallsIntegration).where(
                    FourCallsIntegration.business_id == business_id))
                return row.status in (IntegrationStatus.ACTIVE, IntegrationStatus.ERROR) and \
                    row.synced_version == row.desired_version and row

        integration = _wait_for(provisioned, 180, "the retried provisioning to finish")
        assert integration.status == IntegrationStatus.ACTIVE, integration.status_reason
        with app.app_context():
            organizations = list(platform_client().list_organizations(external_id=str(business_id)))
            assert [o["id"] for o in organizations] == [integration.organization_id]  # one organization, ours
            coordinators = fourcalls.state(integration.organization_id, full=True)["objects"]["coordinators"]
            names = [c.get("name") for c in coordinators]
            assert names and len(names) == len(set(names))  # none created twice
    finally:
        if first.process.poll() is None:
            first.stop()
        if second is not None:
            second.stop()
