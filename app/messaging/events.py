"""4calls webhook handlers for messages, plugged into
app/webhooks/services.py::FOURCALLS_EVENT_HANDLERS. Each is idempotent."""
from __future__ import annotations

from app.extensions import db
from app.models import Business, WebhookEvent


def _business_and_object(event: WebhookEvent):
    business = db.session.get(Business, event.business_id) if event.business_id else None
    data = (event.payload or {}).get("data") or {}
    obj = data.get("object") if isinstance(data, dict) else None
    return business, obj if isinstance(obj, dict) and isinstance(obj.get("id"), str) else None


def _apply(event: WebhookEvent, apply) -> str:
    business, obj = _business_and_object(event)
    if business is None:
        return "ignored_unknown_organization"
    if obj is None:
        return "ignored_invalid_object"
    return apply(business, obj)


def apply_message_updated(event: WebhookEvent) -> str:
    from app.messaging.services import apply_status_event

    return _apply(event, apply_status_event)


def apply_message_received(event: WebhookEvent) -> str:
    from app.messaging.inbound import apply_inbound

    return _apply(event, apply_inbound)


def register() -> None:
    from app.webhooks.services import FOURCALLS_EVENT_HANDLERS

    FOURCALLS_EVENT_HANDLERS.update({
        "message.updated": apply_message_updated,
        "message.received": apply_message_received,
    })
