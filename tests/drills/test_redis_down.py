"""Fault drill: Redis stops. The app keeps serving pages and accepting
webhooks; work requested meanwhile is kept in the database and runs once
Redis is back. The drill runs its own redis-server on a free port and never
touches the machine's shared Redis."""
from __future__ import annotations

import hashlib
import hmac
import json
import shutil
import subprocess
import time

import pytest
from sqlalchemy import func, select

from app import create_app
from app.config import TestingConfig
from app.extensions import db
from app.jobs.queue import flush_deferred_jobs
from app.models import DeferredJob, WebhookEvent
from app.webhooks.services import sweep_unprocessed_events
from sandbox.fourcalls.testing import free_port

pytestmark = pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server is not installed")


class PrivateRedis:
    def __init__(self):
        self.port = free_port()
        self.process = None

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.process = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        from redis import Redis

        deadline = time.monotonic() + 10
        while True:
            try:
                Redis.from_url(self.url, socket_connect_timeout=0.2).ping()
                return
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def stop(self):
        if self.process:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture
def redis_server():
    server = PrivateRedis()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def drill_app(tmp_path, redis_server):
    app = create_app(
        TestingConfig,
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'drill.sqlite3'}",
        JOB_BACKEND="rq",
        REDIS_URL=redis_server.url,
        RATELIMIT_STORAGE_URI=redis_server.url,
        RQ_QUEUE_NAME=f"drill-{redis_server.port}",
        WTF_CSRF_ENABLED=False,
    )
    with app.app_context():
        db.create_all()
        from app.packages.services import sync_catalog

        sync_catalog()
    yield app
    with app.app_context():
        db.session.remove()


def signed_event(app, event_id: str) -> tuple[bytes, dict]:
    body = json.dumps({"id": event_id, "type": "contact.created", "organization_id": "org_unknown",
                       "data": {"id": "c1"}}).encode()
    timestamp = int(time.time())
    digest = hmac.new(app.config["FOURCALLS_WEBHOOK_SECRET"].encode(), f"{timestamp}.".encode() + body,
                      hashlib.sha256).hexdigest()
    return body, {"X-FourCalls-Signature": f"t={timestamp},v1={digest}", "Content-Type": "application/json"}


def drain(app):
    with app.app_context():
        app.extensions["job_queue"].drain()


def test_webhooks_and_pages_survive_redis_down_and_nothing_is_lost(drill_app, redis_server):
    client = drill_app.test_client()
    body, headers = signed_event(drill_app, "evt_before")
    assert client.post("/webhooks/fourcalls", data=body, headers=headers).status_code == 200
    drain(drill_app)

    redis_server.stop()
    # Pages that need no queue still render, and so does the login (its rate limit falls back to memory).
    assert client.get("/").status_code == 200
    assert client.post("/login", data={"email": "nobody@example.com", "password": "x"}).status_code in (200, 401, 422)
    # Webhooks are still accepted and stored; the work they ask for is kept.
    for index in range(3):
        body, headers = signed_event(drill_app, f"evt_down_{index}")
        response = client.post("/webhooks/fourcalls", data=body, headers=headers)
        assert response.status_code == 200, response.get_data(as_text=True)
    with drill_app.app_context():
        assert db.session.scalar(select(func.count(WebhookEvent.id))) == 4
        assert db.session.scalar(select(func.count(DeferredJob.id))) == 3
        assert flush_deferred_jobs() == 0  # still down: nothing is marked enqueued

    redis_server.start()  # same port, empty: everything that was queued in Redis before is gone
    with drill_app.app_context():
        assert flush_deferred_jobs() == 3
        assert db.session.scalar(select(func.count(DeferredJob.id)).where(DeferredJob.enqueued_at.is_(None))) == 0
    drain(drill_app)
    with drill_app.app_context():
        unprocessed = db.session.scalar(select(func.count(WebhookEvent.id)).where(WebhookEvent.processed_at.is_(None)))
        assert unprocessed == 0
        # Processed once each: a second flush or sweep finds nothing to do.
        assert flush_deferred_jobs() == 0
        assert sweep_unprocessed_events(older_than_seconds=0) == 0
        attempts = db.session.scalars(select(WebhookEvent.attempts)).all()
        assert attempts == [1, 1, 1, 1]


def test_the_sweep_applies_stored_events_whose_job_was_lost(drill_app, redis_server):
    client = drill_app.test_client()
    body, headers = signed_event(drill_app, "evt_lost")
    assert client.post("/webhooks/fourcalls", data=body, headers=headers).status_code == 200
    with drill_app.app_context():
        drill_app.extensions["job_queue"].queue.empty()  # the job vanished (a flushed Redis)
        assert sweep_unprocessed_events(older_than_seconds=0) == 1
    drain(drill_app)
    with drill_app.app_context():
        assert db.session.scalar(select(WebhookEvent.processed_at)) is not None
