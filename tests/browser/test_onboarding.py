"""A new owner signs up, claims a listing, edits its profile and compares packages."""
import pytest
from playwright.sync_api import expect

from tests.browser.mail_helpers import follow_mail_link, open_latest_mail, sign_up_and_confirm

pytestmark = pytest.mark.browser


def test_signup_claim_edit_and_compare_packages(live_server, page, shot):
    base = live_server.url
    page.goto(base + "/")
    shot("home")

    page.click("text=Sign up")
    page.fill("#name", "Sam Salon")
    page.fill("#email", "sam@studio.example")
    page.fill("#password", "short")
    page.fill("#confirm", "short")
    page.click("button:has-text('Create account')")
    expect(page.locator(".field-error")).to_contain_text("at least 10 characters")
    shot("signup-error")

    page.fill("#password", "a-long-password")
    page.fill("#confirm", "a-long-password")
    page.click("button:has-text('Create account')")
    expect(page.locator("#check-inbox")).to_contain_text("Check your inbox")
    shot("check-inbox")
    open_latest_mail(page, base, "sam@studio.example", "Confirm your email")
    shot("confirmation-mail")
    follow_mail_link(page, "/verify-email/")
    page.fill("#email", "sam@studio.example")
    page.fill("#password", "a-long-password")
    page.click("button:has-text('Log in')")
    page.goto(base + "/directory")
    # htmx is deferred: typing before it has loaded would not search.
    page.wait_for_function("window.htmx !== undefined")

    # Active search narrows the list without a page load.
    page.fill("input[name=q]", "studio shear")
    expect(page.locator("#directory-results")).to_contain_text("1 business")
    expect(page.locator("#directory-results")).to_contain_text("Studio Shear Salon")
    assert "q=studio" in page.url
    shot("directory-search")

    page.click("#directory-results >> text=Claim")
    # browser-zone.js (deferred) fills the zone; a click before it runs would send none.
    expect(page.locator("input[name=timezone]")).not_to_have_value("")
    shot("listing")
    page.click("button:has-text('Claim Studio Shear Salon')")
    expect(page.locator(".flash.success")).to_contain_text("You now manage Studio Shear Salon")
    shot("profile-after-claim")

    page.fill("#description", "Walk-ins welcome. Colour specialists.")
    page.fill("#services", "Haircut\nColouring\nBeard trim")
    page.fill("#faq-0-question", "Do you take walk-ins?")
    page.fill("#faq-0-answer", "Yes, whenever a chair is free.")
    page.fill("#monday-closes", "08:00")
    page.click("button:has-text('Save profile')")
    expect(page.locator(".field-error").first).to_contain_text("Closing time must be after opening time")
    shot("profile-error")
    # What the owner typed is still there after the error.
    expect(page.locator("#services")).to_have_value("Haircut\nColouring\nBeard trim")

    page.fill("#monday-closes", "19:00")
    page.click("button:has-text('Save profile')")
    expect(page.locator(".flash.success")).to_contain_text("Profile saved")
    expect(page.locator("#faq-0-answer")).to_have_value("Yes, whenever a chair is free.")
    shot("profile-saved")

    page.click(".nav >> text=Packages")
    table = page.locator("table.compare")
    for name in ("AI Receptionist", "AI Sales Assistant", "AI Business Suite", "AI Enterprise"):
        expect(table).to_contain_text(name)
    for price in ("$49.00", "$99.00", "$199.00", "$399.00"):
        expect(table).to_contain_text(price)
    shot("package-picker")


def test_another_owner_gets_404(live_server, page, shot):
    base = live_server.url
    sign_up_and_confirm(page, base, "Nosy Neighbour", "nosy@example.com")
    response = page.goto(base + "/businesses/bella-napoli-trattoria-springfield/edit")
    assert response.status == 404
    expect(page.locator("h1")).to_have_text("Not found")
    shot("not-found")
