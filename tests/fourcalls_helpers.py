"""A business wired to a real 4calls sandbox organization, for the contacts
and appointments integration tests."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from app.appointments.settings import ensure_settings
from app.encryption import encrypt
from app.extensions import db
from app.fourcalls import platform_client
from app.models import SyncState
from tests.factories import make_integration

NINE_TO_FIVE_DAILY = {day: {"open": "09:00", "close": "17:00"} for day in
                      ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")}


# The zone factories give a business unless a test picks one (the model's default).
TEST_ZONE = "America/New_York"


def provision(business, *, package="ai_sales"):
    """Create the business's organization in the sandbox the app points at
    (FOURCALLS_API_URL), in the business's own zone as provisioning does,
    open 09:00-17:00 every day so tests do not depend on the weekday they run on."""
    business.opening_hours = dict(NINE_TO_FIVE_DAILY)
    organization = platform_client().create_organization({
        "name": business.name, "timezone": business.timezone, "business_hours": NINE_TO_FIVE_DAILY,
        "appointment_types": [{"name": "Haircut", "duration_minutes": 45}],
    })
    make_integration(business, package, organization_id=organization["id"], api_key=encrypt(organization["api_key"]))
    settings = ensure_settings(business)
    settings.appointment_types = [{"name": "Haircut", "duration_minutes": 45}]
    settings.sync_state = SyncState.SYNCED
    db.session.commit()
    db.session.refresh(business)
    return organization


def next_weekday_at(hour: int, minute: int = 0, zone: str = TEST_ZONE) -> datetime:
    """The next Monday-to-Friday after today in `zone`, at hour:minute there
    (an aware instant): the test businesses are open on weekdays only, so
    "tomorrow" would fail on a Friday or Saturday run."""
    local = ZoneInfo(zone)
    day = datetime.now(local).date() + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=local)


def iso(moment: datetime) -> str:
    """As 4calls writes timestamps: UTC with microseconds."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
