"""/v1 products, prices, customers and payment methods."""

from __future__ import annotations

import copy

from . import clock, shapes
from .errors import invalid_request, missing_param, no_such
from .params import apply_metadata, as_bool, as_dict, as_int, as_list, as_str, check_known
from .render import paginate, respond_object
from .v1 import json_response, params, sandbox, v1

PRODUCT_PARAMS = ("name", "id", "active", "description", "metadata", "default_price_data", "images",
                  "marketing_features", "package_dimensions", "shippable", "statement_descriptor", "tax_code",
                  "unit_label", "url", "tax_details")
PRICE_PARAMS = ("currency", "product", "product_data", "unit_amount", "unit_amount_decimal", "recurring",
                "lookup_key", "transfer_lookup_key", "nickname", "active", "metadata", "tax_behavior",
                "billing_scheme", "currency_options", "custom_unit_amount", "tiers", "tiers_mode",
                "transform_quantity")
CUSTOMER_PARAMS = ("email", "name", "metadata", "description", "phone", "address", "shipping",
                   "invoice_settings", "preferred_locales", "tax_exempt", "payment_method", "balance",
                   "business_name", "individual_name", "invoice_prefix", "next_invoice_sequence", "source",
                   "tax", "tax_id_data", "test_clock", "cash_balance", "coupon", "promotion_code")


def _load(object_id: str, object_type: str, param: str = "id") -> dict:
    obj = sandbox().store.get(object_id, object_type)
    if obj is None:
        raise no_such(object_id, param, object_type)
    return obj


def _reply(obj: dict):
    return json_response(respond_object(sandbox().store, obj, params()))


# --- Products ------------------------------------------------------------------

@v1.post("/products")
def create_product():
    p = params()
    check_known(p, PRODUCT_PARAMS)
    name = as_str(p, "name")
    if not name:
        raise missing_param("name")
    sb = sandbox()
    with sb.store.transaction():
        if p.get("id") and sb.store.get(p["id"]) is not None:
            raise invalid_request("Product already exists.", "id", "resource_already_exists")
        product = shapes.product(name, product_id=as_str(p, "id"),
                                 active=as_bool(p.get("active", "true"), "active"),
                                 description=as_str(p, "description"),
                                 metadata=apply_metadata({}, p.get("metadata")))
        sb.store.save(product)
        sb.events.emit("product.created", product)
    return _reply(product)


@v1.get("/products/<product_id>")
def retrieve_product(product_id):
    return _reply(_load(product_id, "product"))


@v1.post("/products/<product_id>")
def update_product(product_id):
    p = params()
    check_known(p, PRODUCT_PARAMS + ("default_price",))
    sb = sandbox()
    with sb.store.transaction():
        product = _load(product_id, "product")
        before = copy.deepcopy(product)
        for key in ("name", "description"):
            if key in p:
                product[key] = as_str(p, key) or (None if key == "description" else product[key])
        if "active" in p:
            product["active"] = as_bool(p["active"], "active")
        if "default_price" in p:
            product["default_price"] = _load(p["default_price"], "price", "default_price")["id"]
        product["metadata"] = apply_metadata(product["metadata"], p.get("metadata"))
        product["updated"] = clock.now()
        sb.store.save(product)
        sb.events.emit_update(product, before, "product.updated")
    return _reply(product)


@v1.get("/products")
def list_products():
    p = params()
    items = sandbox().store.all_of("product")
    if "active" in p:
        active = as_bool(p["active"], "active")
        items = [product for product in items if product["active"] == active]
    if "ids" in p:
        wanted = set(as_list(p["ids"], "ids"))
        items = [product for product in items if product["id"] in wanted]
    return json_response(paginate(sandbox().store, items, p, "/v1/products"))


# --- Prices --------------------------------------------------------------------

def _claim_lookup_key(lookup_key: str, transfer: bool, exclude_id: str = "") -> None:
    sb = sandbox()
    for other in sb.store.all_of("price"):
        if other["lookup_key"] == lookup_key and other["id"] != exclude_id:
            if not transfer:
                raise invalid_request(
                    f"A price (`{other['id']}`) already uses that lookup key.", "lookup_key")
            before = copy.deepcopy(other)
            other["lookup_key"] = None
            sb.store.save(other)
            sb.events.emit_update(other, before, "price.updated")


@v1.post("/prices")
def create_price():
    p = params()
    check_known(p, PRICE_PARAMS)
    currency = as_str(p, "currency")
    if not currency:
        raise missing_param("currency")
    if "unit_amount" not in p:
        raise invalid_request("The sandbox needs `unit_amount` on prices.", "unit_amount")
    unit_amount = as_int(p["unit_amount"], "unit_amount", minimum=0)
    recurring = None
    if "recurring" in p:
        recurring_param = as_dict(p["recurring"], "recurring")
        interval = recurring_param.get("interval")
        if interval not in ("day", "week", "month", "year"):
            raise invalid_request("Invalid recurring[interval]: must be one of day, week, month, or year",
                                  "recurring[interval]")
        recurring = {"interval": interval,
                     "interval_count": as_int(recurring_param.get("interval_count", 1),
                                              "recurring[interval_count]", minimum=1)}
    sb = sandbox()
    with sb.store.transaction():
        if p.get("product") and p.get("product_data"):
            raise invalid_request("You may only specify one of these parameters: product, product_data.",
                                  "product_data")
        if p.get("product"):
            product = _load(p["product"], "product", "product")
        elif p.get("product_data"):
            product_data = as_dict(p["product_data"], "product_data")
            if not product_data.get("name"):
                raise missing_param("product_data[name]")
            product = shapes.product(product_data["name"], product_id=product_data.get("id"),
                                     metadata=apply_metadata({}, product_data.get("metadata"),
                                                             "product_data[metadata]"))
            sb.store.save(product)
            sb.events.emit("product.created", product)
        else:
            raise missing_param("product")
        lookup_key = as_str(p, "lookup_key")
        if lookup_key:
            _claim_lookup_key(lookup_key, as_bool(p.get("transfer_lookup_key", "false"), "transfer_lookup_key"))
        price = shapes.price(product["id"], unit_amount, currency.lower(), recurring=recurring,
                             lookup_key=lookup_key, nickname=as_str(p, "nickname"),
                             active=as_bool(p.get("active", "true"), "active"),
                             metadata=apply_metadata({}, p.get("metadata")))
        sb.store.save(price)
        sb.events.emit("price.created", price)
    return _reply(price)


@v1.get("/prices/<price_id>")
def retrieve_price(price_id):
    return _reply(_load(price_id, "price"))


@v1.post("/prices/<price_id>")
def update_price(price_id):
    p = params()
    check_known(p, ("active", "lookup_key", "transfer_lookup_key", "metadata", "nickname", "tax_behavior",
                    "currency_options"))
    sb = sandbox()
    with sb.store.transaction():
        price = _load(price_id, "price")
        before = copy.deepcopy(price)
        if "active" in p:
            price["active"] = as_bool(p["active"], "active")
        if "nickname" in p:
            price["nickname"] = as_str(p, "nickname") or None
        if "lookup_key" in p:
            lookup_key = as_str(p, "lookup_key") or None
            if lookup_key:
                _claim_lookup_key(lookup_key, as_bool(p.get("transfer_lookup_key", "false"),
                                                      "transfer_lookup_key"), exclude_id=price_id)
            price["lookup_key"] = lookup_key
        price["metadata"] = apply_metadata(price["metadata"], p.get("metadata"))
        sb.store.save(price)
        sb.events.emit_update(price, before, "price.updated")
    return _reply(price)


@v1.get("/prices")
def list_prices():
    p = params()
    items = sandbox().store.all_of("price")
    if "active" in p:
        active = as_bool(p["active"], "active")
        items = [price for price in items if price["active"] == active]
    if "lookup_keys" in p:
        keys = as_list(p["lookup_keys"], "lookup_keys")
        if len(keys) > 10:
            raise invalid_request("You may pass at most 10 lookup keys.", "lookup_keys")
        items = [price for price in items if price["lookup_key"] in keys]
    if "product" in p:
        items = [price for price in items if price["product"] == p["product"]]
    if "type" in p:
        items = [price for price in items if price["type"] == p["type"]]
    if "currency" in p:
        items = [price for price in items if price["currency"] == str(p["currency"]).lower()]
    return json_response(paginate(sandbox().store, items, p, "/v1/prices"))


# --- Customers -----------------------------------------------------------------

@v1.post("/customers")
def create_customer():
    p = params()
    check_known(p, CUSTOMER_PARAMS)
    sb = sandbox()
    with sb.store.transaction():
        customer = shapes.customer(as_str(p, "email"), as_str(p, "name"), apply_metadata({}, p.get("metadata")),
                                   as_str(p, "description"), as_str(p, "phone"))
        sb.store.save(customer)
        sb.events.emit("customer.created", customer)
    return _reply(customer)


@v1.get("/customers/<customer_id>")
def retrieve_customer(customer_id):
    return _reply(_load(customer_id, "customer"))


@v1.post("/customers/<customer_id>")
def update_customer(customer_id):
    p = params()
    check_known(p, CUSTOMER_PARAMS + ("default_source",))
    sb = sandbox()
    with sb.store.transaction():
        customer = _load(customer_id, "customer")
        before = copy.deepcopy(customer)
        for key in ("email", "name", "description", "phone"):
            if key in p:
                customer[key] = as_str(p, key) or None
        customer["metadata"] = apply_metadata(customer["metadata"], p.get("metadata"))
        settings = as_dict(p.get("invoice_settings"), "invoice_settings")
        if "default_payment_method" in settings:
            pm_id = settings["default_payment_method"] or None
            if pm_id:
                payment_method = _load(pm_id, "payment_method", "invoice_settings[default_payment_method]")
                if payment_method["customer"] != customer_id:
                    raise invalid_request("The payment method must be attached to the customer.",
                                          "invoice_settings[default_payment_method]")
            customer["invoice_settings"]["default_payment_method"] = pm_id
        sb.store.save(customer)
        sb.events.emit_update(customer, before, "customer.updated")
    return _reply(customer)


@v1.get("/customers")
def list_customers():
    p = params()
    items = sandbox().store.all_of("customer")
    if "email" in p:
        # Stripe's email filter is an exact, case-sensitive match.
        items = [customer for customer in items if customer["email"] == p["email"]]
    return json_response(paginate(sandbox().store, items, p, "/v1/customers"))


@v1.get("/payment_methods/<payment_method_id>")
def retrieve_payment_method(payment_method_id):
    return _reply(_load(payment_method_id, "payment_method"))


@v1.get("/customers/<customer_id>/payment_methods")
def list_customer_payment_methods(customer_id):
    _load(customer_id, "customer")
    items = [pm for pm in sandbox().store.all_of("payment_method") if pm["customer"] == customer_id]
    return json_response(paginate(sandbox().store, items, params(),
                                  f"/v1/customers/{customer_id}/payment_methods"))
