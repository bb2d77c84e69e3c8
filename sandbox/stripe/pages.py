"""Hosted pages: Checkout payment page, customer portal, invoice page."""

from __future__ import annotations

from typing import Optional

from flask import Blueprint, abort, current_app, redirect, render_template_string, request, url_for

from . import checkout, clock, invoicing, page_templates, portal, subscriptions
from .errors import StripeApiError
from .services import Sandbox

pages = Blueprint("stripe_pages", __name__)

PORTAL_NOTICES = {
    "switched": "Your plan has been updated.",
    "canceled": "Your subscription will be canceled at the end of the billing period.",
    "renewed": "Your subscription will renew as usual.",
}


def _sandbox() -> Sandbox:
    return current_app.extensions["stripe_sandbox"]


def _render(template: str, status: int = 200, **context):
    sb = _sandbox()
    base = current_app.jinja_env.from_string(page_templates.BASE)
    html = render_template_string(template, base=base, business=sb.config.business_name, **context)
    return html, status, {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"}


def _message(heading: str, text: str, status: int = 200):
    return _render(page_templates.MESSAGE, status, heading=heading, text=text)


# --- Checkout ------------------------------------------------------------------------

def _checkout_page(session: dict, status: int = 200, error: Optional[str] = None, form: Optional[dict] = None):
    sb = _sandbox()
    form = form or {}
    lines = []
    for entry in session["_line_items"]:
        price_obj = sb.store.get(entry["price"], "price")
        recurring = price_obj["recurring"] or {}
        lines.append({
            "name": invoicing.product_name(sb, price_obj),
            "quantity": entry["quantity"],
            "amount": invoicing.money(price_obj["unit_amount"] * entry["quantity"], price_obj["currency"]),
            "cadence": {"month": "monthly", "year": "yearly", "week": "weekly", "day": "daily"}.get(
                recurring.get("interval"), "once"),
            "interval": recurring.get("interval", "month"),
        })
    customer = sb.store.get(session["customer"], "customer") if session["customer"] else None
    prefilled = session["customer_email"] or (customer or {}).get("email") or ""
    unavailable = None
    if session["status"] == "complete":
        unavailable = "This checkout session has already been paid"
    elif session["status"] == "expired":
        unavailable = "This checkout session has expired"
    return _render(
        page_templates.CHECKOUT, status,
        lines=lines,
        interval=lines[0]["interval"],
        total=invoicing.money(session["amount_total"], session["currency"]),
        action=url_for("stripe_pages.pay_checkout", session_id=session["id"]),
        cancel_href=url_for("stripe_pages.cancel_checkout", session_id=session["id"])
        if session["cancel_url"] else None,
        email=form.get("email", prefilled),
        email_locked=bool(customer and customer.get("email")),
        card_number=form.get("card_number", ""),
        exp=form.get("exp", ""),
        cvc=form.get("cvc", ""),
        error=error,
        unavailable=unavailable,
    )


def _load_session_or_404(session_id: str) -> dict:
    try:
        return checkout.load(_sandbox(), session_id)
    except StripeApiError:
        abort(404)


@pages.get("/c/pay/<session_id>")
def show_checkout(session_id):
    return _checkout_page(_load_session_or_404(session_id))


@pages.post("/c/pay/<session_id>")
def pay_checkout(session_id):
    session = _load_session_or_404(session_id)
    form = {key: request.form.get(key, "") for key in ("email", "card_number", "exp", "cvc")}
    try:
        session = checkout.complete(_sandbox(), session_id, form["card_number"], form["email"],
                                    form["exp"], form["cvc"])
    except checkout.CheckoutUnavailable:
        return _checkout_page(checkout.load(_sandbox(), session_id), 409)
    except StripeApiError as error:
        return _checkout_page(session, 402 if error.status == 402 else 400, error.message, form)
    target = checkout.success_redirect(session)
    if target is None:
        target = url_for("stripe_pages.checkout_done", session_id=session_id)
    return redirect(target, 303)


@pages.get("/c/pay/<session_id>/cancel")
def cancel_checkout(session_id):
    session = _load_session_or_404(session_id)
    if not session["cancel_url"]:
        abort(404)
    # Leaving Checkout doesn't expire the session on Stripe either; it stays payable until it expires.
    return redirect(session["cancel_url"], 303)


@pages.get("/c/done/<session_id>")
def checkout_done(session_id):
    _load_session_or_404(session_id)
    return _message("Thanks for subscribing", "Your payment was successful. You can close this page.")


# --- Customer portal -----------------------------------------------------------------

def _portal_session_or_404(session_id: str) -> dict:
    session = portal.load(_sandbox(), session_id)
    if session is None:
        abort(404)
    return session


def _subscription_view(sb: Sandbox, session: dict, sub: dict) -> dict:
    item = sub["items"]["data"][0]
    price_obj = item["price"]
    period_end = item["current_period_end"]
    if sub["cancel_at_period_end"]:
        timeline = f"Cancels on {clock.format_date(period_end)}"
    elif sub["status"] == "past_due":
        timeline = "Your last payment failed. We will retry your card."
    else:
        timeline = f"Renews on {clock.format_date(period_end)}"
    offers = [{
        "id": offer["id"],
        "name": invoicing.product_name(sb, offer),
        "price": invoicing.price_label(offer),
        "current": offer["id"] == price_obj["id"],
    } for offer in portal.offered_prices(sb, sub)]
    return {
        "id": sub["id"],
        "name": invoicing.product_name(sb, price_obj),
        "price": invoicing.price_label(price_obj),
        "status": sub["status"],
        "status_label": "Canceling" if sub["cancel_at_period_end"] else sub["status"].replace("_", " "),
        "timeline": timeline,
        "cancel_at_period_end": sub["cancel_at_period_end"],
        "switchable": sub["status"] in portal.SWITCHABLE_STATUSES and len(sub["items"]["data"]) == 1,
        "offers": offers,
        "switch_action": url_for("stripe_pages.portal_switch", session_id=session["id"], subscription_id=sub["id"]),
        "toggle_action": url_for("stripe_pages.portal_toggle_cancel", session_id=session["id"],
                                 subscription_id=sub["id"]),
    }


def _portal_page(session: dict, status: int = 200, error: Optional[str] = None):
    sb = _sandbox()
    customer = sb.store.get(session["customer"], "customer") or {}
    subs = [_subscription_view(sb, session, sub) for sub in portal.customer_subscriptions(sb, session["customer"])]
    invoices = [{
        "date": clock.format_date(invoice["created"]),
        "number": invoice["number"],
        "amount": invoicing.money(invoice["total"], invoice["currency"]),
        "status": invoice["status"],
        "url": invoice["hosted_invoice_url"],
    } for invoice in invoicing.invoices_for(sb, customer=session["customer"]) if invoice["status"] != "draft"]
    return _render(page_templates.PORTAL, status, subscriptions=subs, invoices=invoices[:12],
                   customer_email=customer.get("email"), customer_id=session["customer"],
                   return_url=session["return_url"], notice=PORTAL_NOTICES.get(request.args.get("notice", "")),
                   error=error)


@pages.get("/p/session/<session_id>")
def show_portal(session_id):
    return _portal_page(_portal_session_or_404(session_id))


@pages.post("/p/session/<session_id>/subscriptions/<subscription_id>/switch")
def portal_switch(session_id, subscription_id):
    session = _portal_session_or_404(session_id)
    try:
        portal.switch_price(_sandbox(), session, subscription_id, request.form.get("price", ""))
    except StripeApiError as error:
        return _portal_page(session, 400, error.message)
    return redirect(url_for("stripe_pages.show_portal", session_id=session_id, notice="switched"), 303)


@pages.post("/p/session/<session_id>/subscriptions/<subscription_id>/toggle-cancel")
def portal_toggle_cancel(session_id, subscription_id):
    session = _portal_session_or_404(session_id)
    sub = _sandbox().store.get(subscription_id, "subscription") or {}
    flag = not sub.get("cancel_at_period_end", False)
    try:
        portal.set_cancel_at_period_end(_sandbox(), session, subscription_id, flag)
    except StripeApiError as error:
        return _portal_page(session, 400, error.message)
    notice = "canceled" if flag else "renewed"
    return redirect(url_for("stripe_pages.show_portal", session_id=session_id, notice=notice), 303)


# --- Hosted invoice ------------------------------------------------------------------

@pages.get("/i/<invoice_id>")
@pages.get("/i/<invoice_id>/pdf")
def show_invoice(invoice_id):
    return _invoice_page(invoice_id)


@pages.post("/i/<invoice_id>")
def pay_invoice(invoice_id):
    form = {key: request.form.get(key, "") for key in ("card_number", "exp", "cvc")}
    try:
        subscriptions.pay_invoice_with_new_card(_sandbox(), invoice_id, form["card_number"], form["exp"], form["cvc"])
    except StripeApiError as error:
        return _invoice_page(invoice_id, 402 if error.status == 402 else 400, error.message, form)
    return redirect(url_for("stripe_pages.show_invoice", invoice_id=invoice_id), 303)


def _invoice_page(invoice_id: str, status: int = 200, error: Optional[str] = None, form: Optional[dict] = None):
    invoice = _sandbox().store.get(invoice_id, "invoice")
    if invoice is None or invoice["status"] == "draft":
        abort(404)
    currency = invoice["currency"]
    lines = [{
        "description": line["description"],
        "period": f"{clock.format_date(line['period']['start'])} – {clock.format_date(line['period']['end'])}",
        "amount": invoicing.money(line["amount"], currency),
    } for line in invoice["lines"]["data"]]
    paid_at = invoice["status_transitions"]["paid_at"]
    return _render(page_templates.INVOICE, status, invoice=invoice, lines=lines, error=error, form=form or {},
                   action=url_for("stripe_pages.pay_invoice", invoice_id=invoice_id),
                   amount_due=invoicing.money(invoice["amount_due"], currency),
                   total=invoicing.money(invoice["total"], currency),
                   amount_paid=invoicing.money(invoice["amount_paid"], currency),
                   issued=clock.format_date(invoice["created"]),
                   paid_on=clock.format_date(paid_at) if paid_at else None)
