"""The subscription lifecycle as pure functions: Stripe's subscription in, the app's decisions out.

Everything here reads the subscription's *current* state, never the event
that announced it, so duplicate and out-of-order webhooks converge on the
same answer. No database, no network: the unit tests drive these directly.

Stripe status             -> billing status
  incomplete(_expired)    -> none        (checkout not paid: nothing is granted)
  active, trialing        -> active
  past_due                -> past_due until the grace period ends, then suspended
  unpaid, paused          -> suspended
  canceled                -> cancelled

A downgrade is scheduled, not immediate: the app moves the Stripe price to the
lower package without proration and writes the still-entitled package into
the subscription's metadata (`entitled_package`, `entitled_amount`,
`downgrade_to`, `downgrade_at`). Until the period that was paid for ends the
business keeps the higher package; from the renewal on it has the lower one.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from app.billing.prices import package_for_price
from app.models.billing import BillingStatus
from app.packages.catalog import package_rank

LIVE_STRIPE_STATUSES = ("active", "trialing", "past_due", "unpaid", "paused")


@dataclass(frozen=True)
class Entitlement:
    """What the business may use right now, according to its subscription."""

    subscription_id: str
    customer_id: str | None
    business_id: str | None
    stripe_status: str
    status: str
    package_slug: str | None
    unit_amount: int | None
    currency: str | None
    price_id: str | None
    renewal_amount: int | None
    period_start: datetime | None
    period_end: datetime | None
    cancel_at_period_end: bool
    pending_package_slug: str | None
    pending_change_at: datetime | None
    past_due_since: datetime | None
    cancellation_reason: str | None

    @property
    def grants_service(self) -> bool:
        return self.status in (BillingStatus.ACTIVE, BillingStatus.PAST_DUE)

    def grace_ends_at(self, grace: timedelta) -> datetime | None:
        return self.past_due_since + grace if self.past_due_since else None


def from_timestamp(value) -> datetime | None:
    return datetime.fromtimestamp(int(value), timezone.utc) if value not in (None, "") else None


def first_item(subscription: dict) -> dict | None:
    items = (subscription.get("items") or {}).get("data") or []
    return items[0] if items else None


def current_period(subscription: dict) -> tuple[datetime | None, datetime | None]:
    """Since API version 2025-03-31 the period lives on the items; older payloads had it on the subscription."""
    item = first_item(subscription) or {}
    start = item.get("current_period_start", subscription.get("current_period_start"))
    end = item.get("current_period_end", subscription.get("current_period_end"))
    return from_timestamp(start), from_timestamp(end)


def failing_since(subscription: dict, known: datetime | None, now: datetime) -> datetime:
    """When the unpaid invoice first failed: what we noted before, else the
    invoice's finalization (latest_invoice expanded), else now."""
    if known is not None:
        return known
    invoice = subscription.get("latest_invoice")
    if isinstance(invoice, dict) and invoice.get("status") == "open":
        transitions = invoice.get("status_transitions") or {}
        moment = from_timestamp(transitions.get("finalized_at") or invoice.get("created"))
        if moment is not None:
            return min(moment, now)
    return now


def entitlement_from_subscription(
    subscription: dict, now: datetime, grace: timedelta, known_past_due_since: datetime | None = None
) -> Entitlement:
    stripe_status = subscription.get("status") or "incomplete"
    metadata = subscription.get("metadata") or {}
    item = first_item(subscription) or {}
    price = item.get("price") or {}
    billed_package = package_for_price(price) if price else None
    renewal_amount = price.get("unit_amount")
    if renewal_amount is not None:
        renewal_amount *= int(item.get("quantity") or 1)
    period_start, period_end = current_period(subscription)

    package, amount = billed_package, renewal_amount
    pending_package, pending_at = None, None
    downgrade_at = from_timestamp(metadata.get("downgrade_at"))
    if (
        metadata.get("downgrade_to")
        and metadata.get("downgrade_to") == billed_package
        and metadata.get("entitled_package")
        and downgrade_at is not None
        and now < downgrade_at
        and (period_start is None or period_start < downgrade_at)
    ):
        package = metadata["entitled_package"]
        amount = int(metadata.get("entitled_amount") or renewal_amount or 0)
        pending_package, pending_at = billed_package, downgrade_at

    past_due_since = None
    if stripe_status in ("active", "trialing"):
        status = BillingStatus.ACTIVE
    elif stripe_status == "past_due":
        past_due_since = failing_since(subscription, known_past_due_since, now)
        status = BillingStatus.PAST_DUE if now < past_due_since + grace else BillingStatus.SUSPENDED
    elif stripe_status in ("unpaid", "paused"):
        past_due_since = known_past_due_since
        status = BillingStatus.SUSPENDED
    elif stripe_status == "canceled":
        status = BillingStatus.CANCELLED
    else:
        status = BillingStatus.NONE

    cancel_at = from_timestamp(subscription.get("cancel_at"))
    # Once it has ended, "cancels at period end" is history, not a pending change.
    cancel_at_period_end = status != BillingStatus.CANCELLED and (
        bool(subscription.get("cancel_at_period_end")) or cancel_at is not None
    )
    if cancel_at_period_end:
        pending_package, pending_at = None, None

    customer = subscription.get("customer")
    return Entitlement(
        subscription_id=subscription["id"],
        customer_id=customer["id"] if isinstance(customer, dict) else customer,
        business_id=metadata.get("business_id"),
        stripe_status=stripe_status,
        status=status,
        package_slug=package,
        unit_amount=amount,
        currency=price.get("currency"),
        price_id=price.get("id"),
        renewal_amount=renewal_amount,
        period_start=period_start,
        period_end=period_end,
        cancel_at_period_end=cancel_at_period_end,
        pending_package_slug=pending_package,
        pending_change_at=pending_at,
        past_due_since=past_due_since,
        cancellation_reason=(subscription.get("cancellation_details") or {}).get("reason"),
    )


@dataclass(frozen=True)
class HistoryState:
    """The part of an entitlement whose change makes a new history row."""

    subscription_id: str | None
    package_slug: str
    unit_amount: int
    status: str
    cancel_at_period_end: bool


def history_state(entitlement: Entitlement) -> HistoryState | None:
    if entitlement.status == BillingStatus.NONE or not entitlement.package_slug:
        return None
    return HistoryState(
        subscription_id=entitlement.subscription_id,
        package_slug=entitlement.package_slug,
        unit_amount=entitlement.unit_amount or 0,
        status=entitlement.status,
        cancel_at_period_end=entitlement.cancel_at_period_end,
    )


def change_reason(previous: HistoryState | None, new: HistoryState, cancellation_reason: str | None = None) -> str | None:
    """Why the business moved from `previous` to `new`; None when nothing changed."""
    if previous == new:
        return None
    if previous is None or previous.status == BillingStatus.CANCELLED or previous.subscription_id != new.subscription_id:
        return "cancelled" if new.status == BillingStatus.CANCELLED else "subscribed"
    if new.status == BillingStatus.CANCELLED:
        return "cancelled_after_failed_payment" if cancellation_reason == "payment_failed" else "cancelled"
    if new.package_slug != previous.package_slug:
        return "upgraded" if change_direction(previous.package_slug, new.package_slug) == "upgrade" else "downgraded"
    if new.status != previous.status:
        if new.status == BillingStatus.PAST_DUE:
            return "payment_failed"
        if new.status == BillingStatus.SUSPENDED:
            return "grace_period_ended" if previous.status == BillingStatus.PAST_DUE else "suspended"
        if previous.status == BillingStatus.PAST_DUE:
            return "payment_recovered"
        return "reactivated"
    if new.cancel_at_period_end != previous.cancel_at_period_end:
        return "cancellation_scheduled" if new.cancel_at_period_end else "cancellation_withdrawn"
    return "price_changed"


# What the 4calls side must be told, in order.
ACTIVATE, CHANGE_PACKAGE, MARK_PAST_DUE, CLEAR_PAST_DUE, SUSPEND, RESUME, CANCEL = (
    "activate", "change_package", "mark_past_due", "clear_past_due", "suspend", "resume", "cancel",
)


def provisioning_actions(integration_status: str | None, integration_package: str | None, entitlement: Entitlement) -> list[str]:
    """The calls that bring the 4calls integration in line with the entitlement.

    `integration_status` is None when the business has never had an integration.
    """
    status = entitlement.status
    if status == BillingStatus.NONE:
        return []
    if status == BillingStatus.CANCELLED:
        return [CANCEL] if integration_status not in (None, "cancelled") else []
    if status == BillingStatus.SUSPENDED:
        return [SUSPEND] if integration_status not in (None, "suspended", "cancelled") else []
    # active or past_due: the service runs.
    if integration_status in (None, "cancelled"):
        actions = [ACTIVATE]
    else:
        actions = []
        if integration_status == "suspended":
            actions.append(RESUME)
        if integration_package != entitlement.package_slug:
            actions.append(CHANGE_PACKAGE)
    if status == BillingStatus.PAST_DUE and integration_status != "past_due":
        actions.append(MARK_PAST_DUE)
    elif status == BillingStatus.ACTIVE and integration_status == "past_due":
        actions.append(CLEAR_PAST_DUE)
    return actions


_PLAIN_REASONS = {
    "subscribed": "Subscribed to {package}",
    "upgraded": "Upgraded to {package}",
    "downgraded": "Changed to {package} at renewal",
    "payment_failed": "Payment failed; service continues during the grace period",
    "payment_recovered": "Payment received",
    "grace_period_ended": "Paused: payment failed and the grace period ended",
    "suspended": "Paused: the subscription is unpaid",
    "reactivated": "Payment received; service resumed",
    "cancelled": "Subscription ended",
    "cancelled_after_failed_payment": "Subscription ended after failed payments",
}


def plain_reason(reason: str, package_slug: str | None) -> str:
    """The owner-facing words for a change, as stored in the integration's status_reason."""
    from app.packages.catalog import get_package

    package = get_package(package_slug or "")
    template = _PLAIN_REASONS.get(reason, "Billing: {reason}")
    return template.format(package=package.name if package else "your package", reason=reason.replace("_", " "))


def change_direction(current_slug: str | None, target_slug: str) -> str:
    """The one rule for telling a package change's direction: "upgrade" when the
    target is higher on the ladder than the current package, else "downgrade"
    (a business without a package starts with a "downgrade": nothing to prorate)."""
    return "upgrade" if current_slug and package_rank(target_slug) > package_rank(current_slug) else "downgrade"
