"""Receiving webhooks: verify, store once, hand over to a job.

`webhook_events` is shared by every sender (source "fourcalls", "stripe"):
`insert_event_once` records an event exactly once per (source, event_id) and tells
the caller whether it was new. Applying events happens in jobs
(app/webhooks/jobs.py), by the handlers registered in `FOURCALLS_EVENT_HANDLERS`.
"""
from __future__ import annotations

import hashlib
import hmac
import time
import uuid
from typing import Callable

from sqlalchemy import select

from app.extensions import db
from app.models import FourCallsIntegration, WebhookEvent
from app.models.base import utcnow
from app.crm_sync.bulk import dialect_insert

SIGNATURE_TOLERANCE_SECONDS = 300


class InvalidSignature(Exception):
    """Why a delivery was refused, in words safe to send back to the sender."""


def verify_fourcalls_signature(header: str | None, raw_body: bytes, secret: str,
                               now: float | None = None, tolerance: int = SIGNATURE_TOLERANCE_SECONDS) -> int:
    """Check `X-FourCalls-Signature: t=<unix>,v1=<hex>` (several v1 are allowed,
    as during a secret rotation) over f"{t}.{raw body}". Returns the timestamp."""
    if not header:
        raise InvalidSignature("missing X-FourCalls-Signature header")
    timestamp, signatures = None, []
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t":
            timestamp = value
        elif name == "v1" and value:
            signatures.append(value)
    if not timestamp or not timestamp.isdigit() or not signatures:
        raise InvalidSignature("malformed X-FourCalls-Signature header")
    signed_at = int(timestamp)
    now = time.time() if now is None else now
    if abs(now - signed_at) > tolerance:
        raise InvalidSignature("signature timestamp is outside the allowed window")
    expected = hmac.new(secret.encode(), f"{signed_at}.".encode() + raw_body, hashlib.sha256).hexdigest()
    if not any(hmac.compare_digest(expected, candidate) for candidate in signatures):
        raise InvalidSignature("signature does not match")
    return signed_at


def insert_event_once(source: str, event_id: str, event_type: str, payload: dict,
                      organization_id: str | None = None, business_id=None) -> uuid.UUID | None:
    """Store the event unless (source, event_id) is stored already, and commit.
    Returns the new row's id, or None for a duplicate.

    One INSERT ... ON CONFLICT DO NOTHING RETURNING: the unique constraint
    decides between two deliveries racing, with no read first and no
    IntegrityError to recover from."""
    statement = dialect_insert(WebhookEvent).values(
        id=uuid.uuid4(), source=source, event_id=event_id, event_type=event_type, payload=payload,
        organization_id=organization_id, business_id=business_id, received_at=utcnow(), attempts=0,
    ).on_conflict_do_nothing(index_elements=["source", "event_id"]).returning(WebhookEvent.id)
    row_id = db.session.execute(statement).scalar()
    db.session.commit()
    return row_id


def store_event(source: str, event_id: str, event_type: str, payload: dict,
                organization_id: str | None = None, business_id=None) -> tuple[WebhookEvent, bool]:
    """`insert_event_once`, returning (row, created); a duplicate gets the stored row."""
    row_id = insert_event_once(source, event_id, event_type, payload, organization_id, business_id)
    if row_id is not None:
        return db.session.get(WebhookEvent, row_id), True
    existing = db.session.scalar(
        select(WebhookEvent).where(WebhookEvent.source == source, WebhookEvent.event_id == event_id)
    )
    return existing, False


def business_id_for_organization(organization_id: str | None):
    if not organization_id:
        return None
    return db.session.scalar(
        select(FourCallsIntegration.business_id).where(FourCallsIntegration.organization_id == organization_id)
    )


# --------------------------------------------------------------- applying events

# The event types 4calls sends (docs/fourcalls-openapi.yaml, "webhooks").
FOURCALLS_EVENT_TYPES = (
    "call.completed",
    "appointment.created",
    "appointment.updated",
    "appointment.cancelled",
    "contact.created",
    "contact.updated",
    "contact.deleted",
    "lead.created",
)


def keep_for_sync(event: WebhookEvent) -> str:
    """Until an area applies a type itself, its events are kept: the CRM sync
    reads 4calls incrementally (updated_since), so nothing is lost."""
    return "stored_for_sync"


# event type -> handler(event) returning the outcome to record ("applied", ...).
# Areas replace entries, e.g. FOURCALLS_EVENT_HANDLERS["call.completed"] = apply_call.
# A handler must be idempotent: 4calls redelivers, and events may arrive out of order.
FOURCALLS_EVENT_HANDLERS: dict[str, Callable[[WebhookEvent], str | None]] = {
    event_type: keep_for_sync for event_type in FOURCALLS_EVENT_TYPES
}


def process_fourcalls_event(event: WebhookEvent) -> None:
    """Apply one stored event; errors are recorded and re-raised for a retry."""
    if event.processed_at is not None:
        return
    handler = FOURCALLS_EVENT_HANDLERS.get(event.event_type)
    try:
        outcome = handler(event) if handler else "ignored_unknown_type"
    except Exception as exc:
        record_failure(event.id, f"{type(exc).__name__}: {exc}", count_attempt=True)
        raise
    event.attempts += 1
    record_outcome(event, outcome or "applied")


# --------------------------------------------------------------- bookkeeping (every source)


def record_outcome(event: WebhookEvent, outcome: str, *, error: str | None = None) -> None:
    """The event is applied (or will never apply): keep the outcome, commit."""
    event.processed_at = utcnow()
    event.outcome = outcome[:40]
    event.error = error[:2000] if error else None
    db.session.commit()


def record_failure(event_id, error: str, *, count_attempt: bool) -> WebhookEvent:
    """A try failed: undo its changes and keep the error on the row for the
    retry, the sweep and the admin page. `count_attempt` is False for a
    processor that counted the attempt when it began."""
    db.session.rollback()
    event = db.session.get(WebhookEvent, event_id)
    if count_attempt:
        event.attempts += 1
    event.error = error[:2000]
    db.session.commit()
    return event


# --------------------------------------------------------------- recovery

# How each source's stored events are applied: (job path, job id pattern).
EVENT_PROCESSORS = {
    "fourcalls": ("app.webhooks.jobs.process_fourcalls_event", "webhook:fourcalls:{row_id}"),
    "stripe": ("app.billing.jobs.process_stripe_event", "stripe-event:{event_id}"),
}
SWEEP_MAX_ATTEMPTS = 10


def queue_processing(source: str, row_id, event_id: str, *, fresh: bool = False) -> None:
    """Queue the job that applies one stored event: the one place that names
    each source's job and its unique id (receipt, sweep and admin replay).
    `fresh`: the row was inserted just now, so no job can carry its id yet and
    the queue skips its duplicate lookup."""
    from app.jobs import enqueue

    path, job_id = EVENT_PROCESSORS[source]
    enqueue(path, str(row_id), job_id=job_id.format(row_id=row_id, event_id=event_id), fresh_id=fresh)


def sweep_unprocessed_events(older_than_seconds: int = 120, limit: int = 500) -> int:
    """Queue again every stored event that is still unprocessed a while after it
    arrived: its job was never enqueued (Redis down) or failed every retry.
    Processing is idempotent, so a duplicate run changes nothing."""
    from datetime import timedelta

    cutoff = utcnow() - timedelta(seconds=older_than_seconds)
    rows = db.session.execute(
        select(WebhookEvent.id, WebhookEvent.source, WebhookEvent.event_id)
        .where(WebhookEvent.processed_at.is_(None), WebhookEvent.received_at < cutoff,
               WebhookEvent.attempts < SWEEP_MAX_ATTEMPTS, WebhookEvent.source.in_(list(EVENT_PROCESSORS)))
        .order_by(WebhookEvent.received_at).limit(limit)
    ).all()
    for row_id, source, event_id in rows:
        queue_processing(source, row_id, event_id)
    return len(rows)
