"""Analytics latency and SQL per request on the 200k-call business of bench/dashboard.py.

    .venv/bin/python bench/analytics.py [--calls 200000] [--requests 40] [--reuse] [--profile URL]

Builds the same data as bench/dashboard.py (a fresh SQLite file, or
BENCH_DATABASE_URL, which is wiped), puts the large business in
America/Los_Angeles and gives its calls topics, then prints, in one run:

* the rollup rebuild time (the `flask analytics rebuild-rollups` work);
* p50/p95 and SQL statements per request of the analytics page for 7, 90 and
  365 days, its htmx range swap and the reports page, beside a trivial
  signed-in page and the dashboard of the same business measured in the same
  run (the baselines, bench/common.py);
* the same 90-day figures and heatmap aggregated straight from the calls
  table (what the page would cost without rollups), beside the rollup read;
* the cost the rollup upkeep adds to applying 2,000 new calls from a sync.

Figures are printed, not asserted.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import add_common_arguments, analyze, bench_app, measure, profile, statements_label, timed  # noqa: E402
from bench.dashboard import PASSWORD, build_data  # noqa: E402

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


def _existing(db):
    """(email, large slug, small slug) of an earlier run's data (bench/dashboard.py names), or None."""
    from sqlalchemy import select

    from app.models import CallRollupState, User

    owner = db.session.scalar(select(User.email).where(User.email == "bench-owner@example.com"))
    counted = db.session.scalar(select(CallRollupState.business_id).limit(1))
    return (owner, "bench-business-0", "bench-business-1") if owner and counted else None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=200_000)
    add_common_arguments(parser, requests=40)
    args = parser.parse_args()

    from sqlalchemy import select

    from app.analytics import rollups, services
    from app.analytics.ranges import preset_range
    from app.extensions import db
    from app.models import Business

    app, fresh = bench_app(args.reuse, lambda: _existing(db) is not None)
    with app.app_context():
        if fresh:
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
            analyze(db)
        else:
            email, large, small = _existing(db)
            print(f"database: {db.engine.dialect.name}; reusing the data of an earlier run")

    client = app.test_client()
    client.post("/login", data={"email": email, "password": PASSWORD})
    if args.profile:
        profile(client, args.profile.replace("{large}", large))
        return
    pages = [
        ("dashboard (baseline)", "/dashboard", None),
        ("analytics, 7 days", "/analytics?range=7d", None),
        ("analytics, 90 days", "/analytics?range=90d", None),
        ("analytics, 90 days, htmx swap", "/analytics?range=90d", {"HX-Request": "true"}),
        ("analytics, 365 days", "/analytics?range=custom&from={first}&to={last}", None),
        ("reports, 90 days", "/analytics/reports?range=90d", None),
    ]
    with app.app_context():
        business = db.session.scalar(select(Business).where(Business.slug == large))
        year = preset_range(business, "90d")
        first, last = year.last - timedelta(days=364), year.last
    print(f"\n{'request':32} {'business':>8} {'p50 ms':>8} {'p95 ms':>8} {'SQL/request':>12}")
    p50, p95, low, high = measure(app, client, "/help", args.requests)
    print(f"{'baseline: trivial page (/help)':32} {'':>8} {p50:8.1f} {p95:8.1f} {statements_label(low, high):>12}")
    for name, path, headers in pages:
        for label, slug in (("small", small), ("large", large)):
            target = path.replace("{first}", first.isoformat()).replace("{last}", last.isoformat())
            p50, p95, low, high = measure(app, client, f"/businesses/{slug}{target}", args.requests, headers)
            print(f"{name:32} {label:>8} {p50:8.1f} {p95:8.1f} {statements_label(low, high):>12}")

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
        if fresh:  # the upkeep adds calls: measured once, on fresh data
            upkeep(db, business)
    print("\nIndicative on a shared machine: read each figure against the baselines of the same run.")


def upkeep(db, business) -> None:
    """Applying 2,000 new calls (as four sync batches would) with and without the
    rollup upkeep, alternated so neither side gets the warm caches."""
    from datetime import datetime, timezone

    from app.analytics import rollups
    from app.crm_sync.upserts import apply_remote_calls

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
        rollups.before_call_upsert = original if run % 2 == 0 else (lambda *a, **k: ())
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
