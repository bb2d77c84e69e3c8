"""Billing against the Stripe sandbox over HTTP: catalog, checkout, webhooks, plan changes, dunning.

The sandbox runs without a webhook URL here; each test fetches the events it
caused from the sandbox's event log and posts them, signed, to the app, so
it decides the order (and duplicates). tests/browser/test_billing_checkout.py
covers the sandbox delivering webhooks to a live server by itself.
"""
from __future__ import annotations

import html
import random
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.billing import health, prices
from app.billing.jobs import apply_due_billing_changes
from app.extensions import db
from app.models import Coordinator, CoordinatorStatus, FourCallsIntegration, WebhookEvent
from app.models.billing import BillingAccount, BillingInvoice, SubscriptionHistory
from sandbox.fourcalls.testing import running_fourcalls
from sandbox.stripe.testing import SandboxRequestError, running_stripe
from tests.billing_helpers import (
    DECLINED_CARD,
    FAILS_LATER_CARD,
    TEST_CARD,
    checkout_session_id,
    events_for,
    post_event,
    signature,
)


@pytest.fixture(scope="module")
def stripe_sandbox(tmp_path_factory):
    with running_stripe(tmp_path_factory.mktemp("stripe-billing")) as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def fourcalls_sandbox(tmp_path_factory):
    with running_fourcalls(tmp_path_factory.mktemp("fourcalls-billing")) as sandbox:
        yield sandbox


@pytest.fixture
def billing(app, client, stripe_sandbox, fourcalls_sandbox, run_jobs):
    saved = {name: app.config[name] for name in ("STRIPE_API_BASE", "FOURCALLS_API_URL")}
    app.config.update(STRIPE_API_BASE=stripe_sandbox.url, FOURCALLS_API_URL=fourcalls_sandbox.url)
    prices.forget_cached_prices()
    health.forget()
    yield Flow(client, stripe_sandbox, run_jobs)
    stripe_sandbox.clear_faults()
    app.config.update(saved)
    prices.forget_cached_prices()
    health.forget()


class Flow:
    """An owner's billing actions through the app, and Stripe's side through the sandbox."""

    def __init__(self, client, sandbox, run_jobs):
        self.client = client
        self.sandbox = sandbox
        self.run_jobs = run_jobs

    def checkout(self, business, package="ai_receptionist"):
        return self.client.post(f"/businesses/{business.slug}/billing/checkout", data={"package": package})

    def subscribe(self, business, package="ai_receptionist", card=TEST_CARD) -> str:
        response = self.checkout(business, package)
        assert response.status_code == 303, page_text(response)
        paid = self.sandbox.pay(checkout_session_id(response.headers["Location"]), card=card)
        subscription_id = paid["session"]["subscription"]
        self.deliver(subscription_id)
        return subscription_id

    def deliver(self, subscription_id, shuffle_with: random.Random | None = None, times: int = 1) -> list[dict]:
        events = events_for(self.sandbox, subscription_id)
        if shuffle_with is not None:
            shuffle_with.shuffle(events)
        for event in events:
            for _ in range(times):
                assert post_event(self.client, event).status_code == 200
        self.run_jobs()
        return events

    def change(self, business, package):
        return self.client.post(f"/businesses/{business.slug}/billing/change", data={"package": package})


def page_text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def account_of(business) -> BillingAccount:
    db.session.expire_all()
    return db.session.scalar(select(BillingAccount).where(BillingAccount.business_id == business.id))


def history_of(business) -> list[tuple]:
    rows = db.session.scalars(
        select(SubscriptionHistory).where(SubscriptionHistory.business_id == business.id)
        .order_by(SubscriptionHistory.started_at, SubscriptionHistory.created_at)
    ).all()
    return [(r.reason, r.package_slug, r.status, r.unit_amount, r.ended_at is None) for r in rows]


def integration_of(business) -> FourCallsIntegration:
    db.session.expire_all()
    return db.session.scalar(select(FourCallsIntegration).where(FourCallsIntegration.business_id == business.id))


def coordinator_count(business) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Coordinator)
        .where(Coordinator.business_id == business.id, Coordinator.status.in_(CoordinatorStatus.LIVE))
    )


@pytest.fixture
def shop(factories, logged_in_owner):
    return factories.business(owner=logged_in_owner, name="Studio Shear")


# --- Catalog ---------------------------------------------------------------------------------


def test_prices_are_found_or_created_by_lookup_key(app, billing):
    first = prices.catalog_prices(force=True)
    again = prices.catalog_prices(force=True)
    assert {slug: p["id"] for slug, p in first.items()} == {slug: p["id"] for slug, p in again.items()}
    assert {slug: p["unit_amount"] for slug, p in first.items()} == {
        "ai_receptionist": 4900, "ai_sales": 9900, "ai_business_suite": 19900, "ai_enterprise": 39900,
    }
    assert all(p["lookup_key"] == f"alphasite_{slug}_monthly" and p["recurring"]["interval"] == "month" for slug, p in first.items())

    app.config["AI_SALES_PRICE"] = "109.00"
    try:
        changed = prices.catalog_prices(force=True)
    finally:
        app.config["AI_SALES_PRICE"] = "99.00"
    assert changed["ai_sales"]["id"] != first["ai_sales"]["id"] and changed["ai_sales"]["unit_amount"] == 10900
    assert changed["ai_sales"]["product"] == first["ai_sales"]["product"]
    assert billing.sandbox.client().v1.prices.retrieve(first["ai_sales"]["id"]).lookup_key is None
    assert changed["ai_enterprise"]["id"] == first["ai_enterprise"]["id"]
    # Back at 99.00, a fresh price takes the lookup key again rather than an idempotent replay of the old one.
    restored = prices.catalog_prices(force=True)
    assert restored["ai_sales"]["unit_amount"] == 9900 and restored["ai_sales"]["lookup_key"] == "alphasite_ai_sales_monthly"

    listing = app.test_cli_runner().invoke(args=["billing", "sync-prices"])
    assert listing.exit_code == 0 and f"ai_sales: {restored['ai_sales']['id']} 99.00 USD/month" in listing.output


# --- Checkout ---------------------------------------------------------------------------------


def test_choose_creates_a_checkout_session_for_the_business(billing, shop):
    response = billing.checkout(shop, "ai_sales")
    assert response.status_code == 303
    location = response.headers["Location"]
    assert location.startswith(billing.sandbox.url + "/c/pay/cs_")
    session = billing.sandbox.client().v1.checkout.sessions.retrieve(checkout_session_id(location)).to_dict()
    account = account_of(shop)
    assert session["customer"] == account.stripe_customer_id and session["mode"] == "subscription"
    assert session["client_reference_id"] == f"{shop.id}:ai_sales"
    assert session["metadata"] == {"business_id": str(shop.id), "business_slug": shop.slug, "package": "ai_sales"}
    assert session["success_url"].endswith(f"/businesses/{shop.slug}/billing/success?session_id={{CHECKOUT_SESSION_ID}}")
    assert session["amount_total"] == 9900

    # A second click reuses the customer and, within minutes, the very same session.
    again = billing.checkout(shop, "ai_sales")
    assert again.headers["Location"] == location
    other = billing.checkout(shop, "ai_enterprise")
    other_session = billing.sandbox.client().v1.checkout.sessions.retrieve(checkout_session_id(other.headers["Location"]))
    assert other_session.customer == account.stripe_customer_id and other_session.id != session["id"]


def test_only_the_latest_checkout_can_be_paid(billing, shop):
    first = checkout_session_id(billing.checkout(shop, "ai_receptionist").headers["Location"])
    second = checkout_session_id(billing.checkout(shop, "ai_sales").headers["Location"])
    sessions = billing.sandbox.client().v1.checkout.sessions
    assert (sessions.retrieve(first).status, sessions.retrieve(second).status) == ("expired", "open")
    with pytest.raises(SandboxRequestError):
        billing.sandbox.pay(first, card=TEST_CARD)
    # Back to the first package: a fresh session, not a replay of the expired one.
    third = checkout_session_id(billing.checkout(shop, "ai_receptionist").headers["Location"])
    assert third not in (first, second)
    assert (sessions.retrieve(second).status, sessions.retrieve(third).status) == ("expired", "open")


def test_simultaneous_clicks_share_one_session_through_the_idempotency_key(billing, shop):
    from app.billing import services

    account = services._ensure_customer(shop)
    price = prices.price_for("ai_sales")
    first = services._create_session(shop, account, "ai_sales", price, [])
    second = services._create_session(shop, account, "ai_sales", price, [])
    assert first["id"] == second["id"]


def test_a_second_live_subscription_is_cancelled_not_billed_twice(billing, shop):
    first = billing.subscribe(shop, "ai_receptionist")
    # A checkout made outside the app for the same business and customer.
    stray = billing.sandbox.client().v1.checkout.sessions.create(params={
        "mode": "subscription", "customer": account_of(shop).stripe_customer_id,
        "line_items": [{"price": prices.price_for("ai_enterprise")["id"], "quantity": 1}],
        "success_url": "http://localhost/done", "subscription_data": {"metadata": {"business_id": str(shop.id)}},
    })
    second = billing.sandbox.pay(stray.id, card=TEST_CARD)["session"]["subscription"]
    billing.deliver(second)
    assert billing.sandbox.client().v1.subscriptions.retrieve(second).status == "canceled"
    account = account_of(shop)
    assert (account.stripe_subscription_id, account.package_slug, account.status) == (first, "ai_receptionist", "active")
    assert [row[0] for row in history_of(shop)] == ["subscribed"]


def test_unknown_package_is_refused_and_creates_nothing(billing, shop, client):
    response = billing.checkout(shop, "ai_platinum")
    assert response.status_code == 422
    assert "Choose one of the listed packages" in page_text(response)
    assert account_of(shop) is None


def test_stripe_down_at_checkout_says_so_and_changes_nothing(billing, shop):
    billing.sandbox.set_faults(error_rate=1.0)
    response = billing.checkout(shop, "ai_receptionist")
    assert response.status_code == 503
    assert "reach our payment provider right now" in page_text(response)
    assert integration_of(shop) is None


def test_cancelled_checkout_returns_to_the_picker_with_a_message(billing, shop, client):
    response = billing.checkout(shop, "ai_receptionist")
    session_id = checkout_session_id(response.headers["Location"])
    session = billing.sandbox.client().v1.checkout.sessions.retrieve(session_id)
    back = client.get(session.cancel_url.replace("http://localhost", ""), follow_redirects=True)
    assert back.request.path == f"/businesses/{shop.slug}/packages"
    assert "Checkout cancelled: you weren't charged and AI Receptionist wasn't activated" in page_text(back)


def test_a_declined_card_creates_nothing(billing, shop):
    response = billing.checkout(shop, "ai_receptionist")
    with pytest.raises(SandboxRequestError) as declined:
        billing.sandbox.pay(checkout_session_id(response.headers["Location"]), card=DECLINED_CARD)
    assert declined.value.status == 402
    billing.run_jobs()
    assert account_of(shop).status == "none" and integration_of(shop) is None and history_of(shop) == []


def test_paid_checkout_activates_the_package_and_provisions_the_assistant(billing, shop, client):
    response = billing.checkout(shop, "ai_receptionist")
    session_id = checkout_session_id(response.headers["Location"])
    billing.sandbox.pay(session_id, card=TEST_CARD)

    waiting = client.get(f"/businesses/{shop.slug}/billing/success?session_id={session_id}", headers={"HX-Request": "true"})
    assert "Activating your subscription" in page_text(waiting)
    assert 'hx-trigger="every 1s"' in page_text(waiting)

    subscription_id = billing.sandbox.client().v1.checkout.sessions.retrieve(session_id).subscription
    billing.deliver(subscription_id)
    account = account_of(shop)
    assert (account.status, account.package_slug, account.stripe_subscription_id) == ("active", "ai_receptionist", subscription_id)
    assert account.current_period_end is not None and account.renewal_amount == 4900
    assert history_of(shop) == [("subscribed", "ai_receptionist", "active", 4900, True)]
    integration = integration_of(shop)
    assert (integration.status, integration.service_package) == ("active", "ai_receptionist")
    assert coordinator_count(shop) == 1

    done = client.get(f"/businesses/{shop.slug}/billing/success?session_id={session_id}", headers={"HX-Request": "true"})
    body = page_text(done)
    assert "You're all set" in body and "AI assistant ready" in body and "every 1s" not in body
    assert db.session.scalar(select(func.count()).select_from(BillingInvoice).where(BillingInvoice.business_id == shop.id)) == 1


def test_success_page_of_another_business_is_404(billing, shop, factories, client):
    response = billing.checkout(shop, "ai_receptionist")
    session_id = checkout_session_id(response.headers["Location"])
    mine = factories.business(owner=shop.owner, name="Second Shop")
    assert client.get(f"/businesses/{mine.slug}/billing/success?session_id={session_id}").status_code == 404
    assert client.get(f"/businesses/{shop.slug}/billing/success?session_id=cs_test_unknown").status_code == 404


def test_choosing_a_package_while_subscribed_goes_to_the_plan_change(billing, shop):
    billing.subscribe(shop, "ai_receptionist")
    response = billing.checkout(shop, "ai_business_suite")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/businesses/{shop.slug}/billing/change?package=ai_business_suite")
    listed = billing.sandbox.client().v1.subscriptions.list(params={"customer": account_of(shop).stripe_customer_id})
    assert len(listed.data) == 1


def test_checkout_paid_but_not_yet_announced_is_adopted_not_duplicated(billing, shop):
    response = billing.checkout(shop, "ai_receptionist")
    billing.sandbox.pay(checkout_session_id(response.headers["Location"]), card=TEST_CARD)
    # No webhook processed yet: choosing again must not start a second subscription.
    again = billing.checkout(shop, "ai_sales")
    assert "/billing/change?package=ai_sales" in again.headers["Location"]
    assert account_of(shop).status == "active"


# --- Webhooks ---------------------------------------------------------------------------------


def test_webhook_with_a_bad_signature_is_rejected(billing, client):
    event = {"id": "evt_forged", "object": "event", "type": "customer.subscription.deleted",
             "data": {"object": {"id": "sub_x", "object": "subscription"}}}
    response = post_event(client, event, secret="whsec_not_ours")
    assert response.status_code == 400 and response.is_json
    assert "Signature verification failed" in response.get_json()["error"]["message"]
    unsigned = client.post("/webhooks/stripe", data="{}", headers={"Content-Type": "application/json"})
    assert unsigned.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(WebhookEvent)) == 0


def test_a_signed_body_that_is_not_a_json_event_is_refused(billing, client):
    headers = {"Content-Type": "application/json"}
    event = '{"id": "evt_odd", "type": "invoice.paid", "data": {"object": {"total": %s}}}'
    for body, refusal in (("not json", "not a JSON event"), ("[1, 2]", "not a Stripe event"),
                          ('{"type": "invoice.paid"}', "not a Stripe event"),
                          # JSON to Python, but not to jsonb: each was a 500 at the INSERT on PostgreSQL
                          (event % "NaN", "not a JSON event"), (event % "1e999", "not a JSON event"),
                          (event % '"\\ud800"', "not a JSON event")):
        response = client.post("/webhooks/stripe", data=body, headers={**headers, "Stripe-Signature": signature(body)})
        assert response.status_code == 400 and refusal in response.get_json()["error"]["message"], body
    # Stripe signs text: a body that is not UTF-8 is refused before any signature is checked.
    not_utf8 = client.post("/webhooks/stripe", data=b"\xff\xfe{}", headers={**headers, "Stripe-Signature": signature("{}")})
    assert not_utf8.status_code == 400 and "not a JSON event" in not_utf8.get_json()["error"]["message"]
    assert db.session.scalar(select(func.count()).select_from(WebhookEvent)) == 0


def test_an_event_about_a_subscription_stripe_does_not_know_is_settled_not_retried(billing, client):
    event = {"id": "evt_ghost", "object": "event", "type": "customer.subscription.updated",
             "data": {"object": {"id": "sub_ghost", "object": "subscription", "customer": "cus_ghost", "metadata": {}}}}
    assert post_event(client, event).get_json()["result"] == "queued"
    billing.run_jobs()
    row = db.session.scalar(select(WebhookEvent).where(WebhookEvent.event_id == "evt_ghost"))
    assert row.processed_at is not None and row.outcome == "stripe_rejected" and row.attempts == 1
    assert "sub_ghost" in row.error


def test_webhook_signed_ten_minutes_ago_is_rejected(billing, client, shop):
    subscription_id = billing.subscribe(shop)
    event = events_for(billing.sandbox, subscription_id)[-1]
    stale = post_event(client, event, timestamp=int(time.time()) - 600)
    assert stale.status_code == 400
    assert "Timestamp outside the tolerance zone" in stale.get_json()["error"]["message"]


def test_the_same_event_twenty_times_has_one_effect(billing, shop, client):
    response = billing.checkout(shop, "ai_receptionist")
    paid = billing.sandbox.pay(checkout_session_id(response.headers["Location"]), card=TEST_CARD)
    completed = [e for e in events_for(billing.sandbox, paid["session"]["subscription"]) if e["type"] == "checkout.session.completed"]
    assert len(completed) == 1
    results = [post_event(client, completed[0]).get_json()["result"] for _ in range(20)]
    assert results == ["queued"] + ["duplicate"] * 19
    billing.run_jobs()
    assert db.session.scalar(select(func.count()).select_from(WebhookEvent).where(WebhookEvent.source == "stripe")) == 1
    assert history_of(shop) == [("subscribed", "ai_receptionist", "active", 4900, True)]
    # Provisioning was asked once: one change version, one coordinator.
    integration = integration_of(shop)
    assert integration.desired_version == 1 and integration.status == "active"
    assert coordinator_count(shop) == 1


def _story_steps(billing, business):
    """Subscribe, upgrade, downgrade (as the portal does, at once), renew, cancel at period end,
    reach the end: each step is what Stripe does, one after the other."""
    stripe_client = billing.sandbox.client()
    catalog = prices.catalog_prices()
    state = {}

    def subscribe():
        response = billing.checkout(business, "ai_receptionist")
        paid = billing.sandbox.pay(checkout_session_id(response.headers["Location"]), card=TEST_CARD)
        state["subscription"] = paid["session"]["subscription"]
        state["item"] = stripe_client.v1.subscriptions.retrieve(state["subscription"]).items.data[0].id

    def switch(package, proration):
        return lambda: stripe_client.v1.subscriptions.update(state["subscription"], params={
            "items": [{"id": state["item"], "price": catalog[package]["id"]}], "proration_behavior": proration})

    return state, [
        subscribe,
        switch("ai_enterprise", "always_invoice"),
        switch("ai_sales", "create_prorations"),
        lambda: billing.sandbox.advance(state["subscription"]),
        lambda: stripe_client.v1.subscriptions.update(state["subscription"], params={"cancel_at_period_end": True}),
        lambda: billing.sandbox.advance(state["subscription"]),
    ]


def _deliver(billing, events):
    for event in events:
        assert post_event(billing.client, event).status_code == 200
    billing.run_jobs()


def _final_state(business) -> tuple:
    account = account_of(business)
    integration = integration_of(business)
    return (account.status, account.stripe_status, account.package_slug, account.cancel_at_period_end,
            integration.status, integration.service_package, history_of(business)[-1][:3])


@pytest.mark.parametrize("seed", [7, 2026])
def test_shuffled_events_end_in_the_same_state_as_ordered_ones(billing, factories, logged_in_owner, seed):
    ordered_shop = factories.business(owner=logged_in_owner, name="In Order")
    state, steps = _story_steps(billing, ordered_shop)
    seen = set()
    for step in steps:
        step()
        fresh = [e for e in events_for(billing.sandbox, state["subscription"]) if e["id"] not in seen]
        seen.update(e["id"] for e in fresh)
        _deliver(billing, fresh)
    assert len(seen) >= 10
    expected = _final_state(ordered_shop)
    assert expected == ("cancelled", "canceled", "ai_sales", False, "cancelled", "ai_sales",
                        ("cancelled", "ai_sales", "cancelled"))

    # The same story for another business; its events arrive late, some much later, in random order and twice.
    shuffled_shop = factories.business(owner=logged_in_owner, name="Shuffled")
    rng = random.Random(seed)
    state, steps = _story_steps(billing, shuffled_shop)
    seen, held_back, delivered = set(), [], []
    for step in steps:
        step()
        fresh = [e for e in events_for(billing.sandbox, state["subscription"]) if e["id"] not in seen]
        seen.update(e["id"] for e in fresh)
        held_back += fresh
        rng.shuffle(held_back)
        now = held_back[: rng.randint(1, len(held_back))]
        held_back = held_back[len(now):]
        delivered += now
        _deliver(billing, now)
    rng.shuffle(held_back)
    _deliver(billing, held_back + rng.sample(delivered, k=min(5, len(delivered))))
    assert _final_state(shuffled_shop) == expected


def test_an_old_event_after_cancellation_does_not_revive_the_subscription(billing, shop, client):
    subscription_id = billing.subscribe(shop)
    created = events_for(billing.sandbox, subscription_id)[0]
    billing.sandbox.client().v1.subscriptions.cancel(subscription_id)
    billing.deliver(subscription_id)
    assert account_of(shop).status == "cancelled"
    db.session.execute(WebhookEvent.__table__.delete())
    db.session.commit()
    assert post_event(client, created).status_code == 200
    billing.run_jobs()
    assert account_of(shop).status == "cancelled" and integration_of(shop).status == "cancelled"


# --- Plan changes -----------------------------------------------------------------------------


def test_upgrade_applies_at_once_prorated_and_adds_a_coordinator(billing, shop, client):
    subscription_id = billing.subscribe(shop, "ai_receptionist")
    confirm = client.get(f"/businesses/{shop.slug}/billing/change?package=ai_business_suite")
    assert "Upgrade to AI Business Suite?" in page_text(confirm)

    response = billing.change(shop, "ai_business_suite")
    assert response.status_code == 303
    account = account_of(shop)
    assert account.package_slug == "ai_business_suite" and account.renewal_amount == 19900
    invoices = billing.sandbox.client().v1.invoices.list(params={"subscription": subscription_id}).data
    proration = [i for i in invoices if i.billing_reason == "subscription_update"]
    assert len(proration) == 1 and proration[0].status == "paid"
    assert 0 < proration[0].amount_paid <= 19900 - 4900
    assert integration_of(shop).service_package == "ai_business_suite"

    billing.deliver(subscription_id)
    billing.run_jobs()
    assert coordinator_count(shop) == 2 and integration_of(shop).status == "active"
    assert [row[:2] for row in history_of(shop)] == [("subscribed", "ai_receptionist"), ("upgraded", "ai_business_suite")]


def test_downgrade_waits_for_the_renewal_and_then_lowers_the_allowance(billing, shop, client):
    subscription_id = billing.subscribe(shop, "ai_business_suite")
    page = page_text(client.get(f"/businesses/{shop.slug}/billing/change?package=ai_receptionist"))
    assert "It starts at your next renewal" in page

    assert billing.change(shop, "ai_receptionist").status_code == 303
    account = account_of(shop)
    assert account.package_slug == "ai_business_suite" and account.pending_package_slug == "ai_receptionist"
    assert account.pending_change_at == account.current_period_end and account.renewal_amount == 4900
    invoices = billing.sandbox.client().v1.invoices.list(params={"subscription": subscription_id}).data
    assert [i.billing_reason for i in invoices] == ["subscription_create"], "no proration for a downgrade"
    billing.deliver(subscription_id)
    assert integration_of(shop).service_package == "ai_business_suite"
    assert "Changes to AI Receptionist on" in page_text(client.get(f"/businesses/{shop.slug}/billing"))

    renewal = billing.sandbox.advance(subscription_id)
    assert renewal["latest_invoice"]["amount_paid"] == 4900
    billing.deliver(subscription_id)
    account = account_of(shop)
    assert account.package_slug == "ai_receptionist" and account.pending_package_slug is None
    assert integration_of(shop).service_package == "ai_receptionist"
    assert coordinator_count(shop) == 1
    assert [row[:2] for row in history_of(shop)][-1] == ("downgraded", "ai_receptionist")
    # The renewal opened a new usage period under the lower package's limits
    # (the sandbox's clock jumps, so read the rows rather than "now").
    from app.models import AIServiceUsage

    renewed = {
        row.service_type: row
        for row in db.session.scalars(
            select(AIServiceUsage).where(
                AIServiceUsage.business_id == shop.id, AIServiceUsage.period_start == account.current_period_start
            )
        )
    }
    assert renewed["inbound_minutes"].period_end == account.current_period_end
    assert renewed["inbound_minutes"].usage_limit == 500 and renewed["inbound_minutes"].usage_count == 0
    assert renewed["contacts"].usage_limit == 500


def test_choosing_the_current_package_again_withdraws_a_pending_downgrade(billing, shop):
    subscription_id = billing.subscribe(shop, "ai_sales")
    billing.change(shop, "ai_receptionist")
    assert account_of(shop).pending_package_slug == "ai_receptionist"
    assert billing.change(shop, "ai_sales").status_code == 303
    account = account_of(shop)
    assert account.pending_package_slug is None and account.renewal_amount == 9900
    subscription = billing.sandbox.client().v1.subscriptions.retrieve(subscription_id)
    assert "downgrade_to" not in subscription.metadata.to_dict()
    assert billing.change(shop, "ai_sales").status_code == 422


def test_upgrade_during_a_pending_downgrade_charges_only_the_difference_to_the_paid_package(billing, shop):
    subscription_id = billing.subscribe(shop, "ai_business_suite")
    billing.change(shop, "ai_receptionist")
    billing.change(shop, "ai_enterprise")
    invoices = billing.sandbox.client().v1.invoices.list(params={"subscription": subscription_id}).data
    proration = [i for i in invoices if i.billing_reason == "subscription_update"]
    assert len(proration) == 1 and proration[0].amount_paid <= 39900 - 19900
    assert account_of(shop).package_slug == "ai_enterprise" and account_of(shop).pending_package_slug is None


def test_cancel_at_period_end_then_resume_then_cancel_for_good(billing, shop, client):
    subscription_id = billing.subscribe(shop)
    assert "Cancel AI Receptionist?" in page_text(client.get(f"/businesses/{shop.slug}/billing/cancel"))
    client.post(f"/businesses/{shop.slug}/billing/cancel")
    assert account_of(shop).cancel_at_period_end is True
    page = page_text(client.get(f"/businesses/{shop.slug}/billing"))
    assert "Your subscription ends on" in page and "Resume subscription" in page
    assert billing.change(shop, "ai_sales").status_code == 422, "no plan change while cancelling"

    client.post(f"/businesses/{shop.slug}/billing/resume")
    assert account_of(shop).cancel_at_period_end is False
    client.post(f"/businesses/{shop.slug}/billing/cancel")
    billing.sandbox.advance(subscription_id)
    billing.deliver(subscription_id)
    assert account_of(shop).status == "cancelled"
    assert integration_of(shop).status == "cancelled"
    assert [row[0] for row in history_of(shop)] == [
        "subscribed", "cancellation_scheduled", "cancellation_withdrawn", "cancellation_scheduled", "cancelled",
    ]
    # Buying again after a cancellation is a fresh checkout.
    again = billing.checkout(shop, "ai_sales")
    assert again.headers["Location"].startswith(billing.sandbox.url + "/c/pay/")


def test_failed_renewal_keeps_service_through_grace_then_suspends_then_recovers(billing, shop, client, app):
    subscription_id = billing.subscribe(shop, card=FAILS_LATER_CARD)
    billing.sandbox.advance(subscription_id)
    billing.deliver(subscription_id)
    account = account_of(shop)
    assert account.status == "past_due" and account.past_due_since is not None
    assert integration_of(shop).status == "past_due"
    banner = page_text(client.get(f"/businesses/{shop.slug}"))
    assert "Your last payment failed" in banner
    billing_page = page_text(client.get(f"/businesses/{shop.slug}/billing"))
    assert "Pay the open invoice" in billing_page and "/i/in_" in billing_page
    assert "Go to billing" not in billing_page, "no banner pointing at the page it is on"
    assert "Your last payment failed" not in page_text(client.get(f"/directory/{shop.slug}")), "public pages stay clean"

    # The grace period runs out with no further word from Stripe.
    account.past_due_since -= timedelta(days=8)
    db.session.commit()
    assert apply_due_billing_changes() == 1
    billing.run_jobs()
    assert account_of(shop).status == "suspended" and integration_of(shop).status == "suspended"
    assert "Your AI assistant is paused because payment failed" in page_text(client.get(f"/businesses/{shop.slug}"))

    # The owner pays the open invoice on Stripe's hosted page.
    open_invoice = billing.sandbox.client().v1.invoices.list(params={"subscription": subscription_id, "status": "open"}).data[0]
    pay_page = open_invoice.hosted_invoice_url
    import urllib.parse, urllib.request
    urllib.request.urlopen(urllib.request.Request(
        pay_page, data=urllib.parse.urlencode({"card_number": TEST_CARD, "exp": "12/40", "cvc": "123"}).encode(), method="POST"))
    billing.deliver(subscription_id)
    billing.run_jobs()
    assert account_of(shop).status == "active" and integration_of(shop).status == "active"
    reasons = [row[0] for row in history_of(shop)]
    assert reasons == ["subscribed", "payment_failed", "grace_period_ended", "reactivated"]
    assert "Your last payment failed" not in page_text(client.get(f"/businesses/{shop.slug}"))


def test_failed_final_retry_cancels(billing, shop):
    subscription_id = billing.subscribe(shop, card=FAILS_LATER_CARD)
    billing.sandbox.advance(subscription_id)
    billing.sandbox.advance(subscription_id)
    billing.deliver(subscription_id)
    assert account_of(shop).status == "cancelled" and integration_of(shop).status == "cancelled"
    assert history_of(shop)[-1][0] == "cancelled_after_failed_payment"


# --- Billing page, invoices, portal, health ------------------------------------------------------


def test_billing_page_shows_package_renewal_amount_and_invoices(billing, shop, client):
    billing.subscribe(shop, "ai_sales")
    page = page_text(client.get(f"/businesses/{shop.slug}/billing"))
    assert "AI Sales Assistant" in page and "$99.00 / month" in page and "Next renewal" in page
    assert "Payment methods & receipts" in page
    fragment = page_text(client.get(f"/businesses/{shop.slug}/billing/invoices", headers={"HX-Request": "true"}))
    assert "$99.00" in fragment and "paid" in fragment


def _stripe_down_with_a_stored_invoice(billing, shop):
    billing.subscribe(shop, "ai_sales")
    account = account_of(shop)
    account.invoices_refreshed_at = None
    db.session.commit()
    billing.sandbox.set_faults(error_rate=1.0)


def test_invoices_fall_back_to_the_cache_when_stripe_is_down(billing, shop, client, app):
    _stripe_down_with_a_stored_invoice(billing, shop)
    fragment = page_text(client.get(f"/businesses/{shop.slug}/billing/invoices", headers={"HX-Request": "true"}))
    assert "We couldn't reach Stripe just now" in fragment
    assert "$99.00" in fragment, "the invoice stored from the webhook is still shown"


@pytest.mark.perf
def test_invoices_answer_within_seconds_when_stripe_is_down(billing, shop, client, app):
    _stripe_down_with_a_stored_invoice(billing, shop)
    started = time.monotonic()
    client.get(f"/businesses/{shop.slug}/billing/invoices", headers={"HX-Request": "true"})
    assert time.monotonic() - started < 10


def test_portal_button_opens_the_stripe_customer_portal(billing, shop, client):
    billing.subscribe(shop)
    response = client.post(f"/businesses/{shop.slug}/billing/portal")
    assert response.status_code == 303 and response.headers["Location"].startswith(billing.sandbox.url + "/p/session/")


def test_healthz_reports_stripe_without_failing_on_it(billing, client, stripe_sandbox, app):
    body = client.get("/healthz").get_json()
    assert body["stripe"]["status"] == "ok"
    health.forget()
    app.config["STRIPE_API_BASE"] = "http://127.0.0.1:9"
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json()["stripe"]["status"] == "error"


def test_checkout_without_a_csrf_token_is_refused_and_creates_nothing(billing, factories, csrf_client):
    owner = factories.user(email="careful@example.com")
    business = factories.business(owner=owner, name="Careful Shop")
    login_page = page_text(csrf_client.get("/login"))
    token = login_page.split('name="csrf-token" content="')[1].split('"')[0]
    logged_in = csrf_client.post("/login", data={"email": owner.email, "password": "correct-horse-battery", "csrf_token": token})
    assert logged_in.status_code == 302
    response = csrf_client.post(f"/businesses/{business.slug}/billing/checkout", data={"package": "ai_sales"})
    assert response.status_code == 400 and "form expired" in page_text(response)
    assert account_of(business) is None
    with_token = csrf_client.post(f"/businesses/{business.slug}/billing/checkout", data={"package": "ai_sales", "csrf_token": token})
    assert with_token.status_code == 303 and account_of(business) is not None


# --- The operator ends a subscription ------------------------------------------------------------


def _log_in_as_operator(factories, auth):
    auth.logout()
    auth.login(factories.user(email="ops@example.com", is_admin=True).email)


def test_operator_cancel_ends_the_stripe_subscription_so_nothing_more_is_billed(billing, shop, factories, auth, client):
    subscription_id = billing.subscribe(shop)
    _log_in_as_operator(factories, auth)
    response = client.post(f"/admin/businesses/{shop.id}/cancel", data={"reason": "Fraudulent sign-up"})
    assert response.status_code == 303
    assert billing.sandbox.client().v1.subscriptions.retrieve(subscription_id).status == "canceled"
    assert account_of(shop).status == "cancelled"
    assert integration_of(shop).target_status == "cancelled"
    assert history_of(shop)[-1][0] == "cancelled"
    billing.deliver(subscription_id)  # Stripe's own events for the cancellation change nothing more
    assert account_of(shop).status == "cancelled" and history_of(shop)[-1][0] == "cancelled"


def test_operator_cancel_while_stripe_is_down_changes_nothing(billing, shop, factories, auth, client):
    from app.models import AuditEntry

    subscription_id = billing.subscribe(shop)
    _log_in_as_operator(factories, auth)
    audited = db.session.scalar(select(func.count()).select_from(AuditEntry))
    billing.sandbox.set_faults(error_rate=1.0)
    response = client.post(f"/admin/businesses/{shop.id}/cancel", data={"reason": "Fraudulent sign-up"},
                           follow_redirects=True)
    assert "Stripe did not cancel the subscription, so nothing was changed" in page_text(response)
    billing.sandbox.clear_faults()
    assert billing.sandbox.client().v1.subscriptions.retrieve(subscription_id).status == "active"
    assert account_of(shop).status == "active" and integration_of(shop).target_status == "active"
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == audited
