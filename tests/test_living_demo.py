"""`make run`'s demo: the demo business buys its AI Receptionist through the
Stripe sandbox, is provisioned, gets 90 days of history from the 4calls
sandbox and is synced; a second start changes nothing."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.billing import health, prices
from app.extensions import db
from app.models import Appointment, Business, Call, Contact, FourCallsIntegration
from app.models.billing import BillingAccount, SubscriptionHistory
from sandbox.fourcalls.testing import running_fourcalls
from sandbox.stripe.testing import running_stripe

pytestmark = pytest.mark.integration


@pytest.fixture
def sandboxes(app, tmp_path):
    with running_stripe(tmp_path / "stripe") as stripe, running_fourcalls(tmp_path / "fourcalls") as fourcalls:
        saved = {name: app.config[name] for name in ("STRIPE_API_BASE", "FOURCALLS_API_URL")}
        app.config.update(STRIPE_API_BASE=stripe.url, FOURCALLS_API_URL=fourcalls.url)
        prices.forget_cached_prices()
        health.forget()
        yield stripe, fourcalls
        app.config.update(saved)
        prices.forget_cached_prices()
        health.forget()


def count(model, **where) -> int:
    stmt = select(func.count()).select_from(model)
    for name, value in where.items():
        stmt = stmt.where(getattr(model, name) == value)
    return db.session.scalar(stmt)


def test_make_run_opens_on_a_living_consistent_demo_and_stays_idempotent(app, sandboxes, run_jobs, monkeypatch):
    from app import demo_sandbox
    from app.demo import CLAIMED_DEMO_SLUG, after_start, seed_demo
    from app.demo_sandbox import HISTORY

    # Test jobs wait for run_jobs(), so the start does not wait for provisioning:
    # it is bought now, provisioned by the job, and seeded once it is live.
    monkeypatch.setattr(demo_sandbox, "PROVISIONING_WAIT_SECONDS", 0)
    seed_demo()
    after_start()
    run_jobs()
    after_start()
    run_jobs()
    business = db.session.scalar(select(Business).where(Business.slug == CLAIMED_DEMO_SLUG))
    assert business.timezone == "America/Los_Angeles"

    # Bought through Stripe: billing, history and the assistant agree.
    account = db.session.scalar(select(BillingAccount).where(BillingAccount.business_id == business.id))
    assert account.is_live and account.package_slug == "ai_receptionist"
    assert count(SubscriptionHistory, business_id=business.id) == 1
    integration = db.session.scalar(select(FourCallsIntegration).where(FourCallsIntegration.business_id == business.id))
    assert integration.status == "active" and integration.service_package == "ai_receptionist"
    # 90 days of history, synced.
    calls = count(Call, business_id=business.id)
    assert calls == HISTORY["calls"]
    assert count(Contact, business_id=business.id) >= HISTORY["contacts"]
    assert count(Appointment, business_id=business.id) > 0

    after_start()  # a second `make run`
    run_jobs()
    assert count(BillingAccount) == 1 and count(SubscriptionHistory, business_id=business.id) == 1
    assert count(FourCallsIntegration) == 1
    assert count(Call, business_id=business.id) == calls  # not seeded twice
