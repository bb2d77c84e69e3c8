"""Advanced scheduling rules of an organization: staff or resources with their
own hours and types, buffers around appointments, minimum notice, booking
horizon, a daily cap per type, and closed days.

An organization without staff keeps one bookable calendar; with staff, each
staff member is a calendar of their own and a slot is free while any staff
member serving the type is free then.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from .errors import conflict, invalid
from .runtime import runtime
from .timeutil import format_ts, now_utc, parse_ts

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
WHOLE_CALENDAR = None  # the staff id of bookings in an organization without staff


def _zone(org: dict) -> ZoneInfo:
    return ZoneInfo(org.get("timezone") or "UTC")


def visible_staff(org: dict, staff_id: str) -> dict:
    member = next((s for s in org.get("staff") or [] if s["id"] == staff_id), None)
    if member is None:
        raise invalid({"staff_id": "no such staff member in this organization"})
    return member


def type_named(org: dict, name: str | None) -> dict:
    for entry in org.get("appointment_types") or []:
        if name and entry["name"].lower() == name.lower():
            return entry
    return {}


def buffers(org: dict, type_name: str | None) -> tuple[timedelta, timedelta]:
    entry = type_named(org, type_name)
    return (timedelta(minutes=int(entry.get("buffer_before_minutes") or 0)),
            timedelta(minutes=int(entry.get("buffer_after_minutes") or 0)))


def active_staff(org: dict) -> list[dict]:
    return [s for s in org.get("staff") or [] if s.get("active", True)]


def staff_serving(org: dict, type_name: str | None) -> list[dict]:
    def serves(member: dict) -> bool:
        names = {n.lower() for n in member.get("appointment_types") or []}
        return not names or not type_name or type_name.lower() in names
    return [s for s in active_staff(org) if serves(s)]


def _at(local_day: date, clock: str, zone: ZoneInfo) -> datetime:
    if clock == "24:00":
        return datetime.combine(local_day + timedelta(days=1), time(0, 0), tzinfo=zone)
    hour, minute = (int(part) for part in clock.split(":"))
    return datetime.combine(local_day, time(hour, minute), tzinfo=zone)


def is_closed(org: dict, local_day: date, staff_id: str | None = None) -> dict | None:
    """The closure covering the day for the whole organization (or for this staff member)."""
    for closure in org.get("closures") or []:
        if closure.get("staff_id") not in (None, staff_id):
            continue
        if closure["first_day"] <= local_day.isoformat() <= closure["last_day"]:
            return closure
    return None


def working_window(org: dict, local_day: date, member: dict | None) -> tuple[datetime, datetime] | None:
    """Open time on the day: the staff member's own hours when they have any
    (None: off that day), else the organization's business hours."""
    if is_closed(org, local_day, (member or {}).get("id")):
        return None
    own = (member or {}).get("hours") or {}
    hours = own.get(WEEKDAYS[local_day.weekday()]) if own else org["business_hours"].get(WEEKDAYS[local_day.weekday()])
    if not hours:
        return None
    zone = _zone(org)
    return _at(local_day, hours["open"], zone), _at(local_day, hours["close"], zone)


def booking_window(org: dict) -> tuple[datetime, date | None]:
    """The earliest bookable start (now plus minimum notice) and the last bookable local day."""
    rules = org.get("booking_window") or {}
    now = now_utc()
    earliest = now + timedelta(minutes=int(rules.get("min_notice_minutes") or 0))
    horizon = int(rules.get("horizon_days") or 0)
    last_day = now.astimezone(_zone(org)).date() + timedelta(days=horizon) if horizon else None
    return earliest, last_day


def _busy(org: dict, start: datetime, end: datetime, exclude_id: str = "") -> list[dict]:
    """Scheduled appointments whose time plus buffers could touch [start, end)."""
    reach = timedelta(hours=8)  # longest buffer allowed either side
    return [a for a in runtime().store.find(
        "appointments", "organization_id = ? AND status = 'scheduled' AND starts_at < ? AND ends_at > ? AND id != ?",
        (org["id"], format_ts(end + reach), format_ts(start - reach), exclude_id))]


def _padded(org: dict, appointment: dict) -> tuple[datetime, datetime]:
    before, after = buffers(org, appointment.get("appointment_type"))
    return parse_ts(appointment["starts_at"]) - before, parse_ts(appointment["ends_at"]) + after


def clash_for(org: dict, staff_id: str | None, start: datetime, end: datetime, type_name: str | None,
              busy: list[dict]) -> str | None:
    """The appointment the staff member (or the one calendar) has within the padded time."""
    before, after = buffers(org, type_name)
    wanted = (start - before, end + after)
    for appointment in busy:
        # Appointments without a staff member (booked before staff existed) block everyone.
        if staff_id is not WHOLE_CALENDAR and appointment.get("staff_id") not in (staff_id, None):
            continue
        taken = _padded(org, appointment)
        if taken[0] < wanted[1] and taken[1] > wanted[0]:
            return appointment["id"]
    return None


def cap_reached(org: dict, type_name: str | None, local_day: date, exclude_id: str = "") -> bool:
    cap = type_named(org, type_name).get("daily_cap")
    if not cap:
        return False
    zone = _zone(org)
    first = datetime.combine(local_day, time(0, 0), tzinfo=zone)
    booked = runtime().store.scalar(
        "SELECT COUNT(*) FROM appointments WHERE organization_id = ? AND status = 'scheduled'"
        " AND starts_at >= ? AND starts_at < ? AND id != ? AND json_extract(data, '$.appointment_type') = ?",
        (org["id"], format_ts(first), format_ts(first + timedelta(days=1)), exclude_id, type_named(org, type_name)["name"]))
    return int(booked or 0) >= int(cap)


def free_staff(org: dict, start: datetime, end: datetime, type_name: str | None,
               busy: list[dict] | None = None, exclude_id: str = "") -> list[str | None]:
    """Staff ids free for the whole slot (in order); [WHOLE_CALENDAR] when the
    organization has no staff and its calendar is free; [] when nobody is."""
    busy = _busy(org, start, end, exclude_id) if busy is None else busy
    local_day = start.astimezone(_zone(org)).date()
    if not active_staff(org):
        window = working_window(org, local_day, None)
        if window and window[0] <= start and end <= window[1] and not clash_for(org, WHOLE_CALENDAR, start, end, type_name, busy):
            return [WHOLE_CALENDAR]
        return []
    free = []
    for member in staff_serving(org, type_name):
        window = working_window(org, local_day, member)
        if window and window[0] <= start and end <= window[1] and not clash_for(org, member["id"], start, end, type_name, busy):
            free.append(member["id"])
    return free


def check_staff_booking(org: dict, start: datetime, end: datetime, type_name: str | None, staff_id: str | None,
                        *, exclude_id: str = "", enforce_rules: bool = True) -> str | None:
    """The staff member to book (None for the one calendar), or a 422/409.

    enforce_rules applies notice, horizon, closures, hours and the daily cap
    (real-time booking by the AI, chat and the owner's form); the staff API
    may book outside them but never over another appointment."""
    zone = _zone(org)
    local_day = start.astimezone(zone).date()
    if staff_id and not any(s["id"] == staff_id for s in active_staff(org)):
        raise invalid({"staff_id": "no such active staff member"})
    if staff_id and staff_id not in [s["id"] for s in staff_serving(org, type_name)]:
        raise invalid({"staff_id": "this staff member does not take that appointment type"},
                      reason="staff_not_serving")
    if enforce_rules:
        earliest, last_day = booking_window(org)
        if start < earliest:
            raise invalid({"starts_at": "is sooner than the minimum notice"},
                          "That time is too soon to book.", reason="too_soon")
        if last_day and local_day > last_day:
            raise invalid({"starts_at": "is beyond the booking horizon"},
                          "That time is too far ahead to book.", reason="beyond_horizon")
        closure = is_closed(org, local_day)
        if closure:
            raise invalid({"starts_at": "falls on a closed day"},
                          f"Closed on {local_day.isoformat()}" + (f" ({closure['reason']})." if closure.get("reason") else "."),
                          reason="closed")
        if cap_reached(org, type_name, local_day, exclude_id):
            raise conflict("That appointment type is fully booked that day.", reason="daily_cap_reached")
    busy = _busy(org, start, end, exclude_id)
    if enforce_rules:
        candidates = free_staff(org, start, end, type_name, busy)
        if staff_id:
            candidates = [c for c in candidates if c == staff_id]
        if candidates:
            return candidates[0]
        if not _within_anyones_hours(org, start, end, type_name, staff_id):
            raise invalid({"starts_at": "is outside business hours"},
                          "That time is outside the organization's business hours.", reason="outside_business_hours")
    else:
        members = [staff_id] if staff_id else ([s["id"] for s in staff_serving(org, type_name)] or [WHOLE_CALENDAR])
        for member in members:
            if not clash_for(org, member, start, end, type_name, busy):
                return member
    clash = next((a["id"] for a in busy if (staff_id is None or a.get("staff_id") == staff_id)
                  and _overlaps_padded(org, a, start, end, type_name)), None)
    raise conflict("That time overlaps another appointment.", conflicting_appointment_id=clash)


def _overlaps_padded(org: dict, appointment: dict, start: datetime, end: datetime, type_name: str | None) -> bool:
    before, after = buffers(org, type_name)
    taken = _padded(org, appointment)
    return taken[0] < end + after and taken[1] > start - before


def _within_anyones_hours(org: dict, start: datetime, end: datetime, type_name: str | None, staff_id: str | None) -> bool:
    local_day = start.astimezone(_zone(org)).date()
    members = [s for s in staff_serving(org, type_name) if not staff_id or s["id"] == staff_id] or [None]
    for member in members:
        window = working_window(org, local_day, member)
        if window and window[0] <= start and end <= window[1]:
            return True
    return False
