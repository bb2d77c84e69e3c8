"""Sandbox-only routes under /_sandbox/: no auth, never subject to faults."""
from __future__ import annotations

import os

from flask import Blueprint, jsonify, request

from .call_generator import OVERRIDABLE, generate_call
from .errors import invalid, not_found
from .params import bool_arg, json_body
from .runtime import runtime
from .seeding import seed
from .storage import RESOURCE_COLUMNS
from .webhooks import delivery_log

bp = Blueprint("sandbox_admin", __name__, url_prefix="/_sandbox")

SETTINGS = {"call_interval": float, "campaign_interval": float, "chat_token_delay_ms": float, "dial_seconds": float}


def _org(org_id: str) -> dict:
    org = runtime().store.get("organizations", org_id)
    if org is None:
        raise not_found("organization")
    return org


@bp.get("/health")
def health():
    rt = runtime()
    return jsonify({"status": "ok", "pid": os.getpid(), "uptime_seconds": round(rt.uptime_seconds(), 3),
                    "data_path": str(rt.store.path)})


@bp.get("/faults")
def get_faults():
    return jsonify(runtime().faults.snapshot())


@bp.post("/faults")
def set_faults():
    return jsonify(runtime().faults.configure(json_body()))


@bp.delete("/faults")
def clear_faults():
    return jsonify(runtime().faults.clear())


@bp.get("/settings")
def get_settings():
    options = runtime().options
    return jsonify({name: getattr(options, name) for name in SETTINGS})


@bp.post("/settings")
def change_settings():
    body = json_body()
    options = runtime().options
    unknown = [k for k in body if k not in SETTINGS]
    bad = [k for k in body if k in SETTINGS and (not isinstance(body[k], (int, float)) or body[k] < 0)]
    if unknown or bad:
        raise invalid({**{k: "unknown setting" for k in unknown}, **{k: "must be a number >= 0" for k in bad}})
    for name, value in body.items():
        setattr(options, name, SETTINGS[name](value))
    return get_settings()


@bp.post("/organizations/<org_id>/calls")
def generate_one_call(org_id):
    org = _org(org_id)
    body = json_body(allow_empty=True)
    unknown = [k for k in body if k not in OVERRIDABLE]
    if unknown:
        raise invalid({k: "unknown field" for k in unknown})
    if body.get("direction") not in (None, "inbound", "outbound"):
        raise invalid({"direction": "must be inbound or outbound"})
    if body.get("status") not in (None, "answered", "missed", "voicemail"):
        raise invalid({"status": "must be answered, missed or voicemail"})
    return jsonify(generate_call(org, body)), 201


@bp.post("/organizations/<org_id>/seed")
def seed_organization(org_id):
    return jsonify(seed(_org(org_id), json_body(allow_empty=True))), 201


@bp.get("/organizations/<org_id>/state")
def organization_state(org_id):
    """Everything stored for one organization, for tests to compare against."""
    org = _org(org_id)
    store = runtime().store
    include_ids, full = not request.args.get("ids") == "false", bool_arg("full")
    counts, ids, objects = {}, {}, {}
    for kind in RESOURCE_COLUMNS:
        if kind == "organizations":
            continue
        counts[kind] = store.scalar(f"SELECT COUNT(*) FROM {kind} WHERE organization_id = ?", (org["id"],))
        if include_ids:
            ids[kind] = [r[0] for r in store.rows(f"SELECT id FROM {kind} WHERE organization_id = ?"
                                                  " ORDER BY updated_at, id", (org["id"],))]
        if full:
            objects[kind] = store.find(kind, "organization_id = ?", (org["id"],))
    counts["contacts_deleted"] = store.scalar(
        "SELECT COUNT(*) FROM contacts WHERE organization_id = ? AND deleted = 1", (org["id"],))
    keys = store.rows("SELECT prefix, created_at, revoked_at FROM api_keys WHERE organization_id = ?"
                      " ORDER BY created_at", (org["id"],))
    events = store.rows("SELECT id, type, created FROM events WHERE organization_id = ? ORDER BY rowid",
                        (org["id"],))
    counts["events"] = len(events)
    state = {"organization": org, "counts": counts,
             "api_keys": [dict(k) for k in keys],
             "events": [dict(e) for e in events]}
    if include_ids:
        state["ids"] = ids
    if full:
        state["objects"] = objects
    return jsonify(state)


@bp.get("/webhooks")
def webhooks():
    return jsonify({"data": delivery_log(request.args.get("organization_id"), request.args.get("type"))})
