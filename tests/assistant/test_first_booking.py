"""The first booking after buying works on the first try: provisioning sends
the business's zone, hours and appointment types before the business is
shown as active; the booking form offers exactly the types 4calls knows; a
booking 4calls refuses (4xx) is final for its key, a timeout is retried on it."""
from __future__ import annotations

import logging
import re
from datetime import time, timedelta

import pytest
from sqlalchemy import func, select

from app.appointments.settings import check_organization_zone
from app.extensions import db
from app.assistant import provisioning
from app.models import Appointment, AppointmentSettings, FourCallsIntegration, SyncState
from app.timezones import local_today, local_wall_time

pytestmark = pytest.mark.integration

WEEKDAY_HOURS = {"open": "09:00", "close": "17:00"}


def _integration(business) -> FourCallsIntegration:
    db.session.expire_all()
    return db.session.scalar(select(FourCallsIntegration).where(FourCallsIntegration.business_id == business.id))


@pytest.fixture
def salon(app, fourcalls, factories, logged_in_owner, run_jobs):
    """A Los Angeles salon, bought and provisioned by the job, nothing else."""
    business = factories.business(owner=logged_in_owner, name="Sunset Salon", timezone="America/Los_Angeles",
                                  services=["Haircut", "Colour"],
                                  opening_hours={day: dict(WEEKDAY_HOURS) for day in (
                                      "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")})
    assert db.session.scalar(select(func.count()).select_from(AppointmentSettings)) == 0
    provisioning.activate_package(business, "ai_receptionist", "test")
    run_jobs()
    return business


def _next_open_slot(business) -> str:
    """10:00 Los Angeles time, two days ahead (the salon is open every day)."""
    day = local_today(business) + timedelta(days=2)
    return local_wall_time(business, day, time(10, 0)).strftime("%Y-%m-%dT%H:%M:%S.000000Z")


def test_provisioning_sends_zone_hours_and_types_before_active(salon, fourcalls, client):
    integration = _integration(salon)
    assert integration.status == "active"
    organization = fourcalls.state(integration.organization_id)["organization"]
    assert organization["timezone"] == "America/Los_Angeles"
    # AI Receptionist schedules one appointment type (several are advanced scheduling, issue 19);
    # the business's other services stay in its settings for an upgrade.
    assert [t["name"] for t in organization["appointment_types"]] == ["Haircut"]
    assert organization["business_hours"]["saturday"] == WEEKDAY_HOURS
    settings = db.session.scalar(select(AppointmentSettings).where(AppointmentSettings.business_id == salon.id))
    assert settings.sync_state == SyncState.SYNCED and settings.synced_at is not None
    assert [t["name"] for t in settings.appointment_types] == ["Haircut", "Colour"]

    # The form offers exactly what 4calls knows (not a default "Consultation").
    form = client.get(f"/businesses/{salon.slug}/appointments/new").get_data(as_text=True)
    assert re.findall(r'<option value="([^"]+)"', form) == ["Haircut"]


def test_a_zone_changed_in_the_profile_reaches_4calls(salon, fourcalls, run_jobs):
    from app.businesses.services import profile_changed

    salon.timezone = "Pacific/Auckland"
    db.session.commit()
    profile_changed.send(salon)
    run_jobs()
    organization = fourcalls.state(_integration(salon).organization_id)["organization"]
    assert organization["timezone"] == "Pacific/Auckland"


def test_the_first_booking_works_on_the_first_try(salon, client):
    response = client.post(f"/businesses/{salon.slug}/appointments/new", data={
        "appointment_type": "Haircut", "starts_at": _next_open_slot(salon), "name": "Lena Park",
        "phone": "(555) 201-3344", "request_key": "first-form"})
    assert response.status_code == 302, response.get_data(as_text=True)
    appointment = db.session.scalar(select(Appointment).where(Appointment.business_id == salon.id))
    assert appointment.appointment_type == "Haircut"
    from app.timezones import to_local
    assert to_local(appointment.starts_at, salon).hour == 10  # 10:00 in Los Angeles, as picked


def test_a_refused_booking_gets_a_fresh_key_and_a_5xx_keeps_it(salon, fourcalls, client, app, run_jobs):
    url = f"/businesses/{salon.slug}/appointments/new"
    day = local_today(salon) + timedelta(days=2)
    evening = local_wall_time(salon, day, time(18, 0)).strftime("%Y-%m-%dT%H:%M:%S.000000Z")
    data = {"appointment_type": "Haircut", "starts_at": evening, "name": "Lena Park",
            "phone": "(555) 201-3344", "request_key": "0f0e0d0c0b0a09080706050403020100"}
    # Longer hours saved here but not yet pushed: our checks pass, 4calls refuses 18:00.
    salon.opening_hours = {**salon.opening_hours, day.strftime("%A").lower(): {"open": "09:00", "close": "20:00"}}
    db.session.commit()

    app.config["FOURCALLS_MAX_ATTEMPTS"] = 1
    try:
        fourcalls.set_faults(error_rate=1.0)
        failed = client.post(url, data=data)
        assert failed.status_code == 422
        assert 'name="request_key" value="0f0e0d0c0b0a09080706050403020100"' in failed.get_data(as_text=True)  # a retry is the same booking
        fourcalls.clear_faults()
    finally:
        app.config.pop("FOURCALLS_MAX_ATTEMPTS", None)

    refused = client.post(url, data=data)
    assert refused.status_code == 422 and "outside business hours" in refused.get_data(as_text=True)
    key = re.search(r'name="request_key" value="([^"]+)"', refused.get_data(as_text=True)).group(1)
    assert key != "0f0e0d0c0b0a09080706050403020100"  # 4calls' refusal is final for that key: the next submit is a new request

    from app.appointments.settings import ensure_settings, queue_settings_push

    ensure_settings(salon).sync_state = SyncState.PENDING
    db.session.commit()
    queue_settings_push(salon)
    run_jobs()
    booked = client.post(url, data={**data, "request_key": key})
    assert booked.status_code == 302, booked.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Appointment)) == 1


def test_reading_pages_never_creates_settings(app, fourcalls, client, factories, logged_in_owner):
    business = factories.business(owner=logged_in_owner, name="Quiet Cafe")
    for path in ("appointments", "appointments/settings"):
        assert client.get(f"/businesses/{business.slug}/{path}").status_code == 200
    assert db.session.scalar(select(func.count()).select_from(AppointmentSettings)) == 0


def test_an_unknown_zone_from_4calls_is_logged_and_never_adopted(app, factories, caplog):
    business = factories.business(name="Zone Keeper", timezone="Asia/Kolkata")
    caplog.set_level(logging.WARNING, logger="app.appointments.settings")
    check_organization_zone(business, {"timezone": "Mars/Olympus_Mons"})
    assert business.timezone == "Asia/Kolkata"
    assert "unknown time zone 'Mars/Olympus_Mons'" in caplog.text and "Asia/Kolkata" in caplog.text
    caplog.clear()
    check_organization_zone(business, {"timezone": "Asia/Kolkata"})
    assert caplog.text == ""
