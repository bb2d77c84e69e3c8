"""An owner pays on the Stripe sandbox's hosted page; the sandbox's own webhooks
reach a live app server, which provisions the assistant on the 4calls sandbox."""
from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from sandbox.fourcalls.testing import running_fourcalls
from sandbox.stripe.testing import running_stripe
from tests.billing_helpers import DECLINED_CARD, TEST_CARD
from tests.browser.conftest import LiveServer, build_live_app, free_port
from tests.browser.mail_helpers import log_in as shared_log_in
from tests.browser.mail_helpers import sign_up_and_confirm

pytestmark = pytest.mark.browser


class Site:
    def __init__(self, server, stripe_sandbox):
        self.server = server
        self.url = server.url
        self.app = server.app
        self.stripe = stripe_sandbox


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("billing-live")
    port = free_port()
    with running_fourcalls(folder / "fourcalls") as fourcalls, running_stripe(
        folder / "stripe", webhook_url=f"http://127.0.0.1:{port}/webhooks/stripe", webhook_retry_base=0.2
    ) as stripe_sandbox:
        app, port = build_live_app(folder, port=port, STRIPE_API_BASE=stripe_sandbox.url, FOURCALLS_API_URL=fourcalls.url)
        server = LiveServer(app, port)
        server.start()
        yield Site(server, stripe_sandbox)
        server.stop()  # jobs running on late webhooks finish while the sandboxes are up; queued ones are dropped


def sign_up_and_claim(page, site, name, email, listing):
    sign_up_and_confirm(page, site.url, name, email)
    # The search's own URL, rather than typing before htmx has loaded.
    page.goto(site.url + "/directory?" + urlencode({"q": listing}))
    expect(page.locator("#directory-results")).to_contain_text("1 business")
    page.click("#directory-results >> text=Claim")
    # browser-zone.js (deferred) fills the zone; a click before it runs would send none.
    expect(page.locator("input[name=timezone]")).not_to_have_value("")
    page.click(f"button:has-text('Claim {listing}')")
    expect(page.locator(".flash.success")).to_contain_text(f"You now manage {listing}")
    # The business's own sub-navigation, not the public catalog in the top bar.
    page.click("a[href^='/businesses/'][href$='/packages']")


def pay_on_stripe(page, card):
    expect(page).to_have_url(re.compile(r"/c/pay/cs_"))
    page.fill("#card_number", card)
    page.fill("input[name=exp]", "12 / 34")
    page.fill("input[name=cvc]", "123")
    page.click("button:has-text('and subscribe')")


def live_coordinators(site, slug) -> int:
    from app.extensions import db
    from app.models import Business, Coordinator, CoordinatorStatus

    with site.app.app_context():
        business = db.session.scalar(select(Business).where(Business.slug == slug))
        count = db.session.scalar(
            select(func.count()).select_from(Coordinator)
            .where(Coordinator.business_id == business.id, Coordinator.status.in_(CoordinatorStatus.LIVE))
        )
        db.session.remove()
        return count


def subscribe_to_receptionist(page, site, shot, name, email, listing):
    sign_up_and_claim(page, site, name, email, listing)
    page.click("button:has-text('Choose AI Receptionist')")
    expect(page.locator("body")).to_contain_text("Subscribe to AI Receptionist")
    expect(page.locator("body")).to_contain_text("$49.00")
    shot("stripe-checkout")
    pay_on_stripe(page, TEST_CARD)
    expect(page).to_have_url(re.compile(r"/billing/success\?session_id=cs_"))
    shot("success-waiting")
    progress = page.locator("#checkout-progress")
    expect(progress).to_contain_text("You're all set", timeout=30_000)
    expect(progress).to_contain_text("AI Receptionist active")
    expect(progress).to_contain_text("AI assistant ready")


def test_new_owner_pays_and_gets_a_working_assistant(site, page, shot):
    subscribe_to_receptionist(page, site, shot, "Wok Owner", "wok@example.com", "Golden Wok")
    shot("success-done")
    page.click("text=Go to your dashboard")
    expect(page.locator("h1")).not_to_have_text("Not found")

    page.goto(site.url + "/businesses/golden-wok-springfield/billing")
    expect(page.get_by_test_id("billing-package")).to_have_text("AI Receptionist")
    expect(page.get_by_test_id("billing-status")).to_have_text("Active")
    expect(page.get_by_test_id("assistants-running")).to_have_text("1 of 1 running")
    expect(page.locator("#invoices")).to_contain_text("$49.00")
    expect(page.locator("#invoices")).to_contain_text("Paid")
    shot("billing-page")
    assert live_coordinators(site, "golden-wok-springfield") == 1


def test_declined_card_leaves_nothing_active_and_says_why(site, page, shot):
    sign_up_and_claim(page, site, "Cafe Owner", "cafe@example.com", "Morning Grind Cafe")
    page.click("button:has-text('Choose AI Receptionist')")
    pay_on_stripe(page, DECLINED_CARD)
    expect(page.locator("[role=alert]")).to_have_text("Your card was declined.")
    shot("declined")
    page.click("text=Cancel and return to")
    expect(page).to_have_url(re.compile(r"/businesses/morning-grind-cafe-springfield/packages$"))
    expect(page.locator(".flash.warning")).to_contain_text("you weren't charged and AI Receptionist wasn't activated")
    expect(page.locator("table.compare")).not_to_contain_text("Current package")
    shot("back-at-picker")
    page.click("a[href^='/businesses/'][href$='/billing']")
    expect(page.locator("#billing-status")).to_contain_text("No AI package yet")
    assert live_coordinators(site, "morning-grind-cafe-springfield") == 0


def test_upgrade_to_business_suite_adds_a_coordinator(site, page, shot):
    subscribe_to_receptionist(page, site, shot, "Dentist", "dentist@example.com", "Bright Smile Dental")
    page.goto(site.url + "/businesses/bright-smile-dental-springfield/billing")
    page.click("tr[data-package=ai_business_suite] >> text=Upgrade")
    expect(page.locator("h1")).to_have_text("Upgrade to AI Business Suite?")
    shot("confirm-upgrade")
    page.click("button:has-text('Confirm upgrade')")
    expect(page.locator(".flash.success")).to_contain_text("Upgraded to AI Business Suite")
    expect(page.get_by_test_id("billing-package")).to_have_text("AI Business Suite")
    expect(page.get_by_test_id("assistants-running")).to_have_text("2 of 2 running", timeout=30_000)
    shot("upgraded")
    assert live_coordinators(site, "bright-smile-dental-springfield") == 2


def wait_for(check, timeout=20.0):
    import time

    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


def test_the_sandbox_webhooks_alone_carry_a_failed_renewal_to_the_app(site, page, shot):
    """A subscription paid (through the API, not the browser) with the card that fails at
    renewal, renewed by the sandbox's clock; only the webhooks the sandbox sends itself
    tell the app. The owner then finds the past-due banner on their pages."""
    from app.billing import services
    from app.extensions import db
    from app.models.billing import BillingAccount
    from tests.billing_helpers import FAILS_LATER_CARD, checkout_session_id
    from tests.conftest import make_business, make_user

    with site.app.test_request_context():
        business = make_business(owner=make_user(email="renewal@example.com"), name="Renewal Test Shop")
        business_id, slug = business.id, business.slug
        session_id = checkout_session_id(services.start_checkout(business, "ai_sales").redirect_url)
        db.session.remove()
    subscription_id = site.stripe.pay(session_id, card=FAILS_LATER_CARD)["session"]["subscription"]

    def billing_status():
        with site.app.app_context():
            account = db.session.scalar(select(BillingAccount).where(BillingAccount.business_id == business_id))
            status = account.status if account else None
            db.session.remove()
            return status

    assert wait_for(lambda: billing_status() == "active")
    site.stripe.advance(subscription_id)
    assert wait_for(lambda: billing_status() == "past_due")
    # Every event the sandbox sent was acknowledged with a 2xx (none left pending for a retry).
    assert wait_for(lambda: all(d["status"] != "pending" for d in site.stripe.webhook_log()))
    failed = [d for d in site.stripe.webhook_log() if d["status"] != "succeeded"]
    assert failed == []

    shared_log_in(page, site, "renewal@example.com", "correct-horse-battery")
    page.goto(f"{site.url}/businesses/{slug}/calls")
    expect(page.locator(".billing-notice")).to_contain_text("Your last payment failed")
    shot("past-due-banner")
    page.click(".billing-notice >> text=Go to billing")
    expect(page).to_have_url(re.compile(rf"/businesses/{slug}/billing"))
    expect(page.locator(".billing-notice")).to_have_count(0)  # the billing page says it in more detail
    shot("billing-page-while-past-due")
