"""Reading the development outbox from a browser test, as a newcomer would."""
from __future__ import annotations

import re

from playwright.sync_api import expect


def open_latest_mail(page, base: str, to: str, subject: str):
    """Open the newest mail to `to` whose subject contains `subject`; waits for delivery."""
    row = page.locator("tr", has_text=to).filter(has_text=subject).first
    for _ in range(20):
        page.goto(base + "/dev/outbox")
        if row.count():
            break
        page.wait_for_timeout(250)
    row.locator("a").first.click()
    expect(page.locator("pre.mail-text")).to_be_visible()


def follow_mail_link(page, path_prefix: str) -> str:
    """Click the link in the open mail whose path starts with `path_prefix`."""
    link = page.locator("pre.mail-text a", has_text=re.compile(re.escape(path_prefix)))
    href = link.first.get_attribute("href")
    link.first.click()
    return href


def sign_up(page, base: str, name: str, email: str, password: str = "a-long-password") -> None:
    """Fill in the sign-up form; the app answers "Check your inbox"."""
    page.goto(base + "/signup")
    page.fill("#name", name)
    page.fill("#email", email)
    page.fill("#password", password)
    page.fill("#confirm", password)
    page.click("button:has-text('Create account')")
    expect(page.locator("#check-inbox")).to_contain_text("Check your inbox")


def sign_up_and_confirm(page, base: str, name: str, email: str, password: str = "a-long-password") -> None:
    """Sign up, confirm the address from the outbox, log in."""
    sign_up(page, base, name, email, password)
    open_latest_mail(page, base, email, "Confirm your email")
    follow_mail_link(page, "/verify-email/")
    expect(page.locator(".flash.success")).to_contain_text("email address is confirmed")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("button:has-text('Log in')")
    expect(page).to_have_url(base + "/businesses")


def log_in(page, base: str, email: str, password: str, *, wait_for: str | None = "topbar",
           timeout: float | None = None) -> None:
    """Log in through the form. `wait_for`: "topbar" waits until the topbar offers
    "Log out"; "left-login" until the page has left /login (a second step such as
    two-factor may follow); None waits for nothing (the caller checks)."""
    base = getattr(base, "url", base)  # a live server or its URL
    page.goto(base + "/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("main button:has-text('Log in')")
    if wait_for == "topbar":
        kwargs = {"timeout": timeout} if timeout else {}
        expect(page.locator(".topbar")).to_contain_text("Log out", **kwargs)
    elif wait_for == "left-login":
        expect(page).not_to_have_url(base + "/login")
