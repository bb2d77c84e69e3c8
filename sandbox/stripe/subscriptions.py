"""Subscription lifecycle: creation from Checkout, updates with prorations, cancel, renewal."""

from __future__ import annotations

import copy
from typing import Optional

from . import cards, clock, invoicing, shapes
from .errors import invalid_request, no_such
from .params import apply_metadata, as_bool, as_dict, as_int, as_list, as_str, check_known
from .services import Sandbox

LIVE_STATUSES = ("active", "trialing", "past_due", "unpaid", "incomplete", "paused")
UPDATE_PARAMS = ("items", "proration_behavior", "proration_date", "cancel_at_period_end", "metadata",
                 "default_payment_method", "description", "cancellation_details", "payment_behavior")


def current_period(sub: dict) -> tuple[int, int]:
    item = sub["items"]["data"][0]
    return item["current_period_start"], item["current_period_end"]


def _period_for(sub: dict, price_obj: dict, index: int) -> tuple[int, int]:
    recurring = price_obj["recurring"]
    return clock.period_bounds(sub["billing_cycle_anchor"], recurring["interval"],
                               recurring.get("interval_count", 1), index)


def _set_items(sub: dict, items: list[dict]) -> None:
    sub["items"]["data"] = items
    sub["items"]["total_count"] = len(items)


def create_for_checkout(sb: Sandbox, customer: dict, payment_method_id: str,
                        line_items: list[tuple[dict, int]], metadata: dict) -> tuple[dict, dict]:
    """Creates the subscription (incomplete) and its first invoice (draft, not yet emitted)."""
    anchor = clock.now()
    currency = line_items[0][0]["currency"]
    sub = shapes.subscription(customer["id"], currency, payment_method_id, metadata, anchor)
    items = []
    for price_obj, quantity in line_items:
        start, end = _period_for(sub, price_obj, 0)
        items.append(shapes.subscription_item(sub["id"], price_obj, quantity, start, end))
    _set_items(sub, items)
    sb.store.save(sub)
    # The first invoice's own period is the creation instant; the service period is on its lines.
    invoice = invoicing.create_invoice(sb, sub, "subscription_create", anchor, anchor,
                                       include_subscription_lines=True, emit_created=False)
    sub["latest_invoice"] = invoice["id"]
    sb.store.save(sub)
    sb.events.emit("customer.subscription.created", sub)
    sb.events.emit("invoice.created", invoice)
    return sub, invoice


def mark_active(sb: Sandbox, sub: dict) -> dict:
    before = copy.deepcopy(sub)
    sub["status"] = "active"
    sb.store.save(sub)
    sb.events.emit_update(sub, before, "customer.subscription.updated")
    return sub


def load(sb: Sandbox, subscription_id: str, param: str = "id") -> dict:
    sub = sb.store.get(subscription_id, "subscription")
    if sub is None:
        raise no_such(subscription_id, param, "subscription")
    return sub


def _recurring_price(sb: Sandbox, price_id, param: str, sub: dict) -> dict:
    if not isinstance(price_id, str) or not price_id:
        raise invalid_request(f"Invalid string: {price_id!r}", param)
    price_obj = sb.store.get(price_id, "price")
    if price_obj is None:
        raise no_such(price_id, param, "price")
    if not price_obj["active"]:
        raise invalid_request("The price specified is inactive. This field only accepts active prices.", param)
    if price_obj["type"] != "recurring":
        raise invalid_request("The price specified is set to `type=one_time` but this field only accepts "
                              "prices with `type=recurring`.", param)
    if price_obj["currency"] != sub["currency"]:
        raise invalid_request(f"Currency of the price ({price_obj['currency']}) does not match the "
                              f"subscription currency ({sub['currency']}).", param)
    current = sub["items"]["data"][0]["price"]["recurring"]
    if (price_obj["recurring"]["interval"], price_obj["recurring"]["interval_count"]) != (
            current["interval"], current["interval_count"]):
        raise invalid_request("The sandbox only supports switching between prices with the same "
                              "billing interval.", param)
    return price_obj


def _apply_item_changes(sb: Sandbox, sub: dict, requested: list) -> list[tuple[Optional[dict], Optional[dict]]]:
    """Applies `items[]`; returns (old item, new item) pairs for proration."""
    items = {item["id"]: item for item in sub["items"]["data"]}
    order = [item["id"] for item in sub["items"]["data"]]
    changes = []
    start, end = current_period(sub)
    for index, entry in enumerate(requested):
        entry = as_dict(entry, f"items[{index}]")
        check_known(entry, ("id", "price", "quantity", "deleted", "metadata", "clear_usage", "discounts",
                            "tax_rates"))
        quantity = as_int(entry["quantity"], f"items[{index}][quantity]", 0) if "quantity" in entry else None
        item_id = entry.get("id")
        if item_id:
            if item_id not in items:
                raise no_such(item_id, f"items[{index}][id]", "subscription item")
            old = copy.deepcopy(items[item_id])
            item = items[item_id]
            if as_bool(entry.get("deleted", "false"), f"items[{index}][deleted]"):
                order.remove(item_id)
                del items[item_id]
                changes.append((old, None))
                continue
            if "price" in entry:
                price_obj = _recurring_price(sb, entry["price"], f"items[{index}][price]", sub)
                item["price"] = price_obj
                item["plan"] = shapes.plan_from_price(price_obj)
            if quantity is not None:
                item["quantity"] = quantity
            item["metadata"] = apply_metadata(item["metadata"], entry.get("metadata"), f"items[{index}][metadata]")
            if (old["price"]["id"], old["quantity"]) != (item["price"]["id"], item["quantity"]):
                changes.append((old, item))
        else:
            if "price" not in entry:
                raise invalid_request("You must specify one of `price` or `price_data`.", f"items[{index}][price]")
            price_obj = _recurring_price(sb, entry["price"], f"items[{index}][price]", sub)
            if any(existing["price"]["id"] == price_obj["id"] for existing in items.values()):
                raise invalid_request(
                    f"Cannot add multiple subscription items with the same price: {price_obj['id']}", "items")
            item = shapes.subscription_item(sub["id"], price_obj, 1 if quantity is None else quantity, start, end,
                                            as_dict(entry.get("metadata"), f"items[{index}][metadata]"))
            items[item["id"]] = item
            order.append(item["id"])
            changes.append((None, item))
    if not order:
        raise invalid_request("A subscription must have at least one active item.", "items")
    _set_items(sub, [items[item_id] for item_id in order])
    return changes


def _create_prorations(sb: Sandbox, sub: dict, changes: list, proration_time: int) -> None:
    start, end = current_period(sub)
    moment = min(max(proration_time, start), end)
    fraction = (end - moment) / (end - start) if end > start else 0
    when = clock.format_date(moment)
    for old, new in changes:
        if old is not None:
            amount = -round(old["price"]["unit_amount"] * old["quantity"] * fraction)
            name = invoicing.product_name(sb, old["price"])
            label = f"Unused time on {name} after {when}" if old["quantity"] == 1 else \
                f"Unused time on {old['quantity']} × {name} after {when}"
            invoicing.new_invoice_item(sb, sub, old["price"], old["quantity"], amount, label, moment, end)
        if new is not None:
            amount = round(new["price"]["unit_amount"] * new["quantity"] * fraction)
            name = invoicing.product_name(sb, new["price"])
            label = f"Remaining time on {name} after {when}" if new["quantity"] == 1 else \
                f"Remaining time on {new['quantity']} × {name} after {when}"
            invoicing.new_invoice_item(sb, sub, new["price"], new["quantity"], amount, label, moment, end)


def update(sb: Sandbox, sub: dict, params: dict) -> dict:
    check_known(params, UPDATE_PARAMS)
    before = copy.deepcopy(sub)
    if sub["status"] == "canceled" and set(params) - {"metadata", "cancellation_details", "expand"}:
        raise invalid_request("A canceled subscription can only update its cancellation_details and metadata.")
    sub["metadata"] = apply_metadata(sub["metadata"], params.get("metadata"))
    details = as_dict(params.get("cancellation_details"), "cancellation_details")
    for key in ("comment", "feedback"):
        if key in details:
            sub["cancellation_details"][key] = details[key] or None
    if "description" in params:
        sub["description"] = as_str(params, "description") or None
    if "default_payment_method" in params:
        pm_id = as_str(params, "default_payment_method")
        payment_method = sb.store.get(pm_id, "payment_method") if pm_id else None
        if pm_id and (payment_method is None or payment_method["customer"] != sub["customer"]):
            raise no_such(pm_id, "default_payment_method", "PaymentMethod")
        sub["default_payment_method"] = pm_id or None
    if "cancel_at_period_end" in params:
        _set_cancel_at_period_end(sub, as_bool(params["cancel_at_period_end"], "cancel_at_period_end"))

    behavior = as_str(params, "proration_behavior", "create_prorations")
    if behavior not in ("create_prorations", "always_invoice", "none"):
        raise invalid_request("Invalid proration_behavior: must be one of create_prorations, always_invoice, "
                              "or none", "proration_behavior")
    proration_time = as_int(params["proration_date"], "proration_date") if "proration_date" in params \
        else max(clock.now(), current_period(sub)[0])
    changes = _apply_item_changes(sb, sub, as_list(params.get("items"), "items")) if "items" in params else []
    sb.store.save(sub)
    if changes and behavior != "none":
        _create_prorations(sb, sub, changes, proration_time)
    if changes and behavior == "always_invoice":
        invoice = invoicing.create_invoice(sb, sub, "subscription_update", proration_time, proration_time,
                                           include_subscription_lines=False)
        invoice["parent"]["subscription_details"]["subscription_proration_date"] = proration_time
        invoicing.finalize(sb, invoice)
        paid = invoicing.attempt_payment(sb, invoice, sub["default_payment_method"], on_session=False)
        sub["latest_invoice"] = invoice["id"]
        if not paid and sub["status"] == "active":
            sub["status"] = "past_due"
    sb.store.save(sub)
    sb.events.emit_update(sub, before, "customer.subscription.updated")
    return sub


def _set_cancel_at_period_end(sub: dict, flag: bool) -> None:
    sub["cancel_at_period_end"] = flag
    if flag:
        sub["cancel_at"] = current_period(sub)[1]
        sub["canceled_at"] = clock.now()
        sub["cancellation_details"]["reason"] = "cancellation_requested"
    else:
        sub["cancel_at"] = None
        sub["canceled_at"] = None
        sub["cancellation_details"]["reason"] = None


def cancel(sb: Sandbox, sub: dict, reason: str = "cancellation_requested", ended_at: Optional[int] = None,
           details: Optional[dict] = None) -> dict:
    if sub["status"] == "canceled":
        raise invalid_request(f"A canceled subscription can't be canceled again: {sub['id']}")
    moment = clock.now()
    sub["status"] = "canceled"
    sub["canceled_at"] = sub["canceled_at"] if sub["cancel_at_period_end"] and sub["canceled_at"] else moment
    sub["ended_at"] = ended_at or moment
    sub["cancellation_details"]["reason"] = reason
    for key, value in (details or {}).items():
        if key in ("comment", "feedback"):
            sub["cancellation_details"][key] = value or None
    sb.store.save(sub)
    for invoice in invoicing.invoices_for(sb, subscription=sub["id"], status="open"):
        invoicing.stop_collection(sb, invoice)
    sb.events.emit("customer.subscription.deleted", sub)
    return sub


def advance(sb: Sandbox, sub: dict) -> dict:
    """Moves the subscription to its next renewal point, as time passing would on Stripe.

    active + cancel_at_period_end -> canceled at the period end.
    active -> new period, renewal invoice charged; a failing card leaves it past_due.
    past_due -> the last retry of the open invoice: paid -> active, declined -> canceled
    (Stripe's default "cancel the subscription" once all retries fail).
    """
    if sub["status"] in ("canceled", "incomplete_expired"):
        raise invalid_request(f"Subscription {sub['id']} is {sub['status']} and cannot be advanced.")
    if sub["status"] == "past_due":
        return _final_retry(sb, sub)
    start, end = current_period(sub)
    if sub["cancel_at_period_end"]:
        return cancel(sb, sub, "cancellation_requested", ended_at=end)
    before = copy.deepcopy(sub)
    sub["_period_index"] += 1
    for item in sub["items"]["data"]:
        item["current_period_start"], item["current_period_end"] = _period_for(sub, item["price"],
                                                                               sub["_period_index"])
    sb.store.save(sub)
    # A renewal invoice's own period is the period that just ended; its lines cover the new one.
    invoice = invoicing.create_invoice(sb, sub, "subscription_cycle", start, end,
                                       include_subscription_lines=True, emit_created=False)
    sub["latest_invoice"] = invoice["id"]
    sb.store.save(sub)
    sb.events.emit_update(sub, before, "customer.subscription.updated")
    sb.events.emit("invoice.created", invoice)
    invoicing.finalize(sb, invoice)
    if not invoicing.attempt_payment(sb, invoice, sub["default_payment_method"], on_session=False):
        before = copy.deepcopy(sub)
        sub["status"] = "past_due"
        sb.store.save(sub)
        sb.events.emit_update(sub, before, "customer.subscription.updated")
    return sub


def _final_retry(sb: Sandbox, sub: dict) -> dict:
    open_invoices = invoicing.invoices_for(sb, subscription=sub["id"], status="open")
    paid = all(invoicing.attempt_payment(sb, invoice, sub["default_payment_method"], on_session=False)
               for invoice in reversed(open_invoices))
    if paid:
        return mark_active(sb, sub)
    return cancel(sb, sub, "payment_failed")


def reactivate_if_settled(sb: Sandbox, invoice: dict) -> None:
    """Paying the invoice a past_due subscription is waiting on makes it active again."""
    linked = (invoice.get("parent") or {}).get("subscription_details") or {}
    sub = sb.store.get(linked.get("subscription") or "", "subscription")
    if (invoice["status"] == "paid" and sub is not None and sub["status"] == "past_due"
            and sub["latest_invoice"] == invoice["id"]):
        mark_active(sb, sub)


def pay_invoice_with_new_card(sb: Sandbox, invoice_id: str, card_number: str, expiry: Optional[str],
                              cvc: Optional[str]) -> dict:
    """What the hosted invoice page does: the customer pays an open invoice with a card they enter."""
    with sb.store.transaction():
        invoice = sb.store.get(invoice_id, "invoice")
        if invoice is None or invoice["status"] != "open":
            raise invalid_request("This invoice can no longer be paid.", code="invoice_not_open")
        cards.check_card_for_checkout(card_number, expiry, cvc)
        number = cards.normalize_number(card_number)
        payment_method = shapes.payment_method(cards.card_details(number, expiry), invoice["customer"],
                                               invoice["customer_email"], number)
        sb.store.save(payment_method)
        invoicing.attempt_payment(sb, invoice, payment_method["id"], on_session=True)
        reactivate_if_settled(sb, invoice)
        return invoice


def list_for(sb: Sandbox, customer: Optional[str], price: Optional[str], status: Optional[str]) -> list[dict]:
    result = []
    for sub in sb.store.all_of("subscription"):
        if customer and sub["customer"] != customer:
            continue
        if price and not any(item["price"]["id"] == price for item in sub["items"]["data"]):
            continue
        if status in (None, ""):
            # Stripe omits canceled subscriptions unless asked for them.
            if sub["status"] in ("canceled", "incomplete_expired"):
                continue
        elif status == "ended":
            if sub["status"] not in ("canceled", "incomplete_expired"):
                continue
        elif status != "all" and sub["status"] != status:
            continue
        result.append(sub)
    return result
