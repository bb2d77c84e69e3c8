"""What the owner's dashboard shows, read from the local tables only, so the
page stays fast and keeps working while 4calls is slow or down.

Every function here issues a fixed number of queries, whatever the size of
the business: the call statistics and the chart come from one grouped query
over the last 30 days (index on business_id, started_at).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import case, func, select
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import Appointment, Business, Call, Contact, Coordinator
from app.models.assistant import CoordinatorStatus
from app.models.base import utcnow
from app.packages.catalog import get_package

CHART_DAYS = 30
RECENT_CALLS = 8
WINDOWS = (("today", "Today", 1), ("week", "Last 7 days", 7), ("month", "Last 30 days", 30))

# Lists show the contact's name; its tags (loaded eagerly by default) are not needed.
_CONTACT_WITHOUT_TAGS = joinedload(Call.contact).lazyload(Contact.tags)


@dataclass
class CallStats:
    """Totals over a window. "Missed" counts every unanswered call, voicemail included."""

    label: str
    total: int = 0
    answered: int = 0
    missed: int = 0
    answered_seconds: int = 0
    booked: int = 0
    leads: int = 0

    @property
    def average_duration(self) -> int:
        """Mean length of answered calls in seconds (0 when none)."""
        return round(self.answered_seconds / self.answered) if self.answered else 0


@dataclass
class DayBar:
    day: date
    total: int = 0
    answered: int = 0

    @property
    def missed(self) -> int:
        return self.total - self.answered


@dataclass
class Chart:
    bars: list[DayBar] = field(default_factory=list)

    @property
    def peak(self) -> int:
        return max((bar.total for bar in self.bars), default=0)

    def height(self, value: int) -> int:
        """Bar height in percent of the busiest day."""
        return round(value * 100 / self.peak) if self.peak else 0


def _utc_day(column):
    if db.session.get_bind().dialect.name == "postgresql":
        return func.date(func.timezone("UTC", column))
    return func.date(column)


def call_statistics(business: Business, now: datetime | None = None) -> tuple[dict[str, CallStats], Chart]:
    """Stats for today, the last 7 and 30 days (UTC days), and calls per day."""
    now = now or utcnow()
    today = now.astimezone(timezone.utc).date()
    first_day = today - timedelta(days=CHART_DAYS - 1)
    start = datetime.combine(first_day, time.min, tzinfo=timezone.utc)
    day = _utc_day(Call.started_at).label("day")
    answered = Call.status == "answered"
    rows = db.session.execute(
        select(
            day,
            func.count().label("total"),
            func.sum(case((answered, 1), else_=0)).label("answered"),
            func.sum(case((answered, Call.duration_seconds), else_=0)).label("answered_seconds"),
            func.sum(case((Call.outcome == "booked", 1), else_=0)).label("booked"),
            func.sum(case((Call.outcome == "lead", 1), else_=0)).label("leads"),
        )
        .where(Call.business_id == business.id, Call.started_at >= start, Call.started_at < start + timedelta(days=CHART_DAYS))
        .group_by(day)
    ).all()
    by_day = {date.fromisoformat(str(row.day)[:10]): row for row in rows}
    stats = {key: CallStats(label) for key, label, _ in WINDOWS}
    chart = Chart()
    for offset in range(CHART_DAYS):
        current = first_day + timedelta(days=offset)
        row = by_day.get(current)
        chart.bars.append(DayBar(current, row.total if row else 0, int(row.answered or 0) if row else 0))
        if row is None:
            continue
        age = (today - current).days
        for key, _, days in WINDOWS:
            if age < days:
                window = stats[key]
                window.total += row.total
                window.answered += int(row.answered or 0)
                window.answered_seconds += int(row.answered_seconds or 0)
                window.booked += int(row.booked or 0)
                window.leads += int(row.leads or 0)
    for window in stats.values():
        window.missed = window.total - window.answered
    return stats, chart


def recent_calls(business: Business, limit: int = RECENT_CALLS) -> list[Call]:
    return list(db.session.scalars(
        select(Call)
        .options(_CONTACT_WITHOUT_TAGS)
        .where(Call.business_id == business.id)
        .order_by(Call.started_at.desc(), Call.id.desc())
        .limit(limit)
    ).unique())


def feed_version(calls: list[Call]) -> str:
    """Changes whenever the list of recent calls (or any of them) changes,
    so the live feed can answer "nothing new" without sending the list."""
    digest = hashlib.sha1()
    for call in calls:
        digest.update(f"{call.id}:{call.remote_updated_at}:{call.contact_id};".encode())
    return digest.hexdigest()[:16]


def todays_appointments(business: Business, now: datetime | None = None) -> list[Appointment]:
    now = now or utcnow()
    start = datetime.combine(now.astimezone(timezone.utc).date(), time.min, tzinfo=timezone.utc)
    return list(db.session.scalars(
        select(Appointment)
        .where(Appointment.business_id == business.id, Appointment.starts_at >= start,
               Appointment.starts_at < start + timedelta(days=1))
        .order_by(Appointment.starts_at)
        .limit(50)
    ))


@dataclass
class AssistantStatus:
    state: str  # none | setting_up | active | attention | paused | ended
    label: str
    package_name: str | None
    coordinators: list[Coordinator]
    detail: str | None = None


_STATES = {
    "pending": ("setting_up", "Being set up"),
    "provisioning": ("setting_up", "Being set up"),
    "active": ("active", "Answering calls"),
    "past_due": ("attention", "Answering calls · payment overdue"),
    "suspended": ("paused", "Paused"),
    "cancelled": ("ended", "Cancelled"),
    "error": ("attention", "Needs attention"),
}


def assistant_status(business: Business) -> AssistantStatus:
    integration = business.integration
    if integration is None:
        return AssistantStatus("none", "No AI package yet", None, [])
    state, label = _STATES.get(integration.status, ("attention", integration.status.replace("_", " ").capitalize()))
    package = get_package(integration.service_package)
    coordinators = list(db.session.scalars(
        select(Coordinator)
        .where(Coordinator.business_id == business.id, Coordinator.status.in_(CoordinatorStatus.LIVE))
        .order_by(Coordinator.position, Coordinator.created_at)
    ))
    return AssistantStatus(state, label, package.name if package else None, coordinators,
                           detail=integration.status_reason or integration.last_error)
