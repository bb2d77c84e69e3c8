"""Append to and read the audit log. Callers record inside their own
transaction, so a change and its audit entry commit (or roll back) together."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, select

from app.extensions import db
from app.models import AuditEntry, AuditScope

_MAX_VALUE_CHARS = 2000


def _trim(values: dict | None) -> dict | None:
    # Before/after summaries, not copies of documents: long texts are cut.
    if values is None:
        return None
    trimmed = {}
    for key, value in values.items():
        if isinstance(value, str) and len(value) > _MAX_VALUE_CHARS:
            value = value[:_MAX_VALUE_CHARS] + "…"
        trimmed[str(key)] = value
    return trimmed


def record(
    action: str,
    *,
    business=None,
    actor=None,
    scope: str = AuditScope.BUSINESS,
    target_type: str | None = None,
    target_id=None,
    target_label: str | None = None,
    before: dict | None = None,
    after: dict | None = None,
    reason: str | None = None,
) -> AuditEntry:
    """Add one entry to the session (the caller commits). `actor` is a User, or None for the system."""
    actor_user = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    entry = AuditEntry(
        scope=scope,
        business_id=getattr(business, "id", business),
        actor_user_id=actor_user.id if actor_user else None,
        actor_label=actor_user.email if actor_user else "system",
        action=action,
        target_type=target_type,
        target_id=str(target_id) if target_id is not None else None,
        target_label=target_label,
        before=_trim(before),
        after=_trim(after),
        reason=reason,
    )
    db.session.add(entry)
    return entry


def current_actor():
    """The signed-in user making this request, or None (the system) in jobs and webhooks."""
    from flask import has_request_context
    from flask_login import current_user

    if has_request_context() and current_user and current_user.is_authenticated:
        return current_user._get_current_object()
    return None


def changed_fields(before: dict, after: dict) -> tuple[dict, dict]:
    """Only the keys whose values differ, as (before, after) summaries."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}


def query(
    *,
    scope: str,
    business_id=None,
    action_prefix: str | None = None,
    actor_label: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Select:
    """Newest first, filtered; the caller pages it."""
    stmt = select(AuditEntry).where(AuditEntry.scope == scope)
    if business_id is not None:
        stmt = stmt.where(AuditEntry.business_id == business_id)
    if action_prefix:
        stmt = stmt.where(AuditEntry.action.startswith(action_prefix, autoescape=True))
    if actor_label:
        stmt = stmt.where(AuditEntry.actor_label == actor_label)
    if since is not None:
        stmt = stmt.where(AuditEntry.created_at >= since)
    if until is not None:
        stmt = stmt.where(AuditEntry.created_at < until)
    return stmt.order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
