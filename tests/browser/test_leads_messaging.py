"""Leads and two-way texting in Chromium against the 4calls sandbox, with
real signed webhooks: a missed call gets a text-back that shows in the
contact's conversation and the customer's reply appears without a reload;
a STOP blocks later messages (and campaign calls, through the shared list);
a lead from a call moves new → qualified → won on the board."""
from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.auth.services import register_user
from app.demo import CLAIMED_DEMO_SLUG
from app.extensions import db
from app.fourcalls import platform_client
from app.models import Business, Contact, FourCallsIntegration, IntegrationStatus, Lead
from app.models.messaging import MessagingSettings
from sandbox.fourcalls.testing import running_fourcalls
from tests.browser.conftest import LiveServer, build_live_app, connect_sandbox_organization, free_port
from tests.messaging_helpers import midday_zone
from tests.browser.mail_helpers import log_in as shared_log_in

pytestmark = pytest.mark.browser

OWNER_EMAIL = "leads.owner@example.com"
OWNER_PASSWORD = "leads-owner-password"
# Toll-free numbers pin no time zone, so quiet hours use the business's zone (set to midday now).
REPLIES_WITH_INTENT = "+18005550121"  # the sandbox's customer ...1 answers "Yes please, call me back..."
SENDS_STOP = "+18005550127"  # ...7 answers STOP


def log_in(page, server):
    shared_log_in(page, server, OWNER_EMAIL, OWNER_PASSWORD)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("leads-browser")
    with running_fourcalls(folder / "fourcalls") as fourcalls:
        port = free_port()
        app, port = build_live_app(folder, port=port, FOURCALLS_API_URL=fourcalls.url)
        server_url = f"http://127.0.0.1:{port}"
        with app.app_context():
            business = db.session.scalar(select(Business).where(Business.slug == CLAIMED_DEMO_SLUG))
            business.owner_id = register_user("Lee Owner", OWNER_EMAIL, OWNER_PASSWORD).id
            business.timezone = midday_zone()
            organization = connect_sandbox_organization(app, business, "ai_business_suite", active_for_days=2,
                                                        webhook_url=f"{server_url}/webhooks/fourcalls")
            # Text back at once (the default waits a minute).
            db.session.add(MessagingSettings(business_id=business.id, text_back_enabled=True, text_back_delay_minutes=0,
                                             text_back_text="Hi {first_name}, sorry we missed your call at {business_name}!"))
            db.session.commit()
            slug, business_id = business.slug, business.id
        server = LiveServer(app, port)
        server.start()
        yield {"server": server, "fourcalls": fourcalls, "org_id": organization["id"], "slug": slug, "app": app,
               "business_id": business_id}
        server.stop()


def local_contact(site, phone, timeout=15.0):
    import time

    deadline = time.monotonic() + timeout
    with site["app"].app_context():
        while time.monotonic() < deadline:
            contact = db.session.scalar(select(Contact).where(Contact.phone == phone))
            if contact is not None:
                return contact.id
            db.session.rollback()
            time.sleep(0.2)
    raise AssertionError(f"no contact for {phone}")


def wait_for_inbound(site, body, timeout=15.0):
    """The sandbox's webhook has reached the app and been applied."""
    import time

    from app.models.messaging import ContactMessage

    deadline = time.monotonic() + timeout
    with site["app"].app_context():
        while not db.session.scalar(select(ContactMessage.id).where(ContactMessage.body == body)):
            db.session.rollback()
            assert time.monotonic() < deadline, f"message {body!r} never arrived"
            time.sleep(0.2)


def test_missed_call_text_back_and_the_reply_appear_live(site, page, shot):
    server, slug = site["server"], site["slug"]
    log_in(page, server)
    site["fourcalls"].generate_call(site["org_id"], status="missed", caller_number=REPLIES_WITH_INTENT,
                                    caller_name="Robin Caller")
    contact_id = local_contact(site, REPLIES_WITH_INTENT)
    page.goto(f"{server.url}/businesses/{slug}/contacts/{contact_id}")
    page.evaluate("window.__samePage = true")
    thread = page.locator("#thread")
    expect(thread.locator(".bubble.out")).to_contain_text("Hi Robin, sorry we missed your call", timeout=20_000)
    expect(thread.locator(".bubble.out .badge.brand")).to_contain_text("missed-call text")
    shot("text-back-in-conversation")
    # The simulated customer answers; the poll brings it in without a reload.
    expect(thread.locator(".bubble.in")).to_contain_text("Yes please, call me back", timeout=20_000)
    expect(thread.locator('.bubble.out[data-status="delivered"]')).to_be_visible(timeout=20_000)
    assert page.evaluate("window.__samePage") is True
    shot("reply-arrived-live")
    # The reply showed intent: 4calls scored it and a lead exists, counted on the dashboard.
    page.goto(f"{server.url}/businesses/{slug}/leads?source=text_back")
    expect(page.locator("#lead-rows tr")).to_have_count(1, timeout=15_000)
    shot("lead-from-text-back")
    page.goto(f"{server.url}/businesses/{slug}/dashboard")
    expect(page.locator("#text-back-figures")).to_contain_text("1 replies · 1 leads")
    shot("dashboard-leads-panel")


def test_stop_blocks_later_messages_and_campaign_calls(site, page, shot):
    server, slug = site["server"], site["slug"]
    log_in(page, server)
    with site["app"].app_context():
        contact = Contact(business_id=site["business_id"], name="Sam Stopper", phone=SENDS_STOP, email="sam@example.com")
        db.session.add(contact)
        db.session.commit()
        contact_id = contact.id
    page.goto(f"{server.url}/businesses/{slug}/contacts/{contact_id}")
    page.fill("#body", "Hi {first_name}, your table is ready for {business_name}.")
    expect(page.locator("#composer-counter")).to_contain_text("SMS segment")
    expect(page.locator("#composer-counter")).to_contain_text("Sends as: “Hi Sam")
    shot("composer-with-counter")
    page.click("#conversation button:has-text('Send')")
    expect(page.locator("#thread .bubble.out")).to_contain_text("Hi Sam, your table is ready")
    expect(page.locator("#thread .bubble.in")).to_contain_text("STOP", timeout=20_000)
    shot("stop-received")
    page.reload()
    expect(page.locator("#dnc-phone")).to_contain_text("they replied STOP")
    page.fill("#body", "One more offer")
    page.click("#conversation button:has-text('Send')")
    expect(page.locator("#conversation .field-error")).to_contain_text("is on your do-not-contact list")
    shot("later-message-blocked")
    with site["app"].app_context():
        from app.do_not_contact.services import is_blocked

        assert is_blocked(site["business_id"], phone=SENDS_STOP), "campaign dialing reads the same list"
    # Lifting needs a reason.
    page.fill("#lift-reason-phone", "Called us and asked for texts again")
    page.click("#dnc-phone button:has-text('Lift the block')")
    expect(page.locator(".flash.success")).to_contain_text("may be contacted again")
    expect(page.locator("#dnc-phone")).to_have_count(0)
    shot("block-lifted")


def test_a_lead_from_a_call_moves_to_won_on_the_board(site, page, shot):
    server, slug = site["server"], site["slug"]
    log_in(page, server)
    # A first-time caller (the sandbox would otherwise sometimes pick an existing contact as the caller).
    with site["app"].app_context():
        casey = platform_client().create_contact(site["org_id"], {"name": "Casey Lead", "phone": "+18005550164"})
    site["fourcalls"].generate_call(site["org_id"], outcome="lead", caller_name="Casey Lead", contact_id=casey["id"])
    import time

    with site["app"].app_context():
        deadline = time.monotonic() + 15
        while not db.session.scalar(select(Lead).where(Lead.name == "Casey Lead", Lead.score.is_not(None))):
            db.session.rollback()
            assert time.monotonic() < deadline, "the call's lead was not scored"
            time.sleep(0.2)
        lead_id = db.session.scalar(select(Lead.id).where(Lead.name == "Casey Lead"))
    page.goto(f"{server.url}/businesses/{slug}/leads/board")
    card = page.locator(f"#card-{lead_id}")
    expect(page.locator(f'[data-column="new"] #card-{lead_id}')).to_be_visible()
    shot("board-new")
    card.locator("select[name=status]").select_option("qualified")
    card.locator("button:has-text('Move')").click()
    expect(page.locator(f'[data-column="qualified"] #card-{lead_id}')).to_be_visible()
    shot("board-qualified")
    page.locator(f"#card-{lead_id} select[name=status]").select_option("won")
    page.locator(f"#card-{lead_id} button:has-text('Move')").click()
    expect(page.locator(f'[data-column="won"] #card-{lead_id}')).to_be_visible()
    shot("board-won")
    page.goto(f"{server.url}/businesses/{slug}/leads")
    expect(page.locator(f'#lead-{lead_id}')).to_have_attribute("data-status", "won")
    page.locator(f"#status-{lead_id}").select_option("lost")
    expect(page.locator(f"#lead-{lead_id} .field-error")).to_contain_text("Say why the lead was lost")
    page.locator(f"#lead-{lead_id} input[name=lost_reason]").fill("Chose a competitor")
    page.locator(f"#lead-{lead_id} button:has-text('Mark lost')").click()
    expect(page.locator(f'#lead-{lead_id}')).to_have_attribute("data-status", "lost")
    shot("list-lost-with-reason")
    page.goto(f"{server.url}/businesses/{slug}/leads/{lead_id}")
    expect(page.locator("#lead-qualification")).to_contain_text("of 100")
    shot("lead-page")


def test_manual_lead_templates_text_back_settings_and_inbox(site, page, shot):
    server, slug = site["server"], site["slug"]
    log_in(page, server)
    # Manual entry: a clear error first, then the lead.
    page.goto(f"{server.url}/businesses/{slug}/leads/new")
    page.fill("#name", "Jordan Walkin")
    page.click("main button:has-text('Add lead')")
    expect(page.locator(".field-error")).to_contain_text("phone number or an email")
    shot("manual-lead-error")
    page.fill("#phone", "+1 800 555 0190")
    page.fill("#message", "I'd like a quote for a party of 20 next week, what's the price?")
    page.fill("#value", "800")
    page.click("main button:has-text('Add lead')")
    expect(page.locator("h1")).to_contain_text("Jordan Walkin")
    page.reload()
    expect(page.locator("#lead-qualification")).to_contain_text("of 100", timeout=15_000)
    page.fill("#follow_up_due", "2099-01-01")
    page.fill("#next_step", "Send the party menu")
    page.click("#lead-details button:has-text('Save')")
    expect(page.locator(".flash.success")).to_contain_text("Saved")
    shot("manual-lead-page")
    # Filters push the URL and the list keeps them on reload; sorting by score.
    page.goto(f"{server.url}/businesses/{slug}/leads")
    page.select_option("#source", "manual")
    expect(page).to_have_url(re.compile(r"source=manual"))
    expect(page.locator("#lead-rows tr")).to_have_count(1)
    page.fill("#q", "party menu")
    expect(page).to_have_url(re.compile(r"q=party"))
    expect(page.locator("#lead-count")).to_contain_text("1 lead match")
    shot("leads-filtered")
    # A saved template, used in the composer with its variables filled in.
    page.goto(f"{server.url}/businesses/{slug}/messages/templates")
    page.fill("#name", "Bad one")
    page.fill("#body", "Hi {nickname}")
    page.click("main button:has-text('Save template')")
    expect(page.locator(".field-error")).to_contain_text("Unknown variable {nickname}")
    page.fill("#name", "Menu")
    page.fill("#body", "Hi {first_name}, here is the menu from {business_name}.")
    page.click("main button:has-text('Save template')")
    expect(page.locator("#template-list")).to_contain_text("Menu")
    shot("templates")
    with site["app"].app_context():
        contact_id = db.session.scalar(select(Contact.id).where(Contact.phone == "+18005550190"))
    page.goto(f"{server.url}/businesses/{slug}/contacts/{contact_id}")
    page.select_option("#template-pick", label="Menu")
    expect(page.locator("#composer-counter")).to_contain_text("Sends as: “Hi Jordan, here is the menu")
    shot("composer-template")
    # Text-back settings: a bad delay and text are refused, then saved.
    page.goto(f"{server.url}/businesses/{slug}/messages/text-back")
    page.fill("#delay", "-1")
    page.fill("#text", "Sorry {nick}")
    page.click("main button:has-text('Save')")
    expect(page.locator(".field-error").first).to_contain_text("Enter a delay")
    shot("text-back-settings-error")
    page.fill("#delay", "2")
    page.fill("#text", "Sorry we missed you, {first_name}! Reply and we'll help.")
    page.click("main button:has-text('Save')")
    expect(page.locator(".flash.success")).to_contain_text("text-back saved")
    shot("text-back-settings")
    # A customer writes in: the unread count shows in the navigation, the inbox lists them first.
    site["fourcalls"].inbound_message(site["org_id"], "+18005550190", "Can we bring a cake?")
    wait_for_inbound(site, "Can we bring a cake?")
    page.goto(f"{server.url}/businesses/{slug}/messages")
    expect(page.locator("#unread-count")).to_have_text("1")
    expect(page.locator("#conversations tbody tr").first).to_contain_text("1 new")
    shot("inbox-unread")
    page.locator("#conversations tbody tr").first.locator("a").click()
    expect(page.locator("#thread .bubble.in")).to_contain_text("Can we bring a cake?")
    expect(page.locator("#unread-count")).to_be_hidden()
    shot("conversation-read")


def test_a_lower_package_sees_what_to_upgrade_to(site, page, shot):
    from app.models import User
    from tests.conftest import make_business

    with site["app"].app_context():
        owner = db.session.scalar(select(User).where(User.email == OWNER_EMAIL))
        business = make_business(owner=owner, name="Front Desk Only")
        db.session.add(FourCallsIntegration(business_id=business.id, organization_id="org_not_used",
                                            service_package="ai_receptionist", status=IntegrationStatus.ACTIVE,
                                            activated_at=datetime.now(timezone.utc)))
        db.session.commit()
        slug = business.slug
    server = site["server"]
    log_in(page, server)
    page.goto(f"{server.url}/businesses/{slug}/leads")
    expect(page.locator("#upgrade-offer")).to_contain_text("Your AI Receptionist package does not include")
    expect(page.locator("#upgrade-offer")).to_contain_text("AI Sales Assistant")
    shot("leads-upgrade-offer")
    page.goto(f"{server.url}/businesses/{slug}/messages")
    expect(page.locator("#upgrade-offer")).to_contain_text("AI Business Suite")
    shot("messages-upgrade-offer")
