"""MRR computed from subscription history against Stripe's own list.

Stripe's side: every subscription Stripe lists as active, trialing or
past_due, at the amount the business is entitled to this month (the
`entitled_amount` metadata during a scheduled downgrade, else price ×
quantity per month). Ours: `mrr.mrr_by_business_at(now)`. A business we
suspended while Stripe still says past_due (the grace period ended) is an
explained difference; anything else is a mismatch.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy import select

from app.admin.metrics.mrr import mrr_by_business_at
from app.billing.gateway import as_dict, client, translated_errors
from app.extensions import db
from app.models import BillingAccount, BillingStatus
from app.models.base import utcnow

STRIPE_MRR_STATUSES = ("active", "trialing", "past_due")


@dataclass
class Reconciliation:
    ours: int
    stripe: int
    mismatches: list[tuple[str, int, int]] = field(default_factory=list)  # (business id or subscription, ours, stripe)
    explained: list[tuple[str, int, int, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.mismatches


def _monthly_amount(subscription: dict) -> int:
    metadata = subscription.get("metadata") or {}
    if str(metadata.get("entitled_amount") or "").isdigit():
        return int(metadata["entitled_amount"])
    total = 0
    for item in (subscription.get("items") or {}).get("data", []):
        price = item.get("price") or {}
        recurring = price.get("recurring") or {}
        amount = (price.get("unit_amount") or 0) * (item.get("quantity") or 1)
        count = recurring.get("interval_count") or 1
        if recurring.get("interval") == "year":
            amount = amount / (12 * count)
        elif recurring.get("interval") == "month":
            amount = amount / count
        total += amount
    return round(total)


def stripe_subscriptions() -> list[dict]:
    found, starting_after = [], None
    with translated_errors():
        while True:
            params = {"limit": 100, **({"starting_after": starting_after} if starting_after else {})}
            page = as_dict(client().v1.subscriptions.list(params))
            found += page.get("data", [])
            if not page.get("has_more") or not page.get("data"):
                return found
            starting_after = page["data"][-1]["id"]


def reconcile() -> Reconciliation:
    now = utcnow()
    ours = {business_id: amount for business_id, (amount, _package) in mrr_by_business_at(now).items() if amount}
    accounts = db.session.execute(select(BillingAccount.stripe_customer_id, BillingAccount.business_id,
                                         BillingAccount.status)).all()
    by_customer = {customer: (business_id, status) for customer, business_id, status in accounts if customer}
    theirs: dict[uuid.UUID | str, int] = {}
    local_status: dict = {}
    for subscription in stripe_subscriptions():
        if subscription.get("status") not in STRIPE_MRR_STATUSES:
            continue
        customer = subscription.get("customer")
        customer = customer.get("id") if isinstance(customer, dict) else customer
        business_id, status = by_customer.get(customer, (None, None))
        key = business_id or subscription["id"]
        theirs[key] = theirs.get(key, 0) + _monthly_amount(subscription)
        local_status[key] = (status, subscription.get("status"))
    result = Reconciliation(ours=sum(ours.values()), stripe=0)
    for key in sorted(set(ours) | set(theirs), key=str):
        mine, stripe_amount = ours.get(key, 0), theirs.get(key, 0)
        status, stripe_status = local_status.get(key, (None, None))
        if mine == stripe_amount:
            result.stripe += stripe_amount
            continue
        if mine == 0 and status == BillingStatus.SUSPENDED and stripe_status == "past_due":
            result.explained.append((str(key), mine, stripe_amount, "suspended after the grace period; Stripe still past_due"))
            continue
        result.stripe += stripe_amount
        result.mismatches.append((str(key), mine, stripe_amount))
    return result
