"""An append-only audit log of changes made by people and by the system.

One table for both the owner's per-business log (business_id set) and the
operator console's admin actions (scope "admin"). The application has no
update or delete path for these rows.
"""
from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import JSONType, Timestamps, UUIDPrimaryKey


class AuditScope:
    BUSINESS = "business"  # shown to the business's owners and managers
    ADMIN = "admin"  # shown in the operator console


class AuditEntry(UUIDPrimaryKey, Timestamps, db.Model):
    __tablename__ = "audit_entries"

    scope: Mapped[str] = mapped_column(String(10), nullable=False, default=AuditScope.BUSINESS)
    business_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("businesses.id", ondelete="SET NULL"))
    # None for the system (a job, a webhook); the actor's email is kept for when the user is gone.
    actor_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor_label: Mapped[str] = mapped_column(String(255), nullable=False, default="system")
    action: Mapped[str] = mapped_column(String(60), nullable=False)  # "assistant.script_changed"
    target_type: Mapped[str | None] = mapped_column(String(40))
    target_id: Mapped[str | None] = mapped_column(String(64))
    target_label: Mapped[str | None] = mapped_column(String(255))
    before: Mapped[dict | None] = mapped_column(JSONType)
    after: Mapped[dict | None] = mapped_column(JSONType)
    reason: Mapped[str | None] = mapped_column(Text)

    business = relationship("Business", lazy="select")

    __table_args__ = (
        Index("ix_audit_business_created", "business_id", "created_at"),
        Index("ix_audit_scope_created", "scope", "created_at"),
        Index("ix_audit_action", "action"),
    )
