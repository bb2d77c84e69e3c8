"""Advanced scheduling in a browser: the owner adds two stylists and a
one-off closed day, books both stylists at the same time, filters the
calendar by stylist, and sees the closed day refuse bookings."""
from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from app.demo import CLAIMED_DEMO_SLUG
from tests.browser.conftest import owned_demo_site
from tests.browser.mail_helpers import log_in as shared_log_in
from tests.fourcalls_helpers import next_weekday_at

pytestmark = pytest.mark.browser

SLOW = 15_000
OWNER_EMAIL = "stylist.owner@example.com"
OWNER_PASSWORD = "stylist-owner-password"


@pytest.fixture(scope="module")
def salon_site(tmp_path_factory):
    with owned_demo_site(tmp_path_factory.mktemp("scheduling-browser"), ("Salon Owner", OWNER_EMAIL, OWNER_PASSWORD),
                         "ai_sales") as server:
        yield server


def log_in(page, server):
    shared_log_in(page, server, OWNER_EMAIL, OWNER_PASSWORD, timeout=SLOW)


def add_stylist(page, name):
    page.fill("#staff-name", name)
    page.check("#staff-form input[name=appointment_types][value=Haircut]")
    page.click("#staff-form button:has-text('Add')")
    expect(page.locator(".flash.success")).to_contain_text(f"{name} added", timeout=SLOW)


def book_at_ten(page, site, day, name, phone, staff_label):
    page.goto(f"{site.url}/businesses/{CLAIMED_DEMO_SLUG}/appointments/new?day={day.isoformat()}")
    page.select_option("#staff_id", label=staff_label)
    expect(page.locator("#slots")).to_contain_text("10:00", timeout=SLOW)
    page.wait_for_load_state("networkidle")
    page.click("#slots label:has-text('10:00')")
    expect(page.locator("#slots input:checked")).to_have_count(1)
    page.fill("#name", name)
    page.fill("#phone", phone)
    page.click("button:has-text('Book appointment')")
    expect(page.locator(".flash.success")).to_contain_text(f"Booked {name}", timeout=SLOW)


def test_staff_closure_settings_and_two_stylists_at_the_same_time(salon_site, page, shot):
    log_in(page, salon_site)
    page.goto(f"{salon_site.url}/businesses/{CLAIMED_DEMO_SLUG}/appointments")
    page.click("text=Staff & closures")
    expect(page.locator("h1")).to_contain_text("Staff, resources and closures", timeout=SLOW)
    add_stylist(page, "Maria")
    add_stylist(page, "Jonas")
    expect(page.locator("#staff-list")).to_contain_text("Jonas", timeout=SLOW)

    day = next_weekday_at(10).date()
    closed = day + timedelta(days=1)
    page.fill("#first_day", closed.isoformat())
    page.fill("#reason", "Staff training")
    page.click("button:has-text('Add closure')")
    expect(page.locator(".flash.success")).to_contain_text("Closed", timeout=SLOW)
    expect(page.locator("#closures")).to_contain_text("Staff training", timeout=SLOW)
    # The field errors of a bad closure keep the page.
    page.fill("#first_day", "2001-01-01")
    page.click("button:has-text('Add closure')")
    expect(page.locator("#closures .field-error")).to_contain_text("That day has passed", timeout=SLOW)
    shot("staff-and-closures")

    # 4calls learns the stylists from the settings push: the free times name them.
    for _ in range(10):
        page.goto(f"{salon_site.url}/businesses/{CLAIMED_DEMO_SLUG}/appointments/new?day={day.isoformat()}")
        if "Jonas, Maria" in page.locator("#slots").inner_text():
            break
        page.wait_for_timeout(1000)
    shot("free-times-name-both-stylists")
    expect(page.locator("#slots")).to_contain_text("Jonas, Maria", timeout=SLOW)

    book_at_ten(page, salon_site, day, "Ann Lee", "(555) 201-3344", "Maria")
    book_at_ten(page, salon_site, day, "Bo Chen", "(555) 201-3345", "Anyone free")
    page.goto(f"{salon_site.url}/businesses/{CLAIMED_DEMO_SLUG}/appointments?view=day&date={day.isoformat()}")
    rows = page.locator("table.day-list tbody tr")
    expect(rows).to_have_count(2, timeout=SLOW)
    expect(rows.nth(0)).to_contain_text("10:00", timeout=SLOW)
    expect(rows.nth(1)).to_contain_text("10:00", timeout=SLOW)
    expect(page.locator("table.day-list")).to_contain_text("Maria", timeout=SLOW)
    expect(page.locator("table.day-list")).to_contain_text("Jonas", timeout=SLOW)
    shot("two-stylists-at-ten")

    page.click("[data-staff-filter=Jonas]")
    expect(page.locator("table.day-list tbody tr")).to_have_count(1, timeout=SLOW)
    expect(page.locator("table.day-list")).to_contain_text("Bo Chen", timeout=SLOW)
    assert "staff=" in page.url
    shot("calendar-filtered-by-jonas")

    # Both stylists are busy at 10:00 now, and the closed day offers nothing.
    page.goto(f"{salon_site.url}/businesses/{CLAIMED_DEMO_SLUG}/appointments/new?day={day.isoformat()}")
    expect(page.locator("#slots")).to_contain_text("11:00", timeout=SLOW)
    expect(page.locator("#slots label:has-text('10:00')")).to_have_count(0)
    page.goto(f"{salon_site.url}/businesses/{CLAIMED_DEMO_SLUG}/appointments/new?day={closed.isoformat()}")
    expect(page.locator("#slots")).to_contain_text("No free times", timeout=SLOW)
    page.goto(f"{salon_site.url}/businesses/{CLAIMED_DEMO_SLUG}/appointments?view=week&date={closed.isoformat()}")
    expect(page.locator(".week-grid")).to_contain_text("Closed · Staff training", timeout=SLOW)
    shot("week-with-closed-day")
