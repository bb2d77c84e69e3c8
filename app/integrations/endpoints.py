"""Owner actions on webhook endpoints: add, change, switch on and off,
remove, send a test event, redeliver from the log."""
from __future__ import annotations

import uuid
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import func, select

from app.audit.services import record
from app.integrations.addresses import PRIVATE_ADDRESS_MESSAGE, host_is_private, private_addresses_allowed
from app.encryption import encrypt
from app.extensions import db
from app.integrations.events import EVENT_TYPES, TEST_EVENT, build_event, queue_delivery
from app.integrations.signing import new_secret
from app.models import Business, WebhookDelivery, WebhookEndpoint
from app.models.base import utcnow
from app.web import parse_uuid

MAX_ENDPOINTS = 10
LOG_PAGE_SIZE = 50


class EndpointError(ValueError):
    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def require_https() -> bool:
    return current_app.config.get("WEBHOOKS_REQUIRE_HTTPS", current_app.config.get("ENV_NAME") == "production")


def clean_url(raw: str | None) -> str:
    url = (raw or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise EndpointError({"url": "Enter a full URL starting with https://"})
    if require_https() and parts.scheme != "https":
        raise EndpointError({"url": "Webhook endpoints must use https://"})
    if len(url) > 500:
        raise EndpointError({"url": "Keep the URL under 500 characters."})
    if not private_addresses_allowed() and host_is_private(parts.hostname):
        raise EndpointError({"url": PRIVATE_ADDRESS_MESSAGE})
    return url


def clean_events(raw: list[str] | None) -> list[str]:
    chosen = [e for e in EVENT_TYPES if e in set(raw or [])]
    if not chosen:
        raise EndpointError({"events": "Choose at least one event."})
    return chosen


def _clean_endpoint(url, events, errors: dict | None = None) -> tuple[str, list[str]]:
    """Both fields checked, every problem reported at once (`errors` adds the caller's own)."""
    errors = dict(errors or {})
    try:
        url = clean_url(url)
    except EndpointError as exc:
        errors.setdefault("url", exc.errors["url"])
    try:
        events = clean_events(events)
    except EndpointError as exc:
        errors["events"] = exc.errors["events"]
    if errors:
        raise EndpointError(errors)
    return url, events


def endpoints_of(business: Business) -> list[WebhookEndpoint]:
    return db.session.scalars(select(WebhookEndpoint).where(
        WebhookEndpoint.business_id == business.id, WebhookEndpoint.deleted_at.is_(None))
        .order_by(WebhookEndpoint.created_at)).all()


def get_endpoint(business: Business, endpoint_id) -> WebhookEndpoint | None:
    key = parse_uuid(endpoint_id)
    endpoint = db.session.get(WebhookEndpoint, key) if key else None
    if endpoint is None or endpoint.business_id != business.id or endpoint.deleted_at is not None:
        return None
    return endpoint


def create_endpoint(business: Business, actor, url: str, events: list[str], description: str = "") -> tuple[WebhookEndpoint, str]:
    """The new endpoint and its signing secret (shown to the owner once, kept only encrypted)."""
    extra = {}
    if len(endpoints_of(business)) >= MAX_ENDPOINTS:
        extra["url"] = f"A business can have up to {MAX_ENDPOINTS} endpoints; remove one first."
    url, events = _clean_endpoint(url, events, extra)
    secret = new_secret()
    endpoint = WebhookEndpoint(id=uuid.uuid4(), business_id=business.id, url=url, events=events,
                               description=(description or "").strip()[:200] or None,
                               secret_encrypted=encrypt(secret))
    db.session.add(endpoint)
    record("webhook_endpoint.created", business=business, actor=actor, target_type="webhook_endpoint", target_id=endpoint.id, target_label=endpoint.url)
    db.session.commit()
    return endpoint, secret


def update_endpoint(business: Business, endpoint: WebhookEndpoint, actor, url: str, events: list[str],
                    description: str = "") -> WebhookEndpoint:
    url, events = _clean_endpoint(url, events)
    endpoint.url, endpoint.events = url, events
    endpoint.description = (description or "").strip()[:200] or None
    record("webhook_endpoint.updated", business=business, actor=actor, target_type="webhook_endpoint", target_id=endpoint.id, target_label=endpoint.url)
    db.session.commit()
    return endpoint


def set_enabled(business: Business, endpoint: WebhookEndpoint, actor, enabled: bool) -> None:
    if enabled:
        endpoint.enabled, endpoint.disabled_at, endpoint.disabled_reason = True, None, None
        endpoint.failing_since = None
    elif endpoint.enabled:
        # The owner switched it off: no email about their own action.
        endpoint.enabled = False
        endpoint.disabled_at = utcnow()
        endpoint.disabled_reason = "Disabled by the owner"
        _stop_pending(endpoint)
    record("webhook_endpoint.enabled" if enabled else "webhook_endpoint.disabled", business=business,
           actor=actor, target_type="webhook_endpoint", target_id=endpoint.id, target_label=endpoint.url)
    db.session.commit()


def _stop_pending(endpoint: WebhookEndpoint) -> None:
    from sqlalchemy import update

    from app.models import WebhookDeliveryStatus

    db.session.execute(update(WebhookDelivery).where(
        WebhookDelivery.endpoint_id == endpoint.id, WebhookDelivery.status == WebhookDeliveryStatus.PENDING)
        .values(status=WebhookDeliveryStatus.FAILED, next_attempt_at=None, last_error="Endpoint disabled"))


def remove_endpoint(business: Business, endpoint: WebhookEndpoint, actor) -> None:
    endpoint.deleted_at = utcnow()
    endpoint.enabled = False
    _stop_pending(endpoint)
    record("webhook_endpoint.removed", business=business, actor=actor, target_type="webhook_endpoint", target_id=endpoint.id, target_label=endpoint.url)
    db.session.commit()


def send_test_event(business: Business, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """A `ping` to this endpoint only, signed and logged like any delivery."""
    if not endpoint.enabled:
        raise EndpointError({"endpoint": "Enable the endpoint before sending a test event."})
    event = build_event(business, TEST_EVENT, {"object": "ping", "message": "Test event from AlphaSite",
                                               "endpoint_id": str(endpoint.id)}, test=True)
    delivery = queue_delivery(event, endpoint)
    db.session.commit()
    return delivery


def get_delivery(endpoint: WebhookEndpoint, delivery_id) -> WebhookDelivery | None:
    key = parse_uuid(delivery_id)
    delivery = db.session.get(WebhookDelivery, key) if key else None
    if delivery is None or delivery.endpoint_id != endpoint.id:
        return None
    return delivery


def redeliver(business: Business, endpoint: WebhookEndpoint, delivery: WebhookDelivery) -> WebhookDelivery:
    if not endpoint.enabled:
        raise EndpointError({"endpoint": "Enable the endpoint before redelivering."})
    fresh = queue_delivery(delivery.event, endpoint, redelivery_of=delivery)
    db.session.commit()
    return fresh


def delivery_log(endpoint: WebhookEndpoint, status: str | None = None, page: int = 1):
    stmt = select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)
    if status:
        stmt = stmt.where(WebhookDelivery.status == status)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = db.session.scalars(stmt.order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id)
                              .limit(LOG_PAGE_SIZE).offset((page - 1) * LOG_PAGE_SIZE)).unique().all()
    return rows, total
