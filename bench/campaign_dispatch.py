"""Campaign dispatch throughput and the campaign page's cost at 10,000 targets.

    .venv/bin/python bench/campaign_dispatch.py [--targets 10000] [--concurrency 200] [--requests 30]

In a fresh SQLite file (or BENCH_DATABASE_URL, a scratch database: it is
wiped), against the 4calls sandbox with no latency and no faults:

* dispatch: a campaign of --targets contacts is launched and dispatched to
  the end (claim, ledger row, POST /campaigns/{id}/dials, results read back
  by reconciliation, retries off, one attempt each). Printed as targets per
  second, next to a raw insert of the same number of rows into
  campaign_dials measured in the same run. Pacing is raised to
  --concurrency for the bench (a package allows 1-9 lines) so the figure is
  the dispatcher's, not the line count's.
* campaign page: p50/p95 and SQL statements per request of the campaign
  page and its live poll with 100 targets and with --targets targets: the
  statement count must not grow with the targets.

Figures are printed, not asserted.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.dashboard import measure  # noqa: E402

PASSWORD = "bench-password-1"


def setup_business(db, name: str, targets: int):
    from app.models import Business, User
    from tests.campaign_helpers import add_contacts, provision_with_coordinator

    owner = db.session.scalar(db.select(User).where(User.email == "bench@example.com"))
    if owner is None:
        owner = User(email="bench@example.com", name="Bench Owner")
        owner.set_password(PASSWORD)
        db.session.add(owner)
        db.session.commit()
    slug = f"bench-{uuid.uuid4().hex[:6]}"
    business = Business(name=name, slug=slug, category="Salon", opening_hours={}, services=[], faq=[],
                        owner_id=owner.id, timezone="America/Chicago")
    db.session.add(business)
    db.session.commit()
    _org, coordinator = provision_with_coordinator(business, package="ai_enterprise")
    add_contacts(business, [f"+1512{n:07d}" for n in range(targets)], tag="bench")
    return business, coordinator


def launch_campaign(business, coordinator, concurrency: int):
    from app.campaigns.services import create_draft, launch
    from app.extensions import db
    from tests.campaign_helpers import campaign_form

    campaign = create_draft(business, campaign_form(coordinator, tag="bench", max_attempts="1", concurrency="1",
                                                    retry_no_answer="", retry_busy="", retry_voicemail=""))
    campaign.concurrency = concurrency  # the bench measures the dispatcher, not the package's line count
    db.session.commit()
    launch(business, campaign)
    return campaign


def raw_insert_seconds(db, campaign, rows: int) -> float:
    from app.models import CampaignDial

    now = datetime.now(timezone.utc)
    target_ids = [r[0] for r in db.session.execute(db.text("SELECT id FROM campaign_targets WHERE campaign_id = :c"),
                                                   {"c": campaign.id.hex if db.engine.dialect.name == "sqlite"
                                                    else campaign.id}).all()][:rows]
    values = [{"id": uuid.uuid4(), "campaign_id": campaign.id, "target_id": uuid.UUID(str(t)) if not isinstance(t, uuid.UUID) else t,
               "attempt": 99, "dial_key": f"raw-{n}", "state": "completed", "requested_at": now,
               "duration_seconds": 0, "created_at": now, "updated_at": now} for n, t in enumerate(target_ids)]
    started = time.perf_counter()
    for start in range(0, len(values), 1000):
        db.session.execute(CampaignDial.__table__.insert(), values[start:start + 1000])
    db.session.commit()
    elapsed = time.perf_counter() - started
    db.session.execute(CampaignDial.__table__.delete().where(CampaignDial.attempt == 99))
    db.session.commit()
    return elapsed


def dispatch_all(fourcalls, campaign) -> tuple[float, float, int]:
    from sqlalchemy import func, select

    from app.campaigns.dispatch import dispatch
    from app.extensions import db
    from app.models import CampaignDial

    started = time.perf_counter()
    in_app = 0.0
    rounds = 0
    while True:
        rounds += 1
        round_started = time.perf_counter()
        report = dispatch(campaign.id)
        in_app += time.perf_counter() - round_started
        fourcalls._admin_call("POST", "/dials/complete")  # the sandbox "places" the calls: not the app's time
        if report.state == "completed" or rounds > 10_000:
            break
    elapsed = time.perf_counter() - started
    dials = db.session.scalar(select(func.count()).select_from(CampaignDial).where(CampaignDial.campaign_id == campaign.id))
    return elapsed, in_app, dials


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--targets", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()

    import logging

    from app import create_app
    from app.clock import set_clock
    from app.config import TestingConfig
    from app.extensions import db
    from sandbox.fourcalls.testing import running_fourcalls

    logging.disable(logging.WARNING)
    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    # Noon in Chicago on a weekday, so every (Texas) number is inside its window.
    set_clock(lambda: datetime(2027, 3, 3, 18, 0, tzinfo=timezone.utc))
    with running_fourcalls(Path(tempfile.mkdtemp()), dial_seconds=3600, log_requests=False) as fourcalls:
        app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=url, JOB_BACKEND="eager", WTF_CSRF_ENABLED=False,
                         FOURCALLS_API_URL=fourcalls.url)
        with app.app_context():
            db.drop_all()
            db.create_all()
            from app.packages.services import sync_catalog

            sync_catalog()
            small, small_coordinator = setup_business(db, "Small", 100)
            large, large_coordinator = setup_business(db, "Large", args.targets)
            small_campaign = launch_campaign(small, small_coordinator, args.concurrency)
            large_campaign = launch_campaign(large, large_coordinator, args.concurrency)
            baseline = raw_insert_seconds(db, large_campaign, args.targets)
            elapsed, in_app, dials = dispatch_all(fourcalls, large_campaign)
            dispatch_all(fourcalls, small_campaign)
            print(f"database: {db.engine.dialect.name}; sandbox without latency or faults; concurrency {args.concurrency}")
            print(f"dispatch of {args.targets:,} targets: {in_app:.1f} s in the app (claim, ledger, POST, read back,"
                  f" apply), {dials / in_app:,.0f} targets/s; {elapsed:.1f} s wall with the sandbox simulating"
                  f" every call ({dials:,} dials)")
            print(f"raw insert of {args.targets:,} rows into campaign_dials, same run: {baseline:.2f} s, "
                  f"{args.targets / baseline:,.0f} rows/s")
            pages = [(small.slug, small_campaign.id, 100), (large.slug, large_campaign.id, args.targets)]
        client = app.test_client()
        client.post("/login", data={"email": "bench@example.com", "password": PASSWORD})
        print(f"{'page':<34}{'targets':>9}{'p50 ms':>9}{'p95 ms':>9}{'SQL/request':>13}")
        for slug, campaign_id, count in pages:
            for label, suffix in (("campaign page", ""), ("live poll", "/live"), ("targets filter", "?status=answered")):
                p50, p95, low, high = measure(app, client, f"/businesses/{slug}/campaigns/{campaign_id}{suffix}",
                                              args.requests)
                statements = str(low) if low == high else f"{low}-{high}"
                print(f"{label:<34}{count:>9,}{p50:>9.1f}{p95:>9.1f}{statements:>13}")


if __name__ == "__main__":
    main()
