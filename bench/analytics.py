"""Analytics latency and SQL per request on the 200k-call business of bench/dashboard.py.

    .venv/bin/python bench/analytics.py [--calls 200000] [--requests 40]

Builds the same data as bench/dashboard.py (a fresh SQLite file, or
BENCH_DATABASE_URL, which is wiped), puts the large business in
America/Los_Angeles and gives its calls topics, then prints, in one run:

* the rollup rebuild time (the `flask analytics rebuild-rollups` work);
* p50/p95 and SQL statements per request of the analytics page for 7, 90 and
  365 days, its htmx range swap and the reports page, beside the dashboard
  page of the same business measured in the same run (the baseline);
* the same 90-day figures and heatmap aggregated straight from the calls
  table (what the page would cost without rollups), beside the rollup read;
* the cost the rollup upkeep adds to applying 2,000 new calls from a sync.

Figures are printed, not asserted.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.dashboard import PASSWORD, build_data, measure  # noqa: E402

TOPICS = ("Bookings", "Prices", "Opening hours", "Location and parking", "Questions about services",
          "Messages for the team", "Missed calls", "Quotes and follow-ups")


def give_topics(db, slug: str) -> None:
    from sqlalchemy import bindparam, select, update

    from app.models import Business, Call

    business = db.session.scalar(select(Business).where(Business.slug == slug))
    business.timezone = "America/Los_Angeles"
    ids = db.session.scalars(select(Call.id).where(Call.business_id == business.id)).all()
    statement = update(Call.__table__).where(Call.__table__.c.id == bindparam("call_id")).values(topic=bindparam("t"))
    rows = [{"call_id": call_id, "t": TOPICS[index % len(TOPICS)]} for index, call_id in enumerate(ids)]
    for start in range(0, len(rows), 5000):
        db.session.execute(statement, rows[start:start + 5000])
    db.session.commit()


def timed(function, repeats: int) -> tuple[float, float, int]:
    """p50, p95 (ms) and statements of the last run, for a function run in an app context."""
    from sqlalchemy import event

    from app.extensions import db

    statements = []
    listener = lambda *args: statements.append(1)  # noqa: E731
    function()
    timings = []
    for _ in range(repeats):
        statements.clear()
        event.listen(db.engine, "before_cursor_execute", listener)
        started = time.perf_counter()
        function()
        timings.append((time.perf_counter() - started) * 1000)
        event.remove(db.engine, "before_cursor_execute", listener)
    timings.sort()
    return statistics.median(timings), timings[min(len(timings) - 1, int(len(timings) * 0.95))], len(statements)


def direct_from_calls(business, period):
    """The 90-day totals, per-day series and heatmap computed from the raw calls (no rollups)."""
    from collections import Counter

    from sqlalchemy import select

    from app.extensions import db
    from app.models import Call
    from app.timezones import zone_of

    start, end = period.bounds(business)
    zone = zone_of(business)
    per_day, heat = Counter(), Counter()
    for started_at, status in db.session.execute(
            select(Call.started_at, Call.status).where(Call.business_id == business.id, Call.started_at >= start,
                                                       Call.started_at < end)):
        local = started_at.astimezone(zone)
        per_day[(local.date(), status)] += 1
        heat[(local.isoweekday(), local.hour)] += 1
    return per_day, heat


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=200_000)
    parser.add_argument("--requests", type=int, default=40)
    args = parser.parse_args()

    import logging

    from sqlalchemy import select

    from app import create_app
    from app.analytics import rollups, services
    from app.analytics.ranges import preset_range
    from app.config import TestingConfig
    from app.extensions import db
    from app.models import Business

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
        give_topics(db, large)
        print(f"database: {db.engine.dialect.name}; {args.calls:,} calls for the large business "
              f"(built in {time.perf_counter() - started:.0f} s)")
        business = db.session.scalar(select(Business).where(Business.slug == large))
        started = time.perf_counter()
        counted = rollups.rebuild(business)
        db.session.commit()
        print(f"rollup rebuild: {counted:,} calls in {time.perf_counter() - started:.1f} s")
        rebuild_small = db.session.scalar(select(Business).where(Business.slug == small))
        rollups.rebuild(rebuild_small)
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.exec_driver_sql("ANALYZE")

    client = app.test_client()
    client.post("/login", data={"email": email, "password": PASSWORD})
    pages = [
        ("dashboard (baseline)", "/dashboard", None),
        ("analytics, 7 days", "/analytics?range=7d", None),
        ("analytics, 90 days", "/analytics?range=90d", None),
        ("analytics, 90 days, htmx swap", "/analytics?range=90d", {"HX-Request": "true"}),
        ("analytics, 365 days", f"/analytics?range=custom&from={{first}}&to={{last}}", None),
        ("reports, 90 days", "/analytics/reports?range=90d", None),
    ]
    with app.app_context():
        business = db.session.scalar(select(Business).where(Business.slug == large))
        year = preset_range(business, "90d")
        first, last = year.last - timedelta(days=364), year.last
    print(f"\n{'request':32} {'business':>8} {'p50 ms':>8} {'p95 ms':>8} {'SQL/request':>12}")
    for name, path, headers in pages:
        for label, slug in (("small", small), ("large", large)):
            target = path.replace("{first}", first.isoformat()).replace("{last}", last.isoformat())
            p50, p95, low, high = measure(app, client, f"/businesses/{slug}{target}", args.requests, headers)
            queries = f"{low}" if low == high else f"{low}-{high}"
            print(f"{name:32} {label:>8} {p50:8.1f} {p95:8.1f} {queries:>12}")

    with app.app_context():
        business = db.session.scalar(select(Business).where(Business.slug == large))
        ninety = preset_range(business, "90d")
        week = preset_range(business, "7d")
        print(f"\n{'computation (large business)':44} {'p50 ms':>8} {'p95 ms':>8} {'SQL':>5}")
        for name, function in (
            ("90-day report from rollups", lambda: services.build_report(business, ninety)),
            ("90-day per-day + heatmap from calls (baseline)", lambda: direct_from_calls(business, ninety)),
            ("heatmap from rollups, 7 days", lambda: services.heatmap(business, week)),
            ("heatmap from rollups, 90 days", lambda: services.heatmap(business, ninety)),
            ("heatmap from rollups, 365 days", lambda: services.heatmap(
                business, ninety.__class__("custom", ninety.last - timedelta(days=364), ninety.last))),
        ):
            p50, p95, count = timed(function, min(args.requests, 20))
            print(f"{name:44} {p50:8.1f} {p95:8.1f} {count:5d}")
        upkeep(db, business)


def upkeep(db, business) -> None:
    """Applying 2,000 new calls (as four sync batches would) with and without the
    rollup upkeep, alternated so neither side gets the warm caches."""
    from datetime import datetime, timezone

    from app.analytics import rollups
    from app.sync.upserts import apply_remote_calls

    now = datetime.now(timezone.utc)
    original = rollups.before_call_upsert

    def rows(prefix):
        return [{"id": f"{prefix}_{i}", "direction": "inbound", "status": "answered", "outcome": "question",
                 "topic": "Prices", "coordinator_id": "coord_1", "duration_seconds": 60, "transcript": [],
                 "summary": "Bench", "started_at": (now - timedelta(minutes=i)).isoformat(),
                 "updated_at": now.isoformat()} for i in range(2000)]

    results = {"with rollup upkeep": [], "without (upkeep switched off)": []}
    for run in range(6):
        label = list(results)[run % 2]
        rollups.before_call_upsert = original if run % 2 == 0 else (lambda *a, **k: None)
        try:
            started = time.perf_counter()
            apply_remote_calls(business, rows(f"bench_upkeep_{run}"))
            db.session.commit()
            results[label].append(time.perf_counter() - started)
        finally:
            rollups.before_call_upsert = original
    print("\napplying 2,000 new calls (4 sync batches), median of 3 alternated runs:")
    for label, seconds in results.items():
        print(f"  {label:32} {statistics.median(seconds) * 1000:8.0f} ms")


if __name__ == "__main__":
    main()
