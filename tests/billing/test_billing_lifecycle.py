"""The subscription lifecycle rules, as pure functions (no database, no Stripe)."""
from datetime import datetime, timedelta, timezone

import pytest

from app.billing import lifecycle
from app.billing.lifecycle import HistoryState, change_reason, entitlement_from_subscription, provisioning_actions
from app.billing.prices import lookup_key, package_for_price
from app.models.billing import BillingStatus

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)
GRACE = timedelta(days=7)
PERIOD_START = datetime(2026, 11, 10, tzinfo=timezone.utc)
PERIOD_END = datetime(2026, 12, 10, tzinfo=timezone.utc)
AMOUNTS = {"ai_receptionist": 4900, "ai_sales": 9900, "ai_business_suite": 19900, "ai_enterprise": 39900}


def ts(moment: datetime) -> int:
    return int(moment.timestamp())


def subscription(status="active", package="ai_receptionist", metadata=None, start=PERIOD_START, end=PERIOD_END,
                 latest_invoice=None, cancel_at_period_end=False, **extra):
    price = {
        "id": f"price_{package}",
        "object": "price",
        "unit_amount": AMOUNTS[package],
        "currency": "usd",
        "lookup_key": lookup_key(package),
        "metadata": {"package": package},
        "recurring": {"interval": "month", "interval_count": 1},
    }
    return {
        "id": "sub_1",
        "object": "subscription",
        "customer": "cus_1",
        "status": status,
        "metadata": {"business_id": "b-1", **(metadata or {})},
        "cancel_at_period_end": cancel_at_period_end,
        "cancel_at": ts(end) if cancel_at_period_end else None,
        "cancellation_details": {"reason": extra.pop("cancellation_reason", None)},
        "latest_invoice": latest_invoice,
        "items": {"object": "list", "data": [
            {"id": "si_1", "price": price, "quantity": 1,
             "current_period_start": ts(start), "current_period_end": ts(end)},
        ]},
        **extra,
    }


@pytest.mark.parametrize("stripe_status, expected", [
    ("incomplete", BillingStatus.NONE),
    ("incomplete_expired", BillingStatus.NONE),
    ("active", BillingStatus.ACTIVE),
    ("trialing", BillingStatus.ACTIVE),
    ("past_due", BillingStatus.PAST_DUE),
    ("unpaid", BillingStatus.SUSPENDED),
    ("paused", BillingStatus.SUSPENDED),
    ("canceled", BillingStatus.CANCELLED),
])
def test_stripe_status_maps_to_billing_status(stripe_status, expected):
    entitlement = entitlement_from_subscription(subscription(stripe_status), NOW, GRACE)
    assert entitlement.status == expected
    assert entitlement.grants_service == (expected in (BillingStatus.ACTIVE, BillingStatus.PAST_DUE))


def test_entitlement_reads_package_amount_and_period_from_the_item():
    entitlement = entitlement_from_subscription(subscription(package="ai_sales"), NOW, GRACE)
    assert (entitlement.package_slug, entitlement.unit_amount, entitlement.renewal_amount) == ("ai_sales", 9900, 9900)
    assert (entitlement.period_start, entitlement.period_end) == (PERIOD_START, PERIOD_END)
    assert (entitlement.subscription_id, entitlement.customer_id, entitlement.business_id) == ("sub_1", "cus_1", "b-1")


def test_past_due_keeps_service_through_the_grace_period_then_suspends():
    failed_at = NOW - timedelta(days=3)
    invoice = {"id": "in_1", "status": "open", "created": ts(failed_at), "status_transitions": {"finalized_at": ts(failed_at)}}
    fresh = entitlement_from_subscription(subscription("past_due", latest_invoice=invoice), NOW, GRACE)
    assert fresh.status == BillingStatus.PAST_DUE and fresh.past_due_since == failed_at
    assert fresh.grace_ends_at(GRACE) == failed_at + GRACE

    later = entitlement_from_subscription(subscription("past_due", latest_invoice=invoice), failed_at + GRACE, GRACE)
    assert later.status == BillingStatus.SUSPENDED and not later.grants_service


def test_past_due_since_we_first_saw_it_wins_over_the_invoice_time():
    invoice = {"id": "in_1", "status": "open", "created": ts(NOW), "status_transitions": {"finalized_at": ts(NOW)}}
    known = NOW - timedelta(days=8)
    entitlement = entitlement_from_subscription(subscription("past_due", latest_invoice=invoice), NOW, GRACE, known)
    assert entitlement.status == BillingStatus.SUSPENDED and entitlement.past_due_since == known


def test_past_due_without_invoice_details_starts_the_grace_period_now():
    entitlement = entitlement_from_subscription(subscription("past_due", latest_invoice="in_1"), NOW, GRACE)
    assert entitlement.past_due_since == NOW and entitlement.status == BillingStatus.PAST_DUE


DOWNGRADE = {
    "entitled_package": "ai_business_suite",
    "entitled_amount": "19900",
    "downgrade_to": "ai_receptionist",
    "downgrade_at": str(ts(PERIOD_END)),
}


def test_a_scheduled_downgrade_keeps_the_paid_package_until_the_period_ends():
    entitlement = entitlement_from_subscription(subscription(package="ai_receptionist", metadata=DOWNGRADE), NOW, GRACE)
    assert entitlement.package_slug == "ai_business_suite" and entitlement.unit_amount == 19900
    assert entitlement.pending_package_slug == "ai_receptionist" and entitlement.pending_change_at == PERIOD_END
    assert entitlement.renewal_amount == 4900 and entitlement.price_id == "price_ai_receptionist"


def test_a_scheduled_downgrade_applies_at_the_renewal_even_before_the_wall_clock_gets_there():
    renewed = subscription(package="ai_receptionist", metadata=DOWNGRADE, start=PERIOD_END, end=PERIOD_END + timedelta(days=31))
    entitlement = entitlement_from_subscription(renewed, NOW, GRACE)
    assert entitlement.package_slug == "ai_receptionist" and entitlement.unit_amount == 4900
    assert entitlement.pending_package_slug is None


def test_no_higher_allowance_after_the_downgrade_date_even_without_a_renewal_event():
    entitlement = entitlement_from_subscription(
        subscription(package="ai_receptionist", metadata=DOWNGRADE), PERIOD_END + timedelta(seconds=1), GRACE
    )
    assert entitlement.package_slug == "ai_receptionist"


def test_a_switch_made_elsewhere_applies_at_once():
    # The Customer Portal moved the price to a package other than the scheduled one.
    entitlement = entitlement_from_subscription(subscription(package="ai_sales", metadata=DOWNGRADE), NOW, GRACE)
    assert entitlement.package_slug == "ai_sales" and entitlement.pending_package_slug is None


def test_cancel_at_period_end_keeps_the_package_and_hides_a_pending_downgrade():
    entitlement = entitlement_from_subscription(
        subscription(package="ai_receptionist", metadata=DOWNGRADE, cancel_at_period_end=True), NOW, GRACE
    )
    assert entitlement.status == BillingStatus.ACTIVE and entitlement.cancel_at_period_end
    assert entitlement.package_slug == "ai_business_suite" and entitlement.pending_package_slug is None


def test_old_api_versions_with_the_period_on_the_subscription_still_work():
    old = subscription()
    for item in old["items"]["data"]:
        del item["current_period_start"], item["current_period_end"]
    old.update(current_period_start=ts(PERIOD_START), current_period_end=ts(PERIOD_END))
    assert entitlement_from_subscription(old, NOW, GRACE).period_end == PERIOD_END


def state(package="ai_receptionist", status=BillingStatus.ACTIVE, amount=4900, cancel=False, subscription_id="sub_1"):
    return HistoryState(subscription_id, package, amount, status, cancel)


@pytest.mark.parametrize("previous, new, expected", [
    (None, state(), "subscribed"),
    (state(status=BillingStatus.CANCELLED), state(subscription_id="sub_2"), "subscribed"),
    (state(), state(), None),
    (state(), state("ai_business_suite", amount=19900), "upgraded"),
    (state("ai_enterprise", amount=39900), state("ai_sales", amount=9900), "downgraded"),
    (state(), state(status=BillingStatus.PAST_DUE), "payment_failed"),
    (state(status=BillingStatus.PAST_DUE), state(), "payment_recovered"),
    (state(status=BillingStatus.PAST_DUE), state(status=BillingStatus.SUSPENDED), "grace_period_ended"),
    (state(status=BillingStatus.SUSPENDED), state(), "reactivated"),
    (state(), state(cancel=True), "cancellation_scheduled"),
    (state(cancel=True), state(), "cancellation_withdrawn"),
    (state(cancel=True), state(status=BillingStatus.CANCELLED), "cancelled"),
    (state(), state(amount=5900), "price_changed"),
])
def test_change_reasons(previous, new, expected):
    assert change_reason(previous, new) == expected


def test_cancellation_after_failed_payments_is_told_apart():
    assert change_reason(state(status=BillingStatus.SUSPENDED), state(status=BillingStatus.CANCELLED), "payment_failed") == (
        "cancelled_after_failed_payment"
    )


def test_unpaid_checkout_makes_no_history():
    assert lifecycle.history_state(entitlement_from_subscription(subscription("incomplete"), NOW, GRACE)) is None


@pytest.mark.parametrize("integration_status, integration_package, stripe_status, package, expected", [
    (None, None, "active", "ai_receptionist", ["activate"]),
    ("cancelled", "ai_sales", "active", "ai_receptionist", ["activate"]),
    ("active", "ai_receptionist", "active", "ai_receptionist", []),
    ("provisioning", "ai_receptionist", "active", "ai_receptionist", []),
    ("active", "ai_receptionist", "active", "ai_business_suite", ["change_package"]),
    ("active", "ai_receptionist", "past_due", "ai_receptionist", ["mark_past_due"]),
    ("past_due", "ai_receptionist", "active", "ai_receptionist", ["clear_past_due"]),
    ("active", "ai_receptionist", "unpaid", "ai_receptionist", ["suspend"]),
    ("suspended", "ai_receptionist", "unpaid", "ai_receptionist", []),
    ("suspended", "ai_receptionist", "active", "ai_sales", ["resume", "change_package"]),
    ("active", "ai_receptionist", "canceled", "ai_receptionist", ["cancel"]),
    ("cancelled", "ai_receptionist", "canceled", "ai_receptionist", []),
    (None, None, "canceled", "ai_receptionist", []),
    (None, None, "incomplete", "ai_receptionist", []),
])
def test_provisioning_actions(integration_status, integration_package, stripe_status, package, expected):
    entitlement = entitlement_from_subscription(subscription(stripe_status, package=package), NOW, GRACE)
    assert provisioning_actions(integration_status, integration_package, entitlement) == expected


def test_price_to_package_by_metadata_then_lookup_key():
    assert package_for_price({"metadata": {"package": "ai_sales"}, "lookup_key": None}) == "ai_sales"
    # A price whose lookup key moved on to a newer price still names its package in metadata.
    assert package_for_price({"metadata": {}, "lookup_key": "alphasite_ai_enterprise_monthly"}) == "ai_enterprise"
    assert package_for_price({"metadata": {"package": "gold"}, "lookup_key": "other_monthly"}) is None
