"""Appointments: listing, today's agenda, staff booking, reschedule and cancel."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import Blueprint, jsonify, request

from .auth import visible, visible_org
from .contacts import touch_contact
from .errors import conflict, invalid, not_found
from .params import json_body, list_response, page_args, parse_body_ts, timestamp_arg
from .runtime import runtime
from .scheduling import book_appointment, check_bookable, org_zone, resolve_duration
from .timeutil import format_ts, now_utc, parse_ts
from .webhooks import emit

bp = Blueprint("appointments", __name__)

_CUSTOMER_FIELDS = ("customer_name", "customer_phone", "customer_email", "notes", "cancellation_reason")


@bp.get("/organizations/<org_id>/appointments")
def list_appointments(org_id):
    org = visible_org(org_id)
    zone = org_zone(org)
    limit, cursor, since = page_args(zone)
    where, params = ["organization_id = ?"], [org["id"]]
    for name, clause in (("from", "starts_at >= ?"), ("to", "starts_at < ?")):
        moment = timestamp_arg(name, zone)
        if moment:
            where.append(clause)
            params.append(format_ts(moment))
    for name in ("status", "contact_id"):
        if request.args.get(name):
            where.append(f"{name} = ?")
            params.append(request.args[name])
    return list_response("appointments", where, params, limit, cursor, since)


@bp.get("/organizations/<org_id>/appointments/today")
def todays_appointments(org_id):
    org = visible_org(org_id)
    zone = org_zone(org)
    today = now_utc().astimezone(zone).date()
    start = datetime.combine(today, datetime.min.time(), tzinfo=zone)
    end = start + timedelta(days=1)
    data = runtime().store.find(
        "appointments", "organization_id = ? AND starts_at >= ? AND starts_at < ?",
        (org["id"], format_ts(start), format_ts(end)), order="starts_at, id")
    return jsonify({"date": today.isoformat(), "timezone": org["timezone"], "data": data})


@bp.get("/organizations/<org_id>/appointments/<appointment_id>")
def get_appointment(org_id, appointment_id):
    org = visible_org(org_id)
    return jsonify(visible("appointments", appointment_id, "appointment", org["id"]))


def _end_of(start: datetime, body: dict, org: dict, fallback_minutes: int | None = None):
    type_name, minutes = resolve_duration(org, body.get("appointment_type"), body.get("duration_minutes"))
    if body.get("ends_at"):
        return type_name, parse_body_ts(body["ends_at"], "ends_at", org_zone(org))
    if fallback_minutes and not body.get("appointment_type") and not body.get("duration_minutes"):
        minutes = fallback_minutes
    return type_name, start + timedelta(minutes=minutes)


@bp.post("/organizations/<org_id>/appointments")
def create_appointment(org_id):
    body = json_body("AppointmentCreate")
    org = visible_org(org_id)
    start = parse_body_ts(body["starts_at"], "starts_at", org_zone(org))
    type_name, end = _end_of(start, body, org)
    contact_id = body.get("contact_id")
    if contact_id:
        contact = runtime().store.get("contacts", contact_id)
        if not contact or contact["organization_id"] != org["id"] or contact["deleted"]:
            raise invalid({"contact_id": "no such contact in this organization"})
    elif not any(body.get(k) for k in ("customer_name", "customer_phone", "customer_email")):
        raise invalid({"customer_name": "give contact_id or the customer's name, phone or email"})
    customer = {"name": body.get("customer_name"), "phone": body.get("customer_phone"),
                "email": body.get("customer_email")}
    with runtime().store.transaction():
        if contact_id:
            touch_contact(org, contact_id)
        appointment = book_appointment(
            org, start=start, end=end, appointment_type=type_name, customer=customer,
            contact_id=contact_id, source=body.get("source", "manual"), notes=body.get("notes"),
            enforce_hours=False, staff_id=body.get("staff_id"))
    return jsonify(appointment), 201


def _change_status(appointment: dict, status: str, store) -> None:
    current = appointment["status"]
    if status == current:
        return
    if current == "cancelled":
        raise conflict("A cancelled appointment cannot change status; book a new one.")
    appointment["status"] = status
    if status == "cancelled":
        appointment["cancelled_at"] = store.stamp()


@bp.put("/organizations/<org_id>/appointments/<appointment_id>")
def update_appointment(org_id, appointment_id):
    org = visible_org(org_id)
    visible("appointments", appointment_id, "appointment", org["id"])
    body = json_body("AppointmentUpdate")
    store = runtime().store
    with store.transaction():
        appointment = visible("appointments", appointment_id, "appointment", org["id"])
        was_cancelled = appointment["status"] == "cancelled"
        reschedule = any(k in body for k in ("starts_at", "ends_at", "duration_minutes", "appointment_type",
                                             "staff_id"))
        if reschedule:
            if appointment["status"] != "scheduled":
                raise conflict("Only scheduled appointments can be rescheduled.",
                               status=appointment["status"])
            start = (parse_body_ts(body["starts_at"], "starts_at", org_zone(org)) if "starts_at" in body
                     else parse_ts(appointment["starts_at"]))
            type_name, end = _end_of(start, body, org, appointment["duration_minutes"])
            staff_id = body.get("staff_id", appointment.get("staff_id"))
            appointment["staff_id"] = check_bookable(
                org, start, end, exclude_id=appointment["id"], enforce_hours=False,
                type_name=type_name if "appointment_type" in body else appointment.get("appointment_type"),
                staff_id=staff_id)
            appointment.update({"starts_at": format_ts(start), "ends_at": format_ts(end),
                                "duration_minutes": int((end - start).total_seconds() // 60)})
            if "appointment_type" in body:
                appointment["appointment_type"] = type_name
        if "status" in body:
            _change_status(appointment, body["status"], store)
        for name in _CUSTOMER_FIELDS:
            if name in body:
                appointment[name] = body[name]
        store.save("appointments", appointment)
        cancelled_now = appointment["status"] == "cancelled" and not was_cancelled
        emit("appointment.cancelled" if cancelled_now else "appointment.updated", org, appointment)
    return jsonify(appointment)


def appointment_in_org(org: dict, appointment_id: str | None) -> dict | None:
    if not appointment_id:
        return None
    appointment = runtime().store.get("appointments", appointment_id)
    if appointment is None or appointment["organization_id"] != org["id"]:
        raise not_found("appointment")
    return appointment
