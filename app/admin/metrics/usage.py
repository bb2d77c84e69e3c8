"""Usage per month and package: minutes, calls per paying business, the AI's
booking rate, contacts and chat conversations.

Rows are counted in the month (operator time zone) they happened, and under
the package the business was paying for at the end of that month (or when
it stopped paying during it); usage while not paying counts under "none".
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import case, func, select

from app.admin.metrics.mrr import Timeline
from app.admin.metrics.periods import add_months, month_start
from app.admin.metrics.revenue import ratio
from app.extensions import db
from app.models import Appointment, Call, ChatConversation, Contact

NO_PACKAGE = "none"
# Appointments the AI booked: from a call or the chat widget, not typed in by staff.
AI_BOOKING_SOURCES = ("call", "chat")


def month_bucket(column, months: list[date]):
    """A CASE giving the index of the month a timestamp falls in (operator zone), NULL outside."""
    bounds = [month_start(m) for m in months] + [month_start(add_months(months[-1], 1))]
    whens = [(column < bounds[i + 1], i) for i in range(len(months))]
    return case(*whens, else_=None), bounds[0], bounds[-1]


def _grouped(model, time_column, months, *aggregates, where=()):
    bucket, first, last = month_bucket(time_column, months)
    stmt = (
        select(model.business_id, bucket.label("m"), *aggregates)
        .where(time_column >= first, time_column < last, *where)
        .group_by(model.business_id, bucket)
    )
    return db.session.execute(stmt).all()


SUMMED = ("paying_businesses", "inbound_seconds", "outbound_seconds", "calls", "answered_calls", "ai_bookings",
          "contacts_created", "chat_conversations")


@dataclass
class UsageMonth:
    month: date
    package: str
    paying_businesses: int = 0
    # Whole seconds, so sums are exact in any order (snapshots add months up again).
    inbound_seconds: int = 0
    outbound_seconds: int = 0
    calls: int = 0
    answered_calls: int = 0
    ai_bookings: int = 0
    contacts_created: int = 0
    chat_conversations: int = 0
    extra: dict = field(default_factory=dict)

    @property
    def inbound_minutes(self) -> float:
        return self.inbound_seconds / 60

    @property
    def outbound_minutes(self) -> float:
        return self.outbound_seconds / 60

    @property
    def calls_per_business(self) -> float | None:
        return ratio(self.calls, self.paying_businesses)

    @property
    def booking_rate(self) -> float | None:
        return ratio(self.ai_bookings, self.answered_calls)

    @property
    def contacts_per_business(self) -> float | None:
        return ratio(self.contacts_created, self.paying_businesses)


def package_in_month(timeline: Timeline) -> dict[tuple[uuid.UUID, int], str]:
    """(business, month index) -> package paid for at the month's end, or last paid for during it."""
    months = timeline.months
    starts = [month_start(m) for m in months] + [month_start(add_months(months[-1], 1))]
    result = {}
    for business_id, rows in timeline.states.items():
        position, mrr, package = 0, 0, None
        # The state at the first month's start: a business that stopped paying before it
        # did not "last pay during" that month.
        while position < len(rows) and rows[position][0] < starts[0]:
            _at, mrr, package = rows[position]
            position += 1
        for index in range(len(months)):
            last_paid = package if mrr > 0 else None
            while position < len(rows) and rows[position][0] < starts[index + 1]:
                _at, mrr, package = rows[position]
                if mrr > 0:
                    last_paid = package
                position += 1
            if last_paid is not None:
                result[(business_id, index)] = package if mrr > 0 else last_paid
    return result


def usage_months(timeline: Timeline) -> dict[tuple[date, str], UsageMonth]:
    """(month, package or "none") -> figures; the caller sums packages for totals."""
    months = timeline.months
    packages = package_in_month(timeline)
    table: dict[tuple[date, str], UsageMonth] = {}

    def cell(business_id, index) -> UsageMonth:
        package = packages.get((business_id, index), NO_PACKAGE)
        key = (months[index], package)
        if key not in table:
            table[key] = UsageMonth(months[index], package)
        return table[key]

    for (business_id, index), _package in packages.items():
        cell(business_id, index).paying_businesses += 1
    seconds = Call.duration_seconds
    for business_id, index, inbound, outbound, calls, answered in _grouped(
        Call, Call.started_at, months,
        func.sum(case((Call.direction == "inbound", seconds), else_=0)),
        func.sum(case((Call.direction == "outbound", seconds), else_=0)),
        func.count(),
        func.sum(case((Call.status == "answered", 1), else_=0)),
    ):
        target = cell(business_id, index)
        target.inbound_seconds += int(inbound or 0)
        target.outbound_seconds += int(outbound or 0)
        target.calls += calls
        target.answered_calls += int(answered or 0)
    for business_id, index, count in _grouped(Appointment, Appointment.created_at, months, func.count(),
                                              where=(Appointment.source.in_(AI_BOOKING_SOURCES),)):
        cell(business_id, index).ai_bookings += count
    for business_id, index, count in _grouped(Contact, Contact.created_at, months, func.count()):
        cell(business_id, index).contacts_created += count
    for business_id, index, count in _grouped(ChatConversation, ChatConversation.created_at, months, func.count()):
        cell(business_id, index).chat_conversations += count
    return table


def totals_by_month(table: dict[tuple[date, str], UsageMonth], months: list[date],
                    package: str | None = None) -> list[UsageMonth]:
    """One row per month: paying businesses on all packages summed, or on one package."""
    rows = []
    for month in months:
        total = UsageMonth(month, package or "all")
        for (cell_month, cell_package), cell in table.items():
            if cell_month != month or cell_package != (package or cell_package) or cell_package == NO_PACKAGE:
                continue
            for name in SUMMED:
                setattr(total, name, getattr(total, name) + getattr(cell, name))
        rows.append(total)
    return rows
