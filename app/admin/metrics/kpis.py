"""The plan's KPI targets (section 14) as progress with a due date counted
from the launch date: adoption, MRR, calls per business, satisfaction."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask import current_app
from sqlalchemy import func, select

from app.admin.metrics.periods import add_months, current_month, month_of_instant, month_start
from app.admin.metrics.revenue import ratio
from app.extensions import db
from app.models import Business, Call, SatisfactionRating, SubscriptionHistory

ADOPTION_TARGET, ADOPTION_MONTHS = 0.20, 3
MRR_TARGET_CENTS, MRR_MONTHS = 1_000_000, 6
CALLS_TARGET = 100
SATISFACTION_TARGET = 4.5


def launch_month() -> date:
    """METRICS_LAUNCH_DATE's month, else the month of the first subscription, else this month."""
    configured = (current_app.config.get("METRICS_LAUNCH_DATE") or "").strip()
    if configured:
        try:
            return date.fromisoformat(configured).replace(day=1)
        except ValueError:
            pass
    first = db.session.scalar(select(func.min(SubscriptionHistory.started_at)))
    return month_of_instant(first) if first else current_month()


def launch_day() -> date:
    configured = (current_app.config.get("METRICS_LAUNCH_DATE") or "").strip()
    try:
        return date.fromisoformat(configured)
    except ValueError:
        return launch_month()


@dataclass
class Kpi:
    key: str
    label: str
    target_label: str
    value: float | None
    value_label: str
    target: float
    due: date | None
    status: str  # met, on_track, behind, missed, no_data
    detail: str

    @property
    def progress(self) -> float:
        return 0.0 if self.value is None or not self.target else max(0.0, min(1.0, self.value / self.target))


def _status(value, target, due: date | None, today: date) -> str:
    if value is None:
        return "no_data"
    if value >= target:
        return "met"
    if due is not None and today > due:
        return "missed"
    return "behind" if due is None else "on_track"


def satisfaction(since: datetime | None = None) -> tuple[float | None, int]:
    stmt = select(func.avg(SatisfactionRating.rating), func.count(SatisfactionRating.rating)).where(
        SatisfactionRating.rating.is_not(None))
    if since is not None:
        stmt = stmt.where(SatisfactionRating.created_at >= since)
    average, count = db.session.execute(stmt).one()
    return (float(average) if average is not None else None), int(count or 0)


def calls_last_complete_month(paying_businesses: int, calls: int | None = None) -> tuple[float | None, date]:
    """Calls in the last closed month per business paying at its end; `calls` when a snapshot has them."""
    month = add_months(current_month(), -1)
    if calls is None:
        calls = db.session.scalar(select(func.count()).select_from(Call).where(
            Call.started_at >= month_start(month), Call.started_at < month_start(add_months(month, 1))))
    return ratio(calls or 0, paying_businesses), month


def kpis(mrr_now: int, customers_now: int, customers_last_month: int, today: date,
         calls_last_month: int | None = None) -> list[Kpi]:
    launch = launch_day()
    claimed = db.session.scalar(select(func.count()).select_from(Business).where(Business.claimed_at.is_not(None)))
    adoption = ratio(customers_now, claimed)
    adoption_due, mrr_due = _add_months_day(launch, ADOPTION_MONTHS), _add_months_day(launch, MRR_MONTHS)
    calls, calls_month = calls_last_complete_month(customers_last_month, calls_last_month)
    average, count = satisfaction()
    return [
        Kpi("adoption", "Adoption", "20 % of claimed businesses", adoption,
            "—" if adoption is None else f"{adoption:.1%}", ADOPTION_TARGET, adoption_due,
            _status(adoption, ADOPTION_TARGET, adoption_due, today),
            f"{customers_now} paying of {claimed} claimed businesses"),
        Kpi("mrr", "MRR", "$10,000", mrr_now / 100, f"${mrr_now / 100:,.0f}", MRR_TARGET_CENTS / 100, mrr_due,
            _status(mrr_now / 100, MRR_TARGET_CENTS / 100, mrr_due, today), f"{customers_now} paying businesses"),
        Kpi("calls", "Calls per business", "100+ a month", calls, "—" if calls is None else f"{calls:.0f}",
            CALLS_TARGET, None, _status(calls, CALLS_TARGET, None, today),
            f"{calls_month:%B %Y}, per business paying at its end"),
        Kpi("satisfaction", "Satisfaction", "4.5+ stars", average,
            "—" if average is None else f"{average:.2f} ★", SATISFACTION_TARGET, None,
            _status(average, SATISFACTION_TARGET, None, today),
            f"{count} rating{'s' if count != 1 else ''} from owners' monthly question"),
    ]


def _add_months_day(day: date, months: int) -> date:
    month = add_months(day.replace(day=1), months)
    for candidate in (day.day, 30, 29, 28):
        try:
            return month.replace(day=candidate)
        except ValueError:
            continue
    return month
