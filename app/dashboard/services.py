"""What the owner's dashboard shows, read from the local tables only, so the
page stays fast and keeps working while 4calls is slow or down.

Every function here issues a fixed number of queries, whatever the size of
the business: the call statistics and the chart read the daily rollups
(`app.analytics.rollups`) for the closed days and the calls table for today.
"""
from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from functools import cached_property
from datetime import date, datetime, timedelta

from sqlalchemy import bindparam, case, func, literal, or_, select

from app.extensions import db
from app.models import (
    Appointment,
    Business,
    Call,
    CallDailyRollup,
    Contact,
    Coordinator,
)
from app.models.assistant import CoordinatorStatus
from app.packages.catalog import get_package
from app.timezones import local_day_bounds, local_midnight, local_today

log = logging.getLogger(__name__)

CHART_DAYS = 30
RECENT_CALLS = 8
WINDOWS = (("today", "Today", 1), ("week", "Last 7 days", 7), ("month", "Last 30 days", 30))


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

    @cached_property
    def peak(self) -> int:
        # Cached: the template asks for it once per bar height (read after the bars are complete).
        return max((bar.total for bar in self.bars), default=0)

    def height(self, value: int) -> int:
        """Bar height in percent of the busiest day."""
        return round(value * 100 / self.peak) if self.peak else 0

    @cached_property
    def columns(self) -> list[tuple[str, str, int, int]]:
        """(day label, hover text, answered and missed heights in percent) per
        bar, worked out here once: the template drew them with five calls a
        bar, which showed in bench/profile_view.py. The days are already the
        business's local days, so a label is the day itself, not a converted instant."""
        from app.wording import plural

        columns = []
        for bar in self.bars:
            label = f"{bar.day:%b} {bar.day.day}"
            title = f"{label}: {plural(bar.total, 'call')}, {bar.answered} answered, {bar.missed} missed"
            columns.append((label, title, self.height(bar.answered), self.height(bar.missed)))
        return columns


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


_ANSWERED = Call.status == "answered"
_OUTBOUND = Call.direction == "outbound"
# The rollups' definition (`app.analytics.rollups.contribution`): a call that made an appointment.
_BOOKED = or_(Call.appointment_remote_id.is_not(None), Call.outcome == "booked")
_LIVE_MEASURES = (
    func.count().label("total"),
    func.sum(case((_ANSWERED, 1), else_=0)).label("answered"),
    func.sum(case((_OUTBOUND, 1), else_=0)).label("outbound"),
    # Missed: unanswered incoming calls only; an unanswered campaign call is not a missed call.
    func.sum(case((_OUTBOUND, 0), (_ANSWERED, 0), else_=1)).label("missed"),
    func.sum(case((_ANSWERED, Call.duration_seconds), else_=0)).label("answered_seconds"),
    func.sum(case((_BOOKED, 1), else_=0)).label("booked"),
    func.sum(case((Call.outcome == "lead", 1), else_=0)).label("leads"),
)


def call_statistics(business: Business, now: datetime | None = None) -> tuple[dict[str, CallStats], Chart]:
    """Stats for today, the last 7 and 30 days, and calls per day: the
    business's local days, so "Today" starts at the business's midnight.

    The 29 closed days come from the daily rollups (a few hundred rows however
    many calls), today's partial day from the calls table (one index range).
    Until the rollups are counted in the business's zone (a job builds them),
    all 30 days are read from the calls table."""
    from app.analytics import rollups

    today = local_today(business, now)
    first_day = today - timedelta(days=CHART_DAYS - 1)
    if rollups.ensure_current(business):
        by_day = _rollup_days(business, first_day, today)
        start, end = local_day_bounds(business, today)
        row = db.session.execute(select(*_LIVE_MEASURES).where(
            Call.business_id == business.id, Call.started_at >= start, Call.started_at < end)).one()
        if row.total:
            by_day[today] = row
    else:
        by_day = _live_days(business, first_day)
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


# Figures cached per change mark live this long at most: a write that could
# not mark (Redis failing as it committed) shows within this time. As long as
# the pieces of pages kept under the mark (app/dashboard/kept.py), which draw
# from these.
STATS_CACHE_SECONDS = 60


def cached_call_statistics(business: Business, mark: str | None) -> tuple[dict[str, CallStats], Chart]:
    """`call_statistics`, kept in Redis under the business's live-feed change
    mark and local day: every open dashboard of a business shares one
    computation until a call is written (which moves the mark) or the local
    day turns. Without a mark (no Redis), computed every time."""
    from app.dashboard import live_feed

    marks = live_feed.store() if mark is not None else None
    if marks is None:
        return call_statistics(business)
    key = f"dashboard-stats:{business.id}:{mark}:{local_today(business).isoformat()}:{business.timezone}"
    try:
        cached = marks.redis.get(key)
    except live_feed.REDIS_FAILURES:
        cached = None
    if cached is not None:
        return _decode_statistics(cached)
    stats, chart = call_statistics(business)
    try:
        marks.redis.set(key, _encode_statistics(stats, chart), ex=STATS_CACHE_SECONDS)
    except live_feed.REDIS_FAILURES as exc:  # the next view computes again
        log.warning("dashboard statistics not cached (%s)", type(exc).__name__)
    return stats, chart


_STAT_FIELDS = ("total", "answered", "missed", "answered_seconds", "booked", "leads")


def _encode_statistics(stats, chart) -> str:
    return json.dumps({
        "stats": {key: [getattr(window, name) for name in _STAT_FIELDS] for key, window in stats.items()},
        "chart": [[bar.day.isoformat(), bar.total, bar.answered] for bar in chart.bars],
    })


def _decode_statistics(raw) -> tuple[dict[str, CallStats], Chart]:
    data = json.loads(raw)
    labels = {key: label for key, label, _ in WINDOWS}
    stats = {key: CallStats(labels[key], **dict(zip(_STAT_FIELDS, values))) for key, values in data["stats"].items()}
    chart = Chart([DayBar(date.fromisoformat(day), total, answered) for day, total, answered in data["chart"]])
    return stats, chart


def _rollup_days(business: Business, first_day: date, today: date) -> dict:
    """Per local day in [first_day, today): the same measures as `_LIVE_MEASURES`."""
    rollup = CallDailyRollup
    rows = db.session.execute(
        select(
            rollup.local_day,
            func.sum(rollup.calls).label("total"),
            func.sum(case((rollup.status == "answered", rollup.calls), else_=0)).label("answered"),
            func.sum(case((rollup.direction == "outbound", rollup.calls), else_=0)).label("outbound"),
            func.sum(case((rollup.direction == "outbound", 0), (rollup.status == "answered", 0),
                          else_=rollup.calls)).label("missed"),
            func.sum(rollup.talk_seconds).label("answered_seconds"),
            func.sum(rollup.bookings).label("booked"),
            func.sum(rollup.leads).label("leads"),
        )
        .where(rollup.business_id == business.id, rollup.local_day >= first_day, rollup.local_day < today)
        .group_by(rollup.local_day)
    ).all()
    return {row.local_day: row for row in rows}


def _live_days(business: Business, first_day: date) -> dict:
    """All 30 days from the calls table, one grouped query."""
    day_index, start, end = _local_day_index(business, first_day, CHART_DAYS)
    day = day_index.label("day")
    rows = db.session.execute(
        select(day, *_LIVE_MEASURES)
        .where(Call.business_id == business.id, Call.started_at >= start, Call.started_at < end)
        .group_by(day)
    ).all()
    return {first_day + timedelta(days=int(row.day)): row for row in rows if row.day is not None}


# What the feed shows of a call and what its version hashes: rows, not Call
# objects, so every view and poll skips hydrating transcripts and contacts.
_FEED_COLUMNS = (Call.id, Call.remote_id, Call.started_at, Call.direction, Call.caller_name, Call.caller_number,
                 Call.duration_seconds, Call.status, Call.outcome, Call.is_test, Call.forwarded_to,
                 Call.forward_answered, Call.forward_reason, Call.remote_updated_at, Call.contact_id)


# The dashboard's statements are built once: every view (and every live poll
# that changed) runs them, and building a statement costs more than running it.
_RECENT_CALLS = (select(*_FEED_COLUMNS, Contact.name.label("contact_name"))
                 .outerjoin(Contact, Contact.id == Call.contact_id)
                 .where(Call.business_id == bindparam("business_id"))
                 .order_by(Call.started_at.desc(), Call.id.desc())
                 .limit(bindparam("limit")))


def recent_calls(business: Business, limit: int = RECENT_CALLS) -> list:
    """The newest calls as rows of _FEED_COLUMNS and `contact_name`."""
    return db.session.execute(_RECENT_CALLS, {"business_id": business.id, "limit": limit}).all()


def feed_version(calls: list, extra: str = "") -> str:
    """Changes whenever the list of recent calls (or any of them) changes, or
    the figures shown beside it (`extra`), so the live feed can answer
    "nothing new" without sending anything."""
    digest = hashlib.sha1()
    for call in calls:
        digest.update(f"{call.id}:{call.remote_updated_at}:{call.contact_id}:{call.contact_name};".encode())
    digest.update(extra.encode())
    return digest.hexdigest()[:16]


def figures_fingerprint(meters, assistant, running, last_synced_at) -> str:
    """What the meters, the assistant card and "last synced" show, as text."""
    from app.templating import ago

    parts = [f"{m.service_type}={m.used}/{m.limit}" for m in meters]
    parts.append(f"{assistant.state}:{assistant.label}:{assistant.package_name}")
    parts += [f"{c.id}:{c.name}:{c.phone_number}" for c in assistant.coordinators]
    parts.append("syncing" if running else ago(last_synced_at))
    return "|".join(parts)


def todays_appointments(business: Business, now: datetime | None = None) -> list:
    """The business's local today, not the server's (an LA owner's evening
    does not list tomorrow's appointments). Rows of what the card shows."""
    start, end = local_day_bounds(business, local_today(business, now))
    return db.session.execute(_APPOINTMENTS_BETWEEN, {"business_id": business.id, "start": start, "end": end}).all()


_APPOINTMENTS_BETWEEN = (select(Appointment.id, Appointment.starts_at, Appointment.ends_at, Appointment.customer_name,
                                Appointment.appointment_type, Appointment.status)
                         .where(Appointment.business_id == bindparam("business_id"),
                                Appointment.starts_at >= bindparam("start"), Appointment.starts_at < bindparam("end"))
                         .order_by(Appointment.starts_at)
                         .limit(50))


@dataclass
class AssistantStatus:
    state: str  # none | setting_up | active | attention | paused | ended
    label: str
    package_name: str | None
    coordinators: list  # rows: id, name, phone_number, role
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


# Rows of what the assistant card shows, not Coordinator objects: the
# dashboard keeps them between views (app/dashboard/kept.py).
_LIVE_COORDINATORS = (select(Coordinator.id, Coordinator.name, Coordinator.phone_number, Coordinator.role)
                      .where(Coordinator.business_id == bindparam("business_id"),
                             Coordinator.status.in_(CoordinatorStatus.LIVE))
                      .order_by(Coordinator.position, Coordinator.created_at))


def live_coordinators(business: Business) -> list:
    return db.session.execute(_LIVE_COORDINATORS, {"business_id": business.id}).all()


def assistant_status(business: Business, coordinators: list | None = None) -> AssistantStatus:
    """`coordinators`: the `live_coordinators` rows, when the caller has them."""
    integration = business.integration
    if integration is None:
        return AssistantStatus("none", "No AI package yet", None, [])
    state, label = _STATES.get(integration.status, ("attention", integration.status.replace("_", " ").capitalize()))
    package = get_package(integration.service_package)
    return AssistantStatus(state, label, package.name if package else None,
                           live_coordinators(business) if coordinators is None else coordinators,
                           detail=integration.status_reason or integration.last_error)
