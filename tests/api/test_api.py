"""The business REST API: tokens (shown once, hashed, scoped, revocable),
reads with filters and cursors, writes, errors with stable codes, rate
limits, the OpenAPI document, and a cross-business walk over every route."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from app.api.tokens import hash_token
from app.extensions import db
from app.models import ApiToken, Appointment, Call, Contact, Lead
from tests.integrations_helpers import give_package


def make_token(client, business, scope="read", name="Zapier"):
    response = client.post(f"/businesses/{business.slug}/integrations/tokens", data={"name": name, "scope": scope})
    assert response.status_code == 201, response.get_data(as_text=True)
    return re.search(r'id="new-token-value">(as_live_[^<]+)<', response.get_data(as_text=True)).group(1)


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def seed(business, prefix=""):
    contact = Contact(business_id=business.id, name=f"{prefix}Ada", phone=f"+1555201{len(prefix):04d}")
    db.session.add(contact)
    db.session.flush()
    now = datetime(2027, 3, 1, 12, tzinfo=timezone.utc)
    call = Call(business_id=business.id, remote_id=f"{prefix}call", direction="inbound", status="answered",
                started_at=now, contact_id=contact.id)
    appointment = Appointment(business_id=business.id, remote_id=f"{prefix}appt", customer_name="Ada",
                              starts_at=now + timedelta(days=1), ends_at=now + timedelta(days=1, minutes=30))
    lead = Lead(business_id=business.id, name="Ada", phone=contact.phone, source="chat", contact_id=contact.id)
    db.session.add_all([call, appointment, lead])
    db.session.commit()
    return {"contacts": contact, "calls": call, "appointments": appointment, "leads": lead}


@pytest.fixture
def business(factories, logged_in_owner):
    return give_package(factories.business(owner=logged_in_owner, name="Api Salon"))


def test_token_is_shown_once_and_stored_hashed(client, business):
    raw = make_token(client, business)
    token = db.session.scalar(select(ApiToken))
    assert token.token_hash == hash_token(raw) and raw not in (token.prefix + token.token_hash)
    assert raw not in client.get(f"/businesses/{business.slug}/integrations").get_data(as_text=True)
    me = client.get("/api/v1/me", headers=bearer(raw)).get_json()
    assert me["business"]["slug"] == business.slug and me["token"]["scope"] == "read"


def test_read_scope_cannot_write_and_revoked_tokens_stop_working(client, business):
    raw = make_token(client, business, "read")
    response = client.post("/api/v1/contacts", json={"name": "Grace"}, headers=bearer(raw))
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "insufficient_scope"
    assert db.session.scalar(select(Contact)) is None
    token = db.session.scalar(select(ApiToken))
    client.post(f"/businesses/{business.slug}/integrations/tokens/{token.id}/revoke")
    response = client.get("/api/v1/contacts", headers=bearer(raw))
    assert response.status_code == 401 and response.get_json()["error"]["code"] == "unauthorized"
    for header in ({}, {"Authorization": "Bearer as_live_nope"}, {"Authorization": "Basic abc"}):
        assert client.get("/api/v1/contacts", headers=header).status_code == 401


def test_write_contacts_and_leads(client, business):
    raw = make_token(client, business, "read_write")
    response = client.post("/api/v1/contacts", json={"name": "Grace Hopper", "phone": "(555) 201-3003",
                                                    "tags": ["VIP"]}, headers=bearer(raw))
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    assert created["phone"] == "+15552013003" and created["tags"] == ["vip"]
    response = client.patch(f"/api/v1/contacts/{created['id']}", json={"email": "grace@example.com"}, headers=bearer(raw))
    assert response.status_code == 200 and response.get_json()["email"] == "grace@example.com"
    assert response.get_json()["name"] == "Grace Hopper"
    response = client.post("/api/v1/contacts", json={"phone": "+15552013003"}, headers=bearer(raw))
    assert response.status_code == 422 and response.get_json()["error"]["code"] == "validation_failed"
    assert "phone" in response.get_json()["error"]["fields"]
    response = client.post("/api/v1/contacts", json={"name": "X", "colour": "red"}, headers=bearer(raw))
    assert response.get_json()["error"]["fields"] == {"colour": "unknown field"}
    response = client.post("/api/v1/contacts", data="not json", headers={**bearer(raw), "Content-Type": "application/json"})
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "invalid_json"
    response = client.post("/api/v1/leads", json={"name": "Visitor", "email": "v@example.com", "message": "Call me"},
                           headers=bearer(raw))
    assert response.status_code == 201 and response.get_json()["source"] == "api"
    assert response.get_json()["contact_id"]
    response = client.post("/api/v1/leads", json={"name": "No way to reach"}, headers=bearer(raw))
    assert response.status_code == 422
    assert db.session.scalar(select(db.func.count()).select_from(Lead)) == 1


def test_json_no_database_can_store_is_refused_as_bad_json(client, business):
    # Python's json reads each of these. A lone surrogate in a name could not be
    # written by the driver (a 500 on SQLite and PostgreSQL); the numbers were
    # refused later, by the custom field's own check (422).
    raw = make_token(client, business, "read_write")
    for value in ('{"score": NaN}', '{"score": Infinity}', '{"score": -1e400}', '"Ada \\ud800"', '"\\udfff"'):
        body = '{"name": "Odd Input", "custom_fields": %s}' % value if value.startswith("{") else '{"name": %s}' % value
        response = client.post("/api/v1/contacts", data=body, headers={**bearer(raw), "Content-Type": "application/json"})
        assert response.status_code == 400 and response.get_json()["error"]["code"] == "invalid_json", value
    paired = client.post("/api/v1/contacts", data='{"name": "Ada \\ud83d\\ude00"}',  # a proper pair: one emoji
                         headers={**bearer(raw), "Content-Type": "application/json"})
    assert paired.status_code == 201 and paired.get_json()["name"] == "Ada \U0001F600"
    assert db.session.scalar(select(db.func.count()).select_from(Contact)) == 1


def test_lists_filter_and_page_with_cursors(client, business):
    raw = make_token(client, business)
    base = datetime(2027, 3, 1, tzinfo=timezone.utc)
    for i in range(23):
        db.session.add(Call(business_id=business.id, remote_id=f"c{i}", direction="inbound" if i % 2 else "outbound",
                            status="answered", started_at=base + timedelta(hours=i)))
    db.session.commit()
    seen, cursor = [], None
    while True:
        query = {"limit": 10, **({"cursor": cursor} if cursor else {})}
        body = client.get("/api/v1/calls", query_string=query, headers=bearer(raw)).get_json()
        seen += [c["id"] for c in body["data"]]
        cursor = body["next_cursor"]
        if not body["has_more"]:
            break
    assert len(seen) == 23 == len(set(seen))
    inbound = client.get("/api/v1/calls?direction=inbound&limit=100", headers=bearer(raw)).get_json()["data"]
    assert len(inbound) == 11 and {c["direction"] for c in inbound} == {"inbound"}
    after = client.get("/api/v1/calls", query_string={"started_after": "2027-03-01T20:00:00Z"}, headers=bearer(raw))
    assert len(after.get_json()["data"]) == 3
    for query, code in (({"cursor": "garbage"}, "invalid_cursor"), ({"limit": "500"}, "invalid_parameter"),
                        ({"direction": "sideways"}, "invalid_parameter"), ({"started_after": "yesterday"}, "invalid_parameter")):
        response = client.get("/api/v1/calls", query_string=query, headers=bearer(raw))
        assert response.status_code == 400 and response.get_json()["error"]["code"] == code


def test_rate_limit_per_token(app, client, business):
    app.config["API_RATE_LIMIT"] = "3 per minute"
    try:
        first, second = make_token(client, business, name="one"), make_token(client, business, name="two")
        codes = [client.get("/api/v1/me", headers=bearer(first)).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        limited = client.get("/api/v1/me", headers=bearer(first))
        assert limited.get_json()["error"]["code"] == "rate_limited" and int(limited.headers["Retry-After"]) >= 1
        assert client.get("/api/v1/me", headers=bearer(second)).status_code == 200  # per token, not per address
    finally:
        app.config.pop("API_RATE_LIMIT")


def test_lower_packages_get_an_upgrade_offer_and_no_api(client, factories, logged_in_owner, business):
    raw = make_token(client, business)
    db.session.refresh(business)
    business.integration.service_package = "ai_business_suite"  # downgraded later
    db.session.commit()
    response = client.get("/api/v1/me", headers=bearer(raw))
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "feature_not_included"


def test_openapi_document_is_valid_and_covers_every_route(app, client):
    from openapi_spec_validator import validate

    document = client.get("/api/v1/openapi.json").get_json()
    validate(document)
    documented = {(m.upper(), "/api/v1" + p) for p, methods in document["paths"].items() for m in methods}
    routes = {(m, re.sub(r"<(\w+)>", "{id}", rule.rule)) for rule in app.url_map.iter_rules()
              if rule.rule.startswith("/api/v1/") and rule.endpoint not in ("api.openapi_document", "api.unknown_route")
              for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert routes == documented
    docs = client.get("/api/docs")
    assert docs.status_code == 200 and "/api/v1/contacts" in docs.get_data(as_text=True)
    assert "Verifying signatures" in docs.get_data(as_text=True)


def test_cross_business_walk_over_every_api_route(app, client, factories, logged_in_owner, business):
    """Another business's ids answer 404 on every route with an id, and never appear in a list."""
    mine = seed(business)
    other = give_package(factories.business(owner=factories.user(), name="Other Salon"))
    theirs = seed(other, prefix="x")
    raw = make_token(client, business, "read_write")
    checked = 0
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or "<" not in rule.rule or rule.endpoint == "api.unknown_route":
            continue
        collection = rule.rule.split("/")[3]
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            path = re.sub(r"<\w+>", str(theirs[collection].id), rule.rule)
            response = client.open(path, method=method, json={"name": "Hijack"} if method != "GET" else None,
                                   headers=bearer(raw))
            assert response.status_code == 404, (method, path)
            assert response.get_json()["error"]["code"] == "not_found"
            own = client.open(re.sub(r"<\w+>", str(mine[collection].id), rule.rule), method=method,
                              json={"notes": "ok"} if method != "GET" else None, headers=bearer(raw))
            assert own.status_code == 200, (method, rule.rule, own.get_json())
            checked += 1
        listing = client.get(f"/api/v1/{collection}?limit=100", headers=bearer(raw)).get_json()["data"]
        assert [row["id"] for row in listing] == [str(mine[collection].id)]
    assert checked == 5
    db.session.expire_all()
    assert db.session.get(Contact, theirs["contacts"].id).name == "xAda"


def test_unknown_paths_and_methods_answer_in_the_api_error_format(client, business):
    raw = make_token(client, business, "read_write")
    response = client.get("/api/v1/nothing-here", headers=bearer(raw))
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"
    response = client.delete("/api/v1/contacts", headers=bearer(raw))
    assert response.status_code == 405 and response.get_json()["error"]["code"] == "method_not_allowed"
    assert client.get("/api/v1/nothing-here").get_json()["error"]["code"] == "unauthorized"
