"""The owner's staff or resources and closures (advanced scheduling).

Each change is saved, audited and marks the scheduling settings pending, so
the push job sends the organization's staff and closures to 4calls."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from app.appointments.settings import ensure_settings, parse_hours, queue_settings_push
from app.extensions import db
from app.inputs import iso_day
from app.models import Business, SyncState
from app.models.base import utcnow
from app.models.scheduling import ScheduleClosure, StaffKind, StaffMember
from app.web import parse_uuid

MAX_STAFF = 100


class StaffingError(ValueError):
    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def _mark_pending(business: Business) -> None:
    settings = ensure_settings(business)
    settings.sync_state, settings.sync_error, settings.updated_at = SyncState.PENDING, None, utcnow()


def _audit(business: Business, action: str, **after) -> None:
    from app.audit.services import current_actor, record

    record(action, business=business, actor=current_actor(), target_type="business", after=after)


def get_staff(business: Business, staff_id) -> StaffMember | None:
    key = parse_uuid(staff_id)
    found = db.session.get(StaffMember, key) if key else None
    return found if found is not None and found.business_id == business.id else None


def get_closure(business: Business, closure_id) -> ScheduleClosure | None:
    key = parse_uuid(closure_id)
    found = db.session.get(ScheduleClosure, key) if key else None
    return found if found is not None and found.business_id == business.id else None


def parse_staff_form(business: Business, form, type_names: list[str], member: StaffMember | None = None) -> dict:
    errors, values = {}, {}
    name = " ".join((form.get("name") or "").split())
    if not name or len(name) > 100:
        errors["name"] = "Enter a name of at most 100 characters (e.g. “Maria” or “Chair 2”)."
    else:
        taken = db.session.scalar(select(StaffMember.id).where(
            StaffMember.business_id == business.id, StaffMember.name == name))
        if taken and (member is None or taken != member.id):
            errors["name"] = f"“{name}” is already on your staff list."
    kind = form.get("kind") or StaffKind.PERSON
    if kind not in StaffKind.LABELS:
        errors["kind"] = "Choose a staff member or a resource."
    chosen = [t for t in form.getlist("appointment_types") if t]
    unknown = [t for t in chosen if t not in type_names]
    if unknown:
        errors["appointment_types"] = "Choose from your appointment types."
    hours = {}
    if form.get("own_hours"):
        hours, hour_errors = parse_hours(form, off="off")
        errors.update(hour_errors)
    if errors:
        raise StaffingError(errors)
    values.update(name=name, kind=kind, appointment_types=chosen, hours=hours, active=not form.get("inactive"))
    return values


def save_staff(business: Business, form, type_names: list[str], member: StaffMember | None = None) -> StaffMember:
    values = parse_staff_form(business, form, type_names, member)
    if member is None:
        count = db.session.scalar(select(db.func.count()).select_from(StaffMember).where(
            StaffMember.business_id == business.id))
        if count >= MAX_STAFF:
            raise StaffingError({"name": f"You can list at most {MAX_STAFF} staff members and resources."})
        member = StaffMember(business_id=business.id)
        db.session.add(member)
    for key, value in values.items():
        setattr(member, key, value)
    _mark_pending(business)
    db.session.flush()
    _audit(business, "scheduling.staff_saved", staff=member.name)
    db.session.commit()
    queue_settings_push(business)
    return member


def remove_staff(business: Business, member: StaffMember) -> None:
    """Past and future appointments keep their time; they just lose the name."""
    name = member.name
    db.session.delete(member)
    _mark_pending(business)
    _audit(business, "scheduling.staff_removed", staff=name)
    db.session.commit()
    queue_settings_push(business)


def add_closure(business: Business, form, today: date) -> ScheduleClosure:
    errors = {}
    try:
        first = iso_day(form.get("first_day") or "")
    except ValueError:
        first = None
        errors["first_day"] = "Pick the first closed day."
    raw_last = (form.get("last_day") or "").strip()
    try:
        last = iso_day(raw_last) if raw_last else first
    except ValueError:
        last = None
        errors["last_day"] = "Pick the last closed day, or leave it empty for one day."
    if first and last and last < first:
        errors["last_day"] = "The last day cannot be before the first."
    if first and last and last < today:
        errors["first_day"] = "That day has passed. Closures are for today or later."
    if first and last and (last - first).days > 366:
        errors["last_day"] = "A closure lasts at most a year."
    reason = " ".join((form.get("reason") or "").split())
    if len(reason) > 200:
        errors["reason"] = "Keep the reason under 200 characters."
    staff = None
    if form.get("staff_id"):
        staff = get_staff(business, form.get("staff_id"))
        if staff is None:
            errors["staff_id"] = "Choose one of your staff, or the whole business."
    if errors:
        raise StaffingError(errors)
    closure = ScheduleClosure(business_id=business.id, first_day=first, last_day=last, reason=reason,
                              staff_id=staff.id if staff else None)
    db.session.add(closure)
    _mark_pending(business)
    _audit(business, "scheduling.closure_added", first_day=first.isoformat(), last_day=last.isoformat(),
           staff=staff.name if staff else "whole business", reason=reason)
    db.session.commit()
    queue_settings_push(business)
    return closure


def remove_closure(business: Business, closure: ScheduleClosure) -> None:
    _audit(business, "scheduling.closure_removed", first_day=closure.first_day.isoformat(),
           last_day=closure.last_day.isoformat())
    db.session.delete(closure)
    _mark_pending(business)
    db.session.commit()
    queue_settings_push(business)
