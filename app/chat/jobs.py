"""Background work for chat: thin functions taking ids."""
from __future__ import annotations

import uuid

from app.extensions import db
from app.jobs.records import recorded_run
from app.models.leads import Lead


def push_lead_job(lead_id: str) -> None:
    """Retry sending a widget lead that 4calls did not take at the time."""
    lead = db.session.get(Lead, uuid.UUID(lead_id))
    if lead is None or lead.remote_id:
        return
    with recorded_run("chat_lead_push", lead.business_id):
        from app.chat.leads import send_lead

        send_lead(lead)
