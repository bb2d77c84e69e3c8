"""Checkout Sessions in subscription mode: creation, payment on the hosted page, expiry."""

from __future__ import annotations

from typing import Optional

from . import cards, clock, shapes, subscriptions, invoicing
from .errors import invalid_request, missing_param, no_such
from .ids import new_id
from .params import apply_metadata, as_dict, as_int, as_list, as_str, check_known
from .render import INCLUDABLES
from .services import Sandbox
from .store import Store

SESSION_LIFETIME = 24 * 3600
# Every top-level parameter Stripe accepts; the ones the sandbox doesn't model are accepted and ignored.
CREATE_PARAMS = (
    "adaptive_pricing", "after_expiration", "allow_promotion_codes", "allowed_payment_method_types",
    "automatic_tax", "billing_address_collection", "branding_settings", "cancel_url", "client_reference_id",
    "consent_collection", "currency", "custom_fields", "custom_text", "customer", "customer_account",
    "customer_creation", "customer_email", "customer_update", "discounts", "excluded_payment_method_types",
    "expires_at", "integration_identifier", "invoice_creation", "line_items", "locale", "managed_payments",
    "metadata", "mode", "name_collection", "optional_items", "origin_context", "payment_intent_data",
    "payment_method_collection", "payment_method_configuration", "payment_method_data",
    "payment_method_options", "payment_method_types", "permissions", "phone_number_collection",
    "redirect_on_completion", "return_url", "saved_payment_method_options", "setup_intent_data",
    "shipping_address_collection", "shipping_options", "submit_type", "subscription_data", "success_url",
    "tax_id_collection", "ui_mode", "wallet_options",
)


class CheckoutUnavailable(Exception):
    """The session can no longer be paid (completed or expired)."""


def _line_items_param(sb: Sandbox, params: dict) -> list[tuple[dict, int]]:
    raw = as_list(params.get("line_items"), "line_items")
    if not raw:
        raise missing_param("line_items")
    result = []
    for index, entry in enumerate(raw):
        entry = as_dict(entry, f"line_items[{index}]")
        if "price_data" in entry:
            raise invalid_request("The sandbox supports `price`, not `price_data`, in line_items.",
                                  f"line_items[{index}][price_data]")
        price_id = entry.get("price")
        if not price_id:
            raise missing_param(f"line_items[{index}][price]")
        if "quantity" not in entry:
            raise missing_param(f"line_items[{index}][quantity]")
        price_obj = sb.store.get(price_id, "price")
        if price_obj is None:
            raise no_such(price_id, f"line_items[{index}][price]", "price")
        if not price_obj["active"]:
            raise invalid_request(f"The price `{price_id}` is not active.", f"line_items[{index}][price]")
        result.append((price_obj, as_int(entry["quantity"], f"line_items[{index}][quantity]", 1)))
    if not any(price_obj["type"] == "recurring" for price_obj, _ in result):
        raise invalid_request("You must provide at least one recurring price in `subscription` mode when "
                              "using prices.", "line_items")
    if any(price_obj["type"] != "recurring" for price_obj, _ in result):
        raise invalid_request("The sandbox supports only recurring prices in `subscription` mode.", "line_items")
    if len({price_obj["currency"] for price_obj, _ in result}) > 1:
        raise invalid_request("All prices must use the same currency.", "line_items")
    return result


def create_session(sb: Sandbox, params: dict) -> dict:
    check_known(params, CREATE_PARAMS)
    mode = params.get("mode")
    if not mode:
        raise missing_param("mode")
    if mode != "subscription":
        raise invalid_request("The sandbox supports only `mode=subscription`.", "mode")
    customer_id = as_str(params, "customer")
    customer_email = as_str(params, "customer_email")
    if customer_id and customer_email:
        raise invalid_request("You may only specify one of these parameters: customer, customer_email.",
                              "customer_email")
    if customer_id and sb.store.get(customer_id, "customer") is None:
        raise no_such(customer_id, "customer", "customer")
    line_items = _line_items_param(sb, params)
    subscription_data = as_dict(params.get("subscription_data"), "subscription_data")
    check_known(subscription_data, ("metadata", "description", "billing_cycle_anchor", "trial_period_days",
                                    "trial_end", "default_tax_rates", "proration_behavior",
                                    "application_fee_percent", "invoice_settings", "on_behalf_of",
                                    "transfer_data", "trial_settings", "billing_mode", "pending_invoice_item_interval"))
    if "trial_period_days" in subscription_data or "trial_end" in subscription_data:
        raise invalid_request("The sandbox does not model trials.", "subscription_data[trial_period_days]")
    created = clock.now()
    expires_at = as_int(params["expires_at"], "expires_at") if "expires_at" in params else created + SESSION_LIFETIME
    session_id = new_id("cs_test")
    amount = sum(price_obj["unit_amount"] * quantity for price_obj, quantity in line_items)
    session = {
        "id": session_id,
        "object": "checkout.session",
        "adaptive_pricing": {"enabled": False},
        "after_expiration": None,
        "allow_promotion_codes": None,
        "allowed_payment_method_types": None,
        "amount_subtotal": amount,
        "amount_total": amount,
        "automatic_tax": {"enabled": False, "liability": None, "provider": None, "status": None},
        "billing_address_collection": None,
        "branding_settings": None,
        "cancel_url": as_str(params, "cancel_url"),
        "client_reference_id": as_str(params, "client_reference_id"),
        "client_secret": None,
        "collected_information": None,
        "consent": None,
        "consent_collection": None,
        "created": created,
        "currency": line_items[0][0]["currency"],
        "currency_conversion": None,
        "custom_fields": [],
        "custom_text": {"after_submit": None, "shipping_address": None, "submit": None,
                        "terms_of_service_acceptance": None},
        "customer": customer_id,
        "customer_account": None,
        "customer_creation": None if customer_id else "always",
        "customer_details": None,
        "customer_email": customer_email,
        "discounts": [],
        "excluded_payment_method_types": None,
        "expires_at": expires_at,
        "integration_identifier": as_str(params, "integration_identifier"),
        "invoice": None,
        "invoice_creation": None,
        "livemode": False,
        "locale": as_str(params, "locale"),
        "managed_payments": None,
        "metadata": apply_metadata({}, params.get("metadata")),
        "mode": mode,
        "name_collection": None,
        "optional_items": None,
        "origin_context": None,
        "payment_intent": None,
        "payment_link": None,
        "payment_method_collection": "always",
        "payment_method_configuration_details": None,
        "payment_method_options": {"card": {"request_three_d_secure": "automatic"}},
        "payment_method_types": ["card"],
        "payment_status": "unpaid",
        "permissions": None,
        "phone_number_collection": {"enabled": False},
        "presentment_details": None,
        "recovered_from": None,
        "redirect_on_completion": None,
        "return_url": None,
        "saved_payment_method_options": None,
        "setup_intent": None,
        "shipping_address_collection": None,
        "shipping_cost": None,
        "shipping_options": [],
        "status": "open",
        "submit_type": None,
        "subscription": None,
        "success_url": as_str(params, "success_url"),
        "tax_id_collection": {"enabled": False, "required": "never"},
        "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
        "ui_mode": "hosted_page",
        "url": f"{sb.config.base_url}/c/pay/{session_id}",
        "wallet_options": None,
        "_line_items": [{"price": price_obj["id"], "quantity": quantity} for price_obj, quantity in line_items],
        "_subscription_metadata": apply_metadata({}, subscription_data.get("metadata"),
                                                 "subscription_data[metadata]"),
    }
    sb.store.save(session)
    return session


def load(sb: Sandbox, session_id: str, param: str = "session") -> dict:
    session = sb.store.get(session_id, "checkout.session")
    if session is None:
        raise no_such(session_id, param, "checkout.session")
    return expire_if_due(sb, session)


def expire_if_due(sb: Sandbox, session: dict, force: bool = False) -> dict:
    if session["status"] == "open" and (force or clock.now() >= session["expires_at"]):
        session["status"] = "expired"
        session["url"] = None
        sb.store.save(session)
        sb.events.emit("checkout.session.expired", session)
    return session


def line_items(store: Store, session: dict) -> dict:
    items = []
    for entry in session["_line_items"]:
        price_obj = store.get(entry["price"], "price")
        product = store.get(price_obj["product"], "product") or {}
        amount = price_obj["unit_amount"] * entry["quantity"]
        items.append({
            "id": "li_" + session["id"][-24:] + str(len(items)),
            "object": "item",
            "amount_discount": 0,
            "amount_subtotal": amount,
            "amount_tax": 0,
            "amount_total": amount,
            "currency": price_obj["currency"],
            "description": product.get("name"),
            "metadata": {},
            "price": price_obj,
            "quantity": entry["quantity"],
        })
    return shapes.list_object(items, f"/v1/checkout/sessions/{session['id']}/line_items")


INCLUDABLES[("checkout.session", "line_items")] = line_items


def success_redirect(session: dict) -> Optional[str]:
    url = session["success_url"]
    return url.replace("{CHECKOUT_SESSION_ID}", session["id"]) if url else None


def complete(sb: Sandbox, session_id: str, card_number: str, email: Optional[str],
             expiry: Optional[str] = None, cvc: Optional[str] = None) -> dict:
    """What submitting the hosted page does. Raises a card error before creating anything."""
    load(sb, session_id)  # lets a due expiry commit before any error below rolls back
    with sb.store.transaction():
        session = load(sb, session_id)
        if session["status"] != "open":
            raise CheckoutUnavailable(session["status"])
        customer = sb.store.get(session["customer"], "customer") if session["customer"] else None
        email = (email or "").strip() or session["customer_email"] or (customer or {}).get("email")
        if not email or "@" not in email:
            raise invalid_request("Your email address is incomplete.", "email", "email_invalid")
        cards.check_card_for_checkout(card_number, expiry, cvc)
        if customer is None:
            customer = shapes.customer(email, None, {})
            sb.store.save(customer)
            sb.events.emit("customer.created", customer)
        number = cards.normalize_number(card_number)
        payment_method = shapes.payment_method(cards.card_details(number, expiry), customer["id"], email, number)
        # Like Checkout, the card becomes the subscription's default, not the customer's.
        sb.store.save(payment_method)

        prices = [(sb.store.get(entry["price"], "price"), entry["quantity"]) for entry in session["_line_items"]]
        sub, invoice = subscriptions.create_for_checkout(sb, customer, payment_method["id"], prices,
                                                         session["_subscription_metadata"])
        invoicing.finalize(sb, invoice)
        invoicing.attempt_payment(sb, invoice, payment_method["id"], on_session=True)
        subscriptions.mark_active(sb, sub)

        session.update(
            status="complete",
            payment_status="paid",
            customer=customer["id"],
            subscription=sub["id"],
            url=None,
            customer_details={"address": None, "business_name": None, "email": email, "individual_name": None,
                              "name": customer.get("name"), "phone": None, "tax_exempt": "none", "tax_ids": []},
        )
        sb.store.save(session)
        sb.events.emit("checkout.session.completed", session)
        return session
