"""Call-handling rules of an organization: who answers which channel, what
happens to calls in and out of business hours, and urgent forwarding.

`decide` is the one place that applies the rules; generated calls and test
calls both go through it, so what a test call shows is what callers get.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import Blueprint, jsonify

from .auth import visible_org
from .errors import invalid
from .params import json_body
from .runtime import runtime
from .scheduling import org_zone, within_business_hours

bp = Blueprint("call_handling", __name__)

ASSIGNMENTS = ("inbound_coordinator_id", "widget_coordinator_id", "campaign_coordinator_id")


def _doc_id(org_id: str) -> str:
    return f"handling_{org_id}"


def default_rules(org_id: str) -> dict:
    return {"organization_id": org_id, "inbound_coordinator_id": None, "widget_coordinator_id": None,
            "campaign_coordinator_id": None, "business_hours_action": "book",
            "after_hours_action": "take_message",
            "forwarding": {"enabled": False, "number": None, "urgent_words": [], "start": "00:00", "end": "00:00"}}


def rules_for(org: dict) -> dict:
    stored = runtime().store.get("call_handling", _doc_id(org["id"]))
    if stored is None:
        rules = default_rules(org["id"])
        rules["updated_at"] = org["created_at"]
        return rules
    return {k: v for k, v in stored.items() if k not in ("id", "created_at")}


@bp.get("/organizations/<org_id>/call-handling")
def get_call_handling(org_id):
    return jsonify(rules_for(visible_org(org_id)))


def _check(org: dict, body: dict) -> None:
    """Checks the schema cannot express; any failure refuses the whole update."""
    errors = {}
    forwarding = body["forwarding"]
    if forwarding["enabled"]:
        if not forwarding.get("number"):
            errors["forwarding.number"] = "is required when forwarding is enabled"
        if not [w for w in forwarding["urgent_words"] if w.strip()]:
            errors["forwarding.urgent_words"] = "needs at least one word when forwarding is enabled"
    for action in ("business_hours_action", "after_hours_action"):
        if body[action] == "forward" and not forwarding.get("number"):
            errors[action] = "forward needs a forwarding number"
    store = runtime().store
    for name in ASSIGNMENTS:
        coordinator_id = body.get(name)
        if coordinator_id:
            coordinator = store.get("coordinators", coordinator_id)
            if not coordinator or coordinator["organization_id"] != org["id"] or coordinator["status"] != "active":
                errors[name] = "no such active coordinator in this organization"
    if errors:
        raise invalid(errors, "The call-handling rules were not changed.")


@bp.put("/organizations/<org_id>/call-handling")
def update_call_handling(org_id):
    visible_org(org_id)
    body = json_body("CallHandlingUpdate")
    store = runtime().store
    with store.transaction():
        org = visible_org(org_id)
        _check(org, body)
        existing = store.get("call_handling", _doc_id(org["id"]))
        doc = existing or {"id": _doc_id(org["id"]), "organization_id": org["id"], "created_at": store.stamp()}
        doc.update(default_rules(org["id"]))
        doc.update({name: body.get(name) for name in ASSIGNMENTS})
        doc.update({"business_hours_action": body["business_hours_action"],
                    "after_hours_action": body["after_hours_action"],
                    "forwarding": {**body["forwarding"],
                                   "urgent_words": [w.strip() for w in body["forwarding"]["urgent_words"] if w.strip()]}})
        if existing is None:
            doc["updated_at"] = doc["created_at"]
            store.insert("call_handling", doc)
        else:
            store.save("call_handling", doc)
    return jsonify(rules_for(org))


# ---------------------------------------------------------------- applying the rules


@dataclass
class Decision:
    """What the inbound coordinator does with one call."""
    status: str | None = None  # "forwarded", or None for the coordinator's own handling
    outcome: str | None = None  # forced outcome, or None to follow the coordinator's role
    forwarding: dict | None = None
    urgent: bool = False
    matched: list[str] = field(default_factory=list)
    open_now: bool = True


def _clock_minutes(text: str) -> int:
    hour, minute = text.split(":")
    return int(hour) * 60 + int(minute)


def within_forwarding_hours(org: dict, forwarding: dict, moment: datetime) -> bool:
    local = moment.astimezone(org_zone(org))
    now, start, end = local.hour * 60 + local.minute, _clock_minutes(forwarding["start"]), _clock_minutes(forwarding["end"])
    if start == end:
        return True
    if start < end:
        return start <= now < end
    return now >= start or now < end  # spans midnight


def _answers(number: str) -> bool:
    """Numbers ending in 0000 never pick up, so clients can exercise a missed forward."""
    return not number.endswith("0000")


def decide(org: dict, rules: dict, caller_text: str, moment: datetime) -> Decision:
    forwarding = rules["forwarding"]
    text = (caller_text or "").lower()
    matched = [word for word in forwarding.get("urgent_words") or [] if word.lower() in text]
    open_now = within_business_hours(org, moment, moment + timedelta(minutes=1))
    decision = Decision(urgent=bool(matched), matched=matched, open_now=open_now)
    if matched and forwarding["enabled"] and within_forwarding_hours(org, forwarding, moment):
        reason = "Urgent: the caller mentioned " + ", ".join(f"“{w}”" for w in matched)
        return _forward(decision, forwarding["number"], reason, matched)
    action = rules["business_hours_action" if open_now else "after_hours_action"]
    if action == "forward" and forwarding.get("number"):
        reason = "Business-hours rule: every call is forwarded" if open_now else "After-hours rule: every call is forwarded"
        return _forward(decision, forwarding["number"], reason, matched)
    if action == "take_message" or matched:
        # Urgent callers outside forwarding hours always leave a message for a prompt call back.
        decision.outcome = "message"
    return decision


def _forward(decision: Decision, number: str, reason: str, matched: list[str]) -> Decision:
    decision.status, decision.outcome = "forwarded", "forwarded"
    decision.forwarding = {"to": number, "reason": reason, "matched_words": matched, "answered": _answers(number)}
    return decision
