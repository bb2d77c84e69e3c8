"""The appointments area's own tables: the owner's scheduling settings and
one row per reminder, so each reminder's delivery is visible and retried."""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTC, JSONType, Timestamps, UUIDPrimaryKey
from app.models.sync import SyncState

DEFAULT_REMINDER_OFFSETS = [24 * 60, 60]  # minutes before the appointment
DEFAULT_APPOINTMENT_TYPES = [{"name": "Appointment", "duration_minutes": 30}]


class AppointmentSettings(UUIDPrimaryKey, Timestamps, db.Model):
    """Appointment types and reminder schedule. Business hours are the
    business's opening hours and its zone is Business.timezone (one source of
    truth with the profile). Created when a package is provisioned."""

    __tablename__ = "appointment_settings"

    business_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("businesses.id"), unique=True, nullable=False)
    appointment_types: Mapped[list] = mapped_column(JSONType, nullable=False, default=list)
    reminder_offsets: Mapped[list] = mapped_column(JSONType, nullable=False, default=list)
    # -- advanced scheduling (issue 19): how soon and how far ahead customers may book
    min_notice_minutes: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    horizon_days: Mapped[int] = mapped_column(Integer, nullable=False, default=0)  # 0: no limit
    sync_state: Mapped[str] = mapped_column(String(12), nullable=False, default=SyncState.PENDING)
    sync_error: Mapped[str | None] = mapped_column(Text)
    synced_at: Mapped[datetime | None] = mapped_column(UTC)


class ReminderStatus:
    SCHEDULED = "scheduled"
    QUEUED = "queued"  # accepted by 4calls, not yet sent
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"  # gave up after the last attempt
    CANCELLED = "cancelled"
    WAITING_ON_4CALLS = (QUEUED, SENT)


class AppointmentReminder(UUIDPrimaryKey, Timestamps, db.Model):
    __tablename__ = "appointment_reminders"

    business_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("businesses.id"), nullable=False)
    appointment_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("appointments.id", ondelete="CASCADE"), nullable=False
    )
    offset_minutes: Mapped[int] = mapped_column(Integer, nullable=False)
    send_at: Mapped[datetime] = mapped_column(UTC, nullable=False)
    channel: Mapped[str | None] = mapped_column(String(8))  # sms | email
    status: Mapped[str] = mapped_column(String(12), nullable=False, default=ReminderStatus.SCHEDULED)
    message_remote_id: Mapped[str | None] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UTC)

    appointment = relationship("Appointment", lazy="select")

    __table_args__ = (
        UniqueConstraint("appointment_id", "offset_minutes", name="uq_appointment_reminders_offset"),
        Index("ix_appointment_reminders_status_send_at", "status", "send_at"),
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
        Index("ix_appointments_business_contact_remote", "business_id", "contact_remote_id"),
    )
