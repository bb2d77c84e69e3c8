"""Outgoing email, one row per message: the outbox that `make run` shows and
the delivery record (status, attempts, error) that production keeps."""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import UTC, Timestamps, UUIDPrimaryKey


class EmailStatus:
    QUEUED = "queued"
    SENT = "sent"  # handed to the SMTP server (or kept in the local outbox)
    FAILED = "failed"  # gave up after the last retry


class OutboundEmail(UUIDPrimaryKey, Timestamps, db.Model):
    __tablename__ = "outbound_emails"

    to_address: Mapped[str] = mapped_column(String(255), nullable=False)
    subject: Mapped[str] = mapped_column(String(255), nullable=False)
    text_body: Mapped[str] = mapped_column(Text, nullable=False)
    html_body: Mapped[str | None] = mapped_column(Text)
    template: Mapped[str] = mapped_column(String(80), nullable=False)  # "auth/password_reset"
    business_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("businesses.id", ondelete="SET NULL"))
    # One email per event and recipient: a second send with the same key is a no-op.
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default=EmailStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UTC)

    __table_args__ = (
        Index("ix_outbound_emails_status_created", "status", "created_at"),
        Index("ix_outbound_emails_to_created", "to_address", "created_at"),
    )
