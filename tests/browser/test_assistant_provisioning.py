"""An admin switches on a package for the demo business; its owner watches the
assistant being set up live, then rewrites a greeting that reaches 4calls.
Everything runs against the 4calls sandbox over HTTP."""
from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.demo import CLAIMED_DEMO_SLUG, DEMO_ADMIN_EMAIL, DEMO_ADMIN_PASSWORD, DEMO_OWNER_EMAIL, DEMO_OWNER_PASSWORD
from app.extensions import db
from app.models import Business, FourCallsIntegration, WebhookEvent
from sandbox.fourcalls.testing import running_fourcalls
from tests.browser.conftest import LiveServer, build_live_app, free_port
from tests.browser.mail_helpers import log_in as shared_log_in

pytestmark = pytest.mark.browser


def log_in(page, base, email, password):
    shared_log_in(page, base, email, password, wait_for="left-login")


@pytest.fixture(scope="module")
def assistant_site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("assistant-browser")
    with running_fourcalls(folder / "fourcalls") as fourcalls:
        port = free_port()
        app, port = build_live_app(folder, port=port, FOURCALLS_API_URL=fourcalls.url)
        server = LiveServer(app, port)
        server.start()
        yield {"server": server, "app": app, "fourcalls": fourcalls}
        server.stop()


def test_admin_activates_and_owner_watches_setup_then_edits_a_greeting(assistant_site, browser, page, shot):
    base, fourcalls, app = assistant_site["server"].url, assistant_site["fourcalls"], assistant_site["app"]
    # Slow 4calls down so the setup is long enough to watch, and sign the owner
    # in before it starts: on a loaded machine a sign-in can outlast the setup.
    fourcalls.set_faults(latency_ms=700)
    owner_context = browser.new_context(viewport={"width": 1280, "height": 900})
    owner = owner_context.new_page()
    owner.set_default_timeout(20_000)
    log_in(owner, base, DEMO_OWNER_EMAIL, DEMO_OWNER_PASSWORD)

    log_in(page, base, DEMO_ADMIN_EMAIL, DEMO_ADMIN_PASSWORD)
    page.goto(base + "/admin/businesses")
    row = page.locator("tr[data-business='%s']" % CLAIMED_DEMO_SLUG)
    expect(row).to_contain_text("Bella Napoli Trattoria")
    row.locator("select[name=package]").select_option("ai_business_suite")
    shot("admin-before-activation")
    row.locator("button:has-text('Activate package')").click()
    expect(page.locator(".flash.success")).to_contain_text("AI Business Suite is being set up for Bella Napoli Trattoria")
    expect(page.locator("tr[data-business='%s'] [data-status]" % CLAIMED_DEMO_SLUG)).to_have_text("provisioning")
    shot("admin-after-activation")

    try:
        owner.goto(f"{base}/businesses/{CLAIMED_DEMO_SLUG}/assistant")
        status = owner.locator("#assistant-status")
        expect(status).to_have_text("Setting up")
        expect(owner.locator("#assistant-panel .progress")).to_be_visible()
        shot("owner-setting-up", owner)

        # The progress fragment replaces itself until the assistant is live, then stops polling.
        expect(status).to_have_text("Active", timeout=30_000)
        expect(owner.locator("#assistant-panel")).not_to_have_attribute("hx-trigger", "every 1s")
        cards = owner.locator(".coordinator-card")
        expect(cards).to_have_count(2)
        expect(cards.nth(0)).to_contain_text("Receptionist")
        expect(cards.nth(1)).to_contain_text("Sales")
        expect(cards.nth(0).locator("[data-field=greeting]")).to_contain_text("Thank you for calling Bella Napoli Trattoria")
        shot("owner-active", owner)
        fourcalls.clear_faults()

        receptionist = cards.nth(0)
        receptionist.locator("text=Edit").click()
        greeting = receptionist.locator("textarea[name=greeting]")
        expect(greeting).to_be_visible()
        owner.evaluate("window.scrollTo(0, 0)")
        shot("owner-editing", owner)

        greeting.fill("")
        receptionist.locator("input[name=name]").fill("")
        receptionist.locator("button:has-text('Save')").click()
        expect(receptionist.locator(".field-error")).to_contain_text("Give the assistant a name.")
        owner.evaluate("window.scrollTo(0, 0)")  # the sticky top bar otherwise lands mid-screenshot
        shot("owner-edit-error", owner)

        receptionist.locator("input[name=name]").fill("Sofia · Receptionist")
        greeting.fill("Buonasera! Bella Napoli, this is Sofia. Table for how many?")
        receptionist.locator("button:has-text('Save')").click()
        expect(receptionist.locator("[data-field=greeting]")).to_have_text(
            "Buonasera! Bella Napoli, this is Sofia. Table for how many?")
        expect(receptionist.locator("[data-sync]")).to_have_text("Synced", timeout=15_000)
        owner.evaluate("window.scrollTo(0, 0)")
        shot("owner-greeting-synced", owner)

        with app.app_context():
            business = db.session.scalar(select(Business).where(Business.slug == CLAIMED_DEMO_SLUG))
            integration = db.session.scalar(
                select(FourCallsIntegration).where(FourCallsIntegration.business_id == business.id))
            organization_id, coordinator_id = integration.organization_id, integration.coordinator_id
        with fourcalls.client() as http:
            remote = http.get(f"/coordinators/{coordinator_id}").json()
        assert remote["name"] == "Sofia · Receptionist"
        assert remote["greeting"] == "Buonasera! Bella Napoli, this is Sofia. Table for how many?"

        # A reload shows the same state, as a whole page.
        owner.reload()
        expect(owner.locator("#assistant-status")).to_have_text("Active")
        expect(owner.locator(".coordinator-card").nth(0)).to_contain_text("Sofia · Receptionist")
    finally:
        fourcalls.clear_faults()
        owner_context.close()

    # 4calls' signed webhooks reach the app: a call in the sandbox lands in webhook_events.
    call = fourcalls.generate_call(organization_id)
    deadline = time.monotonic() + 15
    stored = None
    while time.monotonic() < deadline and stored is None:
        with app.app_context():
            stored = db.session.scalar(select(WebhookEvent).where(WebhookEvent.event_type == "call.completed"))
            if stored is not None:
                assert stored.source == "fourcalls" and stored.organization_id == organization_id
                assert stored.payload["data"]["object"]["id"] == call["id"]
        time.sleep(0.2)
    assert stored is not None, "the sandbox's call.completed webhook never arrived"
