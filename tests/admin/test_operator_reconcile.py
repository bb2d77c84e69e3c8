"""MRR from subscription history equals Stripe's active subscriptions (the sandbox over HTTP)."""
from __future__ import annotations

import pytest

from app.admin.reconciliation import reconcile
from app.extensions import db
from app.models import SubscriptionHistory
from app.models.base import utcnow
from tests.billing.test_billing_stripe import billing, fourcalls_sandbox, stripe_sandbox  # noqa: F401  (fixtures)

pytestmark = pytest.mark.integration


def test_history_mrr_reconciles_with_stripe_then_a_stray_row_is_a_mismatch(app, billing, factories, logged_in_owner):  # noqa: F811
    first = factories.business(owner=logged_in_owner, name="Reconcile One")
    second = factories.business(owner=logged_in_owner, name="Reconcile Two")
    billing.subscribe(first, "ai_receptionist")
    subscription = billing.subscribe(second, "ai_sales")
    assert billing.change(second, "ai_business_suite").status_code == 303  # upgrade, invoiced now
    billing.deliver(subscription)

    result = reconcile()
    assert result.ok, result.mismatches
    assert result.ours == result.stripe == 4900 + 19900

    runner = app.test_cli_runner()
    output = runner.invoke(args=["metrics", "reconcile"])
    assert output.exit_code == 0 and "Reconciled" in output.output and "$248.00" in output.output

    # A row Stripe knows nothing about breaks the equality, and the command says so.
    stray = factories.business(owner=logged_in_owner, name="Stray")
    db.session.add(SubscriptionHistory(business_id=stray.id, package_slug="ai_sales", unit_amount=9900, currency="usd",
                                       status="active", started_at=utcnow(), reason="subscribed"))
    db.session.commit()
    assert not reconcile().ok
    output = runner.invoke(args=["metrics", "reconcile"])
    assert output.exit_code == 1 and "MISMATCH" in output.output and str(stray.id) in output.output
