"""Stripe-shaped errors, fault injection and idempotency, seen through stripe-python."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid

import pytest
import stripe


def test_invalid_requests_are_stripe_shaped(api, sandbox):
    with pytest.raises(stripe.InvalidRequestError) as missing:
        api.Customer.retrieve("cus_doesnotexist")
    error = missing.value
    assert error.http_status == 404 and error.code == "resource_missing" and error.param == "id"
    assert error.json_body["error"]["type"] == "invalid_request_error"
    assert "No such customer: 'cus_doesnotexist'" in error.user_message

    with pytest.raises(stripe.InvalidRequestError) as unknown:
        api.Customer.create(email="x@example.com", favourite_colour="blue")
    assert unknown.value.code == "parameter_unknown" and unknown.value.param == "favourite_colour"

    request = urllib.request.Request(sandbox.url + "/v1/widgets",
                                     headers={"Authorization": f"Bearer {sandbox.api_key}"})
    with pytest.raises(urllib.error.HTTPError) as unrouted:
        urllib.request.urlopen(request)
    body = json.loads(unrouted.value.read())
    assert unrouted.value.code == 404 and body["error"]["message"].startswith("Unrecognized request URL")


def test_wrong_api_key_raises_authentication_error(sandbox):
    client = stripe.StripeClient("sk_test_wrong_key_123456", base_addresses={"api": sandbox.url},
                                 max_network_retries=0)
    with pytest.raises(stripe.AuthenticationError) as denied:
        client.v1.customers.list()
    assert denied.value.http_status == 401
    basic = urllib.request.Request(sandbox.url + "/v1/customers?limit=1")
    basic.add_header("Authorization", "Basic " + __import__("base64").b64encode(
        f"{sandbox.api_key}:".encode()).decode())
    assert json.loads(urllib.request.urlopen(basic).read())["object"] == "list"


def test_faults_map_to_stripe_exceptions(api, sandbox):
    try:
        sandbox.set_faults(rate_limit_every=1)
        with pytest.raises(stripe.RateLimitError):
            api.Customer.list(limit=1)
        sandbox.set_faults(rate_limit_every=0, error_rate=1.0)
        with pytest.raises(stripe.APIError) as server_error:
            api.Customer.list(limit=1)
        assert server_error.value.http_status == 500
        assert server_error.value.json_body["error"]["type"] == "api_error"
        sandbox.set_faults(error_rate=0, drop_rate=1.0)
        with pytest.raises(stripe.APIConnectionError):
            api.Customer.list(limit=1)
        sandbox.set_faults(drop_rate=0, latency_ms=150)
        assert api.Customer.list(limit=1).object == "list"
    finally:
        sandbox.clear_faults()
    assert sandbox.health()["faults"]["drop_rate"] == 0


def test_client_retry_after_dropped_connection_creates_once(sandbox):
    """stripe-python retries with the same Idempotency-Key, so a retried create isn't duplicated."""
    client = sandbox.client(max_network_retries=2)
    email = f"retry-{uuid.uuid4().hex[:8]}@example.com"
    try:
        sandbox.set_faults(fail_next=1)
        created = client.v1.customers.create(params={"email": email})
        sandbox.set_faults(drop_next=1)
        again = client.v1.customers.create(params={"email": email + ".second"})
    finally:
        sandbox.clear_faults()
    assert created.email == email and again.email.endswith(".second")
    assert len(client.v1.customers.list(params={"email": email}).data) == 1


def test_idempotency_key_replays_the_first_response(api, sandbox):
    key = f"signup-{uuid.uuid4()}"
    first = api.Customer.create(email="idem@example.com", idempotency_key=key)
    replay = api.Customer.create(email="idem@example.com", idempotency_key=key)
    assert replay.id == first.id
    assert replay.last_response.headers.get("Idempotent-Replayed") == "true"
    with pytest.raises(stripe.IdempotencyError):
        api.Customer.create(email="someone-else@example.com", idempotency_key=key)
    assert len(api.Customer.list(email="idem@example.com", limit=100).data) >= 1
    assert api.Customer.list(limit=1).data[0].id == first.id
