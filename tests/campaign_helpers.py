"""A business wired to the 4calls sandbox with a live sales coordinator,
contacts and campaigns, for the campaign tests and the benchmark."""
from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from datetime import datetime, timedelta, timezone

from sqlalchemy import insert

from app.campaigns.services import create_draft
from app.extensions import db
from app.assistant.connection import organization_client
from app.models import Contact, ContactTag, Coordinator, CoordinatorStatus
from tests.fourcalls_helpers import provision

WEBHOOK_SECRET = "fc_whsec_sandbox"
ALL_DAYS = [str(d) for d in range(7)]


def provision_with_coordinator(business, package="ai_enterprise"):
    organization = provision(business, package=package)
    client = organization_client(business)
    remote = client.create_coordinator(client.organization_id, {"name": "Sam", "role": "sales"})
    coordinator = Coordinator(business_id=business.id, fourcalls_id=remote["id"], role="sales", name="Sam",
                              status=CoordinatorStatus.ACTIVE, synced_version=1)
    db.session.add(coordinator)
    db.session.commit()
    return organization, coordinator


def add_contacts(business, phones, tag="campaign", zones=None, names=None) -> list:
    now = datetime.now(timezone.utc)
    rows, tags = [], []
    for n, phone in enumerate(phones):
        contact_id = uuid.uuid4()
        rows.append({"id": contact_id, "business_id": business.id, "name": (names or {}).get(phone, f"Person {n}"),
                     "phone": phone, "timezone": (zones or {}).get(phone), "custom_fields": {}, "source": "manual",
                     "sync_state": "synced", "created_at": now, "updated_at": now})
        tags.append({"contact_id": contact_id, "tag": tag, "business_id": business.id})
    for start in range(0, len(rows), 1000):
        db.session.execute(insert(Contact), rows[start:start + 1000])
        db.session.execute(insert(ContactTag), tags[start:start + 1000])
    db.session.commit()
    return [r["id"] for r in rows]


def campaign_form(coordinator, tag="campaign", **overrides) -> dict:
    data = {"name": "Spring follow-up", "purpose": "lead_follow_up", "coordinator_id": str(coordinator.id),
            "tags": tag, "days": ALL_DAYS, "window_start": "08:00", "window_end": "21:00", "max_attempts": "3",
            "retry_no_answer": "y", "retry_busy": "y", "retry_voicemail": "y", "retry_delays": "60, 1440",
            "voicemail_action": "hang_up", "concurrency": "9", "starts_at": ""}
    data.update(overrides)
    return data


def new_campaign(business, coordinator, **overrides):
    return create_draft(business, campaign_form(coordinator, **overrides))


def signed(body: bytes) -> str:
    timestamp = int(time.time())
    digest = hmac.new(WEBHOOK_SECRET.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def deliver_events(client, events, times=1) -> None:
    for event in events:
        body = json.dumps(event).encode()
        for _ in range(times):
            client.post("/webhooks/fourcalls", data=body,
                        headers={"Content-Type": "application/json", "X-FourCalls-Signature": signed(body)})


def sandbox_events(fourcalls, org_id, event_type="campaign.target.completed", after: int = 0) -> tuple[list[dict], int]:
    """Events recorded after position `after`, and the position to ask from next time."""
    page = fourcalls._admin_call("GET", f"/organizations/{org_id}/events", params={"type": event_type, "after": after})
    return page["data"], page["last"]


def complete_dials(fourcalls) -> int:
    return fourcalls._admin_call("POST", "/dials/complete")["completed"]


def dial_ledger(fourcalls, org_id) -> list[dict]:
    return fourcalls._admin_call("GET", f"/organizations/{org_id}/dials")["data"]


def script_dial(fourcalls, phone, result, outcome=None, opt_out=None) -> None:
    fourcalls._admin_call("POST", "/dials/script", json={"phone": phone, "result": result, "outcome": outcome,
                                                          "opt_out": opt_out})


def chicago_noon():
    return datetime(2027, 3, 3, 18, 0, tzinfo=timezone.utc)


def later(moment, **delta):
    return moment + timedelta(**delta)
