"""What the owner's dashboard shows, read from the local tables only, so the
page stays fast and keeps working while 4calls is slow or down.

Every function here issues a fixed number of queries, whatever the size of
the business: the call statistics and the chart come from one grouped query
over the last 30 days (index on business_id, started_at).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import case, func, literal, select
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import Appointment, Business, Call, Contact, Coordinator
from app.models.assistant import CoordinatorStatus
from app.packages.catalog import get_package
from app.timezones import local_day_bounds, local_midnight, local_today

CHART_DAYS = 30
RECENT_CALLS = 8
WINDOWS = (("today", "Today", 1), ("week", "Last 7 days", 7), ("month", "Last 30 days", 30))

# Lists show the contact's name; its tags (loaded eagerly by default) are not needed.
_CONTACT_WITHOUT_TAGS = joinedload(Call.contact).lazyload(Contact.tags)


@dataclass
class CallStats:
    """Totals over a window. "Missed" counts every unanswered incoming call, voicemail
    included; outbound calls (campaigns) are counted apart and never as missed."""

    label: str
    total: int = 0
    answered: int = 0
    missed: int = 0
    outbound: int = 0
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


def _local_day_index(business: Business, first_day: date, days: int):
    """SQL for "which local day of the window did this call start on" (0 is
    `first_day`), from the UTC bounds of each local midnight: DST days are
    23 or 25 hours long, and no call is lost or counted twice. A balanced
    tree of CASEs, so each row costs about log2(days) comparisons."""
    bounds = [local_midnight(business, first_day + timedelta(days=n)) for n in range(days + 1)]

    def index_between(low: int, high: int):
        if high - low == 1:
            return literal(low)
        middle = (low + high) // 2
        return case((Call.started_at < bounds[middle], index_between(low, middle)), else_=index_between(middle, high))

    return index_between(0, days), bounds[0], bounds[-1]


def call_statistics(business: Business, now: datetime | None = None) -> tuple[dict[str, CallStats], Chart]:
    """Stats for today, the last 7 and 30 days, and calls per day: the
    business's local days, so "Today" starts at the business's midnight."""
    today = local_today(business, now)
    first_day = today - timedelta(days=CHART_DAYS - 1)
    day_index, start, end = _local_day_index(business, first_day, CHART_DAYS)
    day = day_index.label("day")
    answered = Call.status == "answered"
    outbound = Call.direction == "outbound"
    rows = db.session.execute(
        select(
            day,
            func.count().label("total"),
            func.sum(case((answered, 1), else_=0)).label("answered"),
            func.sum(case((outbound, 1), else_=0)).label("outbound"),
            func.sum(case((outbound, 0), (answered, 0), else_=1)).label("missed"),
            func.sum(case((answered, Call.duration_seconds), else_=0)).label("answered_seconds"),
            func.sum(case((Call.outcome == "booked", 1), else_=0)).label("booked"),
            func.sum(case((Call.outcome == "lead", 1), else_=0)).label("leads"),
        )
        .where(Call.business_id == business.id, Call.started_at >= start, Call.started_at < end)
        .group_by(day)
    ).all()
    by_day = {first_day + timedelta(days=int(row.day)): row for row in rows if row.day is not None}
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
                window.outbound += int(row.outbound or 0)
                window.missed += int(row.missed or 0)
    return stats, chart


def recent_calls(business: Business, limit: int = RECENT_CALLS) -> list[Call]:
    return list(db.session.scalars(
        select(Call)
        .options(_CONTACT_WITHOUT_TAGS)
        .where(Call.business_id == business.id)
        .order_by(Call.started_at.desc(), Call.id.desc())
        .limit(limit)
    ).unique())


def feed_version(calls: list[Call], extra: str = "") -> str:
    """Changes whenever the list of recent calls (or any of them) changes, or
    the figures shown beside it (`extra`), so the live feed can answer
    "nothing new" without sending anything."""
    digest = hashlib.sha1()
    for call in calls:
        digest.update(f"{call.id}:{call.remote_updated_at}:{call.contact_id};".encode())
    digest.update(extra.encode())
    return digest.hexdigest()[:16]


def figures_fingerprint(meters, assistant, running, last_synced_at) -> str:
    """What the meters, the assistant card and "last synced" show, as text."""
    from app.calls.routes import ago

    parts = [f"{m.service_type}={m.used}/{m.limit}" for m in meters]
    parts.append(f"{assistant.state}:{assistant.label}:{assistant.package_name}")
    parts += [f"{c.id}:{c.name}:{c.phone_number}" for c in assistant.coordinators]
    parts.append("syncing" if running else ago(last_synced_at))
    return "|".join(parts)


def todays_appointments(business: Business, now: datetime | None = None) -> list[Appointment]:
    """The business's local today, not the server's (an LA owner's evening
    does not list tomorrow's appointments)."""
    start, end = local_day_bounds(business, local_today(business, now))
    return list(db.session.scalars(
        select(Appointment)
        .where(Appointment.business_id == business.id, Appointment.starts_at >= start,
               Appointment.starts_at < end)
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
