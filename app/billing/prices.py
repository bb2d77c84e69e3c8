"""Stripe products and monthly prices for the catalog's packages, found or created by lookup key.

A Stripe price's amount can't change, so when a package's configured price
changes a new price is created and the lookup key moves to it
(`transfer_lookup_key`); subscribers on the old price keep paying it until
they change package.
"""
from __future__ import annotations

import threading
import time
from decimal import Decimal

import stripe
from flask import current_app

from app.billing.gateway import StripeRejected, as_dict, client, request_options, translated_errors
from app.packages.catalog import PACKAGES, PackageDefinition, get_package

CURRENCY = "usd"
INTERVAL = "month"
# Prices rarely change; looking them up once every few minutes is plenty.
CACHE_SECONDS = 300

_cache: dict[tuple, tuple[float, dict[str, dict]]] = {}
_cache_lock = threading.Lock()


def lookup_key(package_slug: str) -> str:
    return f"alphasite_{package_slug}_monthly"


def product_id(package_slug: str) -> str:
    # Stripe accepts our own product ids, which makes "find or create" a plain retrieve.
    return f"alphasite_{package_slug}"


def amount_in_cents(package: PackageDefinition) -> int:
    return int((package.monthly_price() * 100).to_integral_value())


def package_for_price(price: dict) -> str | None:
    """Which package a Stripe price bills for: its metadata, or failing that its lookup key."""
    slug = (price.get("metadata") or {}).get("package")
    if slug and get_package(slug):
        return slug
    key = price.get("lookup_key") or ""
    if key.startswith("alphasite_") and key.endswith("_monthly"):
        slug = key[len("alphasite_"):-len("_monthly")]
        return slug if get_package(slug) else None
    return None


def catalog_prices(force: bool = False) -> dict[str, dict]:
    """{package slug: Stripe price} for every package, creating what is missing."""
    amounts = tuple((p.slug, amount_in_cents(p)) for p in PACKAGES)
    cache_key = (current_app.config["STRIPE_API_BASE"], current_app.config["STRIPE_SECRET_KEY"], amounts)
    with _cache_lock:
        cached = _cache.get(cache_key)
        if cached and not force and cached[0] > time.monotonic():
            return cached[1]
    prices = _sync_prices()
    with _cache_lock:
        _cache[cache_key] = (time.monotonic() + CACHE_SECONDS, prices)
    return prices


def price_for(package_slug: str) -> dict:
    return catalog_prices()[package_slug]


def forget_cached_prices() -> None:
    with _cache_lock:
        _cache.clear()


def _sync_prices() -> dict[str, dict]:
    stripe_client = client()
    with translated_errors():
        listed = stripe_client.v1.prices.list(
            params={"lookup_keys": [lookup_key(p.slug) for p in PACKAGES], "active": True, "limit": 100}
        )
    by_lookup_key = {price["lookup_key"]: price for price in as_dict(listed)["data"]}
    result = {}
    for package in PACKAGES:
        existing = by_lookup_key.get(lookup_key(package.slug))
        if existing and _bills_like(existing, amount_in_cents(package)):
            result[package.slug] = existing
            continue
        result[package.slug] = _create_price(stripe_client, package, replacing=existing)
    return result


def _bills_like(price: dict, cents: int) -> bool:
    recurring = price.get("recurring") or {}
    return (
        price.get("unit_amount") == cents
        and price.get("currency") == CURRENCY
        and recurring.get("interval") == INTERVAL
        and recurring.get("interval_count", 1) == 1
    )


def _create_price(stripe_client: stripe.StripeClient, package: PackageDefinition, replacing: dict | None) -> dict:
    product = replacing["product"] if replacing else _ensure_product(stripe_client, package)
    if isinstance(product, dict):
        product = product["id"]
    cents = amount_in_cents(package)
    params = {
        "product": product,
        "unit_amount": cents,
        "currency": CURRENCY,
        "recurring": {"interval": INTERVAL},
        "lookup_key": lookup_key(package.slug),
        "transfer_lookup_key": True,
        "nickname": f"{package.name} monthly",
        "metadata": {"package": package.slug},
    }
    # Keyed on what is being replaced, so a price that goes 49 -> 59 -> 49 gets a fresh price each time.
    key = f"alphasite-price:{package.slug}:{cents}:{replacing['id'] if replacing else 'first'}"
    with translated_errors():
        created = stripe_client.v1.prices.create(params=params, options=request_options(key))
    current_app.logger.info(
        "Stripe price %s created for %s at %s %s", created["id"], package.slug, Decimal(cents) / 100, CURRENCY
    )
    return as_dict(created)


def _ensure_product(stripe_client: stripe.StripeClient, package: PackageDefinition) -> str:
    wanted_id = product_id(package.slug)
    try:
        with translated_errors():
            return stripe_client.v1.products.retrieve(wanted_id)["id"]
    except StripeRejected as rejected:
        if rejected.code != "resource_missing":
            raise
    with translated_errors():
        created = stripe_client.v1.products.create(
            params={
                "id": wanted_id,
                "name": package.name,
                "description": package.description,
                "metadata": {"package": package.slug},
            },
            options=request_options(f"alphasite-product:{package.slug}"),
        )
    return created["id"]
