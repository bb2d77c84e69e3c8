"""4calls webhook handlers for the CRM tables, plugged into
app/webhooks/services.py::FOURCALLS_EVENT_HANDLERS.

Each applies the event's object at once (so a new call shows on an open
dashboard within seconds) and queues an incremental sync of the same kinds,
which also picks up anything an event did not carry (a call's new contact,
an appointment it booked). That sync is queued a short delay ahead under one
id per business and kinds, so a burst of events costs one sync, not one each. Applying is idempotent and ignores an object older
than the local row, so redeliveries and out-of-order events are harmless.
"""
from __future__ import annotations

from app.extensions import db
from app.models import Business, WebhookEvent
from app.crm_sync.services import request_follow_up_sync
from app.crm_sync.upserts import apply_remote_appointments, apply_remote_calls, apply_remote_contacts


def _business_and_object(event: WebhookEvent):
    business = db.session.get(Business, event.business_id) if event.business_id else None
    data = (event.payload or {}).get("data") or {}
    obj = data.get("object") if isinstance(data, dict) else None
    return business, obj if isinstance(obj, dict) and obj.get("id") else None


def _apply(event: WebhookEvent, apply, kinds: tuple[str, ...]) -> str:
    business, obj = _business_and_object(event)
    if business is None:
        return "ignored_unknown_organization"
    if obj is None:
        request_follow_up_sync(business, kinds)
        return "invalid_object_synced_instead"
    apply(business, [obj])
    db.session.commit()
    request_follow_up_sync(business, kinds)
    return "applied"


def apply_call_event(event: WebhookEvent) -> str:
    # A call can create a contact and book an appointment: sync those too.
    return _apply(event, apply_remote_calls, ("contacts", "calls", "appointments"))


def apply_appointment_event(event: WebhookEvent) -> str:
    return _apply(event, apply_remote_appointments, ("contacts", "appointments"))


def apply_contact_event(event: WebhookEvent) -> str:
    return _apply(event, apply_remote_contacts, ("contacts",))


def apply_lead_event(event: WebhookEvent) -> str:
    """A lead carries its contact's id, not the contact: sync contacts to get it."""
    business, lead = _business_and_object(event)
    if business is None:
        return "ignored_unknown_organization"
    if lead is not None:
        # -- leads inbox (issue 15): a lead captured elsewhere (real-time createLead) joins the inbox
        from app.leads.intake import lead_from_remote

        lead_from_remote(business, lead)
        # -- "new lead" notification (issue 13); the key is the 4calls lead id,
        # so the leads area may report the same lead without a second notice.
        from app.notifications import notify

        notify(business, "new_lead", title=f"New lead: {lead.get('name') or lead.get('phone') or 'a caller'}",
               body=(lead.get("message") or "")[:500], link=f"/businesses/{business.slug}/contacts",
               idempotency_key=f"lead:{lead['id']}")
        db.session.commit()
    request_follow_up_sync(business, ("contacts",))
    return "contact_sync_queued"


HANDLERS = {
    "call.completed": apply_call_event,
    "appointment.created": apply_appointment_event,
    "appointment.updated": apply_appointment_event,
    "appointment.cancelled": apply_appointment_event,
    "contact.created": apply_contact_event,
    "contact.updated": apply_contact_event,
    "contact.deleted": apply_contact_event,
    "lead.created": apply_lead_event,
}


def register() -> None:
    """Install the handlers in the webhook dispatch table (create_app calls this)."""
    from app.webhooks.services import FOURCALLS_EVENT_HANDLERS

    FOURCALLS_EVENT_HANDLERS.update(HANDLERS)
