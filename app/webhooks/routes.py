"""Webhook receivers. They answer fast: verify, store, queue, 2xx."""
from __future__ import annotations

import json

from flask import Blueprint, current_app, jsonify, request

from app.extensions import csrf, limiter
from app.webhooks.services import (
    InvalidSignature,
    business_id_for_organization,
    insert_event_once,
    queue_processing,
    verify_fourcalls_signature,
)

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")


def _rate_limit() -> str:
    return current_app.config["WEBHOOK_RATE_LIMIT"]


def _refuse(message: str, status: int = 400):
    return jsonify(error={"status": status, "message": message}), status


@bp.post("/fourcalls")
@csrf.exempt
@limiter.limit(_rate_limit)
def fourcalls():
    raw = request.get_data(cache=False)
    try:
        verify_fourcalls_signature(
            request.headers.get("X-FourCalls-Signature"), raw, current_app.config["FOURCALLS_WEBHOOK_SECRET"]
        )
    except InvalidSignature as exc:
        return _refuse(str(exc))
    try:
        event = json.loads(raw)
    except ValueError:
        return _refuse("body is not JSON")
    if not isinstance(event, dict) or not isinstance(event.get("id"), str) or not isinstance(event.get("type"), str):
        return _refuse("event must be a JSON object with string id and type")
    organization_id = event.get("organization_id") if isinstance(event.get("organization_id"), str) else None
    row_id = insert_event_once(
        "fourcalls", event["id"], event["type"], event,
        organization_id=organization_id, business_id=business_id_for_organization(organization_id),
    )
    if row_id is None:
        return jsonify(received=True, duplicate=True), 200
    # The row is new, so no job can carry its id yet: no lookup before enqueueing.
    queue_processing("fourcalls", row_id, event["id"], fresh=True)
    return jsonify(received=True), 200


@bp.post("/stripe")
@csrf.exempt
def stripe():
    """Stripe's signed events: verified and stored by the billing area's Stripe
    rules (app/billing/webhooks.py), then queued like every inbound event."""
    from app.billing import webhooks as stripe_events

    try:
        event = stripe_events.verify(request.get_data(cache=False), request.headers.get("Stripe-Signature"))
    except stripe_events.InvalidWebhook as invalid:
        return _refuse(str(invalid))
    return jsonify(received=True, result=stripe_events.record(event)), 200
