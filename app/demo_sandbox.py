"""`make run` only: the demo business lives as a customer would have made it.

Runs after the local sandboxes started (app.devserver), through the same
paths a real customer takes: the AI Receptionist is bought with a Stripe
Checkout session paid in the Stripe sandbox and applied as its webhook would
apply it (so billing, invoices and history agree with the assistant page);
the provisioning job sets up 4calls; then the 4calls sandbox's seed route
gives the organization 90 days of calls, contacts and appointments, and a sync
brings them in. Each step looks first at what is already done, so restarting
`make run` changes nothing.

Only the two `/_sandbox/...` calls below know they talk to sandboxes; they are
the demo's stand-ins for a customer paying and for months of real calls.
"""
from __future__ import annotations

import logging
import time
from urllib.parse import urlparse

import httpx
from flask import current_app
from sqlalchemy import func, select

from app.extensions import db
from app.models import Business, Call

log = logging.getLogger(__name__)

DEMO_PACKAGE = "ai_receptionist"
DEMO_ZONE = "America/Los_Angeles"
TEST_CARD = "4242424242424242"
HISTORY = {"calls": 540, "contacts": 120, "appointments": 60, "days": 90, "seed": 2027}
PROVISIONING_WAIT_SECONDS = 90


def living_demo() -> None:
    from app.demo import CLAIMED_DEMO_SLUG

    business = db.session.scalar(select(Business).where(Business.slug == CLAIMED_DEMO_SLUG))
    if business is None or business.owner_id is None:
        return
    if not all(_is_local(current_app.config[name]) for name in ("STRIPE_API_BASE", "FOURCALLS_API_URL")):
        print(" * demo: Stripe or 4calls is not a local sandbox; the demo business is left as it is")
        return
    try:
        buy_package(business)
        if wait_until_active(business):
            seed_history(business)
        else:
            print(" * demo: the assistant is still being set up; its history is seeded on the next start")
    except Exception as exc:  # noqa: BLE001
        # A demo that could not be completed must not stop the app from serving.
        db.session.rollback()
        log.warning("demo not completed", exc_info=True)
        print(f" * demo not completed: {exc}")


def _is_local(url: str) -> bool:
    return urlparse(url or "").hostname in ("127.0.0.1", "localhost")


def buy_package(business: Business) -> None:
    from app.billing.reconcile import reconcile_subscription
    from app.billing.services import account_for, checkout_session_for, start_checkout

    account = account_for(business)
    if account is not None and account.is_live:
        return
    with current_app.test_request_context():
        started = start_checkout(business, DEMO_PACKAGE)
    if started.needs_plan_change:
        return  # a live subscription was adopted: already bought
    session_id = urlparse(started.redirect_url).path.rstrip("/").split("/")[-1]
    stripe_base = current_app.config["STRIPE_API_BASE"].rstrip("/")
    paid = httpx.post(f"{stripe_base}/_sandbox/checkout/{session_id}/pay",
                      json={"card_number": TEST_CARD, "email": business.owner.email}, timeout=30)
    paid.raise_for_status()
    session = checkout_session_for(business, session_id)
    if not session or not session.get("subscription"):
        raise RuntimeError("the demo checkout was paid but has no subscription")
    # What the checkout.session.completed webhook does; the webhook, arriving
    # once the app serves, then finds everything already applied.
    reconcile_subscription(session["subscription"], session.get("customer"), str(business.id))
    print(f" * demo: {business.name} bought the AI Receptionist in the Stripe sandbox")


def wait_until_active(business: Business) -> bool:
    from app.assistant.provisioning import integration_for, request_push, retry

    integration = integration_for(business)
    if integration is None:
        return False
    if integration.status == "error":
        retry(business)
    elif integration.status == "active":
        request_push(business)  # rebuilds the organization if the sandbox was reset
        return True  # live already; the re-sync runs in the background
    deadline = time.monotonic() + PROVISIONING_WAIT_SECONDS
    while True:
        db.session.expire_all()
        integration = integration_for(business)
        if integration.status == "active" and integration.organization_id:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.5)


def seed_history(business: Business) -> None:
    """90 days of history, once: seeded only while the business has no calls."""
    from app.crm_sync.jobs import sync_business

    has_calls = db.session.scalar(select(func.count()).select_from(Call).where(Call.business_id == business.id))
    if not has_calls:
        organization_id = business.integration.organization_id
        fourcalls_base = current_app.config["FOURCALLS_API_URL"].rstrip("/")
        seeded = httpx.post(f"{fourcalls_base}/_sandbox/organizations/{organization_id}/seed", json=HISTORY,
                            timeout=120)
        seeded.raise_for_status()
        print(f" * demo: 4calls sandbox seeded {HISTORY['days']} days of history for {business.name}")
    sync_business(str(business.id))
