"""Two-way SMS and email with a contact, the owner's saved templates, the
messaging settings (missed-call text-back) and the text-backs sent.

A message is stored before it goes to 4calls; its `idempotency_key` is fixed
at creation, so every retry of the send (client retries, re-run jobs, the
sweep) asks 4calls for the same message and it is sent once.
"""
from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTC, Timestamps, UUIDPrimaryKey


class MessageDirection:
    OUTBOUND = "outbound"
    INBOUND = "inbound"


class MessageState:
    HELD = "held"  # outside the recipient's 08:00-21:00; goes at send_after
    QUEUED = "queued"  # stored, or accepted by 4calls and waiting for the carrier
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"
    BLOCKED = "blocked"  # the recipient went on the do-not-contact list before it left
    RECEIVED = "received"  # inbound
    # Order of an outgoing message's life: a status never moves backwards,
    # so a late or repeated webhook cannot undo a newer one.
    RANK = {HELD: 0, QUEUED: 1, SENT: 2, DELIVERED: 3, FAILED: 3, BLOCKED: 3, RECEIVED: 3}
    FINAL = (DELIVERED, FAILED, BLOCKED, RECEIVED)


class MessagePurpose:
    MANUAL = "manual"
    TEXT_BACK = "text_back"
    CAMPAIGN = "campaign"  # a finished campaign's follow-up to those it did not reach


class ContactMessage(UUIDPrimaryKey, Timestamps, db.Model):
    __tablename__ = "contact_messages"

    business_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("businesses.id"), nullable=False)
    contact_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    direction: Mapped[str] = mapped_column(String(8), nullable=False)
    channel: Mapped[str] = mapped_column(String(5), nullable=False)  # sms | email
    purpose: Mapped[str] = mapped_column(String(12), nullable=False, default=MessagePurpose.MANUAL)
    to_address: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    from_address: Mapped[str | None] = mapped_column(String(255))
    subject: Mapped[str | None] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False)
    error: Mapped[str | None] = mapped_column(Text)
    remote_id: Mapped[str | None] = mapped_column(String(64))
    in_reply_to_remote_id: Mapped[str | None] = mapped_column(String(64))
    idempotency_key: Mapped[str | None] = mapped_column(String(100), unique=True)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    send_after: Mapped[datetime | None] = mapped_column(UTC)  # held until (quiet hours)
    sent_at: Mapped[datetime | None] = mapped_column(UTC)
    delivered_at: Mapped[datetime | None] = mapped_column(UTC)
    read_at: Mapped[datetime | None] = mapped_column(UTC)  # inbound: when the owner saw it
    sent_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    contact = relationship("Contact", lazy="select")

    __table_args__ = (
        UniqueConstraint("business_id", "remote_id", name="uq_contact_messages_business_remote"),
        Index("ix_contact_messages_contact_created", "contact_id", "created_at"),
        Index("ix_contact_messages_business_status", "business_id", "status"),
        Index("ix_contact_messages_business_unread", "business_id", "direction", "read_at"),
    )

    @property
    def outbound(self) -> bool:
        return self.direction == MessageDirection.OUTBOUND


class MessageTemplate(UUIDPrimaryKey, Timestamps, db.Model):
    __tablename__ = "message_templates"

    business_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("businesses.id"), nullable=False)
    name: Mapped[str] = mapped_column(String(80), nullable=False)
    subject: Mapped[str | None] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, nullable=False)

    __table_args__ = (UniqueConstraint("business_id", "name", name="uq_message_templates_business_name"),)


DEFAULT_TEXT_BACK = ("Hi {first_name}, sorry we missed your call at {business_name}. "
                     "How can we help? Reply here and we'll get back to you.")


class MessagingSettings(UUIDPrimaryKey, Timestamps, db.Model):
    __tablename__ = "messaging_settings"

    business_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("businesses.id"), unique=True, nullable=False)
    text_back_enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    text_back_delay_minutes: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    text_back_text: Mapped[str] = mapped_column(Text, nullable=False, default=DEFAULT_TEXT_BACK)


class TextBack(UUIDPrimaryKey, Timestamps, db.Model):
    """One missed-call text per number per local day: the unique constraint,
    not a check-then-insert, decides when two missed calls race."""

    __tablename__ = "missed_call_texts"

    business_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("businesses.id"), nullable=False)
    phone: Mapped[str] = mapped_column(String(32), nullable=False)
    local_day: Mapped[date] = mapped_column(Date, nullable=False)
    call_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("calls.id", ondelete="SET NULL"))
    contact_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    message_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("contact_messages.id", ondelete="SET NULL"))
    # scheduled | sent | skipped (do-not-contact, switched off, no allowance) | replied
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="scheduled")
    note: Mapped[str | None] = mapped_column(String(300))
    send_at: Mapped[datetime] = mapped_column(UTC, nullable=False)
    replied_at: Mapped[datetime | None] = mapped_column(UTC)
    lead_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("leads.id", ondelete="SET NULL"))

    __table_args__ = (
        UniqueConstraint("business_id", "phone", "local_day", name="uq_missed_call_texts_number_day"),
        Index("ix_missed_call_texts_business_created", "business_id", "created_at"),
    )
