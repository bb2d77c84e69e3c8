"""Month, week and day views of the local appointments table, in the
business's time zone. Reads only local rows: fast, and up when 4calls is not."""
from __future__ import annotations

import calendar as stdlib_calendar
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select

from app.inputs import iso_day
from app.extensions import db
from app.models import Appointment, Business
from app.timezones import local_days_bounds, local_today, to_local

VIEWS = ("month", "week", "day")


@dataclass
class CalendarView:
    view: str
    anchor: date
    first: date
    last: date  # inclusive
    today: date
    by_day: dict = field(default_factory=dict)  # date -> [Appointment]
    staff: object = None  # the staff member filtered on, if any
    closed: dict = field(default_factory=dict)  # date -> closure reason

    @property
    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]

    @property
    def weeks(self) -> list[list[date]]:
        days = self.days
        return [days[i:i + 7] for i in range(0, len(days), 7)]

    @property
    def title(self) -> str:
        if self.view == "month":
            return self.anchor.strftime("%B %Y")
        if self.view == "week":
            return f"{self.first.strftime('%b %d')} – {self.last.strftime('%b %d, %Y')}"
        return self.anchor.strftime("%A, %B %d, %Y")

    @property
    def previous(self) -> date:
        if self.view == "month":
            return (self.anchor.replace(day=1) - timedelta(days=1)).replace(day=1)
        return self.anchor - timedelta(days=7 if self.view == "week" else 1)

    @property
    def next(self) -> date:
        if self.view == "month":
            return (self.anchor.replace(day=28) + timedelta(days=4)).replace(day=1)
        return self.anchor + timedelta(days=7 if self.view == "week" else 1)


def parse_anchor(raw: str | None, today: date) -> date:
    try:
        return iso_day(raw) if raw else today
    except ValueError:
        return today


def build_view(business: Business, view: str, raw_anchor: str | None, staff=None) -> CalendarView:
    view = view if view in VIEWS else "week"
    today = local_today(business)
    anchor = parse_anchor(raw_anchor, today)
    if view == "month":
        first_of_month = anchor.replace(day=1)
        last_of_month = anchor.replace(day=stdlib_calendar.monthrange(anchor.year, anchor.month)[1])
        first = first_of_month - timedelta(days=first_of_month.weekday())
        last = last_of_month + timedelta(days=6 - last_of_month.weekday())
    elif view == "week":
        first = anchor - timedelta(days=anchor.weekday())
        last = first + timedelta(days=6)
    else:
        first = last = anchor
    result = CalendarView(view, anchor, first, last, today)
    result.by_day = appointments_by_day(business, first, last, staff)
    result.staff = staff
    result.closed = closed_days(business, first, last)
    return result


def closed_days(business: Business, first: date, last: date) -> dict:
    """Local day -> the reason it is closed (whole-business closures only)."""
    from app.appointments.rules import closures_of

    closed = {}
    for closure in closures_of(business, first):
        if closure.staff_id is None:
            day = max(closure.first_day, first)
            while day <= min(closure.last_day, last):
                closed[day] = closure.reason or "Closed"
                day += timedelta(days=1)
    return closed


def appointments_by_day(business: Business, first: date, last: date, staff=None) -> dict:
    """Appointments per local day; with `staff`, only theirs (the calendar's staff filter)."""
    start, end = local_days_bounds(business, first, last)
    query = (select(Appointment)
             .where(Appointment.business_id == business.id, Appointment.starts_at >= start, Appointment.starts_at < end)
             .order_by(Appointment.starts_at))
    if staff is not None:
        query = query.where(Appointment.staff_id == staff.id)
    rows = db.session.scalars(query)
    grouped = defaultdict(list)
    for appointment in rows:
        grouped[to_local(appointment.starts_at, business).date()].append(appointment)
    return grouped


def todays_appointments(business: Business) -> list[Appointment]:
    today = local_today(business)
    return appointments_by_day(business, today, today).get(today, [])
