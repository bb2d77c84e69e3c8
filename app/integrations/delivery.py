"""Sending one webhook delivery, retrying it, and giving up.

Each attempt is one job: it claims the delivery (so the sweep and a delayed
job never send it twice at once), posts the signed body, records the
attempt, and schedules the next one on the backoff below. The schedule
keeps trying for three days after the first attempt; an endpoint whose
attempts have all failed for three days is disabled and its owner emailed.
Retries are this module's own schedule (next_attempt_at in the database),
not RQ's, so a restart or a lost Redis job loses nothing: the sweep finds
every due delivery.
"""
from __future__ import annotations

import json
import logging
import time
import uuid
from datetime import timedelta
from urllib.parse import urlsplit

import httpx
from flask import current_app
from sqlalchemy import update

from app.encryption import decrypt
from app.integrations.addresses import private_address_of, private_addresses_allowed
from app.extensions import db
from app.integrations.signing import SIGNATURE_HEADER, signature_header
from app.models import Business, WebhookDeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from app.models.base import utcnow

log = logging.getLogger(__name__)

# Seconds after each failed attempt: 1 min, 5 min, 30 min, 2 h, 6 h, then every 12 h.
BACKOFF_SECONDS = (60, 300, 1800, 7200, 21600, 43200)
RETRY_WINDOW = timedelta(days=3)
DISABLE_AFTER = timedelta(days=3)
# While one worker holds a delivery; a crashed attempt is retried after this.
CLAIM_LEASE = timedelta(minutes=5)
TIMEOUT_SECONDS = 10.0


def backoff_after(attempt_number: int) -> timedelta:
    index = min(attempt_number - 1, len(BACKOFF_SECONDS) - 1)
    return timedelta(seconds=BACKOFF_SECONDS[max(index, 0)])


def body_of(delivery: WebhookDelivery) -> bytes:
    return json.dumps(delivery.event.payload, separators=(",", ":"), sort_keys=True).encode()


def _claim(delivery_id: uuid.UUID) -> bool:
    now = utcnow()
    claimed = db.session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id, WebhookDelivery.status == WebhookDeliveryStatus.PENDING,
               WebhookDelivery.next_attempt_at <= now)
        .values(next_attempt_at=now + CLAIM_LEASE)
    ).rowcount
    db.session.commit()
    return claimed == 1


def deliver(delivery_id) -> str:
    """Make the attempt that is due for one delivery; a delivery not due yet is left alone."""
    delivery_id = uuid.UUID(str(delivery_id))
    if not _claim(delivery_id):
        return "not_due"
    delivery = db.session.get(WebhookDelivery, delivery_id)
    endpoint = delivery.endpoint
    if not endpoint.enabled or endpoint.deleted_at is not None:
        delivery.status = WebhookDeliveryStatus.FAILED
        delivery.last_error = "Endpoint disabled" if endpoint.deleted_at is None else "Endpoint removed"
        delivery.next_attempt_at = None
        db.session.commit()
        return "endpoint_off"
    attempt = _post(delivery, endpoint)
    db.session.add(attempt)
    delivery.attempt_count += 1
    delivery.last_status_code = attempt.status_code
    delivery.last_error = attempt.error
    if attempt.succeeded:
        delivery.status = WebhookDeliveryStatus.SUCCEEDED
        delivery.next_attempt_at = None
        endpoint.failing_since = None
        db.session.commit()
        return "succeeded"
    return _after_failure(delivery, endpoint, attempt)


def _post(delivery: WebhookDelivery, endpoint: WebhookEndpoint) -> WebhookAttempt:
    body = body_of(delivery)
    timestamp = int(utcnow().timestamp())
    header = signature_header(decrypt(endpoint.secret_encrypted), timestamp, body)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "AlphaSite-Webhooks/1",
        SIGNATURE_HEADER: header,
        "AlphaSite-Event-Id": delivery.event.payload["id"],
        "AlphaSite-Event-Type": delivery.event.event_type,
        "AlphaSite-Delivery-Id": str(delivery.id),
    }
    attempt = WebhookAttempt(id=uuid.uuid4(), delivery_id=delivery.id, attempted_at=utcnow(), signature_header=header)
    if not private_addresses_allowed():
        target = urlsplit(endpoint.url)
        private = private_address_of(target.hostname or "", target.port)
        if private:  # nothing is sent: see app/integrations/addresses.py
            attempt.error = f"Not sent: {target.hostname} resolves to {private}, a private or local address"[:300]
            attempt.duration_ms = 0
            return attempt
    started = time.monotonic()
    try:
        response = httpx.post(endpoint.url, content=body, headers=headers, timeout=TIMEOUT_SECONDS,
                              follow_redirects=False)
        attempt.status_code = response.status_code
        attempt.response_excerpt = response.text[:500] or None
        if not 200 <= response.status_code < 300:
            attempt.error = f"HTTP {response.status_code}"
    except httpx.HTTPError as exc:
        attempt.error = f"{type(exc).__name__}: {exc}"[:300] if str(exc) else type(exc).__name__
    attempt.duration_ms = int((time.monotonic() - started) * 1000)
    return attempt


def _after_failure(delivery: WebhookDelivery, endpoint: WebhookEndpoint, attempt: WebhookAttempt) -> str:
    now = utcnow()
    if endpoint.failing_since is None:
        endpoint.failing_since = attempt.attempted_at
    if now - endpoint.failing_since >= DISABLE_AFTER:
        disable_endpoint(endpoint, "Every delivery failed for 3 days")
        db.session.commit()
        return "endpoint_disabled"
    first = delivery.attempts[0].attempted_at if delivery.attempts else attempt.attempted_at
    deadline = first + RETRY_WINDOW
    if now >= deadline:
        delivery.status = WebhookDeliveryStatus.FAILED
        delivery.next_attempt_at = None
        db.session.commit()
        return "gave_up"
    # The last attempt falls on the deadline itself, so an endpoint with a
    # single failing delivery still reaches its three days and is disabled.
    next_at = min(now + backoff_after(delivery.attempt_count), deadline)
    delivery.next_attempt_at = next_at
    db.session.commit()
    _enqueue_attempt(delivery.id, next_at - now)
    return "retry_scheduled"


def _enqueue_attempt(delivery_id, delay: timedelta | None = None) -> None:
    from app.jobs import enqueue

    try:
        enqueue("app.integrations.jobs.deliver_webhook_job", str(delivery_id),
                job_id=f"webhook-delivery:{delivery_id}:{int(delay.total_seconds()) if delay else 0}",
                delay=delay, retries=0)
    except Exception:  # the sweep finds it when it is due
        log.warning("could not enqueue webhook delivery %s", delivery_id)


def disable_endpoint(endpoint: WebhookEndpoint, reason: str) -> None:
    """Switch the endpoint off, stop its waiting deliveries, and tell the owner (in the caller's transaction)."""
    from app.mail import send_email

    endpoint.enabled = False
    endpoint.disabled_at = utcnow()
    endpoint.disabled_reason = reason
    db.session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.endpoint_id == endpoint.id, WebhookDelivery.status == WebhookDeliveryStatus.PENDING)
        .values(status=WebhookDeliveryStatus.FAILED, next_attempt_at=None, last_error="Endpoint disabled")
    )
    business = db.session.get(Business, endpoint.business_id)
    if business.owner is not None:
        base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
        # Built by hand: jobs have no request to build URLs from.
        link = f"{base}/businesses/{business.slug}/integrations/webhooks/{endpoint.id}"
        send_email(business.owner.email, "integrations/endpoint_disabled", business=business,
                   idempotency_key=f"webhook-disabled:{endpoint.id}:{endpoint.disabled_at.isoformat()}",
                   endpoint=endpoint, reason=reason, link=link, failing_since=endpoint.failing_since)


def sweep_due(limit: int = 500) -> int:
    """Queue every delivery whose attempt is due (lost enqueues, restarts, delayed jobs without a scheduler)."""
    from sqlalchemy import select

    ids = db.session.scalars(
        select(WebhookDelivery.id).where(WebhookDelivery.status == WebhookDeliveryStatus.PENDING,
                                         WebhookDelivery.next_attempt_at <= utcnow())
        .order_by(WebhookDelivery.next_attempt_at).limit(limit)
    ).all()
    for delivery_id in ids:
        _enqueue_attempt(delivery_id)
    return len(ids)
