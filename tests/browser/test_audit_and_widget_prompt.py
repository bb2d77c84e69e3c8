"""The owner reads the audit log (filtered) after changing hours, and is told
when a site that is not allowed tried to show the chat widget."""
import pytest
from playwright.sync_api import expect

from app.demo import CLAIMED_DEMO_SLUG, DEMO_OWNER_EMAIL, DEMO_OWNER_PASSWORD
from tests.browser.conftest import free_port
from tests.browser.test_chat_embedded import OtherSite

pytestmark = pytest.mark.browser


def test_audit_log_and_refused_widget_site(live_server, page, shot, tmp_path):
    base = live_server.url
    page.goto(base + "/login")
    page.fill("#email", DEMO_OWNER_EMAIL)
    page.fill("#password", DEMO_OWNER_PASSWORD)
    page.click("button:has-text('Log in')")

    # Change Monday's hours on the profile.
    page.goto(base + f"/businesses/{CLAIMED_DEMO_SLUG}/edit")
    page.fill("input[name='monday-opens']", "07:30")
    page.click("button:has-text('Save')")
    expect(page.locator(".flash.success")).to_contain_text("Profile saved")

    page.goto(base + f"/businesses/{CLAIMED_DEMO_SLUG}/audit")
    page.wait_for_function("window.htmx !== undefined")
    row = page.locator("tr[data-action='hours.changed']").first
    expect(row).to_contain_text(DEMO_OWNER_EMAIL)
    expect(row.locator("ins")).to_contain_text("Mon 07:30")
    shot("audit-log")
    page.select_option("select[name=area]", "team.")
    expect(page.locator("#audit-entries")).to_contain_text("No changes recorded for these filters")
    assert "area=team." in page.url
    shot("audit-log-filtered")

    # A site that is not on the allowed list frames the widget.
    page.goto(base + f"/businesses/{CLAIMED_DEMO_SLUG}/chat/widget")
    key_url = page.locator("#snippet-iframe").inner_text().split('src="')[1].split('"')[0]
    framed = page.context.new_page()
    # The owner's blog, on another origin, frames the widget without being allowed.
    (tmp_path / "post.html").write_text(f'<!doctype html><h1>Blog</h1><iframe src="{key_url}" width="380" height="560"></iframe>')
    blog = OtherSite(tmp_path, free_port())
    other_site = blog.url
    framed.goto(other_site + "/post.html")
    # The browser refuses the frame (no response event); poll the owner's page instead.
    prompt = page.locator(".refusal")
    for _ in range(20):
        page.reload()
        if prompt.count():
            break
        page.wait_for_timeout(500)
    framed.close()
    blog.stop()
    expect(prompt).to_contain_text(f"Your widget was blocked on {other_site}")
    shot("widget-blocked-prompt")
    page.click(f"button:has-text('Allow {other_site}')")
    expect(page.locator(".flash.success")).to_contain_text(f"{other_site} may now show your chat widget")
    expect(page.locator("textarea[name=allowed_origins]")).to_contain_text(other_site)
    shot("widget-site-allowed")
