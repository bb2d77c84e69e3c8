"""Bring a business in line with its Stripe subscription: account row, history, 4calls service.

Every path that learns about a subscription (webhook jobs, plan changes, the
deadline sweep) ends in `apply_subscription`, always under the business's
lock and always with the subscription as Stripe has it *now*, so whatever
order events arrive in, the last one applied describes the current state.
"""
from __future__ import annotations

import threading
import uuid
from contextlib import contextmanager
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.billing import lifecycle
from app.billing.gateway import as_dict, client, translated_errors
from app.billing.lifecycle import Entitlement, HistoryState, from_timestamp
from app.extensions import db
from app.models import Business
from app.models.base import utcnow
from app.web import parse_uuid
from app.models.billing import BillingAccount, BillingStatus, SubscriptionHistory

_process_locks: dict[uuid.UUID, threading.Lock] = {}
_process_locks_guard = threading.Lock()


def grace_period() -> timedelta:
    return timedelta(days=float(current_app.config.get("BILLING_GRACE_PERIOD_DAYS", 7)))


@contextmanager
def locked_account(business_id: uuid.UUID):
    """The business's billing account, exclusively: a thread lock for the
    in-process runner, SELECT ... FOR UPDATE for RQ workers on PostgreSQL.
    Commits on success, rolls back on error."""
    with _process_locks_guard:
        lock = _process_locks.setdefault(business_id, threading.Lock())
    with lock:
        try:
            account = _select_for_update(business_id)
            if account is None:
                try:
                    db.session.add(BillingAccount(business_id=business_id))
                    db.session.commit()
                except IntegrityError:
                    db.session.rollback()  # created concurrently by another worker
                account = _select_for_update(business_id)
            yield account
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise


def _select_for_update(business_id: uuid.UUID) -> BillingAccount | None:
    return db.session.scalar(
        select(BillingAccount)
        .where(BillingAccount.business_id == business_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def retrieve_subscription(subscription_id: str) -> dict:
    with translated_errors():
        subscription = client().v1.subscriptions.retrieve(
            subscription_id, params={"expand": ["latest_invoice"]}
        )
    return as_dict(subscription)


def find_business(subscription_id: str | None, customer_id: str | None, business_id: str | None) -> Business | None:
    """The business a subscription belongs to: the account that knows it, else the metadata we put on it."""
    for column, value in (
        (BillingAccount.stripe_subscription_id, subscription_id),
        (BillingAccount.stripe_customer_id, customer_id),
    ):
        if value:
            account = db.session.scalar(select(BillingAccount).where(column == value))
            if account is not None:
                return db.session.get(Business, account.business_id)
    key = parse_uuid(business_id) if business_id else None
    return db.session.get(Business, key) if key else None


def reconcile_subscription(
    subscription_id: str, customer_id: str | None = None, business_id: str | None = None
) -> str:
    """Fetch the subscription from Stripe and apply it. Returns what happened, for the event log."""
    business = find_business(subscription_id, customer_id, business_id)
    if business is None:
        # Only the subscription's own metadata can tell; read it once, unlocked.
        subscription = retrieve_subscription(subscription_id)
        metadata = subscription.get("metadata") or {}
        business = find_business(None, subscription.get("customer"), metadata.get("business_id"))
        if business is None:
            current_app.logger.warning("Stripe subscription %s belongs to no known business", subscription_id)
            return "unknown_business"
    with locked_account(business.id) as account:
        return apply_subscription(account, business, retrieve_subscription(subscription_id))


def apply_subscription(account: BillingAccount, business: Business, subscription: dict, now: datetime | None = None,
                       *, provision: bool = True) -> str:
    """Make the account, the history and the 4calls service match `subscription`. Caller holds the lock.
    `provision=False` leaves 4calls alone (the demo history replays years of changes offline)."""
    now = now or utcnow()
    on_file = account.stripe_subscription_id
    known_since = account.past_due_since if on_file == subscription["id"] else None
    entitlement = lifecycle.entitlement_from_subscription(subscription, now, grace_period(), known_since)

    if on_file and on_file != entitlement.subscription_id:
        if entitlement.status == BillingStatus.NONE:
            return "ignored_unpaid_subscription"
        if account.is_live and entitlement.status == BillingStatus.CANCELLED:
            return "ignored_other_ended_subscription"
        if account.is_live:
            return _cancel_duplicate(entitlement)

    previous_period = (account.current_period_start, account.current_period_end)
    _copy_to_account(account, entitlement, now)
    reason = _record_history(business, entitlement, subscription, now)
    if provision:
        _sync_fourcalls(business, entitlement, reason)
    _roll_usage_period(business, entitlement, previous_period)
    return reason or "unchanged"


def _roll_usage_period(business: Business, entitlement: Entitlement, previous_period: tuple) -> None:
    """Usage meters follow the billing period: a renewal opens fresh counters
    under the package's limits. A period Stripe has not moved needs nothing."""
    from app.usage.services import start_new_period

    if not entitlement.grants_service or not (entitlement.period_start and entitlement.period_end):
        return
    if previous_period == (entitlement.period_start, entitlement.period_end):
        return
    start_new_period(business, entitlement.period_start, entitlement.period_end)


def _copy_to_account(account: BillingAccount, entitlement: Entitlement, now: datetime) -> None:
    account.stripe_subscription_id = entitlement.subscription_id
    if entitlement.customer_id and not account.stripe_customer_id:
        account.stripe_customer_id = entitlement.customer_id
    account.stripe_status = entitlement.stripe_status
    account.status = entitlement.status
    if entitlement.package_slug:
        account.package_slug = entitlement.package_slug
    account.unit_amount = entitlement.unit_amount
    account.currency = entitlement.currency
    account.price_id = entitlement.price_id
    account.renewal_amount = entitlement.renewal_amount
    account.current_period_start = entitlement.period_start
    account.current_period_end = entitlement.period_end
    account.cancel_at_period_end = entitlement.cancel_at_period_end
    account.pending_package_slug = entitlement.pending_package_slug
    account.pending_change_at = entitlement.pending_change_at
    account.past_due_since = entitlement.past_due_since
    account.last_reconciled_at = now


def open_history_row(business_id: uuid.UUID) -> SubscriptionHistory | None:
    return db.session.scalar(
        select(SubscriptionHistory)
        .where(SubscriptionHistory.business_id == business_id, SubscriptionHistory.ended_at.is_(None))
        .order_by(SubscriptionHistory.started_at.desc())
        .limit(1)
    )


def _record_history(business: Business, entitlement: Entitlement, subscription: dict, now: datetime) -> str | None:
    new_state = lifecycle.history_state(entitlement)
    if new_state is None:
        return None
    current = open_history_row(business.id)
    previous = (
        HistoryState(
            subscription_id=current.stripe_subscription_id,
            package_slug=current.package_slug,
            unit_amount=current.unit_amount,
            status=current.status,
            cancel_at_period_end=current.cancel_at_period_end,
        )
        if current
        else None
    )
    reason = lifecycle.change_reason(previous, new_state, entitlement.cancellation_reason)
    if reason is None:
        return None
    changed_at = now
    # Stripe knows better than our clock when a subscription started or ended;
    # capped at now because a test clock may run ahead of the wall clock.
    if reason == "subscribed":
        changed_at = min(from_timestamp(subscription.get("start_date")) or now, now)
    elif new_state.status == BillingStatus.CANCELLED:
        changed_at = min(from_timestamp(subscription.get("ended_at")) or now, now)
    if current is not None:
        changed_at = max(changed_at, current.started_at)
        current.ended_at = changed_at
    db.session.add(
        SubscriptionHistory(
            business_id=business.id,
            stripe_subscription_id=new_state.subscription_id,
            package_slug=new_state.package_slug,
            unit_amount=new_state.unit_amount,
            currency=entitlement.currency or "usd",
            status=new_state.status,
            cancel_at_period_end=new_state.cancel_at_period_end,
            started_at=changed_at,
            reason=reason,
        )
    )
    from app.admin.metrics.snapshots import queue_rebuild_if_closed
    from app.audit.services import current_actor, record

    # Stripe's start or end date can fall in a month the console has already snapshotted.
    queue_rebuild_if_closed(changed_at)
    # Owner actions (checkout return, change, cancel, resume) carry the owner; webhooks are the system.
    record(f"billing.{reason}", business=business, actor=current_actor(), target_type="subscription",
           target_id=new_state.subscription_id, target_label=new_state.package_slug,
           before={"package": previous.package_slug, "status": previous.status,
                   "ends_at_period_end": previous.cancel_at_period_end} if previous else None,
           after={"package": new_state.package_slug, "status": new_state.status,
                  "ends_at_period_end": new_state.cancel_at_period_end})
    db.session.flush()
    return reason


def _sync_fourcalls(business: Business, entitlement: Entitlement, reason: str | None) -> None:
    from app.assistant import provisioning

    db.session.refresh(business)
    integration = business.integration
    actions = lifecycle.provisioning_actions(
        integration.status if integration else None,
        integration.service_package if integration else None,
        entitlement,
    )
    why = lifecycle.plain_reason(reason or entitlement.status, entitlement.package_slug)
    for action in actions:
        if action == lifecycle.ACTIVATE:
            provisioning.activate_package(business, entitlement.package_slug, why)
        elif action == lifecycle.RESUME:
            provisioning.resume(business)
        elif action == lifecycle.CHANGE_PACKAGE:
            provisioning.change_package(business, entitlement.package_slug)
        elif action == lifecycle.SUSPEND:
            provisioning.suspend(business, why)
        elif action == lifecycle.CANCEL:
            provisioning.cancel(business, why)
        elif action in (lifecycle.MARK_PAST_DUE, lifecycle.CLEAR_PAST_DUE):
            # Service continues either way, so only the label changes and 4calls
            # needs no call. A sync in flight owns the status; leave it alone.
            _relabel_past_due(business, past_due=action == lifecycle.MARK_PAST_DUE)


def _relabel_past_due(business: Business, past_due: bool) -> None:
    from app.models import IntegrationStatus

    db.session.refresh(business)
    integration = business.integration
    if integration is None:
        return
    if past_due and integration.status == IntegrationStatus.ACTIVE:
        integration.status = IntegrationStatus.PAST_DUE
        integration.status_reason = "Payment failed; service continues during the grace period"
    elif not past_due and integration.status == IntegrationStatus.PAST_DUE:
        integration.status = IntegrationStatus.ACTIVE
        integration.status_reason = None


def _cancel_duplicate(entitlement: Entitlement) -> str:
    """A second live subscription for a business that already has one (two
    checkouts paid at once): end the newcomer now rather than bill twice."""
    current_app.logger.warning(
        "Cancelling duplicate Stripe subscription %s of customer %s", entitlement.subscription_id, entitlement.customer_id
    )
    with translated_errors():
        client().v1.subscriptions.cancel(entitlement.subscription_id, params={"prorate": True})
    return "duplicate_cancelled"
