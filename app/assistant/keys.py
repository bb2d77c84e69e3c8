"""The organization key of each business: stored only encrypted (app.encryption)."""
from __future__ import annotations

import hashlib

from sqlalchemy import select

from app.encryption import decrypt, encrypt, reencrypt
from app.extensions import db
from app.fourcalls.errors import NotProvisioned


def store_organization_key(integration, plaintext: str) -> None:
    """Keep `plaintext` encrypted on the integration (the caller commits)."""
    integration.api_key = encrypt(plaintext)


def organization_key(integration) -> str:
    """The decrypted key; NotProvisioned when there is none yet."""
    if integration is None or not integration.api_key:
        raise NotProvisioned("no 4calls organization key is stored for this business")
    return decrypt(integration.api_key)


def key_fingerprint(integration) -> str:
    """A short, non-reversible label of the stored key ("none" without one),
    used to derive idempotency keys for replacing it."""
    if integration is None or not integration.api_key:
        return "none"
    return hashlib.sha256(organization_key(integration).encode()).hexdigest()[:16]


def rotate_encryption() -> int:
    """Re-encrypt every stored organization key under the newest ENCRYPTION_KEYS
    entry, in one transaction. Returns how many were rewritten."""
    from app.models import FourCallsIntegration

    rows = db.session.scalars(select(FourCallsIntegration).where(FourCallsIntegration.api_key != "")).all()
    for row in rows:
        row.api_key = reencrypt(row.api_key)
    db.session.commit()
    return len(rows)
