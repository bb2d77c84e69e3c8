"""What new calls and appointments from 4calls mean for the owner: a message
taken becomes a TakenMessage, an urgent call or an AI booking a notification.

Called from the CRM upserts (webhooks and sync both pass through them). Only
rows inserted now count, and every write is keyed on the 4calls id, so a
webhook delivered twice, or a sync racing it, records and notifies once.
Calls and bookings older than a day (a first import) never notify.
"""
from __future__ import annotations

import uuid
from datetime import timedelta

from flask import current_app, has_request_context, url_for
from sqlalchemy import select

from app.extensions import db
from app.models import Appointment, Business, Call, TakenMessage
from app.models.base import utcnow
from app.notifications import notify
from app.crm_sync.bulk import dialect_insert
from app.timezones import format_local

FRESH_FOR = timedelta(days=1)


def _parse(value):
    from app.crm_sync.upserts import parse_timestamp

    return parse_timestamp(value)


def _fresh(row: dict) -> bool:
    moment = _parse(row.get("ended_at") or row.get("started_at") or row.get("created_at"))
    return moment is None or moment >= utcnow() - FRESH_FOR


def _link(endpoint: str, **values) -> str:
    """A site-relative link (jobs have no request; the path is the same)."""
    if has_request_context():
        return url_for(endpoint, **values)
    with current_app.test_request_context():
        return url_for(endpoint, **values)


def after_calls_applied(business: Business, rows: list[dict], inserted_ids: list[str]) -> None:
    inserted = set(inserted_ids)
    takes = [row for row in rows if isinstance(row.get("message_taken"), dict) and row["message_taken"].get("text")]
    urgent = [row for row in rows
              if row["id"] in inserted and isinstance(row.get("forwarding"), dict) and _fresh(row)]
    if not takes and not urgent:
        return  # most batches: nothing to read
    local = {remote: (call_id, contact_id) for remote, call_id, contact_id in db.session.execute(
        select(Call.remote_id, Call.id, Call.contact_id).where(
            Call.business_id == business.id, Call.remote_id.in_({r["id"] for r in takes + urgent})))}
    taking, forwarded = {id(row) for row in takes}, {id(row) for row in urgent}
    for row in rows:  # in the batch's order, as before
        if id(row) in taking:
            _record_message(business, row, row["message_taken"], *local.get(row["id"], (None, None)))
        if id(row) in forwarded:
            _notify_urgent_call(business, row, row["forwarding"], local.get(row["id"], (None, None))[0])


def _record_message(business: Business, row: dict, taken: dict, call_id, contact_id) -> None:
    now = utcnow()
    message_id = uuid.uuid4()
    inserted = db.session.execute(
        dialect_insert(TakenMessage).values(
            id=message_id, business_id=business.id, call_id=call_id, call_remote_id=row["id"], contact_id=contact_id,
            caller_name=(taken.get("caller_name") or None) and str(taken["caller_name"])[:200],
            caller_number=(taken.get("caller_number") or row.get("caller_number") or None),
            text=str(taken["text"]), urgency="urgent" if taken.get("urgency") == "urgent" else "normal",
            callback_requested=bool(taken.get("callback_requested")),
            taken_at=_parse(row.get("started_at")) or now, created_at=now, updated_at=now)
        .on_conflict_do_nothing(index_elements=["business_id", "call_remote_id"])
        .returning(TakenMessage.id)
    ).scalar()
    if inserted is None or not _fresh(row):
        return
    urgent = taken.get("urgency") == "urgent"
    who = taken.get("caller_name") or taken.get("caller_number") or "A caller"
    notify(business, "message_taken", urgent=urgent,
           title=f"{'Urgent message' if urgent else 'New message'} from {who}",
           body=str(taken["text"])[:500] + (" They asked for a call back." if taken.get("callback_requested") else ""),
           link=_link("taken_messages.inbox", slug=business.slug),
           idempotency_key=f"message-taken:{row['id']}")


def _notify_urgent_call(business: Business, row: dict, forwarding: dict, call_id) -> None:
    who = row.get("caller_name") or row.get("caller_number") or "A caller"
    if forwarding.get("answered"):
        title = f"Call from {who} forwarded to {forwarding.get('to')}"
    else:
        title = f"Urgent call from {who} missed: nobody answered at {forwarding.get('to')}"
    link = _link("calls.detail", slug=business.slug, call_id=call_id) if call_id else None
    notify(business, "urgent_call", title=title, body=forwarding.get("reason") or "",
           link=link, idempotency_key=f"urgent-call:{row['id']}")


AI_SOURCES = {"call": "on a call", "chat": "in a website chat", "campaign": "on a campaign call"}


def after_appointments_applied(business: Business, rows: list[dict], inserted_ids: list[str]) -> None:
    inserted = set(inserted_ids)
    for row in rows:
        source = row.get("source")
        if row["id"] not in inserted or source not in AI_SOURCES or not _fresh(row):
            continue
        appointment_id = db.session.scalar(select(Appointment.id).where(
            Appointment.business_id == business.id, Appointment.remote_id == row["id"]))
        starts = _parse(row.get("starts_at"))
        when = format_local(starts, business, "%a %b %-d, %-I:%M %p") if starts else "a new time"
        notify(business, "ai_booking",
               title=f"{row.get('customer_name') or 'A customer'} booked {row.get('appointment_type') or 'an appointment'}",
               body=f"Booked by the AI {AI_SOURCES[source]} for {when}.",
               link=_link("appointments.detail", slug=business.slug, appointment_id=appointment_id) if appointment_id else None,
               idempotency_key=f"ai-booking:{row['id']}")
