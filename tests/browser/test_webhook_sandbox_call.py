"""The issue's path end to end: an owner adds a webhook endpoint, a call
happens in the 4calls sandbox, 4calls notifies the app, and the signed
call.completed delivery shows in the endpoint's log."""
from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.auth.services import register_user
from app.demo import CLAIMED_DEMO_SLUG
from app.extensions import db
from app.models import Business
from sandbox.fourcalls.testing import running_fourcalls
from tests.browser.conftest import LiveServer, build_live_app, connect_sandbox_organization, free_port
from tests.integrations_helpers import Receiver

pytestmark = pytest.mark.browser

OWNER_EMAIL = "calls.integrator@example.com"
OWNER_PASSWORD = "calls-integrator-password"


@pytest.fixture(scope="module")
def call_site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("webhook-call-browser")
    with running_fourcalls(folder / "fourcalls") as fourcalls:
        port = free_port()
        app, port = build_live_app(folder, port=port, FOURCALLS_API_URL=fourcalls.url)
        with app.app_context():
            business = db.session.scalar(select(Business).where(Business.slug == CLAIMED_DEMO_SLUG))
            business.owner_id = register_user("Ivy Integrator", OWNER_EMAIL, OWNER_PASSWORD).id
            organization = connect_sandbox_organization(app, business, "ai_enterprise", active_for_days=2,
                                                        webhook_url=f"http://127.0.0.1:{port}/webhooks/fourcalls")
            db.session.commit()
        server = LiveServer(app, port)
        server.start()
        yield {"server": server, "fourcalls": fourcalls, "org_id": organization["id"]}
        server.stop()


def test_sandbox_call_arrives_signed_in_the_delivery_log(call_site, page, shot):
    server = call_site["server"]
    with Receiver() as receiver:
        page.goto(server.url + "/login")
        page.fill("#email", OWNER_EMAIL)
        page.fill("#password", OWNER_PASSWORD)
        page.click("main button:has-text('Log in')")
        expect(page.locator(".topbar")).to_contain_text("Log out")
        page.goto(f"{server.url}/businesses/{CLAIMED_DEMO_SLUG}/integrations/webhooks/new")
        page.fill("#url", receiver.url)
        page.check("input[value='call.completed']")
        page.click("button:has-text('Add endpoint')")
        secret = page.locator("#signing-secret").inner_text().strip()
        page.click("text=I have saved it")
        call = call_site["fourcalls"].generate_call(call_site["org_id"], caller_name="Carla Caller", direction="inbound")
        # 4calls -> the app's webhook -> call.completed to the receiver, while the log page is open.
        expect(page.locator(".delivery-log")).to_contain_text("call.completed", timeout=20_000)
        expect(page.locator(".delivery-log")).to_contain_text("Delivered · 200", timeout=20_000)
        page.locator(".delivery-log details summary").first.click()
        shot("call-completed-delivered")
        headers, body = receiver.received[0]
        document = json.loads(body)
        assert document["type"] == "call.completed" and document["data"]["caller_name"] == "Carla Caller"
        assert document["data"]["duration_seconds"] == call["duration_seconds"]
        parts = dict(p.split("=", 1) for p in headers["AlphaSite-Signature"].split(","))
        expected = hmac.new(secret.encode(), parts["t"].encode() + b"." + body, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(expected, parts["v1"])
