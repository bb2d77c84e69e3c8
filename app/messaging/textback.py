"""Missed-call text-back: a missed or voicemail call gets an SMS after the
owner's delay, at most once per number per local day, never to a number on
the do-not-contact list, and held for quiet hours like any text. A reply is
analysed by 4calls (in a job) and, when it shows intent, becomes a lead.
"""
from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.fourcalls import FourCallsError, NotProvisioned, ValidationError
from app.assistant.connection import organization_client
from app.jobs.after_commit import after_commit
from app.leads.errors import FieldErrors
from app.messaging.compose import DraftError, check_draft, unknown_variables_error
from app.models import Business, Call, Contact
from app.models.base import utcnow
from app.models.leads import Lead, LeadSource, Qualification
from app.models.messaging import DEFAULT_TEXT_BACK, ContactMessage, MessagePurpose, MessagingSettings, TextBack
from app.timezones import local_today
from app.usage.services import has_feature

FEATURE = "lead_management"
RECENT_CALL = timedelta(hours=2)  # older calls (a first sync, a backfill) never trigger a text
REPLY_WINDOW = timedelta(days=7)
INTENT_SCORE = 40
MAX_DELAY_MINUTES = 24 * 60
MAX_TEXT = 480


class SettingsError(FieldErrors):
    """Bad text-back settings."""


def settings_for(business: Business) -> MessagingSettings:
    settings = db.session.scalar(select(MessagingSettings).where(MessagingSettings.business_id == business.id))
    if settings is None:
        settings = MessagingSettings(business_id=business.id, text_back_enabled=True, text_back_delay_minutes=1,
                                     text_back_text=DEFAULT_TEXT_BACK)
        db.session.add(settings)
        db.session.flush()
    return settings


def update_settings(business: Business, *, enabled: bool, delay: str, text: str) -> MessagingSettings:
    errors = {}
    text = (text or "").strip()
    delay = (delay or "").strip()
    if not delay.isdigit() or not 0 <= int(delay) <= MAX_DELAY_MINUTES:
        errors["delay"] = f"Enter a delay from 0 to {MAX_DELAY_MINUTES:,} minutes."
    if not text:
        errors["text"] = "Write the text to send."
    elif unknown_variables_error(text):
        errors["text"] = unknown_variables_error(text)
    elif len(text) > MAX_TEXT:
        errors["text"] = f"Keep the text under {MAX_TEXT} characters (it is {len(text)})."
    if errors:
        raise SettingsError(errors)
    settings = settings_for(business)
    settings.text_back_enabled, settings.text_back_delay_minutes, settings.text_back_text = enabled, int(delay), text
    db.session.commit()
    return settings


def text_backs_for_calls(business: Business, calls: list[Call]) -> list[TextBack]:
    """Plan a text for each first-seen missed inbound call (the caller's transaction; not committed)."""
    missed = [c for c in calls if c.direction == "inbound" and c.status in ("missed", "voicemail")
              and c.caller_number and c.started_at >= utcnow() - RECENT_CALL and not c.campaign_remote_id]
    if not missed or not has_feature(business, FEATURE):
        return []
    settings = settings_for(business)
    if not settings.text_back_enabled:
        return []
    planned = []
    for call in missed:
        day = local_today(business, call.started_at)
        if db.session.scalar(select(TextBack.id).where(TextBack.business_id == business.id,
                                                       TextBack.phone == call.caller_number,
                                                       TextBack.local_day == day)):
            continue
        text_back = TextBack(business_id=business.id, phone=call.caller_number, local_day=day, call_id=call.id,
                             contact_id=call.contact_id,
                             send_at=max(call.started_at, utcnow()) + timedelta(minutes=settings.text_back_delay_minutes))
        try:
            with db.session.begin_nested():
                db.session.add(text_back)
        except IntegrityError:
            continue  # a second missed call today, racing the first
        planned.append(text_back)
    for text_back in planned:
        text_back_id, delay = str(text_back.id), text_back.send_at - utcnow()
        after_commit(lambda text_back_id=text_back_id, delay=delay: _queue_text_back(text_back_id, delay))
    return planned


def _queue_text_back(text_back_id: str, delay: timedelta | None, suffix: str = "") -> None:
    from app.jobs import enqueue

    # The sweep uses its own job id: the delayed job may still be waiting in the queue's scheduler.
    enqueue("app.messaging.jobs.send_text_back_job", text_back_id, job_id=f"text-back:{text_back_id}{suffix}",
            delay=delay if delay and delay.total_seconds() > 0 else None)


def _skip(text_back: TextBack, note: str) -> str:
    text_back.status, text_back.note = "skipped", note[:300]
    db.session.commit()
    return "skipped"


def send_text_back(text_back_id) -> str:
    from app.messaging.services import blocked_reason, queue_message

    text_back = db.session.get(TextBack, uuid.UUID(str(text_back_id)))
    if text_back is None or text_back.status != "scheduled":
        return "nothing to do"
    if text_back.send_at > utcnow() + timedelta(seconds=30):
        return "not due"
    business = db.session.get(Business, text_back.business_id)
    settings = settings_for(business)
    if not has_feature(business, FEATURE) or not settings.text_back_enabled:
        return _skip(text_back, "Text-back was switched off.")
    reason = blocked_reason(business, "sms", text_back.phone)
    if reason:
        return _skip(text_back, reason)
    contact = db.session.get(Contact, text_back.contact_id) if text_back.contact_id else None
    if contact is None or contact.phone != text_back.phone:
        contact = db.session.scalar(select(Contact).where(Contact.business_id == business.id,
                                                          Contact.phone == text_back.phone,
                                                          Contact.deleted_at.is_(None)).limit(1))
    if contact is None:
        from app.chat.records import local_contact_for

        contact = local_contact_for(business, name=None, phone=text_back.phone, email=None)
        contact.source = "call"
    try:
        draft = check_draft(business, contact, "sms", settings.text_back_text)
        message = queue_message(business, contact, draft, purpose=MessagePurpose.TEXT_BACK)
    except DraftError as exc:
        db.session.rollback()
        return _skip(db.session.get(TextBack, text_back.id), " ".join(exc.errors.values()))
    text_back.status, text_back.message_id = "sent", message.id
    db.session.commit()
    return "sent"


def note_reply(business: Business, message: ContactMessage) -> TextBack | None:
    """An inbound text from a number we texted back: count the reply and let
    4calls judge its intent (a job). The caller commits."""
    if message.channel != "sms":
        return None
    text_back = db.session.scalar(select(TextBack).where(
        TextBack.business_id == business.id, TextBack.phone == message.from_address,
        TextBack.status.in_(("sent", "replied")), TextBack.created_at >= utcnow() - REPLY_WINDOW,
    ).order_by(TextBack.created_at.desc()).limit(1))
    if text_back is None:
        return None
    if text_back.replied_at is None:
        text_back.replied_at = utcnow()
        text_back.status = "replied"
    if text_back.lead_id is None:
        text_back_id, message_id = str(text_back.id), str(message.id)
        after_commit(lambda: _queue_reply_analysis(text_back_id, message_id))
    return text_back


def _queue_reply_analysis(text_back_id: str, message_id: str) -> None:
    from app.jobs import enqueue

    enqueue("app.messaging.jobs.analyse_text_back_reply_job", text_back_id, message_id, job_id=f"text-back-reply:{message_id}")


def analyse_reply(text_back_id, message_id) -> str:
    """4calls scores the reply; intent (or a good score) makes a lead, once per text-back."""
    text_back = db.session.get(TextBack, uuid.UUID(str(text_back_id)))
    message = db.session.get(ContactMessage, uuid.UUID(str(message_id)))
    if text_back is None or message is None:
        return "gone"
    if text_back.lead_id is not None:
        return "lead exists"
    business = db.session.get(Business, text_back.business_id)
    try:
        client = organization_client(business)
        analysis = client.analyze_lead(client.organization_id, text=message.body)
    except (NotProvisioned, ValidationError):
        return "not analysed"
    except FourCallsError:
        db.session.rollback()
        raise
    score = int(analysis.get("score") or 0)
    if not (analysis.get("signals") or {}).get("intent") and score < INTENT_SCORE:
        return "no intent"
    contact = db.session.get(Contact, message.contact_id) if message.contact_id else None
    lead = Lead(business_id=business.id, contact_id=message.contact_id,
                name=(contact.name if contact else None) or None, phone=text_back.phone, message=message.body,
                source=LeadSource.TEXT_BACK, call_id=None, score=max(0, min(100, score)),
                score_reason=str(analysis.get("reason") or "")[:500] or None, qualification=Qualification.DONE)
    db.session.add(lead)
    db.session.flush()
    text_back.lead_id = lead.id
    db.session.commit()
    return "lead created"


# Built once: the text-back page runs it, and the dashboard's leads panel
# reads it inside its own single statement (app/leads/services.panel_figures).
TEXT_BACK_FIGURES = select(
    func.count().filter(TextBack.status.in_(("sent", "replied"))).label("sent"),
    func.count().filter(TextBack.replied_at.is_not(None)).label("replies"),
    func.count().filter(TextBack.lead_id.is_not(None)).label("leads"),
).select_from(TextBack).where(TextBack.business_id == bindparam("business_id"),
                              TextBack.created_at >= bindparam("since"))
TEXT_BACK_DAYS = 30


def text_back_since(days: int = TEXT_BACK_DAYS):
    return utcnow() - timedelta(days=days)


def figures_from_row(row, days: int = TEXT_BACK_DAYS) -> dict:
    return {"sent": row.sent or 0, "replies": row.replies or 0, "leads": row.leads or 0, "days": days}


def text_back_figures(business: Business, days: int = TEXT_BACK_DAYS) -> dict:
    row = db.session.execute(TEXT_BACK_FIGURES, {"business_id": business.id, "since": text_back_since(days)}).one()
    return figures_from_row(row, days)


def sweep_text_backs(limit: int = 200) -> int:
    """Recurring: scheduled texts whose job was lost."""
    due = db.session.scalars(select(TextBack.id).where(TextBack.status == "scheduled",
                                                       TextBack.send_at <= utcnow()).limit(limit)).all()
    for text_back_id in due:
        _queue_text_back(str(text_back_id), None, ":sweep")
    return len(due)
