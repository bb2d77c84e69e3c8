"""Outgoing webhooks: endpoints, the signature (verified from the docs
alone), delivery to a real local receiver, retries with backoff, the
three-day disable with its email, redelivery, test events, event wiring."""
from __future__ import annotations

import hashlib
import hmac
import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.integrations.events import emit_event
from app.models import (
    Contact,
    WebhookDeliveryStatus,
    OutboundEmail,
    OutgoingEvent,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from tests.integrations_helpers import Receiver, give_package

DOCS = Path(__file__).resolve().parents[2] / "docs" / "webhooks.md"


@pytest.fixture
def business(factories, logged_in_owner):
    return give_package(factories.business(owner=logged_in_owner, name="Hook Salon"))


@pytest.fixture
def receiver():
    with Receiver() as running:
        yield running


def add_endpoint(client, business, url, events=("contact.created", "contact.updated")):
    response = client.post(f"/businesses/{business.slug}/integrations/webhooks/new",
                           data={"url": url, "events": list(events), "description": "CRM"})
    assert response.status_code == 201, response.get_data(as_text=True)
    secret = re.search(r'id="signing-secret"[^>]*>(whsec_[^<]+)<', response.get_data(as_text=True)).group(1)
    endpoint = db.session.scalar(select(WebhookEndpoint).where(WebhookEndpoint.business_id == business.id))
    return endpoint, secret


def verify_as_documented(secret: str, header: str, body: bytes, now: float) -> bool:
    """Written from docs/webhooks.md's prose only: t and v1 from the header,
    HMAC-SHA256 keyed with the whole secret over "<t>.<raw body>", hex, constant-time compare."""
    fields = {}
    for part in header.split(","):
        key, _, value = part.partition("=")
        fields[key] = value
    message = fields["t"].encode() + b"." + body
    expected = hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, fields["v1"]) and abs(now - int(fields["t"])) <= 300


def docs_verify_function():
    """The `verify` function exactly as docs/webhooks.md prints it."""
    code = re.search(r"```python\n(import hashlib.*?)```", DOCS.read_text(), re.S).group(1)
    namespace: dict = {}
    exec(compile(code, str(DOCS), "exec"), namespace)
    return namespace["verify"]


def create_contact(client, business, name="Ada Lovelace", phone="+15552010001"):
    response = client.post(f"/businesses/{business.slug}/contacts/new", data={"name": name, "phone": phone})
    assert response.status_code == 302, response.get_data(as_text=True)
    return db.session.scalar(select(Contact).where(Contact.business_id == business.id, Contact.name == name))


def test_secret_is_shown_once_and_stored_encrypted(client, business, receiver):
    endpoint, secret = add_endpoint(client, business, receiver.url)
    assert secret.startswith("whsec_") and secret not in endpoint.secret_encrypted
    page = client.get(f"/businesses/{business.slug}/integrations/webhooks/{endpoint.id}").get_data(as_text=True)
    assert secret not in page and receiver.url in page


def test_a_contact_change_arrives_signed_as_the_docs_describe(client, business, receiver, run_jobs):
    endpoint, secret = add_endpoint(client, business, receiver.url)
    contact = create_contact(client, business)
    run_jobs()
    assert len(receiver.received) == 1
    headers, body = receiver.received[0]
    document = json.loads(body)
    assert document["type"] == "contact.created" and document["data"]["id"] == str(contact.id)
    assert document["data"]["phone"] == "+15552010001" and document["business"]["slug"] == business.slug
    assert headers["AlphaSite-Event-Type"] == "contact.created" and headers["AlphaSite-Event-Id"] == document["id"]
    signature = headers["AlphaSite-Signature"]
    now = datetime.now(timezone.utc).timestamp()
    assert verify_as_documented(secret, signature, body, now)
    assert docs_verify_function()(secret, signature, body)
    # A changed byte, a wrong secret, or an old timestamp must not verify.
    assert not verify_as_documented(secret, signature, body + b" ", now)
    assert not verify_as_documented(secret + "x", signature, body, now)
    assert not verify_as_documented(secret, signature, body, now + 3600)
    delivery = db.session.scalar(select(WebhookDelivery))
    assert delivery.status == WebhookDeliveryStatus.SUCCEEDED and delivery.attempt_count == 1
    log = client.get(f"/businesses/{business.slug}/integrations/webhooks/{endpoint.id}").get_data(as_text=True)
    assert "Delivered · 200" in log and signature in log


def test_unchanged_update_is_not_sent_twice_and_unsubscribed_events_are_not_stored(client, business, receiver, run_jobs):
    add_endpoint(client, business, receiver.url, events=("contact.updated",))
    contact = create_contact(client, business)
    run_jobs()
    assert receiver.received == []  # contact.created was not chosen
    url = f"/businesses/{business.slug}/contacts/{contact.id}"
    from app.contacts.services import update_contact

    update_contact(business, contact, {"notes": "Prefers mornings"})
    update_contact(business, contact, {"notes": "Prefers mornings"})
    run_jobs()
    assert [json.loads(b)["data"]["notes"] for _, b in receiver.received] == ["Prefers mornings"]
    assert db.session.scalar(select(func.count()).select_from(OutgoingEvent)) == 1
    assert url


def test_failed_attempts_are_retried_with_backoff_until_the_receiver_answers(client, business, receiver, run_jobs, clock):
    clock.set(datetime(2027, 3, 3, 12, 0, tzinfo=timezone.utc))
    add_endpoint(client, business, receiver.url)
    receiver.status = 500
    create_contact(client, business)
    run_jobs()
    delivery = db.session.scalar(select(WebhookDelivery))
    assert delivery.status == WebhookDeliveryStatus.PENDING and delivery.attempt_count == 1
    assert delivery.last_status_code == 500
    assert delivery.next_attempt_at == clock.now + timedelta(minutes=1)
    # Not due yet: the sweep and a drain send nothing.
    from app.integrations.jobs import sweep_webhook_deliveries_job

    clock.advance(seconds=30)
    assert sweep_webhook_deliveries_job() == 0
    run_jobs()
    assert len(receiver.received) == 1
    gaps = []
    for _ in range(3):
        db.session.expire_all()
        delivery = db.session.get(WebhookDelivery, delivery.id)
        gaps.append(delivery.next_attempt_at - clock.now)
        clock.set(delivery.next_attempt_at)
        assert sweep_webhook_deliveries_job() == 1
        run_jobs()
    assert [round(g.total_seconds()) for g in gaps] == [30, 300, 1800]
    assert len(receiver.received) == 4
    receiver.status = 204
    db.session.expire_all()
    clock.set(db.session.get(WebhookDelivery, delivery.id).next_attempt_at)
    sweep_webhook_deliveries_job()
    run_jobs()
    db.session.expire_all()
    delivery = db.session.get(WebhookDelivery, delivery.id)
    assert delivery.status == WebhookDeliveryStatus.SUCCEEDED and delivery.attempt_count == 5
    assert [a.status_code for a in delivery.attempts] == [500, 500, 500, 500, 204]
    assert db.session.get(WebhookEndpoint, delivery.endpoint_id).failing_since is None
    # Every attempt was signed afresh and the same event id was sent each time.
    assert len({h["AlphaSite-Event-Id"] for h, _ in receiver.received}) == 1


def test_an_endpoint_failing_for_three_days_is_disabled_and_the_owner_emailed(client, business, receiver, run_jobs, clock):
    from app.integrations.jobs import sweep_webhook_deliveries_job

    clock.set(datetime(2027, 3, 3, 12, 0, tzinfo=timezone.utc))
    endpoint, _ = add_endpoint(client, business, receiver.url)
    receiver.status = 503
    create_contact(client, business)
    run_jobs()
    start = clock.now
    while clock.now - start < timedelta(days=3, hours=12):
        clock.advance(hours=1)
        sweep_webhook_deliveries_job()
        run_jobs()
        db.session.expire_all()
        if not db.session.get(WebhookEndpoint, endpoint.id).enabled:
            break
    endpoint = db.session.get(WebhookEndpoint, endpoint.id)
    assert not endpoint.enabled and "3 days" in endpoint.disabled_reason
    assert timedelta(days=3) <= endpoint.disabled_at - start < timedelta(days=3, hours=13)
    delivery = db.session.scalar(select(WebhookDelivery))
    assert delivery.status == WebhookDeliveryStatus.FAILED
    attempts = len(receiver.received)
    assert 8 <= attempts <= 12  # the backoff, not one attempt per sweep
    mails = db.session.scalars(select(OutboundEmail).where(OutboundEmail.template == "integrations/endpoint_disabled")).all()
    assert len(mails) == 1 and mails[0].to_address == business.owner.email and receiver.url in mails[0].text_body
    # Nothing more is sent while it is disabled.
    create_contact(client, business, name="Grace Hopper", phone="+15552010002")
    clock.advance(days=1)
    sweep_webhook_deliveries_job()
    run_jobs()
    assert len(receiver.received) == attempts


def test_test_event_and_redelivery(client, business, receiver, run_jobs):
    endpoint, secret = add_endpoint(client, business, receiver.url)
    response = client.post(f"/businesses/{business.slug}/integrations/webhooks/{endpoint.id}/test")
    assert response.status_code == 302
    run_jobs()
    headers, body = receiver.received[-1]
    assert json.loads(body)["type"] == "ping" and json.loads(body)["test"] is True
    assert verify_as_documented(secret, headers["AlphaSite-Signature"], body, datetime.now(timezone.utc).timestamp())
    first = db.session.scalar(select(WebhookDelivery))
    response = client.post(f"/businesses/{business.slug}/integrations/webhooks/{endpoint.id}/deliveries/{first.id}/redeliver")
    assert response.status_code == 302
    run_jobs()
    assert len(receiver.received) == 2
    assert json.loads(receiver.received[1][1])["id"] == json.loads(body)["id"]
    again = db.session.scalar(select(WebhookDelivery).where(WebhookDelivery.redelivery_of_id == first.id))
    assert again.status == WebhookDeliveryStatus.SUCCEEDED


def test_bad_endpoint_input_is_refused_and_nothing_is_written(client, business):
    url = f"/businesses/{business.slug}/integrations/webhooks/new"
    response = client.post(url, data={"url": "ftp://example.com/x", "events": ["contact.created"]})
    assert response.status_code == 422 and "https://" in response.get_data(as_text=True)
    response = client.post(url, data={"url": "https://example.com/x"})
    assert response.status_code == 422 and "Choose at least one event" in response.get_data(as_text=True)
    response = client.post(url, data={"url": "https://example.com/x", "events": ["nonsense.event"]})
    assert response.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(WebhookEndpoint)) == 0


def test_production_requires_https(app, client, business):
    app.config["WEBHOOKS_REQUIRE_HTTPS"] = True
    try:
        response = client.post(f"/businesses/{business.slug}/integrations/webhooks/new",
                               data={"url": "http://example.com/x", "events": ["contact.created"]})
        assert response.status_code == 422 and "must use https://" in response.get_data(as_text=True)
    finally:
        app.config.pop("WEBHOOKS_REQUIRE_HTTPS")


def test_disable_enable_and_remove(client, business, receiver, run_jobs):
    endpoint, _ = add_endpoint(client, business, receiver.url)
    base = f"/businesses/{business.slug}/integrations/webhooks/{endpoint.id}"
    client.post(f"{base}/disable")
    create_contact(client, business)
    run_jobs()
    assert receiver.received == []
    client.post(f"{base}/enable")
    create_contact(client, business, name="Grace Hopper", phone="+15552010002")
    run_jobs()
    assert len(receiver.received) == 1
    assert client.post(f"{base}/delete").status_code == 302
    assert client.get(base).status_code == 404


def test_sync_applies_emit_call_and_appointment_events_once(business, receiver, run_jobs, client):
    from app.crm_sync.upserts import apply_remote_appointments, apply_remote_calls

    add_endpoint(client, business, receiver.url,
                 events=("call.completed", "appointment.created", "appointment.updated", "appointment.cancelled"))
    call = {"id": "call_1", "direction": "inbound", "status": "answered", "caller_number": "+15552010009",
            "started_at": "2027-03-03T10:00:00Z", "duration_seconds": 95, "summary": "Asked about prices",
            "updated_at": "2027-03-03T10:02:00Z"}
    appointment = {"id": "appt_1", "customer_name": "Ada", "starts_at": "2027-03-05T10:00:00Z",
                   "ends_at": "2027-03-05T10:30:00Z", "status": "scheduled", "updated_at": "2027-03-03T10:02:00Z"}
    for _ in range(2):  # a webhook and the following sync bring the same objects
        apply_remote_calls(business, [call])
        apply_remote_appointments(business, [appointment])
        db.session.commit()
    apply_remote_appointments(business, [{**appointment, "status": "cancelled", "updated_at": "2027-03-03T11:00:00Z"}])
    db.session.commit()
    run_jobs()
    types = [json.loads(body)["type"] for _, body in receiver.received]
    assert sorted(types) == ["appointment.cancelled", "appointment.created", "call.completed"]
    call_event = next(json.loads(b) for _, b in receiver.received if json.loads(b)["type"] == "call.completed")
    assert call_event["data"]["duration_seconds"] == 95 and call_event["data"]["summary"] == "Asked about prices"


def test_emit_event_stores_nothing_without_the_feature(factories, owner):
    business = give_package(factories.business(owner=owner), "ai_business_suite")
    db.session.add(WebhookEndpoint(business_id=business.id, url="https://example.com", events=["contact.created"],
                                   secret_encrypted="x"))
    db.session.commit()
    assert emit_event(business, "contact.created", {"object": "contact", "id": "1"}) is None
    with pytest.raises(ValueError):
        emit_event(business, "not.a.type", {})


def test_attempts_record_connection_errors(client, business, run_jobs):
    from sandbox.fourcalls.testing import free_port

    add_endpoint(client, business, f"http://127.0.0.1:{free_port()}/nobody-listens")
    create_contact(client, business)
    run_jobs()
    attempt = db.session.scalar(select(WebhookAttempt))
    assert attempt.status_code is None and "Connect" in attempt.error


def test_a_widget_lead_is_sent_as_lead_created(client, business, receiver, run_jobs):
    from app.chat.leads import capture_widget_lead
    from app.chat.widgets import widget_for

    add_endpoint(client, business, receiver.url, events=("lead.created",))
    lead = capture_widget_lead(widget_for(business), "visitor-1", name="Vera Visitor", phone="+15552017777",
                               message="Please call me about a wedding booking")
    run_jobs()
    document = json.loads(receiver.received[0][1])
    assert document["type"] == "lead.created" and document["data"]["id"] == str(lead.id)
    assert document["data"]["message"] == "Please call me about a wedding booking"


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8080/hook", "https://localhost/hook", "https://app.localhost/hook", "https://10.0.0.5/hook",
    "https://192.168.1.20/hook", "https://169.254.169.254/latest/meta-data", "https://[::1]/hook",
    "https://[::ffff:127.0.0.1]/hook", "https://100.64.0.1/hook", "https://0.0.0.0/hook",
])
def test_production_refuses_endpoints_on_private_addresses(app, client, business, url):
    app.config["WEBHOOKS_ALLOW_PRIVATE_ADDRESSES"] = False
    try:
        response = client.post(f"/businesses/{business.slug}/integrations/webhooks/new",
                               data={"url": url, "events": ["contact.created"]})
        assert response.status_code == 422 and "private or local network" in response.get_data(as_text=True)
        assert db.session.scalar(select(func.count()).select_from(WebhookEndpoint)) == 0
    finally:
        app.config.pop("WEBHOOKS_ALLOW_PRIVATE_ADDRESSES")


def test_a_public_name_that_now_resolves_privately_is_not_sent_to(app, client, business, receiver, run_jobs, monkeypatch):
    """The URL was public when saved; by delivery time its name points inside
    the network (DNS rebinding): the attempt is refused before any request."""
    endpoint, _secret = add_endpoint(client, business, receiver.url.replace("127.0.0.1", "hooks.example.com"))
    app.config["WEBHOOKS_ALLOW_PRIVATE_ADDRESSES"] = False
    import socket

    monkeypatch.setattr(socket, "getaddrinfo", lambda host, port, **kw: [
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))] if host == "hooks.example.com" else [])
    try:
        create_contact(client, business)
        run_jobs()
    finally:
        app.config.pop("WEBHOOKS_ALLOW_PRIVATE_ADDRESSES")
    attempt = db.session.scalar(select(WebhookAttempt))
    assert attempt.status_code is None and "resolves to 127.0.0.1" in attempt.error
    assert receiver.received == []


def test_production_accepts_a_public_address(app, client, business):
    app.config["WEBHOOKS_ALLOW_PRIVATE_ADDRESSES"] = False
    try:
        endpoint, _secret = add_endpoint(client, business, "https://93.184.215.14/hooks")
    finally:
        app.config.pop("WEBHOOKS_ALLOW_PRIVATE_ADDRESSES")
    assert endpoint.url == "https://93.184.215.14/hooks"
