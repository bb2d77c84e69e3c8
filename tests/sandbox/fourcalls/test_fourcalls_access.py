"""Keys: platform versus organization scope, isolation between organizations, rotation."""
from __future__ import annotations

import pytest

from fourcalls_helpers import next_weekday


def _error_type(response) -> str:
    return response.json()["error"]["type"]


@pytest.mark.parametrize("authorization", [None, "Bearer", "Bearer fc_org_not_a_real_key", "Basic abc"])
def test_missing_or_wrong_key_is_401(api, authorization):
    headers = {"Authorization": authorization} if authorization else {}
    client = api.client(headers=headers)
    if authorization is None:
        client.headers.pop("Authorization")
    response = client.get("/organizations")
    assert response.status_code == 401
    assert _error_type(response) == "unauthorized"


def test_platform_key_comes_from_the_environment(sandbox, api):
    assert sandbox.platform_key == "fc_platform_sandbox_key"
    assert api.platform.get("/organizations").status_code == 200


def test_organization_key_cannot_use_platform_operations(api):
    org, client = api.create_org()
    assert client.post("/organizations", json={"name": "Sneaky"}).status_code == 403
    assert client.get("/organizations").status_code == 403
    rotate = client.post(f"/organizations/{org['id']}/api-keys")
    assert rotate.status_code == 403 and _error_type(rotate) == "forbidden"


def test_api_key_is_only_shown_on_creation(api):
    org, client = api.create_org()
    assert org["api_key"].startswith("fc_org_")
    assert org["api_key"].startswith(org["api_key_prefix"])
    assert "api_key" not in client.get(f"/organizations/{org['id']}").json()
    assert "api_key" not in api.platform.get(f"/organizations/{org['id']}").json()


def test_another_organizations_resources_answer_404(sandbox, api):
    owner, owner_client = api.create_org()
    _, intruder = api.create_org()
    org_id = owner["id"]
    coordinator = api.create_coordinator(owner_client, org_id)
    contact = owner_client.post(f"/organizations/{org_id}/contacts",
                                json={"name": "Private Person", "phone": "+15125550901"}).json()
    call = sandbox.generate_call(org_id, outcome="question")
    day = next_weekday(2)
    appointment = owner_client.post(f"/organizations/{org_id}/appointments", json={
        "contact_id": contact["id"], "starts_at": f"{day}T10:00:00"}).json()
    campaign = owner_client.post(f"/organizations/{org_id}/campaigns", json={
        "name": "Private", "coordinator_id": coordinator["id"], "contact_ids": [contact["id"]]}).json()
    message = owner_client.post(f"/organizations/{org_id}/messages", json={
        "channel": "email", "to": "p@example.com", "body": "Hi"}).json()

    forbidden = [
        ("GET", f"/organizations/{org_id}"), ("PUT", f"/organizations/{org_id}"),
        ("GET", f"/organizations/{org_id}/usage"), ("GET", f"/organizations/{org_id}/contacts"),
        ("GET", f"/organizations/{org_id}/contacts/{contact['id']}"),
        ("DELETE", f"/organizations/{org_id}/contacts/{contact['id']}"),
        ("GET", f"/organizations/{org_id}/calls"), ("GET", f"/organizations/{org_id}/calls/{call['id']}"),
        ("GET", f"/organizations/{org_id}/calls/stats"),
        ("GET", f"/organizations/{org_id}/appointments/{appointment['id']}"),
        ("PUT", f"/organizations/{org_id}/appointments/{appointment['id']}"),
        ("GET", f"/organizations/{org_id}/messages/{message['id']}"),
        ("GET", f"/coordinators/{coordinator['id']}"), ("PUT", f"/coordinators/{coordinator['id']}"),
        ("DELETE", f"/coordinators/{coordinator['id']}"), ("POST", f"/coordinators/{coordinator['id']}/chat"),
        ("GET", f"/campaigns/{campaign['id']}"), ("POST", f"/campaigns/{campaign['id']}/start"),
        ("GET", f"/campaigns/{campaign['id']}/results"),
    ]
    for method, path in forbidden:
        body = {"message": "hello"} if path.endswith("/chat") else ({"name": "x"} if method == "PUT" else None)
        response = intruder.request(method, path, json=body)
        assert response.status_code == 404, (method, path, response.text)
        assert _error_type(response) == "not_found"
    # Real-time operations cannot be pointed at another organization either.
    lookup = intruder.post("/real-time/customer-lookup",
                           json={"organization_id": org_id, "phone": contact["phone"]})
    assert lookup.status_code == 404
    # And nothing changed for the owner.
    assert owner_client.get(f"/coordinators/{coordinator['id']}").json()["status"] == "active"
    assert owner_client.get(f"/organizations/{org_id}/contacts/{contact['id']}").status_code == 200


def test_platform_key_reaches_every_organization(sandbox, api):
    org, client = api.create_org()
    contact = client.post(f"/organizations/{org['id']}/contacts", json={"name": "Seen By Platform"}).json()
    platform = api.platform
    assert platform.get(f"/organizations/{org['id']}/contacts/{contact['id']}").status_code == 200
    lookup = platform.post("/real-time/availability", json={"date_from": "2030-01-07", "date_to": "2030-01-07"})
    assert lookup.status_code == 422  # the platform key must name the organization
    named = platform.post("/real-time/availability", json={
        "organization_id": org["id"], "date_from": "2030-01-07", "date_to": "2030-01-07"})
    assert named.status_code == 200 and named.json()["slots"]


def test_rotating_the_key_revokes_the_old_one(api):
    org, old_client = api.create_org()
    rotated = api.platform.post(f"/organizations/{org['id']}/api-keys")
    assert rotated.status_code == 201
    new_key = rotated.json()["api_key"]
    assert new_key != org["api_key"]
    assert old_client.get(f"/organizations/{org['id']}").status_code == 401
    refreshed = api.client(new_key).get(f"/organizations/{org['id']}")
    assert refreshed.status_code == 200
    assert refreshed.json()["api_key_prefix"] == rotated.json()["api_key_prefix"]


def test_external_id_finds_the_organization_and_is_unique(api):
    org, _ = api.create_org(external_id="business-42")
    found = api.platform.get("/organizations", params={"external_id": "business-42"}).json()
    assert [o["id"] for o in found["data"]] == [org["id"]]
    duplicate = api.platform.post("/organizations", json={"name": "Dup", "external_id": "business-42"})
    assert duplicate.status_code == 409
    assert duplicate.json()["error"]["details"]["existing_id"] == org["id"]


def test_request_log_never_contains_keys(sandbox, api):
    org, client = api.create_org()
    client.get(f"/organizations/{org['id']}")
    api.client("fc_org_wrong_key_for_the_log").get("/organizations")
    log = sandbox.log_path.read_text()
    assert f"GET /api/coordinator/organizations/{org['id']} 200" in log
    for secret in (sandbox.platform_key, org["api_key"], "fc_org_wrong_key_for_the_log"):
        assert secret not in log
