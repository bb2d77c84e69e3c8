"""Chat: the SSE stream's shape and the replies built from the organization's profile."""
from __future__ import annotations

import time

import pytest

from fourcalls_helpers import parse_sse

SANDBOX_OPTIONS = {"chat_token_delay_ms": 10}

PROFILE = {
    "description": "Family dentistry in downtown Austin.",
    "services": ["Cleanings", "Whitening", "Invisalign"],
    "hours": "Monday to Saturday 8 AM to 6 PM; closed Sunday.",
    "faq": [{"question": "Do you accept Delta Dental insurance?",
             "answer": "Yes, we are in network with Delta Dental."},
            {"question": "Is parking available?", "answer": "Free parking is behind the building."}],
}


@pytest.fixture
def office(api):
    org, client = api.create_org(name="Bright Smiles", profile=PROFILE)
    coordinator = api.create_coordinator(client, org["id"], name="Sunny")
    return org, client, coordinator


def chat(client, coordinator, **body):
    with client.stream("POST", f"/coordinators/{coordinator['id']}/chat", json=body) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = parse_sse(response.read().decode())
    tokens = [data["text"] for name, data in events if name == "token"]
    actions = [data for name, data in events if name == "action"]
    return events, "".join(tokens), actions


def test_stream_is_tokens_then_actions_then_done(office, contract):
    _, client, coordinator = office
    started = time.monotonic()
    with client.stream("POST", f"/coordinators/{coordinator['id']}/chat",
                       json={"message": "Can I book an appointment?"}) as response:
        arrival = []
        buffer = ""
        for chunk in response.iter_text():
            buffer += chunk
            arrival.append(time.monotonic() - started)
    events = parse_sse(buffer)
    names = [name for name, _ in events]
    assert names[0] == "token" and names[-1] == "done"
    assert names.count("token") >= 5
    assert names.index("action") > max(i for i, n in enumerate(names) if n == "token")
    assert arrival[-1] - arrival[0] > 0.05, "tokens should trickle in, not arrive at once"
    validators = {"token": "ChatTokenEvent", "action": "ChatAction", "done": "ChatDoneEvent"}
    for name, data in events:
        errors = list(contract.schema_validator(validators[name]).iter_errors(data))
        assert not errors, (name, errors[0].message)


def test_hours_faq_and_services_come_from_the_profile(office):
    _, client, coordinator = office
    _, hours, _ = chat(client, coordinator, message="What are your hours?")
    assert "Monday to Saturday 8 AM to 6 PM" in hours
    _, faq, _ = chat(client, coordinator, message="do you take delta dental insurance")
    assert faq == "Yes, we are in network with Delta Dental."
    _, services, _ = chat(client, coordinator, message="What services do you offer?")
    assert "Whitening" in services and "Invisalign" in services


def test_offer_then_book_a_slot_in_the_same_session(office):
    org, client, coordinator = office
    events, _, actions = chat(client, coordinator, message="I'd like to schedule a cleaning",
                              visitor={"name": "Nora Ortiz", "phone": "+15125550741"})
    session_id = events[-1][1]["session_id"]
    slots = actions[0]["slots"]
    assert actions[0]["type"] == "offer_slots" and len(slots) == 5
    _, text, actions = chat(client, coordinator, session_id=session_id, message=f"book {slots[1]['starts_at']}")
    booked = actions[0]
    assert booked["type"] == "booking_created"
    assert booked["appointment"]["starts_at"] == slots[1]["starts_at"]
    assert booked["appointment"]["source"] == "chat" and booked["appointment"]["customer_name"] == "Nora Ortiz"
    assert "booked" in text
    # The same slot cannot be booked twice: the reply explains and offers other times.
    _, text, actions = chat(client, coordinator, action={"type": "book", "slot": slots[1]["starts_at"],
                                                         "name": "Late Comer", "phone": "+15125550742"})
    assert "taken" in text and actions[0]["type"] == "offer_slots"
    assert slots[1]["starts_at"] not in {s["starts_at"] for s in actions[0]["slots"]}
    session = client.get(f"/coordinators/{coordinator['id']}/chat-sessions/{session_id}").json()
    assert len(session["messages"]) == 4 and session["contact_id"] == booked["appointment"]["contact_id"]


def test_pick_by_number_and_ask_for_details_first(office):
    _, client, coordinator = office
    events, _, actions = chat(client, coordinator, message="Any availability this week?")
    session_id = events[-1][1]["session_id"]
    _, text, actions = chat(client, coordinator, session_id=session_id, message="book 3")
    assert not actions and "name and phone number" in text
    _, text, actions = chat(client, coordinator, session_id=session_id,
                            message="My name is Ivy Chen, 512-555-0743")
    assert actions[-1]["type"] == "booking_created"
    assert actions[-1]["appointment"]["customer_phone"] == "+15125550743"


def test_returning_customer_is_recognised_by_phone(office):
    org, client, coordinator = office
    client.post(f"/organizations/{org['id']}/contacts", json={"name": "Ray Fuller", "phone": "+15125550750"})
    _, text, actions = chat(client, coordinator, message="Hi, it's me, my number is (512) 555-0750")
    assert actions[0]["type"] == "customer_recognised" and actions[0]["contact"]["name"] == "Ray Fuller"
    assert text.startswith("Welcome back, Ray!")


def test_callback_request_captures_a_lead(office):
    org, client, coordinator = office
    events, text, actions = chat(client, coordinator, message="Can someone call me back about Invisalign?")
    assert not actions and "phone number or email" in text
    session_id = events[-1][1]["session_id"]
    _, text, actions = chat(client, coordinator, session_id=session_id,
                            message="sure, it's pat@example.com", visitor={"name": "Pat Kim"})
    lead = actions[0]["lead"]
    assert actions[0]["type"] == "lead_captured" and lead["source"] == "chat"
    assert lead["email"] == "pat@example.com" and "Invisalign" in lead["message"]
    assert client.get(f"/organizations/{org['id']}/leads/{lead['id']}").status_code == 200


def test_chat_counts_in_usage_and_errors(office, contract):
    org, client, coordinator = office
    before = client.get(f"/organizations/{org['id']}/usage").json()["chat_messages"]
    chat(client, coordinator, message="hello")
    chat(client, coordinator, message="Is parking available?")
    assert client.get(f"/organizations/{org['id']}/usage").json()["chat_messages"] == before + 2
    events, _, _ = chat(client, coordinator, action={"type": "book", "slot": "next tuesday-ish"})
    assert events == [("error", events[0][1])] and events[0][1]["type"] == "validation_error"
    assert not list(contract.schema_validator("ChatErrorEvent").iter_errors(events[0][1]))
    assert client.post(f"/coordinators/{coordinator['id']}/chat", json={}).status_code == 422
    client.delete(f"/coordinators/{coordinator['id']}")
    retired = client.post(f"/coordinators/{coordinator['id']}/chat", json={"message": "hi"})
    assert retired.status_code == 409
