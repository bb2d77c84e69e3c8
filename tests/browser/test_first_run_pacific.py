"""A new owner whose browser is in Los Angeles: the claim takes the browser's
zone, the package is bought on the Stripe sandbox's page, the very first
appointment is booked on the first try, and a call made in the 4calls sandbox
reads in Pacific time while the usage meter moves, without a reload."""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from sandbox.fourcalls.testing import running_fourcalls
from sandbox.stripe.testing import running_stripe
from tests.billing_helpers import TEST_CARD
from tests.browser.conftest import LiveServer, build_live_app, free_port
from tests.browser.mail_helpers import sign_up_and_confirm

pytestmark = pytest.mark.browser

PACIFIC = ZoneInfo("America/Los_Angeles")
LISTING = "Studio Shear Salon"
SLUG = "studio-shear-salon-springfield"
SLOW = 30_000


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("first-run")
    port = free_port()
    with running_fourcalls(folder / "fourcalls") as fourcalls, running_stripe(
        folder / "stripe", webhook_url=f"http://127.0.0.1:{port}/webhooks/stripe", webhook_retry_base=0.2
    ) as stripe_sandbox:
        app, port = build_live_app(folder, port=port, STRIPE_API_BASE=stripe_sandbox.url,
                                   FOURCALLS_API_URL=fourcalls.url)
        with app.app_context():
            from app.extensions import db
            from app.models import Business

            # Listed in another zone: the claim must take the owner's browser zone.
            db.session.scalar(select(Business).where(Business.slug == SLUG)).timezone = "America/New_York"
            db.session.commit()
            db.session.remove()
        server = LiveServer(app, port)
        server.start()
        yield {"server": server, "fourcalls": fourcalls, "app": app}
        server.stop()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, timezone_id="America/Los_Angeles")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def organization_id(site) -> str:
    from app.extensions import db
    from app.models import Business

    with site["app"].app_context():
        business = db.session.scalar(select(Business).where(Business.slug == SLUG))
        org = business.integration.organization_id
        db.session.remove()
        return org


def next_pacific_weekday():
    day = datetime.now(PACIFIC).date() + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def test_pacific_owner_claims_buys_books_first_time_and_reads_pacific_times(site, page, shot):
    url = site["server"].url
    # A new owner confirms their address before buying (the outbox stands in for their inbox).
    sign_up_and_confirm(page, url, "Sam Shear", "sam@shear.example.com")

    page.goto(url + "/directory/" + SLUG)
    zone = page.locator("input[name=timezone]")
    expect(zone).to_have_value("America/Los_Angeles")  # the browser's zone, filled by browser-zone.js
    shot("claim-with-browser-zone")
    page.click(f"button:has-text('Claim {LISTING}')")
    expect(page.locator(".flash.success")).to_contain_text(f"You now manage {LISTING}")
    expect(page.locator(".zone-label")).to_contain_text("Times in America/Los_Angeles")
    expect(page.locator("input[name=timezone]")).to_have_value("America/Los_Angeles")  # the profile's picker
    shot("profile-in-pacific")

    page.click("a[href^='/businesses/'][href$='/packages']")
    page.click("button:has-text('Choose AI Receptionist')")
    expect(page).to_have_url(re.compile(r"/c/pay/cs_"))
    page.fill("#card_number", TEST_CARD)
    page.fill("input[name=exp]", "12 / 34")
    page.fill("input[name=cvc]", "123")
    page.click("button:has-text('and subscribe')")
    progress = page.locator("#checkout-progress")
    expect(progress).to_contain_text("You're all set", timeout=SLOW)
    shot("bought")

    # The very first booking, on the first try: the types 4calls knows are the salon's services.
    page.goto(f"{url}/businesses/{SLUG}/appointments/new")
    options = page.locator("#appointment_type option")
    expect(options.first).to_have_text("Haircut")
    day = next_pacific_weekday()
    page.fill("#day", day.isoformat())
    expect(page.locator("#slots")).to_contain_text("09:00", timeout=SLOW)  # opening time, Pacific
    page.wait_for_load_state("networkidle")
    page.click("#slots label:has-text('10:00')")
    page.fill("#name", "Lena Park")
    page.fill("#phone", "(555) 201-3344")
    shot("first-booking-form")
    page.click("button:has-text('Book appointment')")
    expect(page.locator(".flash.success")).to_contain_text(
        f"Booked Lena Park on {day:%a %b} {day.day} at 10:00", timeout=SLOW)
    expect(page.locator(".week-grid")).to_contain_text("10:00 Lena Park")
    shot("first-booking-in-calendar")

    # A call made in 4calls now: on the open dashboard in Pacific time, and the minutes meter moves.
    page.goto(f"{url}/businesses/{SLUG}/dashboard")
    inbound = page.locator("[data-meter=inbound_minutes]")
    expect(inbound).to_contain_text("0 of 500")
    shot("dashboard-before-call")
    page.evaluate("window.__stillTheSamePage = true")
    call = site["fourcalls"].generate_call(organization_id(site), caller_name="Pat Pacific", direction="inbound",
                                           status="answered")
    row = page.locator(f'#live-feed tr[data-call="{call["id"]}"]')
    expect(row).to_be_visible(timeout=SLOW)
    started = datetime.fromisoformat(call["started_at"].replace("Z", "+00:00")).astimezone(PACIFIC)
    expect(row).to_contain_text(f"{started:%b} {started.day}, {started:%H:%M}")
    expect(inbound).not_to_contain_text("0 of 500", timeout=SLOW)
    minutes = -(-call["duration_seconds"] // 60)
    expect(inbound).to_contain_text(f"{minutes} of 500")
    assert page.evaluate("window.__stillTheSamePage") is True, "the page must not reload"
    shot("dashboard-after-call")

    row.locator("a").first.click()
    expect(page.locator("main")).to_contain_text(f"{started:%A %b} {started.day}, {started:%Y at %H:%M}")
    shot("call-in-pacific")
