"""Support requests from owners, their threads, the operators' first-response
targets per package, and Enterprise account managers."""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTC, Timestamps, UUIDPrimaryKey, utcnow


class SupportStatus:
    OPEN = "open"  # waiting for AlphaSite
    WAITING = "waiting"  # answered, waiting for the owner
    RESOLVED = "resolved"
    ALL = (OPEN, WAITING, RESOLVED)
    LABELS = {OPEN: "Open", WAITING: "Waiting for you", RESOLVED: "Resolved"}
    STAFF_LABELS = {OPEN: "Open", WAITING: "Waiting on customer", RESOLVED: "Resolved"}


SUPPORT_CATEGORIES = {
    "question": "A question",
    "problem": "Something is not working",
    "billing": "Billing and packages",
    "assistant": "The AI assistant",
    "feature": "A suggestion",
}


class SupportRequest(UUIDPrimaryKey, Timestamps, db.Model):
    __tablename__ = "support_requests"

    business_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("businesses.id"), nullable=False, index=True)
    requester_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), nullable=False)
    subject: Mapped[str] = mapped_column(String(160), nullable=False)
    category: Mapped[str] = mapped_column(String(20), nullable=False)
    status: Mapped[str] = mapped_column(String(12), nullable=False, default=SupportStatus.OPEN)
    # The package when the request was opened: the queue's priority and its target.
    package_slug: Mapped[str | None] = mapped_column(String(40))
    priority: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    assignee_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    first_response_due_at: Mapped[datetime] = mapped_column(UTC, nullable=False)
    first_responded_at: Mapped[datetime | None] = mapped_column(UTC)
    last_activity_at: Mapped[datetime] = mapped_column(UTC, nullable=False, default=utcnow)

    business = relationship("Business", lazy="joined")
    requester = relationship("User", foreign_keys=[requester_id], lazy="joined")
    assignee = relationship("User", foreign_keys=[assignee_id], lazy="joined")
    messages = relationship("SupportMessage", lazy="select", order_by="SupportMessage.created_at",
                            cascade="all, delete-orphan")

    __table_args__ = (Index("ix_support_requests_queue", "status", "priority", "created_at"),)

    @property
    def reference(self) -> str:
        """A short reference for subjects and the queue ("SR-1a2b3c4d")."""
        return f"SR-{self.id.hex[:8]}"

    def is_overdue(self, now: datetime) -> bool:
        return self.first_responded_at is None and self.status != SupportStatus.RESOLVED and now > self.first_response_due_at


class SupportMessage(UUIDPrimaryKey, db.Model):
    __tablename__ = "support_messages"

    request_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("support_requests.id", ondelete="CASCADE"),
                                                  nullable=False, index=True)
    author_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    from_staff: Mapped[bool] = mapped_column(nullable=False, default=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    attachment_name: Mapped[str | None] = mapped_column(String(120))
    attachment_type: Mapped[str | None] = mapped_column(String(40))
    # Screenshots are small (SUPPORT_ATTACHMENT_MAX_BYTES) and kept with the message, in one transaction.
    attachment_data: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    created_at: Mapped[datetime] = mapped_column(UTC, nullable=False, default=utcnow)

    author = relationship("User", lazy="joined")


class SupportResponseTarget(db.Model):
    """An operator's override of a package's first-response target."""

    __tablename__ = "support_response_targets"

    package_slug: Mapped[str] = mapped_column(String(40), primary_key=True)
    minutes: Mapped[int] = mapped_column(Integer, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTC, nullable=False, default=utcnow, onupdate=utcnow)


class AccountManagerAssignment(db.Model):
    """The admin user who looks after an Enterprise business."""

    __tablename__ = "account_manager_assignments"

    business_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("businesses.id", ondelete="CASCADE"), primary_key=True)
    manager_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    assigned_at: Mapped[datetime] = mapped_column(UTC, nullable=False, default=utcnow)

    manager = relationship("User", lazy="joined")
