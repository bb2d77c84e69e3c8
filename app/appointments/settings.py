"""The owner's scheduling settings: business hours (the business's opening
hours), appointment types, reminder schedule; pushed to the 4calls
organization by a job so a save never waits on, or is lost to, 4calls."""
from __future__ import annotations

import logging
import re
import uuid

from sqlalchemy import select, update

from app.businesses.services import set_opening_hours
from app.extensions import db
from app.fourcalls import FourCallsError, NotProvisioned, ValidationError, plain_words
from app.assistant.connection import organization_client
from app.models import WEEKDAYS, AppointmentSettings, Business, SyncState
from app.models.appointments import DEFAULT_APPOINTMENT_TYPES, DEFAULT_REMINDER_OFFSETS
from app.models.base import utcnow
from app.timezones import is_valid_zone

log = logging.getLogger(__name__)

_CLOCK = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


class SettingsError(ValueError):
    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def default_appointment_types(business: Business) -> list[dict]:
    """A new business's first types: its own services (a salon books a
    "Haircut", not a "Consultation"), else one plain "Appointment"."""
    names, seen = [], set()
    for service in business.services or []:
        name = " ".join(str(service).split())[:100]
        if name and name.lower() not in seen:
            seen.add(name.lower())
            names.append(name)
    if not names:
        return [dict(t) for t in DEFAULT_APPOINTMENT_TYPES]
    return [{"name": name, "duration_minutes": 30} for name in names[:20]]


def _stored_settings(business: Business) -> AppointmentSettings | None:
    return db.session.scalar(select(AppointmentSettings).where(AppointmentSettings.business_id == business.id))


def settings_for(business: Business) -> AppointmentSettings:
    """The business's settings. Reading never writes: a business not yet
    provisioned sees the defaults it will be provisioned with (unsaved)."""
    settings = _stored_settings(business)
    if settings is None:
        settings = AppointmentSettings(
            business_id=business.id,
            appointment_types=default_appointment_types(business),
            reminder_offsets=list(DEFAULT_REMINDER_OFFSETS),
            sync_state=SyncState.PENDING,
            min_notice_minutes=0, horizon_days=0,
        )
    return settings


def ensure_settings(business: Business) -> AppointmentSettings:
    """Create the stored settings (provisioning, or the owner's first save).
    Flushed, not committed: the caller's transaction owns it."""
    settings = _stored_settings(business)
    if settings is None:
        settings = settings_for(business)
        db.session.add(settings)
        db.session.flush()
    return settings


def schedule_fields(business: Business) -> dict:
    """What 4calls needs to book for the business: its zone, hours, the types,
    staff, closures and booking window its package allows (rules.py)."""
    from app.appointments.rules import organization_fields

    hours = business.opening_hours or {}
    return {
        "timezone": business.timezone,
        "business_hours": {day: (dict(hours[day]) if hours.get(day) else None) for day in WEEKDAYS},
        **organization_fields(business),
    }


def check_organization_zone(business: Business, organization: dict) -> None:
    """The business's own zone is the truth. 4calls answering with a zone we
    do not know (or another one) is logged, never adopted."""
    remote = organization.get("timezone")
    if remote and remote != business.timezone:
        known = "known" if is_valid_zone(remote) else "unknown"
        log.warning("4calls organization of business %s has %s time zone %r; keeping the business's %r",
                    business.id, known, remote, business.timezone)


def parse_hours(form, off: str = "closed") -> tuple[dict, dict]:
    """Per weekday open/close times from `{day}_open`/`{day}_close`, None where
    `{day}_{off}` is ticked (the business's "Closed", a staff member's "Off")."""
    hours, errors = {}, {}
    for day in WEEKDAYS:
        if form.get(f"{day}_{off}"):
            hours[day] = None
            continue
        opens, closes = (form.get(f"{day}_open") or "").strip(), (form.get(f"{day}_close") or "").strip()
        if not _CLOCK.match(opens) or not (_CLOCK.match(closes) or closes == "24:00"):
            errors[day] = (f"{day.capitalize()}: enter opening and closing times like 09:00 and 17:30, "
                           f"or tick {off.capitalize()}.")
        elif closes != "24:00" and closes <= opens:
            errors[day] = f"{day.capitalize()}: closing time must be after opening time."
        else:
            hours[day] = {"open": opens, "close": closes}
    return hours, errors


_NUMBER = re.compile(r"^\$?\d+(\.\d{1,2})?$")


def _type_line(number: int, line: str) -> tuple[dict | None, str | None]:
    """ "Haircut, 45" or, with advanced scheduling, "Haircut, 45, 5, 10, 30.00, 8":
    minutes, buffer before, buffer after, price, daily cap (blank: none)."""
    parts = [p.strip() for p in line.split(",")]
    cut = next((i for i in range(1, len(parts)) if all(not p or _NUMBER.match(p) for p in parts[i:])), len(parts))
    name, numbers = ", ".join(parts[:cut]).strip(), parts[cut:] + [""] * 5
    if not name or not numbers[0].isdigit():
        return None, f"Line {number}: write the type's name, a comma and its length in minutes, e.g. “Haircut, 45”."
    duration = int(numbers[0])
    if not 5 <= duration <= 480 or duration % 5:
        return None, f"Line {number}: appointments last between 5 and 480 minutes, in steps of 5."
    if len(name) > 100:
        return None, f"Line {number}: names are at most 100 characters."
    entry = {"name": name, "duration_minutes": duration}
    for key, raw in (("buffer_before_minutes", numbers[1]), ("buffer_after_minutes", numbers[2])):
        if raw:
            if not raw.isdigit() or int(raw) > 240 or int(raw) % 5:
                return None, f"Line {number}: buffers are whole minutes from 0 to 240, in steps of 5."
            if int(raw):
                entry[key] = int(raw)
    if numbers[3]:
        entry["price_cents"] = int(round(float(numbers[3].lstrip("$")) * 100))
    if numbers[4]:
        if not numbers[4].isdigit() or not 1 <= int(numbers[4]) <= 500:
            return None, f"Line {number}: a daily cap is a whole number from 1 to 500."
        entry["daily_cap"] = int(numbers[4])
    return entry, None


def parse_types(text: str, advanced: bool = True) -> tuple[list[dict], str | None]:
    """One type per line (see _type_line). Basic scheduling takes one plain type."""
    types, seen = [], set()
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        entry, error = _type_line(number, line)
        if error:
            return [], error
        if entry["name"].lower() in seen:
            return [], f"Line {number}: “{entry['name']}” is listed twice."
        if not advanced and set(entry) - {"name", "duration_minutes"}:
            return [], (f"Line {number}: buffers, prices and daily caps come with Advanced appointment scheduling; "
                        "write just the name and minutes.")
        seen.add(entry["name"].lower())
        types.append(entry)
    if not types:
        return [], "List at least one appointment type."
    if not advanced and len(types) > 1:
        return [], "Your package includes one appointment type. Upgrade to offer several."
    return types, None


def type_as_line(entry: dict) -> str:
    extras = [str(entry.get("buffer_before_minutes") or ""), str(entry.get("buffer_after_minutes") or ""),
              f"{entry['price_cents'] / 100:.2f}" if entry.get("price_cents") is not None else "",
              str(entry.get("daily_cap") or "")]
    while extras and not extras[-1]:
        extras.pop()
    return ", ".join([entry["name"], str(entry["duration_minutes"]), *extras])


def parse_window(form, errors: dict) -> tuple[int, int]:
    """Minimum notice (hours) and booking horizon (days) from the form."""
    values = []
    for key, label, top in (("min_notice_hours", "Minimum notice", 720), ("horizon_days", "Booking horizon", 730)):
        raw = (form.get(key) or "0").strip()
        try:
            number = float(raw)
        except ValueError:
            number = -1
        if not 0 <= number <= top:
            errors[key] = f"{label}: a number from 0 to {top}."
            number = 0
        values.append(number)
    return int(round(values[0] * 60)), int(values[1])


def parse_reminders(text: str) -> tuple[list[int], str | None]:
    """Hours before the appointment, comma separated: "24, 1" (blank: no reminders)."""
    offsets = []
    for part in (text or "").replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        try:
            hours = float(part)
        except ValueError:
            return [], f"“{part}” is not a number of hours."
        if not 0.25 <= hours <= 24 * 14:
            return [], "Reminders go out between 15 minutes and 14 days before the appointment."
        offsets.append(int(round(hours * 60)))
    return sorted(set(offsets), reverse=True)[:5], None


def reminders_as_text(offsets: list[int]) -> str:
    return ", ".join(f"{m / 60:g}" for m in offsets)


def _types_summary(types: list | None) -> str:
    return ", ".join(f"{t.get('name')} ({t.get('duration_minutes')} min)" for t in (types or []))


def update_settings(business: Business, form) -> AppointmentSettings:
    from app.appointments.rules import advanced_enabled

    advanced = advanced_enabled(business)
    hours, errors = parse_hours(form)
    types, type_error = parse_types(form.get("appointment_types", ""), advanced)
    notice, horizon = parse_window(form, errors) if advanced else (None, None)
    offsets, reminder_error = parse_reminders(form.get("reminders", ""))
    if type_error:
        errors["appointment_types"] = type_error
    if reminder_error:
        errors["reminders"] = reminder_error
    if errors:
        raise SettingsError(errors)
    settings = ensure_settings(business)
    from app.audit.services import current_actor, record

    set_opening_hours(business, hours)
    if (settings.appointment_types or []) != types:
        record("appointments.types_changed", business=business, actor=current_actor(), target_type="business",
               before={"appointment_types": _types_summary(settings.appointment_types)},
               after={"appointment_types": _types_summary(types)})
    if not advanced:
        # A downgraded business keeps its other types for when it upgrades again.
        types += [t for t in (settings.appointment_types or [])[1:] if t["name"].lower() != types[0]["name"].lower()]
    else:
        settings.min_notice_minutes, settings.horizon_days = notice, horizon
    settings.appointment_types = types
    settings.reminder_offsets = offsets
    settings.sync_state = SyncState.PENDING
    settings.sync_error = None
    settings.updated_at = utcnow()
    db.session.commit()
    queue_settings_push(business)
    return settings


def queue_settings_push(business: Business) -> None:
    from app.jobs import enqueue

    enqueue("app.appointments.jobs.push_settings_job", str(business.id), job_id=f"appointment-settings-push:{business.id}")


def push_settings(business_id) -> str:
    business = db.session.get(Business, uuid.UUID(str(business_id)))
    settings = ensure_settings(business)
    if settings.sync_state == SyncState.SYNCED:
        return "nothing to do"
    try:
        client = organization_client(business)
    except NotProvisioned:
        return "waiting for 4calls setup"
    pushed_at = settings.updated_at
    try:
        organization = client.update_organization(client.organization_id, schedule_fields(business))
    except ValidationError as exc:
        settings.sync_state, settings.sync_error = SyncState.ERROR, plain_words(exc)[:1000]
        db.session.commit()
        return "refused"
    except FourCallsError as exc:
        settings.sync_error = plain_words(exc)[:1000]
        db.session.commit()
        raise
    check_organization_zone(business, organization)
    current = db.session.scalar(select(AppointmentSettings.updated_at).where(AppointmentSettings.id == settings.id))
    if current is None or current <= pushed_at:
        settings.sync_state, settings.sync_error, settings.synced_at = SyncState.SYNCED, None, utcnow()
    db.session.commit()
    return "synced"


def mark_schedule_synced(settings_id, pushed_version) -> None:
    """The provisioning job sent the schedule: settings unchanged since then
    are synced (a save made meanwhile stays pending for its own push)."""
    db.session.execute(
        update(AppointmentSettings)
        .where(AppointmentSettings.id == settings_id, AppointmentSettings.updated_at <= pushed_version)
        .values(sync_state=SyncState.SYNCED, sync_error=None, synced_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def sweep_pending_settings() -> int:
    """Queue the push of settings still pending for provisioned businesses
    (saved while 4calls was down, or before the organization existed)."""
    from app.models import FourCallsIntegration

    provisioned = select(FourCallsIntegration.business_id).where(FourCallsIntegration.organization_id != "")
    business_ids = list(db.session.scalars(select(AppointmentSettings.business_id).where(
        AppointmentSettings.sync_state == SyncState.PENDING, AppointmentSettings.business_id.in_(provisioned))))
    for business_id in business_ids:
        queue_settings_push(db.session.get(Business, business_id))
    return len(business_ids)
