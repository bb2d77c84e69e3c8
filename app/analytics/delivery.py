"""Scheduled delivery: the weekly report on each business's local Monday
morning, and Enterprise saved reports daily, weekly or monthly.

Runs every few minutes from the RQ cron (`app/recurring.py`). Each email
carries an idempotency key per business (or report) × recipient × period, so
a run that repeats, overlaps or retries never sends twice.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select

from app.analytics import reports
from app.analytics.ranges import DateRange
from app.extensions import db
from app.models import Business, FourCallsIntegration, SavedReport
from app.packages.catalog import PACKAGES
from app.timezones import local_now

log = logging.getLogger(__name__)
# "Monday morning": from 07:00 local; a run missed until noon still sends, later ones wait a week.
MORNING_FROM, MORNING_UNTIL = 7, 12


def _in_morning(now_local: datetime) -> bool:
    return MORNING_FROM <= now_local.hour < MORNING_UNTIL


def _businesses_with(feature: str) -> list[Business]:
    slugs = [p.slug for p in PACKAGES if p.has(feature)]
    rows = db.session.scalars(
        select(Business).join(FourCallsIntegration, FourCallsIntegration.business_id == Business.id)
        .where(FourCallsIntegration.service_package.in_(slugs), Business.owner_id.is_not(None))).all()
    from app.analytics.gating import allowed

    return [b for b in rows if allowed(b, feature)]


def send_weekly_report(business: Business, week: DateRange) -> int:
    """Queue the week's report to every recipient; returns the emails queued.
    While a large history is still being counted nothing is sent: the next
    run (ten minutes later, still in the morning) sends the real figures."""
    from app.analytics import rollups
    from app.mail import send_email

    if not rollups.ensure_current(business):
        return 0
    queued = 0
    for address in reports.recipients(business):
        context = reports.weekly_context(business, week, address)
        context.pop("business")
        email = send_email(address, "analytics/weekly_report", business=business,
                           idempotency_key=f"weekly-report:{business.id}:{week.first.isoformat()}:{address.lower()}",
                           **context)
        queued += email is not None
    db.session.commit()
    return queued


def due_period(schedule: str, now_local: datetime) -> DateRange | None:
    """The period a saved report covers when it is due now, else None."""
    today = now_local.date()
    if not _in_morning(now_local):
        return None
    if schedule == "daily":
        yesterday = today - timedelta(days=1)
        return DateRange("day", yesterday, yesterday)
    if schedule == "weekly" and today.weekday() == 0:
        return DateRange("week", today - timedelta(days=7), today - timedelta(days=1))
    if schedule == "monthly" and today.day == 1:
        last = today - timedelta(days=1)
        return DateRange("month", last.replace(day=1), last)
    return None


def send_saved_report(report: SavedReport, business: Business, period: DateRange) -> int:
    from app.analytics.enterprise import report_context
    from app.analytics.services import METRICS, format_metric
    from app.mail import send_email

    queued = 0
    for address in report.recipients or []:
        context = report_context(business, report, period)
        context.update(metrics=METRICS, format_metric=format_metric)
        email = send_email(address, "analytics/saved_report", business=business,
                           idempotency_key=f"saved-report:{report.id}:{period.first.isoformat()}:"
                                           f"{period.last.isoformat()}:{address.lower()}",
                           **context)
        queued += email is not None
    db.session.commit()
    return queued


def send_due_reports(now: datetime | None = None) -> dict:
    counts = {"weekly": 0, "saved": 0}
    for business in _businesses_with("call_reporting"):
        now_local = local_now(business, now)
        if now_local.weekday() == 0 and _in_morning(now_local):
            try:
                counts["weekly"] += send_weekly_report(business, reports.last_full_week(business, now_local.date()))
            except Exception:  # one business's failure must not stop the others' reports
                db.session.rollback()
                log.exception("weekly report failed for business %s", business.id)
    for business in _businesses_with("enterprise_reporting"):
        now_local = local_now(business, now)
        for report in db.session.scalars(select(SavedReport).where(SavedReport.business_id == business.id,
                                                                   SavedReport.schedule != "none")):
            period = due_period(report.schedule, now_local)
            if period is None:
                continue
            try:
                counts["saved"] += send_saved_report(report, business, period)
            except Exception:
                db.session.rollback()
                log.exception("saved report %s failed", report.id)
    return counts
