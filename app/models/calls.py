"""A call the assistant took or made, as 4calls reported it; the call log,
dashboard and analytics read this table, kept current by the CRM sync and webhooks.
"""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    literal,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTC, JSONType, Timestamps, UUIDPrimaryKey


class Call(UUIDPrimaryKey, Timestamps, db.Model):
    __tablename__ = "calls"

    business_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("businesses.id"), nullable=False)
    remote_id: Mapped[str] = mapped_column(String(64), nullable=False)
    direction: Mapped[str] = mapped_column(String(10), nullable=False)  # inbound | outbound
    caller_name: Mapped[str | None] = mapped_column(String(200))
    caller_number: Mapped[str | None] = mapped_column(String(32))
    contact_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    contact_remote_id: Mapped[str | None] = mapped_column(String(64))
    coordinator_remote_id: Mapped[str | None] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(UTC, nullable=False)
    duration_seconds: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    status: Mapped[str] = mapped_column(String(16), nullable=False)  # answered | missed | voicemail
    outcome: Mapped[str | None] = mapped_column(String(20))  # booked | lead | message | question | ...
    transcript: Mapped[list] = mapped_column(JSONType, nullable=False, default=list)
    summary: Mapped[str | None] = mapped_column(Text)
    sentiment: Mapped[str | None] = mapped_column(String(10))
    # Transcript and summary flattened for search (full-text index on PostgreSQL).
    search_text: Mapped[str] = mapped_column(Text, nullable=False, default="")
    appointment_remote_id: Mapped[str | None] = mapped_column(String(64))
    campaign_remote_id: Mapped[str | None] = mapped_column(String(64))
    # 4calls' topic for the call ("Opening hours", "Bookings"...): analytics groups by it (issue 18).
    topic: Mapped[str | None] = mapped_column(String(80))
    remote_updated_at: Mapped[datetime | None] = mapped_column(UTC)
    # -- forwarding and test calls (issue 13)
    forwarded_to: Mapped[str | None] = mapped_column(String(32))
    forward_reason: Mapped[str | None] = mapped_column(Text)
    forward_answered: Mapped[bool | None] = mapped_column(Boolean)
    is_test: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    contact = relationship("Contact", lazy="select")

    __table_args__ = (
        UniqueConstraint("business_id", "remote_id", name="uq_calls_business_remote"),
        Index("ix_calls_business_topic_started", "business_id", "topic", "started_at"),
        Index("ix_calls_business_started", "business_id", "started_at"),
        Index("ix_calls_business_status_started", "business_id", "status", "started_at"),
        # The call log's status + direction filter ("missed inbound"): its
        # capped count walks exactly the matches, newest first, index only.
        Index("ix_calls_business_status_direction_started", "business_id", "status", "direction", "started_at"),
        Index("ix_calls_business_direction_started", "business_id", "direction", "started_at"),
        Index("ix_calls_business_outcome_started", "business_id", "outcome", "started_at"),
        Index("ix_calls_contact", "contact_id"),
        # Linking calls and appointments to a contact that arrives after them.
        Index("ix_calls_business_contact_remote", "business_id", "contact_remote_id"),
        # The dashboard's 30-day statistics read only the index, never the rows.
        Index("ix_calls_business_started_stats", "business_id", "started_at", "status", "outcome", "duration_seconds"),
        # The console's month of calls over every business (margin card and report, usage's live
        # month): an index-only range scan instead of reading every call row of the table.
        Index("ix_calls_started_usage", "started_at",
              postgresql_include=["business_id", "direction", "duration_seconds", "status"]),
    )


# Full-text search of transcripts and summaries; SQLite searches with LIKE instead.
Index(
    "ix_calls_search_fts",
    func.to_tsvector(literal("english", String), Call.search_text),
    postgresql_using="gin",
).ddl_if(dialect="postgresql")
