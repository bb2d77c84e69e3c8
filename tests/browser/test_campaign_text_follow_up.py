"""A finished campaign's follow-up by text in Chromium against the 4calls
sandbox: launch a two-contact campaign, watch it complete, write the text,
see its preview, send it, and read the follow-up's results on the page."""
from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.auth.services import register_user
from app.demo import CLAIMED_DEMO_SLUG
from app.extensions import db
from app.models import Business, Contact
from sandbox.fourcalls.testing import running_fourcalls
from tests.browser.conftest import LiveServer, build_live_app, free_port
from tests.browser.mail_helpers import log_in
from tests.browser.test_campaigns import connect_to_sandbox, fill_campaign_form, zone_inside_calling_hours

pytestmark = pytest.mark.browser

OWNER_EMAIL = "text.follow@example.com"
OWNER_PASSWORD = "text-follow-password"
PHONES = ["+15125558001", "+15125558002"]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("campaign-text-follow-up")
    with running_fourcalls(folder / "fourcalls", dial_seconds=1.0) as fourcalls:
        port = free_port()
        app, port = build_live_app(folder, port=port, FOURCALLS_API_URL=fourcalls.url, FOURCALLS_TIMEOUT_SECONDS=60)
        server_url = f"http://127.0.0.1:{port}"
        with app.app_context():
            business = db.session.scalar(select(Business).where(Business.slug == CLAIMED_DEMO_SLUG))
            business.owner_id = register_user("Tex Owner", OWNER_EMAIL, OWNER_PASSWORD).id
            connect_to_sandbox(app, business, server_url, "ai_business_suite")
            zone = zone_inside_calling_hours()  # daytime for the recipient too: the text goes at once
            for n, phone in enumerate(PHONES):
                db.session.add(Contact(id=uuid.uuid4(), business_id=business.id, name=f"Follow Person {n + 1}",
                                       phone=phone, timezone=zone, custom_fields={}))
            db.session.commit()
            slug = business.slug
        fourcalls._admin_call("POST", "/dials/script", json={"phone": PHONES[0], "result": "answered", "outcome": "booked"})
        fourcalls._admin_call("POST", "/dials/script", json={"phone": PHONES[1], "result": "no_answer"})
        server = LiveServer(app, port)
        server.start()
        yield {"server": server, "slug": slug}
        server.stop()


def test_finish_a_campaign_then_text_the_unreached(site, page, shot):
    server, slug = site["server"], site["slug"]
    log_in(page, server, OWNER_EMAIL, OWNER_PASSWORD)
    page.goto(f"{server.url}/businesses/{slug}/contacts?q=Follow+Person")
    expect(page.locator("#bulk-form input[name=ids]")).to_have_count(2)
    for box in page.locator("#bulk-form input[name=ids]").all():
        box.check()
    page.fill("#bulk-form input[name=tag]", "text-follow")
    page.locator("#bulk-form button[value=add]").click()
    expect(page.locator("body")).to_contain_text("text-follow")

    page.goto(f"{server.url}/businesses/{slug}/campaigns/new")
    fill_campaign_form(page, "Autumn check-in", "text-follow", matching=2)
    page.click("button:has-text('Save draft')")
    page.click("button:has-text('Launch')")
    expect(page.locator("#campaign-status")).to_have_text("completed", timeout=40_000)
    expect(page.locator("#text-follow-up")).to_contain_text("1 will get a text")
    shot("text-follow-up-offered")

    page.fill("#follow_up_body", "Hi {first_name}, sorry we missed you. Reply to book a time.")
    expect(page.locator("#text-follow-up-sample")).to_contain_text("Hi Follow, sorry we missed you.")
    shot("text-follow-up-preview")
    page.click("#send-text-follow-up")
    expect(page.locator(".flash")).to_contain_text("Follow-up queued: 1 now, 0 held for quiet hours, 0 skipped")
    expect(page.locator("#text-follow-up-progress")).to_contain_text(OWNER_EMAIL)
    expect(page.locator("#text-follow-up")).to_contain_text("Everyone not reached has been followed up")
    shot("text-follow-up-sent")
