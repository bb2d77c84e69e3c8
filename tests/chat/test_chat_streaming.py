"""The widget's chat against the real 4calls sandbox: streamed replies,
booking an offered slot, leads, returning customers, failures and retry."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AIServiceUsage, Appointment, Contact
from app.models.chat import ChatConversation, ChatMessage
from app.models.leads import Lead
from tests.chat_helpers import provision_chat, reply_text, sse_events, widget_token


@pytest.fixture
def chat_business(use_fourcalls, factories):
    use_fourcalls(FOURCALLS_MAX_ATTEMPTS=1)
    owner = factories.user()
    business = factories.business(owner=owner, name="Chatty Salon", services=["Haircut", "Colouring"])
    provision_chat(business, faq=[{"question": "Do you have parking?", "answer": "Yes, free parking behind the salon."}])
    return business


def open_widget(client, business):
    page = client.get(f"/b/{business.slug}")
    key = page.get_data(as_text=True).split("/widget/")[1].split("/")[0]
    widget = client.get(f"/widget/{key}")
    assert widget.status_code == 200
    return key, widget_token(widget.get_data(as_text=True))


def post(client, key, token, path, payload=None):
    return client.post(f"/widget/{key}/{path}", json=payload or {}, headers={"X-Widget-Token": token})


def test_question_streams_answer_and_is_stored(client, chat_business):
    key, token = open_widget(client, chat_business)
    response = post(client, key, token, "messages", {"text": "Do you have parking?"})
    assert response.status_code == 200
    assert response.mimetype == "text/event-stream"
    events = sse_events(response.get_data(as_text=True))
    assert [name for name, _ in events].count("token") > 1, "the reply arrives in several pieces"
    assert events[-1][0] == "done"
    assert "free parking" in reply_text(events)

    conversation = db.session.scalar(select(ChatConversation).where(ChatConversation.business_id == chat_business.id))
    messages = db.session.scalars(select(ChatMessage).where(ChatMessage.conversation_id == conversation.id)
                                  .order_by(ChatMessage.position)).all()
    assert [(m.role, m.status) for m in messages] == [("visitor", "delivered"), ("assistant", "delivered")]
    assert "free parking" in messages[1].text
    assert conversation.remote_session_id
    usage = db.session.scalar(select(AIServiceUsage).where(AIServiceUsage.business_id == chat_business.id,
                                                           AIServiceUsage.service_type == "chat_messages"))
    assert usage.usage_count == 1

    # The reload shows the history.
    page = client.get(f"/widget/{key}").get_data(as_text=True)
    assert "Do you have parking?" in page and "free parking" in page


def test_book_an_offered_slot_writes_local_appointment(client, chat_business):
    key, token = open_widget(client, chat_business)
    events = sse_events(post(client, key, token, "messages", {"text": "I'd like to book an appointment"}).get_data(as_text=True))
    cards = [data["html"] for name, data in events if name == "card"]
    assert cards and 'data-book' in cards[0]
    slot = cards[0].split('name="slot" value="')[1].split('"')[0]

    booked = post(client, key, token, "book", {"slot": slot, "name": "Ann Lee", "phone": "(555) 201-3344"})
    events = sse_events(booked.get_data(as_text=True))
    assert events[-1][0] == "done", events
    assert "booked" in reply_text(events).lower()
    assert any("Booked" in data["html"] for name, data in events if name == "card")

    appointment = db.session.scalar(select(Appointment).where(Appointment.business_id == chat_business.id))
    assert appointment is not None and appointment.source == "chat"
    assert appointment.customer_name == "Ann Lee" and appointment.customer_phone == "+15552013344"
    assert appointment.remote_id.startswith("appt_")
    assert appointment.contact is not None and appointment.contact.phone == "+15552013344"
    conversation = db.session.scalar(select(ChatConversation).where(ChatConversation.business_id == chat_business.id))
    assert conversation.contact_id == appointment.contact_id


def test_only_offered_slots_can_be_booked(client, chat_business):
    key, token = open_widget(client, chat_business)
    post(client, key, token, "messages", {"text": "Hello"})
    response = post(client, key, token, "book", {"slot": "2030-01-01T10:00:00Z", "name": "Ann", "phone": "5552013344"})
    assert response.status_code == 422
    assert "no longer on offer" in response.get_json()["error"]["message"]
    assert db.session.scalar(select(Appointment)) is None


def test_booking_needs_name_and_valid_phone(client, chat_business):
    key, token = open_widget(client, chat_business)
    events = sse_events(post(client, key, token, "messages", {"text": "Can I book a haircut?"}).get_data(as_text=True))
    slot = [d["html"] for n, d in events if n == "card"][0].split('name="slot" value="')[1].split('"')[0]
    response = post(client, key, token, "book", {"slot": slot, "name": "Ann", "phone": "call me"})
    assert response.status_code == 422
    assert "not a phone number" in response.get_json()["error"]["message"]
    assert db.session.scalar(select(Appointment)) is None


def test_lead_form_goes_to_fourcalls_and_contacts(client, chat_business, fourcalls):
    key, token = open_widget(client, chat_business)
    response = post(client, key, token, "leads", {"name": "Bo Diaz", "phone": "555-201-7788", "email": "",
                                                  "message": "Please call me about colouring"})
    assert response.status_code == 201
    assert "Bo" in response.get_json()["html"]
    lead = db.session.scalar(select(Lead).where(Lead.business_id == chat_business.id))
    assert lead.remote_id and lead.remote_id.startswith("lead_") and lead.sync_state == "synced"
    assert lead.contact.phone == "+15552017788" and lead.contact.remote_id
    state = fourcalls.state(chat_business.integration.organization_id, full=True)
    assert any(item["phone"] == "+15552017788" for item in state["objects"]["leads"])


def test_returning_customer_is_recognised(client, chat_business):
    key, token = open_widget(client, chat_business)
    post(client, key, token, "leads", {"name": "Cy Young", "phone": "555-201-9900"})
    # A new visitor (another browser) gives the same number in chat.
    client.delete_cookie("alphasite_chat", path=f"/widget/{key}")
    key, token = open_widget(client, chat_business)
    events = sse_events(post(client, key, token, "messages", {"text": "Hi, my number is 555-201-9900"}).get_data(as_text=True))
    assert "Welcome back" in reply_text(events)
    assert any("Welcome back" in d["html"] for n, d in events if n == "card")
    conversations = db.session.scalars(select(ChatConversation).where(ChatConversation.business_id == chat_business.id)).all()
    assert len({c.contact_id for c in conversations}) == 1


def test_fourcalls_failure_keeps_message_and_retry_delivers_it(client, chat_business, fourcalls):
    key, token = open_widget(client, chat_business)
    fourcalls.set_faults(error_rate=1.0)
    events = sse_events(post(client, key, token, "messages", {"text": "Are you open on Sunday?"}).get_data(as_text=True))
    assert events[-1][0] == "error" and events[-1][1]["retry"] is True
    message = db.session.scalar(select(ChatMessage).where(ChatMessage.role == "visitor"))
    assert message.text == "Are you open on Sunday?" and message.status == "failed"
    page = client.get(f"/widget/{key}").get_data(as_text=True)
    assert "Are you open on Sunday?" in page and "data-retry" in page

    fourcalls.clear_faults()
    events = sse_events(post(client, key, token, "retry").get_data(as_text=True))
    assert events[-1][0] == "done"
    db.session.expire_all()
    messages = db.session.scalars(select(ChatMessage).order_by(ChatMessage.position)).all()
    assert [(m.role, m.status) for m in messages] == [("visitor", "delivered"), ("assistant", "delivered")]
    assert post(client, key, token, "retry").status_code == 422


def test_lead_kept_locally_when_fourcalls_is_down(client, chat_business, fourcalls, run_jobs):
    key, token = open_widget(client, chat_business)
    fourcalls.set_faults(error_rate=1.0)
    response = post(client, key, token, "leads", {"name": "Di", "email": "di@example.com"})
    assert response.status_code == 201
    lead = db.session.scalar(select(Lead))
    assert lead.sync_state == "pending" and lead.remote_id is None and lead.email == "di@example.com"
    fourcalls.clear_faults()
    run_jobs()
    db.session.expire_all()
    lead = db.session.scalar(select(Lead))
    assert lead.sync_state == "synced" and lead.remote_id.startswith("lead_")
    assert db.session.scalar(select(Contact).where(Contact.email == "di@example.com")).remote_id


def test_visitor_leaving_mid_answer_keeps_the_message_for_retry(client, chat_business):
    key, token = open_widget(client, chat_business)
    response = client.post(f"/widget/{key}/messages", json={"text": "What services do you offer?"},
                           headers={"X-Widget-Token": token}, buffered=False)
    chunks = iter(response.response)
    assert b"event: token" in next(chunks)
    response.close()  # the browser went away
    db.session.expire_all()
    message = db.session.scalar(select(ChatMessage).where(ChatMessage.role == "visitor"))
    assert message.status == "failed" and message.text == "What services do you offer?"
    assert "data-retry" in client.get(f"/widget/{key}").get_data(as_text=True)


def test_unexpected_error_mid_answer_is_reported_in_the_widget(client, chat_business, monkeypatch):
    import app.chat.turns as turns

    def broken_card(*_args):
        raise RuntimeError("template exploded")

    monkeypatch.setattr(turns, "render_card", broken_card)
    key, token = open_widget(client, chat_business)
    events = sse_events(post(client, key, token, "messages", {"text": "Can I book an appointment?"}).get_data(as_text=True))
    assert events[-1][0] == "error" and "Your message is saved" in events[-1][1]["message"]
    message = db.session.scalar(select(ChatMessage).where(ChatMessage.role == "visitor"))
    assert message.status == "failed"


def test_failed_booking_is_retried_as_the_same_booking(client, chat_business, fourcalls):
    key, token = open_widget(client, chat_business)
    events = sse_events(post(client, key, token, "messages", {"text": "Can I book a visit?"}).get_data(as_text=True))
    slot = [d["html"] for n, d in events if n == "card"][0].split('name="slot" value="')[1].split('"')[0]
    fourcalls.set_faults(error_rate=1.0)
    events = sse_events(post(client, key, token, "book", {"slot": slot, "name": "Ida Ray", "phone": "5552015566"})
                        .get_data(as_text=True))
    assert events[-1][0] == "error"
    assert db.session.scalar(select(Appointment)) is None
    fourcalls.clear_faults()
    events = sse_events(post(client, key, token, "retry").get_data(as_text=True))
    assert events[-1][0] == "done"
    appointment = db.session.scalar(select(Appointment))
    assert appointment.customer_name == "Ida Ray" and appointment.customer_phone == "+15552015566"
