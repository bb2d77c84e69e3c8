"""Adoption: how many claimed businesses pay, on which package, how often
they move, and how long they take from claiming to a first package."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from statistics import median

from sqlalchemy import case, func, select

from app.admin.metrics.mrr import MRR_STATUSES, MonthFigures
from app.admin.metrics.periods import add_months, month_start
from app.admin.metrics.revenue import ratio
from app.extensions import db
from app.models import Business, SubscriptionHistory
from app.timezones import as_utc


@dataclass
class AdoptionMonth:
    month: date
    months_since_launch: int
    claimed: int
    active: int
    adoption: float | None
    upgrade_rate: float | None
    downgrade_rate: float | None
    packages: dict[str, int]


def claimed_by_month_end(months: list[date]) -> list[int]:
    """Businesses claimed before each month's end (operator zone), counted in SQL:
    one row per month rather than every claimed business."""
    if not months:
        return []
    ends = [month_start(add_months(m, 1)) for m in months]
    bucket = case(*[(Business.claimed_at < end, index) for index, end in enumerate(ends)], else_=None)
    per_month = dict(db.session.execute(
        select(bucket, func.count()).where(Business.claimed_at.is_not(None), Business.claimed_at < ends[-1])
        .group_by(bucket)).all())
    totals, running = [], 0
    for index in range(len(months)):
        running += per_month.get(index, 0)
        totals.append(running)
    return totals


def adoption_months(figures: list[MonthFigures], launch_month: date) -> list[AdoptionMonth]:
    """From a month's MRR figures (snapshots or a timeline) and the claim counts."""
    claimed = claimed_by_month_end([figure.month for figure in figures])
    result = []
    for figure, claimed_count in zip(figures, claimed):
        since = (figure.month.year - launch_month.year) * 12 + figure.month.month - launch_month.month
        result.append(AdoptionMonth(
            month=figure.month,
            months_since_launch=since,
            claimed=claimed_count,
            active=figure.customers_end,
            adoption=ratio(figure.customers_end, claimed_count),
            upgrade_rate=ratio(figure.counts["expansion"], figure.customers_start),
            downgrade_rate=ratio(figure.counts["contraction"], figure.customers_start),
            packages=dict(figure.packages_end),
        ))
    return result


@dataclass
class TimeToPackage:
    businesses: int
    median_days: float | None
    mean_days: float | None
    buckets: list[tuple[str, int]]  # ("0–7 days", n), ...


_BUCKETS = ((7, "within a week"), (30, "8–30 days"), (90, "31–90 days"), (None, "over 90 days"))


def time_to_first_package(until: datetime) -> TimeToPackage:
    """From claim to the first paid history row (the business's "new" movement), for rows before `until`."""
    first_paid = (
        select(SubscriptionHistory.business_id, func.min(SubscriptionHistory.started_at).label("first"))
        .where(SubscriptionHistory.status.in_(MRR_STATUSES), SubscriptionHistory.started_at < until)
        .group_by(SubscriptionHistory.business_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Business.claimed_at, first_paid.c.first).join(first_paid, first_paid.c.business_id == Business.id)
        .where(Business.claimed_at.is_not(None))
    ).all()
    days = [max(0.0, (as_utc(first) - as_utc(claimed)).total_seconds() / 86400) for claimed, first in rows]
    counts = []
    lower = -1
    for upper, label in _BUCKETS:
        counts.append((label, sum(1 for d in days if d > lower and (upper is None or d <= upper))))
        lower = upper if upper is not None else lower
    return TimeToPackage(len(days), median(days) if days else None, sum(days) / len(days) if days else None, counts)
