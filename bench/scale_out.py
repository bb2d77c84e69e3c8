"""Scale-out: 2 gunicorn processes and 1, then 2, RQ workers on one
PostgreSQL and one Redis, as the Procfile runs them (web: gunicorn gthread;
worker: python worker.py).

    .venv/bin/python bench/scale_out.py [--events 400] [--businesses 4] [--calls 1500]

BENCH_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/alphasite_bench_scale,
created and wiped) and BENCH_REDIS_URL (default redis://127.0.0.1:6379/13,
flushed) say where; the 4calls sandbox runs on a free port.

For each worker count, with fresh data:
* webhooks: --events distinct signed `call.completed` events are posted to
  the two gunicorn processes in turn while no worker runs; then the workers
  start and the time until every stored event is processed gives events/s;
* sync: --businesses businesses, each with its own 4calls organization of
  --calls calls, get a sync queued at once; the time until every run
  succeeded gives calls/s.
Then it counts, per event id, how often it was applied (attempts) and, per
call id, how many rows exist: nothing may be processed twice or lost.
Figures are printed; a duplicate or a loss ends the run with an error.
"""
from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.http_load import Gunicorn, _create_database

WEBHOOK_SECRET = "whsec_bench_scale_out"


class Worker:
    """`python worker.py`, the Procfile's worker line."""

    def __init__(self, env: dict, log: Path):
        self.log = log.open("ab")
        self.process = subprocess.Popen([sys.executable, "worker.py"], cwd=ROOT, env=env, stdout=self.log,
                                        stderr=subprocess.STDOUT)

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


def _app(database_url: str, redis_url: str, fourcalls, encryption_keys: str):
    """The bench's own app: it queues the syncs on the same Redis the workers read."""
    from app import create_app
    from app.config import TestingConfig

    return create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=database_url, JOB_BACKEND="rq", REDIS_URL=redis_url,
                      RQ_QUEUE_NAME="default", RATELIMIT_STORAGE_URI=redis_url,
                      FOURCALLS_API_URL=fourcalls.url, FOURCALLS_API_KEY=fourcalls.platform_key,
                      ENCRYPTION_KEYS=encryption_keys)


def _business(app, db, slug: str, organization: dict):
    from app.encryption import encrypt
    from app.models import Business, FourCallsIntegration

    business = Business(name=slug, slug=slug, category="Restaurant", opening_hours={}, services=[], faq=[])
    db.session.add(business)
    db.session.flush()
    db.session.add(FourCallsIntegration(
        business_id=business.id, organization_id=organization["id"], service_package="ai_business_suite",
        api_key=encrypt(organization["api_key"], app.config["ENCRYPTION_KEYS"]), status="active"))
    db.session.commit()
    return business.id


def _organization(name: str) -> dict:
    """A sandbox organization. On this loaded machine a create can outlast the
    client's timeout; its retry then meets "still in progress" until the
    first attempt is done, so ask again with the same key."""
    from app.fourcalls import platform_client
    from app.fourcalls.errors import Conflict

    for _ in range(30):
        try:
            return platform_client().create_organization({"name": name, "timezone": "UTC"},
                                                         idempotency_key=f"scale-out:{name}")
        except Conflict:
            time.sleep(1)
    raise SystemExit(f"could not create the sandbox organization {name}")


def _signed(body: str) -> dict:
    timestamp = int(time.time())
    digest = hmac.new(WEBHOOK_SECRET.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-FourCalls-Signature": f"t={timestamp},v1={digest}", "Content-Type": "application/json"}


def call_event(organization_id: str, round_name: str, index: int) -> str:
    started = datetime.now(UTC) - timedelta(minutes=index)
    call = {"id": f"call_{round_name}_{index}", "direction": "inbound", "caller_name": f"Caller {index}",
            "caller_number": f"+1555{index:07d}", "started_at": started.isoformat(), "duration_seconds": 75,
            "status": "answered", "outcome": "question", "summary": "Asked about opening hours.",
            "transcript": [{"speaker": "caller", "text": "When are you open?", "at_second": 2}],
            "updated_at": started.isoformat()}
    return json.dumps({"id": f"evt_{round_name}_{index}", "type": "call.completed", "organization_id": organization_id,
                       "created_at": int(time.time()), "data": {"object": call}})


def _wait(predicate, timeout: float, what: str) -> float:
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if predicate():
            return time.perf_counter() - started
        time.sleep(0.1)
    raise SystemExit(f"timed out waiting for {what}")


def run_round(workers: int, args, app, db, fourcalls, gunicorns, env, log_dir: Path) -> dict:
    import httpx
    from sqlalchemy import func, select

    from app.models import Call, JobRun, WebhookEvent
    from app.crm_sync.services import request_sync

    round_name = f"w{workers}"
    with app.app_context():
        organization = _organization(f"Webhooks {round_name}")
        webhook_business = _business(app, db, f"webhooks-{round_name}", organization)
        sync_businesses = []
        for number in range(args.businesses):
            org = _organization(f"Sync {round_name} {number}")
            fourcalls.seed(org["id"], calls=args.calls)
            sync_businesses.append(_business(app, db, f"sync-{round_name}-{number}", org))

    # Webhooks arrive while no worker runs: stored and queued, not yet processed.
    bodies = [call_event(organization["id"], round_name, index) for index in range(args.events)]
    with httpx.Client(timeout=30) as client, ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(
            lambda item: client.post(f"{gunicorns[item[0] % 2].url}/webhooks/fourcalls", content=item[1],
                                     headers=_signed(item[1])).status_code,
            enumerate(bodies)))
    refused = sum(1 for status in answers if status != 200)

    def unprocessed_events():
        with app.app_context():
            return db.session.scalar(select(func.count()).select_from(WebhookEvent).where(
                WebhookEvent.business_id == webhook_business, WebhookEvent.processed_at.is_(None)))

    running = [Worker(env, log_dir / f"worker-{round_name}-{n}.log") for n in range(workers)]
    try:
        webhook_seconds = _wait(lambda: unprocessed_events() == 0, 900, "the webhook events to be processed")
        # Let the syncs those events asked for finish before timing the big ones.
        _wait(lambda: _unfinished_runs(app, db, [webhook_business]) == 0, 600, "the webhook business's syncs")
        with app.app_context():
            from app.models import Business

            for business_id in sync_businesses:
                request_sync(db.session.get(Business, business_id), ("calls",), track=True)
        sync_seconds = _wait(lambda: _unfinished_runs(app, db, sync_businesses) == 0, 1800, "the syncs")
        # What the round set off (lead qualification, text-backs, the events'
        # delayed follow-up syncs) runs before the workers stop, so the next
        # round does not start behind this one's backlog.
        _wait(lambda: _queue_idle(app), 900, "the round's remaining jobs")
    finally:
        for worker in running:
            worker.stop()

    with app.app_context():
        events = db.session.execute(select(WebhookEvent.event_id, WebhookEvent.attempts).where(
            WebhookEvent.business_id == webhook_business)).all()
        twice_events = sum(1 for _, attempts in events if attempts != 1)
        calls_per_id = db.session.execute(
            select(Call.business_id, Call.remote_id, func.count()).where(
                Call.business_id.in_([webhook_business, *sync_businesses]))
            .group_by(Call.business_id, Call.remote_id)).all()
        twice_calls = sum(1 for *_, count in calls_per_id if count != 1)
        webhook_calls = sum(1 for business_id, *_ in calls_per_id if business_id == webhook_business)
        synced_calls = len(calls_per_id) - webhook_calls
        failed_runs = db.session.scalar(select(func.count()).select_from(JobRun).where(
            JobRun.business_id.in_(sync_businesses), JobRun.status == "failed"))
    return {"workers": workers, "events": args.events, "refused": refused, "stored_events": len(events),
            "webhook_seconds": webhook_seconds, "sync_seconds": sync_seconds,
            "expected_calls": args.businesses * args.calls, "synced_calls": synced_calls,
            "webhook_calls": webhook_calls, "events_applied_not_once": twice_events,
            "calls_stored_not_once": twice_calls, "failed_runs": failed_runs}


def _queue_idle(app) -> bool:
    """Nothing queued, running, or scheduled within two minutes (a follow-up
    sync, a retry); a text message scheduled for hours ahead does not count."""
    queue = app.extensions["job_queue"].queue
    due_soon = queue.connection.zcount(queue.scheduled_job_registry.key, 0, time.time() + 120)
    return len(queue) == 0 and due_soon == 0 and queue.started_job_registry.count == 0


def _unfinished_runs(app, db, business_ids) -> int:
    from sqlalchemy import func, select

    from app.models import JobRun
    from app.crm_sync.services import JOB_KIND

    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(JobRun).where(
            JobRun.business_id.in_(business_ids), JobRun.kind == JOB_KIND,
            JobRun.status.in_(("queued", "running"))))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=400, help="distinct webhook events per round")
    parser.add_argument("--businesses", type=int, default=4, help="businesses synced per round")
    parser.add_argument("--calls", type=int, default=1500, help="calls in each business's 4calls organization")
    parser.add_argument("--threads", type=int, default=4, help="threads of each gunicorn process")
    args = parser.parse_args()

    import logging

    from cryptography.fernet import Fernet
    from redis import Redis

    from app.extensions import db
    from sandbox.fourcalls.testing import running_fourcalls

    logging.disable(logging.WARNING)
    database_url = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/alphasite_bench_scale")
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
    _create_database(database_url)
    Redis.from_url(redis_url).flushdb()
    encryption_keys = Fernet.generate_key().decode()
    log_dir = Path(tempfile.mkdtemp(prefix="scale-out-"))
    with running_fourcalls(log_dir / "fourcalls", log_requests=False) as fourcalls:
        app = _app(database_url, redis_url, fourcalls, encryption_keys)
        with app.app_context():
            db.drop_all()
            db.create_all()
            from app.packages.services import sync_catalog

            sync_catalog()
        env = dict(os.environ, APP_ENV="development", INSTANCE_PATH=str(log_dir / "instance"),
                   DATABASE_URL=database_url, REDIS_URL=redis_url, JOB_BACKEND="rq", RATELIMIT_STORAGE_URI=redis_url,
                   SECRET_KEY="bench-secret-key", ENCRYPTION_KEYS=encryption_keys,
                   FOURCALLS_API_URL=fourcalls.url, FOURCALLS_API_KEY=fourcalls.platform_key,
                   FOURCALLS_WEBHOOK_SECRET=WEBHOOK_SECRET, WEBHOOK_RATE_LIMIT="1000000 per minute")
        # Two web processes, as two dynos of the Procfile's web line would be.
        gunicorns = [Gunicorn("wsgi:app", 1, args.threads, env, log_dir, f"web-{n}") for n in range(2)]
        try:
            results = [run_round(workers, args, app, db, fourcalls, gunicorns, env, log_dir) for workers in (1, 2)]
        finally:
            for gunicorn in gunicorns:
                gunicorn.stop()

    print(f"\n2 gunicorn processes (gthread, 1 x {args.threads} threads) and 1, then 2, RQ workers"
          f" (python worker.py) on one PostgreSQL and one Redis; logs in {log_dir}")
    print(f"{'workers':>7} {'webhook events/s':>17} {'sync calls/s':>13} {'events applied != once':>23}"
          f" {'calls stored != once':>21} {'lost':>5}")
    bad = False
    for r in results:
        lost = (r["events"] - r["stored_events"]) + (r["expected_calls"] - r["synced_calls"]) \
            + (r["events"] - r["webhook_calls"]) + r["refused"]
        bad = bad or lost or r["events_applied_not_once"] or r["calls_stored_not_once"] or r["failed_runs"]
        print(f"{r['workers']:>7} {r['events'] / r['webhook_seconds']:17,.1f}"
              f" {r['expected_calls'] / r['sync_seconds']:13,.0f} {r['events_applied_not_once']:>23}"
              f" {r['calls_stored_not_once']:>21} {lost:>5}")
    one, two = results
    print(f"2 workers / 1 worker: webhooks x{one['webhook_seconds'] / two['webhook_seconds']:.2f},"
          f" sync x{one['sync_seconds'] / two['sync_seconds']:.2f}")
    if bad:
        sys.exit("an event or a call was processed twice, lost, or a sync failed")


if __name__ == "__main__":
    main()
