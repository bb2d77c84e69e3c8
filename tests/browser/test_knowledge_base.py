"""Custom AI training end to end: an AI Enterprise owner uploads a PDF, watches
it turn Ready (pushed to the 4calls sandbox by a job), and asks the test
console a question the document answers; the answer streams in with the
document named as its source."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from playwright.sync_api import expect

from app.auth.services import register_user
from app.encryption import encrypt
from app.extensions import db
from app.fourcalls import platform_client
from app.models import Coordinator, FourCallsIntegration, IntegrationStatus
from sandbox.fourcalls.testing import running_fourcalls
from tests.browser.conftest import LiveServer, build_live_app, free_port
from tests.conftest import make_business
from tests.knowledge_helpers import encrypted_pdf_bytes, pdf_bytes

pytestmark = pytest.mark.browser

OWNER_EMAIL = "knowledge.owner@example.com"
OWNER_PASSWORD = "knowledge-owner-password"
GUIDE = ("Visitor guide for Harbor Dental.",
         "Parking is free in the garage behind the clinic on Elm Street.",
         "Bring your insurance card to your first visit.")


@pytest.fixture(scope="module")
def knowledge_site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("knowledge-browser")
    with running_fourcalls(folder / "fourcalls", chat_token_delay_ms=40) as fourcalls:
        port = free_port()
        app, port = build_live_app(folder, port=port, FOURCALLS_API_URL=fourcalls.url)
        with app.app_context():
            owner = register_user("Kim Knowles", OWNER_EMAIL, OWNER_PASSWORD)
            business = make_business(owner=owner, name="Harbor Dental", category="Dentist")
            client = platform_client()
            organization = client.create_organization({"name": business.name, "timezone": "UTC"})
            remote = client.create_coordinator(organization["id"], {"name": "Ava", "role": "receptionist"})
            db.session.add(FourCallsIntegration(
                business_id=business.id, organization_id=organization["id"],
                api_key=encrypt(organization["api_key"], app.config["ENCRYPTION_KEYS"]),
                service_package="ai_enterprise", status=IntegrationStatus.ACTIVE,
                activated_at=datetime.now(timezone.utc) - timedelta(days=2)))
            db.session.add(Coordinator(business_id=business.id, role="receptionist", name="Ava", status="active",
                                       fourcalls_id=remote["id"], synced_version=1))
            db.session.commit()
            slug = business.slug
        server = LiveServer(app, port)
        server.start()
        yield {"server": server, "slug": slug}
        server.stop()


def test_upload_a_document_and_ask_the_console(knowledge_site, page, shot):
    server, slug = knowledge_site["server"], knowledge_site["slug"]
    page.goto(server.url + "/login")
    page.fill("#email", OWNER_EMAIL)
    page.fill("#password", OWNER_PASSWORD)
    page.click("main button:has-text('Log in')")
    expect(page.locator(".topbar")).to_contain_text("Log out")

    page.goto(f"{server.url}/businesses/{slug}/assistant")
    page.click("a.btn:has-text('Knowledge')")
    expect(page.locator("h1")).to_have_text("Knowledge")

    # A password-protected PDF is refused under the field, and nothing is added.
    page.set_input_files("#file", files=[{"name": "locked.pdf", "mimeType": "application/pdf",
                                          "buffer": encrypted_pdf_bytes("Members only.")}])
    page.click("button:has-text('Upload')")
    expect(page.locator("#add-document .field-error")).to_contain_text("password-protected")
    expect(page.locator("#knowledge-sources")).to_contain_text("Nothing yet")
    shot("encrypted-pdf-refused")

    page.set_input_files("#file", files=[{"name": "visitor-guide.pdf", "mimeType": "application/pdf",
                                          "buffer": pdf_bytes(*GUIDE)}])
    page.click("button:has-text('Upload')")
    row = page.locator("#knowledge-sources .list-row").first
    expect(row).to_contain_text("visitor-guide.pdf")
    # The list polls itself until the push job has run.
    expect(row.locator("[data-source-status]")).to_have_text("Ready", timeout=20_000)
    expect(page.locator("#knowledge-sources")).not_to_have_attribute("hx-trigger", "every 1s")
    shot("document-ready")

    page.fill("#ask", "Where can I park?")
    page.click("#knowledge-test button:has-text('Ask')")
    answer = page.locator("#console-answer [data-stream-text]")
    expect(answer).to_contain_text("Parking is free in the garage behind the clinic", timeout=15_000)
    expect(page.locator("#console-answer")).to_have_attribute("data-state", "done", timeout=15_000)
    expect(page.locator("#console-answer [data-cited-sources]")).to_contain_text("visitor-guide.pdf")
    assert page.url.endswith("/assistant/knowledge")  # answered in place, no page load
    shot("console-answer")

    page.fill("#ask", "Do you sell bicycles?")
    page.click("#knowledge-test button:has-text('Ask')")
    expect(page.locator("#console-answer")).to_have_attribute("data-state", "done", timeout=15_000)
    expect(page.locator("#console-answer [data-cited-sources]")).to_contain_text("No source in the knowledge base matched")
    shot("console-no-match")
