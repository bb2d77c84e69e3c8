"""Helpers for the billing tests: signed webhook deliveries and the sandbox's event log."""
from __future__ import annotations

import hashlib
import hmac
import json
import time

import httpx

from app.billing.webhooks import HANDLED_EVENT_TYPES

TEST_CARD = "4242424242424242"
DECLINED_CARD = "4000000000000002"
FAILS_LATER_CARD = "4000000000000341"


def signature(payload: str, secret: str = "whsec_sandbox", timestamp: int | None = None) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def post_event(client, event: dict, secret: str = "whsec_sandbox", timestamp: int | None = None):
    payload = json.dumps(event)
    return client.post(
        "/webhooks/stripe",
        data=payload,
        headers={"Stripe-Signature": signature(payload, secret, timestamp), "Content-Type": "application/json"},
    )


def about_subscription(event: dict, subscription_id: str) -> bool:
    obj = event["data"]["object"]
    parent = (obj.get("parent") or {}).get("subscription_details") or {}
    return subscription_id in (obj.get("id"), obj.get("subscription"), parent.get("subscription"))


def events_for(sandbox, subscription_id: str) -> list[dict]:
    """The handled events about one subscription, oldest first, exactly as the sandbox would send them."""
    # Raw JSON rather than stripe-python objects, whose to_dict() holds Decimals.
    listed, params = [], [("limit", "100")] + [("types[]", t) for t in sorted(HANDLED_EVENT_TYPES)]
    with httpx.Client(base_url=sandbox.url, headers={"Authorization": f"Bearer {sandbox.api_key}"}) as http:
        while True:
            page = http.get("/v1/events", params=params).raise_for_status().json()
            listed += page["data"]
            if not page["has_more"]:
                break
            params = [p for p in params if p[0] != "starting_after"] + [("starting_after", page["data"][-1]["id"])]
    chosen = [e for e in listed if about_subscription(e, subscription_id)]
    return list(reversed(chosen))


def checkout_session_id(location: str) -> str:
    """The cs_... id at the end of the sandbox's hosted checkout URL."""
    return location.rstrip("/").rsplit("/", 1)[-1]
