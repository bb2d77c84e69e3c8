"""Organizations, their keys and their usage."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Blueprint, jsonify, request

from .auth import issue_org_key, require_platform, visible_org
from .errors import conflict, invalid
from .params import json_body, list_response, page_args, timestamp_arg
from .runtime import new_record, runtime
from .timeutil import UTC, format_ts, now_utc

bp = Blueprint("organizations", __name__)

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
DEFAULT_TIMEZONE = "America/New_York"
DEFAULT_APPOINTMENT_TYPES = [{"name": "Consultation", "duration_minutes": 30}]
_SIMPLE_FIELDS = ("name", "external_id", "phone", "address", "city", "website", "timezone",
                  "category", "webhook_url", "status")


def default_business_hours() -> dict:
    weekday = {"open": "09:00", "close": "17:00"}
    return {day: (dict(weekday) if day not in ("saturday", "sunday") else None) for day in WEEKDAYS}


def _check_settings(body: dict) -> None:
    fields = {}
    if "timezone" in body:
        try:
            ZoneInfo(body["timezone"])
        except (ZoneInfoNotFoundError, ValueError):
            fields["timezone"] = "must be an IANA timezone name such as America/Chicago"
    for day, hours in (body.get("business_hours") or {}).items():
        if hours and hours["close"] <= hours["open"]:
            fields[f"business_hours.{day}"] = "close must be later than open"
    url = body.get("webhook_url")
    if url and not url.startswith(("http://", "https://")):
        fields["webhook_url"] = "must be an http(s) URL"
    names = [t["name"].strip().lower() for t in body.get("appointment_types") or []]
    if len(names) != len(set(names)):
        fields["appointment_types"] = "names must be unique"
    # -- advanced scheduling (issue 19)
    staff_ids = [s["id"] for s in body.get("staff") or []]
    if len(staff_ids) != len(set(staff_ids)):
        fields["staff"] = "staff ids must be unique"
    for number, member in enumerate(body.get("staff") or []):
        for day, hours in (member.get("hours") or {}).items():
            if hours and hours["close"] != "24:00" and hours["close"] <= hours["open"]:
                fields[f"staff.{number}.hours.{day}"] = "close must be later than open"
    for number, closure in enumerate(body.get("closures") or []):
        if closure["last_day"] < closure["first_day"]:
            fields[f"closures.{number}.last_day"] = "must not be before first_day"
    if fields:
        raise invalid(fields)


def _check_external_id_free(external_id: str | None, own_id: str | None = None) -> None:
    if not external_id:
        return
    taken = runtime().store.scalar("SELECT id FROM organizations WHERE external_id = ? AND id != ?",
                                   (external_id, own_id or ""))
    if taken:
        raise conflict("Another organization already has this external_id.", existing_id=taken)


def _apply(org: dict, body: dict) -> None:
    for name in _SIMPLE_FIELDS:
        if name in body:
            org[name] = body[name]
    if "profile" in body:
        org["profile"].update(body["profile"])
    if "business_hours" in body:
        org["business_hours"].update(body["business_hours"])
    if "appointment_types" in body:
        org["appointment_types"] = body["appointment_types"]
    for name in ("staff", "closures", "booking_window"):  # -- advanced scheduling (issue 19)
        if name in body:
            org[name] = body[name]


@bp.post("/organizations")
def create_organization():
    require_platform()
    body = json_body("OrganizationCreate")
    _check_settings(body)
    store = runtime().store
    with store.transaction():
        _check_external_id_free(body.get("external_id"))
        org = new_record("org")
        org.update({
            "name": None, "external_id": None, "phone": None, "address": None, "city": None,
            "website": None, "timezone": DEFAULT_TIMEZONE, "category": None,
            "profile": {"description": "", "services": [], "hours": "", "faq": []},
            "webhook_url": None, "business_hours": default_business_hours(),
            "appointment_types": [dict(t) for t in DEFAULT_APPOINTMENT_TYPES],
            "staff": [], "closures": [], "booking_window": {"min_notice_minutes": 0, "horizon_days": 0},
            "status": "active",
        })
        _apply(org, body)
        key = issue_org_key(org["id"])
        org["api_key_prefix"] = key["api_key_prefix"]
        store.insert("organizations", org)
    return jsonify({**org, "api_key": key["api_key"]}), 201


@bp.get("/organizations")
def list_organizations():
    require_platform()
    limit, cursor, since = page_args()
    where, params = [], []
    for name in ("external_id", "status"):
        if request.args.get(name):
            where.append(f"{name} = ?")
            params.append(request.args[name])
    return list_response("organizations", where, params, limit, cursor, since)


@bp.get("/organizations/<org_id>")
def get_organization(org_id):
    return jsonify(visible_org(org_id))


@bp.put("/organizations/<org_id>")
def update_organization(org_id):
    visible_org(org_id)
    body = json_body("OrganizationUpdate")
    _check_settings(body)
    store = runtime().store
    with store.transaction():
        org = visible_org(org_id)
        if "external_id" in body:
            _check_external_id_free(body["external_id"], org_id)
        _apply(org, body)
        store.save("organizations", org)
    return jsonify(org)


@bp.post("/organizations/<org_id>/api-keys")
def rotate_key(org_id):
    require_platform()
    store = runtime().store
    with store.transaction():
        org = visible_org(org_id)
        key = issue_org_key(org_id)
        org["api_key_prefix"] = key["api_key_prefix"]
        store.save("organizations", org)
    return jsonify(key), 201


def _month_bounds(moment: datetime) -> tuple[datetime, datetime]:
    start = moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    end = (start + timedelta(days=32)).replace(day=1)
    return start, end


@bp.get("/organizations/<org_id>/usage")
def usage(org_id):
    org = visible_org(org_id)
    default_start, default_end = _month_bounds(now_utc().astimezone(UTC))
    zone = ZoneInfo(org["timezone"])
    start = timestamp_arg("period_start", zone) or default_start
    end = timestamp_arg("period_end", zone) or default_end
    if end <= start:
        raise invalid({"period_end": "must be after period_start"})
    return jsonify(compute_usage(org["id"], format_ts(start), format_ts(end)))


def compute_usage(org_id: str, start: str, end: str) -> dict:
    store = runtime().store
    window = (org_id, start, end)
    call_row = store.rows(
        "SELECT COUNT(*) AS calls,"
        " SUM(direction = 'inbound') AS inbound_calls, SUM(direction = 'outbound') AS outbound_calls,"
        " SUM(CASE WHEN direction = 'inbound' THEN (duration_seconds + 59) / 60 ELSE 0 END) AS inbound_minutes,"
        " SUM(CASE WHEN direction = 'outbound' THEN (duration_seconds + 59) / 60 ELSE 0 END) AS outbound_minutes"
        " FROM calls WHERE organization_id = ? AND started_at >= ? AND started_at < ?", window)[0]

    def created_in(kind: str, extra: str = "") -> int:
        return store.scalar(f"SELECT COUNT(*) FROM {kind} WHERE organization_id = ?"
                            f" AND created_at >= ? AND created_at < ?{extra}", window)

    return {
        "organization_id": org_id, "period_start": start, "period_end": end,
        "inbound_minutes": call_row["inbound_minutes"] or 0,
        "outbound_minutes": call_row["outbound_minutes"] or 0,
        "calls": call_row["calls"] or 0,
        "inbound_calls": call_row["inbound_calls"] or 0,
        "outbound_calls": call_row["outbound_calls"] or 0,
        "chat_messages": created_in("chat_messages", " AND role = 'visitor'"),
        "contacts": created_in("contacts"),
        "contacts_total": store.scalar(
            "SELECT COUNT(*) FROM contacts WHERE organization_id = ? AND deleted = 0", (org_id,)),
        "appointments": created_in("appointments"),
        "leads": created_in("leads"),
        "messages": created_in("messages"),
    }
