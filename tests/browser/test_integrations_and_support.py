"""Custom integrations and support in a browser: add a webhook endpoint,
change a contact, see the signed delivery in the log; create an API token
and call the API with httpx; open a support request with a screenshot and
find it in the console's queue."""
from __future__ import annotations

import hashlib
import hmac
import json
import re

import httpx
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.auth.services import register_user
from app.demo import CLAIMED_DEMO_SLUG, DEMO_ADMIN_EMAIL, DEMO_ADMIN_PASSWORD
from app.extensions import db
from app.models import Business, FourCallsIntegration
from tests.browser.conftest import LiveServer, build_live_app
from tests.integrations_helpers import Receiver
from tests.browser.mail_helpers import log_in as shared_log_in

pytestmark = pytest.mark.browser

SLOW = 15_000
OWNER_EMAIL = "enterprise.owner@example.com"
OWNER_PASSWORD = "enterprise-owner-password"


def log_in(page, server, email, password):
    shared_log_in(page, server, email, password, timeout=SLOW)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    app, port = build_live_app(tmp_path_factory.mktemp("integrations-browser"))
    with app.app_context():
        business = db.session.scalar(select(Business).where(Business.slug == CLAIMED_DEMO_SLUG))
        business.owner_id = register_user("Erin Enterprise", OWNER_EMAIL, OWNER_PASSWORD).id
        if business.integration is None:
            db.session.add(FourCallsIntegration(business_id=business.id, service_package="ai_enterprise", status="active"))
        else:
            business.integration.service_package, business.integration.status = "ai_enterprise", "active"
        db.session.commit()
    server = LiveServer(app, port)
    server.start()
    yield server
    server.stop()


def test_webhook_delivery_is_signed_and_logged(site, page, shot):
    with Receiver() as receiver:
        log_in(page, site, OWNER_EMAIL, OWNER_PASSWORD)
        page.goto(f"{site.url}/businesses/{CLAIMED_DEMO_SLUG}/integrations")
        shot("integrations-empty")
        page.click("text=Add endpoint")
        page.fill("#url", receiver.url)
        page.fill("#description", "Our CRM")
        page.check("input[value='contact.created']")
        page.check("input[value='contact.updated']")
        shot("endpoint-form")
        page.click("button:has-text('Add endpoint')")
        secret = page.locator("#signing-secret").inner_text().strip()
        assert secret.startswith("whsec_")
        shot("secret-shown-once")
        page.click("text=I have saved it")
        endpoint_url = page.url
        page.goto(f"{site.url}/businesses/{CLAIMED_DEMO_SLUG}/contacts/new")
        page.fill("#name", "Webhook Walker")
        page.fill("#phone", "(555) 301-4000")
        page.click("main button[type=submit]")
        expect(page.locator("h1")).to_contain_text("Webhook Walker", timeout=SLOW)
        page.goto(endpoint_url)
        expect(page.locator(".delivery-log")).to_contain_text("Delivered · 200", timeout=SLOW)
        page.locator(".delivery-log details summary").first.click()
        shot("delivery-log")
        headers, body = receiver.received[0]
        parts = dict(p.split("=", 1) for p in headers["AlphaSite-Signature"].split(","))
        expected = hmac.new(secret.encode(), parts["t"].encode() + b"." + body, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(expected, parts["v1"])
        assert json.loads(body)["data"]["name"] == "Webhook Walker"
        expect(page.locator(".delivery-log")).to_contain_text(headers["AlphaSite-Signature"])


def test_token_and_api_call_with_httpx(site, page, shot):
    log_in(page, site, OWNER_EMAIL, OWNER_PASSWORD)
    page.goto(f"{site.url}/businesses/{CLAIMED_DEMO_SLUG}/integrations")
    page.fill("#name", "Reporting script")
    page.check("input[value='read_write']")
    page.click("button:has-text('Create token')")
    token = page.locator("#new-token-value").inner_text().strip()
    assert token.startswith("as_live_")
    shot("token-created")
    with httpx.Client(base_url=site.url + "/api/v1", headers={"Authorization": f"Bearer {token}"}) as api:
        me = api.get("/me").json()
        assert me["business"]["slug"] == CLAIMED_DEMO_SLUG
        created = api.post("/contacts", json={"name": "Api Person", "email": "api@example.com"})
        assert created.status_code == 201
        listed = api.get("/contacts", params={"q": "api person"}).json()
        assert [c["name"] for c in listed["data"]] == ["Api Person"]
        assert api.get("/contacts/00000000-0000-0000-0000-000000000000").json()["error"]["code"] == "not_found"
    page.goto(f"{site.url}/businesses/{CLAIMED_DEMO_SLUG}/contacts?q=Api+Person")
    expect(page.locator("main")).to_contain_text("Api Person", timeout=SLOW)
    page.goto(f"{site.url}/businesses/{CLAIMED_DEMO_SLUG}/integrations")
    expect(page.locator("#api-tokens")).to_contain_text("Reporting script")
    shot("token-list-after-use")
    page.goto(f"{site.url}/api/docs")
    shot("api-docs")


def test_support_request_reaches_the_console_queue(site, page, shot, tmp_path):
    screenshot = tmp_path / "screen.png"
    log_in(page, site, OWNER_EMAIL, OWNER_PASSWORD)
    page.goto(f"{site.url}/businesses/{CLAIMED_DEMO_SLUG}/chat/widget")
    page.screenshot(path=str(screenshot))  # a real screenshot to attach
    page.goto(f"{site.url}/businesses/{CLAIMED_DEMO_SLUG}/help")
    shot("help-page")
    page.click("text=New support request")
    page.fill("#subject", "Widget not showing on my site")
    page.select_option("#category", "problem")
    page.fill("#body", "I pasted the script tag but the chat button does not appear.")
    page.set_input_files("#attachment", str(screenshot))
    page.click("button:has-text('Send request')")
    expect(page.locator(".flash.success")).to_contain_text("sent", timeout=SLOW)
    expect(page.locator(".support-shot")).to_be_visible()
    shot("request-thread")
    page.click("button:has-text('Log out')")
    log_in(page, site, DEMO_ADMIN_EMAIL, DEMO_ADMIN_PASSWORD)
    page.goto(f"{site.url}/admin/support")
    row = page.locator("tr", has_text="Widget not showing on my site")
    expect(row).to_contain_text("AI Enterprise")
    shot("console-queue")
    row.locator("a").click()
    page.fill("#body", "Please add your site under Allowed sites on the Chat widget page.")
    page.click("button:has-text('Send reply')")
    expect(page.locator(".support-thread")).to_contain_text("Allowed sites", timeout=SLOW)
    shot("console-reply")
    page.goto(f"{site.url}/admin/support/targets")
    expect(page.locator("input[name=hours-ai_enterprise]")).to_have_value("2")
    shot("console-targets")
    page.goto(f"{site.url}/admin/support/account-managers")
    row = page.locator("tr", has_text="Bella Napoli Trattoria")
    row.locator("select").select_option(label=f"AlphaSite Admin ({DEMO_ADMIN_EMAIL})")
    row.locator("button:has-text('Save')").click()
    expect(page.locator(".flash.success")).to_contain_text("now manages")
    shot("console-account-manager")
    page.goto(f"{site.url}/help?q=embed")
    expect(page.locator("#help-results")).to_contain_text("The chat widget and embedding it")
    page.click("#help-results a >> nth=0")
    shot("help-article")
    assert re.search(r"/help/widget-and-embedding$", page.url)


def test_lower_package_sees_the_upgrade_offer(site, page, shot):
    with site.app.app_context():
        business = db.session.scalar(select(Business).where(Business.slug == CLAIMED_DEMO_SLUG))
        business.integration.service_package = "ai_sales"
        db.session.commit()
    try:
        log_in(page, site, OWNER_EMAIL, OWNER_PASSWORD)
        page.goto(f"{site.url}/businesses/{CLAIMED_DEMO_SLUG}/integrations")
        expect(page.locator("[data-upsell=custom_integrations]")).to_contain_text("AI Enterprise")
        shot("integrations-upsell")
        page.goto(f"{site.url}/businesses/{CLAIMED_DEMO_SLUG}/help")
        expect(page.locator("[data-upsell=priority_support]")).to_contain_text("AI Enterprise")
        shot("help-upsell")
    finally:
        with site.app.app_context():
            business = db.session.scalar(select(Business).where(Business.slug == CLAIMED_DEMO_SLUG))
            business.integration.service_package = "ai_enterprise"
            db.session.commit()
