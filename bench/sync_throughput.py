"""Sync throughput against a raw bulk insert of the same rows, on SQLite and PostgreSQL in one run.

    .venv/bin/python bench/sync_throughput.py [--calls 10000] [--rounds 3] [--postgres URL] [--skip-sqlite]
        [--profile]   (BENCH_PROFILE_SORT=tottime and BENCH_PROFILE_CALLEES=regex tune what it prints)

The 4calls sandbox is seeded once with --calls calls (and their contacts).
Then, for each database (a fresh SQLite file, and the PostgreSQL database in
--postgres or BENCH_DATABASE_URL, which is WIPED):

* in each round, two fresh businesses: one gets the contacts synced (not
  timed) and its rollups built, so the timed call sync keeps them current
  as production does;
* the calls are synced: HTTP pages from the sandbox + the batched upserts
  and everything a new call sets off (rollups, usage, leads, notifications);
* the same rows, prepared exactly as the upsert prepares them, are inserted
  raw (executemany of a plain INSERT, BATCH_SIZE rows a statement) into a
  second business of the same database: the baseline;
* the rollups of the synced business are compared with a full recount.

Prints calls/s of each and sync as a share of the raw rate (target: >= 50 %).
Figures are printed, not asserted (the rollup check is).
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _chunks(rows, size):
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


def _business(db, slug: str, organization: dict | None, app):
    from app.encryption import encrypt
    from app.models import Business, FourCallsIntegration

    business = Business(name=slug, slug=slug, category="Restaurant", opening_hours={}, services=[], faq=[])
    db.session.add(business)
    db.session.flush()
    if organization:
        db.session.add(FourCallsIntegration(
            business_id=business.id, organization_id=organization["id"],
            api_key=encrypt(organization["api_key"], app.config["ENCRYPTION_KEYS"]),
            service_package="ai_business_suite", status="active"))
    db.session.commit()
    return business


def measure(url: str, fourcalls, organization: dict, calls: int, rounds: int, profile: bool) -> dict:
    import statistics

    from app import create_app
    from app.config import TestingConfig
    from app.extensions import db

    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=url, JOB_BACKEND="eager", WTF_CSRF_ENABLED=False,
                     FOURCALLS_API_URL=fourcalls.url, FOURCALLS_API_KEY=fourcalls.platform_key)
    with app.app_context():
        db.drop_all()
        db.create_all()
        from app.packages.services import sync_catalog

        sync_catalog()
        # This process stands in for an RQ worker, which freezes its start-up
        # heap once its app is built (worker.py): do the same here.
        from app.process import freeze_startup_heap

        freeze_startup_heap()
        # Sync and raw insert alternate, each round into fresh businesses, so
        # a burst of load on this shared machine hits both about equally.
        results = [_round(app, db, fourcalls, organization, calls, number, profile and number == 0)
                   for number in range(rounds)]
        dialect = db.engine.dialect.name
        db.session.remove()
        db.engine.dispose()
    import gc

    gc.unfreeze()  # this app is done with: the next database's gets its own start-up freeze
    ratios = [r["raw"] / r["sync"] for r in results]
    median = statistics.median(ratios)
    middle = min(results, key=lambda r: abs(r["raw"] / r["sync"] - median))
    return {**middle, "database": dialect, "ratios": ratios, "rollups_match": all(r["rollups_match"] for r in results)}


def _round(app, db, fourcalls, organization, calls: int, number: int, profile: bool) -> dict:
    from sqlalchemy import func, select

    from app.analytics import rollups
    from app.assistant.connection import organization_client
    from app.models import Call
    from app.crm_sync import services as sync
    from app.crm_sync import upserts

    business = _business(db, f"sync-target-{number}", organization, app)
    raw_business = _business(db, f"raw-target-{number}", None, app)
    rollups.rebuild(business)  # rollups exist, so the sync must keep them current
    db.session.commit()
    run = sync.claim_slot(business.id, None)
    sync.sync_kinds(business, ("contacts",), run)

    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    started = time.perf_counter()
    counts = sync.sync_kinds(business, ("calls",), run)
    sync_seconds = time.perf_counter() - started
    if profiler:
        profiler.disable()
        import pstats

        stats = pstats.Stats(profiler).sort_stats(os.environ.get("BENCH_PROFILE_SORT", "cumulative"))
        stats.print_stats(45)
        stats.print_callees(os.environ.get("BENCH_PROFILE_CALLEES", "_apply_call_batch|apply_remote_calls|sync_kinds"))
    run.status = "succeeded"
    db.session.commit()
    assert counts["calls"]["inserted"] == calls, counts

    client = organization_client(business)
    started = time.perf_counter()
    rows = list(client.list_calls(organization["id"], page_size=sync.PAGE_SIZE))
    fetch_seconds = time.perf_counter() - started

    # The same rows, prepared as the upsert prepares them, inserted raw.
    captured: list[dict] = []
    original = upserts.upsert
    upserts.upsert = lambda model, values, *a, **k: captured.extend(values) or upserts.ApplyResult()
    try:
        upserts.apply_remote_calls(raw_business, rows)
    finally:
        upserts.upsert = original
    db.session.rollback()
    started = time.perf_counter()
    for chunk in _chunks(captured, upserts.BATCH_SIZE):
        db.session.execute(Call.__table__.insert(), chunk)
    db.session.commit()
    raw_seconds = time.perf_counter() - started

    synced = db.session.scalar(select(func.count()).select_from(Call).where(Call.business_id == business.id))
    assert synced == calls, synced
    daily, hourly, topics = rollups.stored(business)
    tally = rollups.recount(business)
    rollups_match = (daily == {k: v for k, v in tally.daily.items() if any(v)}
                     and hourly == {k: v for k, v in tally.hourly.items() if v}
                     and topics == {k: v for k, v in tally.topics.items() if v})
    return {"sync": sync_seconds, "fetch": fetch_seconds, "raw": raw_seconds, "rollups_match": rollups_match}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3, help="alternated sync / raw rounds per database (median)")
    parser.add_argument("--postgres", default=os.environ.get("BENCH_DATABASE_URL"),
                        help="scratch PostgreSQL database (wiped); SQLite only without it")
    parser.add_argument("--skip-sqlite", action="store_true", help="measure PostgreSQL only")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of each timed sync")
    args = parser.parse_args()

    from sandbox.fourcalls.testing import running_fourcalls

    logging.disable(logging.WARNING)
    urls = ([] if args.skip_sqlite else [f"sqlite:///{tempfile.mkdtemp()}/sync-bench.sqlite3"]) + (
        [args.postgres] if args.postgres else [])
    with running_fourcalls(Path(tempfile.mkdtemp()), log_requests=False) as fourcalls:
        from app import create_app
        from app.config import TestingConfig
        from app.fourcalls import platform_client

        with create_app(TestingConfig, FOURCALLS_API_URL=fourcalls.url,
                        FOURCALLS_API_KEY=fourcalls.platform_key).app_context():
            organization = platform_client().create_organization({"name": "Sync bench", "timezone": "UTC"})
        fourcalls.seed(organization["id"], calls=args.calls)
        results = [measure(url, fourcalls, organization, args.calls, args.rounds, args.profile) for url in urls]

    n = args.calls
    print(f"\nsync of {n:,} calls from the 4calls sandbox (pages of 500), beside a raw bulk insert of the same rows")
    print(f"(median of {args.rounds} alternated rounds; the round nearest the median is shown, all ratios after it)")
    print(f"{'database':11} {'sync calls/s':>13} {'raw insert calls/s':>19} {'sync/raw':>9} {'fetch only calls/s':>19}"
          f" {'rollups = recount':>18}  rounds")
    for r in results:
        print(f"{r['database']:11} {n / r['sync']:13,.0f} {n / r['raw']:19,.0f} {r['raw'] / r['sync']:9.0%}"
              f" {n / r['fetch']:19,.0f} {str(r['rollups_match']):>18}  {' '.join(f'{x:.0%}' for x in r['ratios'])}")
    if not all(r["rollups_match"] for r in results):
        sys.exit("rollups differ from a full recount")


if __name__ == "__main__":
    main()
