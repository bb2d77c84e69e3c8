"""AI Coordinators: the assistants that answer an organization's calls and chats."""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from .auth import visible, visible_org
from .errors import conflict
from .params import json_body, list_response, page_args
from .runtime import new_record, runtime
from .voices import DEFAULT_VOICE, require_voice

bp = Blueprint("coordinators", __name__)

_EDITABLE = ("name", "role", "greeting", "persona", "script", "voice", "languages", "pace", "goals")


def _assign_number(org: dict) -> str:
    """A plausible direct line, in the organization's area code when it has a US number."""
    phone = org.get("phone") or ""
    area = phone[2:5] if phone.startswith("+1") and len(phone) == 12 else "512"
    return f"+1{area}555{runtime().rng.randint(0, 9999):04d}"


@bp.post("/organizations/<org_id>/coordinators")
def create_coordinator(org_id):
    body = json_body("CoordinatorCreate")
    require_voice(body.get("voice"))
    store = runtime().store
    with store.transaction():
        org = visible_org(org_id)
        coordinator = new_record("coord", org["id"])
        coordinator.update({"name": None, "role": None, "greeting": None, "persona": None,
                            "script": None, "voice": DEFAULT_VOICE, "languages": ["en"], "pace": "normal",
                            "goals": None, "status": "active",
                            "phone_number": _assign_number(org), "retired_at": None})
        coordinator.update({k: body[k] for k in _EDITABLE if k in body})
        store.insert("coordinators", coordinator)
    return jsonify(coordinator), 201


@bp.get("/organizations/<org_id>/coordinators")
def list_coordinators(org_id):
    org = visible_org(org_id)
    limit, cursor, since = page_args()
    where, params = ["organization_id = ?"], [org["id"]]
    if request.args.get("status"):
        where.append("status = ?")
        params.append(request.args["status"])
    return list_response("coordinators", where, params, limit, cursor, since)


@bp.get("/coordinators/<coordinator_id>")
def get_coordinator(coordinator_id):
    return jsonify(visible("coordinators", coordinator_id, "coordinator"))


@bp.put("/coordinators/<coordinator_id>")
def update_coordinator(coordinator_id):
    visible("coordinators", coordinator_id, "coordinator")
    body = json_body("CoordinatorUpdate")
    require_voice(body.get("voice"))
    store = runtime().store
    with store.transaction():
        coordinator = visible("coordinators", coordinator_id, "coordinator")
        if coordinator["status"] == "retired":
            raise conflict("This coordinator is retired and can no longer be changed.")
        coordinator.update({k: body[k] for k in _EDITABLE if k in body})
        store.save("coordinators", coordinator)
    return jsonify(coordinator)


@bp.delete("/coordinators/<coordinator_id>")
def retire_coordinator(coordinator_id):
    store = runtime().store
    with store.transaction():
        coordinator = visible("coordinators", coordinator_id, "coordinator")
        if coordinator["status"] != "retired":
            coordinator["status"] = "retired"
            coordinator["retired_at"] = store.stamp()
            store.save("coordinators", coordinator)
    return jsonify(coordinator)


def active_coordinators(org_id: str) -> list[dict]:
    return runtime().store.find("coordinators", "organization_id = ? AND status = 'active'", (org_id,))
