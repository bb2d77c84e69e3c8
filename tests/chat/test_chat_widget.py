"""The public widget without 4calls: keys, headers, cookie, contact form,
escaping, limits."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Contact
from app.models.chat import ChatConversation, ChatMessage, ChatWidget
from app.models.leads import Lead
from tests.chat_helpers import widget_token
from tests.factories import make_integration


@pytest.fixture
def business(factories):
    owner = factories.user()
    return factories.business(owner=owner, name="Quiet Dental", services=["Cleaning"])


def widget_key(client, business) -> str:
    html = client.get(f"/b/{business.slug}").get_data(as_text=True)
    return re.search(r"/widget/(w_[\w-]+)/embed\.js", html).group(1)


def test_business_page_shows_profile_and_loads_the_launcher(client, business):
    response = client.get(f"/b/{business.slug}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Quiet Dental" in html and "Cleaning" in html and "Opening hours" in html
    widget = db.session.scalar(select(ChatWidget))
    assert f"/widget/{widget.public_key}/embed.js" in html
    assert str(business.id) not in html and str(widget.id) not in html


def test_unknown_and_unclaimed_pages_have_no_widget(client, factories):
    assert client.get("/b/no-such-business").status_code == 404
    unclaimed = factories.business(name="Nobody's Cafe")
    html = client.get(f"/b/{unclaimed.slug}").get_data(as_text=True)
    assert "embed.js" not in html and "Claim it" in html
    assert client.get("/widget/w_doesnotexist").status_code == 404


def test_widget_headers_cookie_and_no_internal_ids(client, business):
    key = widget_key(client, business)
    response = client.get(f"/widget/{key}")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'self'" in csp and "unsafe-inline" not in csp
    assert "default-src 'none'" in csp
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("alphasite_chat=v_") and f"Path=/widget/{key}" in cookie and "HttpOnly" in cookie
    html = response.get_data(as_text=True)
    assert "<script>" not in html, "no inline script"
    assert str(business.id) not in html


def test_widget_cookie_is_cross_site_on_https(app, business):
    client = app.test_client()
    key = widget_key(client, business)
    cookie = client.get(f"/widget/{key}", base_url="https://localhost").headers["Set-Cookie"]
    assert "SameSite=None" in cookie and "Secure" in cookie and "Partitioned" in cookie


def test_allowed_origins_reach_frame_ancestors(client, business):
    key = widget_key(client, business)
    widget = db.session.scalar(select(ChatWidget))
    widget.allowed_origins = ["https://www.quietdental.example", "https://*.partner.example"]
    db.session.commit()
    csp = client.get(f"/widget/{key}").headers["Content-Security-Policy"]
    assert "frame-ancestors 'self' https://www.quietdental.example https://*.partner.example" in csp


def test_embed_script_is_javascript_with_only_public_values(client, business):
    key = widget_key(client, business)
    response = client.get(f"/widget/{key}/embed.js")
    assert response.mimetype == "text/javascript"
    body = response.get_data(as_text=True)
    assert f"/widget/{key}" in body and str(business.id) not in body


def test_without_package_the_widget_is_a_contact_form_that_makes_a_lead(client, business):
    key = widget_key(client, business)
    html = client.get(f"/widget/{key}").get_data(as_text=True)
    assert 'id="contact-form"' in html and 'id="composer"' not in html
    token = widget_token(html)
    refused = client.post(f"/widget/{key}/messages", json={"text": "hi"}, headers={"X-Widget-Token": token})
    assert refused.status_code == 409

    response = client.post(f"/widget/{key}/leads", headers={"X-Widget-Token": token}, json={
        "name": "Eve Park", "phone": "+1 (555) 201-4455", "email": "eve@example.com", "message": "Do you see kids?"})
    assert response.status_code == 201
    lead = db.session.scalar(select(Lead))
    assert (lead.source, lead.phone, lead.message) == ("contact_form", "+15552014455", "Do you see kids?")
    assert lead.contact.name == "Eve Park" and lead.contact.business_id == business.id
    # The transcript keeps it and a reload shows the confirmation.
    assert "Do you see kids?" in client.get(f"/widget/{key}").get_data(as_text=True)


def test_contact_form_rejects_bad_details_and_stores_nothing(client, business):
    key = widget_key(client, business)
    token = widget_token(client.get(f"/widget/{key}").get_data(as_text=True))
    missing = client.post(f"/widget/{key}/leads", headers={"X-Widget-Token": token}, json={"name": "No Way"})
    assert missing.status_code == 422 and "phone number or an email" in missing.get_json()["error"]["message"]
    bad = client.post(f"/widget/{key}/leads", headers={"X-Widget-Token": token},
                      json={"name": "X", "email": "not-an-email"})
    assert bad.status_code == 422 and "not a valid email" in bad.get_json()["error"]["message"]
    assert db.session.scalar(select(Lead)) is None and db.session.scalar(select(Contact)) is None


def test_posts_need_the_widget_token(client, business, factories):
    key = widget_key(client, business)
    assert client.post(f"/widget/{key}/leads", json={"phone": "5552014455"}).status_code == 403
    other = factories.business(owner=factories.user(), name="Other Place")
    other_key = widget_key(client, other)
    other_token = widget_token(client.get(f"/widget/{other_key}").get_data(as_text=True))
    # A token of another widget does not work here.
    response = client.post(f"/widget/{key}/leads", json={"phone": "5552014455"}, headers={"X-Widget-Token": other_token})
    assert response.status_code == 403
    assert db.session.scalar(select(Lead)) is None


def test_html_payloads_render_as_text(client, business):
    key = widget_key(client, business)
    token = widget_token(client.get(f"/widget/{key}").get_data(as_text=True))
    payload = '<script>alert(1)</script><img src=x onerror=alert(2)>'
    client.post(f"/widget/{key}/leads", headers={"X-Widget-Token": token},
                json={"name": "<b>Mallory</b>", "email": "m@example.com", "message": payload})
    html = client.get(f"/widget/{key}").get_data(as_text=True)
    assert payload not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>Mallory</b>" not in html


def test_visitor_rate_limit_answers_a_friendly_message(app, client, business):
    saved = app.config["CHAT_RATE_LIMIT_PER_VISITOR"]
    app.config["CHAT_RATE_LIMIT_PER_VISITOR"] = "2 per minute"
    try:
        key = widget_key(client, business)
        token = widget_token(client.get(f"/widget/{key}").get_data(as_text=True))
        statuses = [client.post(f"/widget/{key}/leads", headers={"X-Widget-Token": token},
                                json={"phone": f"555201{n:04d}"}).status_code for n in range(3)]
        assert statuses == [201, 201, 429]
        blocked = client.post(f"/widget/{key}/leads", headers={"X-Widget-Token": token}, json={"phone": "5552019999"})
        assert "very quickly" in blocked.get_json()["error"]["message"]
    finally:
        app.config["CHAT_RATE_LIMIT_PER_VISITOR"] = saved


def test_ip_rate_limit_covers_every_visitor(app, client, business):
    saved = app.config["CHAT_RATE_LIMIT_PER_IP"]
    app.config["CHAT_RATE_LIMIT_PER_IP"] = "2 per minute"
    try:
        key = widget_key(client, business)
        statuses = []
        for n in range(3):
            client.delete_cookie("alphasite_chat", path=f"/widget/{key}")
            token = widget_token(client.get(f"/widget/{key}").get_data(as_text=True))
            statuses.append(client.post(f"/widget/{key}/leads", headers={"X-Widget-Token": token},
                                        json={"phone": f"555201{n:04d}"}).status_code)
        assert statuses == [201, 201, 429]
    finally:
        app.config["CHAT_RATE_LIMIT_PER_IP"] = saved


def test_message_length_is_limited(app, client, business):
    # An active integration, but no 4calls: the message is refused before any call.
    make_integration(business, organization_id="org_x", coordinator_id="coord_x", api_key="not-used")
    key = widget_key(client, business)
    token = widget_token(client.get(f"/widget/{key}").get_data(as_text=True))
    response = client.post(f"/widget/{key}/messages", json={"text": "x" * 1001}, headers={"X-Widget-Token": token})
    assert response.status_code == 422 and "at most 1,000 characters" in response.get_json()["error"]["message"]
    empty = client.post(f"/widget/{key}/messages", json={"text": "   "}, headers={"X-Widget-Token": token})
    assert empty.status_code == 422
    assert db.session.scalar(select(ChatMessage)) is None and db.session.scalar(select(ChatConversation)) is None
