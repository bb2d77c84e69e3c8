"""Local copies of what 4calls holds for each business: contacts, calls and
appointments. Pages read only these tables, kept current by sync jobs and
webhooks, so the dashboard stays fast when 4calls is slow or down.

`remote_id` is the 4calls id (None until a local change is pushed);
`sync_state` tracks local edits waiting to reach 4calls.
"""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTC, JSONType, Timestamps, UUIDPrimaryKey


class SyncState:
    SYNCED = "synced"
    PENDING = "pending"  # changed locally, waiting to be pushed to 4calls
    ERROR = "error"  # push failed for a reason a retry will not fix


class Contact(UUIDPrimaryKey, Timestamps, db.Model):
    __tablename__ = "contacts"

    business_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("businesses.id"), nullable=False)
    remote_id: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    phone: Mapped[str | None] = mapped_column(String(32))  # E.164
    email: Mapped[str | None] = mapped_column(String(255))
    # The contact's own IANA zone when known; else their number's zone, else the business's
    # (app.timezones.recipient_zone). Campaign windows and SMS quiet hours use it.
    timezone: Mapped[str | None] = mapped_column(String(64))
    custom_fields: Mapped[dict] = mapped_column(JSONType, nullable=False, default=dict)
    notes: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(20), nullable=False, default="manual")
    sync_state: Mapped[str] = mapped_column(String(12), nullable=False, default=SyncState.SYNCED)
    sync_error: Mapped[str | None] = mapped_column(Text)
    remote_updated_at: Mapped[datetime | None] = mapped_column(UTC)
    last_interaction_at: Mapped[datetime | None] = mapped_column(UTC)
    deleted_at: Mapped[datetime | None] = mapped_column(UTC)
    # Set on the tombstone of a duplicate merged away (issue 19): calls and appointments 4calls
    # still files under the duplicate's remote id are linked to this contact instead.
    merged_into_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))

    tags = relationship("ContactTag", cascade="all, delete-orphan", lazy="selectin", order_by="ContactTag.tag")

    __table_args__ = (
        UniqueConstraint("business_id", "remote_id", name="uq_contacts_business_remote"),
        Index("ix_contacts_business_name", "business_id", "name"),
        Index("ix_contacts_business_phone", "business_id", "phone"),
        Index("ix_contacts_business_email", "business_id", "email"),
        Index("ix_contacts_business_sync", "business_id", "sync_state"),
    )

    @property
    def tag_names(self) -> list[str]:
        return [t.tag for t in self.tags]


class ContactTag(db.Model):
    __tablename__ = "contact_tags"

    contact_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(60), primary_key=True)
    # Denormalised so "contacts with tag X" is one index range per business.
    business_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("businesses.id"), nullable=False)

    __table_args__ = (Index("ix_contact_tags_business_tag", "business_id", "tag"),)


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
        Index("ix_calls_business_direction_started", "business_id", "direction", "started_at"),
        Index("ix_calls_business_outcome_started", "business_id", "outcome", "started_at"),
        Index("ix_calls_contact", "contact_id"),
    )


class Appointment(UUIDPrimaryKey, Timestamps, db.Model):
    __tablename__ = "appointments"

    business_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("businesses.id"), nullable=False)
    remote_id: Mapped[str | None] = mapped_column(String(64))
    contact_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    contact_remote_id: Mapped[str | None] = mapped_column(String(64))
    customer_name: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    customer_phone: Mapped[str | None] = mapped_column(String(32))
    customer_email: Mapped[str | None] = mapped_column(String(255))
    appointment_type: Mapped[str | None] = mapped_column(String(120))
    starts_at: Mapped[datetime] = mapped_column(UTC, nullable=False)
    ends_at: Mapped[datetime] = mapped_column(UTC, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="scheduled")
    source: Mapped[str] = mapped_column(String(16), nullable=False, default="manual")  # call | chat | manual | campaign
    notes: Mapped[str | None] = mapped_column(Text)
    sync_state: Mapped[str] = mapped_column(String(12), nullable=False, default=SyncState.SYNCED)
    sync_error: Mapped[str | None] = mapped_column(Text)
    remote_updated_at: Mapped[datetime | None] = mapped_column(UTC)
    # -- advanced scheduling (issue 19): who or what was booked
    staff_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff_members.id", ondelete="SET NULL"))

    contact = relationship("Contact", lazy="select")

    __table_args__ = (
        UniqueConstraint("business_id", "remote_id", name="uq_appointments_business_remote"),
        Index("ix_appointments_business_starts", "business_id", "starts_at"),
        Index("ix_appointments_contact", "contact_id"),
    )
