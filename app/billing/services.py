"""Billing actions an owner takes: checkout, plan changes, cancel/resume, portal, invoices.

Rules:
* One subscription per business. Checkout is only for a business without a
  live one; otherwise choosing a package is a plan change.
* Upgrades take effect at once and are charged pro rata right away
  (`proration_behavior=always_invoice`).
* Downgrades take effect at the end of the period already paid for: the Stripe
  price moves now without proration, so the renewal bills the lower amount,
  and the subscription's metadata says which package is still owed until
  then (see app/billing/lifecycle.py). Choosing the current package again
  while a downgrade is pending withdraws the downgrade.
* Cancelling is at period end; resuming withdraws it.
"""
from __future__ import annotations

import hashlib
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, url_for
from sqlalchemy import bindparam, select

from app.billing import lifecycle, prices, reconcile
from app.billing.gateway import StripeRejected, as_dict, client, request_options, translated_errors
from app.billing.lifecycle import change_direction, first_item, from_timestamp
from app.extensions import db
from app.models import Business
from app.models.base import utcnow
from app.models.billing import BillingAccount, BillingInvoice, BillingStatus
from app.packages.catalog import get_package

# Simultaneous clicks on "Choose" within this window share one Checkout Session.
CHECKOUT_IDEMPOTENCY_WINDOW_SECONDS = 600
INVOICE_CACHE_SECONDS = 300
INVOICE_FETCH_TIMEOUT_SECONDS = 4.0


class BillingError(Exception):
    """An action the owner asked for that can't be done; the message says why."""


@dataclass(frozen=True)
class CheckoutStart:
    redirect_url: str
    # True when the business already pays and the choice must go through a plan change.
    needs_plan_change: bool = False


@dataclass(frozen=True)
class PlanChange:
    kind: str  # "upgrade", "downgrade", "downgrade_withdrawn"
    package_slug: str
    effective_at: datetime | None


# Built once: billing pages, checkout and the webhooks read the account often (the
# past-due banner reads the one loaded with the business instead, app/web.py).
_ACCOUNT_OF_BUSINESS = select(BillingAccount).where(BillingAccount.business_id == bindparam("business_id"))


def account_for(business: Business) -> BillingAccount | None:
    return db.session.scalar(_ACCOUNT_OF_BUSINESS, {"business_id": business.id})


def public_url(endpoint: str, **values) -> str:
    """Absolute URL Stripe sends the owner back to; PUBLIC_BASE_URL, not the request's host."""
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + url_for(endpoint, **values)


# --- Checkout ----------------------------------------------------------------------------


def start_checkout(business: Business, package_slug: str) -> CheckoutStart:
    package = get_package(package_slug)
    if package is None:
        raise BillingError("Choose one of the listed packages.")
    account = account_for(business)
    if account is not None and account.is_live:
        return CheckoutStart(url_for("billing.change", slug=business.slug, package=package_slug), True)
    # -- rollout (issue 16): outside the current stage the picker offers the waitlist instead.
    from app.rollout.services import may_subscribe

    if not may_subscribe(business):
        raise BillingError("AI packages are not open to every business yet: join the waitlist and we'll invite you.")
    price = prices.price_for(package_slug)
    account = _ensure_customer(business)
    if _adopt_live_subscription(business, account):
        return CheckoutStart(url_for("billing.change", slug=business.slug, package=package_slug), True)

    open_sessions = _open_sessions(account.stripe_customer_id)
    reusable = [
        session for session in open_sessions
        if (session.get("metadata") or {}).get("package") == package_slug
        and session.get("amount_total") == price["unit_amount"] and session.get("url")
    ]
    if reusable:
        # Back from Stripe's page and "Choose" again: the checkout already open for this package.
        session = max(reusable, key=lambda candidate: candidate["created"])
    else:
        session = _create_session(business, account, package_slug, price, open_sessions)
    _expire_sessions([other for other in open_sessions if other["id"] != session["id"]])
    if session.get("url"):
        return CheckoutStart(session["url"])
    # A replay of a session already paid (double click after paying): show its progress.
    return CheckoutStart(url_for("billing.success", slug=business.slug, session_id=session["id"]))


def _create_session(business: Business, account: BillingAccount, package_slug: str, price: dict, open_sessions: list) -> dict:
    metadata = {"business_id": str(business.id), "business_slug": business.slug, "package": package_slug}
    params = {
        "mode": "subscription",
        "customer": account.stripe_customer_id,
        "line_items": [{"price": price["id"], "quantity": 1}],
        # Stripe fills in {CHECKOUT_SESSION_ID}; url_for would escape the braces.
        "success_url": public_url("billing.success", slug=business.slug) + "?session_id={CHECKOUT_SESSION_ID}",
        "cancel_url": public_url("billing.checkout_cancelled", slug=business.slug, package=package_slug),
        "client_reference_id": f"{business.id}:{package_slug}",
        "metadata": metadata,
        "subscription_data": {"metadata": {"business_id": str(business.id), "package": package_slug}},
    }
    # Two simultaneous clicks send the same key and get one session. The open
    # sessions are part of the key so that, once those are expired, choosing
    # again creates a fresh session instead of replaying an expired one.
    window = int(time.time() // CHECKOUT_IDEMPOTENCY_WINDOW_SECONDS)
    others = ",".join(sorted(session["id"] for session in open_sessions))
    key_material = f"{business.id}:{package_slug}:{price['id']}:{account.stripe_customer_id}:{window}:{others}"
    idempotency_key = "alphasite-checkout:" + hashlib.sha256(key_material.encode()).hexdigest()[:40]
    with translated_errors():
        return as_dict(client().v1.checkout.sessions.create(params=params, options=request_options(idempotency_key)))


def _open_sessions(customer_id: str) -> list[dict]:
    with translated_errors():
        listed = client().v1.checkout.sessions.list(params={"customer": customer_id, "status": "open", "limit": 100})
    return as_dict(listed)["data"]


def _expire_sessions(sessions: list[dict]) -> None:
    """Only the latest checkout can be paid: an owner who opened one for another
    package, went back and chose again must not end up with two subscriptions."""
    for session in sessions:
        try:
            with translated_errors():
                client().v1.checkout.sessions.expire(session["id"])
        except StripeRejected:
            pass  # completed or expired meanwhile; a paid one is caught when its subscription arrives


def _ensure_customer(business: Business) -> BillingAccount:
    account = account_for(business)
    if account is not None and account.stripe_customer_id:
        return account
    params = {"name": business.name, "metadata": {"business_id": str(business.id), "business_slug": business.slug}}
    if business.owner is not None:
        params["email"] = business.owner.email
    with translated_errors():
        customer = client().v1.customers.create(
            params=params,
            options=request_options(f"alphasite-customer:{business.id}"),
        )
    with reconcile.locked_account(business.id) as locked:
        if not locked.stripe_customer_id:
            locked.stripe_customer_id = customer["id"]
        account = locked
    return account


def _adopt_live_subscription(business: Business, account: BillingAccount) -> bool:
    """True if Stripe already has a live subscription for this customer that
    our webhooks haven't told us about yet; it is applied now."""
    with translated_errors():
        listed = client().v1.subscriptions.list(params={"customer": account.stripe_customer_id, "limit": 10})
    live = [s for s in as_dict(listed)["data"] if s["status"] in ("active", "trialing", "past_due", "unpaid")]
    if not live:
        return False
    reconcile.reconcile_subscription(live[0]["id"], account.stripe_customer_id, str(business.id))
    return True


def checkout_session_for(business: Business, session_id: str) -> dict | None:
    """The Checkout Session if it is this business's; None for anyone else's or an unknown id."""
    if not session_id or not session_id.startswith("cs_"):
        return None
    try:
        with translated_errors():
            session = as_dict(client().v1.checkout.sessions.retrieve(session_id))
    except StripeRejected:
        return None
    if (session.get("metadata") or {}).get("business_id") != str(business.id):
        return None
    return session


# --- Plan changes, cancel, resume ----------------------------------------------------------


def _live_subscription(account: BillingAccount | None) -> str:
    if account is None or not account.stripe_subscription_id or not account.is_live:
        raise BillingError("This business has no active subscription. Choose a package to subscribe.")
    return account.stripe_subscription_id


def change_package(business: Business, target_slug: str) -> PlanChange:
    if get_package(target_slug) is None:
        raise BillingError("Choose one of the listed packages.")
    subscription_id = _live_subscription(account_for(business))
    catalog = prices.catalog_prices()
    with reconcile.locked_account(business.id) as account:
        subscription = reconcile.retrieve_subscription(subscription_id)
        entitlement = lifecycle.entitlement_from_subscription(
            subscription, utcnow(), reconcile.grace_period(), account.past_due_since
        )
        if entitlement.status != BillingStatus.ACTIVE:
            raise BillingError("Your last payment didn't go through. Update your card in the billing portal first.")
        if entitlement.cancel_at_period_end:
            raise BillingError("Your subscription is set to end. Resume it before changing package.")
        item = first_item(subscription)
        entitled = entitlement.package_slug
        update = _subscription_updates(item["id"], catalog, entitled, target_slug, entitlement)
        if update is None:
            raise BillingError(f"{get_package(target_slug).name} is already your package.")
        kind, steps = update
        updated = subscription
        try:
            for params in steps:
                with translated_errors():
                    updated = as_dict(client().v1.subscriptions.update(subscription_id, params=params))
        finally:
            if updated is not subscription:
                # Keep what Stripe did even if a later step failed.
                reconcile.apply_subscription(account, business, updated)
                db.session.commit()
    effective_at = entitlement.period_end if kind == "downgrade" else utcnow()
    return PlanChange(kind, target_slug, effective_at)


_CLEARED_DOWNGRADE = {"entitled_package": "", "entitled_amount": "", "downgrade_to": "", "downgrade_at": ""}


def _subscription_updates(item_id, catalog, entitled, target, entitlement):
    """(kind, [Stripe update params, in order]) for moving from `entitled` to `target`; None if no change."""
    def moving_to(slug, proration, metadata):
        return {
            "items": [{"id": item_id, "price": catalog[slug]["id"]}],
            "proration_behavior": proration,
            "metadata": {**metadata, "package": slug},
        }

    if target == entitled:
        if entitlement.pending_package_slug is None:
            return None
        return "downgrade_withdrawn", [moving_to(entitled, "none", _CLEARED_DOWNGRADE)]
    if change_direction(entitled, target) == "upgrade":
        steps = []
        if entitlement.pending_package_slug is not None:
            # Back to the price already paid for first, so the proration charges
            # only the difference between the entitled package and the new one.
            steps.append(moving_to(entitled, "none", _CLEARED_DOWNGRADE))
        steps.append(moving_to(target, "always_invoice", _CLEARED_DOWNGRADE))
        return "upgrade", steps
    downgrade = {
        "entitled_package": entitled,
        "entitled_amount": str(entitlement.unit_amount or 0),
        "downgrade_to": target,
        "downgrade_at": str(int(entitlement.period_end.timestamp())),
    }
    return "downgrade", [moving_to(target, "none", downgrade)]


def schedule_cancellation(business: Business) -> datetime | None:
    return _set_cancel_at_period_end(business, True)


def resume_subscription(business: Business) -> None:
    _set_cancel_at_period_end(business, False)


def _set_cancel_at_period_end(business: Business, cancel: bool) -> datetime | None:
    subscription_id = _live_subscription(account_for(business))
    with reconcile.locked_account(business.id) as account:
        if account.cancel_at_period_end == cancel:
            raise BillingError(
                "Your subscription is already set to end." if cancel else "Your subscription is already renewing."
            )
        with translated_errors():
            updated = as_dict(
                client().v1.subscriptions.update(subscription_id, params={"cancel_at_period_end": cancel})
            )
        reconcile.apply_subscription(account, business, updated)
        return account.current_period_end


def end_subscription_now(business: Business, reason: str) -> bool:
    """The operator ends a business's service: its live Stripe subscription is
    cancelled at once, so no further invoice is raised, and the 4calls service
    follows through the usual reconciliation. A refund for the current period
    is the operator's decision, made in Stripe. False when nothing is billed
    (a package the operator activated by hand)."""
    try:
        subscription_id = _live_subscription(account_for(business))
    except BillingError:
        return False
    with reconcile.locked_account(business.id) as account:
        with translated_errors():
            ended = as_dict(client().v1.subscriptions.cancel(
                subscription_id, params={"cancellation_details": {"comment": reason[:500]}}))
        reconcile.apply_subscription(account, business, ended)
    return True


def portal_url(business: Business) -> str:
    account = account_for(business)
    if account is None or not account.stripe_customer_id:
        raise BillingError("There is nothing to manage yet: choose a package first.")
    with translated_errors():
        session = client().v1.billing_portal.sessions.create(
            params={"customer": account.stripe_customer_id, "return_url": public_url("billing.index", slug=business.slug)}
        )
    return session["url"]


# --- Invoices --------------------------------------------------------------------------------


def cached_invoices(business: Business, limit: int = 24) -> list[BillingInvoice]:
    return list(
        db.session.scalars(
            select(BillingInvoice)
            .where(BillingInvoice.business_id == business.id)
            .order_by(BillingInvoice.issued_at.desc())
            .limit(limit)
        )
    )


def invoices_are_fresh(account: BillingAccount | None) -> bool:
    refreshed = account.invoices_refreshed_at if account else None
    return refreshed is not None and utcnow() - refreshed < timedelta(seconds=INVOICE_CACHE_SECONDS)


def refresh_invoices(business: Business) -> None:
    """Fetch the customer's invoices from Stripe into the local cache; StripeUnavailable if it can't."""
    account = account_for(business)
    if account is None or not account.stripe_customer_id:
        return
    with translated_errors():
        listed = client(timeout=INVOICE_FETCH_TIMEOUT_SECONDS, retries=0).v1.invoices.list(
            params={"customer": account.stripe_customer_id, "limit": 24}
        )
    for invoice in as_dict(listed)["data"]:
        store_invoice(business.id, invoice)
    account.invoices_refreshed_at = utcnow()
    db.session.commit()


def invoice_subscription_id(invoice: dict) -> str | None:
    parent = (invoice.get("parent") or {}).get("subscription_details") or {}
    subscription = parent.get("subscription") or invoice.get("subscription")
    return subscription["id"] if isinstance(subscription, dict) else subscription


def store_invoice(business_id: uuid.UUID, invoice: dict) -> BillingInvoice | None:
    """Insert or update one invoice from Stripe's current copy of it. Drafts are not shown to owners."""
    if invoice.get("status") in (None, "draft"):
        return None
    row = db.session.scalar(select(BillingInvoice).where(BillingInvoice.stripe_invoice_id == invoice["id"]))
    if row is None:
        row = BillingInvoice(business_id=business_id, stripe_invoice_id=invoice["id"])
        db.session.add(row)
    transitions = invoice.get("status_transitions") or {}
    row.stripe_subscription_id = invoice_subscription_id(invoice)
    row.number = invoice.get("number")
    row.status = invoice["status"]
    row.billing_reason = invoice.get("billing_reason")
    row.amount_due = int(invoice.get("amount_due") or 0)
    row.amount_paid = int(invoice.get("amount_paid") or 0)
    row.currency = invoice.get("currency") or "usd"
    row.issued_at = from_timestamp(invoice.get("created")) or utcnow()
    row.paid_at = from_timestamp(transitions.get("paid_at"))
    row.hosted_invoice_url = invoice.get("hosted_invoice_url")
    return row
