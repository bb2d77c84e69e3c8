"""Outgoing webhooks (Custom integrations, AI Enterprise): the endpoints an
owner registers, the events the business emitted, and each delivery of an
event to an endpoint with every attempt made.

One `OutgoingEvent` fans out to one `WebhookDelivery` per subscribed
endpoint; a redelivery from the log is a new delivery of the same event, so
the log keeps what happened the first time.
"""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTC, JSONType, Timestamps, UUIDPrimaryKey, utcnow


class WebhookDeliveryStatus:
    PENDING = "pending"  # waiting for its next attempt
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # gave up: retries ran out or the endpoint was disabled


class WebhookEndpoint(UUIDPrimaryKey, Timestamps, db.Model):
    __tablename__ = "webhook_endpoints"

    business_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("businesses.id"), nullable=False, index=True)
    url: Mapped[str] = mapped_column(String(500), nullable=False)
    description: Mapped[str | None] = mapped_column(String(200))
    events: Mapped[list] = mapped_column(JSONType, nullable=False, default=list)
    # Fernet token (app/encryption.py); the plain secret is shown once, at creation.
    secret_encrypted: Mapped[str] = mapped_column(Text, nullable=False)
    enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    disabled_reason: Mapped[str | None] = mapped_column(String(200))
    disabled_at: Mapped[datetime | None] = mapped_column(UTC)
    # First failed attempt since the last success; three days of that disables the endpoint.
    failing_since: Mapped[datetime | None] = mapped_column(UTC)
    deleted_at: Mapped[datetime | None] = mapped_column(UTC)

    def subscribes_to(self, event_type: str) -> bool:
        return event_type in (self.events or [])


class OutgoingEvent(UUIDPrimaryKey, db.Model):
    __tablename__ = "outgoing_events"

    business_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("businesses.id"), nullable=False)
    event_type: Mapped[str] = mapped_column(String(40), nullable=False)
    # The object the event is about ("contact:<uuid>"), to skip an update that changed nothing.
    object_key: Mapped[str | None] = mapped_column(String(80))
    data_hash: Mapped[str | None] = mapped_column(String(64))
    # The exact JSON document every endpoint receives (id, type, created_at, data).
    payload: Mapped[dict] = mapped_column(JSONType, nullable=False)
    test: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    created_at: Mapped[datetime] = mapped_column(UTC, nullable=False, default=utcnow)

    __table_args__ = (
        Index("ix_outgoing_events_business_created", "business_id", "created_at"),
        Index("ix_outgoing_events_business_object", "business_id", "object_key", "created_at"),
    )


class WebhookDelivery(UUIDPrimaryKey, Timestamps, db.Model):
    __tablename__ = "webhook_deliveries"

    business_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("businesses.id"), nullable=False)
    endpoint_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"), nullable=False)
    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("outgoing_events.id", ondelete="CASCADE"), nullable=False)
    status: Mapped[str] = mapped_column(String(12), nullable=False, default=WebhookDeliveryStatus.PENDING)
    attempt_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTC)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(300))
    redelivery_of_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("webhook_deliveries.id", ondelete="SET NULL"))

    endpoint = relationship("WebhookEndpoint", lazy="joined")
    event = relationship("OutgoingEvent", lazy="joined")
    attempts = relationship("WebhookAttempt", lazy="select", order_by="WebhookAttempt.attempted_at",
                            cascade="all, delete-orphan")

    __table_args__ = (
        Index("ix_webhook_deliveries_endpoint_created", "endpoint_id", "created_at"),
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
    )


class WebhookAttempt(UUIDPrimaryKey, db.Model):
    __tablename__ = "webhook_attempts"

    delivery_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("webhook_deliveries.id", ondelete="CASCADE"),
                                                   nullable=False, index=True)
    attempted_at: Mapped[datetime] = mapped_column(UTC, nullable=False, default=utcnow)
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(300))
    duration_ms: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    response_excerpt: Mapped[str | None] = mapped_column(String(500))
    # The header sent, so the owner can compare it with what their receiver computed.
    signature_header: Mapped[str] = mapped_column(String(200), nullable=False)

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300
