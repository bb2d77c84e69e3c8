"""No SMS outside 08:00-21:00 in the recipient's zone (the contact's own
zone, else their number's, else the business's: app.timezones.recipient_zone).
A text written outside those hours is held and goes at the next 08:00."""
from __future__ import annotations

from datetime import datetime, time, timedelta

from app.models.base import utcnow
from app.timezones import UTC, recipient_zone

OPENS = time(8, 0)
CLOSES = time(21, 0)


def held_until(contact, business, channel: str, now: datetime | None = None) -> datetime | None:
    """None when the message may go now; else the UTC instant of the next 08:00 for the recipient."""
    if channel != "sms":
        return None
    zone = recipient_zone(contact, business)
    local = (now or utcnow()).astimezone(zone)
    if OPENS <= local.time() < CLOSES:
        return None
    day = local.date() if local.time() < OPENS else local.date() + timedelta(days=1)
    return datetime.combine(day, OPENS, tzinfo=zone).astimezone(UTC)
