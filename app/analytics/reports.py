"""The weekly email report: its content, settings, recipients and the signed
unsubscribe link. Sending (on the local Monday morning) is in `delivery`."""
from __future__ import annotations

import re
from datetime import date, timedelta

from flask import current_app, has_request_context, url_for
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select

from app.analytics import services
from app.analytics.questions import open_questions
from app.analytics.ranges import DateRange
from app.extensions import db
from app.models import Business, ReportSettings
from app.timezones import local_today

MAX_RECIPIENTS = 10
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class SettingsError(ValueError):
    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def settings_for(business: Business) -> ReportSettings:
    settings = db.session.get(ReportSettings, business.id)
    return settings or ReportSettings(business_id=business.id, weekly_enabled=True, recipients=[], unsubscribed=[])


def recipients(business: Business) -> list[str]:
    """The owner and the chosen extra recipients, minus anyone who unsubscribed.
    (Team members join this list once teams exist.)"""
    settings = settings_for(business)
    if not settings.weekly_enabled:
        return []
    owner = [business.owner.email] if business.owner else []
    opted_out = {a.lower() for a in settings.unsubscribed or []}
    seen, result = set(), []
    for address in owner + list(settings.recipients or []):
        if address.lower() not in opted_out and address.lower() not in seen:
            seen.add(address.lower())
            result.append(address)
    return result


def parse_addresses(text: str, field: str = "recipients") -> list[str]:
    addresses = [a.strip() for a in re.split(r"[,\s;]+", text or "") if a.strip()]
    bad = [a for a in addresses if not _EMAIL.match(a) or len(a) > 255]
    if bad:
        raise SettingsError({field: f"Not an email address: {', '.join(bad[:3])}."})
    if len(addresses) > MAX_RECIPIENTS:
        raise SettingsError({field: f"Choose at most {MAX_RECIPIENTS} recipients."})
    return list(dict.fromkeys(addresses))


def update_settings(business: Business, *, enabled: bool, recipients_text: str) -> ReportSettings:
    addresses = parse_addresses(recipients_text)
    settings = db.session.get(ReportSettings, business.id)
    if settings is None:
        settings = ReportSettings(business_id=business.id, unsubscribed=[])
        db.session.add(settings)
    settings.weekly_enabled = enabled
    settings.recipients = addresses
    # Choosing an address again is consent again.
    settings.unsubscribed = [a for a in settings.unsubscribed or [] if a.lower() not in {x.lower() for x in addresses}]
    if enabled and business.owner:
        settings.unsubscribed = [a for a in settings.unsubscribed if a.lower() != business.owner.email.lower()]
    db.session.commit()
    return settings


# -- unsubscribe ------------------------------------------------------------------

def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="analytics-weekly-unsubscribe")


def unsubscribe_token(business: Business, address: str) -> str:
    return _serializer().dumps({"b": str(business.id), "e": address.lower()})


def read_unsubscribe_token(token: str) -> tuple[str, str] | None:
    try:
        data = _serializer().loads(token)
        return data["b"], data["e"]
    except (BadSignature, KeyError, TypeError):
        return None


def unsubscribe(business: Business, address: str) -> None:
    settings = db.session.get(ReportSettings, business.id)
    if settings is None:
        settings = ReportSettings(business_id=business.id, weekly_enabled=True, recipients=[], unsubscribed=[])
        db.session.add(settings)
    if address.lower() not in {a.lower() for a in settings.unsubscribed or []}:
        settings.unsubscribed = [*(settings.unsubscribed or []), address.lower()]
    db.session.commit()


def public_url(endpoint: str, **values) -> str:
    """An absolute link for an email, built on PUBLIC_BASE_URL even inside a job."""
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    if has_request_context():
        return base + url_for(endpoint, **values)
    with current_app.test_request_context(base_url=base):
        return base + url_for(endpoint, **values)


# -- content ----------------------------------------------------------------------

def last_full_week(business: Business, today: date | None = None) -> DateRange:
    """Monday to Sunday of the last complete local week."""
    today = today or local_today(business)
    this_monday = today - timedelta(days=today.weekday())
    return DateRange("week", this_monday - timedelta(days=7), this_monday - timedelta(days=1))


def weekly_context(business: Business, week: DateRange, recipient: str) -> dict:
    from app.analytics import rollups
    from app.usage.services import usage_summary

    rollups.ensure_current(business)
    report = services.build_report(business, week)
    start, end = week.bounds(business)
    minutes = [m for m in usage_summary(business) if m.service_type in ("inbound_minutes", "outbound_minutes")]
    return {
        "business": business, "week": week, "report": report, "deltas": report.deltas(("calls", "answer_rate",
                                                                                        "bookings", "leads")),
        "topics": services.topic_counts(business, week, 5), "questions": open_questions(business, start, end, 5),
        "minutes": minutes,
        "analytics_url": public_url("analytics.index", slug=business.slug),
        "reports_url": public_url("analytics.reports_page", slug=business.slug),
        "unsubscribe_url": public_url("analytics_public.unsubscribe", token=unsubscribe_token(business, recipient)),
    }


def render_weekly(business: Business, week: DateRange, recipient: str):
    from app.mail.services import render_email

    context = weekly_context(business, week, recipient)
    context.pop("business")
    return render_email("analytics/weekly_report", business=business, **context)


def businesses_for_weekly() -> list[Business]:
    """Businesses with an owner whose package includes reporting."""
    from app.analytics.gating import allowed

    candidates = db.session.scalars(select(Business).where(Business.owner_id.is_not(None))).all()
    return [b for b in candidates if b.integration is not None and allowed(b, "call_reporting")]
