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

from app.appointments import claims
from app.appointments.local_rules import RuleBroken, check_cap, check_hours, check_window, clash_message, find_clash, padded
from app.appointments.rules import ScheduleRules, rules_for
from app.appointments.settings import check_organization_zone
from app.contacts.phone import InvalidPhone, normalise_phone
from app.contacts.services import clean_email
from app.inputs import iso_moment
from app.extensions import db
from app.fourcalls import Conflict, FourCallsError, NotProvisioned, ValidationError, plain_words
from app.assistant.connection import organization_client
from app.models import Appointment, AppointmentReminder, Business
from app.timezones import local_today, zone_of
from app.web import parse_uuid
from app.crm_sync.upserts import apply_remote_appointments, apply_remote_contacts


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
    staff_id: str = ""  # advanced scheduling: a staff member, or "" for the first free one


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
        types = rules_for(business).types
    # Only types the package allows (4calls may still hold a downgraded business's others for a moment).
    allowed = {t["name"].lower() for t in rules_for(business).types}
    types = [{"name": t["name"], "duration_minutes": int(t["duration_minutes"]),
              **({"price_cents": t["price_cents"]} if t.get("price_cents") is not None else {})}
             for t in types if t["name"].lower() in allowed]
    g.bookable_types = {**cached, business.id: types}
    return types


def type_duration(business: Business, type_name: str) -> tuple[str, int]:
    for entry in bookable_types(business):
        if entry["name"] == type_name:
            return entry["name"], int(entry["duration_minutes"])
    raise BookingError("Pick one of your appointment types.", "appointment_type")


def free_slots(business: Business, day: date, type_name: str, staff_id: str = "") -> list[dict]:
    """Free start times on `day` from 4calls' real-time availability (with the
    staff members free for each, when the business has staff)."""
    name, minutes = type_duration(business, type_name)
    if day < local_today(business):
        raise BookingError("That day is in the past. Pick today or a later day.", "day")
    staff = _chosen_staff(rules_for(business), name, staff_id)
    try:
        client = organization_client(business)
        answer = client.check_availability({"date_from": day.isoformat(), "date_to": day.isoformat(),
                                            "appointment_type": name, "slot_interval_minutes": 15
                                            if minutes % 30 else 30,
                                            **({"staff_id": str(staff.id)} if staff else {})})
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


def _chosen_staff(rules: ScheduleRules, type_name: str, staff_id: str):
    """The staff member the owner picked (None: any free one)."""
    if not staff_id or not rules.staff:
        return None
    member = next((s for s in rules.staff if str(s.id) == staff_id), None)
    if member is None:
        raise BookingError("Pick one of your staff, or “Anyone free”.", "staff_id")
    if not member.serves(type_name):
        raise BookingError(f"{member.name} does not take {type_name} appointments.", "staff_id")
    return member


def check_local_rules(business: Business, start: datetime, end: datetime, ignore: Appointment | None = None,
                      type_name: str = "", staff_id: str = "") -> list:
    """Raise for a broken rule; otherwise the staff members (None: the one
    calendar) who could take the booking, in the order to try them."""
    rules = rules_for(business)
    type_name = type_name or (ignore.appointment_type if ignore else "") or ""
    try:
        check_window(business, rules, start)
        check_cap(business, rules, type_name, start, ignore.id if ignore else None)
        if not rules.staff:
            check_hours(business, None, start, end)
            clash = find_clash(business, rules, None, start, end, type_name, ignore.id if ignore else None)
            if clash is not None:
                raise RuleBroken(clash_message(business, clash, rules, type_name))
            return [None]
        picked = _chosen_staff(rules, type_name, staff_id)
        members = [picked] if picked else rules.staff_serving(type_name)
        if not members:
            raise RuleBroken(f"Nobody on your staff takes {type_name} appointments. Check the staff settings.")
        free, first_problem = [], None
        for member in members:
            try:
                check_hours(business, member, start, end)
                clash = find_clash(business, rules, member.id, start, end, type_name, ignore.id if ignore else None)
                if clash is not None:
                    raise RuleBroken(clash_message(business, clash, rules, type_name))
            except RuleBroken as exc:
                first_problem = first_problem or exc
                continue
            free.append(member)
        if not free:
            raise first_problem
        return free
    except RuleBroken as exc:
        field = "staff_id" if staff_id and "staff" in str(exc) else "slot"
        raise BookingError(str(exc), field) from None


def claim_for(business: Business, candidates: list, type_name: str, start: datetime, end: datetime):
    """Claim the first candidate's time in the database (see claims.py): the
    (staff member, hold key) pair, or a BookingError when every one is taken."""
    rules = rules_for(business)
    first, last = padded(rules, type_name, start, end)
    for member in candidates:
        hold = claims.try_claim(db.session, business.id, claims.staff_key(member.id if member else None), first, last)
        if hold:
            return member, hold
    raise BookingError("Someone has just booked that time. Pick another free time.")


def _explain(exc: FourCallsError, outcome: str = "Nothing was booked") -> BookingError:
    if isinstance(exc, Conflict):
        if exc.details.get("reason") == "daily_cap_reached":
            return BookingError("That appointment type is fully booked that day. Pick another day.")
        return BookingError("Someone has just booked that time. Pick another free time.")
    if isinstance(exc, ValidationError):
        reason = exc.details.get("reason")
        if reason == "in_past":
            return BookingError("That time is in the past. Pick a time from the free slots.")
        if reason == "outside_business_hours":
            return BookingError("That time is outside business hours. Pick a time from the free slots.")
        wording = {"too_soon": "That time is too soon to book.", "beyond_horizon": "That time is too far ahead to book.",
                   "closed": "You are closed that day.", "staff_not_serving": "That staff member does not take this type."}
        if reason in wording:
            return BookingError(f"{wording[reason]} Pick a time from the free slots.")
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
    candidates = check_local_rules(business, start, end, type_name=type_name, staff_id=request.staff_id)
    customer = {"name": name[:200], **({"phone": phone} if phone else {}), **({"email": email} if email else {})}
    member, hold = claim_for(business, candidates, type_name, start, end)
    payload = {"starts_at": start.isoformat(), "duration_minutes": minutes, "appointment_type": type_name,
               "customer": customer, "source": "manual", **({"notes": request.notes.strip()} if request.notes.strip() else {}),
               **({"staff_id": str(member.id)} if member else {})}
    try:
        client = organization_client(business)
        key = f"booking:{business.id}:{request.request_key or uuid.uuid4()}:{start.isoformat()}:{payload.get('staff_id', '')}"
        remote = client.create_booking(payload, idempotency_key=key[:255])
        contact_row = _fetch_contact(client, remote.get("contact_id"))
    except FourCallsError as exc:
        claims.release(db.session, hold)
        error = _explain(exc)
        error.fresh_key = not exc.retryable and not isinstance(exc, NotProvisioned)
        raise error from exc
    appointment = _store(business, remote, contact_row)
    claims.attach(db.session, hold, appointment.id)
    return appointment


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
    staff_id = str(appointment.staff_id) if appointment.staff_id else ""
    candidates = check_local_rules(business, start, end, ignore=appointment, staff_id=staff_id)
    if not appointment.remote_id:
        raise BookingError("This appointment has not reached 4calls yet; try again in a minute.")
    # Its own old claims would clash with an overlapping new time: the new
    # time is claimed for the same staff member under a fresh hold key.
    own = claims.staff_key(appointment.staff_id)
    claims.release_appointment(db.session, [appointment.id])
    db.session.commit()
    try:
        member, hold = claim_for(business, [c for c in candidates if claims.staff_key(c.id if c else None) == own]
                                 or candidates[:1], appointment.appointment_type or "", start, end)
    except BookingError:
        _reclaim(business, appointment)
        raise
    try:
        client = organization_client(business)
        remote = client.update_appointment(client.organization_id, appointment.remote_id,
                                           {"starts_at": start.isoformat(), "ends_at": end.isoformat(),
                                            **({"staff_id": str(member.id)} if member else {})})
    except FourCallsError as exc:
        claims.release(db.session, hold)
        _reclaim(business, appointment)
        raise _explain(exc, "The appointment was not moved") from exc
    claims.attach(db.session, hold, appointment.id)
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
    claims.release_appointment(db.session, [appointment.id])
    return _store(business, remote)


def _reclaim(business: Business, appointment: Appointment) -> None:
    """Put back the claim of an appointment whose move failed (best effort:
    the appointment itself is unchanged either way)."""
    first, last = padded(rules_for(business), appointment.appointment_type or "", appointment.starts_at, appointment.ends_at)
    hold = claims.try_claim(db.session, business.id, claims.staff_key(appointment.staff_id), first, last)
    if hold:
        claims.attach(db.session, hold, appointment.id)


def get_appointment(business: Business, appointment_id) -> Appointment | None:
    key = parse_uuid(appointment_id)
    if key is None:
        return None
    found = db.session.get(Appointment, key, populate_existing=True)
    return found if found is not None and found.business_id == business.id else None
