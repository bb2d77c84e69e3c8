"""State across restarts and webhook delivery retries (each with a sandbox of its own)."""

from __future__ import annotations

import stripe

from sandbox.stripe.testing import running_stripe

from .helpers import WebhookReceiver


def test_state_survives_restart(tmp_path):
    with running_stripe(tmp_path) as first:
        client = first.client()
        price = client.v1.prices.create(params={"product_data": {"name": "Durable"}, "unit_amount": 4900,
                                                "currency": "usd", "recurring": {"interval": "month"},
                                                "lookup_key": "durable_monthly"})
        customer = client.v1.customers.create(params={"email": "durable@example.com"})
        session = client.v1.checkout.sessions.create(params={
            "mode": "subscription", "customer": customer.id, "success_url": "https://app.test/ok",
            "line_items": [{"price": price.id, "quantity": 1}]})
        first.pay(session.id)
        subscription_id = client.v1.checkout.sessions.retrieve(session.id).subscription
        replay_key = "restart-replay"
        made = client.v1.customers.create(params={"email": "once@example.com"},
                                          options={"idempotency_key": replay_key})

    with running_stripe(tmp_path) as second:
        client = second.client()
        assert client.v1.prices.list(params={"lookup_keys": ["durable_monthly"]}).data[0].id == price.id
        sub = client.v1.subscriptions.retrieve(subscription_id)
        assert sub.status == "active" and sub.customer == customer.id
        assert client.v1.invoices.list(params={"subscription": subscription_id}).data[0].status == "paid"
        again = client.v1.customers.create(params={"email": "once@example.com"},
                                           options={"idempotency_key": replay_key})
        assert again.id == made.id
        second.advance(subscription_id)
        assert len(client.v1.invoices.list(params={"subscription": subscription_id}).data) == 2


def test_webhook_is_retried_until_the_endpoint_accepts_it(tmp_path):
    receiver = WebhookReceiver()
    receiver.fail_remaining = 2
    try:
        with running_stripe(tmp_path, webhook_url=receiver.url, webhook_retry_base=0.1,
                            webhook_secret="whsec_retry_test") as sandbox:
            customer = sandbox.client().v1.customers.create(params={"email": "hooks@example.com"})
            log = sandbox.wait_for_webhooks(lambda log: log and log[0]["status"] == "succeeded")
            delivery = log[0]
            assert delivery["event_type"] == "customer.created" and delivery["attempts"] == 3
            assert [attempt["status_code"] for attempt in delivery["history"]] == [500, 500, 200]
            events = receiver.events("whsec_retry_test")
            assert [event.type for event in events] == ["customer.created"]
            assert events[0].data.object.id == customer.id
            assert events[0].request.idempotency_key  # stripe-python always sends one on POST
            stored = sandbox.client().v1.events.retrieve(events[0].id)
            assert stored.pending_webhooks == 0
            try:
                stripe.Webhook.construct_event(receiver.requests[0]["body"], receiver.requests[0]["signature"],
                                               "whsec_wrong")
                raise AssertionError("a wrong secret must not verify")
            except stripe.SignatureVerificationError:
                pass
    finally:
        receiver.close()
