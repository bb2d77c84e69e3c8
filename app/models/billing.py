"""What the app knows about each business's Stripe subscription.

Stripe is the source of truth for money; these rows are the local mirror the
pages read and the history the admin metrics (MRR, churn, upgrade and
downgrade rates, LTV) are computed from.
"""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTC, Timestamps, UUIDPrimaryKey


class BillingStatus:
    """The business's billing state as the app acts on it (not Stripe's raw status)."""

    NONE = "none"  # no subscription yet (or checkout not paid)
    ACTIVE = "active"
    PAST_DUE = "past_due"  # a payment failed; service kept through the grace period
    SUSPENDED = "suspended"  # grace period over, or Stripe gave up collecting
    CANCELLED = "cancelled"

    LIVE = (ACTIVE, PAST_DUE, SUSPENDED)


class BillingAccount(UUIDPrimaryKey, Timestamps, db.Model):
    """One per business: its Stripe customer and the current subscription's state."""

    __tablename__ = "billing_accounts"

    business_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("businesses.id"), unique=True, nullable=False)
    stripe_customer_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    stripe_subscription_id: Mapped[str | None] = mapped_column(String(255), index=True)
    # Stripe's own word (active, past_due, canceled, ...), kept for support.
    stripe_status: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(30), nullable=False, default=BillingStatus.NONE)
    # The package the business is entitled to now; during a scheduled downgrade
    # this stays the higher one until the period ends.
    package_slug: Mapped[str | None] = mapped_column(String(50))
    # What the entitlement costs per month, in the currency's minor unit.
    unit_amount: Mapped[int | None] = mapped_column(Integer)
    currency: Mapped[str | None] = mapped_column(String(3))
    # The Stripe price the next renewal charges.
    price_id: Mapped[str | None] = mapped_column(String(255))
    renewal_amount: Mapped[int | None] = mapped_column(Integer)
    current_period_start: Mapped[datetime | None] = mapped_column(UTC)
    current_period_end: Mapped[datetime | None] = mapped_column(UTC)
    cancel_at_period_end: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    pending_package_slug: Mapped[str | None] = mapped_column(String(50))
    pending_change_at: Mapped[datetime | None] = mapped_column(UTC)
    past_due_since: Mapped[datetime | None] = mapped_column(UTC)
    last_reconciled_at: Mapped[datetime | None] = mapped_column(UTC)
    invoices_refreshed_at: Mapped[datetime | None] = mapped_column(UTC)

    business = relationship("Business")

    @property
    def is_live(self) -> bool:
        return self.status in BillingStatus.LIVE


class SubscriptionHistory(UUIDPrimaryKey, Timestamps, db.Model):
    """One row per stretch of time a business spent in one (package, price,
    status) state. A change closes the open row (ended_at) and opens the next,
    with the reason for the change."""

    __tablename__ = "subscription_history"

    business_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("businesses.id"), nullable=False)
    stripe_subscription_id: Mapped[str | None] = mapped_column(String(255))
    package_slug: Mapped[str] = mapped_column(String(50), nullable=False)
    unit_amount: Mapped[int] = mapped_column(Integer, nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    status: Mapped[str] = mapped_column(String(30), nullable=False)
    cancel_at_period_end: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    started_at: Mapped[datetime] = mapped_column(UTC, nullable=False)
    ended_at: Mapped[datetime | None] = mapped_column(UTC)
    # subscribed, upgraded, downgraded, payment_failed, payment_recovered,
    # grace_period_ended, cancellation_scheduled, cancellation_withdrawn,
    # cancelled, price_changed, renewed_after_suspension
    reason: Mapped[str] = mapped_column(String(60), nullable=False)

    __table_args__ = (Index("ix_subscription_history_business_started", "business_id", "started_at"),
                      # The console's live month and launch month range over started_at alone.
                      Index("ix_subscription_history_started", "started_at"),
                      # The rows in effect at a month's start (ended after it, or open), beside those
                      # started since: the live month and the margin card read only those.
                      Index("ix_subscription_history_ended", "ended_at"))


class BillingInvoice(UUIDPrimaryKey, Timestamps, db.Model):
    """Stripe invoices, cached so the billing page works while Stripe is away."""

    __tablename__ = "billing_invoices"

    business_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("businesses.id"), nullable=False, index=True)
    stripe_invoice_id: Mapped[str] = mapped_column(String(255), unique=True, nullable=False)
    stripe_subscription_id: Mapped[str | None] = mapped_column(String(255))
    number: Mapped[str | None] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(30), nullable=False)
    billing_reason: Mapped[str | None] = mapped_column(String(40))
    amount_due: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    amount_paid: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    issued_at: Mapped[datetime] = mapped_column(UTC, nullable=False)
    paid_at: Mapped[datetime | None] = mapped_column(UTC)
    hosted_invoice_url: Mapped[str | None] = mapped_column(String(500))
