"""Stripe-style identifiers: a type prefix plus random base62 characters."""

from __future__ import annotations

import secrets
import string

_ALPHABET = string.ascii_letters + string.digits

# Lengths roughly match what real Stripe hands out, so code that stores ids in
# fixed-size columns meets realistic values.
_LENGTHS = {
    "cs_test": 58,
    "cus": 14,
    "prod": 14,
    "req": 14,
    "si": 14,
}


def new_id(prefix: str) -> str:
    length = _LENGTHS.get(prefix, 24)
    return f"{prefix}_" + "".join(secrets.choice(_ALPHABET) for _ in range(length))


def invoice_prefix() -> str:
    return "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(8))
