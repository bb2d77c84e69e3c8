"""AI customer insights: a profile per contact derived from its calls'
transcripts and its appointments (deterministic: same data, same profile).

    GET /organizations/{org_id}/insights/contacts     list, paged by (updated_at, contact_id)
    GET /organizations/{org_id}/contacts/{id}/insights one contact

An insight's `updated_at` is the newest change among the contact's calls and
appointments; time alone can also change it (a regular who stops coming
becomes at risk), so clients re-read the full list daily.
"""
from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from datetime import datetime

from flask import Blueprint, jsonify

from .auth import visible, visible_org
from .params import page_args
from .runtime import runtime
from .storage import decode_cursor, encode_cursor
from .timeutil import format_ts, now_utc, parse_ts

bp = Blueprint("insights", __name__)

AT_RISK_AFTER_DAYS = 60
CHECK_UP_AFTER_DAYS = 180
_NOT_PURPOSES = {"Missed calls", "Voicemails", "Wrong numbers", "Not interested"}
_SENTIMENT_SCORE = {"positive": 1, "neutral": 0, "negative": -1}
_PREFERENCES = (
    (re.compile(r"\bprefer(?:s)?\s+([a-z][a-z '\-]{2,40}?)(?:[.,!?]|$)", re.I), "Prefers {}"),
    (re.compile(r"\ballergic to\s+([a-z][a-z '\-]{2,40}?)(?:[.,!?]|$)", re.I), "Allergic to {}"),
    (re.compile(r"\bI'?m\s+(vegetarian|vegan|gluten[- ]free)\b", re.I), "{}"),
)


def _preferences(transcripts: list[list]) -> list[str]:
    found: dict[str, None] = {}
    for transcript in transcripts:
        for turn in transcript:
            if turn.get("speaker") != "caller":
                continue
            for pattern, label in _PREFERENCES:
                for match in pattern.finditer(turn.get("text") or ""):
                    found[label.format(match.group(1).strip().lower()).capitalize()] = None
    return list(found)[:6]


def _trend(sentiments: list[str]) -> str:
    scores = [_SENTIMENT_SCORE.get(s, 0) for s in sentiments]
    if len(scores) < 2:
        return "steady"
    half = len(scores) // 2
    earlier, later = scores[:half], scores[half:]
    change = sum(later) / len(later) - sum(earlier) / len(earlier)
    return "improving" if change > 0.25 else "declining" if change < -0.25 else "steady"


def _months(days: int) -> int:
    return max(1, round(days / 30.4))


def build_insight(org: dict, contact: dict, calls: list[dict], appointments: list[dict], now: datetime) -> dict:
    calls = sorted(calls, key=lambda c: c["started_at"])
    prices = {t.get("name"): int(t.get("price_cents") or 0) for t in org.get("appointment_types") or []}
    visits = [a for a in appointments if a.get("status") != "cancelled" and parse_ts(a["starts_at"]) < now]
    upcoming = sorted((a for a in appointments if a.get("status") == "scheduled" and parse_ts(a["starts_at"]) >= now),
                      key=lambda a: a["starts_at"])
    last_call = parse_ts(calls[-1]["started_at"]) if calls else None
    last_visit = max((parse_ts(a["starts_at"]) for a in visits), default=None)
    last_active = max(filter(None, (last_call, last_visit)), default=None)
    topics = Counter(c.get("topic") for c in calls if c.get("topic") and c.get("topic") not in _NOT_PURPOSES)
    sentiments = [c.get("sentiment") or "neutral" for c in calls if c.get("status") == "answered"][-10:]
    regular = len(visits) >= 2 or len(calls) >= 3
    idle_days = (now - last_active).days if last_active else None
    at_risk = bool(regular and not upcoming and idle_days is not None and idle_days >= AT_RISK_AFTER_DAYS)
    action, priority = "No action needed right now.", 0
    open_lead = calls and calls[-1].get("outcome") == "lead" and not upcoming
    if upcoming:
        action = f"Next visit booked for {upcoming[0]['starts_at'][:10]}: nothing to do."
    elif at_risk:
        action, priority = f"Call to win them back: no call or visit for {idle_days} days.", 3
    elif open_lead:
        action, priority = f"Follow up on their request from {calls[-1]['started_at'][:10]}.", 2
    elif last_visit and (now - last_visit).days >= CHECK_UP_AFTER_DAYS:
        action, priority = f"Due for a check-up: last visit {_months((now - last_visit).days)} months ago.", 1
    elif sentiments and sentiments[-1] == "negative":
        action, priority = "Call to make it right: their last call was negative.", 1
    stamps = [c["updated_at"] for c in calls] + [a["updated_at"] for a in appointments] + [contact["updated_at"]]
    return {
        "contact_id": contact["id"], "organization_id": org["id"],
        "purposes": [topic for topic, _ in topics.most_common(3)],
        "preferences": _preferences([c.get("transcript") or [] for c in calls]),
        "sentiment_trend": _trend(sentiments), "sentiments": sentiments,
        "interactions": len(calls), "visits": len(visits),
        "visits_value_cents": sum(prices.get(a.get("appointment_type"), 0) for a in visits),
        "last_contact_at": format_ts(last_call) if last_call else None,
        "last_visit_at": format_ts(last_visit) if last_visit else None,
        "next_best_action": action, "at_risk": at_risk,
        "risk_reason": (f"Regular ({len(visits)} visits, {len(calls)} calls) with no call or visit for "
                        f"{idle_days} days." if at_risk else None),
        "call_priority": priority, "updated_at": max(stamps),
    }


def _rows(kind: str, org_id: str, contact_id: str | None = None) -> list[dict]:
    where, params = "organization_id = ? AND contact_id IS NOT NULL", [org_id]
    if contact_id:
        where += " AND contact_id = ?"
        params.append(contact_id)
    return [json.loads(r["data"]) for r in runtime().store.rows(f"SELECT data FROM {kind} WHERE {where}", tuple(params))]


def insights_for(org: dict, contact_id: str | None = None) -> list[dict]:
    store, now = runtime().store, now_utc()
    calls, appointments = defaultdict(list), defaultdict(list)
    for call in _rows("calls", org["id"], contact_id):
        calls[call["contact_id"]].append(call)
    for appointment in _rows("appointments", org["id"], contact_id):
        appointments[appointment["contact_id"]].append(appointment)
    result = []
    for cid in sorted(set(calls) | set(appointments)):
        contact = store.get("contacts", cid)
        if contact is None or contact.get("deleted"):
            continue
        result.append(build_insight(org, contact, calls[cid], appointments[cid], now))
    return result


@bp.get("/organizations/<org_id>/insights/contacts")
def list_contact_insights(org_id):
    org = visible_org(org_id)
    limit, cursor, since = page_args()
    rows = sorted(insights_for(org), key=lambda i: (i["updated_at"], i["contact_id"]))
    if since:
        rows = [r for r in rows if r["updated_at"] >= since]
    if cursor:
        after_stamp, after_id = decode_cursor(cursor, 2)
        rows = [r for r in rows if (r["updated_at"], r["contact_id"]) > (after_stamp, after_id)]
    page, has_more = rows[:limit], len(rows) > limit
    next_cursor = encode_cursor(page[-1]["updated_at"], page[-1]["contact_id"]) if has_more else None
    return jsonify({"data": page, "next_cursor": next_cursor, "has_more": has_more})


@bp.get("/organizations/<org_id>/contacts/<contact_id>/insights")
def get_contact_insight(org_id, contact_id):
    org = visible_org(org_id)
    contact = visible("contacts", contact_id, "contact", org["id"])
    found = insights_for(org, contact["id"])
    if not found:
        return jsonify(build_insight(org, contact, [], [], now_utc()))
    return jsonify(found[0])

