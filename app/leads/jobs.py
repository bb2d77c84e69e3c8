"""Lead jobs: thin wrappers taking ids."""
from __future__ import annotations


def qualify_lead_job(lead_id: str) -> str:
    from app.leads.qualification import qualify_lead

    return qualify_lead(lead_id)


def sweep_leads_job() -> dict:
    from app.leads.qualification import sweep_pending_qualifications

    return {"qualifications_queued": sweep_pending_qualifications()}
