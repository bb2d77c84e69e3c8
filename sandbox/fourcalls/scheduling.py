"""Business hours, free slots and booking: shared by the API, chat, calls and campaigns.

An organization without staff has one calendar; with staff (staffing.py)
each staff member has their own. Scheduled appointments of one calendar may
not overlap, buffers included.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from . import staffing
from .contacts import upsert_contact
from .errors import invalid
from .runtime import new_record, runtime
from .timeutil import format_ts, local_iso, local_label, now_utc
from .webhooks import emit

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
FALLBACK_MINUTES = 30
MAX_RANGE_DAYS = 31


def org_zone(org: dict) -> ZoneInfo:
    return ZoneInfo(org.get("timezone") or "UTC")


def opening_window(org: dict, local_day: date) -> tuple[datetime, datetime] | None:
    hours = org["business_hours"].get(WEEKDAYS[local_day.weekday()])
    if not hours or staffing.is_closed(org, local_day):
        return None
    zone = org_zone(org)

    def at(clock: str) -> datetime:
        if clock == "24:00":
            return datetime.combine(local_day + timedelta(days=1), time(0, 0), tzinfo=zone)
        hour, minute = (int(part) for part in clock.split(":"))
        return datetime.combine(local_day, time(hour, minute), tzinfo=zone)

    return at(hours["open"]), at(hours["close"])


def within_business_hours(org: dict, start: datetime, end: datetime) -> bool:
    window = opening_window(org, start.astimezone(org_zone(org)).date())
    return bool(window) and window[0] <= start and end <= window[1]


def resolve_duration(org: dict, appointment_type: str | None,
                     duration_minutes: int | None) -> tuple[str | None, int]:
    types = org.get("appointment_types") or []
    chosen = None
    if appointment_type:
        chosen = next((t for t in types if t["name"].lower() == appointment_type.strip().lower()), None)
        if chosen is None:
            names = ", ".join(t["name"] for t in types) or "none configured"
            raise invalid({"appointment_type": f"unknown appointment type (available: {names})"})
    elif not duration_minutes and types:
        chosen = types[0]
    minutes = duration_minutes or (chosen["duration_minutes"] if chosen else FALLBACK_MINUTES)
    return (chosen["name"] if chosen else None), minutes


def find_clash(org_id: str, start: datetime, end: datetime, exclude_id: str = "") -> str | None:
    return runtime().store.scalar(
        "SELECT id FROM appointments WHERE organization_id = ? AND status = 'scheduled'"
        " AND starts_at < ? AND ends_at > ? AND id != ? ORDER BY starts_at LIMIT 1",
        (org_id, format_ts(end), format_ts(start), exclude_id))


def slot_payload(org: dict, start: datetime, end: datetime, staff_ids: list | None = None) -> dict:
    zone = org_zone(org)
    payload = {"starts_at": format_ts(start), "ends_at": format_ts(end),
               "local_starts_at": local_iso(start, zone), "label": local_label(start, zone)}
    if staff_ids and staff_ids != [staffing.WHOLE_CALENDAR]:
        payload["staff_ids"] = staff_ids
    return payload


def free_slots(org: dict, first_day: date, last_day: date, minutes: int, interval: int = 30,
               limit: int | None = None, not_before: datetime | None = None,
               type_name: str | None = None, staff_id: str | None = None) -> list[dict]:
    """Start times every `interval` minutes from opening that some staff member
    serving the type (or the one calendar) has free, buffers included, honouring
    closures, the daily cap, and (unless not_before is given) minimum notice and
    the booking horizon."""
    if not_before is None:
        not_before, horizon_day = staffing.booking_window(org)
        if horizon_day and horizon_day < last_day:
            last_day = horizon_day
    length = timedelta(minutes=minutes)
    days = [first_day + timedelta(days=n) for n in range(max((last_day - first_day).days + 1, 0))]
    windows = []
    for day in days:
        if staffing.is_closed(org, day) or staffing.cap_reached(org, type_name, day):
            continue
        members = staffing.staff_serving(org, type_name) if staffing.active_staff(org) else [None]
        spans = [w for w in (staffing.working_window(org, day, m) for m in members) if w]
        if spans:
            windows.append((min(w[0] for w in spans), max(w[1] for w in spans)))
    if not windows:
        return []
    busy = staffing._busy(org, windows[0][0], windows[-1][1])
    slots = []
    for opens, closes in windows:
        candidate = opens
        while candidate + length <= closes:
            end = candidate + length
            if candidate >= not_before:
                free = staffing.free_staff(org, candidate, end, type_name, busy)
                if staff_id:
                    free = [m for m in free if m == staff_id]
                if free:
                    slots.append(slot_payload(org, candidate, end, free))
                    if limit and len(slots) >= limit:
                        return slots
            candidate += timedelta(minutes=interval)
    return slots


def upcoming_slots(org: dict, minutes: int, count: int, days: int = 14, type_name: str | None = None) -> list[dict]:
    today = now_utc().astimezone(org_zone(org)).date()
    return free_slots(org, today, today + timedelta(days=days), minutes, limit=count, type_name=type_name)


def check_bookable(org: dict, start: datetime, end: datetime, exclude_id: str = "",
                   enforce_hours: bool = True, type_name: str | None = None,
                   staff_id: str | None = None) -> str | None:
    """422 for past, too soon, too far ahead, closed or out-of-hours slots (when
    enforced), 409 when the time is taken (buffers included) or the type's daily
    cap is reached. Answers the staff member to book (None: the one calendar)."""
    if end <= start:
        raise invalid({"ends_at": "must be after starts_at"})
    if enforce_hours and start < now_utc():
        raise invalid({"starts_at": "is in the past"}, "That time is in the past.", reason="in_past")
    return staffing.check_staff_booking(org, start, end, type_name, staff_id, exclude_id=exclude_id,
                                        enforce_rules=enforce_hours)


def book_appointment(org: dict, *, start: datetime, end: datetime, appointment_type: str | None,
                     customer: dict, contact_id: str | None = None, source: str = "call",
                     notes: str | None = None, call_id: str | None = None,
                     coordinator_id: str | None = None, campaign_id: str | None = None,
                     enforce_hours: bool = True, staff_id: str | None = None) -> dict:
    """Create a scheduled appointment atomically; fires contact and appointment webhooks."""
    store = runtime().store
    with store.transaction():
        staff_id = check_bookable(org, start, end, enforce_hours=enforce_hours, type_name=appointment_type,
                                  staff_id=staff_id)
        contact = store.get("contacts", contact_id) if contact_id else None
        if contact is None and any(customer.get(k) for k in ("phone", "email")):
            contact, _ = upsert_contact(org, name=customer.get("name"), phone=customer.get("phone"),
                                        email=customer.get("email"), source=source)
        appointment = new_record("appt", org["id"])
        appointment.update({
            "contact_id": contact["id"] if contact else None,
            "customer_name": customer.get("name") or (contact or {}).get("name"),
            "customer_phone": customer.get("phone") or (contact or {}).get("phone"),
            "customer_email": customer.get("email") or (contact or {}).get("email"),
            "appointment_type": appointment_type,
            "starts_at": format_ts(start), "ends_at": format_ts(end),
            "duration_minutes": int((end - start).total_seconds() // 60),
            "status": "scheduled", "source": source, "notes": notes, "call_id": call_id,
            "coordinator_id": coordinator_id, "campaign_id": campaign_id,
            "cancelled_at": None, "cancellation_reason": None, "staff_id": staff_id,
        })
        store.insert("appointments", appointment)
        emit("appointment.created", org, appointment)
    return appointment
