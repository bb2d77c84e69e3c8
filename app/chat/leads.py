"""Leads from the widget: the lead form inside a chat, and the contact form
shown while the business has no active package.

The lead is stored locally first (with its contact) in one transaction, so
what the visitor typed survives any 4calls failure; it then goes to 4calls
as a real-time lead, now or from a retried job.
"""
from __future__ import annotations

import logging

from app.chat import conversations as convos
from app.chat.records import contact_for_lead, local_contact_for
from app.chat.turns import ChatInputError, chat_coordinator_id
from app.contacts.services import ContactError, clean_contact_fields
from app.extensions import db
from app.integrations.wiring import emit_lead_created
from app.fourcalls import Conflict, FourCallsError, RetryPolicy
from app.assistant.connection import organization_client
from app.models import Business
from app.models.chat import ChatWidget, MessageRole
from app.models.sync import SyncState
from app.models.leads import Lead, LeadSource

log = logging.getLogger(__name__)

MAX_LEAD_MESSAGE = 2000


def clean_lead_fields(name: str | None, phone: str | None, email: str | None, message: str | None) -> dict:
    """Validated details; ChatInputError naming every problem otherwise."""
    try:
        cleaned = clean_contact_fields({"name": name, "phone": phone, "email": email})
    except ContactError as exc:
        raise ChatInputError(" ".join(exc.errors.values())) from None
    if not cleaned["phone"] and not cleaned["email"]:
        raise ChatInputError("Give a phone number or an email address so the team can reach you.")
    text = (message or "").strip()
    from app.validation import control_character_error

    if control_character_error(text):
        raise ChatInputError("Your message contains invisible control characters; please type it again.")
    if len(text) > MAX_LEAD_MESSAGE:
        raise ChatInputError(f"The message can be at most {MAX_LEAD_MESSAGE:,} characters; yours has {len(text):,}.")
    cleaned["message"] = text or None
    return cleaned


def capture_widget_lead(widget: ChatWidget, visitor_id: str, *, name=None, phone=None, email=None,
                        message=None) -> Lead:
    business = widget.business
    details = clean_lead_fields(name, phone, email, message)
    live = chat_coordinator_id(business) is not None
    conversation = convos.conversation_for(business, visitor_id)
    contact = local_contact_for(business, name=details["name"], phone=details["phone"], email=details["email"])
    lead = Lead(
        business_id=business.id,
        contact_id=contact.id,
        conversation_id=conversation.id,
        name=details["name"] or None,
        phone=details["phone"],
        email=details["email"],
        message=details["message"],
        source=LeadSource.CHAT if live else LeadSource.CONTACT_FORM,
        sync_state=SyncState.PENDING if live else SyncState.SYNCED,
    )
    db.session.add(lead)
    convos.remember_visitor(conversation, name=details["name"], phone=details["phone"], email=details["email"],
                            contact=contact)
    summary = {"type": "lead_form", "name": details["name"], "phone": details["phone"], "email": details["email"]}
    convos.append_message(conversation, MessageRole.VISITOR, details["message"] or "Left contact details.",
                          actions=[summary])
    emit_lead_created(lead)  # outgoing webhooks (issue 19)
    db.session.commit()
    if live:
        push_lead(lead)
        # -- leads inbox (issue 15): 4calls scores the chat in a job
        from app.leads.qualification import request_qualification

        request_qualification(lead)
    return lead


def push_lead(lead: Lead) -> bool:
    """Send a locally stored lead to 4calls; on failure keep it pending and
    queue a retry. Returns whether 4calls has it now."""
    try:
        # One attempt while the visitor waits; the job does the patient retrying.
        send_lead(lead, retry=RetryPolicy(max_attempts=1))
        return True
    except FourCallsError as exc:
        db.session.rollback()
        log.warning("lead %s not sent to 4calls yet: %s", lead.id, exc)
        from app.jobs import enqueue

        enqueue("app.chat.jobs.push_lead_job", str(lead.id), job_id=f"chat-lead-push:{lead.id}")
        return False


def send_lead(lead: Lead, **client_options) -> None:
    """Send it (the client retries as configured unless `retry` says otherwise);
    the idempotency key makes a repeat after a lost answer harmless."""
    if lead.remote_id:
        return
    business = db.session.get(Business, lead.business_id)
    coordinator_id = chat_coordinator_id(business)
    payload = {key: value for key, value in {
        "name": lead.name, "phone": lead.phone, "email": lead.email, "message": lead.message,
        "source": "chat", "coordinator_id": coordinator_id,
    }.items() if value}
    client = organization_client(business, **client_options)
    try:
        captured = client.create_lead(payload, idempotency_key=f"alphasite-lead-{lead.id}")
    except Conflict as exc:
        if exc.reason != "idempotency_key_reused":
            raise
        lead.sync_state, lead.sync_error = SyncState.ERROR, exc.message
        db.session.commit()
        return
    remote = captured["lead"]
    lead.remote_id = remote["id"]
    lead.sync_state, lead.sync_error = SyncState.SYNCED, None
    contact = contact_for_lead(business, remote)
    lead.contact_id = contact.id
    db.session.commit()
