"""Time in the business's own zone: the one home for converting instants to
local time, for a business's local days, and for the Jinja filters that
render times. Instants are stored in UTC; everything a person reads is local.

A local day is [local midnight, next local midnight) converted to UTC, so DST
days are 23 or 25 hours long and no instant is lost or counted twice.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from app.clock import utcnow

UTC = timezone.utc
FALLBACK_ZONE = "UTC"


@lru_cache(maxsize=1)
def all_zone_names() -> tuple[str, ...]:
    """IANA names offered in zone pickers, sorted; legacy aliases left out."""
    legacy = ("Etc/", "SystemV/", "posix/", "right/")
    names = sorted(name for name in available_timezones() if "/" in name and not name.startswith(legacy))
    return (*names, "UTC")


def is_valid_zone(name: str | None) -> bool:
    if not name or not isinstance(name, str) or len(name) > 64:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


@lru_cache(maxsize=512)
def zone(name: str | None) -> ZoneInfo:
    """The ZoneInfo for an IANA name; UTC for an empty or unknown one."""
    return ZoneInfo(name) if is_valid_zone(name) else ZoneInfo(FALLBACK_ZONE)


def zone_of(owner) -> ZoneInfo:
    """The zone of a business (or anything with a `timezone` name), or a zone/name itself."""
    if isinstance(owner, ZoneInfo):
        return owner
    if owner is None or isinstance(owner, str):
        return zone(owner)
    return zone(getattr(owner, "timezone", None))


def as_utc(moment: datetime | str) -> datetime:
    """An aware UTC instant from a datetime (naive means UTC) or an RFC 3339 string."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def to_local(moment: datetime | None, owner) -> datetime | None:
    """An instant as wall-clock time in the owner's zone (naive values are UTC)."""
    if moment is None:
        return None
    return as_utc(moment).astimezone(zone_of(owner))


def local_now(owner, now: datetime | None = None) -> datetime:
    return to_local(now or utcnow(), owner)


def local_today(owner, now: datetime | None = None) -> date:
    """"Today" is the business's day, not the server's."""
    return local_now(owner, now).date()


def local_midnight(owner, day: date) -> datetime:
    """The UTC instant at which `day` starts in the owner's zone."""
    return datetime.combine(day, time.min, tzinfo=zone_of(owner)).astimezone(UTC)


def local_day_bounds(owner, day: date) -> tuple[datetime, datetime]:
    """[start, end) in UTC of one local day: 23 or 25 hours on DST change days."""
    return local_midnight(owner, day), local_midnight(owner, day + timedelta(days=1))


def local_days_bounds(owner, first: date, last: date) -> tuple[datetime, datetime]:
    """[start of `first`, end of `last`) in UTC, both local days included."""
    return local_midnight(owner, first), local_midnight(owner, last + timedelta(days=1))


def local_wall_time(owner, day: date, clock_time: time) -> datetime:
    """The UTC instant of a wall-clock time on a local day (09:00 in Los Angeles)."""
    return datetime.combine(day, clock_time, tzinfo=zone_of(owner)).astimezone(UTC)


def zone_label(owner, moment: datetime | None = None) -> str:
    """"America/Los_Angeles (PST)": the zone as stated once in page headers."""
    tz = zone_of(owner)
    abbreviation = (moment or utcnow()).astimezone(tz).tzname()
    return f"{tz.key} ({abbreviation})" if abbreviation and abbreviation != tz.key else tz.key


def zone_for_phone(e164: str | None) -> str | None:
    """The IANA zone a phone number belongs to, when the number pins it to one
    zone (phonenumbers maps numbers, down to US area codes, to their zones)."""
    if not e164:
        return None
    import phonenumbers
    from phonenumbers import timezone as phone_timezones

    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return None
    zones = [z for z in phone_timezones.time_zones_for_number(number) if is_valid_zone(z)]
    return zones[0] if len(zones) == 1 else None


def recipient_zone(contact, business) -> ZoneInfo:
    """The zone a message or call reaches someone in: the contact's own zone,
    else the zone their phone number pins down, else the business's zone."""
    own = getattr(contact, "timezone", None)
    if is_valid_zone(own):
        return zone(own)
    from_phone = zone_for_phone(getattr(contact, "phone", None))
    if from_phone:
        return zone(from_phone)
    return zone_of(business)


# -- rendering -------------------------------------------------------------

def format_local(moment: datetime | None, owner, fmt: str = "%b %-d, %Y %H:%M") -> str:
    local = to_local(moment, owner)
    return local.strftime(fmt) if local else ""


def spoken_time(moment: datetime | None, owner) -> str:
    """"Wednesday March 3 at 9:00 AM PST": for messages read outside the app
    (reminders, the chat widget), so the zone is named with the time."""
    local = to_local(moment, owner)
    if local is None:
        return ""
    return f"{local:%A %B} {local.day} at {local.hour % 12 or 12}:{local:%M %p} {local.tzname()}"


def csv_times(moment: datetime | None, owner) -> tuple[str, str]:
    """(local, UTC) cells for a CSV export, side by side: the local time the
    owner reads ("2027-03-03 23:30:00 PST") and the unambiguous UTC instant."""
    if moment is None:
        return "", ""
    local = to_local(moment, owner)
    return f"{local:%Y-%m-%d %H:%M:%S} {local.tzname()}", f"{as_utc(moment):%Y-%m-%d %H:%M:%S}Z"


# Template filters (registered by app/templating.py): `{{ call.started_at|localtime(business) }}`
# and friends; templates never call strftime on a UTC value themselves.

def localtime_filter(moment, owner, fmt="%b %-d, %Y %H:%M"):
    return format_local(moment, owner, fmt)


def localdate_filter(moment, owner, fmt="%b %-d, %Y"):
    if isinstance(moment, date) and not isinstance(moment, datetime):
        return moment.strftime(fmt)
    return format_local(moment, owner, fmt)


def localclock_filter(moment, owner, fmt="%H:%M"):
    return format_local(moment, owner, fmt)


def localrange_filter(start, end, owner):
    """"Mar 3, 2027 09:00–09:30": one date, two clock times (the end's date too when it differs)."""
    if start is None:
        return ""
    first = to_local(start, owner)
    if end is None:
        return first.strftime("%b %-d, %Y %H:%M")
    last = to_local(end, owner)
    if last.date() == first.date():
        return f"{first:%b %-d, %Y %H:%M}–{last:%H:%M}"
    return f"{first:%b %-d, %Y %H:%M} – {last:%b %-d, %Y %H:%M}"
