"""Stripe webhooks: verify, store once, answer at once; a job does the work.

Each event only says *which* subscription to look at. The job fetches that
subscription from Stripe and applies its current state, so a duplicate, late
or reordered event can't move a business backwards.
"""
from __future__ import annotations

import json
import uuid

import stripe
from flask import current_app
from sqlalchemy import select

from app.billing import reconcile
from app.billing.gateway import as_dict, client, translated_errors
from app.billing.services import invoice_subscription_id, store_invoice
from app.extensions import db
from app.models.webhooks import WebhookEvent
from app.validation import strict_json_loads
from app.web import parse_uuid
from app.webhooks.services import insert_event_once, queue_processing

SOURCE = "stripe"
SIGNATURE_TOLERANCE_SECONDS = 300
HANDLED_EVENT_TYPES = frozenset(
    {
        "checkout.session.completed",
        "customer.subscription.created",
        "customer.subscription.updated",
        "customer.subscription.deleted",
        "invoice.paid",
        "invoice.payment_failed",
    }
)


class InvalidWebhook(Exception):
    """Not a genuine, fresh Stripe event."""


def verify(payload: bytes, signature_header: str | None) -> dict:
    """The event, if the Stripe-Signature header signs this exact body within the tolerance."""
    if not signature_header:
        raise InvalidWebhook("Missing Stripe-Signature header")
    try:
        # The library's check alone: construct_event would also build a
        # StripeObject tree nobody reads (60 µs a delivery, against 7 for this).
        stripe.WebhookSignature.verify_header(
            payload, signature_header, current_app.config["STRIPE_WEBHOOK_SECRET"], tolerance=SIGNATURE_TOLERANCE_SECONDS
        )
        # The body as sent, not the library's object: that one turns *_decimal strings into Decimals.
        event = strict_json_loads(payload)
    except stripe.SignatureVerificationError as exc:
        raise InvalidWebhook(f"Signature verification failed: {exc.user_message or exc}") from exc
    except ValueError as exc:  # not UTF-8, or not JSON (NaN and Infinity are not)
        raise InvalidWebhook("The body is not a JSON event") from exc
    if not isinstance(event, dict) or not event.get("id") or not event.get("type"):
        raise InvalidWebhook("The body is not a Stripe event")
    return event


def record(event: dict) -> str:
    """Store the event once (the inbound-event pipeline shared with 4calls) and
    queue its processing. Returns "queued", "duplicate" or "ignored" (a type
    the app doesn't act on)."""
    if event["type"] not in HANDLED_EVENT_TYPES:
        return "ignored"
    row_id = insert_event_once(SOURCE, event["id"], event["type"], event, organization_id=event.get("account"),
                               business_id=_business_id_hint(event))
    if row_id is not None:
        # A new row: no job can carry its event's id yet, so no lookup first.
        queue_processing(SOURCE, row_id, event["id"], fresh=True)
        return "queued"
    existing = db.session.execute(
        select(WebhookEvent.id, WebhookEvent.processed_at)
        .where(WebhookEvent.source == SOURCE, WebhookEvent.event_id == event["id"])
    ).first()
    if existing is not None and existing.processed_at is None:
        # Stripe redelivers what we never finished; queue it again unless it is already waiting.
        queue_processing(SOURCE, existing.id, event["id"])
    return "duplicate"


def _business_id_hint(event: dict) -> uuid.UUID | None:
    """The business the event is about, when our own metadata says so and the business exists."""
    from app.models import Business

    obj = (event.get("data") or {}).get("object") or {}
    metadata = obj.get("metadata") or {}
    parent = (obj.get("parent") or {}).get("subscription_details") or {}
    candidate = metadata.get("business_id") or (parent.get("metadata") or {}).get("business_id")
    if not candidate and obj.get("client_reference_id"):
        candidate = obj["client_reference_id"].split(":", 1)[0]
    business_id = parse_uuid(candidate) if candidate else None
    return business_id if business_id and db.session.get(Business, business_id) else None


def process(row: WebhookEvent) -> str:
    """Apply one stored event; returns the outcome written to the row."""
    event = row.payload if isinstance(row.payload, dict) else json.loads(row.payload)
    obj = event["data"]["object"]
    event_type = event["type"]
    hint = str(row.business_id) if row.business_id else None
    if event_type == "checkout.session.completed":
        subscription_id = obj.get("subscription")
        if isinstance(subscription_id, dict):
            subscription_id = subscription_id["id"]
        if not subscription_id:
            return "ignored_no_subscription"
        return reconcile.reconcile_subscription(subscription_id, obj.get("customer"), hint)
    if event_type.startswith("customer.subscription."):
        return reconcile.reconcile_subscription(obj["id"], obj.get("customer"), hint)
    if event_type.startswith("invoice."):
        subscription_id = invoice_subscription_id(obj)
        business = reconcile.find_business(subscription_id, obj.get("customer"), hint)
        if business is not None:
            with translated_errors():
                invoice = as_dict(client().v1.invoices.retrieve(obj["id"]))
            store_invoice(business.id, invoice)
            if event_type == "invoice.payment_failed":
                _notify_payment_failed(business, invoice)  # -- notifications (issue 13)
            db.session.commit()
        if not subscription_id:
            return "invoice_stored" if business else "ignored_unknown_customer"
        return reconcile.reconcile_subscription(subscription_id, obj.get("customer"), hint)
    return "ignored_unknown_type"


def _notify_payment_failed(business, invoice: dict) -> None:
    from flask import url_for

    from app.notifications import notify

    amount = (invoice.get("amount_due") or 0) / 100
    notify(business, "payment_failed", title=f"Payment of ${amount:,.2f} failed",
           body="Stripe could not charge your card. Update your payment method to keep the assistant running.",
           link=url_for("billing.index", slug=business.slug),
           idempotency_key=f"payment-failed:{invoice['id']}:{invoice.get('attempt_count') or 1}")
