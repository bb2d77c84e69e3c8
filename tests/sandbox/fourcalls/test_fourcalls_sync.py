"""Cursor paging, updated_since incremental sync and Idempotency-Key replays."""
from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor


def test_cursor_paging_walks_every_item_once_in_order(sandbox, api):
    org, client = api.create_org()
    sandbox.seed(org["id"], contacts=23)
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 5, **({"cursor": cursor} if cursor else {})}
        page = client.get(f"/organizations/{org['id']}/contacts", params=params).json()
        seen += page["data"]
        pages += 1
        assert page["has_more"] == (page["next_cursor"] is not None)
        if not page["has_more"]:
            break
        cursor = page["next_cursor"]
    assert pages == 5 and len(seen) == 23 and len({c["id"] for c in seen}) == 23
    keys = [(c["updated_at"], c["id"]) for c in seen]
    assert keys == sorted(keys)


def test_limit_defaults_to_50(sandbox, api):
    org, client = api.create_org()
    sandbox.seed(org["id"], contacts=60)
    page = client.get(f"/organizations/{org['id']}/contacts").json()
    assert len(page["data"]) == 50 and page["has_more"]


def test_updated_since_returns_exactly_what_changed(sandbox, api):
    org, client = api.create_org()
    base = f"/organizations/{org['id']}/contacts"
    first = [client.post(base, json={"name": f"Person {n}"}).json() for n in range(3)]
    watermark = max(c["updated_at"] for c in client.get(base).json()["data"])
    changed = client.put(f"{base}/{first[0]['id']}", json={"notes": "Now a regular"}).json()
    added = client.post(base, json={"name": "Newcomer"}).json()
    deleted = client.delete(f"{base}/{first[1]['id']}").json()

    delta = client.get(base, params={"updated_since": watermark}).json()["data"]
    # Inclusive bound: the item at the watermark comes back once more; de-duplicate by id.
    assert {c["id"] for c in delta} == {first[2]["id"], changed["id"], added["id"]}
    with_tombstones = client.get(base, params={"updated_since": watermark, "include_deleted": "true"}).json()
    assert deleted["id"] in {c["id"] for c in with_tombstones["data"]}
    assert all(c["updated_at"] >= watermark for c in with_tombstones["data"])
    assert client.get(base, params={"updated_since": "not a date"}).status_code == 422


def test_calls_filters(sandbox, api):
    org, client = api.create_org()
    for status in ("answered", "missed", "voicemail", "missed"):
        sandbox.generate_call(org["id"], status=status)
    calls = f"/organizations/{org['id']}/calls"
    assert len(client.get(calls, params={"status": "missed"}).json()["data"]) == 2
    assert len(client.get(calls, params={"direction": "outbound"}).json()["data"]) == 0
    assert len(client.get(calls, params={"from": "2000-01-01", "to": "2100-01-01"}).json()["data"]) == 4
    assert client.get(calls, params={"to": "2000-01-01"}).json()["data"] == []


def test_idempotent_create_replays_the_identical_organization(api):
    key = str(uuid.uuid4())
    body = {"name": "Replay Bakery", "external_id": f"bakery-{key}", "category": "bakery"}
    platform = api.client(headers={"Idempotency-Key": key})
    first = platform.post("/organizations", json=body)
    second = platform.post("/organizations", json=body)
    assert first.status_code == second.status_code == 201
    assert second.headers.get("Idempotent-Replayed") == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert second.json() == first.json()
    assert second.json()["api_key"] == first.json()["api_key"]
    listed = api.platform.get("/organizations", params={"external_id": body["external_id"]}).json()["data"]
    assert len(listed) == 1


def test_same_key_with_a_different_body_is_refused(api):
    platform = api.client(headers={"Idempotency-Key": "reuse-" + uuid.uuid4().hex})
    assert platform.post("/organizations", json={"name": "First"}).status_code == 201
    clash = platform.post("/organizations", json={"name": "Second"})
    assert clash.status_code == 409
    assert clash.json()["error"]["details"]["reason"] == "idempotency_key_reused"


def test_idempotency_keys_are_scoped_per_credential_and_replay_errors(api):
    org, client = api.create_org()
    key = "contact-" + uuid.uuid4().hex
    body = {"name": "Once Only", "phone": "+15125550440"}
    keyed = api.client(org["api_key"], headers={"Idempotency-Key": key})
    created = keyed.post(f"/organizations/{org['id']}/contacts", json=body)
    replay = keyed.post(f"/organizations/{org['id']}/contacts", json=body)
    assert replay.json()["id"] == created.json()["id"]
    assert len(client.get(f"/organizations/{org['id']}/contacts").json()["data"]) == 1
    # A 4xx outcome is remembered too: the same request keeps getting the same answer.
    duplicate_key = api.client(org["api_key"], headers={"Idempotency-Key": key + "-dup"})
    first = duplicate_key.post(f"/organizations/{org['id']}/contacts", json=body)
    again = duplicate_key.post(f"/organizations/{org['id']}/contacts", json=body)
    assert first.status_code == again.status_code == 409
    assert again.headers.get("Idempotent-Replayed") == "true"


def test_concurrent_requests_with_one_key_create_one_organization(sandbox, api):
    key = str(uuid.uuid4())
    body = {"name": "Racing Retries", "external_id": f"race-{key}"}
    clients = [api.client(headers={"Idempotency-Key": key}) for _ in range(6)]
    with ThreadPoolExecutor(max_workers=6) as pool:
        responses = list(pool.map(lambda c: c.post("/organizations", json=body), clients))
    created = [r for r in responses if r.status_code == 201]
    assert created and all(r.status_code in (201, 409) for r in responses)
    assert len({r.json()["id"] for r in created}) == 1
    for refused in (r for r in responses if r.status_code == 409):
        assert refused.json()["error"]["details"]["reason"] == "idempotency_key_in_progress"
    assert len(api.platform.get("/organizations", params={"external_id": body["external_id"]}).json()["data"]) == 1
