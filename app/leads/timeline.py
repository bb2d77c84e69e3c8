"""Leads and SMS/email on the contact's timeline (app/contacts/timeline.py)."""
from __future__ import annotations

from sqlalchemy import select

from app.contacts.timeline_entry import TimelineEntry
from app.extensions import db
from app.models.leads import Lead, LeadSource
from app.models.messaging import ContactMessage


def lead_entries(business, contact, limit: int) -> list[TimelineEntry]:
    from flask import url_for

    leads = db.session.scalars(select(Lead).where(Lead.business_id == business.id, Lead.contact_id == contact.id)
                               .order_by(Lead.created_at.desc()).limit(limit)).unique()
    return [TimelineEntry(at=lead.created_at, kind="lead",
                          title=f"Lead from {LeadSource.LABELS.get(lead.source, lead.source).lower()}",
                          detail=(lead.score_reason or lead.message or "")[:300],
                          badge=lead.status + (f" · score {lead.score}" if lead.score is not None else ""),
                          url=url_for("leads.detail", slug=business.slug, lead_id=lead.id))
            for lead in leads]


def message_entries(business, contact, limit: int) -> list[TimelineEntry]:
    messages = db.session.scalars(select(ContactMessage).where(ContactMessage.business_id == business.id,
                                                               ContactMessage.contact_id == contact.id)
                                  .order_by(ContactMessage.created_at.desc()).limit(limit))
    return [TimelineEntry(at=m.created_at, kind="message",
                          title=f"{'SMS' if m.channel == 'sms' else 'Email'} {'sent' if m.outbound else 'received'}",
                          detail=m.body[:300], badge=m.status if m.outbound else "")
            for m in messages]
