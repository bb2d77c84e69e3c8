"""Campaigns in Chromium against the 4calls sandbox: tag three contacts,
create a campaign on that tag, launch it and watch progress and outcomes
arrive without a reload; pause and resume; export CSV; a contact who said
"stop calling" appears on the do-not-call list."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.auth.services import register_user
from app.demo import CLAIMED_DEMO_SLUG
from app.encryption import encrypt
from app.extensions import db
from app.fourcalls import platform_client
from app.assistant.connection import organization_client
from app.models import Business, Contact, Coordinator, CoordinatorStatus, FourCallsIntegration, IntegrationStatus
from sandbox.fourcalls.testing import running_fourcalls
from tests.browser.conftest import LiveServer, build_live_app, free_port
from tests.browser.mail_helpers import log_in as shared_log_in

pytestmark = pytest.mark.browser

OWNER_EMAIL = "camp.owner@example.com"
OWNER_PASSWORD = "camp-owner-password"
PHONES = ["+15125557001", "+15125557002", "+15125557003"]


def log_in(page, server):
    shared_log_in(page, server, OWNER_EMAIL, OWNER_PASSWORD)


def zone_inside_calling_hours() -> str:
    """A zone where it is now mid-day, so the contacts' window is open whenever the test runs."""
    now = datetime.now(timezone.utc)
    for name in ("America/Chicago", "Europe/Berlin", "Asia/Tokyo", "Pacific/Auckland", "America/Los_Angeles",
                 "Asia/Kolkata", "America/Sao_Paulo", "Europe/London", "Asia/Dubai", "Australia/Sydney"):
        if 10 <= now.astimezone(ZoneInfo(name)).hour < 19:
            return name
    return "UTC"


def connect_to_sandbox(app, business, server_url, package) -> None:
    """A 4calls organization in the sandbox on `package`, with a Sales assistant to make the calls."""
    organization = platform_client().create_organization({
        "name": business.name, "timezone": "UTC", "webhook_url": f"{server_url}/webhooks/fourcalls"})
    db.session.add(FourCallsIntegration(
        business_id=business.id, organization_id=organization["id"],
        api_key=encrypt(organization["api_key"], app.config["ENCRYPTION_KEYS"]),
        service_package=package, status=IntegrationStatus.ACTIVE,
        activated_at=datetime.now(timezone.utc) - timedelta(days=3)))
    db.session.commit()
    client = organization_client(business)
    remote = client.create_coordinator(client.organization_id, {"name": "Sam", "role": "sales"})
    db.session.add(Coordinator(business_id=business.id, fourcalls_id=remote["id"], role="sales", name="Sam",
                               status=CoordinatorStatus.ACTIVE, synced_version=1, position=9))


@pytest.fixture(scope="module")
def campaign_site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("campaigns-browser")
    with running_fourcalls(folder / "fourcalls", dial_seconds=1.5) as fourcalls:
        port = free_port()
        app, port = build_live_app(folder, port=port, FOURCALLS_API_URL=fourcalls.url,
                                   FOURCALLS_TIMEOUT_SECONDS=60)  # a loaded machine answers slowly
        server_url = f"http://127.0.0.1:{port}"
        with app.app_context():
            business = db.session.scalar(select(Business).where(Business.slug == CLAIMED_DEMO_SLUG))
            business.owner_id = register_user("Cam Owner", OWNER_EMAIL, OWNER_PASSWORD).id
            connect_to_sandbox(app, business, server_url, "ai_business_suite")
            zone = zone_inside_calling_hours()
            for n, phone in enumerate(PHONES):
                db.session.add(Contact(id=uuid.uuid4(), business_id=business.id, name=f"Campaign Person {n + 1}",
                                       phone=phone, timezone=zone, custom_fields={}))
            db.session.commit()
            slug = business.slug
        # The first two answer; the third asks never to be called again.
        fourcalls._admin_call("POST", "/dials/script", json={"phone": PHONES[0], "result": "answered", "outcome": "booked"})
        fourcalls._admin_call("POST", "/dials/script", json={"phone": PHONES[1], "result": "no_answer"})
        fourcalls._admin_call("POST", "/dials/script", json={"phone": PHONES[2], "result": "answered",
                                                              "outcome": "not_interested", "opt_out": True})
        server = LiveServer(app, port)
        server.start()
        yield {"server": server, "fourcalls": fourcalls, "slug": slug}
        server.stop()


def fill_campaign_form(page, name: str, tag: str, matching: int) -> None:
    """A one-attempt campaign on a tag, every day 08:00-21:00, once its audience preview has settled."""
    page.fill("#name", name)
    page.fill("#tags", tag)
    for day in range(7):
        page.check(f"input[name=days][value='{day}']")
    page.fill("#window_start", "08:00")
    page.fill("#window_end", "21:00")
    page.fill("#max_attempts", "1")
    page.fill("#concurrency", "1")
    page.locator("#concurrency").blur()
    # The preview follows the form; let its last refresh land before clicking (it moves the button).
    page.wait_for_timeout(400)
    expect(page.locator(".htmx-request")).to_have_count(0)
    expect(page.locator("#audience-preview")).to_contain_text(f"to call, of {matching} matching")


def test_tag_create_launch_watch_pause_resume_export_and_opt_out(campaign_site, page, shot):
    server, slug = campaign_site["server"], campaign_site["slug"]
    log_in(page, server)
    page.goto(f"{server.url}/businesses/{slug}/contacts?q=Campaign+Person")
    expect(page.locator("#bulk-form input[name=ids]")).to_have_count(3)
    for box in page.locator("#bulk-form input[name=ids]").all():
        box.check()
    page.fill("#bulk-form input[name=tag]", "spring-call")
    page.locator("#bulk-form button[value=add]").click()
    expect(page.locator("body")).to_contain_text("spring-call")

    page.goto(f"{server.url}/businesses/{slug}/campaigns")
    shot("campaigns-empty")
    page.click("text=+ New campaign")
    fill_campaign_form(page, "Spring check-in", "spring-call", matching=3)
    shot("new-campaign-form")
    page.click("button:has-text('Save draft')")
    expect(page.locator("#campaign-status")).to_have_text("draft")
    page.click("button:has-text('Launch')")
    expect(page.locator("#campaign-status")).to_have_text("running")
    page.evaluate("window.__samePage = true")
    shot("launched")

    page.click("button:has-text('Pause')")
    expect(page.locator("#campaign-status")).to_have_text("paused")
    shot("paused")
    page.click("button:has-text('Resume')")
    expect(page.locator("#campaign-status")).to_have_text("running")
    page.evaluate("window.__samePage = true")
    # Results arrive by webhook and the page refreshes itself until the campaign completes.
    expect(page.locator("#campaign-status")).to_have_text("completed", timeout=30_000)
    assert page.evaluate("window.__samePage") is True, "progress must arrive without a reload"
    expect(page.locator("[data-count=answered] .stat")).to_have_text("2")
    expect(page.locator("[data-count=no_answer] .stat")).to_have_text("1")
    expect(page.locator(".funnel")).to_contain_text("Opted out")
    shot("completed-with-results")

    with page.expect_download() as download:
        page.click("text=Export CSV")
    lines = open(download.value.path()).read().splitlines()
    assert lines[0].startswith("name,phone,time_zone,status") and len(lines) == 4

    page.goto(f"{server.url}/businesses/{slug}/do-not-contact")
    row = page.locator(f"tr[data-value='{PHONES[2]}']")
    expect(row).to_contain_text("Asked on a call")
    expect(row).to_contain_text("stop calling")
    shot("do-not-call-list")
