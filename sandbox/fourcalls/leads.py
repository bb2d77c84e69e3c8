"""Leads: people who asked to be contacted, from any channel."""
from __future__ import annotations

from flask import Blueprint, jsonify

from .auth import visible, visible_org
from .contacts import upsert_contact
from .params import list_response, page_args
from .runtime import new_record, runtime
from .webhooks import emit

bp = Blueprint("leads", __name__)


def capture_lead(org: dict, *, name=None, phone=None, email=None, message=None, source="api",
                 call_id=None, coordinator_id=None, contact=None) -> tuple[dict, dict, bool]:
    """Create a lead and create/update its contact (unless given); fires contact.* and lead.created."""
    store = runtime().store
    contact_source = {"web": "lead", "api": "lead", "manual": "manual"}.get(source, source)
    with store.transaction():
        created = False
        if contact is None:
            contact, created = upsert_contact(org, name=name, phone=phone, email=email,
                                              source=contact_source)
        lead = new_record("lead", org["id"])
        lead.update({"contact_id": contact["id"], "name": name or contact.get("name"),
                     "phone": phone or contact.get("phone"), "email": email or contact.get("email"),
                     "message": message, "source": source, "status": "new", "call_id": call_id,
                     "coordinator_id": coordinator_id})
        store.insert("leads", lead)
        emit("lead.created", org, lead)
    return lead, contact, created


@bp.get("/organizations/<org_id>/leads")
def list_leads(org_id):
    org = visible_org(org_id)
    limit, cursor, since = page_args()
    return list_response("leads", ["organization_id = ?"], [org["id"]], limit, cursor, since)


@bp.get("/organizations/<org_id>/leads/<lead_id>")
def get_lead(org_id, lead_id):
    org = visible_org(org_id)
    return jsonify(visible("leads", lead_id, "lead", org["id"]))
