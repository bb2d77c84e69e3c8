"""The scheduling rules that apply to a business now, gated by its package.

Basic scheduling (AI Receptionist): one appointment type, business hours and
reminders. Advanced scheduling (AI Sales Assistant and up) adds several types
with buffers, price and a daily cap; staff or resources with their own hours;
minimum notice and a booking horizon; closures.

A downgrade keeps every stored row (shown read-only with the upgrade offer),
but only the basic rules are pushed to 4calls and used for booking: the
first type, the business hours, no staff. Closures already entered keep
blocking their days, so a booked holiday never turns bookable by surprise.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select

from app.extensions import db
from app.models import WEEKDAYS, Business
from app.models.scheduling import ScheduleClosure, StaffMember
from app.timezones import local_today, local_wall_time, to_local
from app.usage.services import has_feature

FEATURE = "advanced_scheduling"


def advanced_enabled(business: Business) -> bool:
    return has_feature(business, FEATURE)


@dataclass
class ScheduleRules:
    advanced: bool
    types: list[dict]
    staff: list[StaffMember] = field(default_factory=list)
    closures: list[ScheduleClosure] = field(default_factory=list)
    min_notice_minutes: int = 0
    horizon_days: int = 0

    def type_named(self, name: str | None) -> dict | None:
        return next((t for t in self.types if name and t["name"].lower() == name.lower()), None)

    def buffers(self, name: str | None) -> tuple[timedelta, timedelta]:
        entry = self.type_named(name) or {}
        return (timedelta(minutes=int(entry.get("buffer_before_minutes") or 0)),
                timedelta(minutes=int(entry.get("buffer_after_minutes") or 0)))

    def staff_serving(self, type_name: str) -> list[StaffMember]:
        return [s for s in self.staff if s.active and s.serves(type_name)]

    def closure_on(self, day: date, staff_id=None) -> ScheduleClosure | None:
        return next((c for c in self.closures if c.first_day <= day <= c.last_day
                     and c.staff_id in (None, staff_id)), None)


def staff_of(business: Business, active_only: bool = False) -> list[StaffMember]:
    query = select(StaffMember).where(StaffMember.business_id == business.id)
    if active_only:
        query = query.where(StaffMember.active.is_(True))
    return list(db.session.scalars(query.order_by(StaffMember.name)))


def closures_of(business: Business, from_day: date | None = None) -> list[ScheduleClosure]:
    query = select(ScheduleClosure).where(ScheduleClosure.business_id == business.id)
    if from_day is not None:
        query = query.where(ScheduleClosure.last_day >= from_day)
    return list(db.session.scalars(query.order_by(ScheduleClosure.first_day)))


def rules_for(business: Business) -> ScheduleRules:
    from app.appointments.settings import settings_for

    settings = settings_for(business)
    types = [dict(t) for t in settings.appointment_types or []]
    closures = closures_of(business, local_today(business))
    if not advanced_enabled(business):
        basic = [{"name": t["name"], "duration_minutes": int(t["duration_minutes"])} for t in types[:1]]
        return ScheduleRules(False, basic, closures=[c for c in closures if c.staff_id is None])
    return ScheduleRules(True, types, staff=staff_of(business, active_only=True), closures=closures,
                         min_notice_minutes=int(settings.min_notice_minutes or 0),
                         horizon_days=int(settings.horizon_days or 0))


def staff_hours_window(business: Business, member: StaffMember | None, day: date) -> tuple[datetime, datetime] | None:
    """Working time on a local day: the staff member's own hours if they have
    any (None: off), else the business hours."""
    weekday = WEEKDAYS[day.weekday()]
    own = (member.hours if member is not None else None) or {}
    hours = own.get(weekday) if own else (business.opening_hours or {}).get(weekday)
    if not hours:
        return None
    from datetime import time

    def at(clock: str) -> datetime:
        if clock == "24:00":
            return local_wall_time(business, day + timedelta(days=1), time(0, 0))
        hour, minute = (int(part) for part in clock.split(":"))
        return local_wall_time(business, day, time(hour, minute))

    return at(hours["open"]), at(hours["close"])


def local_day_of(business: Business, moment: datetime) -> date:
    return to_local(moment, business).date()


def organization_fields(business: Business) -> dict:
    """The advanced part of the organization push (empty lists when not sold)."""
    rules = rules_for(business)
    return {
        "appointment_types": [_contract_type(t) for t in rules.types],
        "staff": [{"id": str(s.id), "name": s.name, "kind": s.kind, "appointment_types": list(s.appointment_types or []),
                   "hours": {d: (dict(s.hours[d]) if s.hours.get(d) else None) for d in WEEKDAYS} if s.hours else {},
                   "active": bool(s.active)} for s in rules.staff],
        "closures": [{"first_day": c.first_day.isoformat(), "last_day": c.last_day.isoformat(),
                      "staff_id": str(c.staff_id) if c.staff_id else None, "reason": c.reason or ""}
                     for c in rules.closures],
        "booking_window": {"min_notice_minutes": rules.min_notice_minutes, "horizon_days": rules.horizon_days},
    }


def _contract_type(entry: dict) -> dict:
    out = {"name": entry["name"], "duration_minutes": int(entry["duration_minutes"])}
    for name in ("buffer_before_minutes", "buffer_after_minutes"):
        if entry.get(name):
            out[name] = int(entry[name])
    if entry.get("price_cents") is not None:
        out["price_cents"] = int(entry["price_cents"])
    if entry.get("daily_cap"):
        out["daily_cap"] = int(entry["daily_cap"])
    return out
