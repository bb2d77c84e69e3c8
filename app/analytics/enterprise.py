"""Enterprise reporting: saved custom reports (metrics, filters, range, name),
their scheduled delivery and expiring read-only share links."""
from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import timedelta

from sqlalchemy import select

from app.analytics import reports, services
from app.analytics.ranges import PRESETS, DateRange, preset_range
from app.extensions import db
from app.models import Business, ReportShareLink, SavedReport
from app.models.base import utcnow

SCHEDULES = {"none": "Not scheduled", "daily": "Daily", "weekly": "Weekly (Mondays)", "monthly": "Monthly (the 1st)"}
REPORT_RANGES = {key: label for key, label in PRESETS.items() if key != "custom"}
SHARE_DAYS = (1, 7, 30)
MAX_SAVED_REPORTS = 50


class ReportError(ValueError):
    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def saved_reports(business: Business) -> list[SavedReport]:
    return db.session.scalars(select(SavedReport).where(SavedReport.business_id == business.id)
                              .order_by(SavedReport.name)).all()


def owned_report_or_none(business: Business, report_id) -> SavedReport | None:
    report = db.session.get(SavedReport, report_id) if report_id else None
    return report if report is not None and report.business_id == business.id else None


def clean_report_fields(business: Business, form, *, current: SavedReport | None = None) -> dict:
    errors = {}
    name = (form.get("name") or "").strip()
    if not name:
        errors["name"] = "Give the report a name."
    elif len(name) > 120:
        errors["name"] = "Keep the name under 120 characters."
    elif db.session.scalar(select(SavedReport.id).where(SavedReport.business_id == business.id,
                                                        SavedReport.name == name,
                                                        SavedReport.id != (current.id if current else None))):
        errors["name"] = "You already have a report with this name."
    metrics = [m for m in form.getlist("metrics") if m in services.METRICS]
    if not metrics:
        errors["metrics"] = "Choose at least one figure."
    range_preset = form.get("range_preset") or "30d"
    if range_preset not in REPORT_RANGES:
        errors["range_preset"] = "Choose one of the listed ranges."
    schedule = form.get("schedule") or "none"
    if schedule not in SCHEDULES:
        errors["schedule"] = "Choose one of the listed schedules."
    filters = {}
    direction = form.get("direction") or ""
    if direction not in ("", "inbound", "outbound"):
        errors["direction"] = "Choose inbound, outbound or both."
    elif direction:
        filters["direction"] = direction
    for key in ("coordinator", "campaign"):
        value = (form.get(key) or "").strip()
        if len(value) > 64:
            errors[key] = "Choose one of the listed values."
        elif value:
            filters[key] = value
    recipients = []
    try:
        recipients = reports.parse_addresses(form.get("recipients", ""))
    except reports.SettingsError as error:
        errors.update(error.errors)
    if schedule != "none" and not recipients and "recipients" not in errors:
        errors["recipients"] = "A scheduled report needs at least one recipient."
    if current is None and len(saved_reports(business)) >= MAX_SAVED_REPORTS:
        errors["name"] = f"You can keep up to {MAX_SAVED_REPORTS} saved reports; delete one first."
    if errors:
        raise ReportError(errors)
    return {"name": name, "metrics": metrics, "filters": filters, "range_preset": range_preset,
            "schedule": schedule, "recipients": recipients}


def save_report(business: Business, form, report: SavedReport | None = None) -> SavedReport:
    fields = clean_report_fields(business, form, current=report)
    if report is None:
        report = SavedReport(business_id=business.id)
        db.session.add(report)
    for key, value in fields.items():
        setattr(report, key, value)
    db.session.commit()
    return report


def report_period(business: Business, report: SavedReport) -> DateRange:
    return preset_range(business, report.range_preset)


def report_context(business: Business, report: SavedReport, period: DateRange) -> dict:
    """What a saved report shows (page, share link and email alike)."""
    from app.analytics import rollups

    rollups.ensure_current(business)
    built = services.build_report(business, period, report.filters)
    deltas = {d.name: d for d in built.deltas(tuple(report.metrics))}
    return {"saved": report, "period": period, "built": built, "deltas": [deltas[m] for m in report.metrics],
            "coordinator_rows": sorted(built.coordinators.items(), key=lambda kv: -kv[1].calls),
            "campaign_rows": sorted(built.campaigns.items(), key=lambda kv: -kv[1].calls)}


# -- share links --------------------------------------------------------------------

def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_share_link(report: SavedReport, days: int) -> tuple[ReportShareLink, str]:
    """A new read-only link; the token is returned once and only its hash kept."""
    if days not in SHARE_DAYS:
        raise ReportError({"days": "Choose one of the listed durations."})
    token = secrets.token_urlsafe(24)
    link = ReportShareLink(id=uuid.uuid4(), report_id=report.id, token_hash=_hash(token),
                           expires_at=utcnow() + timedelta(days=days))
    db.session.add(link)
    db.session.commit()
    return link, token


def revoke_share_link(report: SavedReport, link_id) -> bool:
    link = db.session.get(ReportShareLink, link_id) if link_id else None
    if link is None or link.report_id != report.id:
        return False
    link.revoked_at = link.revoked_at or utcnow()
    db.session.commit()
    return True


def report_for_token(token: str) -> SavedReport | None:
    """The report a live share link opens; None when unknown, expired or revoked."""
    if not token or len(token) > 100:
        return None
    link = db.session.scalar(select(ReportShareLink).where(ReportShareLink.token_hash == _hash(token)))
    if link is None or link.revoked_at is not None or link.expires_at <= utcnow():
        return None
    return db.session.get(SavedReport, link.report_id)
