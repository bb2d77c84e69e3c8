"""Bearer-key authentication and organization scoping.

Organization keys are stored only as SHA-256 hashes. Anything outside the
caller's organization answers 404 so ids cannot be probed.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from flask import g

from .errors import ApiError, not_found
from .runtime import runtime

ORG_KEY_PREFIX = "fc_org_"


@dataclass(frozen=True)
class Principal:
    organization_id: str | None  # None means the platform key

    @property
    def is_platform(self) -> bool:
        return self.organization_id is None

    @property
    def scope(self) -> str:
        return self.organization_id or "platform"


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def display_prefix(key: str) -> str:
    return key[: len(ORG_KEY_PREFIX) + 4]


def authenticate(authorization: str | None) -> Principal:
    scheme, _, key = (authorization or "").partition(" ")
    key = key.strip()
    if scheme.lower() != "bearer" or not key:
        raise ApiError("unauthorized", "Send Authorization: Bearer <api key>.")
    if hmac.compare_digest(key.encode(), runtime().options.platform_key.encode()):
        return Principal(None)
    row = runtime().store.rows(
        "SELECT organization_id FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL",
        (hash_key(key),))
    if not row:
        raise ApiError("unauthorized", "The API key is invalid or has been revoked.")
    return Principal(row[0]["organization_id"])


def current_principal() -> Principal:
    return g.principal


def require_platform() -> None:
    if not current_principal().is_platform:
        raise ApiError("forbidden", "This operation needs the platform API key.")


def can_see(organization_id: str) -> bool:
    caller = current_principal()
    return caller.is_platform or caller.organization_id == organization_id


def visible_org(org_id: str) -> dict:
    org = runtime().store.get("organizations", org_id) if can_see(org_id) else None
    if org is None:
        raise not_found("organization")
    return org


def visible(kind: str, resource_id: str, what: str, org_id: str | None = None) -> dict:
    """A resource the caller may see, optionally also required to belong to org_id."""
    doc = runtime().store.get(kind, resource_id)
    if doc is None or not can_see(doc["organization_id"]):
        raise not_found(what)
    if org_id is not None and doc["organization_id"] != org_id:
        raise not_found(what)
    return doc


def issue_org_key(org_id: str) -> dict:
    """Create a new key for the organization and revoke any earlier one (call in a transaction)."""
    store = runtime().store
    key = ORG_KEY_PREFIX + secrets.token_urlsafe(24)
    created_at = store.stamp()
    with store.transaction() as conn:
        conn.execute("UPDATE api_keys SET revoked_at = ? WHERE organization_id = ? AND revoked_at IS NULL",
                     (created_at, org_id))
        conn.execute("INSERT INTO api_keys (key_hash, organization_id, prefix, created_at) VALUES (?, ?, ?, ?)",
                     (hash_key(key), org_id, display_prefix(key), created_at))
    return {"organization_id": org_id, "api_key": key, "api_key_prefix": display_prefix(key),
            "created_at": created_at}
