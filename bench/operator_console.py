"""Operator console latency: the first screen, the MRR, revenue, adoption and
usage pages, p50/p95 and SQL statements per request, with 10,000 businesses
and 5 years of history.

    .venv/bin/python bench/operator_console.py [--businesses 10000] [--years 5] [--requests 30]
        [--reuse] [--profile /admin/]

Builds the data in a fresh SQLite file, or BENCH_DATABASE_URL (a scratch
PostgreSQL database: it is wiped; --reuse keeps an earlier run's data).
Subscription histories follow the demo's lifecycle odds (upgrades,
downgrades, failed payments, cancellations, comebacks); calls fill the last
two months.

Closed months come from the monthly snapshots, rebuilt first as the hourly
job would (its duration is printed); the live month is computed on read.

The first screen is measured with the fragments it loads after painting
(each hx-get with hx-trigger "load" found in the page, one row each, sent
with HX-Request as htmx sends them), and all of them one after the other as
one more row.

Baselines measured in the same run (bench/common.py): a trivial signed-in
page, the console's plain businesses list (one paged query), and reading every
history row the full MRR computation needs (`load_rows`) without computing
anything. Figures are printed, not asserted.
"""
from __future__ import annotations

import argparse
import html.parser
import random
import sys
import time
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import (add_common_arguments, analyze, bench_app, chunks, counting_statements,  # noqa: E402
                          percentiles, print_pages, profile, statements_label)

PASSWORD = "bench-password-1"
PRICES = {"ai_receptionist": 4900, "ai_sales": 9900, "ai_business_suite": 19900, "ai_enterprise": 39900}
LADDER = list(PRICES)


def _history(rng, business_id, start, now):
    """A business's subscription history rows, as the webhook path would write them."""
    rows, at, package = [], start, rng.choices(LADDER, (45, 30, 18, 7))[0]
    state = ("active", package, "subscribed")
    generation = 1
    while True:
        status, package, reason = state
        rows.append([business_id, f"sub_{business_id.hex[:10]}_{generation}", package, PRICES[package], status, at, reason])
        at = at + timedelta(days=rng.randint(20, 60))
        if at >= now:
            break
        roll, index = rng.random(), LADDER.index(package)
        if status in ("cancelled", "suspended"):
            if rng.random() < 0.15:
                generation += 1
                state = ("active", rng.choice(LADDER), "subscribed" if status == "cancelled" else "reactivated")
                continue
            break
        if status == "past_due":
            state = ("active", package, "payment_recovered") if rng.random() < 0.7 else ("suspended", package, "grace_period_ended")
        elif roll < 0.05 and index < 3:
            state = ("active", LADDER[index + 1], "upgraded")
        elif roll < 0.08 and index > 0:
            state = ("active", LADDER[index - 1], "downgraded")
        elif roll < 0.11:
            state = ("past_due", package, "payment_failed")
        elif roll < 0.14:
            state = ("cancelled", package, "cancelled")
        else:
            continue
    return rows


def build_data(db, businesses: int, years: int, calls_per_month: int) -> str:
    from app.models import Business, Call, FourCallsIntegration, SubscriptionHistory, User

    rng = random.Random(16)
    now = datetime.now(timezone.utc)
    launch = now - timedelta(days=365 * years)
    admin = User(email="bench-admin@example.com", name="Bench Admin", is_admin=True)
    admin.set_password(PASSWORD)
    owner = User(email="bench-owner@example.com", name="Bench Owner")
    owner.set_password(PASSWORD)
    db.session.add_all([admin, owner])
    db.session.flush()
    business_rows, history_rows, integrations, calls = [], [], [], []
    for i in range(businesses):
        business_id = uuid.uuid4()
        claimed = launch + timedelta(seconds=rng.random() ** 0.8 * (now - launch).total_seconds())
        business_rows.append({"id": business_id, "name": f"Bench business {i}", "slug": f"bench-business-{i}",
                              "category": "Salon", "opening_hours": {}, "services": [], "faq": [], "owner_id": owner.id,
                              "claimed_at": claimed, "timezone": "America/New_York", "created_at": now, "updated_at": now})
        if rng.random() < 0.45:
            rows = _history(rng, business_id, claimed + timedelta(days=rng.expovariate(1 / 20)), now)
            for index, row in enumerate(rows):
                ended = rows[index + 1][5] if index + 1 < len(rows) else None
                history_rows.append({"id": uuid.uuid4(), "business_id": row[0], "stripe_subscription_id": row[1],
                                     "package_slug": row[2], "unit_amount": row[3], "currency": "usd", "status": row[4],
                                     "cancel_at_period_end": False, "started_at": row[5], "ended_at": ended,
                                     "reason": row[6], "created_at": row[5], "updated_at": row[5]})
            if rows[-1][4] in ("active", "past_due"):
                integrations.append({"id": uuid.uuid4(), "business_id": business_id, "organization_id": f"org_{i}",
                                     "api_key": "", "service_package": rows[-1][2], "status": "active",
                                     "target_status": "active", "desired_version": 1, "synced_version": 1,
                                     "last_synced_at": now - timedelta(minutes=rng.randint(1, 90)),
                                     "created_at": now, "updated_at": now})
                for n in range(calls_per_month * 2):
                    calls.append({"id": uuid.uuid4(), "business_id": business_id, "remote_id": f"c{i}_{n}",
                                  "direction": "inbound" if rng.random() < 0.85 else "outbound",
                                  "started_at": now - timedelta(seconds=rng.randint(0, 60 * 86400)),
                                  "duration_seconds": rng.randint(30, 400), "status": "answered", "transcript": [],
                                  "search_text": "", "created_at": now, "updated_at": now})
    for table, rows in ((Business.__table__, business_rows), (SubscriptionHistory.__table__, history_rows),
                        (FourCallsIntegration.__table__, integrations), (Call.__table__, calls)):
        for chunk in chunks(rows):
            db.session.execute(table.insert(), chunk)
    db.session.commit()
    analyze(db)
    return f"{businesses:,} businesses, {len(history_rows):,} history rows, {len(integrations):,} paying, {len(calls):,} calls"


def load_rows_baseline(app, requests: int) -> tuple[float, float]:
    from app.admin.metrics.mrr import load_rows
    from app.models.base import utcnow

    timings = []
    with app.app_context():
        for _ in range(requests):
            started = time.perf_counter()
            load_rows(utcnow())
            timings.append((time.perf_counter() - started) * 1000)
    return percentiles(timings)


FIRST_SCREEN = "/admin/"
HTMX = {"HX-Request": "true"}
LABEL_WIDTH = 46  # fits "  fragment <url>" rows


class _DeferredFragments(html.parser.HTMLParser):
    """hx-get URLs of elements that load themselves once the page is shown (hx-trigger "load")."""

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        found = dict(attrs)
        if found.get("hx-get") and "load" in (found.get("hx-trigger") or "").replace(",", " ").split():
            self.urls.append(found["hx-get"])


def deferred_fragments(page: str) -> list[str]:
    """The fragment URLs a page loads after its first paint, read from the page itself, so a
    fragment added to the first screen is measured without editing this bench."""
    parser = _DeferredFragments()
    parser.feed(page)
    return parser.urls


def measure_together(app, client, requests_in_order: list[tuple[str, dict | None]], repeats: int):
    """p50, p95 (ms) and fewest/most SQL statements of the requests made one after the other, per repeat."""
    from app.extensions import db

    with app.app_context():
        engine = db.engine
    timings, counts = [], []
    for _ in range(repeats):
        with counting_statements(engine) as statements:
            started = time.perf_counter()
            for url, headers in requests_in_order:
                response = client.get(url, headers=headers or {})
                assert response.status_code == 200, (url, response.status_code)
            timings.append((time.perf_counter() - started) * 1000)
            counts.append(len(statements))
    return (*percentiles(timings), min(counts), max(counts))


def _has_data() -> bool:
    from sqlalchemy import func, select

    from app.extensions import db
    from app.models import User

    return bool(db.session.scalar(select(func.count()).select_from(User).where(User.email == "bench-admin@example.com")))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--businesses", type=int, default=10_000)
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--calls-per-month", type=int, default=30)
    add_common_arguments(parser, requests=30)
    args = parser.parse_args()

    from app.extensions import db

    app, fresh = bench_app(args.reuse, _has_data)
    with app.app_context():
        if fresh:
            started = time.perf_counter()
            built = build_data(db, args.businesses, args.years, args.calls_per_month)
            print(f"database: {db.engine.dialect.name}; built {built} in {time.perf_counter() - started:.0f} s")
        else:
            print(f"database: {db.engine.dialect.name}; reusing the data of an earlier run")
    with app.test_request_context():
        from app.admin.metrics import snapshots

        started = time.perf_counter()
        months = snapshots.rebuild()
        print(f"snapshot rebuild (the hourly job): {months} closed months x 5 package views "
              f"in {time.perf_counter() - started:.1f} s")
    client = app.test_client()
    client.post("/login", data={"email": "bench-admin@example.com", "password": PASSWORD})
    if args.profile:
        profile(client, args.profile)
        return
    month = (date.today().replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    fragments = deferred_fragments(client.get(FIRST_SCREEN).get_data(as_text=True))
    print(f"first screen {FIRST_SCREEN}: {len(fragments)} fragment(s) loaded after the paint: {', '.join(fragments)}")
    print_pages(app, client, [
        ("baseline: businesses list", "/admin/businesses", None),
        ("console first screen (the page)", FIRST_SCREEN, None),
        *[(f"  fragment {url}", url, HTMX) for url in fragments],
        ("MRR page, last 12 months", "/admin/metrics/mrr", None),
        ("MRR page, since launch", "/admin/metrics/mrr?range=all", None),
        ("MRR drill-down, one month", f"/admin/metrics/mrr/businesses?month={month}&kind=new", None),
        ("revenue page, last 12 months", "/admin/metrics/revenue", None),
        ("revenue page, since launch", "/admin/metrics/revenue?range=all", None),
        ("adoption page, last 12 months", "/admin/metrics/adoption", None),
        ("usage page, last 12 months", "/admin/metrics/usage", None),
    ], args.requests, width=LABEL_WIDTH)
    p50, p95, low, high = measure_together(app, client, [(FIRST_SCREEN, None)] + [(url, HTMX) for url in fragments],
                                           args.requests)
    print(f"{'first screen + fragments, serial':{LABEL_WIDTH}} {p50:8.1f} {p95:8.1f} {statements_label(low, high):>12}")
    p50, p95 = load_rows_baseline(app, args.requests)
    print(f"{'baseline: read history rows':{LABEL_WIDTH}} {p50:8.1f} {p95:8.1f} {'1':>12}")
    print("\n'first screen + fragments, serial' is the page and each fragment one after the other in one timing:"
          " an upper bound on the time to a complete first screen (the browser fetches the fragments in parallel).")
    print("\nIndicative on a shared machine: read each figure against the baselines of the same run.")


if __name__ == "__main__":
    main()
