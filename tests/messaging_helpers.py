"""Shared by the leads and messaging tests: a business on a sandbox
organization, a zone where it is midday now, signed webhook deliveries."""
from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import datetime, timezone

from app.extensions import db
from app.models import Contact


def midday_zone(now: datetime | None = None) -> str:
    """An IANA zone (Etc/GMT±N) where the given instant falls around 12:00, so
    quiet hours never hold a test's texts whatever time the suite runs."""
    hour = (now or datetime.now(timezone.utc)).hour
    offset = 12 - hour  # local = utc + offset
    if offset == 0:
        return "Etc/GMT"
    # Etc/ zones carry the inverted POSIX sign.
    return f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"


def add_contact(business, name="Dana Reed", phone="+15125550142", email="dana@example.com", zone=None) -> Contact:
    contact = Contact(business_id=business.id, name=name, phone=phone, email=email, timezone=zone or midday_zone())
    db.session.add(contact)
    db.session.commit()
    return contact


def sign(body: bytes, secret: str) -> str:
    timestamp = int(time.time())
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def deliver_event(client, app, event: dict):
    """POST an event to the app's 4calls webhook, signed as 4calls signs."""
    body = json.dumps(event).encode()
    return client.post("/webhooks/fourcalls", data=body, content_type="application/json",
                       headers={"X-FourCalls-Signature": sign(body, app.config["FOURCALLS_WEBHOOK_SECRET"])})


def event(event_type: str, organization_id: str, obj: dict, event_id: str) -> dict:
    return {"id": event_id, "type": event_type, "created": int(time.time()), "organization_id": organization_id,
            "data": {"object": obj}}


def forward_sandbox_events(client, app, fourcalls, org_id: str, event_type: str) -> int:
    """Deliver what the sandbox recorded for the organization (as its dispatcher would)."""
    sent = 0
    for delivery in fourcalls.webhooks(org_id, event_type):
        assert deliver_event(client, app, delivery["event"]).status_code == 200
        sent += 1
    return sent


def wait_for(predicate, timeout: float = 10.0, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(interval)
