"""Advanced scheduling (issue 19): staff or resources with their own hours,
closures (holidays, one-off closed days) and the claim rows that stop two
concurrent bookings from taking the same staff member's time."""
from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import UTC, JSONType, Timestamps, UUIDPrimaryKey, utcnow

# Claims cover the booked time plus buffers in steps of this many minutes;
# durations and buffers are whole multiples of it, so steps never straddle.
CLAIM_STEP_MINUTES = 5
# Without staff, the business itself is the one bookable calendar.
WHOLE_BUSINESS = "business"


class StaffKind:
    PERSON = "person"
    RESOURCE = "resource"
    LABELS = {PERSON: "Staff member", RESOURCE: "Resource (room, chair, …)"}


class StaffMember(UUIDPrimaryKey, Timestamps, db.Model):
    """A person or resource that can be booked. `hours` per weekday (None:
    off that day); empty `appointment_types` means every type."""

    __tablename__ = "staff_members"

    business_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("businesses.id"), nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    kind: Mapped[str] = mapped_column(String(12), nullable=False, default=StaffKind.PERSON)
    hours: Mapped[dict] = mapped_column(JSONType, nullable=False, default=dict)
    appointment_types: Mapped[list] = mapped_column(JSONType, nullable=False, default=list)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)

    __table_args__ = (
        UniqueConstraint("business_id", "name", name="uq_staff_members_business_name"),
    )

    def serves(self, type_name: str) -> bool:
        names = {n.lower() for n in self.appointment_types or []}
        return not names or not type_name or type_name.lower() in names


class ScheduleClosure(UUIDPrimaryKey, Timestamps, db.Model):
    """Whole local days nobody can be booked (holidays, a one-off closed day),
    or, with staff_id, days one staff member is away."""

    __tablename__ = "schedule_closures"

    business_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("businesses.id"), nullable=False)
    staff_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff_members.id", ondelete="CASCADE"))
    first_day: Mapped[date] = mapped_column(Date, nullable=False)
    last_day: Mapped[date] = mapped_column(Date, nullable=False)
    reason: Mapped[str] = mapped_column(String(200), nullable=False, default="")

    __table_args__ = (Index("ix_schedule_closures_business_days", "business_id", "last_day"),)


class SlotClaim(UUIDPrimaryKey, db.Model):
    """One row per CLAIM_STEP_MINUTES of a staff member's booked time (buffers
    included). The unique key makes a concurrent second booking of the same
    time fail in the database, whatever the isolation level."""

    __tablename__ = "slot_claims"

    business_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("businesses.id"), nullable=False)
    staff_key: Mapped[str] = mapped_column(String(64), nullable=False)  # staff id, or WHOLE_BUSINESS
    step_at: Mapped[datetime] = mapped_column(UTC, nullable=False)
    hold_key: Mapped[str] = mapped_column(String(64), nullable=False)
    appointment_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("appointments.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTC, nullable=False, default=utcnow)

    __table_args__ = (
        UniqueConstraint("business_id", "staff_key", "step_at", name="uq_slot_claims_staff_step"),
        Index("ix_slot_claims_hold", "hold_key"),
        Index("ix_slot_claims_appointment", "appointment_id"),
    )
