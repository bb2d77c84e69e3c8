"""Issue 13 in the browser, against the 4calls sandbox over HTTP: a Suite owner
gives coordinator 2 a role, voice and the campaign calls, plays the voice's
sample, sets urgent forwarding, places a test call and sees the forwarded call
and the notification arrive without reloading."""
from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.demo import CLAIMED_DEMO_SLUG, DEMO_OWNER_EMAIL, DEMO_OWNER_PASSWORD
from app.extensions import db
from app.assistant import provisioning
from app.models import Business, Coordinator, FourCallsIntegration
from sandbox.fourcalls.testing import running_fourcalls
from tests.browser.conftest import LiveServer, build_live_app, free_port
from tests.browser.mail_helpers import log_in as shared_log_in

pytestmark = pytest.mark.browser


def log_in(page, base):
    shared_log_in(page, base, DEMO_OWNER_EMAIL, DEMO_OWNER_PASSWORD, wait_for="left-login")


@pytest.fixture(scope="module")
def suite_site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("receptionist-browser")
    with running_fourcalls(folder / "fourcalls") as fourcalls:
        app, port = build_live_app(folder, port=free_port(), FOURCALLS_API_URL=fourcalls.url)
        server = LiveServer(app, port)
        server.start()
        with app.app_context():
            business = db.session.scalar(select(Business).where(Business.slug == CLAIMED_DEMO_SLUG))
            provisioning.activate_package(business, "ai_business_suite", "Browser test")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with app.app_context():
                integration = db.session.scalar(select(FourCallsIntegration))
                if integration and integration.status == "active":
                    break
            time.sleep(0.2)
        yield {"server": server, "app": app, "fourcalls": fourcalls}
        server.stop()


def remote_state(site):
    with site["app"].app_context():
        integration = db.session.scalar(select(FourCallsIntegration))
        rows = list(db.session.scalars(select(Coordinator).where(Coordinator.status == "active")
                                       .order_by(Coordinator.position)))
        org, ids = integration.organization_id, [c.fourcalls_id for c in rows]
    with site["fourcalls"].client() as http:
        return (http.get(f"/organizations/{org}/call-handling").json(),
                [http.get(f"/coordinators/{i}").json() for i in ids])


def test_suite_owner_sets_coordinator_two_to_sales_for_campaigns_and_plays_a_voice(suite_site, page, shot):
    base = suite_site["server"].url
    log_in(page, base)
    page.goto(f"{base}/businesses/{CLAIMED_DEMO_SLUG}/assistant")
    cards = page.locator(".coordinator-card")
    expect(cards).to_have_count(2)
    second = cards.nth(1)
    shot("assistant-two-coordinators")

    # First try another role: its default texts replace the untouched sales ones.
    second.locator("a:has-text('Edit')").click()
    second.locator("select[name=role]").select_option("support")
    second.locator("button:has-text('Save')").click()
    expect(second.locator("[data-role-label]")).to_have_text("Support")
    expect(second.locator("[data-field=script]")).to_contain_text("customer support")
    expect(second.locator("[data-sync]")).to_have_text("Synced", timeout=15_000)

    # Then sales, with a voice the owner listens to first.
    second.locator("a:has-text('Edit')").click()
    second.locator("select[name=role]").select_option("sales")
    second.locator("select[name=voice]").select_option("atlas")
    second.locator("select[name=pace]").select_option("slow")
    second.locator("input[name=languages][value=es]").check()
    second.locator("[data-play-sample]").click()
    audio = second.locator("audio.voice-sample")
    expect(audio).to_have_attribute("src", f"/businesses/{CLAIMED_DEMO_SLUG}/assistant/voices/atlas/sample")
    page.wait_for_function("a => a.readyState >= 2 && a.duration > 0.5 && !a.error", arg=audio.element_handle())
    page.evaluate("window.scrollTo(0, 0)")
    shot("voice-sample-loaded")
    second.locator("button:has-text('Save')").click()
    expect(second.locator("[data-role-label]")).to_have_text("Sales")
    expect(second.locator("[data-field=voice]")).to_contain_text("Atlas · English, Spanish · Slow and clear pace")
    expect(second.locator("[data-sync]")).to_have_text("Synced", timeout=15_000)
    shot("coordinator-two-sales-atlas")

    # Coordinator 2 makes the campaign calls.
    page.locator("a:has-text('Call handling & test call')").click()
    page.locator("select[name=campaign_coordinator_id]").select_option(label="Max · Sales assistant (Sales)")
    page.locator("button:has-text('Save call handling')").click()
    expect(page.locator(".flash.success").first).to_contain_text("Call handling saved")
    expect(page.locator("#handling-status")).to_have_attribute("data-state", "live", timeout=15_000)
    shot("campaigns-assigned")

    deadline = time.monotonic() + 15
    while True:
        rules, coordinators = remote_state(suite_site)
        if rules["campaign_coordinator_id"] == coordinators[1]["id"] or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert rules["campaign_coordinator_id"] == coordinators[1]["id"]
    assert (coordinators[1]["role"], coordinators[1]["voice"], coordinators[1]["pace"]) == ("sales", "atlas", "slow")
    assert coordinators[1]["languages"] == ["en", "es"]


def test_urgent_forwarding_test_call_and_live_notification(suite_site, page, shot):
    base = suite_site["server"].url
    log_in(page, base)
    page.goto(f"{base}/businesses/{CLAIMED_DEMO_SLUG}/assistant/call-handling")
    expect(page.locator("#notification-bell")).to_be_visible()
    expect(page.locator("#notification-bell .bell-count")).to_have_count(0)

    # Bad input first: a number that is not one, and forwarding without words.
    page.locator("input[name=forwarding_enabled]").check()
    page.locator("input[name=forwarding_number]").fill("call my cell")
    page.locator("textarea[name=urgent_words]").fill("")
    page.locator("button:has-text('Save call handling')").click()
    expect(page.locator(".field-error").first).to_be_visible()
    expect(page.locator("#call-handling-form")).to_contain_text("is not a phone number")
    expect(page.locator("#call-handling-form")).to_contain_text("List at least one urgent word")
    shot("forwarding-field-errors")

    page.locator("input[name=forwarding_number]").fill("(512) 555-0142")
    page.locator("textarea[name=urgent_words]").fill("emergency\nflooded, gas smell")
    page.locator("button:has-text('Save call handling')").click()
    expect(page.locator(".flash.success").first).to_contain_text("Call handling saved")
    # The status line turns from "waiting" to "live" by itself once 4calls confirms.
    expect(page.locator("#handling-status")).to_have_attribute("data-state", "live", timeout=15_000)
    assert remote_state(suite_site)[0]["forwarding"]["urgent_words"] == ["emergency", "flooded", "gas smell"]

    page.locator("textarea[name=caller_says]").fill("This is an emergency, the dining room is flooded!")
    page.locator("button:has-text('Place test call')").click()
    result = page.locator(".test-call-result")
    expect(result).to_have_attribute("data-call-status", "forwarded", timeout=15_000)
    expect(result).to_contain_text("Forwarded to +15125550142")
    expect(result.locator("[data-forward-reason]")).to_contain_text("the caller mentioned “emergency”, “flooded”")
    # The bell counts the urgent-call notification without a reload.
    expect(page.locator("#notification-bell .bell-count")).to_have_text("1", timeout=15_000)
    page.evaluate("window.scrollTo(0, 0)")
    shot("test-call-forwarded-bell")

    page.locator("#notification-bell").click()
    item = page.locator(".notification[data-kind=urgent_call]")
    expect(item).to_contain_text("forwarded to +15125550142")
    expect(item.locator("[data-channel=email]")).to_have_attribute("data-state", "sent", timeout=15_000)
    shot("notification-centre")

    page.goto(f"{base}/businesses/{CLAIMED_DEMO_SLUG}/calls")
    row = page.locator("[data-call-status=forwarded]").first
    expect(row).to_be_visible()
    shot("call-log-forwarded")


def test_after_hours_message_lands_in_the_inbox_and_is_handled(suite_site, page, shot):
    base = suite_site["server"].url
    log_in(page, base)
    page.goto(f"{base}/businesses/{CLAIMED_DEMO_SLUG}/assistant/call-handling")
    page.locator("textarea[name=caller_says]").fill("Could the manager call me back about my booking for Friday?")
    page.locator("select[name=when]").select_option("after_hours")
    page.locator("button:has-text('Place test call')").click()
    result = page.locator(".test-call-result")
    expect(result).to_contain_text("closed right now", timeout=15_000)
    expect(result.locator("[data-message-taken]")).to_contain_text("call me back about my booking")

    page.locator("nav a:has-text('Messages taken')").click()
    message = page.locator(".taken-message").first
    expect(message).to_contain_text("Could the manager call me back about my booking for Friday?")
    expect(message).to_contain_text("Call back requested")
    expect(page.locator("[data-count=unread] .badge")).to_have_text("1")
    shot("inbox-unread")
    message.locator("button:has-text('Mark handled')").click()
    expect(page.locator("[data-count=unread] .badge")).to_have_text("0")
    expect(page.locator("[data-count=handled] .badge")).to_have_text("1")
    expect(page.locator(".taken-message.handled")).to_contain_text("Handled")
    shot("inbox-handled")


def test_owner_sets_notification_preferences_quiet_hours_and_sms(suite_site, page, shot):
    base = suite_site["server"].url
    log_in(page, base)
    page.goto(f"{base}/businesses/{CLAIMED_DEMO_SLUG}/notifications/settings")
    expect(page.locator("input[name=urgent_call__sms]")).to_be_enabled()  # the Suite includes SMS
    page.locator("input[name=new_lead__email]").uncheck()
    page.locator("input[name=quiet_hours]").check()
    page.locator("input[name=quiet_start]").fill("10pm")
    page.locator("input[name=sms_number]").fill("not a number")
    page.locator("button:has-text('Save preferences')").click()
    expect(page.locator("#notification-preferences")).to_contain_text("Use a 24-hour time like 21:00.")
    expect(page.locator("#notification-preferences")).to_contain_text("is not a phone number")
    expect(page.locator("input[name=new_lead__email]")).not_to_be_checked()  # what was typed is kept
    shot("preferences-errors")
    page.locator("input[name=quiet_start]").fill("22:00")
    page.locator("input[name=sms_number]").fill("(512) 555-0177")
    page.locator("button:has-text('Save preferences')").click()
    expect(page.locator(".flash.success")).to_contain_text("Notification preferences saved")
    expect(page.locator("input[name=sms_number]")).to_have_value("+15125550177")
    expect(page.locator("input[name=new_lead__email]")).not_to_be_checked()
    expect(page.locator("input[name=quiet_start]")).to_have_value("22:00")
    shot("preferences-saved")
