"""Invoices for subscriptions: drafting, finalizing, charging the card on file."""

from __future__ import annotations

import copy
from typing import Optional

from . import cards, clock, shapes
from .errors import invalid_request
from .ids import new_id
from .services import Sandbox

# Stripe's Smart Retries would try again days later; the hint is all the sandbox
# gives, the actual retry happens on the next /_sandbox/.../advance.
RETRY_HINT_SECONDS = 3 * clock.DAY


def money(amount: int, currency: str) -> str:
    symbol = {"usd": "$", "eur": "€", "gbp": "£", "cad": "CA$", "aud": "A$"}.get(currency.lower())
    value = f"{abs(amount) / 100:,.2f}"
    sign = "-" if amount < 0 else ""
    return f"{sign}{symbol}{value}" if symbol else f"{sign}{value} {currency.upper()}"


def price_label(price_obj: dict) -> str:
    recurring = price_obj.get("recurring") or {}
    amount = money(price_obj["unit_amount"], price_obj["currency"])
    if not recurring:
        return amount
    count = recurring.get("interval_count", 1)
    interval = recurring["interval"] if count == 1 else f"{count} {recurring['interval']}s"
    return f"{amount} / {interval}"


def product_name(sb: Sandbox, price_obj: dict) -> str:
    product = sb.store.get(price_obj["product"], "product")
    return product["name"] if product else price_obj["product"]


def subscription_lines(sb: Sandbox, invoice: dict, sub: dict) -> list[dict]:
    lines = []
    for item in sub["items"]["data"]:
        price_obj = item["price"]
        quantity = item["quantity"]
        description = f"{quantity} × {product_name(sb, price_obj)} (at {price_label(price_obj)})"
        lines.append(shapes.invoice_line(
            invoice["id"], price_obj["unit_amount"] * quantity, price_obj["currency"], description,
            price_obj, quantity, item["current_period_start"], item["current_period_end"], sub["id"],
            subscription_item_id=item["id"],
        ))
    return lines


def pending_item_lines(sb: Sandbox, invoice: dict, sub: dict) -> list[dict]:
    """Pulls the subscription's not-yet-invoiced invoice items (e.g. prorations) into this invoice."""
    lines = []
    for item in reversed(sb.store.all_of("invoiceitem")):
        if item["parent"]["subscription_details"]["subscription"] != sub["id"] or item["invoice"] is not None:
            continue
        item["invoice"] = invoice["id"]
        sb.store.save(item)
        lines.append(shapes.invoice_line(
            invoice["id"], item["amount"], item["currency"], item["description"], item["_price"],
            item["quantity"], item["period"]["start"], item["period"]["end"], sub["id"],
            invoice_item_id=item["id"], proration=item["proration"],
        ))
    return lines


def new_invoice_item(sb: Sandbox, sub: dict, price_obj: dict, quantity: int, amount: int,
                     description: str, period_start: int, period_end: int) -> dict:
    moment = clock.now()
    item = {
        "id": new_id("ii"),
        "object": "invoiceitem",
        "amount": amount,
        "currency": price_obj["currency"],
        "customer": sub["customer"],
        "customer_account": None,
        "date": moment,
        "description": description,
        "discountable": False,
        "discounts": [],
        "invoice": None,
        "livemode": False,
        "metadata": {},
        "net_amount": amount,
        "parent": {"subscription_details": {"subscription": sub["id"], "subscription_item": None},
                   "type": "subscription_details"},
        "period": {"end": period_end, "start": period_start},
        "pricing": {"price_details": {"price": price_obj["id"], "product": price_obj["product"]},
                    "type": "price_details", "unit_amount_decimal": price_obj["unit_amount_decimal"]},
        "proration": True,
        "proration_details": {"credited_items": None},
        "quantity": quantity,
        "quantity_decimal": str(quantity),
        "tax_rates": [],
        "test_clock": None,
        "_price": price_obj,
    }
    sb.store.save(item)
    return item


def create_invoice(sb: Sandbox, sub: dict, billing_reason: str, period_start: int, period_end: int,
                   include_subscription_lines: bool, emit_created: bool = True) -> dict:
    """Drafts an invoice with its lines (and normally emits invoice.created)."""
    customer = sb.store.get(sub["customer"], "customer")
    invoice = shapes.invoice(customer, sub, billing_reason, period_start, period_end,
                             sb.config.business_name, sb.config.base_url)
    lines = []
    if include_subscription_lines:
        lines += subscription_lines(sb, invoice, sub)
    lines += pending_item_lines(sb, invoice, sub)
    invoice["lines"]["data"] = lines
    invoice["lines"]["total_count"] = len(lines)
    subtotal = sum(line["amount"] for line in lines)
    invoice.update(subtotal=subtotal, subtotal_excluding_tax=subtotal, total=subtotal,
                   total_excluding_tax=subtotal, amount_due=subtotal, amount_remaining=subtotal)
    sb.store.save(invoice)
    if emit_created:
        sb.events.emit("invoice.created", invoice)
    return invoice


def finalize(sb: Sandbox, invoice: dict) -> dict:
    """Numbers the invoice, applies the customer's credit balance, emits invoice.finalized."""
    customer = sb.store.get(invoice["customer"], "customer")
    before_customer = copy.deepcopy(customer)
    starting_balance = customer["balance"]
    net = invoice["total"] + starting_balance
    amount_due = max(0, net)
    ending_balance = min(0, net)
    sequence = customer["next_invoice_sequence"]
    customer["next_invoice_sequence"] = sequence + 1
    customer["balance"] = ending_balance
    if customer["currency"] is None:
        customer["currency"] = invoice["currency"]
    sb.store.save(customer)
    if customer["balance"] != before_customer["balance"]:
        sb.events.emit_update(customer, before_customer, "customer.updated")
    moment = clock.now()
    invoice.update(
        status="open",
        number=f"{customer['invoice_prefix']}-{sequence:04d}",
        starting_balance=starting_balance,
        ending_balance=ending_balance,
        amount_due=amount_due,
        amount_remaining=amount_due,
        effective_at=moment,
        hosted_invoice_url=f"{invoice['_base_url']}/i/{invoice['id']}",
        invoice_pdf=f"{invoice['_base_url']}/i/{invoice['id']}/pdf",
        next_payment_attempt=moment if amount_due > 0 else None,
    )
    invoice["status_transitions"]["finalized_at"] = moment
    sb.store.save(invoice)
    sb.events.emit("invoice.finalized", invoice)
    return invoice


def attempt_payment(sb: Sandbox, invoice: dict, payment_method_id: Optional[str], on_session: bool) -> bool:
    """Charges the open invoice; emits paid+payment_succeeded or payment_failed. True if paid."""
    moment = clock.now()
    if invoice["amount_due"] == 0:
        return _mark_paid(sb, invoice, moment, attempted=False)
    payment_method = sb.store.get(payment_method_id, "payment_method") if payment_method_id else None
    decline_code = "no_payment_method"
    if payment_method is not None:
        card = cards.TEST_CARDS[payment_method["_card_number"]]
        decline_code = None if on_session and card.fails_after_attach else cards.charge_outcome(card)
    invoice["attempt_count"] += 1
    invoice["attempted"] = True
    if decline_code is None:
        return _mark_paid(sb, invoice, moment, attempted=True)
    invoice["next_payment_attempt"] = moment + RETRY_HINT_SECONDS if invoice["auto_advance"] else None
    invoice["_last_decline_code"] = decline_code
    sb.store.save(invoice)
    sb.events.emit("invoice.payment_failed", invoice)
    return False


def decline_error(invoice: dict):
    decline_code = invoice.get("_last_decline_code") or "generic_decline"
    if decline_code == "no_payment_method":
        return invalid_request("This invoice has no payment method to charge.", code="invoice_no_payment_method_types")
    return cards.declined(decline_code)


def _mark_paid(sb: Sandbox, invoice: dict, moment: int, attempted: bool) -> bool:
    invoice.update(status="paid", amount_paid=invoice["amount_due"], amount_remaining=0,
                   next_payment_attempt=None)
    invoice["attempted"] = invoice["attempted"] or attempted
    invoice["status_transitions"]["paid_at"] = moment
    sb.store.save(invoice)
    sb.events.emit("invoice.paid", invoice)
    sb.events.emit("invoice.payment_succeeded", invoice)
    return True


def stop_collection(sb: Sandbox, invoice: dict) -> None:
    """After a subscription is canceled Stripe leaves its open invoices open but stops retrying."""
    if invoice["status"] == "open" and invoice["auto_advance"]:
        invoice.update(auto_advance=False, next_payment_attempt=None)
        sb.store.save(invoice)


def invoices_for(sb: Sandbox, customer: Optional[str] = None, subscription: Optional[str] = None,
                 status: Optional[str] = None) -> list[dict]:
    result = []
    for invoice in sb.store.all_of("invoice"):
        linked = (invoice.get("parent") or {}).get("subscription_details") or {}
        if customer and invoice["customer"] != customer:
            continue
        if subscription and linked.get("subscription") != subscription:
            continue
        if status and invoice["status"] != status:
            continue
        result.append(invoice)
    return result
