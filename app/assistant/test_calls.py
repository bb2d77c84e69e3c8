"""The owner's test call: 4calls places a call to the inbound coordinator
under the rules in force, and the app records it at once (as the webhook
would a moment later), so the call, any message taken and the notification
show without waiting."""
from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta

from app.extensions import db
from app.assistant.connection import organization_client
from app.models import Business, Call
from app.timezones import local_now, local_wall_time

WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
TEST_PHRASES = {"plumb": "Water is everywhere, we have a burst pipe in the kitchen!",
                "dental": "I'm in a lot of pain and there's swelling in my jaw."}


def suggested_phrase(business: Business, urgent_words: list[str]) -> str:
    category = (business.category or "").lower()
    for keyword, phrase in TEST_PHRASES.items():
        if keyword in category:
            return phrase
    word = urgent_words[0] if urgent_words else "emergency"
    return f"Hello, this is an {word}, I need someone right away."


def _clock(text: str) -> time:
    if text == "24:00":
        return time(23, 59)
    hour, minute = text.split(":")
    return time(int(hour), int(minute))


def _hours(business: Business, day: date):
    hours = (business.opening_hours or {}).get(WEEKDAY_NAMES[day.weekday()])
    if not hours or not hours.get("open") or not hours.get("close"):
        return None
    return _clock(hours["open"]), _clock(hours["close"])


def simulated_moment(business: Business, when: str) -> datetime | None:
    """A moment inside ("business_hours") or outside ("after_hours") the
    business's opening hours, soonest first; None for "now". After hours is
    the evening after a working day, which is what owners usually mean."""
    if when == "now":
        return None
    today = local_now(business).date()
    days = [today + timedelta(days=offset) for offset in range(8)]
    for day in days:
        hours = _hours(business, day)
        if not hours:
            continue
        opens, closes = (local_wall_time(business, day, t) for t in hours)
        if when == "business_hours":
            return opens + (closes - opens) / 2
        if hours[1] <= time(22, 0):
            return closes + timedelta(hours=1)
        if hours[0] >= time(2, 0):
            return opens - timedelta(hours=1)
    closed = next((day for day in days if not _hours(business, day)), None)
    if when == "after_hours" and closed is not None:
        return local_wall_time(business, closed, time(12, 0))
    return None


def place_test_call(business: Business, caller_says: str, when: str) -> Call | None:
    """Raises FourCallsError (shown to the owner) when 4calls refuses or is down."""
    from app.crm_sync.upserts import apply_remote_calls

    fields = {"caller_says": caller_says.strip()}
    moment = simulated_moment(business, when)
    if moment is not None:
        fields["at"] = moment.isoformat()
    client = organization_client(business)
    remote = client.place_test_call(client.organization_id, fields, idempotency_key=f"alphasite:test-call:{uuid.uuid4()}")
    apply_remote_calls(business, [remote])
    db.session.commit()
    from sqlalchemy import select

    return db.session.scalar(select(Call).where(Call.business_id == business.id, Call.remote_id == remote["id"]))
