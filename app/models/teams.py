"""Who may work on a business, and the invitations that bring them in.

`Business.owner_id` stays the account that claimed the business (billing
and 4calls are keyed on it); memberships add everyone else, with a role.
"""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTC, Timestamps, UUIDPrimaryKey


class Role:
    OWNER = "owner"  # everything, including billing and the team
    MANAGER = "manager"  # everything except billing and the team
    STAFF = "staff"  # calls, contacts, calendar, leads and conversations

    ALL = (OWNER, MANAGER, STAFF)
    LABELS = {OWNER: "Owner", MANAGER: "Manager", STAFF: "Staff"}


class Membership(UUIDPrimaryKey, Timestamps, db.Model):
    __tablename__ = "memberships"

    business_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("businesses.id", ondelete="CASCADE"), nullable=False)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    role: Mapped[str] = mapped_column(String(10), nullable=False)

    business = relationship("Business", lazy="select")
    user = relationship("User", lazy="select")

    __table_args__ = (UniqueConstraint("business_id", "user_id", name="uq_memberships_business_user"),)


class Invitation(UUIDPrimaryKey, Timestamps, db.Model):
    """A single-use link (only its hash is stored) that expires after 7 days."""

    __tablename__ = "invitations"

    business_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("businesses.id", ondelete="CASCADE"), nullable=False)
    email: Mapped[str] = mapped_column(String(255), nullable=False)
    role: Mapped[str] = mapped_column(String(10), nullable=False)
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    invited_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    expires_at: Mapped[datetime] = mapped_column(UTC, nullable=False)
    accepted_at: Mapped[datetime | None] = mapped_column(UTC)
    revoked_at: Mapped[datetime | None] = mapped_column(UTC)

    business = relationship("Business", lazy="select")

    __table_args__ = (Index("ix_invitations_business_email", "business_id", "email"),)
