"""Campaigns in Chromium, the parts a list and a package decide: an owner
uploads a CSV on the New campaign form, sees who would be called and who is
left out (and why) before saving, launches it and watches it finish; an AI
Receptionist owner finds no Campaigns in the navigation but an upgrade offer,
and the campaigns URL shows the offer page."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from app.auth.services import register_user
from app.contacts.phone import normalise_phone
from app.timezones import zone_for_phone
from app.businesses.services import claim_business
from app.demo import CLAIMED_DEMO_SLUG
from app.extensions import db
from app.models import (Business, Contact, FourCallsIntegration, ImportedContact,
                        IntegrationStatus)
from sandbox.fourcalls.testing import running_fourcalls
from tests.browser.conftest import LiveServer, build_live_app, free_port
from tests.browser.mail_helpers import log_in as shared_log_in
from tests.browser.test_campaigns import connect_to_sandbox, zone_inside_calling_hours

pytestmark = pytest.mark.browser

OWNER_EMAIL = "list.owner@example.com"
OWNER_PASSWORD = "list-owner-password"
KNOWN_PHONE = "+15125558001"
# Numbers in several zones (phonenumbers pins each to one). A listed person has no zone of
# their own, so their number's zone decides their calling window: the test picks numbers
# where it is now mid-day, so the campaign can finish whenever it runs.
NUMBER_PATTERNS = ("+1 512 555 {}", "+1 213 555 {}", "+44 20 7946 {}", "+49 30 9018 {}", "+81 3 3224 {}",
                   "+61 2 9374 {}", "+91 22 2778 {}", "+971 4 331 {}", "+55 11 3031 {}", "+64 9 300 {}")


def numbers_in_calling_hours() -> tuple[str, str]:
    now = datetime.now(timezone.utc)
    for pattern in NUMBER_PATTERNS:
        first, second = pattern.format("8002"), pattern.format("8003")
        zone = zone_for_phone(normalise_phone(first))
        if zone and zone == zone_for_phone(normalise_phone(second)) and 10 <= now.astimezone(ZoneInfo(zone)).hour < 19:
            return first, second
    pytest.skip("no sample number is in its calling hours now")


@pytest.fixture(scope="module")
def list_site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("campaign-csv-browser")
    with running_fourcalls(folder / "fourcalls", dial_seconds=1.0) as fourcalls:
        port = free_port()
        app, port = build_live_app(folder, port=port, FOURCALLS_API_URL=fourcalls.url,
                                   FOURCALLS_TIMEOUT_SECONDS=60)  # a loaded machine answers slowly
        server_url = f"http://127.0.0.1:{port}"
        with app.app_context():
            owner = register_user("List Owner", OWNER_EMAIL, OWNER_PASSWORD)
            business = db.session.scalar(select(Business).where(Business.slug == CLAIMED_DEMO_SLUG))
            business.owner_id = owner.id
            connect_to_sandbox(app, business, server_url, "ai_sales")
            zone = zone_inside_calling_hours()
            # Already a contact: the list's row for this number updates it instead of adding a second.
            db.session.add(Contact(id=uuid.uuid4(), business_id=business.id, name="Known Customer",
                                   phone=KNOWN_PHONE, timezone=zone, custom_fields={}))
            receptionist = Business(name="Front Desk Dental", slug="front-desk-dental", category="Dentist",
                                    city="Springfield", opening_hours={}, services=[], faq=[])
            db.session.add(receptionist)
            db.session.commit()
            claim_business(receptionist, owner)
            db.session.add(FourCallsIntegration(
                business_id=receptionist.id, organization_id=f"org_{uuid.uuid4().hex[:8]}",
                service_package="ai_receptionist", status=IntegrationStatus.ACTIVE,
                activated_at=datetime.now(timezone.utc) - timedelta(days=3)))
            db.session.commit()
            slugs = {"sales": business.slug, "receptionist": receptionist.slug, "zone": zone}
        fourcalls._admin_call("POST", "/dials/script", json={"phone": KNOWN_PHONE, "result": "answered",
                                                              "outcome": "booked"})
        server = LiveServer(app, port)
        server.start()
        yield {"server": server, "app": app, **slugs}
        server.stop()


def log_in(page, server):
    shared_log_in(page, server, OWNER_EMAIL, OWNER_PASSWORD)


def settle(page):
    """Let the audience preview's last refresh land before reading it or clicking below it."""
    page.wait_for_timeout(400)
    expect(page.locator(".htmx-request")).to_have_count(0)


def test_campaign_on_an_uploaded_csv_list(list_site, page, shot, tmp_path):
    server, slug = list_site["server"], list_site["sales"]
    lena, mo = numbers_in_calling_hours()
    listing = tmp_path / "spring-list.csv"
    listing.write_text("Name,Phone,Email\n"
                       "Known Customer,(512) 555-8001,\n"
                       f"Lena List,{lena},lena@example.com\n"
                       f"Mo List,{mo},\n"
                       "No Number,,nonumber@example.com\n")
    log_in(page, server)
    page.goto(f"{server.url}/businesses/{slug}/campaigns/new")
    page.fill("#name", "Spring list")
    page.check("input[name=audience_source][value=csv]")
    expect(page.locator("#tags")).to_be_hidden()  # the segment inputs give way to the file input
    for day in range(7):
        page.check(f"input[name=days][value='{day}']")
    page.fill("#window_start", "08:00")
    page.fill("#window_end", "21:00")
    page.fill("#max_attempts", "1")
    page.locator("#max_attempts").blur()
    page.set_input_files("#csv_file", str(listing))
    settle(page)
    preview = page.locator("#audience-preview")
    expect(preview).to_contain_text("uploaded list spring-list.csv: 4 contacts (3 new, 1 already in your contacts)")
    expect(preview).to_contain_text("to call, of 4 matching")
    expect(preview).to_contain_text("1 left out: no phone number")
    shot("csv-form-preview")
    with list_site["app"].app_context():
        assert db.session.scalar(select(func.count()).select_from(ImportedContact)) == 0, "the preview saves nothing"

    page.click("button:has-text('Save draft')")
    expect(page.locator("#campaign-status")).to_have_text("draft", timeout=20_000)
    expect(page.locator(".campaign-head")).to_contain_text("uploaded list spring-list.csv")
    expect(page.locator("#audience-preview")).to_contain_text("1 left out: no phone number")
    shot("csv-draft")

    # Re-editing the draft keeps the uploaded list.
    page.click("a:has-text('Edit')")
    expect(page.locator("input[name=audience_source][value=csv]")).to_be_checked()
    expect(page.locator(".audience-csv")).to_contain_text("Calling the spring-list.csv list")
    page.fill("#name", "Spring list (checked)")
    page.locator("#name").blur()
    settle(page)
    page.click("button:has-text('Save draft')")
    expect(page.locator("h1")).to_contain_text("Spring list (checked)")
    expect(page.locator("#audience-preview")).to_contain_text("to call, of 4 matching")

    page.click("button:has-text('Launch')")
    expect(page.locator("#campaign-status")).to_have_text("running")
    page.evaluate("window.__samePage = true")
    expect(page.locator("#campaign-status")).to_have_text("completed", timeout=30_000)
    assert page.evaluate("window.__samePage") is True, "progress must arrive without a reload"
    expect(page.locator("table.targets")).to_contain_text("Lena List")
    shot("csv-campaign-completed")

    page.goto(f"{server.url}/businesses/{slug}/contacts?q=List")
    expect(page.locator("body")).to_contain_text("Lena List")
    expect(page.locator("body")).to_contain_text("Mo List")


def test_receptionist_sees_an_upgrade_offer_instead_of_campaigns(list_site, page, shot):
    server, slug = list_site["server"], list_site["receptionist"]
    log_in(page, server)
    page.goto(f"{server.url}/businesses/{slug}/dashboard")
    nav = page.locator(".topbar .inner:has(.zone-label) nav")
    expect(nav).to_be_visible()
    expect(nav.get_by_role("link", name="Campaigns", exact=True)).to_have_count(0)
    expect(nav.get_by_role("link", name="Leads", exact=True)).to_have_count(0)
    expect(nav.get_by_role("link", name="Calls", exact=True)).to_have_count(1)
    offer = nav.locator("#nav-upgrade")
    expect(offer).to_have_text("Upgrade: Analytics, Leads, Campaigns")
    expect(page.locator("#outbound-offer")).to_contain_text("AI Sales Assistant")
    expect(page.locator("[data-meter=outbound_minutes]")).to_contain_text("Not in your package")
    shot("receptionist-dashboard-offer")

    page.goto(f"{server.url}/businesses/{slug}/campaigns")
    expect(page.locator("#campaigns-upgrade")).to_contain_text("AI Sales Assistant")
    expect(page.locator(".topbar .inner:has(.zone-label) nav").get_by_role("link", name="Campaigns", exact=True)
           ).to_have_count(0)
    shot("receptionist-campaigns-offer")
    page.click("#campaigns-upgrade a:has-text('Compare packages and upgrade')")
    expect(page.locator("body")).to_contain_text("AI Sales Assistant")
    shot("receptionist-packages")
