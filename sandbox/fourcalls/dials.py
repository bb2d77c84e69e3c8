"""Per-target dials inside a campaign whose caller owns the scheduling
(`dispatch: per_target`): the caller decides who is called when, 4calls places
each call and reports its result.

A dial is keyed by the caller's `dial_key`, unique per organization and kept
forever: posting the same key again (a retry after a timeout, a worker that
crashed before it saw the answer) returns the existing dial and never places a
second call. Dials complete in the background after `dial_seconds`; each
completion emits `campaign.target.completed` with the Dial (and its Call).
"""
from __future__ import annotations

import json
import time

from flask import Blueprint, jsonify, request

from .auth import visible
from .call_generator import generate_call
from .contacts import contact_by_phone, upsert_contact
from .errors import conflict, invalid, not_found
from .params import json_body, list_response, page_args
from .runtime import new_record, runtime
from .timeutil import ts_to_micros
from .webhooks import emit

bp = Blueprint("dials", __name__)

RESULT_WEIGHTS = {"answered": 58, "no_answer": 20, "voicemail": 14, "busy": 5, "failed": 3}
OPT_OUT_SHARE = 0.25  # of answered not_interested calls, the callee asks never to be called again
OPT_OUT_LINE = "Please stop calling me and take me off your list."
# Sandbox-only scripting (admin): phone -> forced {"result", "outcome", "opt_out"} for its next dials.
SCRIPTED: dict[str, dict] = {}


def _dial_campaign(campaign_id: str) -> dict:
    campaign = visible("campaigns", campaign_id, "campaign")
    if campaign.get("dispatch") != "per_target":
        raise conflict("Dials can be placed only in a campaign created with dispatch per_target.",
                       dispatch=campaign.get("dispatch", "batch"))
    if campaign["status"] != "running":
        raise conflict(f"A {campaign['status']} campaign takes no dials.", status=campaign["status"])
    return campaign


def existing_dial(org_id: str, dial_key: str) -> dict | None:
    found = runtime().store.find("dials", "organization_id = ? AND dial_key = ?", (org_id, dial_key), limit=1)
    return found[0] if found else None


@bp.post("/campaigns/<campaign_id>/dials")
def create_dial(campaign_id):
    body = json_body("DialCreate")
    store = runtime().store
    with store.transaction():
        campaign = _dial_campaign(campaign_id)
        org_id = campaign["organization_id"]
        known = existing_dial(org_id, body["dial_key"])
        if known is not None:
            if known["campaign_id"] != campaign["id"] or known["phone"] != body["phone"]:
                raise conflict("This dial_key was used for another dial.", dial_id=known["id"])
            return jsonify(known), 200
        coordinator_id = body.get("coordinator_id") or campaign["coordinator_id"]
        coordinator = store.get("coordinators", coordinator_id)
        if not coordinator or coordinator["organization_id"] != org_id or coordinator["status"] != "active":
            raise invalid({"coordinator_id": "must be an active coordinator of this organization"})
        dial = new_record("dial", org_id)
        voicemail = body.get("voicemail") or {"action": "hang_up"}
        dial.update({"campaign_id": campaign["id"], "dial_key": body["dial_key"], "coordinator_id": coordinator_id,
                     "contact_id": body.get("contact_id"), "phone": body["phone"], "name": body.get("name"),
                     "opening": body.get("opening"), "goal": body.get("goal"), "voicemail": voicemail,
                     "status": "queued", "result": None, "outcome": None, "opted_out": False,
                     "duration_seconds": 0, "call_id": None, "call": None, "completed_at": None})
        store.insert("dials", dial)
    runtime().webhook_wakeup.set()
    return jsonify(dial), 201


@bp.get("/campaigns/<campaign_id>/dials")
def list_dials(campaign_id):
    campaign = visible("campaigns", campaign_id, "campaign")
    limit, cursor, since = page_args()
    where, params = ["campaign_id = ?"], [campaign["id"]]
    keys = request.args.getlist("dial_key")[:500]
    if keys:  # several keys look up many dials in one request (reconciliation)
        where.append(f"dial_key IN ({','.join('?' * len(keys))})")
        params += keys
    if request.args.get("status"):
        where.append("status = ?")
        params.append(request.args["status"])
    return list_response("dials", where, params, limit, cursor, since)


@bp.get("/dials/<dial_id>")
def get_dial(dial_id):
    return jsonify(visible("dials", dial_id, "dial"))


# ------------------------------------------------------------------ completion


def _pick_result(dial: dict, rng) -> dict:
    scripted = SCRIPTED.get(dial["phone"])
    if scripted:
        return dict(scripted)
    result = rng.choices(list(RESULT_WEIGHTS), weights=list(RESULT_WEIGHTS.values()))[0]
    return {"result": result, "outcome": None, "opt_out": None}


def complete_dial(dial: dict) -> dict:
    """Place the call: its result, the Call it leaves (none for busy or failed lines), the webhook."""
    rt = runtime()
    store = rt.store
    with store.transaction():
        dial = store.get("dials", dial["id"])
        if dial["status"] != "queued":
            return dial
        org = store.get("organizations", dial["organization_id"])
        campaign = store.get("campaigns", dial["campaign_id"])
        picked = _pick_result(dial, rt.rng)
        call = None
        if picked["result"] in ("answered", "no_answer", "voicemail"):
            contact = store.get("contacts", dial["contact_id"]) if dial.get("contact_id") else None
            if contact is None or contact["deleted"] or contact.get("organization_id") != org["id"]:
                contact = contact_by_phone(org["id"], dial["phone"]) or upsert_contact(
                    org, name=dial.get("name"), phone=dial["phone"], source="campaign")[0]
            overrides = {"status": {"no_answer": "missed"}.get(picked["result"], picked["result"]),
                         "coordinator_id": dial["coordinator_id"]}
            if picked.get("outcome") and picked["result"] == "answered":
                overrides["outcome"] = picked["outcome"]
            call = generate_call(org, overrides, campaign={**campaign, "script": dial.get("opening")},
                                 contact=contact)
            opt_out = picked.get("opt_out")
            if opt_out is None:
                opt_out = call["outcome"] == "not_interested" and rt.rng.random() < OPT_OUT_SHARE
            if opt_out and call["status"] == "answered":
                call["transcript"].append({"speaker": "caller", "text": OPT_OUT_LINE,
                                           "at_second": call["duration_seconds"]})
                call["outcome"] = "not_interested"
                store.save("calls", call)
            dial["opted_out"] = bool(opt_out and call["status"] == "answered")
        dial.update({"status": "completed", "result": picked["result"], "call": call,
                     "call_id": (call or {}).get("id"), "outcome": (call or {}).get("outcome"),
                     "duration_seconds": (call or {}).get("duration_seconds", 0),
                     "completed_at": store.stamp()})
        store.save("dials", dial)
        emit("campaign.target.completed", org, dial)
    return dial


class DialWorker:
    """Completes queued dials once they have rung for `dial_seconds`."""

    def tick(self, now: float) -> None:
        rt = runtime()
        cutoff_micros = int((time.time() - rt.options.dial_seconds) * 1_000_000)
        for dial in rt.store.find("dials", "status = 'queued'", order="created_at, id", limit=50):
            if ts_to_micros(dial["created_at"]) <= cutoff_micros:
                complete_dial(dial)


# ------------------------------------------------------------------ sandbox admin

admin_bp = Blueprint("dials_admin", __name__, url_prefix="/_sandbox")


@admin_bp.post("/dials/script")
def script_dials():
    """Force the result of the next dials to a number: {"phone", "result", "outcome"?, "opt_out"?}."""
    body = json_body()
    if body.get("result") not in RESULT_WEIGHTS or not isinstance(body.get("phone"), str):
        raise invalid({"result": f"one of {', '.join(RESULT_WEIGHTS)}", "phone": "required"})
    SCRIPTED[body["phone"]] = {"result": body["result"], "outcome": body.get("outcome"),
                               "opt_out": body.get("opt_out")}
    return jsonify(SCRIPTED[body["phone"]])


@admin_bp.post("/dials/complete")
def complete_now():
    """Complete every queued dial now (tests that do not want to wait)."""
    done = [complete_dial(d)["id"] for d in runtime().store.find("dials", "status = 'queued'", order="created_at, id")]
    return jsonify({"completed": len(done)})


@admin_bp.get("/organizations/<org_id>/dials")
def dial_ledger(org_id):
    """Every dial of an organization with the number of calls it placed, for double-dial checks."""
    if runtime().store.get("organizations", org_id) is None:
        raise not_found("organization")
    rows = runtime().store.find("dials", "organization_id = ?", (org_id,), order="created_at, id")
    calls = {r[0]: r[1] for r in runtime().store.rows(
        "SELECT json_extract(data, '$.call_id'), COUNT(*) FROM dials WHERE organization_id = ?"
        " AND json_extract(data, '$.call_id') IS NOT NULL GROUP BY 1", (org_id,))}
    return jsonify({"data": [{"dial_key": d["dial_key"], "phone": d["phone"], "status": d["status"],
                              "result": d["result"], "call_id": d["call_id"],
                              "calls_for_call_id": calls.get(d["call_id"], 0)} for d in rows]})


@admin_bp.get("/organizations/<org_id>/events")
def organization_events(org_id):
    """Recorded events with their bodies (as they would be delivered), for replaying webhooks in tests."""
    clauses, params = ["organization_id = ?", "rowid > ?"], [org_id, request.args.get("after", 0, type=int)]
    if request.args.get("type"):
        clauses.append("type = ?")
        params.append(request.args["type"])
    rows = runtime().store.rows(f"SELECT rowid, body FROM events WHERE {' AND '.join(clauses)} ORDER BY rowid",
                                tuple(params))
    return jsonify({"data": [json.loads(r["body"]) for r in rows],
                    "last": rows[-1]["rowid"] if rows else request.args.get("after", 0, type=int)})
