"""Billing background jobs: thin wrappers taking ids."""
from __future__ import annotations

import uuid

from sqlalchemy import or_, select

from app.billing import reconcile, webhooks
from app.billing.gateway import StripeRejected
from app.extensions import db
from app.jobs.records import recorded_run
from app.models.base import utcnow
from app.models.billing import BillingAccount, BillingStatus
from app.models.webhooks import WebhookEvent
from app.webhooks.services import record_failure, record_outcome


def process_stripe_event(webhook_event_id: str) -> None:
    row = db.session.get(WebhookEvent, uuid.UUID(webhook_event_id))
    if row is None or row.processed_at is not None:
        return
    business_id = row.business_id
    row.attempts += 1
    db.session.commit()
    try:
        with recorded_run("stripe_event", business_id):
            outcome = webhooks.process(row)
    except StripeRejected as rejected:
        # Stripe answered "no" (e.g. the object is gone); asking again won't change that.
        db.session.rollback()
        done = db.session.get(WebhookEvent, uuid.UUID(webhook_event_id))
        record_outcome(done, "stripe_rejected", error=str(rejected))
        return
    except Exception as exc:
        record_failure(uuid.UUID(webhook_event_id), f"{type(exc).__name__}: {exc}", count_attempt=False)
        raise
    record_outcome(db.session.get(WebhookEvent, uuid.UUID(webhook_event_id)), outcome)


def apply_due_billing_changes() -> int:
    """Recurring: re-read subscriptions whose local state has a deadline that
    passed (a scheduled downgrade, the end of a grace period), in case no
    webhook arrives to prompt it. Returns how many were reconciled."""
    now = utcnow()
    grace = reconcile.grace_period()
    due = db.session.scalars(
        select(BillingAccount).where(
            BillingAccount.stripe_subscription_id.is_not(None),
            or_(
                BillingAccount.pending_change_at <= now,
                (BillingAccount.status == BillingStatus.PAST_DUE) & (BillingAccount.past_due_since <= now - grace),
            ),
        )
    ).all()
    targets = [(a.stripe_subscription_id, a.stripe_customer_id, str(a.business_id)) for a in due]
    with recorded_run("billing_deadlines") as run:
        for subscription_id, customer_id, business_id in targets:
            reconcile.reconcile_subscription(subscription_id, customer_id, business_id)
        run.counts = {"reconciled": len(targets)}
    return len(targets)
