"""The scheduling rules checked here before a booking goes to 4calls, with
the owner's wording: past, notice, horizon, closures, hours (the staff
member's own or the business's), the daily cap, and overlaps including
buffers. 4calls checks the same rules again and has the last word."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import func, select

from app.appointments.rules import ScheduleRules, local_day_of, staff_hours_window
from app.extensions import db
from app.models import Appointment, Business
from app.models.base import utcnow
from app.models.scheduling import StaffMember
from app.timezones import format_local, local_day_bounds, local_today, to_local


class RuleBroken(ValueError):
    pass


def check_window(business: Business, rules: ScheduleRules, start: datetime) -> None:
    now = utcnow()
    if start <= now:
        raise RuleBroken("That time is in the past. Pick a time from the free slots.")
    if rules.min_notice_minutes and start < now + timedelta(minutes=rules.min_notice_minutes):
        raise RuleBroken(f"Bookings need at least {_notice_words(rules.min_notice_minutes)} notice. Pick a later time.")
    day = local_day_of(business, start)
    if rules.horizon_days and day > local_today(business) + timedelta(days=rules.horizon_days):
        raise RuleBroken(f"Bookings open at most {rules.horizon_days} days ahead. Pick an earlier day.")
    closure = rules.closure_on(day)
    if closure is not None:
        raise RuleBroken(f"You are closed on {day.strftime('%a %b %-d')}"
                         + (f" ({closure.reason})" if closure.reason else "") + ". Pick another day.")


def _notice_words(minutes: int) -> str:
    return f"{minutes // 60} hours'" if minutes % 60 == 0 and minutes >= 120 else f"{minutes} minutes'"


def check_hours(business: Business, member: StaffMember | None, start: datetime, end: datetime) -> None:
    day = local_day_of(business, start)
    window = staff_hours_window(business, member, day)
    who = member.name if member is not None else "You"
    if window is None:
        raise RuleBroken(f"{who} {'is' if member else 'are'} not working on {day.strftime('%A')}s. Pick another day."
                         if member else f"You are closed on {day.strftime('%A')}s. Pick a day you are open.")
    if start < window[0] or end > window[1]:
        opens, closes = (to_local(w, business).strftime("%H:%M") for w in window)
        raise RuleBroken(f"That time is outside {'the working hours of ' + member.name if member else 'business hours'} "
                         f"({opens}–{closes} on {day.strftime('%A')}s).")


def check_cap(business: Business, rules: ScheduleRules, type_name: str, start: datetime, ignore_id=None) -> None:
    entry = rules.type_named(type_name) or {}
    cap = entry.get("daily_cap")
    if not cap:
        return
    first, last = local_day_bounds(business, local_day_of(business, start))
    booked = db.session.scalar(select(func.count()).select_from(Appointment).where(
        Appointment.business_id == business.id, Appointment.status == "scheduled",
        func.lower(Appointment.appointment_type) == type_name.lower(),
        Appointment.starts_at >= first, Appointment.starts_at < last,
        Appointment.id != (ignore_id or uuid.uuid4())))
    if booked >= int(cap):
        raise RuleBroken(f"{type_name} is fully booked that day ({cap} a day). Pick another day.")


def find_clash(business: Business, rules: ScheduleRules, staff_id, start: datetime, end: datetime,
               type_name: str, ignore_id=None) -> Appointment | None:
    """A scheduled appointment of the same staff member (any appointment when
    there is no staff) whose time plus buffers touches this one's plus buffers."""
    before, after = rules.buffers(type_name)
    reach = timedelta(hours=8)
    query = select(Appointment).where(
        Appointment.business_id == business.id, Appointment.status == "scheduled",
        Appointment.starts_at < end + after + reach, Appointment.ends_at > start - before - reach,
        Appointment.id != (ignore_id or uuid.uuid4()))
    if staff_id is not None:
        # Appointments without a staff member (booked before staff existed) block everyone.
        query = query.where((Appointment.staff_id == staff_id) | Appointment.staff_id.is_(None))
    for other in db.session.scalars(query.order_by(Appointment.starts_at)):
        other_before, other_after = rules.buffers(other.appointment_type)
        if other.starts_at - other_before < end + after and other.ends_at + other_after > start - before:
            return other
    return None


def clash_message(business: Business, clash: Appointment, rules: ScheduleRules, type_name: str) -> str:
    buffered = any(rules.buffers(name) != (timedelta(0), timedelta(0)) for name in (type_name, clash.appointment_type))
    return (f"That time overlaps {clash.customer_name or 'another appointment'} at "
            f"{format_local(clash.starts_at, business, '%H:%M')}"
            + (" (with the time kept free around appointments)" if buffered else "") + ". Pick another free time.")


def padded(rules: ScheduleRules, type_name: str, start: datetime, end: datetime) -> tuple[datetime, datetime]:
    before, after = rules.buffers(type_name)
    return start - before, end + after
