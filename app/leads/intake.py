"""Leads that arrive from 4calls: calls whose outcome is "lead" (inbound or
campaign) and real-time leads captured elsewhere. Called from the call upsert
(webhook or sync, whichever lands a call first) and from `lead.created`.

Idempotent: one lead per call (unique business_id + call_id) and one per
4calls lead id, so redeliveries and a racing sync add nothing.
"""
from __future__ import annotations

import uuid
from collections import namedtuple

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.jobs.after_commit import after_commit
from app.models import Business, Call
from app.models.base import utcnow
from app.models.leads import Lead, LeadSource, LeadStatus, Qualification
from app.crm_sync.bulk import dialect_insert


def _insert_once(lead: Lead) -> bool:
    """Add the lead unless a unique constraint says it exists already."""
    try:
        with db.session.begin_nested():
            db.session.add(lead)
    except IntegrityError:
        return False
    return True


def leads_from_calls(business: Business, calls: list) -> list[uuid.UUID]:
    """One lead per call whose outcome is "lead", in one INSERT ... ON CONFLICT
    DO NOTHING: the unique (business_id, call_id) decides, so a racing webhook
    and sync (or a redelivery) add nothing. Returns the new leads' ids."""
    now = utcnow()
    values = [
        {"id": uuid.uuid4(), "business_id": business.id, "contact_id": call.contact_id, "call_id": call.id,
         "name": call.caller_name, "phone": call.caller_number, "message": call.summary,
         "source": LeadSource.CAMPAIGN if call.campaign_remote_id else LeadSource.CALL,
         "status": LeadStatus.NEW, "qualification": Qualification.PENDING,
         "created_at": call.started_at, "updated_at": now, "last_activity_at": call.started_at}
        for call in calls if call.outcome == "lead"
    ]
    if not values:
        return []
    statement = dialect_insert(Lead).on_conflict_do_nothing(index_elements=["business_id", "call_id"]).returning(
        Lead.__table__.c.id)
    created = list(db.session.execute(statement, values).scalars())
    if created:
        ids = [str(lead_id) for lead_id in created]
        after_commit(lambda: _queue_qualification(ids))
    return created


def _queue_qualification(lead_ids: list[str]) -> None:
    from app.jobs import enqueue

    for lead_id in lead_ids:
        enqueue("app.leads.jobs.qualify_lead_job", lead_id, job_id=f"lead-qualify:{lead_id}")


_NEW_CALL_COLUMNS = (Call.id, Call.contact_id, Call.caller_name, Call.caller_number, Call.summary, Call.outcome,
                     Call.campaign_remote_id, Call.started_at, Call.direction, Call.status)


_NewCall = namedtuple("_NewCall", [column.key for column in _NEW_CALL_COLUMNS])


def on_new_calls(business: Business, remote_ids: list[str], rows: list[dict] | None = None) -> None:
    """Everything a first-seen call sets off: its lead, and a missed-call text.
    `rows`: the inserted values (the sync's batch), which spare reading the calls back."""
    if rows is not None:
        calls = [_NewCall(*(row[name] for name in _NewCall._fields)) for row in rows]
    else:
        # The columns a lead and a text-back read, not whole calls with their transcripts.
        calls = db.session.execute(select(*_NEW_CALL_COLUMNS).where(Call.business_id == business.id,
                                                                   Call.remote_id.in_(remote_ids))).all()
    leads_from_calls(business, calls)
    from app.messaging.textback import text_backs_for_calls

    text_backs_for_calls(business, calls)


def lead_from_remote(business: Business, remote: dict) -> Lead | None:
    """A 4calls `lead.created`: calls make their lead from the call itself, and
    chat leads were stored here first, so only leads from elsewhere are new."""
    if remote.get("call_id") or remote.get("source") in ("chat", "call", "campaign"):
        return None
    remote_id = remote.get("id")
    if not remote_id or db.session.scalar(select(Lead.id).where(Lead.business_id == business.id,
                                                                Lead.remote_id == remote_id)):
        return None
    from app.chat.records import contact_for_lead

    contact = contact_for_lead(business, remote)
    message = (remote.get("message") or "")[:2000] or None
    lead = Lead(business_id=business.id, contact_id=contact.id, remote_id=remote_id,
                name=(remote.get("name") or None) and remote["name"][:200], phone=remote.get("phone"),
                email=remote.get("email"), message=message, source=LeadSource.REALTIME,
                qualification=Qualification.PENDING if message else Qualification.NONE)
    if not _insert_once(lead):
        return None
    if message:
        after_commit(lambda: _queue_qualification([str(lead.id)]))
    return lead
