"""Shared steps of the sandbox tests."""

from __future__ import annotations

import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import stripe


class WebhookReceiver:
    """A tiny HTTP endpoint recording what the sandbox POSTs; can be told to fail first."""

    def __init__(self):
        self.requests: list[dict] = []
        self.fail_remaining = 0
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode("utf-8")
                with receiver._lock:
                    failing = receiver.fail_remaining > 0
                    if failing:
                        receiver.fail_remaining -= 1
                    else:
                        receiver.requests.append({"body": body, "signature": self.headers.get("Stripe-Signature")})
                self.send_response(500 if failing else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webhooks/stripe"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def events(self, secret: str) -> list:
        """Every received event, verified the way an app verifies them."""
        with self._lock:
            received = list(self.requests)
        # Checked with an hour's tolerance: a module's tests read back events received
        # minutes earlier, and on a loaded machine that passes Stripe's default 5 minutes.
        return [stripe.Webhook.construct_event(item["body"], item["signature"], secret, tolerance=3600)
                for item in received]

    def wait_for(self, secret: str, predicate, timeout: float = 10.0) -> list:
        deadline = time.time() + timeout
        while True:
            events = self.events(secret)
            if predicate(events) or time.time() > deadline:
                return events
            time.sleep(0.05)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


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
