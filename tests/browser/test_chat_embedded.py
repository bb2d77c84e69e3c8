"""The chat widget embedded on another site: streamed answers, booking,
history after reload, payloads shown as text, rate limit, owner's pages."""
from __future__ import annotations

import functools
import http.server
import re
import threading

import pytest
from flask import url_for
from playwright.sync_api import expect
from sqlalchemy import select

from app.demo import CLAIMED_DEMO_SLUG, DEMO_OWNER_EMAIL, DEMO_OWNER_PASSWORD
from app.extensions import db
from app.models import Appointment, Business
from app.timezones import to_local
from sandbox.fourcalls.testing import running_fourcalls
from tests.browser.conftest import LiveServer, build_live_app, free_port
from tests.chat_helpers import provision_chat
from tests.browser.mail_helpers import log_in as shared_log_in

pytestmark = pytest.mark.browser


class OtherSite:
    """A static site on another port (another origin) that embeds the widget."""

    def __init__(self, folder, port):
        handler = functools.partial(_QuietHandler, directory=str(folder))
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
        self.url = f"http://127.0.0.1:{port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def log_in_as_owner(page, server):
    shared_log_in(page, server, DEMO_OWNER_EMAIL, DEMO_OWNER_PASSWORD)


def open_chat(page, label="Chat with"):
    page.locator("button", has_text=label).click()
    frame = page.frame_locator("iframe[title^='Chat with']")
    expect(frame.locator("body[data-ready]")).to_have_count(1)
    return frame


@pytest.fixture(scope="module")
def chat_site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("chat-browser")
    with running_fourcalls(folder / "fourcalls", chat_token_delay_ms=60) as fourcalls:
        site_port = free_port()
        app, port = build_live_app(folder, FOURCALLS_API_URL=fourcalls.url, FOURCALLS_MAX_ATTEMPTS=1,
                                   CHAT_RATE_LIMIT_PER_VISITOR="9 per minute")
        with app.app_context():
            business = db.session.scalar(select(Business).where(Business.slug == CLAIMED_DEMO_SLUG))
            organization = provision_chat(business)
            # Slots offered start at least 30 minutes ahead: without notice, a
            # slot offered seconds before its start is "in the past" by the
            # time the visitor books it, and the booking flow failed whenever
            # the test ran across the half hour.
            from app.fourcalls import platform_client

            platform_client().update_organization(organization["id"], {"booking_window": {"min_notice_minutes": 30}})
            from app.chat.widgets import widget_for

            widget = widget_for(business)
            widget.allowed_origins = [f"http://127.0.0.1:{site_port}"]
            db.session.commit()
            key = widget.public_key
        server = LiveServer(app, port)
        server.start()
        site_dir = folder / "site"
        site_dir.mkdir()
        (site_dir / "index.html").write_text(
            "<!doctype html><html><head><meta charset='utf-8'><title>Bella's own site</title></head>"
            "<body style='font-family:sans-serif;background:#fdf6ec'><h1>Bella Napoli — our own website</h1>"
            "<p>Fresh pasta every day.</p>"
            f"<script src='{server.url}/widget/{key}/embed.js' async></script></body></html>"
        )
        site = OtherSite(site_dir, site_port)
        yield {"app": app, "server": server, "site": site, "fourcalls": fourcalls, "key": key}
        site.stop()
        server.stop()


def test_embedded_widget_streams_books_and_keeps_history(chat_site, page, shot):
    site, server, fourcalls = chat_site["site"], chat_site["server"], chat_site["fourcalls"]
    page.goto(site.url + "/index.html")
    launcher = page.locator("button", has_text="Chat with")
    expect(launcher).to_be_visible()
    shot("host-page-with-launcher")
    frame = open_chat(page)
    expect(frame.locator(".w-head")).to_contain_text("Bella Napoli Trattoria")
    shot("widget-open")

    # A slow first byte from 4calls: the typing indicator shows until words arrive.
    fourcalls.set_faults(latency_ms=1200)
    frame.locator("#text").fill("What services do you offer?")
    frame.locator("#text").press("Enter")
    expect(frame.locator(".w-typing")).to_be_visible()
    shot("typing-indicator")
    answer = frame.locator(".w-msg.assistant").nth(1)
    expect(answer).to_be_visible(timeout=10_000)
    first_seen = answer.inner_text()
    expect(answer).to_contain_text("book a time", timeout=10_000)
    assert len(first_seen) < len(answer.inner_text()), "the answer appeared piece by piece"
    expect(frame.locator(".w-typing")).to_have_count(0)
    fourcalls.clear_faults()
    shot("streamed-answer")

    # The composer takes the next message once the answer's stream has ended
    # (its button is disabled until then, and a message sent meanwhile is not taken).
    expect(frame.locator("#composer button[type=submit]")).to_be_enabled(timeout=10_000)
    frame.locator("#text").fill("Can I book a table for Friday?")
    frame.locator("#text").press("Enter")
    slots = frame.locator("form[data-book]")
    expect(slots).to_be_visible(timeout=10_000)
    shot("offered-slots")
    slots.locator("[name=name]").fill("Ann Lee")
    slots.locator("[name=phone]").fill("(555) 201-3344")
    chosen = slots.locator("button.w-slot").first
    label = chosen.inner_text()
    chosen.click()
    expect(frame.locator(".w-card.w-ok")).to_contain_text(f"Booked: {label}", timeout=10_000)
    expect(frame.locator(".w-msg.assistant").last).to_contain_text("You're booked")
    shot("booked")

    # A reload keeps the whole conversation.
    page.reload()
    frame = open_chat(page)
    expect(frame.locator(".w-log")).to_contain_text("What services do you offer?")
    expect(frame.locator(".w-card.w-ok")).to_contain_text(f"Booked: {label}")
    shot("history-after-reload")

    with chat_site["app"].app_context():
        appointment = db.session.scalar(select(Appointment).where(Appointment.customer_phone == "+15552013344"))
        assert appointment is not None and appointment.source == "chat"
        # The slot may fall in next week (on a Sunday, "Friday" does): open the calendar there.
        booked_day = to_local(appointment.starts_at, db.session.get(Business, appointment.business_id)).date()

    # The owner finds the booking and the conversation.
    log_in_as_owner(page, server)
    app = chat_site["app"]
    if "appointments.calendar" in app.view_functions:
        with app.test_request_context():
            calendar_path = url_for("appointments.calendar", slug=CLAIMED_DEMO_SLUG, date=booked_day.isoformat())
        page.goto(server.url + calendar_path)
        expect(page.locator("main")).to_contain_text("Ann Lee")
        shot("owner-calendar")
    page.goto(server.url + f"/businesses/{CLAIMED_DEMO_SLUG}/chats")
    expect(page.locator(".chat-list")).to_contain_text("Ann Lee")
    shot("owner-chats")
    page.locator(".chat-list a", has_text="Ann Lee").click()
    expect(page.locator(".transcript")).to_contain_text("What services do you offer?")
    expect(page.locator(".transcript")).to_contain_text("Booked")
    shot("owner-transcript")


@pytest.fixture
def fast_replies(chat_site):
    """Answers stream at once: these tests send many messages and watch other things."""
    fourcalls = chat_site["fourcalls"]
    delay = fourcalls.settings()["chat_token_delay_ms"]
    fourcalls.settings(chat_token_delay_ms=1)
    yield
    fourcalls.settings(chat_token_delay_ms=delay)


def test_payloads_render_as_text_and_rate_limit_is_friendly(chat_site, fast_replies, page, shot):
    page.goto(chat_site["site"].url + "/index.html")
    frame = open_chat(page)
    payload = '<img src=x onerror="parent.document.title=\'pwned\'"><b>bold?</b><script>alert(1)</script>'
    frame.locator("#text").fill(payload)
    frame.locator("#text").press("Enter")
    visitor = frame.locator(".w-msg.visitor").last
    expect(visitor).to_have_text(payload)
    expect(frame.locator(".w-msg.assistant").nth(1)).to_be_visible(timeout=10_000)
    assert visitor.locator("b, img, script").count() == 0
    shot("payload-as-text")
    page.reload()
    frame = open_chat(page)
    expect(frame.locator(".w-msg.visitor").first).to_have_text(payload)
    assert frame.locator(".w-log img, .w-log b, .w-log script").count() == 0
    assert page.title() == "Bella's own site"

    # Keep writing until the per-visitor limit answers (9 per minute in this app).
    textarea = frame.locator("#text")
    for number in range(12):
        textarea.fill(f"Question number {number}?")
        textarea.press("Enter")
        status = frame.locator("#status")
        expect(frame.locator("button.w-btn").last).to_be_enabled(timeout=10_000)
        if status.is_visible():
            break
    expect(frame.locator("#status")).to_contain_text("very quickly")
    expect(textarea).to_have_value(re.compile(r"Question number \d+\?"))  # the refused text is given back
    expect(frame.locator(".w-compose")).to_be_visible()
    shot("rate-limited")


def test_owner_widget_settings_and_live_preview(chat_site, page, shot):
    server = chat_site["server"]
    log_in_as_owner(page, server)
    page.goto(server.url + f"/businesses/{CLAIMED_DEMO_SLUG}/chat/widget")
    expect(page.locator("#snippet-script")).to_contain_text(f"/widget/{chat_site['key']}/embed.js")
    shot("settings")
    page.fill("#assistant_name", "Luca")
    page.fill("#greeting", "Ciao! Want a table tonight?")
    expect(page.locator("#widget-preview")).to_contain_text("Ciao! Want a table tonight?")
    expect(page.locator("#widget-preview .launcher")).to_contain_text("Chat with Luca")
    shot("live-preview")
    page.fill("#allowed_origins", "not a site")
    page.click("button:has-text('Save settings')")
    expect(page.locator(".field-error")).to_contain_text("is not a web origin")
    expect(page.locator("#assistant_name")).to_have_value("Luca")
    shot("settings-error")
    page.fill("#allowed_origins", chat_site["site"].url)
    page.click("button:has-text('Save settings')")
    expect(page.locator(".flash.success")).to_contain_text("Widget settings saved")
    page.goto(chat_site["site"].url + "/index.html")
    expect(page.locator("button", has_text="Chat with Luca")).to_be_visible()
    expect(open_chat(page, "Chat with Luca").locator(".w-head")).to_contain_text("Luca")
    shot("embedded-after-save")


def test_failure_retry_and_contact_form_without_package(chat_site, page, shot):
    site, server, fourcalls = chat_site["site"], chat_site["server"], chat_site["fourcalls"]
    page.goto(site.url + "/index.html")
    frame = open_chat(page)
    fourcalls.set_faults(error_rate=1.0)
    frame.locator("#text").fill("Which services do you offer for weddings?")
    frame.locator("#text").press("Enter")
    expect(frame.locator(".w-failed")).to_contain_text("Your message is saved", timeout=10_000)
    expect(frame.locator(".w-msg.visitor").last).to_have_text("Which services do you offer for weddings?")
    shot("fourcalls-down")
    fourcalls.clear_faults()
    frame.locator("[data-retry]").click()
    expect(frame.locator(".w-msg.assistant").last).to_contain_text("Catering", timeout=10_000)
    expect(frame.locator(".w-failed")).to_have_count(0)
    shot("retried")

    # The visitor leaves their details from inside the chat.
    frame.locator(".w-head [data-lead-toggle]").click()
    lead_form = frame.locator("#lead-form")
    lead_form.locator("[name=name]").fill("Rosa Bianchi")
    lead_form.locator("[name=phone]").fill("555 201 6677")
    lead_form.locator("[name=message]").fill("Wedding for 80 people in June")
    lead_form.locator("button[type=submit]").click()
    expect(frame.locator(".w-card.w-ok").last).to_contain_text("Thanks, Rosa!")
    expect(frame.locator("#composer")).to_be_visible()
    shot("lead-left-in-chat")

    # A business without a package: its page carries a contact form instead of chat.
    with chat_site["app"].app_context():
        other = db.session.scalar(select(Business).where(Business.slug != CLAIMED_DEMO_SLUG,
                                                         Business.owner_id.is_(None)))
        other.owner_id = db.session.scalar(select(Business.owner_id).where(Business.slug == CLAIMED_DEMO_SLUG))
        db.session.commit()
        slug, name = other.slug, other.name
    page.goto(server.url + f"/b/{slug}")
    expect(page.locator("h1")).to_contain_text(name)
    shot("business-page")
    frame = open_chat(page)
    form = frame.locator("#contact-form")
    expect(form).to_contain_text("isn't switched on yet")
    form.locator("button[type=submit]").click()
    expect(frame.locator("#status")).to_contain_text("phone number or an email")
    form.locator("[name=name]").fill("Tom Ford")
    form.locator("[name=email]").fill("tom@example.com")
    form.locator("[name=message]").fill("Do you have a table for two tonight?")
    form.locator("button[type=submit]").click()
    expect(frame.locator(".w-card.w-ok")).to_contain_text("tom@example.com")
    expect(frame.locator(".w-msg.visitor")).to_have_text("Do you have a table for two tonight?")
    expect(form).to_be_hidden()
    shot("contact-form-sent")
    frame.locator("[data-contact-again]").click()
    expect(form).to_be_visible()
    with chat_site["app"].app_context():
        from app.models.leads import Lead

        lead = db.session.scalar(select(Lead).where(Lead.email == "tom@example.com"))
        assert lead.source == "contact_form" and lead.contact is not None
