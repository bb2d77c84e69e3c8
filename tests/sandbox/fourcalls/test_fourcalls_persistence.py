"""State lives in SQLite and survives restarts; bulk seeding is fast and quiet."""
from __future__ import annotations

import time
import uuid

import pytest

from fourcalls_helpers import next_weekday


def test_state_survives_a_restart(sandbox, api):
    org, client = api.create_org(external_id="persist-1")
    coordinator = api.create_coordinator(client, org["id"])
    contact = client.post(f"/organizations/{org['id']}/contacts", json={"name": "Kept", "phone": "+15125550990"}).json()
    sandbox.generate_call(org["id"], outcome="booked")
    day = next_weekday(2)
    client.post(f"/organizations/{org['id']}/appointments", json={"contact_id": contact["id"],
                                                                  "starts_at": f"{day}T16:00:00"})
    campaign = client.post(f"/organizations/{org['id']}/campaigns", json={
        "name": "Kept", "coordinator_id": coordinator["id"], "contact_ids": [contact["id"]]}).json()
    idempotency_key = str(uuid.uuid4())
    keyed = api.client(org["api_key"], headers={"Idempotency-Key": idempotency_key})
    lead = keyed.post("/real-time/lead", json={"name": "Kept Lead", "phone": "+15125550991"}).json()
    before = sandbox.state(org["id"], full=True)
    last_stamp = max(c["updated_at"] for c in before["objects"]["contacts"])

    old_pid = sandbox.process.pid
    sandbox.restart()
    assert sandbox.process.pid != old_pid

    after = sandbox.state(org["id"], full=True)
    assert after["counts"] == before["counts"] and after["ids"] == before["ids"]
    assert after["objects"] == before["objects"]
    assert client.get(f"/organizations/{org['id']}").json()["external_id"] == "persist-1"  # key still valid
    assert client.get(f"/campaigns/{campaign['id']}").json()["status"] == "draft"
    replay = keyed.post("/real-time/lead", json={"name": "Kept Lead", "phone": "+15125550991"})
    assert replay.headers["Idempotent-Replayed"] == "true" and replay.json()["lead"]["id"] == lead["lead"]["id"]
    newer = client.put(f"/organizations/{org['id']}/contacts/{contact['id']}", json={"notes": "after restart"}).json()
    assert newer["updated_at"] > last_stamp


def test_seeding_is_fast_realistic_and_sends_no_webhooks(sandbox, api, contract):
    org, client = api.create_org(category="auto repair")
    api.create_coordinator(client, org["id"])
    result = sandbox.seed(org["id"], calls=10_000, contacts=500, appointments=60)
    assert (result["calls"], result["contacts"]) == (10_000, 500) and result["appointments"] > 40
    state = sandbox.state(org["id"], ids=False)
    assert state["counts"]["calls"] == 10_000 and state["counts"]["contacts"] == 500
    assert state["counts"]["events"] == 0 and sandbox.webhooks(org["id"]) == []

    stats = client.get(f"/organizations/{org['id']}/calls/stats", params={"from": "2000-01-01"}).json()
    assert stats["total"] == 10_000 and 0 < stats["missed"] < stats["answered"]
    page = client.get(f"/organizations/{org['id']}/calls", params={"limit": 500}).json()
    assert len(page["data"]) == 500 and page["has_more"]
    assert len({c["caller_number"] for c in page["data"]}) > 50
    appointments = client.get(f"/organizations/{org['id']}/appointments", params={"limit": 500}).json()["data"]
    scheduled = sorted((a["starts_at"], a["ends_at"]) for a in appointments if a["status"] == "scheduled")
    assert all(end <= next_start for (_, end), (next_start, _) in zip(scheduled, scheduled[1:]))
    assert {a["status"] for a in appointments} >= {"completed", "scheduled"}


@pytest.mark.perf
def test_seeding_10k_calls_takes_seconds(sandbox, api):
    org, client = api.create_org(category="auto repair")
    api.create_coordinator(client, org["id"])
    started = time.monotonic()
    sandbox.seed(org["id"], calls=10_000, contacts=500, appointments=60)
    elapsed = time.monotonic() - started
    assert elapsed < 6, f"seeding 10k calls took {elapsed:.1f}s (200k must stay well under a minute)"
