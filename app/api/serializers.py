"""The public JSON shape of each object, shared by the REST API and the
outgoing webhooks so an integrator sees one representation everywhere.
Times are RFC 3339 in UTC; ids are the app's UUIDs."""
from __future__ import annotations

from datetime import datetime

from app.models import Appointment, Call, Contact, Lead


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def _id(value) -> str | None:
    return str(value) if value else None


def contact_json(contact: Contact) -> dict:
    return {
        "id": str(contact.id),
        "object": "contact",
        "name": contact.name,
        "phone": contact.phone,
        "email": contact.email,
        "timezone": contact.timezone,
        "notes": contact.notes,
        "tags": contact.tag_names,
        "custom_fields": dict(contact.custom_fields or {}),
        "source": contact.source,
        "last_interaction_at": iso(contact.last_interaction_at),
        "deleted": contact.deleted_at is not None,
        "created_at": iso(contact.created_at),
        "updated_at": iso(contact.updated_at),
    }


def call_json(call: Call) -> dict:
    return {
        "id": str(call.id),
        "object": "call",
        "direction": call.direction,
        "status": call.status,
        "outcome": call.outcome,
        "caller_name": call.caller_name,
        "caller_number": call.caller_number,
        "contact_id": _id(call.contact_id),
        "started_at": iso(call.started_at),
        "duration_seconds": call.duration_seconds,
        "summary": call.summary,
        "sentiment": call.sentiment,
        "transcript": list(call.transcript or []),
        "created_at": iso(call.created_at),
    }


def appointment_json(appointment: Appointment) -> dict:
    return {
        "id": str(appointment.id),
        "object": "appointment",
        "status": appointment.status,
        "appointment_type": appointment.appointment_type,
        "starts_at": iso(appointment.starts_at),
        "ends_at": iso(appointment.ends_at),
        "customer_name": appointment.customer_name,
        "customer_phone": appointment.customer_phone,
        "customer_email": appointment.customer_email,
        "contact_id": _id(appointment.contact_id),
        "source": appointment.source,
        "notes": appointment.notes,
        "created_at": iso(appointment.created_at),
        "updated_at": iso(appointment.updated_at),
    }


def lead_json(lead: Lead) -> dict:
    return {
        "id": str(lead.id),
        "object": "lead",
        "name": lead.name,
        "phone": lead.phone,
        "email": lead.email,
        "message": lead.message,
        "source": lead.source,
        "status": lead.status,
        "contact_id": _id(lead.contact_id),
        "created_at": iso(lead.created_at),
        "updated_at": iso(lead.updated_at),
    }
