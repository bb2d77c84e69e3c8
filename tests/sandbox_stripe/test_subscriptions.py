"""Renewals, dunning, plan changes with prorations, cancellation."""

from __future__ import annotations

import urllib.parse
import urllib.request

import pytest
import stripe

from .helpers import events_for, subscribe


def _period(sub):
    item = sub["items"].data[0]
    return item.current_period_start, item.current_period_end


def test_renewal_charges_card_and_moves_period(api, sandbox, catalog):
    _, sub = subscribe(api, sandbox, catalog["starter"])
    start, end = _period(sub)
    result = sandbox.advance(sub.id)
    assert result["subscription"]["status"] == "active"
    renewed = api.Subscription.retrieve(sub.id)
    assert _period(renewed)[0] == end and _period(renewed)[1] > end
    invoice = api.Invoice.retrieve(renewed.latest_invoice)
    assert (invoice.status, invoice.billing_reason, invoice.amount_paid) == ("paid", "subscription_cycle", 4900)
    # Stripe quirk kept on purpose: a renewal invoice's own period is the period that ended.
    assert (invoice.period_start, invoice.period_end) == (start, end)
    assert invoice.lines.data[0].period.start == end
    listed = api.Invoice.list(subscription=sub.id)
    assert [i.billing_reason for i in listed.data] == ["subscription_cycle", "subscription_create"]


def test_card_0341_renewal_fails_then_subscription_is_canceled(api, sandbox, receiver, catalog):
    customer, sub = subscribe(api, sandbox, catalog["starter"], card="4000000000000341")
    assert sub.status == "active"

    sandbox.advance(sub.id)
    past_due = api.Subscription.retrieve(sub.id)
    assert past_due.status == "past_due"
    failed = api.Invoice.retrieve(past_due.latest_invoice)
    assert (failed.status, failed.amount_paid, failed.amount_due, failed.attempt_count) == ("open", 0, 4900, 1)
    assert failed.next_payment_attempt is not None

    with pytest.raises(stripe.CardError) as declined:
        api.Invoice.pay(failed.id)
    assert declined.value.code == "card_declined" and declined.value.http_status == 402

    sandbox.advance(sub.id)
    canceled = api.Subscription.retrieve(sub.id)
    assert canceled.status == "canceled" and canceled.cancellation_details.reason == "payment_failed"
    assert canceled.ended_at is not None
    assert api.Subscription.list(customer=customer.id).data == []
    assert [s.id for s in api.Subscription.list(customer=customer.id, status="all").data] == [sub.id]

    received = receiver.wait_for(sandbox.webhook_secret,
                                 lambda events: "customer.subscription.deleted" in events_for(events, sub.id))
    tail = events_for(received, sub.id)[7:]
    assert tail[:5] == ["customer.subscription.updated", "invoice.created", "invoice.finalized",
                        "invoice.payment_failed", "customer.subscription.updated"]
    assert tail[-2:] == ["invoice.payment_failed", "customer.subscription.deleted"]
    to_past_due = [e for e in received if e.type == "customer.subscription.updated"
                   and e.data.object.id == sub.id and e.data.object.status == "past_due"]
    assert to_past_due[0].data.previous_attributes.status == "active"


def test_upgrade_with_always_invoice_bills_prorated_difference_now(api, sandbox, receiver, catalog):
    _, sub = subscribe(api, sandbox, catalog["starter"])
    item = sub["items"].data[0]
    upgraded = api.Subscription.modify(sub.id, items=[{"id": item.id, "price": catalog["growth"].id}],
                                       proration_behavior="always_invoice")
    assert upgraded["items"].data[0].id == item.id
    assert upgraded["items"].data[0].price.id == catalog["growth"].id
    invoice = api.Invoice.retrieve(upgraded.latest_invoice)
    assert invoice.billing_reason == "subscription_update" and invoice.status == "paid"
    amounts = sorted(line.amount for line in invoice.lines.data)
    assert -4900 <= amounts[0] < 0 < amounts[1] <= 9900
    assert all(line.parent.type == "invoice_item_details" and line.parent.invoice_item_details.proration
               for line in invoice.lines.data)
    assert invoice.amount_paid == sum(amounts) > 0
    received = receiver.wait_for(sandbox.webhook_secret, lambda events: any(
        e.type == "customer.subscription.updated" and e.data.object.id == sub.id
        and "items" in e.data.previous_attributes for e in events))
    change = [e for e in received if e.type == "customer.subscription.updated" and e.data.object.id == sub.id
              and "items" in e.data.previous_attributes][0]
    assert change.data.previous_attributes["items"].data[0].price.id == catalog["starter"].id


def test_create_prorations_wait_for_next_renewal(api, sandbox, catalog):
    customer, sub = subscribe(api, sandbox, catalog["growth"])
    item = sub["items"].data[0]
    api.Subscription.modify(sub.id, items=[{"id": item.id, "price": catalog["starter"].id}])
    assert len(api.Invoice.list(subscription=sub.id).data) == 1
    sandbox.advance(sub.id)
    renewal = api.Invoice.retrieve(api.Subscription.retrieve(sub.id).latest_invoice)
    kinds = sorted(line.parent.type for line in renewal.lines.data)
    assert kinds == ["invoice_item_details", "invoice_item_details", "subscription_item_details"]
    assert renewal.subtotal == sum(line.amount for line in renewal.lines.data)
    # A downgrade right after subscribing nets a credit larger than the new price:
    # the invoice is settled from that credit and the rest stays on the customer's balance.
    assert renewal.subtotal < 0 and renewal.amount_due == 0 and renewal.status == "paid"
    assert api.Customer.retrieve(customer.id).balance == renewal.subtotal


def test_cancel_at_period_end_then_advance_cancels(api, sandbox, receiver, catalog):
    _, sub = subscribe(api, sandbox, catalog["starter"])
    scheduled = api.Subscription.modify(sub.id, cancel_at_period_end=True)
    assert scheduled.status == "active" and scheduled.cancel_at_period_end
    assert scheduled.cancel_at == _period(scheduled)[1]
    resumed = api.Subscription.modify(sub.id, cancel_at_period_end=False)
    assert resumed.cancel_at is None and not resumed.cancel_at_period_end
    api.Subscription.modify(sub.id, cancel_at_period_end=True, metadata={"reason": "closing shop"})

    result = sandbox.advance(sub.id)
    assert result["subscription"]["status"] == "canceled"
    assert result["subscription"]["ended_at"] == _period(scheduled)[1]
    received = receiver.wait_for(sandbox.webhook_secret,
                                 lambda events: "customer.subscription.deleted" in events_for(events, sub.id))
    deleted = [e for e in received if e.type == "customer.subscription.deleted" and e.data.object.id == sub.id]
    assert deleted[0].data.object.status == "canceled"
    with pytest.raises(stripe.InvalidRequestError):
        api.Subscription.modify(sub.id, items=[{"id": sub["items"].data[0].id, "price": catalog["growth"].id}])


def test_immediate_cancel_and_item_rules(api, sandbox, catalog):
    _, sub = subscribe(api, sandbox, catalog["starter"])
    with pytest.raises(stripe.InvalidRequestError) as duplicate:
        # Forgetting the item id adds a second item on Stripe; adding the same price twice is refused.
        api.Subscription.modify(sub.id, items=[{"price": catalog["starter"].id}])
    assert duplicate.value.param == "items"
    canceled = api.Subscription.cancel(sub.id)
    assert canceled.status == "canceled" and canceled.canceled_at is not None
    assert api.Subscription.retrieve(sub.id).status == "canceled"


def test_past_due_recovers_when_customer_pays_hosted_invoice(api, sandbox, catalog):
    _, sub = subscribe(api, sandbox, catalog["starter"], card="4000000000000341")
    sandbox.advance(sub.id)
    invoice = api.Invoice.retrieve(api.Subscription.retrieve(sub.id).latest_invoice)
    assert invoice.status == "open"
    page = urllib.request.urlopen(invoice.hosted_invoice_url).read().decode()
    assert "Pay $49.00" in page and 'name="card_number"' in page
    form = urllib.parse.urlencode({"card_number": "4242424242424242", "exp": "12/34", "cvc": "123"}).encode()
    page = urllib.request.urlopen(urllib.request.Request(invoice.hosted_invoice_url, data=form)).read().decode()
    assert "Paid" in page
    assert api.Invoice.retrieve(invoice.id).status == "paid"
    assert api.Subscription.retrieve(sub.id).status == "active"
