"""The dashboard's call statistics on the business's local days (one grouped
query bucketing by the UTC bounds of each local midnight) next to the UTC-day
grouping it replaced (date(started_at)), on the same data in the same run.

    .venv/bin/python bench/local_days.py [--calls 100000] [--repeat 30]

Uses a fresh SQLite file (or BENCH_DATABASE_URL, a scratch database: wiped).
Figures are printed, not asserted.
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def utc_day_statistics(business, now):
    """The replaced query: calls per UTC day over the last 30 UTC days."""
    from sqlalchemy import case, func, select

    from app.extensions import db
    from app.models import Call

    today = now.date()
    start = datetime.combine(today - timedelta(days=29), datetime.min.time(), tzinfo=timezone.utc)
    day = (func.date(func.timezone("UTC", Call.started_at)) if db.session.get_bind().dialect.name == "postgresql"
           else func.date(Call.started_at)).label("day")
    answered = Call.status == "answered"
    return db.session.execute(
        select(day, func.count(), func.sum(case((answered, 1), else_=0)),
               func.sum(case((answered, Call.duration_seconds), else_=0)),
               func.sum(case((Call.outcome == "booked", 1), else_=0)),
               func.sum(case((Call.outcome == "lead", 1), else_=0)))
        .where(Call.business_id == business.id, Call.started_at >= start, Call.started_at < start + timedelta(days=30))
        .group_by(day)
    ).all()


def timed(fn, repeat):
    samples = []
    for _ in range(repeat):
        began = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - began) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()

    from app import create_app
    from app.config import TestingConfig
    from app.dashboard.services import call_statistics
    from app.extensions import db
    from app.models import Business, Call

    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{tempfile.mkdtemp()}/local_days.sqlite3"
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        db.drop_all()
        db.create_all()
        business = Business(name="Bench Salon", slug="bench-salon", category="Salon", timezone="America/Los_Angeles",
                            opening_hours={}, services=[], faq=[])
        db.session.add(business)
        db.session.commit()
        now = datetime.now(timezone.utc)
        rng = random.Random(7)
        rows = [{
            "id": uuid.uuid4(), "business_id": business.id, "remote_id": f"call_{n}", "direction": "inbound",
            "started_at": now - timedelta(seconds=rng.uniform(0, 365 * 86400)), "duration_seconds": rng.randint(5, 600),
            "status": rng.choice(("answered", "answered", "missed", "voicemail")),
            "outcome": rng.choice(("booked", "lead", "question", None)), "created_at": now, "updated_at": now,
        } for n in range(args.calls)]
        for start in range(0, len(rows), 5000):
            db.session.execute(Call.__table__.insert(), rows[start:start + 5000])
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.exec_driver_sql("ANALYZE calls")

        local = timed(lambda: call_statistics(business, now), args.repeat)
        baseline = timed(lambda: utc_day_statistics(business, now), args.repeat)
        print(f"database: {db.engine.dialect.name}; {args.calls:,} calls over a year; {args.repeat} runs each")
        print(f"UTC days (replaced, baseline):      p50 {baseline[0]:7.2f} ms   p95 {baseline[1]:7.2f} ms")
        print(f"local days (CASE on local bounds):  p50 {local[0]:7.2f} ms   p95 {local[1]:7.2f} ms")


if __name__ == "__main__":
    main()
