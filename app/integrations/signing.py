"""How outgoing webhook deliveries are signed (documented in
docs/webhooks.md; receivers verify with the same few lines).

    AlphaSite-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>

The HMAC key is the endpoint's signing secret (the whole `whsec_...`
string, UTF-8), the message is `<t>.<raw body>`. Including the timestamp
lets a receiver refuse replays older than a few minutes.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets

SIGNATURE_HEADER = "AlphaSite-Signature"
SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    message = str(int(timestamp)).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    return f"t={int(timestamp)},v1={signature(secret, timestamp, body)}"
