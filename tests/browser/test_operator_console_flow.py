"""The operator console in a browser: the admin sees MRR movements, clicks a
churn bar and lands on those businesses, replays a failed webhook and finds
it in the audit log; an owner outside the rollout stage joins the waitlist,
is invited, and rates the service."""
from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from app.admin.metrics.periods import month_of_instant
from app.demo import CLAIMED_DEMO_SLUG, DEMO_ADMIN_EMAIL, DEMO_ADMIN_PASSWORD, DEMO_OWNER_EMAIL, DEMO_OWNER_PASSWORD
from app.extensions import db
from app.models import Business, WebhookEvent
from app.models.base import utcnow
from tests.browser.conftest import LiveServer, build_live_app
from tests.browser.test_assistant_provisioning import log_in
from tests.operator_helpers import history

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def console_site(tmp_path_factory):
    app, port = build_live_app(tmp_path_factory.mktemp("console-browser"))
    with app.app_context():
        from app.auth.services import register_user
        from app.businesses.services import claim_business

        now = utcnow()
        owner = register_user("History Owner", "history@example.com", "history-pass-123")
        made = []
        for name in ("Harbor Dental", "Summit Plumbing", "Maple Salon", "Churned Cafe"):
            business = Business(name=name, slug=name.lower().replace(" ", "-"), category="Salon", city="Springfield",
                                opening_hours={}, services=[], faq=[])
            db.session.add(business)
            db.session.commit()
            claim_business(business, owner)
            made.append(business)
        day = lambda n: (now - timedelta(days=n)).strftime("%Y-%m-%d %H:%M")  # noqa: E731
        history(made[0], (day(200), "ai_receptionist", 4900, "active", "subscribed"),
                (day(90), "ai_business_suite", 19900, "active", "upgraded"))
        history(made[1], (day(150), "ai_sales", 9900, "active", "subscribed"))
        history(made[2], (day(120), "ai_sales", 9900, "active", "subscribed"),
                (day(40), "ai_receptionist", 4900, "active", "downgraded"))
        history(made[3], (day(170), "ai_enterprise", 39900, "active", "subscribed"),
                (day(12), "ai_enterprise", 39900, "cancelled", "cancelled"))
        # The demo business has used its package for 40 days: the rating question is due.
        demo = db.session.query(Business).filter_by(slug=CLAIMED_DEMO_SLUG).one()
        history(demo, (day(40), "ai_receptionist", 4900, "active", "subscribed"))
        db.session.add(WebhookEvent(source="fourcalls", event_id="evt_console_failed", event_type="call.completed",
                                    payload={"id": "evt_console_failed", "type": "call.completed", "data": {}},
                                    organization_id="org_gone", attempts=3,
                                    error="TimeoutError: the CRM sync timed out"))
        db.session.commit()
        churn_month = month_of_instant(now - timedelta(days=12)).strftime("%Y-%m")
    server = LiveServer(app, port)
    server.start()
    yield {"url": server.url, "churn_month": churn_month, "app": app}
    server.stop()


def test_admin_follows_a_churn_bar_and_replays_a_failed_webhook(console_site, page, shot):
    base = console_site["url"]
    log_in(page, base, DEMO_ADMIN_EMAIL, DEMO_ADMIN_PASSWORD)
    page.goto(base + "/admin/")
    expect(page.locator("[data-kpi=mrr] .stat")).to_have_text("$396")
    expect(page.locator("[data-kpi=adoption]")).to_contain_text("Target 20 %")
    shot("console-overview")

    page.click("nav[aria-label=Console] >> text=MRR")
    expect(page.locator("h1")).to_have_text("MRR and its movements")
    expect(page.locator("#mrr-movements")).to_be_visible()
    shot("mrr-movements")

    bar = page.locator("#mrr-movements a[data-series='Churn'][data-category]").first
    expect(bar).to_have_attribute("href", f"/admin/metrics/mrr/businesses?month={console_site['churn_month']}&kind=churn")
    bar.click()
    expect(page.locator("h1")).to_contain_text("Churn MRR in")
    expect(page.locator("#movement-businesses")).to_contain_text("Churned Cafe")
    expect(page.locator("#movement-businesses")).not_to_contain_text("Harbor Dental")
    shot("churn-businesses")

    page.goto(base + "/admin/health")
    row = page.locator("tr[data-event=evt_console_failed]")
    expect(row).to_contain_text("the CRM sync timed out")
    shot("health-failed-webhook")
    row.locator("button:has-text('Replay')").click()
    expect(page.locator(".flash.success")).to_contain_text("Replay of fourcalls call.completed queued")
    expect(page.locator("tr[data-event=evt_console_failed]")).to_have_count(0, timeout=10_000)
    shot("health-after-replay")

    page.click("nav[aria-label=Console] >> text=Audit log")
    entry = page.locator("#audit-table tr[data-action='webhook.replayed']")
    expect(entry).to_contain_text(DEMO_ADMIN_EMAIL)
    expect(entry).to_contain_text("evt_console_failed")
    shot("audit-log")


def test_owner_outside_the_stage_joins_the_waitlist_is_invited_and_rates(console_site, browser, page, shot):
    base = console_site["url"]
    log_in(page, base, DEMO_ADMIN_EMAIL, DEMO_ADMIN_PASSWORD)
    page.goto(base + "/admin/rollout")
    page.check("input[name=stage][value=beta]")
    page.fill("#rollout-reason", "Beta with hand-picked shops")
    page.click("button:has-text('Save stage')")
    expect(page.locator(".flash.success")).to_contain_text("Rollout stage: beta")

    owner_context = browser.new_context(viewport={"width": 1280, "height": 900})
    owner = owner_context.new_page()
    try:
        log_in(owner, base, "history@example.com", "history-pass-123")
        owner.goto(f"{base}/businesses/summit-plumbing/packages")
        # Subscribed before the stage change: never affected.
        expect(owner.locator("[data-rollout-closed]")).to_have_count(0)
        owner.click("button:has-text('Log out')")
        log_in(owner, base, DEMO_OWNER_EMAIL, DEMO_OWNER_PASSWORD)
        owner.goto(f"{base}/businesses/{CLAIMED_DEMO_SLUG}/dashboard")
        prompt = owner.locator("#satisfaction-prompt")
        expect(prompt).to_contain_text("How happy are you")
        shot("owner-rating-question", owner)
        prompt.locator("label:has-text('5 ★')").click()
        prompt.locator("button:has-text('Send rating')").click()
        expect(owner.locator("#satisfaction-prompt")).to_have_text("Thank you for your rating.")

        owner.goto(f"{base}/businesses/{CLAIMED_DEMO_SLUG}/packages")
        expect(owner.locator("[data-rollout-closed]")).to_have_count(0)  # subscribed: not affected
    finally:
        pass

    # A fresh, unsubscribed business meets the waitlist.
    with console_site["app"].app_context():
        from app.auth.services import register_user
        from app.businesses.services import claim_business

        newcomer = register_user("New Owner", "newcomer@example.com", "newcomer-pass-123")
        shop = Business(name="Newcomer Nails", slug="newcomer-nails", category="Salon", city="Springfield",
                        opening_hours={}, services=[], faq=[])
        db.session.add(shop)
        db.session.commit()
        claim_business(shop, newcomer)
    try:
        owner.click("button:has-text('Log out')")
        log_in(owner, base, "newcomer@example.com", "newcomer-pass-123")
        owner.goto(f"{base}/businesses/newcomer-nails/packages")
        owner.locator("th[data-package]").first.wait_for()
        expect(owner.locator("main")).to_contain_text("being rolled out in stages")
        expect(owner.locator("button:has-text('Join the waitlist')")).to_have_count(4)
        shot("owner-picker-waitlist", owner)
        owner.locator("form[action$='/waitlist']:has(input[value=ai_sales]) button").click()
        expect(owner.locator(".flash.success")).to_contain_text("You're on the waitlist")
        expect(owner.locator("[data-waitlisted]")).to_have_text("On the waitlist")
        shot("owner-on-waitlist", owner)

        page.goto(base + "/admin/rollout")
        waiting = page.locator("#waitlist tr[data-business=newcomer-nails]")
        expect(waiting).to_contain_text("AI Sales Assistant")
        shot("console-waitlist")
        waiting.locator("button:has-text('Invite')").click()
        expect(page.locator(".flash.success")).to_contain_text("Newcomer Nails is invited")

        owner.goto(f"{base}/businesses/newcomer-nails/dashboard")
        expect(owner.locator("[data-invitation]")).to_contain_text("You're invited")
        shot("owner-invited", owner)
        owner.goto(f"{base}/businesses/newcomer-nails/packages")
        expect(owner.locator("button:has-text('Join the waitlist')")).to_have_count(0)
        expect(owner.locator("button:has-text('Choose AI Sales Assistant')")).to_be_visible()
    finally:
        owner_context.close()

    page.goto(base + "/admin/")
    expect(page.locator("[data-kpi=satisfaction] .stat")).to_have_text("5.00 ★")
    page.goto(base + "/admin/audit")
    expect(page.locator("#audit-table")).to_contain_text("rollout.invited")
    expect(page.locator("#audit-table")).to_contain_text("Beta with hand-picked shops")
