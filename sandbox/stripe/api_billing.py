"""/v1 checkout sessions, subscriptions, invoices, events and billing portal sessions."""

from __future__ import annotations

from . import checkout, invoicing, portal, subscriptions
from .errors import invalid_request, no_such
from .params import as_dict, as_list, as_str, check_known
from .render import paginate, respond_object
from .v1 import json_response, params, sandbox, v1


def _reply(obj: dict):
    return json_response(respond_object(sandbox().store, obj, params()))


def _list(items: list[dict], url: str):
    return json_response(paginate(sandbox().store, items, params(), url))


# --- Checkout Sessions ---------------------------------------------------------------

@v1.post("/checkout/sessions")
def create_checkout_session():
    sb = sandbox()
    with sb.store.transaction():
        session = checkout.create_session(sb, params())
    return _reply(session)


@v1.get("/checkout/sessions/<session_id>")
def retrieve_checkout_session(session_id):
    return _reply(checkout.load(sandbox(), session_id, "session"))


@v1.get("/checkout/sessions/<session_id>/line_items")
def list_checkout_line_items(session_id):
    sb = sandbox()
    session = checkout.load(sb, session_id, "session")
    items = checkout.line_items(sb.store, session)["data"]
    return json_response(paginate(sb.store, items, params(), f"/v1/checkout/sessions/{session_id}/line_items"))


@v1.post("/checkout/sessions/<session_id>/expire")
def expire_checkout_session(session_id):
    sb = sandbox()
    with sb.store.transaction():
        session = checkout.load(sb, session_id, "session")
        if session["status"] != "open":
            raise invalid_request(f"Only Checkout Sessions with a status in [\"open\"] can be expired. This "
                                  f"Checkout Session has a status of \"{session['status']}\".")
        checkout.expire_if_due(sb, session, force=True)
    return _reply(session)


@v1.get("/checkout/sessions")
def list_checkout_sessions():
    p = params()
    items = sandbox().store.all_of("checkout.session")
    for key in ("customer", "subscription", "status"):
        if key in p:
            items = [session for session in items if session[key] == p[key]]
    return _list(items, "/v1/checkout/sessions")


# --- Subscriptions -------------------------------------------------------------------

@v1.get("/subscriptions/<subscription_id>")
def retrieve_subscription(subscription_id):
    return _reply(subscriptions.load(sandbox(), subscription_id))


@v1.post("/subscriptions/<subscription_id>")
def update_subscription(subscription_id):
    sb = sandbox()
    with sb.store.transaction():
        sub = subscriptions.update(sb, subscriptions.load(sb, subscription_id), params())
    return _reply(sub)


@v1.delete("/subscriptions/<subscription_id>")
def cancel_subscription(subscription_id):
    p = params()
    check_known(p, ("cancellation_details", "invoice_now", "prorate"))
    sb = sandbox()
    with sb.store.transaction():
        sub = subscriptions.cancel(sb, subscriptions.load(sb, subscription_id),
                                   details=as_dict(p.get("cancellation_details"), "cancellation_details"))
    return _reply(sub)


@v1.get("/subscriptions")
def list_subscriptions():
    p = params()
    items = subscriptions.list_for(sandbox(), as_str(p, "customer"), as_str(p, "price"), as_str(p, "status"))
    return _list(items, "/v1/subscriptions")


# --- Invoices ------------------------------------------------------------------------

def _load_invoice(invoice_id: str) -> dict:
    invoice = sandbox().store.get(invoice_id, "invoice")
    if invoice is None:
        raise no_such(invoice_id, "invoice", "invoice")
    return invoice


@v1.get("/invoices/<invoice_id>")
def retrieve_invoice(invoice_id):
    return _reply(_load_invoice(invoice_id))


@v1.get("/invoices/<invoice_id>/lines")
def list_invoice_lines(invoice_id):
    invoice = _load_invoice(invoice_id)
    return _list(list(invoice["lines"]["data"]), f"/v1/invoices/{invoice_id}/lines")


@v1.post("/invoices/<invoice_id>/pay")
def pay_invoice(invoice_id):
    """Charges an open invoice now; a decline is a 402 card_error, as on Stripe."""
    p = params()
    check_known(p, ("payment_method", "off_session", "paid_out_of_band", "forgive", "mandate", "source"))
    sb = sandbox()
    with sb.store.transaction():
        invoice = _load_invoice(invoice_id)
        if invoice["status"] != "open":
            raise invalid_request(f"Invoice is already {invoice['status']}.", code="invoice_not_open")
        linked = (invoice.get("parent") or {}).get("subscription_details") or {}
        sub = sb.store.get(linked.get("subscription") or "", "subscription")
        payment_method = as_str(p, "payment_method") or (sub or {}).get("default_payment_method")
        owner = sb.store.get(payment_method or "", "payment_method")
        if payment_method and (owner is None or owner["customer"] != invoice["customer"]):
            raise no_such(payment_method, "payment_method", "PaymentMethod")
        paid = invoicing.attempt_payment(sb, invoice, payment_method, on_session=False)
        subscriptions.reactivate_if_settled(sb, invoice)
    if not paid:
        raise invoicing.decline_error(invoice)
    return _reply(invoice)


@v1.get("/invoices")
def list_invoices():
    p = params()
    items = invoicing.invoices_for(sandbox(), as_str(p, "customer"), as_str(p, "subscription"),
                                   as_str(p, "status"))
    return _list(items, "/v1/invoices")


@v1.get("/invoiceitems")
def list_invoice_items():
    p = params()
    items = sandbox().store.all_of("invoiceitem")
    if "customer" in p:
        items = [item for item in items if item["customer"] == p["customer"]]
    if "pending" in p:
        pending = p["pending"] == "true"
        items = [item for item in items if (item["invoice"] is None) == pending]
    return _list(items, "/v1/invoiceitems")


# --- Events --------------------------------------------------------------------------

@v1.get("/events/<event_id>")
def retrieve_event(event_id):
    event = sandbox().store.get(event_id, "event")
    if event is None:
        raise no_such(event_id, "id", "event")
    return _reply(event)


@v1.get("/events")
def list_events():
    p = params()
    items = sandbox().store.all_of("event")
    if "type" in p:
        wanted = p["type"]
        if wanted.endswith(".*"):
            items = [event for event in items if event["type"].startswith(wanted[:-1])]
        else:
            items = [event for event in items if event["type"] == wanted]
    if "types" in p:
        wanted_types = set(as_list(p["types"], "types"))
        items = [event for event in items if event["type"] in wanted_types]
    created = p.get("created")
    if isinstance(created, dict):
        bounds = {"gt": int.__gt__, "gte": int.__ge__, "lt": int.__lt__, "lte": int.__le__}
        for op, compare in bounds.items():
            if op in created:
                limit = int(created[op])
                items = [event for event in items if compare(event["created"], limit)]
    elif created:
        items = [event for event in items if event["created"] == int(created)]
    return _list(items, "/v1/events")


# --- Billing portal ------------------------------------------------------------------

@v1.post("/billing_portal/sessions")
def create_portal_session():
    sb = sandbox()
    with sb.store.transaction():
        session = portal.create_session(sb, params())
    return _reply(session)
