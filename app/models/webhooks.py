from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import UTC, JSONType, UUIDPrimaryKey, utcnow


class WebhookEvent(UUIDPrimaryKey, db.Model):
    """An event received from another service (source "fourcalls", "stripe"),
    stored once per (source, event_id) so redeliveries are recognised.

    Receivers insert the row and answer at once; a job applies it and sets
    `processed_at` and `outcome` (or `error`, which leaves it for a retry).
    """

    __tablename__ = "webhook_events"

    source: Mapped[str] = mapped_column(String(20), nullable=False)
    event_id: Mapped[str] = mapped_column(String(255), nullable=False)
    event_type: Mapped[str] = mapped_column(String(100), nullable=False)
    # The sender's account the event is about: a 4calls organization id, a Stripe account.
    organization_id: Mapped[str | None] = mapped_column(String(255))
    business_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("businesses.id"))
    payload: Mapped[dict] = mapped_column(JSONType, nullable=False)
    received_at: Mapped[datetime] = mapped_column(UTC, nullable=False, default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(UTC)
    # e.g. "applied", "stored_for_sync", "ignored_unknown_type"
    outcome: Mapped[str | None] = mapped_column(String(40))
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        UniqueConstraint("source", "event_id", name="uq_webhook_events_source_event_id"),
        Index("ix_webhook_events_source_type_received", "source", "event_type", "received_at"),
        Index("ix_webhook_events_business_received", "business_id", "received_at"),
        # The batch jobs and the sweep read the unprocessed rows only: a few among millions.
        Index("ix_webhook_events_unprocessed", "source", "received_at",
              postgresql_where=text("processed_at IS NULL"), sqlite_where=text("processed_at IS NULL")),
    )
