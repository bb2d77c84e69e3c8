"""Local rows for what happens in chat: the contact behind a visitor, the
appointment they booked, the lead they left. The owner's contacts and
calendar pages read these tables, so a chat booking shows up at once,
before any sync runs.

All functions take 4calls documents (Contact, Appointment, Lead of the API
contract) and are idempotent by `remote_id`; callers commit.
"""
from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from app.models import Appointment, Business, Contact
from app.models.base import utcnow
from app.models.sync import SyncState
from app.models.leads import Lead, LeadSource
from app.crm_sync.upserts import apply_remote_appointments, apply_remote_contacts
from app.contacts.services import contact_by_remote_id


def contact_from_remote(business: Business, remote: dict) -> Contact:
    """The local contact for a 4calls contact, written through the sync upsert
    (issue 5's apply_remote_contacts) so chat and sync never make twins."""
    apply_remote_contacts(business, [remote])
    return contact_by_remote_id(business, remote["id"])


def contact_for_lead(business: Business, remote: dict) -> Contact:
    """The local contact behind a 4calls lead or booking, which carry only the
    contact's id and the customer's details: by remote id, else by phone or
    email (then given the remote id), else a new contact."""
    remote_id = remote.get("contact_id")
    contact = None
    if remote_id:
        contact = contact_by_remote_id(business, remote_id)
    if contact is None:
        contact = local_contact_for(business, name=remote.get("name"), phone=remote.get("phone"),
                                    email=remote.get("email"))
        if contact.remote_id is None and remote_id:
            contact.remote_id = remote_id
    contact.last_interaction_at = utcnow()
    db.session.flush()
    return contact


def local_contact_for(business: Business, *, name: str | None, phone: str | None, email: str | None) -> Contact:
    """A contact for details a visitor typed while no 4calls organization exists
    (matched by phone, then email, so a returning visitor is one contact)."""
    contact = _local_match(business, phone, email)
    if contact is None:
        contact = Contact(business_id=business.id, source="chat", name=name or "", phone=phone, email=email)
        db.session.add(contact)
    else:
        contact.name = contact.name or (name or "")
        contact.phone = contact.phone or phone
        contact.email = contact.email or email
    contact.last_interaction_at = utcnow()
    db.session.flush()
    return contact


def _local_match(business: Business, phone: str | None, email: str | None) -> Contact | None:
    live = select(Contact).where(Contact.business_id == business.id, Contact.deleted_at.is_(None))
    if phone:
        found = db.session.scalar(live.where(Contact.phone == phone).limit(1))
        if found is not None:
            return found
    if email:
        return db.session.scalar(live.where(func.lower(Contact.email) == email.lower()).limit(1))
    return None


def appointment_from_remote(business: Business, remote: dict) -> Appointment:
    """Write the appointment 4calls booked from chat into the local calendar now,
    rather than at the next sync."""
    apply_remote_appointments(business, [remote])
    return db.session.scalar(
        select(Appointment).where(Appointment.business_id == business.id, Appointment.remote_id == remote["id"])
    )


def lead_from_remote(business: Business, remote: dict, contact: Contact | None, conversation=None) -> Lead:
    lead = db.session.scalar(select(Lead).where(Lead.business_id == business.id, Lead.remote_id == remote["id"]))
    if lead is None:
        lead = Lead(business_id=business.id, remote_id=remote["id"], source=LeadSource.CHAT)
        db.session.add(lead)
    lead.name = remote.get("name")
    lead.phone = remote.get("phone")
    lead.email = remote.get("email")
    lead.message = remote.get("message")
    lead.contact_id = contact.id if contact is not None else lead.contact_id
    if conversation is not None:
        lead.conversation_id = conversation.id
    lead.sync_state = SyncState.SYNCED
    db.session.flush()
    return lead
