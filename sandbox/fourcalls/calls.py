"""Call history and statistics."""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, jsonify, request

from .auth import visible, visible_org
from .errors import invalid
from .params import list_response, page_args, timestamp_arg
from .runtime import runtime
from .scheduling import org_zone
from .timeutil import format_ts, now_utc

bp = Blueprint("calls", __name__)

_EXACT_FILTERS = ("direction", "status", "contact_id", "campaign_id")
STATS_DEFAULT_DAYS = 30


@bp.get("/organizations/<org_id>/calls")
def list_calls(org_id):
    org = visible_org(org_id)
    zone = org_zone(org)
    limit, cursor, since = page_args(zone)
    where, params = ["organization_id = ?"], [org["id"]]
    for name, clause in (("from", "started_at >= ?"), ("to", "started_at < ?")):
        moment = timestamp_arg(name, zone)
        if moment:
            where.append(clause)
            params.append(format_ts(moment))
    for name in _EXACT_FILTERS:
        if request.args.get(name):
            where.append(f"{name} = ?")
            params.append(request.args[name])
    return list_response("calls", where, params, limit, cursor, since)


@bp.get("/organizations/<org_id>/calls/stats")
def call_stats(org_id):
    org = visible_org(org_id)
    zone = org_zone(org)
    end = timestamp_arg("to", zone) or now_utc()
    start = timestamp_arg("from", zone) or end - timedelta(days=STATS_DEFAULT_DAYS)
    if end <= start:
        raise invalid({"to": "must be after from"})
    return jsonify(compute_stats(org["id"], format_ts(start), format_ts(end)))


def compute_stats(org_id: str, start: str, end: str) -> dict:
    store = runtime().store
    window = (org_id, start, end)
    scope = "FROM calls WHERE organization_id = ? AND started_at >= ? AND started_at < ?"
    totals = store.rows(
        "SELECT COUNT(*) AS total, SUM(direction = 'inbound') AS inbound,"
        " SUM(direction = 'outbound') AS outbound, SUM(status = 'answered') AS answered,"
        " SUM(status = 'missed') AS missed, SUM(status = 'voicemail') AS voicemail,"
        " AVG(CASE WHEN status = 'answered' THEN duration_seconds END) AS average_duration,"
        " SUM(CASE WHEN direction = 'inbound' THEN (duration_seconds + 59) / 60 ELSE 0 END) AS inbound_minutes,"
        " SUM(CASE WHEN direction = 'outbound' THEN (duration_seconds + 59) / 60 ELSE 0 END) AS outbound_minutes"
        f" {scope}", window)[0]
    by_outcome = {r[0]: r[1] for r in store.rows(f"SELECT outcome, COUNT(*) {scope} GROUP BY outcome", window)}
    by_sentiment = {r[0]: r[1] for r in store.rows(f"SELECT sentiment, COUNT(*) {scope} GROUP BY sentiment", window)}
    return {
        "organization_id": org_id, "from": start, "to": end,
        **{name: totals[name] or 0 for name in ("total", "inbound", "outbound", "answered", "missed",
                                                "voicemail", "inbound_minutes", "outbound_minutes")},
        "average_duration_seconds": round(totals["average_duration"] or 0, 1),
        "booked": by_outcome.get("booked", 0), "leads": by_outcome.get("lead", 0),
        "by_outcome": by_outcome, "by_sentiment": by_sentiment,
    }


@bp.get("/organizations/<org_id>/calls/<call_id>")
def get_call(org_id, call_id):
    org = visible_org(org_id)
    return jsonify(visible("calls", call_id, "call", org["id"]))
