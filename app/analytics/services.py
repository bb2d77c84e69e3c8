"""Call analytics figures for a business and a range of local days, read from
the rollups (`app.analytics.rollups`): a fixed number of statements per page
whatever the range or the call volume."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache
from datetime import date

from sqlalchemy import case, func, select

from app.analytics.ranges import DateRange
from app.extensions import db
from app.models import Business, CallDailyRollup, CallHourlyRollup, CallTopicRollup, Coordinator

OUTCOMES = ("booked", "lead", "question", "message")
OUTCOME_LABELS = {"booked": "Booked", "lead": "Lead", "question": "Question", "message": "Message"}
WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
FILTER_KEYS = ("direction", "coordinator", "campaign")


@dataclass
class Totals:
    calls: int = 0
    inbound: int = 0
    outbound: int = 0
    answered: int = 0
    missed: int = 0
    voicemail: int = 0
    talk_seconds: int = 0
    bookings: int = 0
    leads: int = 0
    outcomes: dict = field(default_factory=lambda: defaultdict(int))

    def merge(self, other: "Totals") -> None:
        for name in _SUMMED:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for outcome, calls in other.outcomes.items():
            self.outcomes[outcome] += calls

    @classmethod
    def from_sums(cls, row) -> "Totals":
        """A row of `_sums()` columns (SQL did the adding)."""
        values = [int(v or 0) for v in row]
        totals = cls(**dict(zip(_SUMMED, values)))
        for outcome, calls in zip(OUTCOMES, values[len(_SUMMED):]):
            if calls:
                totals.outcomes[outcome] = calls
        return totals

    @property
    def answer_rate(self) -> float | None:
        return self.answered / self.calls if self.calls else None

    @property
    def average_talk_seconds(self) -> float | None:
        return self.talk_seconds / self.answered if self.answered else None

    @property
    def booking_rate(self) -> float | None:
        return self.bookings / self.calls if self.calls else None

    @property
    def lead_rate(self) -> float | None:
        return self.leads / self.calls if self.calls else None

    def metric(self, name: str):
        return getattr(self, name)


# name -> (label, kind, higher is better)
METRICS = {
    "calls": ("Calls", "count", True),
    "answered": ("Answered", "count", True),
    "missed": ("Missed", "count", False),
    "answer_rate": ("Answer rate", "percent", True),
    "talk_seconds": ("Total talk time", "duration", True),
    "average_talk_seconds": ("Average talk time", "duration", True),
    "bookings": ("Appointments booked", "count", True),
    "booking_rate": ("Calls → appointments", "percent", True),
    "leads": ("Leads", "count", True),
    "lead_rate": ("Calls → leads", "percent", True),
}


def format_metric(name: str, value) -> str:
    if value is None:
        return "—"
    kind = METRICS[name][1]
    if kind == "percent":
        return f"{value * 100:.1f}%"
    if kind == "duration":
        seconds = int(round(value))
        hours, rest = divmod(seconds, 3600)
        return f"{hours}h {rest // 60:02d}m" if hours else f"{rest // 60}m {rest % 60:02d}s"
    return f"{value:,}"


@dataclass
class Delta:
    """A metric against the previous period, with what the arrow means."""
    name: str
    current: float | None
    previous: float | None

    @property
    def label(self) -> str:
        return METRICS[self.name][0]

    @property
    def change(self) -> float | None:
        if self.current is None or self.previous is None:
            return None
        if METRICS[self.name][1] == "percent":
            return (self.current - self.previous) * 100  # percentage points
        if not self.previous:
            return None
        return (self.current - self.previous) / self.previous * 100

    @property
    def direction(self) -> str:
        if self.current is None or self.previous is None or self.current == self.previous:
            return "flat"
        return "up" if self.current > self.previous else "down"

    @property
    def arrow(self) -> str:
        return {"up": "▲", "down": "▼", "flat": "■"}[self.direction]

    @property
    def tone(self) -> str:
        if self.direction == "flat":
            return "neutral"
        better = (self.direction == "up") == METRICS[self.name][2]
        return "good" if better else "bad"

    @property
    def text(self) -> str:
        if self.previous is None or self.current is None:
            return "no earlier figure to compare"
        if self.direction == "flat":
            return "same as the previous period"
        unit = " points" if METRICS[self.name][1] == "percent" else "%"
        amount = f"{abs(self.change):.1f}{unit}" if self.change is not None else "from none"
        word = "up" if self.direction == "up" else "down"
        judgement = "better" if self.tone == "good" else "worse"
        return f"{word} {amount} on the previous period ({judgement})"

    @property
    def formatted(self) -> str:
        return format_metric(self.name, self.current)

    @property
    def formatted_previous(self) -> str:
        return format_metric(self.name, self.previous)


@dataclass
class Report:
    range: DateRange
    totals: Totals
    previous: Totals
    days: list[date]
    per_day: dict  # day -> Totals
    coordinators: dict  # remote id -> Totals
    campaigns: dict  # remote id -> Totals
    heatmap: list  # 7 rows × 24 hours
    coordinator_names: dict

    def deltas(self, names=("calls", "answer_rate", "talk_seconds", "average_talk_seconds", "bookings",
                            "booking_rate", "leads", "lead_rate", "missed")) -> list[Delta]:
        return [Delta(n, self.totals.metric(n), self.previous.metric(n) if self.previous.calls else None)
                for n in names]

    def coordinator_label(self, remote_id: str) -> str:
        return self.coordinator_names.get(remote_id) or (remote_id or "No assistant recorded")


def _filtered(query, model, business: Business, filters: dict | None):
    query = query.where(model.business_id == business.id)
    filters = filters or {}
    if filters.get("direction") in ("inbound", "outbound"):
        query = query.where(model.direction == filters["direction"])
    if model is CallDailyRollup:
        if filters.get("coordinator"):
            query = query.where(model.coordinator_remote_id == filters["coordinator"])
        if filters.get("campaign"):
            query = query.where(model.campaign_remote_id == filters["campaign"])
    return query


_SUMMED = ("calls", "inbound", "outbound", "answered", "missed", "voicemail", "talk_seconds", "bookings", "leads")


@cache
def _sums():
    """Every measure as one SUM column, so SQL returns one row per group
    (per day: 90 rows for 90 days, not one per dimension combination).
    Built once: the expressions are immutable, and building them cost a tenth of the page."""
    m = CallDailyRollup

    def where(condition):
        return func.sum(case((condition, m.calls), else_=0))

    return (func.sum(m.calls), where(m.direction == "inbound"), where(m.direction == "outbound"),
            where(m.status == "answered"), where(m.status == "missed"), where(m.status == "voicemail"),
            func.sum(m.talk_seconds), func.sum(m.bookings), func.sum(m.leads),
            *[where(m.outcome == outcome) for outcome in OUTCOMES])


def _grouped(business: Business, first: date, last: date, filters: dict | None, *columns):
    m = CallDailyRollup
    query = select(*columns, *_sums()).where(m.local_day >= first, m.local_day <= last)
    if columns:
        query = query.group_by(*columns)
    return db.session.execute(_filtered(query, m, business, filters)).all()


def previous_totals(business: Business, period: DateRange, filters: dict | None = None) -> Totals:
    return Totals.from_sums(_grouped(business, period.first, period.last, filters)[0])


def heatmap(business: Business, period: DateRange, filters: dict | None = None) -> list[list[int]]:
    """Calls per local weekday (Mon..Sun) and local hour: one statement."""
    m = CallHourlyRollup
    query = (select(m.weekday, m.hour, func.sum(m.calls))
             .where(m.local_day >= period.first, m.local_day <= period.last)
             .group_by(m.weekday, m.hour))
    grid = [[0] * 24 for _ in range(7)]
    for weekday, hour, calls in db.session.execute(_filtered(query, m, business, filters)):
        grid[weekday - 1][hour] += int(calls)
    return grid


def coordinator_names(business: Business) -> dict[str, str]:
    return {remote: name for remote, name in db.session.execute(
        select(Coordinator.fourcalls_id, Coordinator.name).where(Coordinator.business_id == business.id,
                                                                 Coordinator.fourcalls_id.is_not(None)))}


def build_report(business: Business, period: DateRange, filters: dict | None = None) -> Report:
    """Every figure of the overview in five statements, whatever the range or volume."""
    m = CallDailyRollup
    totals, per_day = Totals(), {day: Totals() for day in period.each_day()}
    for day, *sums in _grouped(business, period.first, period.last, filters, m.local_day):
        per_day[day] = Totals.from_sums(sums)
        totals.merge(per_day[day])
    coordinators, campaigns = defaultdict(Totals), defaultdict(Totals)
    for coordinator, campaign, *sums in _grouped(business, period.first, period.last, filters,
                                                 m.coordinator_remote_id, m.campaign_remote_id):
        group = Totals.from_sums(sums)
        coordinators[coordinator].merge(group)
        if campaign:
            campaigns[campaign].merge(group)
    return Report(range=period, totals=totals, previous=previous_totals(business, period.previous(), filters),
                  days=period.each_day(), per_day=per_day, coordinators=dict(coordinators),
                  campaigns=dict(campaigns), heatmap=heatmap(business, period, filters),
                  coordinator_names=coordinator_names(business))


def topic_counts(business: Business, period: DateRange, limit: int = 12) -> list[tuple[str, int]]:
    m = CallTopicRollup
    rows = db.session.execute(
        select(m.topic, func.sum(m.calls)).where(m.business_id == business.id, m.local_day >= period.first,
                                                 m.local_day <= period.last)
        .group_by(m.topic).order_by(func.sum(m.calls).desc(), m.topic).limit(limit)).all()
    return [(topic, int(calls)) for topic, calls in rows]
