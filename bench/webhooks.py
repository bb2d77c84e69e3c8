"""Unique signed webhook events accepted per second through gunicorn, beside
hello-world on the same gunicorn settings in the same run.

    .venv/bin/python bench/webhooks.py [--duration 10] [--connections 16] [--events 60000]

Needs wrk, PostgreSQL and Redis: BENCH_DATABASE_URL (default
postgresql://postgres@127.0.0.1:5432/alphasite_bench_webhooks, created and
wiped) and BENCH_REDIS_URL (default redis://127.0.0.1:6379/13, flushed).

gunicorn runs as the Procfile does (gthread, --workers x --threads) with RQ
on Redis and no RQ worker, so every accepted event stays visible as a queued
job. wrk posts distinct signed events, each once (4calls, then Stripe), and a
duplicate Stripe event. "Accepted" means stored once, deduplicated and
handed over: the bench counts requests answered 200, rows stored and jobs
queued, and says whether any event was lost (answered but not stored and
handed over) or stored twice. Stripe events get a job each; 4calls events are
applied by batch jobs (app/webhooks/handoff.py), so for them "handed over"
means unprocessed and read by a queued batch job: one whose window ends after
the last event was stored. Figures are printed, not asserted.
"""
from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.http_load import WEBHOOK_SECRET, Gunicorn, _create_database, signed_stripe_event, wrk  # noqa: E402

FOURCALLS_SECRET = "whsec_bench_webhooks_fourcalls"


def prepare(database_url: str, redis_url: str) -> None:
    import logging

    from redis import Redis

    from app import create_app
    from app.config import TestingConfig
    from app.extensions import db

    logging.disable(logging.WARNING)
    _create_database(database_url)
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=database_url, JOB_BACKEND="eager")
    with app.app_context():
        db.drop_all()
        db.create_all()
        db.session.remove()
        db.engine.dispose()
    Redis.from_url(redis_url).flushdb()


def _sign(secret: str, timestamp: int, body: str) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()


def unique_events_script(path: Path, source: str, count: int, threads: int = 2) -> None:
    """A wrk script posting `count` distinct signed events, each wrk thread its
    own share, each event at most once: a thread that runs out stops sending."""
    timestamp = int(time.time())
    bodies, headers = [], []
    for index in range(count):
        if source == "fourcalls":
            body = json.dumps({"id": f"evt_unique_{timestamp}_{index}", "type": "contact.updated",
                               "organization_id": "org_bench", "created_at": timestamp,
                               "data": {"object": {"id": f"con_{index}", "name": "Bench Contact"}}})
            header = f"t={timestamp},v1={_sign(FOURCALLS_SECRET, timestamp, body)}"
        else:
            body = json.dumps({"id": f"evt_unique_{timestamp}_{index}", "object": "event", "type": "invoice.paid",
                               "api_version": "2026-10-28", "created": timestamp,
                               "data": {"object": {"id": f"in_{index}", "object": "invoice",
                                                   "customer": "cus_bench", "subscription": None}}})
            header = f"t={timestamp},v1={_sign(WEBHOOK_SECRET, timestamp, body)}"
        bodies.append(json.dumps(body))
        headers.append(json.dumps(header))
    share = count // threads
    url_path = "/webhooks/fourcalls" if source == "fourcalls" else "/webhooks/stripe"
    header_name = "X-FourCalls-Signature" if source == "fourcalls" else "Stripe-Signature"
    path.write_text(
        "local bodies = {" + ",".join(bodies) + "}\n"
        "local signatures = {" + ",".join(headers) + "}\n"
        "local counter = 0\n"
        "local next_id = 0\n"
        f"function setup(thread) thread:set('offset', next_id * {share}); next_id = next_id + 1 end\n"
        "function init(args) base = tonumber(wrk.thread:get('offset')) end\n"
        "function request()\n"
        "  counter = counter + 1\n"
        f"  if counter > {share} then wrk.thread:stop() end\n"
        f"  local k = base + ((counter - 1) % {share}) + 1\n"
        f"  return wrk.format('POST', '{url_path}', {{['Content-Type'] = 'application/json',"
        f" ['{header_name}'] = signatures[k]}}, bodies[k])\n"
        "end\n"
    )


def wrk_requests(url: str, duration: int, connections: int, script: Path) -> tuple[float, int, int]:
    """(requests per second, requests completed, non-2xx answers)."""
    command = ["wrk", "-t", "2", "-c", str(connections), "-d", f"{duration}s", "-s", str(script), url]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    completed = int(re.search(r"(\d+) requests in", output).group(1))
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    return rate, completed, int(errors.group(1)) if errors else 0


BATCH_SECONDS = 0.5  # WEBHOOK_BATCH_SECONDS for the app under test
BATCH_PREFIX = "webhooks-3a-fourcalls-3a-batch-3a-"  # app/jobs/queue.py::rq_job_id("webhooks:fourcalls:batch:")


def stored_and_queued(database_url: str, redis_url: str, source: str) -> tuple[int, int, int]:
    """(events stored, distinct event ids stored, events handed over: for
    Stripe the jobs waiting for them; for 4calls the unprocessed events stored
    before the end of the latest queued batch job's window)."""
    import psycopg
    from redis import Redis

    redis = Redis.from_url(redis_url)
    job_ids = [job_id.decode() for job_id in redis.lrange("rq:queue:default", 0, -1)]
    with psycopg.connect(database_url) as conn:
        stored, distinct = conn.execute(
            "SELECT count(*), count(DISTINCT event_id) FROM webhook_events WHERE source = %s", (source,)).fetchone()
        if source != "fourcalls":
            return stored, distinct, sum(1 for job_id in job_ids if job_id.startswith("stripe-2d-event-3a-"))
        windows = [int(job_id[len(BATCH_PREFIX):]) for job_id in job_ids if job_id.startswith(BATCH_PREFIX)]
        if not windows:
            return stored, distinct, 0
        read_until = (max(windows) + 1) * BATCH_SECONDS
        handed_over = conn.execute(
            "SELECT count(*) FROM webhook_events WHERE source = 'fourcalls' AND processed_at IS NULL"
            " AND extract(epoch FROM received_at) < %s", (read_until,)).fetchone()[0]
    return stored, distinct, handed_over


def _settled(database_url: str, redis_url: str, source: str) -> tuple[int, int, int]:
    """The counts once requests still in flight when wrk stopped have landed."""
    counts = stored_and_queued(database_url, redis_url, source)
    for _ in range(50):
        time.sleep(0.2)
        again = stored_and_queued(database_url, redis_url, source)
        if again == counts and again[0] == again[2]:
            break
        counts = again
    return counts


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=10, help="seconds per measurement")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--events", type=int, default=60_000, help="distinct events prepared per source")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install wrk")

    database_url = os.environ.get("BENCH_DATABASE_URL",
                                  "postgresql://postgres@127.0.0.1:5432/alphasite_bench_webhooks")
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
    prepare(database_url, redis_url)

    from cryptography.fernet import Fernet

    log_dir = Path(tempfile.mkdtemp(prefix="webhooks-bench-"))
    env = dict(os.environ, APP_ENV="development", DATABASE_URL=database_url, REDIS_URL=redis_url,
               JOB_BACKEND="rq", RATELIMIT_STORAGE_URI=redis_url, SECRET_KEY="bench-secret-key",
               ENCRYPTION_KEYS=Fernet.generate_key().decode(), STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
               FOURCALLS_WEBHOOK_SECRET=FOURCALLS_SECRET, WEBHOOK_RATE_LIMIT="1000000 per minute",
               WEBHOOK_BATCH_SECONDS=str(BATCH_SECONDS))
    hello = Gunicorn("bench.hello_wsgi:app", args.workers, args.threads, env, log_dir, "hello")
    app = Gunicorn("wsgi:app", args.workers, args.threads, env, log_dir, "app")
    try:
        import httpx

        payload, signature = signed_stripe_event()
        first = httpx.post(f"{app.url}/webhooks/stripe", content=payload,
                           headers={"Stripe-Signature": signature, "Content-Type": "application/json"})
        assert first.status_code == 200, first.text
        duplicate = log_dir / "duplicate.lua"
        duplicate.write_text('wrk.method = "POST"\n' f"wrk.body = {json.dumps(payload)}\n"
                             'wrk.headers["Content-Type"] = "application/json"\n'
                             f'wrk.headers["Stripe-Signature"] = "{signature}"\n')
        baseline, _ = wrk(hello.url + "/", args.duration, args.connections)
        print(f"\ngunicorn gthread, {args.workers} workers x {args.threads} threads, RQ on Redis (no worker);"
              f" wrk -c {args.connections}, {args.duration} s each")
        print(f"{'request':34} {'req/s':>9} {'of hello-world':>15} {'non-2xx':>8}")
        print(f"{'hello-world Flask app':34} {baseline:9,.0f} {'100.0 %':>15} {0:8}")
        rate, errors = wrk(f"{app.url}/webhooks/stripe", args.duration, args.connections, None, duplicate)
        print(f"{'duplicate signed Stripe webhook':34} {rate:9,.0f} {rate / baseline * 100:13.1f} % {errors:8}")
        lost_any = False
        for source in ("fourcalls", "stripe"):
            script = log_dir / f"unique_{source}.lua"
            unique_events_script(script, source, args.events)
            before = stored_and_queued(database_url, redis_url, source)
            url = f"{app.url}/webhooks/{source}"
            rate, completed, errors = wrk_requests(url, args.duration, args.connections, script)
            stored, distinct, queued = (after - earlier for after, earlier in
                                        zip(_settled(database_url, redis_url, source), before))
            accepted = completed - errors
            # wrk stops counting at the deadline; requests still in flight are
            # stored after it, so more may be stored than wrk saw answered.
            lost = max(0, accepted - stored) + abs(stored - queued)
            lost_any = lost_any or lost != 0 or stored != distinct
            label = f"unique signed {'4calls' if source == 'fourcalls' else 'Stripe'} webhooks"
            print(f"{label:34} {rate:9,.0f} {rate / baseline * 100:13.1f} % {errors:8}")
            print(f"  {accepted:,} answered 200 of {args.events:,} prepared; {stored:,} stored ({distinct:,} distinct),"
                  f" {queued:,} {'handed to batch jobs' if source == 'fourcalls' else 'jobs queued'}; lost: {lost}")
            if completed >= args.events:
                print("  (every prepared event was sent: raise --events for a longer run)")
        booted, reasons = app.worker_restarts()
        print(f"\ngunicorn workers booted: {booted} (started with {args.workers}); restarts: {max(0, booted - args.workers)}")
        for line in reasons[:10]:
            print("  " + line)
        if lost_any:
            sys.exit("events were lost or stored twice")
    finally:
        app.stop()
        hello.stop()


if __name__ == "__main__":
    main()
