"""Real-time operations a coordinator performs mid-conversation."""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, jsonify

from .auth import current_principal, visible, visible_org
from .contacts import contact_by_phone
from .errors import ApiError, invalid, not_found
from .leads import capture_lead
from .params import json_body, parse_body_ts
from .runtime import runtime
from .scheduling import MAX_RANGE_DAYS, book_appointment, free_slots, org_zone, resolve_duration
from .staffing import visible_staff
from .timeutil import format_ts, now_utc, parse_date

bp = Blueprint("realtime", __name__)


def _target_org(body: dict) -> dict:
    """The organization implied by an organization key, or named in the body for the platform key."""
    caller = current_principal()
    named = body.get("organization_id")
    if caller.is_platform and not named:
        raise invalid({"organization_id": "is required with the platform key"})
    org = visible_org(named or caller.organization_id)
    if org["status"] != "active":
        raise ApiError("conflict", "The organization is suspended.", {"reason": "organization_suspended"})
    return org


@bp.post("/real-time/availability")
def availability():
    body = json_body("AvailabilityRequest")
    org = _target_org(body)
    try:
        first_day, last_day = parse_date(body["date_from"]), parse_date(body["date_to"])
    except ValueError:
        raise invalid({"date_from": "dates must be YYYY-MM-DD"}) from None
    if last_day < first_day:
        raise invalid({"date_to": "must not be before date_from"})
    if (last_day - first_day).days >= MAX_RANGE_DAYS:
        raise invalid({"date_to": f"the range may cover at most {MAX_RANGE_DAYS} days"})
    type_name, minutes = resolve_duration(org, body.get("appointment_type"), body.get("duration_minutes"))
    if body.get("staff_id"):
        visible_staff(org, body["staff_id"])
    slots = free_slots(org, first_day, last_day, minutes, body.get("slot_interval_minutes", 30),
                       type_name=type_name, staff_id=body.get("staff_id"))
    return jsonify({"organization_id": org["id"], "timezone": org["timezone"],
                    "appointment_type": type_name, "duration_minutes": minutes, "slots": slots})


@bp.post("/real-time/customer-lookup")
def customer_lookup():
    body = json_body("CustomerLookupRequest")
    org = _target_org(body)
    contact = contact_by_phone(org["id"], body["phone"])
    if contact is None:
        raise not_found("customer with that phone number")
    return jsonify(customer_history(contact))


def customer_history(contact: dict) -> dict:
    store = runtime().store
    now = format_ts(now_utc())
    return {
        "contact": contact,
        "recent_calls": store.find("calls", "contact_id = ?", (contact["id"],),
                                   order="started_at DESC", limit=5),
        "upcoming_appointments": store.find(
            "appointments", "contact_id = ? AND status = 'scheduled' AND starts_at >= ?",
            (contact["id"], now), order="starts_at", limit=20),
        "past_appointments": store.find("appointments", "contact_id = ? AND starts_at < ?",
                                        (contact["id"], now), order="starts_at DESC", limit=5),
        "leads": store.find("leads", "contact_id = ?", (contact["id"],), order="created_at DESC", limit=5),
    }


@bp.post("/real-time/booking")
def booking():
    body = json_body("BookingRequest")
    org = _target_org(body)
    customer = body["customer"]
    if not any(customer.get(k) for k in ("name", "phone", "email")):
        raise invalid({"customer": "give at least the customer's name, phone or email"})
    zone = org_zone(org)
    start = parse_body_ts(body["starts_at"], "starts_at", zone)
    type_name, minutes = resolve_duration(org, body.get("appointment_type"), body.get("duration_minutes"))
    end = (parse_body_ts(body["ends_at"], "ends_at", zone) if body.get("ends_at")
           else start + timedelta(minutes=minutes))
    if body.get("coordinator_id"):
        visible("coordinators", body["coordinator_id"], "coordinator", org["id"])
    if body.get("call_id"):
        visible("calls", body["call_id"], "call", org["id"])
    appointment = book_appointment(
        org, start=start, end=end, appointment_type=type_name, customer=customer,
        source=body.get("source", "call"), notes=body.get("notes"), call_id=body.get("call_id"),
        coordinator_id=body.get("coordinator_id"), staff_id=body.get("staff_id"))
    return jsonify(appointment), 201


@bp.post("/real-time/lead")
def lead():
    body = json_body("LeadRequest")
    org = _target_org(body)
    if not body.get("phone") and not body.get("email"):
        raise invalid({"phone": "give a phone number or an email address"})
    if body.get("coordinator_id"):
        visible("coordinators", body["coordinator_id"], "coordinator", org["id"])
    if body.get("call_id"):
        visible("calls", body["call_id"], "call", org["id"])
    lead_doc, contact, created = capture_lead(
        org, name=body.get("name"), phone=body.get("phone"), email=body.get("email"),
        message=body.get("message"), source=body.get("source", "api"), call_id=body.get("call_id"),
        coordinator_id=body.get("coordinator_id"))
    return jsonify({"lead": lead_doc, "contact": contact, "contact_created": created}), 201
