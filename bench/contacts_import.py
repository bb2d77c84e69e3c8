"""How long a 10,000-row contacts CSV import takes (target: under a minute).

    .venv/bin/python bench/contacts_import.py [--rows 10000] [--runs 3]

Uses a fresh SQLite file (or BENCH_DATABASE_URL, e.g. a scratch PostgreSQL
database: it is wiped). Each run imports into a business that already has
1,000 contacts, with 5% of rows duplicating them (merged) and 2% invalid.
Prints the median and worst run, and the same import at 1/10 of the size
measured in the same run as the baseline, so the ratio shows how it scales.
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def make_csv(rows: int, existing_phones: list[str], rng: random.Random) -> bytes:
    lines = ["Full name,Mobile,Email,Tags,Notes"]
    for i in range(rows):
        roll = rng.random()
        if roll < 0.02:
            phone = "555-CALL-NOW"
        elif roll < 0.07:
            phone = rng.choice(existing_phones)
        else:
            phone = f"+1{rng.randint(200, 999)}{rng.randint(200, 999)}{i % 10000:04d}"
        lines.append(f"Person {i},{phone},person{i}@example.com,customer;{rng.choice(['vip', 'new', 'lapsed'])},imported {i}")
    return ("\n".join(lines) + "\n").encode()


def one_run(rows: int, seed: int) -> float:
    from app.contacts import importer
    from app.extensions import db
    from app.models import Business, Contact, FourCallsIntegration, User

    rng = random.Random(seed)
    user = User(email=f"bench{seed}-{rows}@example.com", name="Bench")
    user.set_password("bench-password-1")
    db.session.add(user)
    db.session.flush()
    business = Business(name=f"Bench {seed}", slug=f"bench-{seed}-{rows}", category="Salon", owner_id=user.id)
    db.session.add(business)
    db.session.flush()
    db.session.add(FourCallsIntegration(business_id=business.id, service_package="ai_sales", status="active"))
    phones = [f"+1555{i:07d}" for i in range(1000)]
    db.session.add_all([Contact(business_id=business.id, name=f"Existing {i}", phone=p) for i, p in enumerate(phones)])
    db.session.commit()
    data = make_csv(rows, phones, rng)
    started = time.perf_counter()
    contact_import, _ = importer.create_import(business, "bench.csv", data)
    importer.set_mapping(business, contact_import, {"name": "Full name", "phone": "Mobile", "email": "Email",
                                                    "tags": "Tags", "notes": "Notes"})
    importer.start_import(business, contact_import)
    importer.run_import(contact_import.id)
    elapsed = time.perf_counter() - started
    db.session.refresh(contact_import)
    assert contact_import.status == "done", contact_import.error
    return elapsed, contact_import


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    from app import create_app
    from app.config import TestingConfig
    from app.extensions import db

    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=url, JOB_BACKEND="eager")
    with app.app_context():
        db.drop_all()
        db.create_all()
        from app.packages.services import sync_catalog

        sync_catalog()
        small, large = [], []
        last = None
        for run in range(args.runs):
            small.append(one_run(args.rows // 10, 1000 + run)[0])
            seconds, last = one_run(args.rows, run)
            large.append(seconds)
        db.session.remove()
        db.drop_all()
    print(f"database: {url.split(':')[0]}")
    print(f"{args.rows:,} rows: created {last.created_count:,}, merged {last.merged_count:,}, "
          f"row errors {len(last.row_errors):,}")
    print(f"{args.rows:,}-row import: median {statistics.median(large):.2f} s, worst {max(large):.2f} s "
          f"over {args.runs} runs (target < 60 s)")
    base = statistics.median(small)
    print(f"baseline {args.rows // 10:,}-row import: median {base:.2f} s; "
          f"ratio {statistics.median(large) / base:.1f}x for 10x the rows")


if __name__ == "__main__":
    main()
