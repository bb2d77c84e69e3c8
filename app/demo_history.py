"""`flask seed-demo --history`: 18 months of a believable business for the
operator console, written through the services production uses.

* Subscriptions: Stripe-shaped subscription states applied with
  `billing.reconcile.apply_subscription` (the webhook path) with the clock
  set to each change, so `subscription_history`, billing accounts and usage
  periods are exactly what webhooks would have written. 4calls is left out
  (`provision=False`): replaying years of changes must not provision
  hundreds of organizations in the 4calls sandbox.
* Usage: 4calls-shaped contacts, calls and appointments through the sync
  upserts (`app/crm_sync/upserts.py`), monthly, with the clock in that month.
* Ratings through `satisfaction.services.record`, waitlist entries through
  `rollout.services.join_waitlist`.

Deterministic (a fixed random seed); refuses to run twice.
"""
from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import func, select

from app import clock
from app.admin.metrics.periods import add_months, current_month, month_start
from app.auth.services import find_user_by_email, register_user
from app.billing import reconcile
from app.businesses.services import claim_business, default_opening_hours, slugify
from app.extensions import db
from app.models import BillingAccount, Business
from app.packages.catalog import PACKAGES

HISTORY_MONTHS = 18
HISTORY_OWNER_PASSWORD = "demo-history-pass"
_CATEGORIES = ("Salon", "Dental", "Plumbing", "Restaurant", "Auto Repair", "Fitness", "Law Firm", "Veterinary",
               "Cleaning", "Real Estate", "Medical", "Cafe")
_CITIES = ("Springfield", "Shelbyville", "Capital City", "Ogdenville", "North Haverbrook", "Brockway")
_WORDS = ("Oak", "Summit", "Harbor", "Maple", "Bright", "Golden", "Cedar", "River", "Sunset", "Granite", "Pioneer",
          "Willow", "Lakeside", "Union", "Liberty", "Crescent", "Meadow", "Evergreen", "Copper", "Beacon")
_PACKAGE_WEIGHTS = (45, 30, 18, 7)


def _ts(moment: datetime | None) -> int | None:
    return int(moment.timestamp()) if moment else None


class _Replay:
    """One business's subscription, replayed change by change."""

    def __init__(self, business: Business, account: BillingAccount, rng: random.Random):
        self.business, self.account, self.rng = business, account, rng
        self.generation = 0
        self.subscription_id = None
        self.started = None
        self.package = None

    def _period(self, at: datetime) -> tuple[datetime, datetime]:
        start = self.started
        while start + timedelta(days=30) <= at:
            start += timedelta(days=30)
        return start, start + timedelta(days=30)

    def apply(self, at: datetime, status: str, *, cancel_at_period_end=False, ended: datetime | None = None,
              failed_at: datetime | None = None) -> None:
        package = next(p for p in PACKAGES if p.slug == self.package)
        amount = int(package.monthly_price() * 100)
        period_start, period_end = self._period(at)
        subscription = {
            "id": self.subscription_id, "object": "subscription", "customer": self.account.stripe_customer_id,
            "status": status, "metadata": {"business_id": str(self.business.id)},
            "items": {"data": [{"price": {"id": f"price_demo_{package.slug}", "unit_amount": amount, "currency": "usd",
                                          "lookup_key": f"alphasite_{package.slug}_monthly",
                                          "recurring": {"interval": "month", "interval_count": 1}},
                                "quantity": 1, "current_period_start": _ts(period_start),
                                "current_period_end": _ts(period_end)}]},
            "cancel_at_period_end": cancel_at_period_end, "start_date": _ts(self.started), "ended_at": _ts(ended),
            "latest_invoice": ({"status": "open", "status_transitions": {"finalized_at": _ts(failed_at)}}
                               if failed_at else None),
        }
        clock.set_clock(lambda: at)
        reconcile.apply_subscription(self.account, self.business, subscription, at, provision=False)
        db.session.commit()

    def subscribe(self, at: datetime, package: str) -> None:
        self.generation += 1
        self.subscription_id = f"sub_demo_{self.business.slug[:40]}_{self.generation}"
        self.started, self.package = at, package
        self.apply(at, "active")


def _pick_package(rng: random.Random) -> str:
    return rng.choices([p.slug for p in PACKAGES], weights=_PACKAGE_WEIGHTS)[0]


def _lifecycle(replay: _Replay, start: datetime, now: datetime, rng: random.Random) -> list[tuple[datetime, datetime]]:
    """Subscribe, then month by month maybe upgrade, downgrade, fail a payment or cancel.
    Returns the paying stretches, for usage."""
    ranks = [p.slug for p in PACKAGES]
    paying, since, at = [], start, start
    replay.subscribe(at, _pick_package(rng))
    if rng.random() < 0.02:  # a few subscribe and cancel within days
        end = at + timedelta(days=rng.randint(3, 12))
        replay.apply(end, "canceled", ended=end)
        return [(since, end)]
    while True:
        at = at + timedelta(days=rng.randint(20, 40))
        if at >= now:
            paying.append((since, now))
            return paying
        roll, index = rng.random(), ranks.index(replay.package)
        if roll < 0.045 and index < len(ranks) - 1:
            replay.package = ranks[index + 1]
            replay.apply(at, "active")
        elif roll < 0.07 and index > 0:
            replay.package = ranks[index - 1]
            replay.apply(at, "active")
        elif roll < 0.10:
            replay.apply(at, "past_due", failed_at=at)
            if rng.random() < 0.7:
                at += timedelta(days=rng.randint(1, 5))
                replay.apply(at, "active")
                continue
            at += timedelta(days=8)  # past the grace period: suspended
            replay.apply(at, "past_due", failed_at=at - timedelta(days=8))
            paying.append((since, at))
            if rng.random() < 0.5 and at + timedelta(days=40) < now:
                at += timedelta(days=rng.randint(5, 30))
                replay.apply(at, "active")
                since = at
            else:
                end = min(now - timedelta(hours=1), at + timedelta(days=20))
                replay.apply(end, "canceled", ended=end)
                return paying
        elif roll < 0.13:
            replay.apply(at, "active", cancel_at_period_end=True)
            _start, end = replay._period(at)
            if end >= now:
                paying.append((since, now))
                return paying
            replay.apply(end, "canceled", ended=end)
            paying.append((since, end))
            back = end + timedelta(days=rng.randint(30, 150))
            if rng.random() < 0.2 and back < now - timedelta(days=5):
                replay.subscribe(back, _pick_package(rng))
                at, since = back, back
                continue
            return paying


def _usage(business: Business, paying: list[tuple[datetime, datetime]], rng: random.Random, serial: list[int]) -> None:
    from app.crm_sync.upserts import apply_remote_appointments, apply_remote_calls, apply_remote_contacts

    volume = rng.uniform(0.5, 1.6)
    for start, end in paying:
        month_at = start
        while month_at < end:
            month_end = min(end, month_at + timedelta(days=30))
            days = max(1, (month_end - month_at).days)
            calls, contacts, bookings = [], [], []
            for _ in range(int(rng.randint(40, 110) * volume * days / 30)):
                serial[0] += 1
                moment = month_at + timedelta(seconds=rng.randint(0, days * 86400 - 1))
                answered = rng.random() < 0.86
                booked = answered and rng.random() < 0.18
                calls.append({"id": f"call_demo_{serial[0]}", "direction": "outbound" if rng.random() < 0.15 else "inbound",
                              "started_at": moment.isoformat(), "duration_seconds": rng.randint(40, 420) if answered else 0,
                              "status": "answered" if answered else "missed", "outcome": "booked" if booked else None,
                              "caller_number": f"+1555{rng.randint(1000000, 9999999)}"})
                if rng.random() < 0.3:
                    contacts.append({"id": f"contact_demo_{serial[0]}", "name": f"Customer {serial[0]}",
                                     "phone": calls[-1]["caller_number"], "source": "call"})
                if booked:
                    bookings.append({"id": f"appt_demo_{serial[0]}", "customer_name": f"Customer {serial[0]}",
                                     "starts_at": (moment + timedelta(days=2)).isoformat(),
                                     "ends_at": (moment + timedelta(days=2, minutes=30)).isoformat(),
                                     "status": "scheduled", "source": "call"})
            clock.set_clock(lambda: min(month_end, month_at + timedelta(days=days // 2)))
            apply_remote_contacts(business, contacts)
            apply_remote_calls(business, calls)
            apply_remote_appointments(business, bookings)
            db.session.commit()
            month_at = month_end


def seed_history(businesses: int = 260, months: int = HISTORY_MONTHS, seed: int = 16, echo=print) -> dict:
    """Build the history. Returns counts. Not idempotent by design: it refuses when history exists."""
    from app.rollout.services import join_waitlist
    from app.satisfaction.services import record as record_rating

    if db.session.scalar(select(func.count()).select_from(Business).where(Business.slug.like("history-%"))):
        return {"skipped": True}
    rng = random.Random(seed)
    real_now = clock.utcnow()
    launch = month_start(add_months(current_month(real_now), -(months - 1)))
    owners = []
    for index in range(max(1, businesses // 10)):
        email = f"history-owner-{index + 1}@demo.alphasite.test"
        owners.append(find_user_by_email(email) or register_user(f"History Owner {index + 1}", email, HISTORY_OWNER_PASSWORD))
    serial, subscribed = [0], 0
    try:
        for index in range(businesses):
            name = f"{rng.choice(_WORDS)} {rng.choice(_WORDS)} {rng.choice(_CATEGORIES)}"
            city = rng.choice(_CITIES)
            business = Business(name=name, slug=f"history-{index + 1}-{slugify(name)}", category=rng.choice(_CATEGORIES),
                                city=city, phone=f"+1 555 3{index:02d} {1000 + index}", opening_hours=default_opening_hours(),
                                services=["Consultation"], faq=[])
            db.session.add(business)
            db.session.commit()
            # Claims accelerate over the months, as a directory grows.
            claimed_at = launch + timedelta(days=(real_now - launch).days * rng.random() ** 0.7)
            clock.set_clock(lambda: claimed_at)
            claim_business(business, owners[index % len(owners)])
            if rng.random() > 0.55:
                if rng.random() < 0.05:
                    join_waitlist(business, _pick_package(rng))
                continue
            first = claimed_at + timedelta(days=rng.expovariate(1 / 20))
            if first >= real_now - timedelta(days=1):
                continue
            account = BillingAccount(business_id=business.id, stripe_customer_id=f"cus_demo_{index + 1}")
            db.session.add(account)
            db.session.commit()
            paying = _lifecycle(_Replay(business, account, rng), first, real_now, rng)
            _usage(business, paying, rng, serial)
            subscribed += 1
            for start, end in paying:
                moment = start + timedelta(days=31)
                while moment < end:
                    if rng.random() < 0.6:
                        clock.set_clock(lambda: moment)
                        record_rating(business, owners[index % len(owners)], str(rng.choices([5, 4, 3, 2], [55, 30, 10, 5])[0]))
                    moment += timedelta(days=30)
            if (index + 1) % 20 == 0:
                echo(f"  {index + 1}/{businesses} businesses, {serial[0]} calls")
    finally:
        clock.reset_clock()
    return {"skipped": False, "businesses": businesses, "subscribed": subscribed, "calls": serial[0]}


