"""The campaign form: request data to the plain dict the services validate,
and the values a form is shown with (defaults, or a draft's own)."""
from __future__ import annotations

from app.campaigns.purposes import purpose_of
from app.timezones import to_local

FIELDS = ("name", "purpose", "opening", "goal", "coordinator_id", "segment_id", "tags", "last_interaction_before",
          "last_interaction_after", "upcoming_appointment", "starts_at", "ends_at", "window_start", "window_end",
          "max_attempts", "retry_delays", "voicemail_action", "voicemail_message", "concurrency", "segment_name",
          "audience_source", "contact_import_id")
CHECKBOXES = ("retry_no_answer", "retry_busy", "retry_voicemail", "auto_enrol")


def form_data(form, files=None) -> dict:
    data = {name: (form.get(name) or "").strip() for name in FIELDS}
    data["audience_source"] = data["audience_source"] or "segment"
    data["csv_upload"] = files.get("csv_file") if files is not None else None
    data.update({name: bool(form.get(name)) for name in CHECKBOXES})
    data["days"] = form.getlist("days")
    data["fields"] = [{"key": form.get("field_key", ""), "value": form.get("field_value", "")}]
    data["field_key"], data["field_value"] = form.get("field_key", ""), form.get("field_value", "")
    return data


def defaults(coordinators) -> dict:
    sales = next((c for c in coordinators if c.role == "sales"), coordinators[0] if coordinators else None)
    purpose = purpose_of("lead_follow_up")
    return {"name": "", "purpose": purpose.key, "opening": purpose.opening, "goal": purpose.goal,
            "coordinator_id": str(sales.id) if sales else "", "segment_id": "", "tags": "", "days": ["0", "1", "2", "3", "4"],
            "window_start": "09:00", "window_end": "19:00", "max_attempts": "3", "retry_delays": "60, 1440",
            "retry_no_answer": True, "retry_busy": True, "retry_voicemail": False, "voicemail_action": "hang_up",
            "voicemail_message": "", "concurrency": "1", "starts_at": "", "ends_at": "", "upcoming_appointment": "",
            "last_interaction_before": "", "last_interaction_after": "", "field_key": "", "field_value": "",
            "auto_enrol": False, "audience_source": "segment", "contact_import_id": ""}


def from_campaign(campaign, business) -> dict:
    rules = (campaign.segment.rules if campaign.segment else {}) or {}
    field = (rules.get("fields") or [{}])[0]
    starts = to_local(campaign.starts_at, business)
    ends = to_local(campaign.ends_at, business)
    return {"name": campaign.name, "purpose": campaign.purpose, "opening": campaign.opening, "goal": campaign.goal,
            "coordinator_id": str(campaign.coordinator_id), "segment_id": "", "tags": ", ".join(rules.get("tags") or []),
            "days": [str(d) for d in campaign.days], "window_start": campaign.window_start,
            "window_end": campaign.window_end, "max_attempts": str(campaign.max_attempts),
            "retry_delays": ", ".join(str(m) for m in campaign.retry_delays_minutes),
            "retry_no_answer": "no_answer" in campaign.retry_results, "retry_busy": "busy" in campaign.retry_results,
            "retry_voicemail": "voicemail" in campaign.retry_results, "voicemail_action": campaign.voicemail_action,
            "voicemail_message": campaign.voicemail_message or "", "concurrency": str(campaign.concurrency),
            "starts_at": f"{starts:%Y-%m-%dT%H:%M}" if starts else "", "ends_at": f"{ends:%Y-%m-%dT%H:%M}" if ends else "",
            "upcoming_appointment": rules.get("upcoming_appointment") or "",
            "last_interaction_before": rules.get("last_interaction_before") or "",
            "last_interaction_after": rules.get("last_interaction_after") or "",
            "field_key": field.get("key", ""), "field_value": field.get("value", ""), "auto_enrol": campaign.auto_enrol,
            "audience_source": "csv" if campaign.audience_source == "csv" else "segment",
            "contact_import_id": str(campaign.contact_import_id or "")}
