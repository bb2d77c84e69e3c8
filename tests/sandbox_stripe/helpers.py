"""Shared steps of the sandbox tests."""

from __future__ import annotations

import uuid


def subscribe(api, sandbox, price, card="4242424242424242", email=None):
    email = email or f"owner-{uuid.uuid4().hex[:8]}@example.com"
    customer = api.Customer.create(email=email, name="Corner Bakery")
    session = api.checkout.Session.create(
        mode="subscription", customer=customer.id,
        line_items=[{"price": price.id, "quantity": 1}],
        success_url="https://app.test/billing/success?session_id={CHECKOUT_SESSION_ID}",
        cancel_url="https://app.test/billing/cancel",
    )
    sandbox.pay(session.id, card)
    session = api.checkout.Session.retrieve(session.id, expand=["subscription"])
    return customer, session.subscription


def linked_subscription(obj: dict) -> str | None:
    """Which subscription an event's object belongs to (invoices link via parent.subscription_details)."""
    if obj.get("object") == "subscription":
        return obj["id"]
    if obj.get("object") == "invoice":
        return ((obj.get("parent") or {}).get("subscription_details") or {}).get("subscription")
    return obj.get("subscription")


def events_for(received: list, subscription_id: str) -> list[str]:
    """Types of the received events about one subscription, in delivery order."""
    return [event.type for event in received
            if linked_subscription(event.data.object.to_dict()) == subscription_id]
