"""Accounts and teams in a browser: password reset through the outbox, two-factor
sign-in with a code and a recovery code, and a staff member invited by email."""
import re

import pyotp
import pytest
from playwright.sync_api import expect

from app.demo import CLAIMED_DEMO_SLUG, DEMO_OWNER_EMAIL, DEMO_OWNER_PASSWORD
from tests.browser.mail_helpers import follow_mail_link, open_latest_mail, sign_up
from tests.browser.mail_helpers import log_in as shared_log_in

pytestmark = pytest.mark.browser


def log_in(page, base, email, password):
    shared_log_in(page, base, email, password, wait_for=None)


def test_forgot_password_reset_ends_the_old_session(live_server, browser, page, shot):
    base = live_server.url
    email = "rita@example.com"
    sign_up(page, base, "Rita Reset", email)
    # An old session on another device.
    other = browser.new_context(viewport={"width": 1280, "height": 900})
    old_device = other.new_page()
    log_in(old_device, base, email, "a-long-password")
    expect(old_device).to_have_url(base + "/businesses")

    page.goto(base + "/login")
    page.click("text=Forgot password?")
    page.fill("#email", email)
    shot("forgot-password")
    page.click("button:has-text('Email me a reset link')")
    expect(page.locator("#check-inbox")).to_contain_text("If " + email)
    shot("check-inbox")

    open_latest_mail(page, base, email, "Reset your AlphaSite password")
    shot("reset-mail")
    follow_mail_link(page, "/reset-password/")
    page.fill("#password", "a-brand-new-password")
    page.fill("#confirm", "a-brand-new-password")
    shot("choose-new-password")
    page.click("button:has-text('Save the new password')")
    expect(page.locator(".flash.success")).to_contain_text("every session was logged out")
    shot("after-reset")

    old_device.goto(base + "/businesses")
    expect(old_device).to_have_url(re.compile(r"/login"))
    shot("old-session-ended", target=old_device)
    other.close()

    log_in(page, base, email, "a-brand-new-password")
    expect(page).to_have_url(base + "/businesses")


def test_two_factor_with_a_code_then_a_recovery_code(live_server, page, shot):
    base = live_server.url
    email = "twofa@example.com"
    sign_up(page, base, "Tess Factor", email)
    log_in(page, base, email, "a-long-password")

    page.click("a:has-text('Tess Factor')")
    expect(page.locator("#two-factor")).to_contain_text("Two-factor sign-in")
    shot("security-page")
    page.click("text=Set up two-factor sign-in")
    expect(page.locator("#two-factor-setup svg")).to_be_visible()
    shot("setup-qr")
    secret = page.locator("#totp-secret").inner_text()
    page.fill("#code", pyotp.TOTP(secret).now())
    page.click("button:has-text('Turn on two-factor')")
    codes = page.locator("#recovery-codes code").all_inner_texts()
    assert len(codes) == 10
    shot("recovery-codes")
    page.click("text=I saved them")
    page.click("button:has-text('Log out')")

    log_in(page, base, email, "a-long-password")
    expect(page).to_have_url(base + "/login/two-factor")
    shot("code-prompt")
    page.fill("#code", "000000")
    page.click("button:has-text('Verify and log in')")
    expect(page.locator(".field-error")).to_contain_text("not valid")
    page.fill("#code", pyotp.TOTP(secret).now())
    page.click("button:has-text('Verify and log in')")
    expect(page).to_have_url(base + "/businesses")
    page.click("button:has-text('Log out')")

    log_in(page, base, email, "a-long-password")
    page.fill("#code", codes[0])
    page.click("button:has-text('Verify and log in')")
    expect(page).to_have_url(base + "/businesses")
    expect(page.locator(".flash.warning")).to_contain_text("9 left")
    shot("logged-in-with-recovery-code")


def test_invited_staff_member_sees_calls_but_not_billing(live_server, browser, page, shot):
    base = live_server.url
    log_in(page, base, DEMO_OWNER_EMAIL, DEMO_OWNER_PASSWORD)
    page.goto(base + f"/businesses/{CLAIMED_DEMO_SLUG}/team")
    page.fill("#email", "stella@example.com")
    page.select_option("#role", "staff")
    page.click("button:has-text('Send invitation')")
    expect(page.locator(".flash.success")).to_contain_text("Invitation sent to stella@example.com")
    expect(page.locator("#team-invitations")).to_contain_text("stella@example.com")
    shot("team-invited")

    staff_context = browser.new_context(viewport={"width": 1280, "height": 900})
    staff = staff_context.new_page()
    open_latest_mail(staff, base, "stella@example.com", "invited you")
    shot("invitation-mail", target=staff)
    follow_mail_link(staff, "/invitations/")
    expect(staff.locator("#invitation")).to_contain_text("Join")
    staff.click("text=Create an account")
    staff.fill("#name", "Stella Staff")
    staff.fill("#email", "stella@example.com")
    staff.fill("#password", "a-long-password")
    staff.fill("#confirm", "a-long-password")
    staff.click("button:has-text('Create account')")
    staff.click("text=Go to log in")
    staff.fill("#email", "stella@example.com")
    staff.fill("#password", "a-long-password")
    staff.click("button:has-text('Log in')")
    expect(staff).to_have_url(re.compile(r"/invitations/"))
    shot("accept-invitation", target=staff)
    staff.click("button:has-text('Accept')")
    expect(staff.locator(".flash.success")).to_contain_text("You joined")
    expect(staff).to_have_url(base + f"/businesses/{CLAIMED_DEMO_SLUG}/calls")
    nav = staff.locator(".topbar .nav").last
    expect(nav).to_contain_text("Calls")
    expect(nav).not_to_contain_text("Billing")
    shot("staff-calls", target=staff)
    response = staff.goto(base + f"/businesses/{CLAIMED_DEMO_SLUG}/billing")
    assert response.status == 403
    expect(staff.locator("h1")).to_have_text("Forbidden")
    shot("staff-billing-forbidden", target=staff)
    staff_context.close()

    page.reload()
    expect(page.locator("#team-members")).to_contain_text("Stella Staff")
    shot("team-with-staff")
