"""Outbound campaigns: a coordinator dials a list of contacts at a steady pace."""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from .auth import visible, visible_org
from .call_generator import generate_call
from .errors import conflict, invalid
from .params import json_body, list_response, page_args
from .runtime import new_record, runtime
from .storage import decode_cursor, encode_cursor

bp = Blueprint("campaigns", __name__)

TARGET_STATES = ("pending", "calling", "completed", "no_answer", "failed")


def _counts(campaign_id: str) -> dict:
    rows = runtime().store.rows(
        "SELECT status, COUNT(*) FROM campaign_targets WHERE campaign_id = ? GROUP BY status", (campaign_id,))
    counts = {state: 0 for state in TARGET_STATES}
    counts.update({r[0]: r[1] for r in rows})
    counts["total"] = sum(counts[s] for s in TARGET_STATES)
    return counts


def _refresh(campaign: dict) -> dict:
    campaign["counts"] = _counts(campaign["id"])
    return runtime().store.save("campaigns", campaign)


@bp.post("/organizations/<org_id>/campaigns")
def create_campaign(org_id):
    body = json_body("CampaignCreate")
    store = runtime().store
    with store.transaction():
        org = visible_org(org_id)
        coordinator = store.get("coordinators", body["coordinator_id"])
        if not coordinator or coordinator["organization_id"] != org["id"] or coordinator["status"] != "active":
            raise invalid({"coordinator_id": "must be an active coordinator of this organization"})
        dispatch = body.get("dispatch", "batch")
        contact_ids = body.get("contact_ids") or []
        if dispatch == "batch" and not contact_ids:
            raise invalid({"contact_ids": "a batch campaign needs at least one contact"})
        if dispatch == "per_target" and contact_ids:
            raise invalid({"contact_ids": "a per_target campaign takes its contacts one dial at a time"})
        placeholders = ",".join("?" * len(contact_ids))
        found = {c["id"]: c for c in store.find(
            "contacts", f"organization_id = ? AND deleted = 0 AND id IN ({placeholders})",
            (org["id"], *contact_ids))} if contact_ids else {}
        missing = [cid for cid in contact_ids if cid not in found]
        if missing:
            raise invalid({"contact_ids": f"unknown contacts in this organization: {', '.join(missing[:10])}"},
                          missing=missing)
        campaign = new_record("camp", org["id"])
        campaign.update({"coordinator_id": coordinator["id"], "name": body["name"],
                         "script": body.get("script"), "dispatch": dispatch,
                         # A per_target campaign is open for dials at once; the caller schedules them.
                         "status": "running" if dispatch == "per_target" else "draft", "counts": {},
                         "started_at": store.stamp() if dispatch == "per_target" else None, "paused_at": None, "completed_at": None})
        store.insert("campaigns", campaign)
        with store.transaction() as conn:
            conn.executemany(
                "INSERT INTO campaign_targets (campaign_id, position, contact_id, contact_name, phone, status)"
                " VALUES (?, ?, ?, ?, ?, 'pending')",
                [(campaign["id"], n, cid, found[cid].get("name"), found[cid].get("phone"))
                 for n, cid in enumerate(contact_ids)])
        campaign["counts"] = _counts(campaign["id"])
        store.save("campaigns", campaign, touch=False)
    return jsonify(campaign), 201


@bp.get("/organizations/<org_id>/campaigns")
def list_campaigns(org_id):
    org = visible_org(org_id)
    limit, cursor, since = page_args()
    where, params = ["organization_id = ?"], [org["id"]]
    if request.args.get("status"):
        where.append("status = ?")
        params.append(request.args["status"])
    return list_response("campaigns", where, params, limit, cursor, since)


@bp.get("/campaigns/<campaign_id>")
def get_campaign(campaign_id):
    return jsonify(visible("campaigns", campaign_id, "campaign"))


@bp.post("/campaigns/<campaign_id>/start")
def start_campaign(campaign_id):
    store = runtime().store
    with store.transaction():
        campaign = visible("campaigns", campaign_id, "campaign")
        if campaign["status"] not in ("draft", "paused"):
            raise conflict(f"A {campaign['status']} campaign cannot be started.", status=campaign["status"])
        campaign["status"] = "running"
        campaign["started_at"] = campaign["started_at"] or store.stamp()
        campaign["paused_at"] = None
        _refresh(campaign)
    return jsonify(campaign)


@bp.post("/campaigns/<campaign_id>/pause")
def pause_campaign(campaign_id):
    store = runtime().store
    with store.transaction():
        campaign = visible("campaigns", campaign_id, "campaign")
        if campaign["status"] != "running":
            raise conflict(f"A {campaign['status']} campaign cannot be paused.", status=campaign["status"])
        _finish_current_call(campaign)
        campaign["status"] = "paused"
        campaign["paused_at"] = store.stamp()
        _refresh(campaign)
    return jsonify(campaign)


@bp.get("/campaigns/<campaign_id>/results")
def campaign_results(campaign_id):
    campaign = visible("campaigns", campaign_id, "campaign")
    limit, cursor, _ = page_args()
    after = decode_cursor(cursor, 2)[0] if cursor else -1
    rows = runtime().store.rows(
        "SELECT * FROM campaign_targets WHERE campaign_id = ? AND position > ? ORDER BY position LIMIT ?",
        (campaign["id"], after, limit + 1))
    has_more = len(rows) > limit
    rows = rows[:limit]
    data = [{k: row[k] for k in ("contact_id", "contact_name", "phone", "status", "outcome", "call_id",
                                 "attempted_at")} for row in rows]
    next_cursor = encode_cursor(rows[-1]["position"], campaign["id"]) if has_more else None
    return jsonify({"data": data, "next_cursor": next_cursor, "has_more": has_more})


def _finish_current_call(campaign: dict) -> None:
    """Complete the call in progress: the dialled contact's outcome becomes known."""
    store = runtime().store
    row = store.rows("SELECT * FROM campaign_targets WHERE campaign_id = ? AND status = 'calling'",
                     (campaign["id"],))
    if not row:
        return
    target = row[0]
    org = store.get("organizations", campaign["organization_id"])
    contact = store.get("contacts", target["contact_id"])
    if contact is None or contact["deleted"] or not contact.get("phone"):
        status, outcome, call_id = "failed", None, None
    else:
        call = generate_call(org, campaign=campaign, contact=contact)
        status = "completed" if call["status"] == "answered" else "no_answer"
        outcome, call_id = call["outcome"], call["id"]
    store.execute("UPDATE campaign_targets SET status = ?, outcome = ?, call_id = ? WHERE campaign_id = ?"
                  " AND position = ?", (status, outcome, call_id, campaign["id"], target["position"]))


def _dial_next(campaign: dict) -> bool:
    store = runtime().store
    row = store.rows("SELECT position FROM campaign_targets WHERE campaign_id = ? AND status = 'pending'"
                     " ORDER BY position LIMIT 1", (campaign["id"],))
    if not row:
        return False
    store.execute("UPDATE campaign_targets SET status = 'calling', attempted_at = ? WHERE campaign_id = ?"
                  " AND position = ?", (store.stamp(), campaign["id"], row[0]["position"]))
    return True


class CampaignDialer:
    """Each running campaign finishes its current call and dials the next contact every interval."""

    def __init__(self):
        self._last_step: dict[str, float] = {}

    def tick(self, now: float) -> None:
        rt = runtime()
        for campaign in rt.store.find("campaigns", "status = 'running'"):
            if campaign.get("dispatch") == "per_target":
                continue  # the caller places those dials one by one (dials.py)
            if now - self._last_step.get(campaign["id"], 0.0) < rt.options.campaign_interval:
                continue
            self._last_step[campaign["id"]] = now
            self.step(campaign["id"])

    @staticmethod
    def step(campaign_id: str) -> None:
        store = runtime().store
        with store.transaction():
            campaign = store.get("campaigns", campaign_id)
            if campaign is None or campaign["status"] != "running":
                return
            _finish_current_call(campaign)
            if not _dial_next(campaign):
                campaign["status"] = "completed"
                campaign["completed_at"] = store.stamp()
            _refresh(campaign)
