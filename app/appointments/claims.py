"""Claims on a staff member's time, enforced by the database.

Before the owner's booking goes to 4calls, each CLAIM_STEP_MINUTES step of the
staff member's padded time (buffers included) is inserted as a slot_claims row
under a unique (business, staff, step) key. Of any number of concurrent
bookings of overlapping times for one staff member exactly one inserts its
rows; the others hit the unique key and are refused, on PostgreSQL and on
SQLite alike, without relying on isolation levels or locks held across the
call to 4calls. A hold whose booking never completed (a crash between claim
and 4calls' answer) expires after HOLD_MINUTES.
"""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.clock import utcnow
from app.models.scheduling import CLAIM_STEP_MINUTES, WHOLE_BUSINESS, SlotClaim

HOLD_MINUTES = 10
STEP = timedelta(minutes=CLAIM_STEP_MINUTES)


def staff_key(staff_id) -> str:
    return str(staff_id) if staff_id else WHOLE_BUSINESS


def steps(start: datetime, end: datetime) -> list[datetime]:
    """The step starts covering [start, end), widened to whole steps."""
    epoch = datetime(2000, 1, 1, tzinfo=start.tzinfo)
    first = epoch + ((start - epoch) // STEP) * STEP
    moments = []
    while first < end:
        moments.append(first)
        first += STEP
    return moments


def try_claim(session: Session, business_id, key: str, start: datetime, end: datetime,
              hold_key: str | None = None) -> str | None:
    """Claim [start, end) for the staff key and commit; the hold key, or None
    when any step is already claimed (nothing is then kept)."""
    hold_key = hold_key or uuid.uuid4().hex
    moments = steps(start, end)
    expired = utcnow() - timedelta(minutes=HOLD_MINUTES)
    session.execute(delete(SlotClaim).where(
        SlotClaim.business_id == business_id, SlotClaim.staff_key == key, SlotClaim.step_at.in_(moments),
        SlotClaim.appointment_id.is_(None), SlotClaim.created_at < expired))
    session.add_all([SlotClaim(business_id=business_id, staff_key=key, step_at=moment, hold_key=hold_key)
                     for moment in moments])
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        return None
    return hold_key


def release(session: Session, hold_key: str) -> None:
    session.execute(delete(SlotClaim).where(SlotClaim.hold_key == hold_key))
    session.commit()


def attach(session: Session, hold_key: str, appointment_id) -> None:
    """The booking succeeded: the claim lives as long as the appointment."""
    session.execute(update(SlotClaim).where(SlotClaim.hold_key == hold_key).values(appointment_id=appointment_id)
                    .execution_options(synchronize_session=False))
    session.commit()


def release_appointment(session: Session, appointment_ids) -> None:
    """Cancelled or moved appointments free their time."""
    ids = list(appointment_ids)
    if ids:
        session.execute(delete(SlotClaim).where(SlotClaim.appointment_id.in_(ids)))
