"""API tokens: created and revoked by the owner, shown once, stored as a
SHA-256 hash (a token is 32 random bytes, so a fast hash is enough; there
is nothing to brute-force)."""
from __future__ import annotations

import hashlib
import secrets
import uuid

from sqlalchemy import select

from app.audit.services import record
from app.extensions import db
from app.models import ApiToken, Business, TokenScope
from app.models.base import utcnow
from app.web import parse_uuid

TOKEN_PREFIX = "as_live_"
MAX_ACTIVE_TOKENS = 20


class TokenError(ValueError):
    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def tokens_of(business: Business) -> list[ApiToken]:
    return db.session.scalars(select(ApiToken).where(ApiToken.business_id == business.id)
                              .order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc())).all()


def create_token(business: Business, actor, name: str, scope: str) -> tuple[ApiToken, str]:
    """The token row and the token itself, which is never stored or shown again."""
    errors = {}
    name = " ".join((name or "").split())
    if not name:
        errors["name"] = "Name the token after what will use it, e.g. “Zapier”."
    elif len(name) > 80:
        errors["name"] = "Keep the name under 80 characters."
    if scope not in TokenScope.LABELS:
        errors["scope"] = "Choose read only or read and write."
    active = sum(1 for t in tokens_of(business) if t.active)
    if active >= MAX_ACTIVE_TOKENS:
        errors["name"] = f"A business can have {MAX_ACTIVE_TOKENS} active tokens; revoke one first."
    if errors:
        raise TokenError(errors)
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(id=uuid.uuid4(), business_id=business.id, name=name, scope=scope, prefix=raw[:14],
                     token_hash=hash_token(raw), created_by_id=getattr(actor, "id", None))
    db.session.add(token)
    record("api_token.created", business=business, actor=actor, target_type="api_token", target_id=token.id,
           target_label=name, after={"scope": scope})
    db.session.commit()
    return token, raw


def get_token(business: Business, token_id) -> ApiToken | None:
    key = parse_uuid(token_id)
    token = db.session.get(ApiToken, key) if key else None
    return token if token is not None and token.business_id == business.id else None


def revoke_token(business: Business, token: ApiToken, actor) -> None:
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        record("api_token.revoked", business=business, actor=actor, target_type="api_token",
               target_id=token.id, target_label=token.name)
        db.session.commit()


def authenticate(raw: str | None) -> ApiToken | None:
    """The active token for a presented secret, or None."""
    if not raw or not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(raw)))
    if token is None or token.revoked_at is not None:
        return None
    return token
