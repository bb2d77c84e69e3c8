"""/_sandbox admin routes (no auth): health, time travel, faults, webhook log, headless payment."""

from __future__ import annotations

from flask import Blueprint, current_app, request

from . import checkout, subscriptions
from .config import MODELLED_API_VERSION
from .errors import invalid_request
from .render import public
from .services import Sandbox
from .v1 import json_response

admin = Blueprint("stripe_admin", __name__, url_prefix="/_sandbox")


def _sandbox() -> Sandbox:
    return current_app.extensions["stripe_sandbox"]


def _body() -> dict:
    if request.is_json:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise invalid_request("Expected a JSON object.")
        return body
    return request.form.to_dict()


@admin.get("/health")
def health():
    sb = _sandbox()
    return json_response({
        "status": "ok",
        "api_version": MODELLED_API_VERSION,
        "base_url": sb.config.base_url,
        "data_path": sb.config.data_path,
        "webhook_url": sb.config.webhook_url,
        "faults": sb.faults.snapshot(),
    })


@admin.post("/subscriptions/<subscription_id>/advance")
def advance_subscription(subscription_id):
    sb = _sandbox()
    with sb.store.transaction():
        sub = subscriptions.advance(sb, subscriptions.load(sb, subscription_id, "subscription"))
    latest = sb.store.get(sub["latest_invoice"], "invoice") if sub["latest_invoice"] else None
    return json_response({"subscription": public(sub), "latest_invoice": public(latest) if latest else None})


@admin.get("/faults")
def show_faults():
    return json_response(_sandbox().faults.snapshot())


@admin.post("/faults")
def set_faults():
    return json_response(_sandbox().faults.update(_body()))


@admin.delete("/faults")
def clear_faults():
    return json_response(_sandbox().faults.clear())


@admin.get("/webhooks")
def webhook_log():
    deliveries = _sandbox().store.deliveries()
    event_type = request.args.get("type")
    if event_type:
        deliveries = [delivery for delivery in deliveries if delivery["event_type"] == event_type]
    return json_response({"webhook_url": _sandbox().config.webhook_url, "deliveries": deliveries})


@admin.post("/checkout/<session_id>/pay")
def pay_checkout(session_id):
    body = _body()
    sb = _sandbox()
    try:
        session = checkout.complete(sb, session_id, str(body.get("card_number", "")), body.get("email"),
                                    body.get("exp"), body.get("cvc"))
    except checkout.CheckoutUnavailable as unavailable:
        raise invalid_request(f"This Checkout Session is {unavailable.args[0]} and can't be paid.",
                              code="checkout_session_unavailable")
    return json_response({"session": public(session), "redirect_url": checkout.success_redirect(session)})
