"""Messages the AI took for the business on a call ("Messages taken" inbox).

Kept apart from SMS/email conversations: these come from calls only, one per
call, and the owner reads and handles them like a receptionist's notepad.
"""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTC, Timestamps, UUIDPrimaryKey


class TakenMessage(UUIDPrimaryKey, Timestamps, db.Model):
    __tablename__ = "taken_messages"

    business_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("businesses.id"), nullable=False)
    call_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("calls.id", ondelete="SET NULL"))
    call_remote_id: Mapped[str] = mapped_column(String(64), nullable=False)
    contact_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    caller_name: Mapped[str | None] = mapped_column(String(200))
    caller_number: Mapped[str | None] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text, nullable=False)
    urgency: Mapped[str] = mapped_column(String(10), nullable=False, default="normal")  # normal | urgent
    callback_requested: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    taken_at: Mapped[datetime] = mapped_column(UTC, nullable=False)
    read_at: Mapped[datetime | None] = mapped_column(UTC)
    handled_at: Mapped[datetime | None] = mapped_column(UTC)
    handled_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    contact = relationship("Contact", lazy="select")
    call = relationship("Call", lazy="select")

    __table_args__ = (
        UniqueConstraint("business_id", "call_remote_id", name="uq_taken_messages_business_call"),
        Index("ix_taken_messages_business_handled_taken", "business_id", "handled_at", "taken_at"),
        Index("ix_taken_messages_contact", "contact_id"),
    )

    @property
    def is_urgent(self) -> bool:
        return self.urgency == "urgent"
