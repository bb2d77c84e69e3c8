"""Booking, rescheduling and cancelling, in real time against 4calls.

4calls holds the one bookable calendar (the AI books into it during calls
and chats), so the owner's booking goes through `POST /real-time/booking`
and its answer is final: a double booking is refused there even if the
local copy is a few seconds behind. Obvious mistakes (past, outside
business hours, overlapping a known appointment) are caught here first
with a clearer message. On any failure nothing is saved locally and the
form keeps what the owner typed.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import g
from sqlalchemy import delete, select

from app.appointments.settings import check_organization_zone, settings_for
from app.contacts.phone import InvalidPhone, normalise_phone
from app.contacts.services import clean_email
from app.inputs import iso_moment
from app.extensions import db
from app.fourcalls import Conflict, FourCallsError, NotProvisioned, ValidationError, organization_client, plain_words
from app.models import Appointment, AppointmentReminder, Business
from app.models.base import utcnow
from app.timezones import format_local, local_today, to_local, zone_of
from app.web import parse_uuid
from app.sync.upserts import apply_remote_appointments, apply_remote_contacts


class BookingError(ValueError):
    def __init__(self, message: str, field: str = "slot", fresh_key: bool = False):
        super().__init__(message)
        self.field = field
        # 4calls refused the request itself (4xx): that answer is final for its
        # key, so the next submit must be a new request. Timeouts and 5xx keep the key.
        self.fresh_key = fresh_key


@dataclass
class BookingRequest:
    starts_at: str = ""
    appointment_type: str = ""
    name: str = ""
    phone: str = ""
    email: str = ""
    notes: str = ""
    # Set when the form is first shown and sent back with it, so a retried
    # submission is the same booking to 4calls, and a new form is a new one.
    request_key: str = ""


def bookable_types(business: Business) -> list[dict]:
    """The appointment types 4calls knows for the business, as the AI books
    them: the form offers exactly these. Our saved settings stand in only
    while 4calls cannot be asked (the booking itself then fails clearly)."""
    cached = g.get("bookable_types") or {}
    if business.id in cached:
        return cached[business.id]
    try:
        client = organization_client(business)
        organization = client.get_organization(client.organization_id)
        check_organization_zone(business, organization)
        types = organization.get("appointment_types") or []
    except FourCallsError:
        types = settings_for(business).appointment_types
    types = [{"name": t["name"], "duration_minutes": int(t["duration_minutes"])} for t in types]
    g.bookable_types = {**cached, business.id: types}
    return types


def type_duration(business: Business, type_name: str) -> tuple[str, int]:
    for entry in bookable_types(business):
        if entry["name"] == type_name:
            return entry["name"], int(entry["duration_minutes"])
    raise BookingError("Pick one of your appointment types.", "appointment_type")


def free_slots(business: Business, day: date, type_name: str) -> list[dict]:
    """Free start times on `day` from 4calls' real-time availability."""
    name, minutes = type_duration(business, type_name)
    if day < local_today(business):
        raise BookingError("That day is in the past. Pick today or a later day.", "day")
    try:
        client = organization_client(business)
        answer = client.check_availability({"date_from": day.isoformat(), "date_to": day.isoformat(),
                                            "duration_minutes": minutes, "slot_interval_minutes": 30})
    except FourCallsError as exc:
        raise BookingError(f"Free times could not be loaded: {plain_words(exc)}") from exc
    return answer.get("slots", [])


def parse_start(business: Business, raw: str) -> datetime:
    try:
        moment = iso_moment(raw)
    except ValueError:
        raise BookingError("Pick a free time.") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone_of(business))
    return moment


def _minutes_of(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


def check_local_rules(business: Business, start: datetime, end: datetime, ignore: Appointment | None = None) -> None:
    if start <= utcnow():
        raise BookingError("That time is in the past. Pick a time from the free slots.")
    local_start = to_local(start, business)
    hours = (business.opening_hours or {}).get(local_start.strftime("%A").lower())
    if not hours:
        raise BookingError(f"You are closed on {local_start.strftime('%A')}s. Pick a day you are open.")
    opens, closes = _minutes_of(hours["open"]), _minutes_of(hours["close"])
    starts = local_start.hour * 60 + local_start.minute
    ends = starts + int((end - start).total_seconds() // 60)
    if starts < opens or ends > closes:
        raise BookingError(f"That time is outside business hours ({hours['open']}–{hours['close']} on "
                           f"{local_start.strftime('%A')}s).")
    clash = db.session.scalar(
        select(Appointment).where(
            Appointment.business_id == business.id, Appointment.status == "scheduled",
            Appointment.starts_at < end, Appointment.ends_at > start,
            Appointment.id != (ignore.id if ignore else uuid.uuid4()),
        ).limit(1)
    )
    if clash is not None:
        raise BookingError(f"That time overlaps {clash.customer_name or 'another appointment'} at "
                           f"{format_local(clash.starts_at, business, '%H:%M')}. Pick another free time.")


def _explain(exc: FourCallsError, outcome: str = "Nothing was booked") -> BookingError:
    if isinstance(exc, Conflict):
        return BookingError("Someone has just booked that time. Pick another free time.")
    if isinstance(exc, ValidationError):
        reason = exc.details.get("reason")
        if reason == "in_past":
            return BookingError("That time is in the past. Pick a time from the free slots.")
        if reason == "outside_business_hours":
            return BookingError("That time is outside business hours. Pick a time from the free slots.")
    if isinstance(exc, NotProvisioned):
        return BookingError("Your AI assistant is not set up yet, so appointments cannot be booked.")
    return BookingError(f"{outcome}: {plain_words(exc)} Your details are kept; try again in a moment.")


def book(business: Business, request: BookingRequest) -> Appointment:
    type_name, minutes = type_duration(business, request.appointment_type)
    start = parse_start(business, request.starts_at)
    end = start + timedelta(minutes=minutes)
    name = " ".join(request.name.split())
    if not name:
        raise BookingError("Enter the customer's name.", "name")
    try:
        phone = normalise_phone(request.phone)
    except InvalidPhone as exc:
        raise BookingError(str(exc), "phone") from None
    try:
        email = clean_email(request.email)
    except ValueError as exc:
        raise BookingError(str(exc), "email") from None
    check_local_rules(business, start, end)
    customer = {"name": name[:200], **({"phone": phone} if phone else {}), **({"email": email} if email else {})}
    payload = {"starts_at": start.isoformat(), "duration_minutes": minutes, "appointment_type": type_name,
               "customer": customer, "source": "manual", **({"notes": request.notes.strip()} if request.notes.strip() else {})}
    try:
        client = organization_client(business)
        key = f"booking:{business.id}:{request.request_key or uuid.uuid4()}:{start.isoformat()}"
        remote = client.create_booking(payload, idempotency_key=key[:255])
        contact_row = _fetch_contact(client, remote.get("contact_id"))
    except FourCallsError as exc:
        error = _explain(exc)
        error.fresh_key = not exc.retryable and not isinstance(exc, NotProvisioned)
        raise error from exc
    return _store(business, remote, contact_row)


def _fetch_contact(client, contact_id: str | None) -> dict | None:
    if not contact_id:
        return None
    try:
        return client.get_contact(client.organization_id, contact_id)
    except FourCallsError:
        return None  # the regular sync brings the contact later


def _store(business: Business, remote: dict, contact_row: dict | None = None) -> Appointment:
    from app.appointments.reminders import schedule_reminders

    if contact_row:
        apply_remote_contacts(business, [contact_row])
    apply_remote_appointments(business, [remote])
    db.session.commit()
    appointment = db.session.scalar(
        select(Appointment).where(Appointment.business_id == business.id, Appointment.remote_id == remote["id"])
    )
    schedule_reminders(appointment)
    return appointment


def reschedule(business: Business, appointment: Appointment, raw_start: str) -> Appointment:
    if appointment.status != "scheduled":
        raise BookingError("Only scheduled appointments can be moved.")
    start = parse_start(business, raw_start)
    end = start + (appointment.ends_at - appointment.starts_at)
    check_local_rules(business, start, end, ignore=appointment)
    try:
        client = organization_client(business)
        if not appointment.remote_id:
            raise BookingError("This appointment has not reached 4calls yet; try again in a minute.")
        remote = client.update_appointment(client.organization_id, appointment.remote_id,
                                           {"starts_at": start.isoformat(), "ends_at": end.isoformat()})
    except FourCallsError as exc:
        raise _explain(exc, "The appointment was not moved") from exc
    # Reminders already sent spoke of the old time: the customer gets them again for the new one.
    db.session.execute(delete(AppointmentReminder).where(AppointmentReminder.appointment_id == appointment.id))
    return _store(business, remote)


def cancel(business: Business, appointment: Appointment, reason: str = "") -> Appointment:
    if appointment.status != "scheduled":
        raise BookingError("This appointment is not scheduled any more.")
    try:
        client = organization_client(business)
        remote = client.update_appointment(client.organization_id, appointment.remote_id, {
            "status": "cancelled", "cancellation_reason": (reason or "").strip()[:1000] or None})
    except FourCallsError as exc:
        raise _explain(exc, "The appointment was not cancelled") from exc
    return _store(business, remote)


def get_appointment(business: Business, appointment_id) -> Appointment | None:
    key = parse_uuid(appointment_id)
    if key is None:
        return None
    found = db.session.get(Appointment, key, populate_existing=True)
    return found if found is not None and found.business_id == business.id else None
