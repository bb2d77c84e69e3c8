"""One timeline of everything that happened with a contact, newest first.

Each source is a function (business, contact, limit) -> [TimelineEntry];
a new kind of interaction (e.g. chat conversations) is one more function
in TIMELINE_SOURCES.
"""
from __future__ import annotations

from sqlalchemy import select

from app.contacts.timeline_entry import TimelineEntry
from app.extensions import db
from app.models import Appointment, Business, Call, Contact
from app.wording import status_label


def _minutes(seconds: int) -> str:
    return f"{seconds // 60} min {seconds % 60:02d} s" if seconds >= 60 else f"{seconds} s"


def call_entries(business: Business, contact: Contact, limit: int) -> list[TimelineEntry]:
    calls = db.session.scalars(
        select(Call).where(Call.business_id == business.id, Call.contact_id == contact.id,
                           Call.campaign_remote_id.is_(None))
        .order_by(Call.started_at.desc()).limit(limit)
    )
    return [
        TimelineEntry(
            at=call.started_at, kind="call",
            title=f"{call.direction.capitalize()} call · {status_label(call.status, 'call')}" + (f" · {_minutes(call.duration_seconds)}"
                                                                           if call.duration_seconds else ""),
            detail=call.summary or "", badge=status_label(call.outcome, "outcome"),
        )
        for call in calls
    ]


def campaign_entries(business: Business, contact: Contact, limit: int) -> list[TimelineEntry]:
    calls = db.session.scalars(
        select(Call).where(Call.business_id == business.id, Call.contact_id == contact.id,
                           Call.campaign_remote_id.is_not(None))
        .order_by(Call.started_at.desc()).limit(limit)
    )
    return [
        TimelineEntry(at=call.started_at, kind="campaign", title="Campaign call",
                      detail=call.summary or "", badge=status_label(call.outcome, "outcome") or status_label(call.status, "call"))
        for call in calls
    ]


def appointment_entries(business: Business, contact: Contact, limit: int) -> list[TimelineEntry]:
    from flask import url_for

    appointments = db.session.scalars(
        select(Appointment).where(Appointment.business_id == business.id, Appointment.contact_id == contact.id)
        .order_by(Appointment.starts_at.desc()).limit(limit)
    )
    return [
        TimelineEntry(
            at=appt.starts_at, kind="appointment",
            title=f"{appt.appointment_type or 'Appointment'} · {appt.status.replace('_', ' ')}",
            detail=f"Booked via {appt.source}" + (f" — {appt.notes}" if appt.notes else ""),
            badge=appt.status,
            url=url_for("appointments.detail", slug=business.slug, appointment_id=appt.id),
        )
        for appt in appointments
    ]


def chat_entries(business: Business, contact: Contact, limit: int) -> list[TimelineEntry]:
    from flask import url_for

    from app.models.chat import ChatConversation

    conversations = db.session.scalars(
        select(ChatConversation).where(ChatConversation.business_id == business.id,
                                       ChatConversation.contact_id == contact.id)
        .order_by(ChatConversation.last_message_at.desc()).limit(limit)
    )
    return [
        TimelineEntry(at=chat.last_message_at, kind="chat", title="Website chat",
                      detail=f"{chat.message_count} message{'s' if chat.message_count != 1 else ''}",
                      url=url_for("chat.transcript", slug=business.slug, conversation_id=chat.id))
        for chat in conversations
    ]


def taken_message_entries(business: Business, contact: Contact, limit: int) -> list[TimelineEntry]:
    # -- messages taken by the AI (issue 13)
    from flask import url_for

    from app.taken_messages.services import contact_messages

    return [
        TimelineEntry(at=message.taken_at, kind="message",
                      title="Message taken" + (" · urgent" if message.is_urgent else ""),
                      detail=message.text, badge="handled" if message.handled_at else "open",
                      url=url_for("taken_messages.inbox", slug=business.slug, which="all") + f"#message-{message.id}")
        for message in contact_messages(business, contact, limit)
    ]


TIMELINE_SOURCES = [call_entries, campaign_entries, appointment_entries, chat_entries, taken_message_entries]
# -- leads and messages (issue 15)
from app.leads.timeline import lead_entries, message_entries  # noqa: E402

TIMELINE_SOURCES += [lead_entries, message_entries]


def contact_timeline(business: Business, contact: Contact, limit: int = 100) -> list[TimelineEntry]:
    entries: list[TimelineEntry] = []
    for source in TIMELINE_SOURCES:
        entries.extend(source(business, contact, limit))
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries[:limit]
