"""Webhook receivers. They answer fast: verify, store, queue, 2xx."""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from app.extensions import csrf
from app.webhooks.receiver import receive_fourcalls

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")


def _refuse(message: str, status: int = 400):
    return jsonify(error={"status": status, "message": message}), status


@bp.post("/fourcalls")
@csrf.exempt
def fourcalls():
    # Deliveries are answered by app/webhooks/receiver.py's WSGI fast path;
    # this route answers what it hands over (a body without Content-Length).
    status, body = receive_fourcalls(request.get_data(cache=False), request.headers.get("X-FourCalls-Signature"),
                                     request.remote_addr)
    return jsonify(body), status


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
