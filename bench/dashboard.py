"""Dashboard and call log latency, SQL queries per request, and sync throughput.

    .venv/bin/python bench/dashboard.py [--calls 200000] [--requests 40] [--sync-calls 20000]

Builds 1,000 businesses, one of them holding 200,000 calls (over a year),
20,000 contacts and 5,000 appointments, in a fresh SQLite file (or
BENCH_DATABASE_URL, e.g. a scratch PostgreSQL database: it is wiped). Then:

* p50/p95 latency and SQL statements per request of the dashboard, the live
  feed poll, the call log (first page, a filter, a search, a deep page) for a
  small business and for the large one: the statement count must not grow
  with the data;
* sync throughput from the 4calls sandbox (seeded with --sync-calls calls)
  in calls per second, next to a raw bulk insert of the same rows into the
  same database measured in the same run.

Figures are printed, not asserted.
"""
from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PASSWORD = "bench-password-1"
WORDS = ("pasta", "booking", "parking", "refund", "allergy", "delivery", "opening", "hours", "vegan", "birthday",
         "quote", "invoice", "menu", "table", "friday", "catering", "gluten", "wine", "terrace", "dessert")


def _chunks(rows, size=5000):
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


def build_data(db, calls: int) -> tuple[str, str, str]:
    """Returns (owner email, large slug, small slug)."""
    from app.models import Appointment, Business, Call, Contact, FourCallsIntegration, User

    rng = random.Random(7)
    now = datetime.now(timezone.utc)
    owner = User(email="bench-owner@example.com", name="Bench Owner")
    owner.set_password(PASSWORD)
    db.session.add(owner)
    db.session.flush()
    businesses = [{"id": uuid.uuid4(), "name": f"Bench business {i}", "slug": f"bench-business-{i}",
                   "category": "Restaurant", "opening_hours": {}, "services": [], "faq": [],
                   "owner_id": owner.id if i < 2 else None, "created_at": now, "updated_at": now}
                  for i in range(1000)]
    db.session.execute(Business.__table__.insert(), businesses)
    large, small = businesses[0]["id"], businesses[1]["id"]
    for business_id in (large, small):
        db.session.add(FourCallsIntegration(business_id=business_id, organization_id=f"org_{business_id.hex[:8]}",
                                            service_package="ai_business_suite", status="active",
                                            activated_at=now - timedelta(days=10)))
    contacts = [{"id": uuid.uuid4(), "business_id": large, "remote_id": f"con_{i}", "name": f"Contact {i}",
                 "phone": f"+1555{i:07d}", "custom_fields": {}, "source": "call", "sync_state": "synced",
                 "created_at": now, "updated_at": now} for i in range(20_000)]
    for chunk in _chunks(contacts):
        db.session.execute(Contact.__table__.insert(), chunk)

    def call_rows(business_id, count, with_contacts):
        rows = []
        for i in range(count):
            words = " ".join(rng.sample(WORDS, 4))
            transcript = [{"speaker": "assistant", "text": "Thanks for calling, how can I help?", "at_second": 0},
                          {"speaker": "caller", "text": f"I have a question about {words}.", "at_second": 4}]
            contact = contacts[rng.randrange(len(contacts))] if with_contacts and rng.random() < 0.7 else None
            status = rng.choices(("answered", "missed", "voicemail"), (85, 10, 5))[0]
            rows.append({
                "id": uuid.uuid4(), "business_id": business_id, "remote_id": f"call_{business_id.hex[:6]}_{i}",
                "direction": "inbound" if rng.random() < 0.85 else "outbound", "caller_name": f"Caller {i}",
                "caller_number": f"+1666{i:07d}", "contact_id": contact["id"] if contact else None,
                "contact_remote_id": contact["remote_id"] if contact else None, "coordinator_remote_id": "coord_1",
                "started_at": now - timedelta(seconds=rng.randrange(365 * 86400)),
                "duration_seconds": rng.randrange(20, 400) if status == "answered" else 0, "status": status,
                "outcome": rng.choice(("booked", "lead", "message", "question")), "transcript": transcript,
                "summary": f"Caller asked about {words}.", "sentiment": "neutral",
                "search_text": f"Caller asked about {words}. I have a question about {words}.",
                "created_at": now, "updated_at": now,
            })
        return rows

    for chunk in _chunks(call_rows(large, calls, True)):
        db.session.execute(Call.__table__.insert(), chunk)
    db.session.execute(Call.__table__.insert(), call_rows(small, 50, False))
    appointments = [{"id": uuid.uuid4(), "business_id": large, "remote_id": f"appt_{i}", "customer_name": f"Guest {i}",
                     "starts_at": now + timedelta(hours=rng.randrange(-2000, 2000)),
                     "ends_at": now + timedelta(hours=1), "status": "scheduled", "source": "call",
                     "sync_state": "synced", "created_at": now, "updated_at": now} for i in range(5_000)]
    for chunk in _chunks(appointments):
        db.session.execute(Appointment.__table__.insert(), chunk)
    db.session.commit()
    # As `flask analytics rebuild-rollups` does once on a deployment (these rows
    # were inserted raw); from then on the call upserts keep the rollups current.
    from app.analytics import rollups

    for business_id in (large, small):
        rollups.rebuild(db.session.get(Business, business_id))
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as conn:  # ANALYZE in a rolled-back transaction keeps no statistics
            conn.exec_driver_sql("ANALYZE")
    return owner.email, businesses[0]["slug"], businesses[1]["slug"]


def measure(app, client, url: str, requests: int, headers=None) -> tuple[float, float, int, int]:
    from sqlalchemy import event

    from app.extensions import db

    statements = []
    with app.app_context():
        engine = db.engine
    listener = lambda *args: statements.append(1)  # noqa: E731
    client.get(url, headers=headers or {})  # warm-up: the first visit of a period creates its usage rows
    timings, counts = [], []
    for _ in range(requests):
        statements.clear()
        event.listen(engine, "before_cursor_execute", listener)
        started = time.perf_counter()
        response = client.get(url, headers=headers or {})
        timings.append((time.perf_counter() - started) * 1000)
        event.remove(engine, "before_cursor_execute", listener)
        counts.append(len(statements))
        assert response.status_code in (200, 204), (url, response.status_code)
    timings.sort()
    p95 = timings[min(len(timings) - 1, int(len(timings) * 0.95))]
    return statistics.median(timings), p95, min(counts), max(counts)


def page_latency(app, email: str, large: str, small: str, requests: int) -> None:
    from app.calls import services as calls
    from app.extensions import db
    from app.models import Business

    client = app.test_client()
    client.post("/login", data={"email": email, "password": PASSWORD})
    with app.app_context():
        big = db.session.query(Business).filter_by(slug=large).one()
        deep = calls.list_calls(big, calls.parse_filters({}), page_size=2500, with_total=False).next_cursor
    # The live poll's token, as the dashboard page hands it out.
    versions = {slug: re.search(r'dashboard/live\?v=([^"&]+)', client.get(f"/businesses/{slug}/dashboard").get_data(
        as_text=True)).group(1) for slug in (large, small)}
    pages = [
        ("dashboard", "/dashboard", None),
        ("live poll, nothing new", "/dashboard/live?v={version}", None),
        ("call log, first page", "/calls", None),
        ("call log, status filter", "/calls?status=missed&direction=inbound", {"HX-Request": "true"}),
        ("call log, search", "/calls?q=parking+refund", {"HX-Request": "true"}),
        ("call log, 100th page", f"/calls?before={deep}&more=1", {"HX-Request": "true"}),
    ]
    print(f"\n{'request':28} {'business':>8} {'p50 ms':>8} {'p95 ms':>8} {'SQL/request':>12}")
    for name, path, headers in pages:
        for label, slug in (("small", small), ("large", large)):
            if "100th" in name and label == "small":
                continue
            target = path.replace("{version}", versions[slug])
            p50, p95, low, high = measure(app, client, f"/businesses/{slug}{target}", requests, headers)
            queries = f"{low}" if low == high else f"{low}-{high}"
            print(f"{name:28} {label:>8} {p50:8.1f} {p95:8.1f} {queries:>12}")


def sync_throughput(app, sync_calls: int) -> None:
    from sqlalchemy import delete

    from app.encryption import encrypt
    from app.extensions import db
    from app.fourcalls import platform_client
    from app.assistant.connection import organization_client
    from app.models import Business, Call, FourCallsIntegration, JobRun
    from app.crm_sync import services as sync
    from app.crm_sync.upserts import apply_remote_calls
    from sandbox.fourcalls.testing import running_fourcalls

    with running_fourcalls(Path(tempfile.mkdtemp()), log_requests=False) as fourcalls, app.app_context():
        app.config.update(FOURCALLS_API_URL=fourcalls.url, FOURCALLS_API_KEY=fourcalls.platform_key)
        organization = platform_client().create_organization({"name": "Sync bench", "timezone": "UTC"})
        fourcalls.seed(organization["id"], calls=sync_calls)
        business = db.session.query(Business).filter_by(slug="bench-business-2").one()
        db.session.add(FourCallsIntegration(business_id=business.id, organization_id=organization["id"],
                                            api_key=encrypt(organization["api_key"], app.config["ENCRYPTION_KEYS"]),
                                            service_package="ai_business_suite", status="active"))
        db.session.commit()

        run = sync.claim_slot(business.id, None)
        started = time.perf_counter()
        counts = sync.sync_kinds(business, ("calls",), run)
        sync_seconds = time.perf_counter() - started
        run.status = "succeeded"
        db.session.commit()
        assert counts["calls"]["inserted"] == sync_calls, counts

        client = organization_client(business)
        started = time.perf_counter()
        rows = list(client.list_calls(organization["id"], page_size=sync.PAGE_SIZE))
        fetch_seconds = time.perf_counter() - started

        # The same rows, prepared as the upsert prepares them, inserted raw.
        other = db.session.query(Business).filter_by(slug="bench-business-3").one()
        db.session.execute(delete(Call).where(Call.business_id == other.id))
        db.session.commit()
        from app.crm_sync import upserts

        captured = []
        original = upserts.upsert
        upserts.upsert = lambda model, values, *a, **k: captured.extend(values) or upserts.ApplyResult()
        try:
            apply_remote_calls(other, rows)
        finally:
            upserts.upsert = original
        started = time.perf_counter()
        for chunk in _chunks(captured, upserts.BATCH_SIZE):
            db.session.execute(Call.__table__.insert(), chunk)
        db.session.commit()
        raw_seconds = time.perf_counter() - started
        if db.engine.dialect.name == "postgresql":
            # As autovacuum would after a bulk load: without it the planner
            # still believes this business has no calls.
            with db.engine.begin() as conn:  # ANALYZE in a rolled-back transaction keeps no statistics
                conn.exec_driver_sql("ANALYZE calls")

        started = time.perf_counter()
        again = apply_remote_calls(other, rows)  # every row already there and not newer: all skipped
        db.session.commit()
        noop_seconds = time.perf_counter() - started
        assert again.inserted == 0
        db.session.execute(delete(JobRun))
        db.session.commit()

    print(f"\nsync of {sync_calls:,} calls from the sandbox (pages of {sync.PAGE_SIZE}):")
    print(f"  full sync (HTTP + upsert)      {sync_seconds:7.2f} s  {sync_calls / sync_seconds:9,.0f} calls/s")
    print(f"  fetch only (HTTP pages)        {fetch_seconds:7.2f} s  {sync_calls / fetch_seconds:9,.0f} calls/s")
    print(f"  raw bulk insert, same rows     {raw_seconds:7.2f} s  {sync_calls / raw_seconds:9,.0f} calls/s")
    print(f"  re-apply, nothing changed      {noop_seconds:7.2f} s  {sync_calls / noop_seconds:9,.0f} calls/s")
    print(f"  full sync / raw insert time    {sync_seconds / raw_seconds:7.1f} x")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=200_000)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--sync-calls", type=int, default=20_000)
    args = parser.parse_args()

    import logging

    from app import create_app
    from app.config import TestingConfig
    from app.extensions import db

    logging.disable(logging.WARNING)
    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=url, JOB_BACKEND="eager", WTF_CSRF_ENABLED=False)
    with app.app_context():
        db.drop_all()
        db.create_all()
        from app.packages.services import sync_catalog

        sync_catalog()
        started = time.perf_counter()
        email, large, small = build_data(db, args.calls)
        print(f"database: {db.engine.dialect.name}; built 1,000 businesses, {args.calls:,} calls, 20,000 contacts,"
              f" 5,000 appointments in {time.perf_counter() - started:.0f} s")
    page_latency(app, email, large, small, args.requests)
    sync_throughput(app, args.sync_calls)


if __name__ == "__main__":
    main()
