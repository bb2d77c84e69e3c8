"""The owner's dashboard and call log in Chromium, against the 4calls sandbox:
a call made in 4calls appears on the open dashboard without a reload."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.auth.services import register_user
from app.demo import CLAIMED_DEMO_SLUG
from app.extensions import db
from app.models import Business
from app.crm_sync.jobs import sync_business
from sandbox.fourcalls.testing import running_fourcalls
from tests.browser.conftest import LiveServer, build_live_app, connect_sandbox_organization, free_port
from tests.browser.mail_helpers import log_in as shared_log_in

pytestmark = pytest.mark.browser

OWNER_EMAIL = "dash.owner@example.com"
OWNER_PASSWORD = "dash-owner-password"


def log_in(page, server):
    shared_log_in(page, server, OWNER_EMAIL, OWNER_PASSWORD)


@pytest.fixture(scope="module")
def dashboard_site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("dashboard-browser")
    with running_fourcalls(folder / "fourcalls") as fourcalls:
        port = free_port()
        app, port = build_live_app(folder, port=port, FOURCALLS_API_URL=fourcalls.url)
        server_url = f"http://127.0.0.1:{port}"
        with app.app_context():
            business = db.session.scalar(select(Business).where(Business.slug == CLAIMED_DEMO_SLUG))
            business.owner_id = register_user("Dana Owner", OWNER_EMAIL, OWNER_PASSWORD).id
            # A second business, so the header's switcher shows (test_switching_business_...).
            db.session.add(Business(name="Dana's Second Shop", slug="danas-second-shop", category="Salon",
                                    city="Springfield", timezone=business.timezone, owner_id=business.owner_id))
            organization = connect_sandbox_organization(app, business, "ai_receptionist", active_for_days=40,
                                                        timezone_name=business.timezone, webhook_url=f"{server_url}/webhooks/fourcalls")
            db.session.commit()
            fourcalls.seed(organization["id"], calls=120, contacts=30, appointments=12, days=28)
            sync_business(str(business.id))
            slug = business.slug
        server = LiveServer(app, port)
        server.start()
        yield {"server": server, "fourcalls": fourcalls, "org_id": organization["id"], "slug": slug}
        server.stop()


def test_new_call_appears_live_and_sync_now_reports_progress(dashboard_site, page, shot):
    server, slug = dashboard_site["server"], dashboard_site["slug"]
    log_in(page, server)
    page.goto(f"{server.url}/businesses/{slug}/dashboard")
    expect(page.locator("#call-stats")).to_contain_text("Last 30 days")
    expect(page.locator("#live-feed tbody tr")).to_have_count(8)
    expect(page.locator("#usage-meters")).to_contain_text("Inbound minutes")
    shot("dashboard")
    page.evaluate("window.__stillTheSamePage = true")

    call = dashboard_site["fourcalls"].generate_call(dashboard_site["org_id"], caller_name="Patricia Live",
                                                     direction="inbound")
    # Within 5 seconds of 4calls finishing the call, without a reload.
    expect(page.locator(f'#live-feed tr[data-call="{call["id"]}"]')).to_be_visible(timeout=5_000)
    assert page.evaluate("window.__stillTheSamePage") is True, "the page must not reload"
    shot("new-call-appeared")

    page.click("#sync-status button:has-text('Sync now')")
    expect(page.locator("#sync-status [role=progressbar]")).to_be_visible()
    shot("sync-progress")
    expect(page.locator("#sync-status")).to_contain_text("Last synced", timeout=15_000)
    expect(page.locator("#sync-status")).to_contain_text("Last sync:")
    shot("after-sync-now")


def test_call_log_filters_search_and_call_page(dashboard_site, page, shot):
    server, slug = dashboard_site["server"], dashboard_site["slug"]
    log_in(page, server)
    page.goto(f"{server.url}/businesses/{slug}/calls")
    expect(page.locator("#call-count")).to_contain_text("calls")
    shot("call-log")
    page.select_option("#status", "answered")
    expect(page).to_have_url(re.compile(r"status=answered"))
    first_summary = page.locator("#call-rows .summary-cell").first.inner_text()
    word = max(re.findall(r"[A-Za-z]{4,}", first_summary), key=len).lower()
    page.fill("#q", word)
    expect(page).to_have_url(re.compile(f"q={re.escape(word)}"))
    expect(page.locator("#call-count")).to_contain_text("match")
    shot("call-log-search")
    page.reload()  # the pushed URL renders as a full page with the filters kept
    expect(page.locator("#q")).to_have_value(word)
    expect(page.locator("#status")).to_have_value("answered")
    page.locator("#call-rows a").first.click()
    expect(page.locator(".call-transcript .msg").first).to_be_visible()
    shot("call-page")
    page.goto(f"{server.url}/businesses/{slug}/calls?from=not-a-date")
    expect(page.locator(".flash.error")).to_contain_text("Enter a date as YYYY-MM-DD.")
    shot("call-log-bad-filter")


def test_switching_business_from_the_header_and_a_rename_shows_at_once(dashboard_site, page, shot):
    """The switcher lists the owner's businesses by name, takes them to the one
    chosen, and shows a business's new name on the next page after a rename."""
    server, slug = dashboard_site["server"], dashboard_site["slug"]
    log_in(page, server)
    page.goto(f"{server.url}/businesses/{slug}/calls")
    switcher = page.locator("#business-switcher")
    expect(switcher).to_have_value(slug)
    names = switcher.locator("option").all_inner_texts()
    assert "Dana's Second Shop" in names and len(names) == 2 and names == sorted(names, key=str.casefold)
    shot("switcher-on-the-call-log")
    switcher.select_option("danas-second-shop")
    expect(page).to_have_url(re.compile(r"/businesses/danas-second-shop(/|$)"))
    expect(page.locator("#business-switcher")).to_have_value("danas-second-shop")
    shot("switched-to-the-second-business")

    page.goto(f"{server.url}/businesses/danas-second-shop/edit")
    page.fill("#name", "Dana's Corner Shop")
    page.click("form button[type=submit]:has-text('Save')")
    expect(page.locator(".flash.success")).to_contain_text("Profile saved.")
    expect(page.locator("#business-switcher option:checked")).to_have_text("Dana's Corner Shop")
    shot("renamed-in-the-switcher")
