"""`emit_event`: the one entry point through which the app tells a
business's outgoing webhooks that something happened.

Call it inside the transaction that made the change; the event and one
delivery per subscribed endpoint are written there, and the delivery jobs
are queued once that transaction commits (a rolled-back change sends
nothing). Businesses without the `custom_integrations` feature, or without
an endpoint that wants the event, store nothing.

An `*.updated` event whose object looks exactly as it did in the previous
event for that object is skipped, so a sync that re-applies an unchanged
row, or 4calls echoing back an edit made here, does not notify twice.
"""
from __future__ import annotations

import hashlib
import json
import logging
import uuid

from sqlalchemy import event as sa_event, select

from app.extensions import db
from app.jobs.after_commit import enqueue_after_commit
from app.models import Business, OutgoingEvent, WebhookDelivery, WebhookEndpoint
from app.models.base import utcnow

log = logging.getLogger(__name__)

FEATURE = "custom_integrations"

# Event type -> what it means, in the order the endpoint form lists them.
EVENT_TYPES: dict[str, str] = {
    "call.completed": "A call with your assistant ended and its summary is in",
    "appointment.created": "An appointment was booked",
    "appointment.updated": "An appointment was moved or changed",
    "appointment.cancelled": "An appointment was cancelled",
    "lead.created": "Someone left their details (chat widget or API)",
    "lead.updated": "A lead's details or status changed",
    "contact.created": "A contact was added",
    "contact.updated": "A contact's details changed",
    "message.received": "A chat or text message arrived",
    "campaign.completed": "An outbound campaign finished",
}
# Not a subscribable type: sent only by "Send test event", to one endpoint.
TEST_EVENT = "ping"
_ENDPOINT_CACHE_KEY = "webhook_endpoints_by_business"
# Timestamps change on every write; they do not make an update worth sending.
_VOLATILE = ("updated_at",)


def enabled_for(business: Business) -> bool:
    from app.usage.services import has_feature

    return has_feature(business, FEATURE)


def _data_hash(payload: dict) -> str:
    stable = {k: v for k, v in payload.items() if k not in _VOLATILE}
    return hashlib.sha256(json.dumps(stable, sort_keys=True, default=str).encode()).hexdigest()


def _listening_endpoints(business: Business, event_type: str) -> list[WebhookEndpoint]:
    cache = db.session.info.setdefault(_ENDPOINT_CACHE_KEY, {})
    if business.id not in cache:
        cache[business.id] = db.session.scalars(select(WebhookEndpoint).where(
            WebhookEndpoint.business_id == business.id, WebhookEndpoint.enabled.is_(True),
            WebhookEndpoint.deleted_at.is_(None))).all()
    return [e for e in cache[business.id] if e.subscribes_to(event_type)]


def _already_sent(business: Business, event_type: str, object_key: str, data_hash: str) -> bool:
    previous = db.session.execute(
        select(OutgoingEvent.event_type, OutgoingEvent.data_hash)
        .where(OutgoingEvent.business_id == business.id, OutgoingEvent.object_key == object_key,
               OutgoingEvent.test.is_(False))
        .order_by(OutgoingEvent.created_at.desc()).limit(1)
    ).first()
    if previous is None:
        return False
    if event_type.endswith(".updated"):
        return previous.data_hash == data_hash
    # created / completed / cancelled happen once per object (and per state for cancelled).
    return db.session.scalar(select(OutgoingEvent.id).where(
        OutgoingEvent.business_id == business.id, OutgoingEvent.object_key == object_key,
        OutgoingEvent.event_type == event_type).limit(1)) is not None


def build_event(business: Business, event_type: str, payload: dict, *, test: bool = False,
                object_key: str | None = None, data_hash: str | None = None) -> OutgoingEvent:
    event_id = uuid.uuid4()
    now = utcnow()
    document = {
        "id": f"evt_{event_id.hex}",
        "type": event_type,
        "created_at": now.isoformat().replace("+00:00", "Z"),
        "business": {"id": str(business.id), "slug": business.slug},
        "test": test,
        "data": payload,
    }
    event = OutgoingEvent(id=event_id, business_id=business.id, event_type=event_type, payload=document,
                          object_key=object_key, data_hash=data_hash, test=test, created_at=now)
    db.session.add(event)
    return event


def queue_delivery(event: OutgoingEvent, endpoint: WebhookEndpoint, redelivery_of=None) -> WebhookDelivery:
    delivery = WebhookDelivery(id=uuid.uuid4(), business_id=event.business_id, endpoint_id=endpoint.id,
                               event_id=event.id, next_attempt_at=utcnow(),
                               redelivery_of_id=getattr(redelivery_of, "id", None))
    db.session.add(delivery)
    enqueue_after_commit("app.integrations.jobs.deliver_webhook_job", delivery.id,
                         job_id=f"webhook-delivery:{delivery.id}", retries=0)
    return delivery


def emit_event(business: Business, event_type: str, payload: dict, *, object_key: str | None = None) -> OutgoingEvent | None:
    """Record `event_type` with `payload` (the object's public JSON) for every
    enabled endpoint of `business` that subscribed to it. Returns the event,
    or None when nobody listens. `object_key` (default "<object>:<id>" from
    the payload) lets repeated or unchanged notifications be skipped."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {event_type!r}")
    if not enabled_for(business):
        return None
    endpoints = _listening_endpoints(business, event_type)
    if not endpoints:
        return None
    if object_key is None and payload.get("id"):
        object_key = f"{payload.get('object', event_type.split('.')[0])}:{payload['id']}"
    data_hash = _data_hash(payload)
    if object_key and _already_sent(business, event_type, object_key, data_hash):
        return None
    event = build_event(business, event_type, payload, object_key=object_key, data_hash=data_hash)
    for endpoint in endpoints:
        queue_delivery(event, endpoint)
    return event


def _forget_endpoint_cache(session) -> None:
    session.info.pop(_ENDPOINT_CACHE_KEY, None)


def init_app(app) -> None:
    from sqlalchemy.orm import Session

    if not getattr(init_app, "_listening", False):
        # The endpoint list is cached per transaction; the next one reads it afresh.
        sa_event.listen(Session, "after_commit", _forget_endpoint_cache)
        sa_event.listen(Session, "after_soft_rollback", lambda session, _tx: _forget_endpoint_cache(session))
        init_app._listening = True
