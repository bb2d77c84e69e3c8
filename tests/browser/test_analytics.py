"""The issue's flow in Chromium, against the 4calls sandbox: an owner on AI
Business Suite opens Analytics, switches the range, sees the heatmap and the
deltas, opens a topic's calls, adds an unanswered question to the FAQ and
finds it among the questions on the public page."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.auth.services import register_user
from app.demo import CLAIMED_DEMO_SLUG
from app.extensions import db
from app.models import Business, FourCallsIntegration
from app.crm_sync.jobs import sync_business
from sandbox.fourcalls.testing import running_fourcalls
from tests.browser.conftest import LiveServer, build_live_app, connect_sandbox_organization, free_port
from tests.browser.mail_helpers import log_in as shared_log_in

pytestmark = pytest.mark.browser

OWNER_EMAIL = "analytics.owner@example.com"
OWNER_PASSWORD = "analytics-owner-password"


def log_in(page, server):
    shared_log_in(page, server, OWNER_EMAIL, OWNER_PASSWORD)


@pytest.fixture(scope="module")
def analytics_site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("analytics-browser")
    with running_fourcalls(folder / "fourcalls") as fourcalls:
        port = free_port()
        app, port = build_live_app(folder, port=port, FOURCALLS_API_URL=fourcalls.url)
        with app.app_context():
            business = db.session.scalar(select(Business).where(Business.slug == CLAIMED_DEMO_SLUG))
            business.owner_id = register_user("Ana Lytics", OWNER_EMAIL, OWNER_PASSWORD).id
            business.timezone = "America/Los_Angeles"
            business.faq = []
            organization = connect_sandbox_organization(app, business, "ai_business_suite", active_for_days=40,
                                                        timezone_name="America/Los_Angeles")
            db.session.commit()
            fourcalls.seed(organization["id"], calls=400, contacts=40, appointments=12, days=60)
            # Live question calls until one caller asks what the profile cannot answer.
            for _ in range(40):
                call = fourcalls.generate_call(organization["id"], status="answered", outcome="question")
                if any("don't have that information" in t["text"] for t in call["transcript"]):
                    break
            sync_business(str(business.id))
            slug = business.slug
        server = LiveServer(app, port)
        server.start()
        yield {"server": server, "slug": slug, "app": app, "business_id": business.id}
        server.stop()


def test_owner_explores_analytics_and_answers_a_question(analytics_site, page, shot):
    server, slug = analytics_site["server"], analytics_site["slug"]
    log_in(page, server)
    page.goto(f"{server.url}/businesses/{slug}/dashboard")
    page.click(".nav a:has-text('Analytics')")
    expect(page.locator("h1")).to_have_text("Analytics")
    expect(page.locator("#range-head")).to_contain_text("30 days")
    expect(page.locator("#region-heatmap svg")).to_be_visible()
    expect(page.locator("#region-deltas .delta")).to_have_count(9)
    shot("analytics-30-days")

    page.evaluate("window.__samePage = true")
    page.select_option("#range-preset", "90d")
    expect(page.locator("#range-head")).to_contain_text("90 days")
    expect(page).to_have_url(re.compile(r"range=90d"))
    assert page.evaluate("window.__samePage") is True, "the range swaps regions in place"
    expect(page.locator("#region-heatmap")).to_contain_text("Busiest hour of the week")
    expect(page.locator("#region-deltas")).to_contain_text("previous period")
    shot("analytics-90-days")

    page.click(".analytics-tabs a:has-text('Reports')")
    expect(page.locator("#topics li").first).to_be_visible()
    shot("reports")
    topic = page.locator("#topics li a").first
    topic_name = topic.inner_text()
    topic.click()
    expect(page.locator("h1")).to_have_text(topic_name)
    expect(page.locator(".calls-table tbody tr").first).to_contain_text(re.compile(r"\d{4}"))
    shot("topic-calls")

    page.go_back()
    row = page.locator("#questions .question-row").first
    question = row.locator("strong").inner_text()
    row.locator("textarea").fill("Yes, ask at the front desk: we take it.")
    row.locator("button:has-text('Add to FAQ')").click()
    expect(page.locator("#questions")).to_contain_text("Added to your FAQ")
    shot("added-to-faq")

    page.goto(f"{server.url}/b/{slug}")
    questions = page.locator("section:has(h2:has-text('Questions'))")
    expect(questions).to_contain_text(question)
    expect(questions).to_contain_text("ask at the front desk: we take it")
    shot("public-page-questions")


def set_package(site, package):
    app = site["app"]
    with app.app_context():
        integration = db.session.scalar(select(FourCallsIntegration).where(
            FourCallsIntegration.business_id == site["business_id"]))
        integration.service_package = package
        db.session.commit()


def test_upsell_enterprise_reports_share_link_and_insights(analytics_site, page, browser, shot):
    server, slug = analytics_site["server"], analytics_site["slug"]
    log_in(page, server)
    set_package(analytics_site, "ai_receptionist")
    try:
        page.goto(f"{server.url}/businesses/{slug}/analytics")
        expect(page.locator(".upsell")).to_contain_text("upgrade to AI Sales Assistant")
        shot("upsell-for-receptionist")
        set_package(analytics_site, "ai_enterprise")
        page.goto(f"{server.url}/businesses/{slug}/analytics/enterprise")
        expect(page.locator("#per-coordinator")).to_be_visible()
        expect(page.locator("#per-campaign")).to_be_visible()
        page.fill("#report-name", "Monday numbers")
        page.select_option("#report-schedule", "weekly")
        page.fill("#report-recipients", "ops@example.com\nowner2@example.com")
        shot("enterprise")
        page.click("button:has-text('Save report')")
        expect(page.locator("h1")).to_have_text("Monday numbers")
        page.select_option("#share-days", "7")
        page.click("button:has-text('Create share link')")
        link = page.locator(".share-url").input_value()
        shot("saved-report-with-share-link")

        stranger = browser.new_context(viewport={"width": 1280, "height": 900})
        anonymous = stranger.new_page()
        anonymous.goto(link)
        expect(anonymous.locator("h1")).to_have_text("Monday numbers")
        expect(anonymous.locator("body")).to_contain_text("read-only shared report")
        expect(anonymous.locator("button:has-text('Delete report')")).to_have_count(0)
        shot("shared-report-anonymous", anonymous)
        stranger.close()

        page.goto(f"{server.url}/businesses/{slug}/analytics/insights")
        with page.expect_navigation():  # the form posts and redirects back; wait for it before leaving
            page.click("button:has-text('Refresh now')")
        expect(page.locator(".page-head")).to_contain_text("Last full refresh")
        # While the refresh runs the page polls, then reloads itself when it ends:
        # wait for that before leaving, or the reload aborts the next page's load.
        expect(page.locator("#insights-status button")).to_have_text("Refresh now", timeout=20_000)
        expect(page.locator("#who-to-call")).to_be_visible()
        shot("customer-insights")
        page.goto(f"{server.url}/businesses/{slug}/analytics/weekly-report/preview")
        expect(page.locator(".email-preview")).to_contain_text("Top topics")
        shot("weekly-report-preview")
    finally:
        set_package(analytics_site, "ai_business_suite")
