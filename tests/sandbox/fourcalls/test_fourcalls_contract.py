"""The OpenAPI document is valid, and every operation's real responses match it."""
from __future__ import annotations

import httpx
import yaml
from openapi_spec_validator import validate

from fourcalls_contract import CONTRACT_PATH, ContractChecker
from fourcalls_helpers import next_weekday, parse_sse


def test_document_is_valid_openapi_3_1():
    document = yaml.safe_load(CONTRACT_PATH.read_text(encoding="utf-8"))
    validate(document)
    assert document["openapi"].startswith("3.1")
    assert set(document["webhooks"]) >= {
        "call.completed", "appointment.created", "appointment.updated", "appointment.cancelled",
        "contact.created", "contact.updated", "lead.created"}


def _client(sandbox, checker: ContractChecker, key: str | None = None) -> httpx.Client:
    return sandbox.client(key, event_hooks={"response": [checker.hook]})


def test_every_operation_answers_as_documented(sandbox):
    checker = ContractChecker()  # fresh, so coverage below counts this test's requests only
    platform = _client(sandbox, checker)
    created = platform.post("/organizations", json={
        "name": "Contract Cafe", "external_id": "contract-cafe", "category": "restaurant",
        "phone": "+15125550123", "timezone": "America/Chicago", "webhook_url": None,
        "profile": {"description": "Neighbourhood cafe.", "services": ["Breakfast", "Catering"],
                    "hours": "", "faq": [{"question": "Do you have wifi?", "answer": "Yes, free wifi."}]},
        "appointment_types": [{"name": "Table", "duration_minutes": 60}]})
    assert created.status_code == 201
    org = created.json()
    org_id = org["id"]
    assert platform.get("/organizations", params={"external_id": "contract-cafe"}).json()["data"][0]["id"] == org_id
    assert platform.put(f"/organizations/{org_id}", json={"city": "Austin"}).json()["city"] == "Austin"
    rotated = platform.post(f"/organizations/{org_id}/api-keys")
    assert rotated.status_code == 201
    client = _client(sandbox, checker, rotated.json()["api_key"])
    assert client.get(f"/organizations/{org_id}").status_code == 200
    assert client.get(f"/organizations/{org_id}/usage").status_code == 200

    coordinator = client.post(f"/organizations/{org_id}/coordinators",
                              json={"name": "Max", "role": "receptionist", "voice": "nova"}).json()
    spare = client.post(f"/organizations/{org_id}/coordinators", json={"name": "Old", "role": "sales"}).json()
    assert client.get(f"/organizations/{org_id}/coordinators").json()["data"]
    assert client.get(f"/coordinators/{coordinator['id']}").status_code == 200
    assert client.put(f"/coordinators/{coordinator['id']}", json={"greeting": "Hi there!"}).status_code == 200
    assert client.delete(f"/coordinators/{spare['id']}").json()["status"] == "retired"

    contact = client.post(f"/organizations/{org_id}/contacts", json={
        "name": "Rita Moreno", "phone": "+15125550177", "email": "rita@example.com", "tags": ["vip"],
        "custom_fields": {"allergies": "nuts", "visits": 3}}).json()
    doomed = client.post(f"/organizations/{org_id}/contacts", json={"name": "Short Lived"}).json()
    assert client.get(f"/organizations/{org_id}/contacts").status_code == 200
    assert client.get(f"/organizations/{org_id}/contacts/{contact['id']}").status_code == 200
    assert client.put(f"/organizations/{org_id}/contacts/{contact['id']}", json={"notes": "Regular"}).status_code == 200
    assert client.delete(f"/organizations/{org_id}/contacts/{doomed['id']}").json()["deleted"] is True

    for outcome in ("booked", "lead", "question"):
        sandbox.generate_call(org_id, outcome=outcome)
    sandbox.generate_call(org_id, status="missed")
    calls = client.get(f"/organizations/{org_id}/calls").json()["data"]
    assert len(calls) == 4
    assert client.get(f"/organizations/{org_id}/calls/{calls[0]['id']}").status_code == 200
    assert client.get(f"/organizations/{org_id}/calls/stats").json()["total"] == 4

    day = next_weekday(1)
    appointment = client.post(f"/organizations/{org_id}/appointments", json={
        "contact_id": contact["id"], "appointment_type": "Table",
        "starts_at": f"{day}T12:00:00", "notes": "Window seat"}).json()
    assert client.get(f"/organizations/{org_id}/appointments", params={"from": str(day)}).status_code == 200
    assert client.get(f"/organizations/{org_id}/appointments/today").status_code == 200
    assert client.get(f"/organizations/{org_id}/appointments/{appointment['id']}").status_code == 200
    assert client.put(f"/organizations/{org_id}/appointments/{appointment['id']}",
                      json={"starts_at": f"{day}T13:00:00"}).status_code == 200

    message = client.post(f"/organizations/{org_id}/messages", json={
        "channel": "sms", "to": "+15125550177", "body": "See you tomorrow!",
        "appointment_id": appointment["id"]}).json()
    assert client.get(f"/organizations/{org_id}/messages").status_code == 200
    assert client.get(f"/organizations/{org_id}/messages/{message['id']}").status_code == 200

    slots = client.post("/real-time/availability", json={
        "date_from": str(day), "date_to": str(day), "appointment_type": "Table"}).json()["slots"]
    assert client.post("/real-time/customer-lookup", json={"phone": "+15125550177"}).status_code == 200
    assert client.post("/real-time/booking", json={
        "starts_at": slots[0]["starts_at"], "appointment_type": "Table",
        "customer": {"name": "Lee Park", "phone": "+15125550188"}}).status_code == 201
    assert client.post("/real-time/lead", json={
        "name": "Kim", "email": "kim@example.com", "message": "Catering for 40?", "source": "web"}).status_code == 201
    leads = client.get(f"/organizations/{org_id}/leads").json()["data"]
    assert client.get(f"/organizations/{org_id}/leads/{leads[0]['id']}").status_code == 200
    analysis = client.post(f"/organizations/{org_id}/lead-analysis", json={"transcript": [
        {"speaker": "caller", "text": "I'd like a quote for a repair this week, what's the price?"}]})
    assert analysis.status_code == 200 and analysis.json()["score"] > 50

    with client.stream("POST", f"/coordinators/{coordinator['id']}/chat",
                       json={"message": "Do you have wifi?"}) as stream:
        events = parse_sse(stream.read().decode())
    session_id = events[-1][1]["session_id"]
    session = client.get(f"/coordinators/{coordinator['id']}/chat-sessions/{session_id}")
    assert [m["role"] for m in session.json()["messages"]] == ["visitor", "assistant"]

    campaign = client.post(f"/organizations/{org_id}/campaigns", json={
        "name": "Win-back", "coordinator_id": coordinator["id"], "script": "We miss you!",
        "contact_ids": [contact["id"]]}).json()
    assert client.get(f"/organizations/{org_id}/campaigns").status_code == 200
    assert client.get(f"/campaigns/{campaign['id']}").status_code == 200
    assert client.post(f"/campaigns/{campaign['id']}/start").json()["status"] == "running"
    assert client.post(f"/campaigns/{campaign['id']}/pause").json()["status"] == "paused"
    assert client.get(f"/campaigns/{campaign['id']}/results").status_code == 200
    # -- AI customer insights (issue 18)
    assert client.get(f"/organizations/{org_id}/insights/contacts").json()["data"]
    assert client.get(f"/organizations/{org_id}/contacts/{contact['id']}/insights").status_code == 200

    # -- receptionist setup (issue 13)
    voices = client.get("/voices").json()["data"]
    assert client.get(f"/voices/{voices[0]['id']}/sample").headers["content-type"] == "audio/wav"
    assert client.get(f"/organizations/{org_id}/call-handling").json()["after_hours_action"] == "take_message"
    assert client.put(f"/organizations/{org_id}/call-handling", json={
        "inbound_coordinator_id": coordinator["id"], "business_hours_action": "book", "after_hours_action": "take_message",
        "forwarding": {"enabled": True, "number": "+15125550142", "urgent_words": ["flood"], "start": "00:00",
                       "end": "00:00"}}).status_code == 200
    assert client.post(f"/organizations/{org_id}/test-calls", json={"caller_says": "A flood!"}).json()["status"] == "forwarded"

    per_target = client.post(f"/organizations/{org_id}/campaigns", json={
        "name": "Reminders", "coordinator_id": coordinator["id"], "dispatch": "per_target"}).json()
    assert per_target["status"] == "running"
    dial_body = {"dial_key": "target-1:1", "phone": "+15125550177", "name": "Rita Moreno",
                 "contact_id": contact["id"], "voicemail": {"action": "leave_message", "message": "Call us back"}}
    first = client.post(f"/campaigns/{per_target['id']}/dials", json=dial_body)
    again = client.post(f"/campaigns/{per_target['id']}/dials", json=dial_body)
    assert (first.status_code, again.status_code) == (201, 200) and first.json()["id"] == again.json()["id"]
    assert client.get(f"/campaigns/{per_target['id']}/dials", params={"dial_key": "target-1:1"}).json()["data"]
    sandbox._admin_call("POST", "/dials/complete")
    assert client.get(f"/dials/{first.json()['id']}").json()["status"] == "completed"

    # -- coordinator knowledge (issue 19)
    source = client.post(f"/organizations/{org_id}/knowledge-sources", json={
        "external_id": "menu", "title": "Menu", "kind": "page", "chunks": [{"text": "Our soup of the day is tomato."}]})
    assert source.status_code == 201
    assert client.get(f"/organizations/{org_id}/knowledge-sources").json()["data"]
    assert client.get(f"/knowledge-sources/{source.json()['id']}").json()["chunks"]
    with client.stream("POST", f"/coordinators/{coordinator['id']}/knowledge-test",
                       json={"question": "What is the soup today?"}) as stream:
        assert parse_sse(stream.read().decode())[-1] == ("done", {"answered": True})
    assert client.delete(f"/knowledge-sources/{source.json()['id']}").json()["deleted"] is True

    missing = [f"{method} {path}" for method, path in checker.operations()
               if not any(200 <= status < 300 for status in checker.seen.get((method, path), ()))]
    assert not missing, f"operations never answered successfully: {missing}"


def test_error_responses_match_the_contract(api):
    org, client = api.create_org()
    assert client.get(f"/organizations/{org['id']}/contacts/con_missing").status_code == 404
    invalid = client.post(f"/organizations/{org['id']}/contacts", json={"phone": "555-1234", "colour": "red"})
    assert invalid.status_code == 422
    assert invalid.json()["error"]["details"]["fields"] == {
        "phone": "must be an E.164 phone number, e.g. +15125550142", "colour": "unknown field"}
    assert client.get(f"/organizations/{org['id']}/calls", params={"limit": 501}).status_code == 422
    assert client.get(f"/organizations/{org['id']}/calls", params={"cursor": "garbage"}).status_code == 422
    unknown_route = client.get("/no-such-thing")
    assert unknown_route.status_code == 404
    assert unknown_route.json()["error"]["type"] == "not_found"
