"""POST /webhooks/fourcalls: signature and timestamp checks, one row per
event id, a fast answer, and the processing job."""
from __future__ import annotations

import hashlib
import hmac
import json
import time

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import FourCallsIntegration, WebhookEvent
from app.webhooks import services as webhook_services

SECRET = "fc_whsec_sandbox"  # TestingConfig.FOURCALLS_WEBHOOK_SECRET


def event_body(event_id="evt_1", event_type="call.completed", organization_id="org_abc") -> bytes:
    return json.dumps({
        "id": event_id, "type": event_type, "created": int(time.time()), "organization_id": organization_id,
        "data": {"object": {"id": "call_1", "duration_seconds": 42}},
    }).encode()


def signature(body: bytes, timestamp: int | None = None, secret: str = SECRET) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def deliver(client, body: bytes, header: str | None):
    headers = {"Content-Type": "application/json"}
    if header is not None:
        headers["X-FourCalls-Signature"] = header
    return client.post("/webhooks/fourcalls", data=body, headers=headers)


def stored_events() -> list[WebhookEvent]:
    db.session.expire_all()
    return list(db.session.scalars(select(WebhookEvent)))


def test_signed_event_is_stored_acknowledged_and_processed(client, run_jobs, factories, monkeypatch):
    # The default for a type no area applies yet (the CRM sync may register its own).
    monkeypatch.setitem(webhook_services.FOURCALLS_EVENT_HANDLERS, "call.completed", webhook_services.keep_for_sync)
    business = factories.business(owner=factories.user())
    db.session.add(FourCallsIntegration(business_id=business.id, organization_id="org_abc", service_package="ai_receptionist"))
    db.session.commit()
    body = event_body()
    response = deliver(client, body, signature(body))
    assert response.status_code == 200 and response.get_json() == {"received": True}

    [event] = stored_events()
    assert (event.source, event.event_id, event.event_type) == ("fourcalls", "evt_1", "call.completed")
    assert event.organization_id == "org_abc" and event.business_id == business.id
    assert event.payload["data"]["object"]["id"] == "call_1"
    assert event.processed_at is None  # the answer did not wait for the work

    run_jobs()
    [event] = stored_events()
    assert event.processed_at is not None and event.outcome == "stored_for_sync" and event.error is None


def test_duplicate_delivery_is_acknowledged_and_ignored(client, run_jobs):
    body = event_body("evt_dup")
    assert deliver(client, body, signature(body)).status_code == 200
    run_jobs()
    # 4calls re-signs each retry, with a new timestamp.
    again = deliver(client, body, signature(body, int(time.time()) - 5))
    assert again.status_code == 200 and again.get_json()["duplicate"] is True
    assert db.session.scalar(select(func.count()).select_from(WebhookEvent)) == 1


@pytest.mark.parametrize(
    "header, why",
    [
        (None, "missing"),
        ("t=123", "malformed"),
        ("v1=abc", "malformed"),
        ("tampered", "malformed"),
    ],
)
def test_missing_or_malformed_signature_is_400(client, header, why):
    response = deliver(client, event_body(), header)
    assert response.status_code == 400
    assert why in response.get_json()["error"]["message"]
    assert stored_events() == []


def test_wrong_signature_is_400(client):
    body = event_body()
    response = deliver(client, body, signature(body, secret="someone-elses-secret"))
    assert response.status_code == 400 and "does not match" in response.get_json()["error"]["message"]
    assert stored_events() == []


def test_signature_over_a_different_body_is_400(client):
    body = event_body()
    tampered = body.replace(b'"duration_seconds": 42', b'"duration_seconds": 4200')
    assert deliver(client, tampered, signature(body)).status_code == 400


def test_stale_timestamp_is_400_even_with_a_valid_signature(client):
    body = event_body()
    response = deliver(client, body, signature(body, int(time.time()) - 301))
    assert response.status_code == 400 and "window" in response.get_json()["error"]["message"]
    assert deliver(client, body, signature(body, int(time.time()) + 301)).status_code == 400
    assert deliver(client, body, signature(body, int(time.time()) - 290)).status_code == 200


def test_any_matching_v1_is_accepted_during_secret_rotation(client):
    body = event_body("evt_rotation")
    timestamp = int(time.time())
    old = signature(body, timestamp, secret="old-secret").split("v1=")[1]
    header = f"t={timestamp},v1={old},v1={signature(body, timestamp).split('v1=')[1]}"
    assert deliver(client, body, header).status_code == 200


def test_signed_body_that_is_not_an_event_is_400(client):
    for body in (b"not json", b"[1, 2]", b'{"type": "call.completed"}',
                 b'{"id": "evt_nan", "type": "call.completed", "data": {"duration_seconds": NaN}}',
                 b'{"id": "evt_big", "type": "call.completed", "data": {"duration_seconds": 1e999}}',
                 b'{"id": "evt_half", "type": "call.completed", "data": {"summary": "\\udc00"}}'):
        assert deliver(client, body, signature(body)).status_code == 400, body
    assert stored_events() == []


def test_receiver_needs_no_csrf_token(csrf_client):
    body = event_body("evt_csrf")
    assert deliver(csrf_client, body, signature(body)).status_code == 200


def test_unknown_event_types_are_recorded_as_ignored(client, run_jobs):
    body = event_body("evt_new", event_type="organization.renamed")
    deliver(client, body, signature(body))
    run_jobs()
    [event] = stored_events()
    assert event.outcome == "ignored_unknown_type" and event.processed_at is not None


def test_handlers_registered_by_other_areas_apply_events(client, run_jobs, monkeypatch):
    applied = []

    def apply_call(event):
        applied.append(event.payload["data"]["object"]["id"])
        return "applied"

    monkeypatch.setitem(webhook_services.FOURCALLS_EVENT_HANDLERS, "call.completed", apply_call)
    body = event_body("evt_apply")
    deliver(client, body, signature(body))
    run_jobs()
    assert applied == ["call_1"]
    assert stored_events()[0].outcome == "applied"


def test_a_failing_handler_keeps_the_error_and_is_retried(client, run_jobs, monkeypatch, app):
    attempts = []

    def flaky(event):
        attempts.append(1)
        if len(attempts) < 3:
            raise RuntimeError("dashboard table locked")
        return "applied"

    monkeypatch.setitem(webhook_services.FOURCALLS_EVENT_HANDLERS, "lead.created", flaky)
    body = event_body("evt_flaky", event_type="lead.created")
    deliver(client, body, signature(body))
    run_jobs()
    [event] = stored_events()
    assert len(attempts) == 3
    assert event.outcome == "applied" and event.attempts == 3 and event.error is None


def test_receiver_is_rate_limited(client, app):
    configured = app.config["WEBHOOK_RATE_LIMIT"]
    app.config["WEBHOOK_RATE_LIMIT"] = "3 per minute"
    try:
        statuses = []
        for n in range(5):
            body = event_body(f"evt_rl_{n}")
            statuses.append(deliver(client, body, signature(body)).status_code)
    finally:
        app.config["WEBHOOK_RATE_LIMIT"] = configured
    assert statuses == [200, 200, 200, 429, 429]
