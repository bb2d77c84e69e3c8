"""Turn changes the app already makes into outgoing events. The sync
upserts (4calls webhooks, polling, and the app's own bookings, which store
what 4calls answered) call `emit_applied`; owner edits call `emit_event`
directly with the serializers."""
from __future__ import annotations

from sqlalchemy import select

from app.api.serializers import appointment_json, call_json, contact_json
from app.extensions import db
from app.integrations.events import emit_event, enabled_for, _listening_endpoints
from app.models import Appointment, Business, Call, Contact


def has_listeners(business: Business) -> bool:
    if not enabled_for(business):
        return False
    return any(_listening_endpoints(business, t) for t in ("call.completed", "appointment.created",
                                                            "appointment.updated", "appointment.cancelled",
                                                            "contact.created", "contact.updated"))


def _rows(model, business: Business, remote_ids: list[str]):
    if not remote_ids:
        return []
    return db.session.scalars(select(model).where(model.business_id == business.id,
                                                  model.remote_id.in_(remote_ids))).all()


def emit_applied(business: Business, kind: str, result) -> None:
    """Events for the rows an apply of 4calls objects (kind: calls |
    appointments | contacts) inserted or changed."""
    if not result.written_ids or not has_listeners(business):
        return
    db.session.flush()
    inserted = set(result.inserted_ids)
    if kind == "calls":
        for call in _rows(Call, business, list(inserted)):
            emit_event(business, "call.completed", call_json(call))
    elif kind == "appointments":
        for appointment in _rows(Appointment, business, result.written_ids):
            if appointment.remote_id in inserted:
                event_type = "appointment.created"
            elif appointment.status == "cancelled":
                event_type = "appointment.cancelled"
            else:
                event_type = "appointment.updated"
            emit_event(business, event_type, appointment_json(appointment))
    elif kind == "contacts":
        for contact in _rows(Contact, business, result.written_ids):
            if contact.deleted_at is not None:
                continue
            event_type = "contact.created" if contact.remote_id in inserted else "contact.updated"
            emit_event(business, event_type, contact_json(contact))


def emit_contact_change(contact: Contact, created: bool = False) -> None:
    """contact.created / contact.updated for an edit made in the app or the API (before its commit)."""
    business = db.session.get(Business, contact.business_id)
    if not has_listeners(business):
        return
    db.session.flush()
    emit_event(business, "contact.created" if created else "contact.updated", contact_json(contact))


def emit_lead_created(lead) -> None:
    from app.api.serializers import lead_json

    business = db.session.get(Business, lead.business_id)
    db.session.flush()
    emit_event(business, "lead.created", lead_json(lead))
