"""AI qualification of leads, computed by 4calls' lead analysis.

Never in a request: `request_qualification` marks the lead pending and
queues `qualify_lead`, which sends what the customer said (the call's
transcript, the chat, the lead's message, their replies) to 4calls and keeps
the score and reason. A lead of a business without a 4calls organization
stays unqualified.
"""
from __future__ import annotations

import uuid

from sqlalchemy import select

from app.extensions import db
from app.fourcalls import FourCallsError, NotProvisioned, ValidationError, plain_words
from app.assistant.connection import organization_client
from app.models import Business, Call
from app.models.leads import Lead, Qualification


def request_qualification(lead: Lead) -> None:
    from app.jobs import enqueue

    if lead.qualification != Qualification.PENDING:
        lead.qualification = Qualification.PENDING
        db.session.commit()
    enqueue("app.leads.jobs.qualify_lead_job", str(lead.id), job_id=f"lead-qualify:{lead.id}")


def customer_words(lead: Lead) -> tuple[list[dict], str]:
    """(transcript lines, free text) of what the customer said about this lead."""
    transcript: list[dict] = []
    if lead.call_id:
        call = db.session.get(Call, lead.call_id)
        for line in (call.transcript if call else None) or []:
            if isinstance(line, dict) and line.get("text"):
                transcript.append({"speaker": str(line.get("speaker") or "caller"), "text": str(line["text"])[:5000]})
    if lead.conversation_id:
        from app.models.chat import ChatMessage, MessageRole

        for message in db.session.scalars(select(ChatMessage).where(
                ChatMessage.conversation_id == lead.conversation_id).order_by(ChatMessage.position).limit(200)):
            if message.text:
                speaker = "visitor" if message.role == MessageRole.VISITOR else "assistant"
                transcript.append({"speaker": speaker, "text": message.text[:5000]})
    text = lead.message or ""
    if lead.contact_id:
        from app.models.messaging import ContactMessage, MessageDirection

        replies = db.session.scalars(select(ContactMessage.body).where(
            ContactMessage.contact_id == lead.contact_id, ContactMessage.direction == MessageDirection.INBOUND,
        ).order_by(ContactMessage.created_at).limit(20)).all()
        text = " ".join([text, *replies]).strip()
    return transcript[-500:], text[:20000]


def qualify_lead(lead_id: str) -> str:
    lead = db.session.get(Lead, uuid.UUID(str(lead_id)))
    if lead is None:
        return "gone"
    business = db.session.get(Business, lead.business_id)
    transcript, text = customer_words(lead)
    if not transcript and not text:
        lead.qualification = Qualification.NONE
        db.session.commit()
        return "nothing to analyse"
    try:
        client = organization_client(business)
        analysis = client.analyze_lead(client.organization_id, transcript=transcript or None, text=text or None)
    except NotProvisioned:
        lead.qualification = Qualification.NONE
        db.session.commit()
        return "no organization"
    except ValidationError as exc:
        lead.qualification, lead.score_reason = Qualification.ERROR, plain_words(exc)[:500]
        db.session.commit()
        return "refused"
    except FourCallsError:
        db.session.rollback()
        raise  # the queue retries; the lead stays pending
    lead.score = max(0, min(100, int(analysis.get("score") or 0)))
    lead.score_reason = str(analysis.get("reason") or "")[:500] or None
    lead.qualification = Qualification.DONE
    db.session.commit()
    return "qualified"


def sweep_pending_qualifications(limit: int = 200) -> int:
    """Recurring: leads still pending (a lost job, 4calls down for longer than the retries)."""
    from app.jobs import enqueue

    pending = db.session.scalars(select(Lead.id).where(Lead.qualification == Qualification.PENDING).limit(limit)).all()
    for lead_id in pending:
        enqueue("app.leads.jobs.qualify_lead_job", str(lead_id), job_id=f"lead-qualify:{lead_id}")
    return len(pending)
