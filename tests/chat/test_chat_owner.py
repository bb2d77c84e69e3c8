"""The owner's side of chat: widget settings and conversations."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.chat import conversations as convos
from app.chat.widgets import widget_for
from app.extensions import db
from app.models import Contact
from app.models.chat import ChatWidget, MessageRole, MessageStatus

SETTINGS = {
    "accent_color": "#0f766e",
    "assistant_name": "Maya",
    "greeting": "Hello from the team!",
    "position": "left",
    "allowed_origins": "https://www.example.com/\nhttps://*.shop.example.com, http://localhost:8080",
}


def test_settings_page_shows_snippets_and_preview(client, logged_in_owner, factories):
    business = factories.business(owner=logged_in_owner, name="Snip Salon")
    response = client.get(f"/businesses/{business.slug}/chat/widget")
    html = response.get_data(as_text=True)
    widget = db.session.scalar(select(ChatWidget))
    assert response.status_code == 200
    assert f"/widget/{widget.public_key}/embed.js" in html and "&lt;iframe src=" in html
    assert "widget-preview" in html and "contact form" in html  # no package yet


def test_save_branding(client, logged_in_owner, factories):
    business = factories.business(owner=logged_in_owner, name="Brand Salon")
    response = client.post(f"/businesses/{business.slug}/chat/widget", data=SETTINGS)
    assert response.status_code == 302
    widget = db.session.scalar(select(ChatWidget))
    assert (widget.accent_color, widget.assistant_name, widget.greeting, widget.position) == (
        "#0f766e", "Maya", "Hello from the team!", "left")
    assert widget.allowed_origins == ["https://www.example.com", "https://*.shop.example.com", "http://localhost:8080"]
    page = client.get(f"/widget/{widget.public_key}").get_data(as_text=True)
    assert "Maya" in page and "Hello from the team!" in page and "--accent:#0f766e" in page


def test_bad_settings_change_nothing_and_keep_input(client, logged_in_owner, factories):
    business = factories.business(owner=logged_in_owner, name="Careful Salon")
    before = widget_for(business)
    saved = (before.accent_color, before.assistant_name, list(before.allowed_origins))
    response = client.post(f"/businesses/{business.slug}/chat/widget", data={
        **SETTINGS, "accent_color": "red", "allowed_origins": "https://ok.example.com\nftp://files.example.com/path",
    })
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Pick a colour like" in html and "is not a web origin" in html
    assert "https://ok.example.com" in html  # what was typed is still there
    db.session.expire_all()
    after = db.session.scalar(select(ChatWidget))
    assert (after.accent_color, after.assistant_name, list(after.allowed_origins)) == saved


def test_preview_follows_unsaved_values(client, logged_in_owner, factories):
    business = factories.business(owner=logged_in_owner, name="Preview Salon")
    response = client.post(f"/businesses/{business.slug}/chat/widget/preview", data={**SETTINGS, "accent_color": "#ff0000"},
                           headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert "#ff0000" in html and "Maya" in html and "launcher left" in html
    half_typed = client.post(f"/businesses/{business.slug}/chat/widget/preview", data={**SETTINGS, "accent_color": "#ff"})
    assert "#4f46e5" in half_typed.get_data(as_text=True)  # the saved colour until the new one is complete
    assert db.session.scalar(select(ChatWidget)).accent_color == "#4f46e5"


def make_conversation(business, visitor_text, reply_text, contact=None):
    visitor_id = convos.new_visitor_id()
    conversation = convos.conversation_for(business, visitor_id)
    convos.append_message(conversation, MessageRole.VISITOR, visitor_text)
    convos.append_message(conversation, MessageRole.ASSISTANT, reply_text, actions=[
        {"type": "offer_slots", "slots": [{"starts_at": "2030-05-06T14:00:00Z", "label": "Mon May 6, 2:00 PM",
                                           "ends_at": "2030-05-06T14:30:00Z", "local_starts_at": "2030-05-06T14:00:00Z"}]}])
    if contact is not None:
        convos.remember_visitor(conversation, contact=contact)
    db.session.commit()
    return conversation


def test_conversations_list_and_transcript(client, logged_in_owner, factories):
    business = factories.business(owner=logged_in_owner, name="Talk Salon", timezone="America/Los_Angeles")
    contact = Contact(business_id=business.id, name="Gail Force", phone="+15552010000")
    db.session.add(contact)
    db.session.commit()
    linked = make_conversation(business, "Can I book?", "Here are the next times", contact=contact)
    make_conversation(business, "Do you run scripts?", "<script>alert(1)</script>")
    listing = client.get(f"/businesses/{business.slug}/chats").get_data(as_text=True)
    assert "Gail Force" in listing and "Anonymous visitor" in listing
    assert "<script>alert(1)</script>" not in listing and "&lt;script&gt;" in listing

    page = client.get(f"/businesses/{business.slug}/chats/{linked.id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Can I book?" in html and "Mon May 6, 07:00" in html  # 14:00 UTC, in Los Angeles
    assert f"/businesses/{business.slug}/contacts/{contact.id}" in html

    partial = client.get(f"/businesses/{business.slug}/chats/{linked.id}", headers={"HX-Request": "true"})
    assert "<html" not in partial.get_data(as_text=True) and "HX-Request" in partial.headers["Vary"]


def test_empty_state_and_failed_message_badge(client, logged_in_owner, factories):
    business = factories.business(owner=logged_in_owner, name="Fresh Salon")
    assert "No chats yet" in client.get(f"/businesses/{business.slug}/chats").get_data(as_text=True)
    conversation = convos.conversation_for(business, convos.new_visitor_id())
    convos.append_message(conversation, MessageRole.VISITOR, "Hello?", status=MessageStatus.FAILED)
    db.session.commit()
    assert "not answered" in client.get(f"/businesses/{business.slug}/chats").get_data(as_text=True)


def test_transcripts_are_private(client, auth, factories):
    owner, intruder = factories.user(), factories.user()
    business = factories.business(owner=owner, name="Private Talk")
    mine = factories.business(owner=intruder, name="Intruder Shop")
    conversation = make_conversation(business, "secret question", "secret answer")
    auth.login(intruder.email)
    assert client.get(f"/businesses/{business.slug}/chats/{conversation.id}").status_code == 404
    # Own business slug with someone else's conversation id: still 404.
    assert client.get(f"/businesses/{mine.slug}/chats/{conversation.id}").status_code == 404
    assert client.get(f"/businesses/{mine.slug}/chats/not-a-uuid").status_code == 404


def test_origins_are_normalised_and_cannot_inject_into_the_policy():
    from app.chat.widgets import InvalidOrigin, parse_origins

    assert parse_origins("HTTPS://Shop.Example.com/\nhttps://*.example.org, http://localhost:8080 https://shop.example.com") == [
        "https://shop.example.com", "https://*.example.org", "http://localhost:8080"]
    for bad in ("https://a.example.com; script-src *", "javascript:alert(1)", "https://a.example.com/page",
                "https://user@a.example.com", "https://a.example.com:80x", "example.com", "https://a*.example.com",
                "https://'self'"):
        with pytest.raises(InvalidOrigin):
            parse_origins(bad)
