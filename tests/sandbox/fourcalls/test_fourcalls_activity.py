"""Live-line behaviour: generated calls, campaigns dialing, and what they leave behind."""
from __future__ import annotations

import time
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
import pytest

from fourcalls_helpers import wait_until

SANDBOX_OPTIONS = {"campaign_interval": 0.15}


@pytest.mark.parametrize("category, expected_word", [
    ("restaurant", "table"), ("Hair Salon", "salon"), ("plumbing & heating", "plumb"),
    ("law firm", "law"), ("auto repair", "car"), ("yoga studio", "fitness")])
def test_transcripts_fit_the_business_category(sandbox, api, category, expected_word):
    org, client = api.create_org(category=category, name="Category Co")
    call = sandbox.generate_call(org["id"], outcome="booked")
    words = " ".join(turn["text"] for turn in call["transcript"]).lower()
    vocabulary = {"table": ("table", "reservation"), "salon": ("haircut", "color", "manicure"),
                  "plumb": ("leak", "water heater", "drain"), "law": ("consultation", "attorney", "will"),
                  "car": ("oil", "brake", "engine"), "fitness": ("training", "trial class", "trainer")}
    assert any(word in words for word in vocabulary[expected_word]), words


def test_generated_call_leaves_a_consistent_trail(sandbox, api):
    org, client = api.create_org(category="dental")
    coordinator = api.create_coordinator(client, org["id"])
    call = sandbox.generate_call(org["id"], outcome="booked")
    assert call["direction"] == "inbound" and call["status"] == "answered"
    assert call["coordinator_id"] == coordinator["id"]
    speakers = [turn["speaker"] for turn in call["transcript"]]
    assert len(speakers) >= 6 and {"assistant", "caller"} == set(speakers)
    seconds = [turn["at_second"] for turn in call["transcript"]]
    assert seconds == sorted(seconds) and seconds[-1] < call["duration_seconds"]
    appointment = client.get(f"/organizations/{org['id']}/appointments/{call['appointment_id']}").json()
    assert appointment["call_id"] == call["id"] and appointment["contact_id"] == call["contact_id"]
    local = datetime.fromisoformat(appointment["starts_at"].replace("Z", "+00:00")).astimezone(ZoneInfo("America/Chicago"))
    assert 8 <= local.hour < 18 and local.weekday() != 6
    contact = client.get(f"/organizations/{org['id']}/contacts/{call['contact_id']}").json()
    assert contact["phone"] == call["caller_number"] and contact["source"] == "call"
    lead_call = sandbox.generate_call(org["id"], outcome="lead")
    assert client.get(f"/organizations/{org['id']}/leads/{lead_call['lead_id']}").json()["call_id"] == lead_call["id"]
    missed = sandbox.generate_call(org["id"], status="missed")
    assert missed["outcome"] == "no_answer" and missed["transcript"] == []
    repeat = sandbox.generate_call(org["id"], contact_id=contact["id"], outcome="question")
    assert repeat["caller_name"] == contact["name"]
    stats = client.get(f"/organizations/{org['id']}/calls/stats").json()
    assert (stats["total"], stats["answered"], stats["missed"], stats["booked"], stats["leads"]) == (4, 3, 1, 1, 1)


def test_a_call_from_a_given_number_belongs_to_that_numbers_contact(sandbox, api):
    """Repeat callers are picked at random only when the request names no caller (30 % of calls would
    otherwise be filed under an earlier contact with another number)."""
    org, client = api.create_org()
    for _ in range(5):
        sandbox.generate_call(org["id"], outcome="question")  # earlier callers to pick from
    for index in range(20):
        number = f"+1800555{index:04d}"
        call = sandbox.generate_call(org["id"], status="missed", caller_number=number, caller_name="Robin Caller")
        contact = client.get(f"/organizations/{org['id']}/contacts/{call['contact_id']}").json()
        assert (call["caller_number"], contact["phone"]) == (number, number)


def test_inconsistent_overrides_are_refused(sandbox, api):
    org, _ = api.create_org()
    with pytest.raises(httpx.HTTPStatusError) as refused:
        sandbox.generate_call(org["id"], status="missed", outcome="booked")
    assert refused.value.response.status_code == 422


def test_background_generator_calls_active_organizations(sandbox, api):
    busy, busy_client = api.create_org()
    api.create_coordinator(busy_client, busy["id"])
    idle, _ = api.create_org()  # no coordinator: nobody answers, no calls
    suspended, suspended_client = api.create_org()
    api.create_coordinator(suspended_client, suspended["id"])
    api.platform.put(f"/organizations/{suspended['id']}", json={"status": "suspended"})
    sandbox.settings(call_interval=0.2)
    try:
        wait_until(lambda: sandbox.state(busy["id"], ids=False)["counts"]["calls"] >= 3, timeout=10)
    finally:
        sandbox.settings(call_interval=0)
    assert sandbox.state(idle["id"], ids=False)["counts"]["calls"] == 0
    assert sandbox.state(suspended["id"], ids=False)["counts"]["calls"] == 0


def test_campaign_dials_every_contact_then_completes(sandbox, api):
    org, client = api.create_org(category="fitness")
    coordinator = api.create_coordinator(client, org["id"], role="sales")
    contacts = [client.post(f"/organizations/{org['id']}/contacts",
                            json={"name": f"Member {n}", "phone": f"+1512555{n:04d}"}).json() for n in range(1, 7)]
    campaign = client.post(f"/organizations/{org['id']}/campaigns", json={
        "name": "Spring promo", "coordinator_id": coordinator["id"], "script": "Spring memberships are half price!",
        "contact_ids": [c["id"] for c in contacts]}).json()
    assert campaign["status"] == "draft" and campaign["counts"]["pending"] == 6
    assert client.post(f"/campaigns/{campaign['id']}/pause").status_code == 409
    assert client.post(f"/campaigns/{campaign['id']}/start").json()["status"] == "running"
    done = wait_until(lambda: (c := client.get(f"/campaigns/{campaign['id']}").json())["status"] == "completed" and c,
                      timeout=15)
    assert done["counts"]["pending"] == done["counts"]["calling"] == 0
    assert done["counts"]["completed"] + done["counts"]["no_answer"] == 6
    results = client.get(f"/campaigns/{campaign['id']}/results", params={"limit": 4}).json()
    assert results["has_more"]
    rest = client.get(f"/campaigns/{campaign['id']}/results", params={"cursor": results["next_cursor"]}).json()
    rows = results["data"] + rest["data"]
    assert [r["contact_id"] for r in rows] == [c["id"] for c in contacts]
    for row in rows:
        call = client.get(f"/organizations/{org['id']}/calls/{row['call_id']}").json()
        assert call["direction"] == "outbound" and call["campaign_id"] == campaign["id"]
        assert row["outcome"] == call["outcome"]
        assert row["status"] == ("completed" if call["status"] == "answered" else "no_answer")
    assert client.post(f"/campaigns/{campaign['id']}/start").status_code == 409
    assert client.post(f"/campaigns/{campaign['id']}/pause").status_code == 409
    usage = client.get(f"/organizations/{org['id']}/usage").json()
    assert usage["outbound_calls"] == 6 and usage["outbound_minutes"] > 0


def test_paused_campaign_stops_dialing(sandbox, api):
    org, client = api.create_org()
    coordinator = api.create_coordinator(client, org["id"])
    sandbox.seed(org["id"], contacts=30)
    ids = [c["id"] for c in client.get(f"/organizations/{org['id']}/contacts", params={"limit": 30}).json()["data"]]
    campaign = client.post(f"/organizations/{org['id']}/campaigns", json={
        "name": "Long list", "coordinator_id": coordinator["id"], "contact_ids": ids}).json()
    client.post(f"/campaigns/{campaign['id']}/start")
    wait_until(lambda: client.get(f"/campaigns/{campaign['id']}").json()["counts"]["completed"]
               + client.get(f"/campaigns/{campaign['id']}").json()["counts"]["no_answer"] >= 2, timeout=10)
    paused = client.post(f"/campaigns/{campaign['id']}/pause").json()
    assert paused["status"] == "paused" and paused["counts"]["calling"] == 0
    time.sleep(0.6)
    assert client.get(f"/campaigns/{campaign['id']}").json()["counts"] == paused["counts"]


def test_campaign_marks_deleted_contacts_failed(sandbox, api):
    org, client = api.create_org()
    coordinator = api.create_coordinator(client, org["id"])
    keep, gone = (client.post(f"/organizations/{org['id']}/contacts",
                              json={"name": name, "phone": phone}).json()
                  for name, phone in (("Keep", "+15125550801"), ("Gone", "+15125550802")))
    campaign = client.post(f"/organizations/{org['id']}/campaigns", json={
        "name": "Mixed", "coordinator_id": coordinator["id"], "contact_ids": [keep["id"], gone["id"]]}).json()
    client.delete(f"/organizations/{org['id']}/contacts/{gone['id']}")
    client.post(f"/campaigns/{campaign['id']}/start")
    wait_until(lambda: client.get(f"/campaigns/{campaign['id']}").json()["status"] == "completed", timeout=10)
    results = client.get(f"/campaigns/{campaign['id']}/results").json()["data"]
    assert results[1] == {**results[1], "status": "failed", "call_id": None}
    assert results[0]["call_id"]
    unknown = client.post(f"/organizations/{org['id']}/campaigns", json={
        "name": "Bad", "coordinator_id": coordinator["id"], "contact_ids": ["con_nope"]})
    assert unknown.status_code == 422
