"""Monthly MRR snapshots: closed months are read from `metric_snapshots`,
the live month is computed on read from the rows in effect at its start and
the rows started since. `rebuild()` recomputes every closed month from the
full history and replaces the snapshots in one transaction, so running it
twice gives the same rows (the job `rebuild_metric_snapshots` runs hourly,
so a row Stripe backdates into a closed month shows within the hour).

A closed month without a snapshot (a fresh install, a changed zone) falls
back to the full computation and queues a rebuild.
"""
from __future__ import annotations

from collections import Counter
from datetime import date

from sqlalchemy import delete, func, select

from app.admin.metrics.mrr import KINDS, MRR_STATUSES, MonthFigures, build_timeline, load_rows
from app.admin.metrics.periods import add_months, current_month, month_of_instant, month_start, months_between
from app.extensions import db
from app.models import MetricSnapshot, SubscriptionHistory
from app.models.base import utcnow
from app.packages.catalog import PACKAGES


def _zone_name() -> str:
    from flask import current_app

    return current_app.config.get("OPERATOR_TIMEZONE") or "UTC"


def _to_payload(figure: MonthFigures) -> dict:
    return {"mrr_start": figure.mrr_start, "mrr_end": figure.mrr_end, "customers_start": figure.customers_start,
            "customers_end": figure.customers_end, "amounts": figure.amounts, "counts": figure.counts,
            "packages_end": dict(figure.packages_end)}


def _from_payload(month: date, payload: dict) -> MonthFigures:
    figure = MonthFigures(month=month, mrr_start=payload["mrr_start"], mrr_end=payload["mrr_end"],
                          customers_start=payload["customers_start"], customers_end=payload["customers_end"])
    figure.amounts = {k: int(payload["amounts"].get(k, 0)) for k in KINDS}
    figure.counts = {k: int(payload["counts"].get(k, 0)) for k in KINDS}
    figure.packages_end = Counter(payload.get("packages_end") or {})
    return figure


def rebuild(now=None) -> int:
    """Recompute every closed month's snapshot (all packages and each one). Returns the months written."""
    first = db.session.scalar(select(func.min(SubscriptionHistory.started_at)))
    zone = _zone_name()
    last_closed = add_months(current_month(now), -1)
    db.session.execute(delete(MetricSnapshot).where(MetricSnapshot.zone == zone))
    if first is None or month_of_instant(first) > last_closed:
        db.session.commit()
        return 0
    months = months_between(month_of_instant(first), last_closed)
    states = load_rows(month_start(add_months(last_closed, 1)))
    computed_at = utcnow()
    for package in [None] + [p.slug for p in PACKAGES]:
        timeline = build_timeline(months, package, states=states)
        db.session.add_all(MetricSnapshot(month=f.month, zone=zone, package=package or "", figures=_to_payload(f),
                                          computed_at=computed_at) for f in timeline.figures)
    db.session.commit()
    return len(months)


def live_month(month: date, package: str | None = None) -> MonthFigures:
    """The month in progress from the rows in effect at its start and those started since."""
    start = month_start(month)
    # Rows paying at the start (the state a movement starts from) and every row started since;
    # a business not paying at the start needs only to know whether it ever paid (reactivation).
    states = load_rows(month_start(add_months(month, 1)), since=start, paying_at_since=True)
    fresh = [business_id for business_id, rows in states.items() if rows[0][0] >= start]
    paid_before = set(db.session.scalars(
        select(SubscriptionHistory.business_id).distinct().where(
            SubscriptionHistory.business_id.in_(fresh), SubscriptionHistory.started_at < start,
            SubscriptionHistory.status.in_(MRR_STATUSES)))) if fresh else set()
    return build_timeline([month], package, states=states, subscribed_before=paid_before).figures[0]


def figures_for(months: list[date], package: str | None = None) -> list[MonthFigures]:
    """Snapshots for closed months plus the live month; the full computation when one is missing."""
    this_month = current_month()
    closed = [m for m in months if m < this_month]
    stored = {}
    if closed:
        stored = {row.month: row.figures for row in db.session.scalars(select(MetricSnapshot).where(
            MetricSnapshot.zone == _zone_name(), MetricSnapshot.package == (package or ""),
            MetricSnapshot.month.in_(closed)))}
    missing = [m for m in closed if m not in stored]
    if missing and _has_history_before(month_start(add_months(missing[-1], 1))):
        _queue_rebuild()
        return build_timeline(months, package).figures
    figures = [_from_payload(m, stored[m]) if m in stored else MonthFigures(month=m) for m in closed]
    if any(m >= this_month for m in months):
        figures.append(live_month(this_month, package))
    return figures


def _has_history_before(moment) -> bool:
    return db.session.scalar(select(SubscriptionHistory.id).where(SubscriptionHistory.started_at < moment).limit(1)) is not None


def _queue_rebuild() -> None:
    from app.admin.jobs import rebuild_metric_snapshots
    from app.jobs import enqueue

    enqueue(rebuild_metric_snapshots, job_id="metric-snapshots")
