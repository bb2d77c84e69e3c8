"""A salon with two stylists, wired to the 4calls sandbox, for the advanced
scheduling tests (pages, booking, and the browser flow)."""
from __future__ import annotations

from app.appointments.settings import push_settings
from app.extensions import db
from app.models.scheduling import ScheduleClosure, StaffMember
from tests.fourcalls_helpers import provision


def staffed_salon(business, *, package="ai_sales", names=("Maria", "Jonas"), types=None):
    """Provision the business with staff and push its schedule to 4calls, as the push job does."""
    provision(business, package=package)
    from app.appointments.settings import ensure_settings

    settings = ensure_settings(business)
    settings.appointment_types = types or [{"name": "Haircut", "duration_minutes": 45}]
    staff = [StaffMember(business_id=business.id, name=name, kind="person", hours={}, appointment_types=[])
             for name in names]
    db.session.add_all(staff)
    settings.sync_state = "pending"
    db.session.commit()
    assert push_settings(business.id) == "synced"
    return staff


def close_day(business, day, reason="Holiday", staff=None):
    db.session.add(ScheduleClosure(business_id=business.id, first_day=day, last_day=day, reason=reason,
                                   staff_id=staff.id if staff else None))
    from app.appointments.settings import ensure_settings

    ensure_settings(business).sync_state = "pending"
    db.session.commit()
    assert push_settings(business.id) == "synced"
