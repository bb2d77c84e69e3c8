"""Customer portal sessions and the subscription changes customers make there."""

from __future__ import annotations

from typing import Optional

from . import clock, subscriptions
from .errors import invalid_request, missing_param, no_such
from .ids import new_id
from .params import as_str, check_known
from .services import Sandbox

CREATE_PARAMS = ("customer", "return_url", "configuration", "flow_data", "locale", "on_behalf_of",
                 "customer_account")
SWITCHABLE_STATUSES = ("active", "trialing")


def _default_configuration(sb: Sandbox) -> dict:
    existing = sb.store.all_of("billing_portal.configuration")
    if existing:
        return existing[0]
    created = clock.now()
    configuration = {
        "id": new_id("bpc"),
        "object": "billing_portal.configuration",
        "active": True,
        "application": None,
        "created": created,
        "default_return_url": None,
        "features": {
            "customer_update": {"allowed_updates": [], "enabled": False},
            "invoice_history": {"enabled": True},
            "payment_method_update": {"enabled": False},
            "subscription_cancel": {"enabled": True, "mode": "at_period_end", "proration_behavior": "none"},
            "subscription_update": {"default_allowed_updates": ["price"], "enabled": True,
                                    "proration_behavior": sb.config.portal_proration_behavior},
        },
        "is_default": True,
        "livemode": False,
        "metadata": {},
        "updated": created,
    }
    sb.store.save(configuration)
    return configuration


def create_session(sb: Sandbox, params: dict) -> dict:
    check_known(params, CREATE_PARAMS)
    customer_id = as_str(params, "customer")
    if not customer_id:
        raise missing_param("customer")
    if sb.store.get(customer_id, "customer") is None:
        raise no_such(customer_id, "customer", "customer")
    if params.get("flow_data"):
        raise invalid_request("The sandbox portal does not support `flow_data`.", "flow_data")
    configuration = _default_configuration(sb)
    session_id = new_id("bps")
    session = {
        "id": session_id,
        "object": "billing_portal.session",
        "after_expiration": None,
        "configuration": configuration["id"],
        "created": clock.now(),
        "customer": customer_id,
        "customer_account": None,
        "flow": None,
        "livemode": False,
        "locale": as_str(params, "locale"),
        "on_behalf_of": as_str(params, "on_behalf_of"),
        "return_url": as_str(params, "return_url"),
        "url": f"{sb.config.base_url}/p/session/{session_id}",
    }
    sb.store.save(session)
    return session


def load(sb: Sandbox, session_id: str) -> Optional[dict]:
    return sb.store.get(session_id, "billing_portal.session")


def customer_subscriptions(sb: Sandbox, customer_id: str) -> list[dict]:
    return subscriptions.list_for(sb, customer_id, None, None)


def offered_prices(sb: Sandbox, sub: dict) -> list[dict]:
    """Every active recurring price with a lookup key, billed like the subscription's current one."""
    current = sub["items"]["data"][0]["price"]
    offers = []
    for price_obj in sb.store.all_of("price"):
        recurring = price_obj.get("recurring")
        if not (price_obj["active"] and price_obj["lookup_key"] and recurring):
            continue
        if price_obj["currency"] != current["currency"]:
            continue
        if (recurring["interval"], recurring["interval_count"]) != (
                current["recurring"]["interval"], current["recurring"]["interval_count"]):
            continue
        product = sb.store.get(price_obj["product"], "product")
        if product is None or not product["active"]:
            continue
        offers.append(price_obj)
    return sorted(offers, key=lambda price_obj: (price_obj["unit_amount"], price_obj["lookup_key"]))


def _owned_subscription(sb: Sandbox, session: dict, subscription_id: str) -> dict:
    sub = sb.store.get(subscription_id, "subscription")
    if sub is None or sub["customer"] != session["customer"]:
        raise invalid_request("That subscription does not belong to this customer.")
    return sub


def switch_price(sb: Sandbox, session: dict, subscription_id: str, price_id: str) -> dict:
    with sb.store.transaction():
        sub = _owned_subscription(sb, session, subscription_id)
        if sub["status"] not in SWITCHABLE_STATUSES:
            raise invalid_request("Only active subscriptions can change plans.")
        if len(sub["items"]["data"]) != 1:
            raise invalid_request("The portal can only switch subscriptions with a single item.")
        if price_id not in {price_obj["id"] for price_obj in offered_prices(sb, sub)}:
            raise invalid_request("That plan is not available.")
        item = sub["items"]["data"][0]
        if item["price"]["id"] == price_id:
            raise invalid_request("You are already on that plan.")
        return subscriptions.update(sb, sub, {
            "items": [{"id": item["id"], "price": price_id}],
            "proration_behavior": sb.config.portal_proration_behavior,
        })


def set_cancel_at_period_end(sb: Sandbox, session: dict, subscription_id: str, flag: bool) -> dict:
    with sb.store.transaction():
        sub = _owned_subscription(sb, session, subscription_id)
        if sub["status"] == "canceled":
            raise invalid_request("This subscription has already ended.")
        return subscriptions.update(sb, sub, {"cancel_at_period_end": "true" if flag else "false"})
