"""Checkout in subscription mode: hosted page, payment outcomes, webhooks."""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
import uuid

import pytest
import stripe

from sandbox.stripe.testing import SandboxRequestError

from .helpers import events_for

SUCCESS = "https://app.test/billing/success?session_id={CHECKOUT_SESSION_ID}"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _submit(url: str, fields: dict):
    opener = urllib.request.build_opener(_NoRedirect)
    data = urllib.parse.urlencode(fields).encode()
    try:
        response = opener.open(urllib.request.Request(url, data=data, method="POST"))
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode()
    return response.status, response.headers, response.read().decode()


def _session(api, price, **extra):
    return api.checkout.Session.create(
        mode="subscription", line_items=[{"price": price.id, "quantity": 1}], success_url=SUCCESS,
        cancel_url="https://app.test/billing/cancel", client_reference_id="business-7",
        metadata={"business_id": "7"}, subscription_data={"metadata": {"business_id": "7"}}, **extra)


def test_hosted_page_payment_creates_active_subscription_and_webhooks(api, sandbox, receiver, catalog):
    email = f"owner-{uuid.uuid4().hex[:8]}@example.com"
    session = _session(api, catalog["starter"], customer_email=email)
    assert session.id.startswith("cs_test_") and session.status == "open"
    assert session.payment_status == "unpaid" and session.url.startswith(sandbox.url + "/c/pay/")

    page = urllib.request.urlopen(session.url).read().decode()
    for text in ("AlphaSite AI Services", "Starter Assistant", "$49.00", 'name="card_number"',
                 'name="email"', 'name="exp"', 'name="cvc"', "Cancel"):
        assert text in page

    status, headers, _ = _submit(session.url, {"email": email, "card_number": "4242 4242 4242 4242",
                                               "exp": "12 / 34", "cvc": "123"})
    assert status == 303
    assert headers["Location"] == SUCCESS.replace("{CHECKOUT_SESSION_ID}", session.id)

    session = api.checkout.Session.retrieve(session.id, expand=["subscription.latest_invoice"])
    assert (session.status, session.payment_status) == ("complete", "paid")
    assert session.customer.startswith("cus_") and session.customer_details.email == email
    sub = session.subscription
    assert sub.status == "active" and sub.customer == session.customer
    assert sub.metadata["business_id"] == "7"
    item = sub["items"].data[0]
    assert item.price.id == catalog["starter"].id and item.quantity == 1
    assert 28 * 86400 <= item.current_period_end - item.current_period_start <= 31 * 86400
    invoice = sub.latest_invoice
    assert (invoice.status, invoice.amount_paid, invoice.amount_due) == ("paid", 4900, 4900)
    assert invoice.billing_reason == "subscription_create"
    assert invoice.parent.subscription_details.subscription == sub.id
    assert invoice.lines.data[0].period.end == item.current_period_end
    assert urllib.request.urlopen(invoice.hosted_invoice_url).status == 200
    assert api.Customer.retrieve(session.customer).email == email

    expected = ["customer.subscription.created", "invoice.created", "invoice.finalized", "invoice.paid",
                "invoice.payment_succeeded", "customer.subscription.updated", "checkout.session.completed"]
    received = receiver.wait_for(sandbox.webhook_secret, lambda events: any(
        e.type == "checkout.session.completed" and e.data.object.id == session.id for e in events))
    assert events_for(received, sub.id) == expected
    completed = next(e for e in received if e.type == "checkout.session.completed"
                     and e.data.object.id == session.id)
    assert completed.data.object.subscription == sub.id and completed.api_version == "2026-10-28.endive"
    assert any(e.type == "customer.created" and e.data.object.id == session.customer for e in received)
    activation = [e for e in received if e.type == "customer.subscription.updated" and e.data.object.id == sub.id]
    assert activation[0].data.previous_attributes.status == "incomplete"
    assert api.Event.retrieve(completed.id).type == "checkout.session.completed"


def test_declined_card_creates_nothing(api, sandbox, catalog):
    session = _session(api, catalog["starter"], customer_email="declined@example.com")
    customers_before = len(api.Customer.list(limit=100).data)
    events_before = api.Event.list(limit=1).data[0].id
    status, _, page = _submit(session.url, {"email": "declined@example.com", "card_number": "4000000000000002",
                                            "exp": "12/34", "cvc": "123"})
    assert status == 402 and "Your card was declined." in page
    status, _, page = _submit(session.url, {"email": "declined@example.com", "card_number": "1234123412341234",
                                            "exp": "12/34", "cvc": "123"})
    assert status == 402 and "Your card number is invalid." in page
    assert api.checkout.Session.retrieve(session.id).status == "open"
    assert len(api.Customer.list(limit=100).data) == customers_before
    assert api.Event.list(limit=1).data[0].id == events_before


def test_session_cannot_be_paid_twice_and_cancel_redirects(api, sandbox, catalog):
    customer = api.Customer.create(email="twice@example.com")
    session = _session(api, catalog["growth"], customer=customer.id)
    cancel = urllib.request.build_opener(_NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as redirect:
        cancel.open(session.url + "/cancel")
    assert redirect.value.code == 303 and redirect.value.headers["Location"] == "https://app.test/billing/cancel"

    paid = sandbox.pay(session.id)
    assert paid["redirect_url"].endswith(session.id) and paid["session"]["customer"] == customer.id
    with pytest.raises(SandboxRequestError) as second:
        sandbox.pay(session.id)
    assert second.value.status == 400
    assert "already been paid" in urllib.request.urlopen(session.url).read().decode()

    expired = _session(api, catalog["growth"], customer=customer.id)
    api.checkout.Session.expire(expired.id)
    assert api.checkout.Session.retrieve(expired.id).status == "expired"
    with pytest.raises(SandboxRequestError):
        sandbox.pay(expired.id)


def test_session_line_items_and_validation(api, catalog):
    session = _session(api, catalog["starter"])
    items = api.checkout.Session.list_line_items(session.id)
    assert items.data[0].price.id == catalog["starter"].id and items.data[0].amount_total == 4900
    with pytest.raises(stripe.InvalidRequestError) as missing_quantity:
        api.checkout.Session.create(mode="subscription", line_items=[{"price": catalog["starter"].id}],
                                    success_url=SUCCESS)
    assert missing_quantity.value.param == "line_items[0][quantity]"
    with pytest.raises(stripe.InvalidRequestError) as unknown_customer:
        api.checkout.Session.create(mode="subscription", customer="cus_missing", success_url=SUCCESS,
                                    line_items=[{"price": catalog["starter"].id, "quantity": 1}])
    assert unknown_customer.value.code == "resource_missing" and unknown_customer.value.http_status == 404
