"""Notifications to the owner (and later team members): one row per event and
recipient, with one delivery row per outside channel (email, SMS)."""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTC, JSONType, Timestamps, UUIDPrimaryKey


class DeliveryStatus:
    QUEUED = "queued"  # waiting for its job (or, for email, the mail job)
    HELD = "held"  # quiet hours: goes out at due_at
    DIGEST = "digest"  # waits for the daily digest
    SENT = "sent"
    FAILED = "failed"  # gave up after the last retry; the owner can retry

    OPEN = (QUEUED, HELD, DIGEST)


class Notification(UUIDPrimaryKey, Timestamps, db.Model):
    __tablename__ = "notifications"

    business_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("businesses.id"), nullable=False)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    kind: Mapped[str] = mapped_column(String(40), nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False, default="")
    link: Mapped[str | None] = mapped_column(String(500))
    urgent: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    in_app: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    # One notification per event and recipient, whoever reports the event and how often.
    idempotency_key: Mapped[str] = mapped_column(String(200), nullable=False)
    read_at: Mapped[datetime | None] = mapped_column(UTC)

    deliveries = relationship("NotificationDelivery", cascade="all, delete-orphan", lazy="selectin",
                              order_by="NotificationDelivery.channel", back_populates="notification")

    __table_args__ = (
        UniqueConstraint("user_id", "idempotency_key", name="uq_notifications_user_key"),
        Index("ix_notifications_business_user_created", "business_id", "user_id", "created_at"),
        Index("ix_notifications_user_unread", "user_id", "business_id", "read_at"),
    )


class NotificationDelivery(UUIDPrimaryKey, Timestamps, db.Model):
    __tablename__ = "notification_deliveries"

    notification_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("notifications.id", ondelete="CASCADE"), nullable=False)
    channel: Mapped[str] = mapped_column(String(10), nullable=False)  # email | sms
    destination: Mapped[str] = mapped_column(String(255), nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default=DeliveryStatus.QUEUED)
    due_at: Mapped[datetime | None] = mapped_column(UTC)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    retry_round: Mapped[int] = mapped_column(Integer, nullable=False, default=0)  # bumped by the owner's Retry
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UTC)
    outbound_email_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("outbound_emails.id", ondelete="SET NULL"))
    remote_message_id: Mapped[str | None] = mapped_column(String(64))

    notification = relationship("Notification", back_populates="deliveries")
    email = relationship("OutboundEmail", lazy="joined")

    __table_args__ = (
        UniqueConstraint("notification_id", "channel", name="uq_notification_deliveries_channel"),
        Index("ix_notification_deliveries_status_due", "status", "due_at"),
    )


class NotificationSettings(UUIDPrimaryKey, Timestamps, db.Model):
    """A recipient's choices for one business: channels per event kind,
    digest, quiet hours (in the business's zone) and the SMS number."""

    __tablename__ = "notification_settings"

    business_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("businesses.id"), nullable=False)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    channels: Mapped[dict] = mapped_column(JSONType, nullable=False, default=dict)  # kind -> [channel, ...]
    digest: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    digest_hour: Mapped[int] = mapped_column(Integer, nullable=False, default=8)
    quiet_hours: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    quiet_start: Mapped[str] = mapped_column(String(5), nullable=False, default="21:00")
    quiet_end: Mapped[str] = mapped_column(String(5), nullable=False, default="07:00")
    sms_number: Mapped[str | None] = mapped_column(String(32))

    __table_args__ = (UniqueConstraint("business_id", "user_id", name="uq_notification_settings_business_user"),)
