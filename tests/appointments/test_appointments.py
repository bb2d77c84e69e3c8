"""Calendar, settings, real-time booking, reschedule, cancel and reminders
against the 4calls sandbox (with faults)."""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from app.appointments.reminders import send_reminder, sweep_reminders
from app.extensions import db
from app.assistant.connection import organization_client
from app.models import Appointment, AppointmentReminder, AppointmentSettings, Contact
from tests.fourcalls_helpers import iso, provision, next_weekday_at


@pytest.fixture
def business(use_fourcalls, factories, logged_in_owner):
    use_fourcalls(FOURCALLS_MAX_ATTEMPTS=1)
    business = factories.business(owner=logged_in_owner, name="Calendar Salon", phone="+1 555 201 1004")
    provision(business)
    return business


def book(client, business, starts_at, name="Ann Lee", phone="(555) 201-3344", **extra):
    return client.post(f"/businesses/{business.slug}/appointments/new", data={
        "appointment_type": "Haircut", "starts_at": starts_at, "name": name, "phone": phone, **extra})


def appointment_count():
    return db.session.scalar(select(func.count()).select_from(Appointment))


def test_free_slots_come_from_4calls_and_booking_lands_in_week_view(client, business):
    day = next_weekday_at(0).date().isoformat()
    page = client.get(f"/businesses/{business.slug}/appointments/new?day={day}").get_data(as_text=True)
    assert f'value="{iso(next_weekday_at(9))}"' in page and f'value="{iso(next_weekday_at(16))}"' in page
    assert f'value="{iso(next_weekday_at(16, 30))}"' not in page  # a 45-minute haircut does not fit before 17:00

    response = book(client, business, iso(next_weekday_at(10)))
    assert response.status_code == 302
    appt = db.session.scalar(select(Appointment))
    assert appt.remote_id and appt.starts_at == next_weekday_at(10) and appt.ends_at == next_weekday_at(10, 45)
    assert (appt.customer_name, appt.customer_phone, appt.status) == ("Ann Lee", "+15552013344", "scheduled")
    assert db.session.get(Contact, appt.contact_id).phone == "+15552013344"
    assert sorted(r.offset_minutes for r in db.session.scalars(select(AppointmentReminder))) == [
        m for m in (60, 24 * 60) if next_weekday_at(10) - timedelta(minutes=m) > datetime.now(timezone.utc)]

    week = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Ann Lee" in week and "10:00" in week
    slots = client.get(f"/businesses/{business.slug}/appointments/slots?day={day}&appointment_type=Haircut")
    assert f'value="{iso(next_weekday_at(10))}"' not in slots.get_data(as_text=True)


def test_double_booking_is_refused_locally_and_by_4calls(client, business):
    assert book(client, business, iso(next_weekday_at(11))).status_code == 302
    again = book(client, business, iso(next_weekday_at(11, 30)), name="Bob")
    assert again.status_code == 422 and "overlaps Ann Lee" in again.get_data(as_text=True)
    # Booked by the AI a moment ago, not yet in the local copy: 4calls refuses it.
    org = organization_client(business)
    org.create_appointment(org.organization_id, {"starts_at": iso(next_weekday_at(14)), "duration_minutes": 30,
                                                 "customer_name": "Caller"})
    raced = book(client, business, iso(next_weekday_at(14)), name="Bob", phone="555 201 3345")
    assert raced.status_code == 422 and "just booked that time" in raced.get_data(as_text=True)
    assert 'value="Bob"' in raced.get_data(as_text=True)
    assert appointment_count() == 1


@pytest.mark.parametrize("starts_at, message", [
    (iso(datetime.now(timezone.utc) - timedelta(hours=2)), "in the past"),
    (iso(next_weekday_at(20)), "outside business hours"),
    (iso(next_weekday_at(16, 30)), "outside business hours"),  # 45 minutes run past 17:00
    ("not-a-time", "Pick a free time"),
], ids=["past", "evening", "runs-past-closing", "not-a-time"])  # stable ids: pytest-xdist workers must agree
def test_bad_times_are_refused_with_a_clear_message(client, business, starts_at, message):
    response = book(client, business, starts_at)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert appointment_count() == 0


def test_past_day_slots_and_invalid_phone(client, business):
    from app.timezones import local_today

    yesterday = (local_today(business) - timedelta(days=1)).isoformat()  # the business's yesterday, not UTC's
    slots = client.get(f"/businesses/{business.slug}/appointments/slots?day={yesterday}&appointment_type=Haircut")
    assert "That day is in the past" in slots.get_data(as_text=True)
    response = book(client, business, iso(next_weekday_at(10)), phone="555-CALL-NOW")
    assert response.status_code == 422 and "contains letters" in response.get_data(as_text=True)
    assert appointment_count() == 0


def test_4calls_down_books_nothing_and_keeps_the_form(client, business, fourcalls):
    fourcalls.set_faults(error_rate=1.0)
    response = book(client, business, iso(next_weekday_at(12)), name="Dora Diaz", notes="first visit")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Nothing was booked" in page and 'value="Dora Diaz"' in page and 'value="first visit"' in page
    assert appointment_count() == 0


def test_reschedule_and_cancel(client, business):
    book(client, business, iso(next_weekday_at(10)))
    appt = db.session.scalar(select(Appointment))
    for reminder in db.session.scalars(select(AppointmentReminder)):
        reminder.status = "delivered"  # sent for the old time
    db.session.commit()
    url = f"/businesses/{business.slug}/appointments/{appt.id}"
    assert "Choose a new time" in client.get(url).get_data(as_text=True)
    assert f'value="{iso(next_weekday_at(13))}"' in client.get(url + "?reschedule=1").get_data(as_text=True)
    assert client.post(url + "/reschedule", data={"starts_at": iso(next_weekday_at(13))}).status_code == 302
    db.session.expire_all()
    appt = db.session.get(Appointment, appt.id)
    assert appt.starts_at == next_weekday_at(13)
    reminders = db.session.scalars(select(AppointmentReminder)).all()
    assert reminders and all(r.status == "scheduled" and next_weekday_at(13) - timedelta(days=1) <= r.send_at < next_weekday_at(13)
                             for r in reminders)
    refused = client.post(url + "/reschedule", data={"starts_at": iso(next_weekday_at(19))})
    assert refused.status_code == 422 and "outside business hours" in refused.get_data(as_text=True)

    assert client.post(url + "/cancel", data={"reason": "customer ill"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Appointment, appt.id).status == "cancelled"
    assert db.session.scalar(select(func.count()).select_from(AppointmentReminder)) == 0
    remote = organization_client(business)
    assert remote.get_appointment(remote.organization_id, appt.remote_id)["status"] == "cancelled"


def test_calendar_views_and_htmx_navigation(client, business):
    book(client, business, iso(next_weekday_at(10)))
    base = f"/businesses/{business.slug}/appointments"
    day = next_weekday_at(0).date()
    for view in ("month", "week", "day"):
        page = client.get(f"{base}?view={view}&date={day.isoformat()}")
        assert page.status_code == 200 and "<html" in page.get_data(as_text=True)
        assert "Ann Lee" in page.get_data(as_text=True), view
    fragment = client.get(f"{base}?view=month&date={day.isoformat()}", headers={"HX-Request": "true"})
    assert "<html" not in fragment.get_data(as_text=True) and "HX-Request" in fragment.headers["Vary"]
    assert day.strftime("%B %Y") in fragment.get_data(as_text=True)
    empty = client.get(f"{base}?view=week&date={(day + timedelta(days=21)).isoformat()}").get_data(as_text=True)
    assert "Ann Lee" not in empty


def test_settings_are_validated_and_pushed_to_4calls(client, business, run_jobs):
    url = f"/businesses/{business.slug}/appointments/settings"
    form = {f"{d}_open": "08:00" for d in ("monday", "tuesday", "wednesday", "thursday", "friday")}
    form.update({f"{d}_close": "18:00" for d in ("monday", "tuesday", "wednesday", "thursday", "friday")})
    form.update({"saturday_closed": "1", "sunday_closed": "1",
                 "appointment_types": "Haircut, 45\nColour, 90", "reminders": "24, 2"})
    bad = client.post(url, data={**form, "monday_close": "07:00", "appointment_types": "Haircut"})
    assert bad.status_code == 422
    assert "closing time must be after" in bad.get_data(as_text=True) and "length in minutes" in bad.get_data(as_text=True)
    assert db.session.scalar(select(AppointmentSettings)).appointment_types == [{"name": "Haircut", "duration_minutes": 45}]

    assert client.post(url, data=form).status_code == 302
    settings = db.session.scalar(select(AppointmentSettings))
    assert settings.sync_state == "pending" and settings.reminder_offsets == [24 * 60, 120]
    run_jobs()
    db.session.expire_all()
    assert db.session.scalar(select(AppointmentSettings)).sync_state == "synced"
    org = organization_client(business)
    remote = org.get_organization(org.organization_id)
    assert remote["appointment_types"] == [{"name": "Haircut", "duration_minutes": 45},
                                           {"name": "Colour", "duration_minutes": 90}]
    assert remote["business_hours"]["monday"] == {"open": "08:00", "close": "18:00"}
    assert remote["business_hours"]["sunday"] is None


def test_settings_push_waits_out_a_4calls_outage(client, business, fourcalls, run_jobs, app):
    fourcalls.set_faults(error_rate=1.0)
    form = {f"{d}_closed": "1" for d in ("saturday", "sunday")}
    form.update({f"{d}_open": "09:00" for d in ("monday", "tuesday", "wednesday", "thursday", "friday")})
    form.update({f"{d}_close": "17:00" for d in ("monday", "tuesday", "wednesday", "thursday", "friday")})
    client.post(f"/businesses/{business.slug}/appointments/settings",
                data={**form, "appointment_types": "Beard trim, 20", "reminders": "24"})
    run_jobs()
    db.session.expire_all()
    settings = db.session.scalar(select(AppointmentSettings))
    assert settings.sync_state == "pending" and settings.appointment_types[0]["name"] == "Beard trim"
    fourcalls.clear_faults()
    from app.appointments.jobs import sweep_reminders_job

    assert sweep_reminders_job()["settings_queued"] == 1
    run_jobs()
    db.session.expire_all()
    assert db.session.scalar(select(AppointmentSettings)).sync_state == "synced"


def _due_reminder(client, business, phone):
    book(client, business, iso(next_weekday_at(15)), phone=phone)
    reminder = db.session.scalars(select(AppointmentReminder).order_by(AppointmentReminder.offset_minutes)).first()
    reminder.send_at = datetime.now(timezone.utc) - timedelta(seconds=1)
    db.session.commit()
    return reminder


def test_reminder_is_sent_through_4calls_and_its_delivery_followed(client, business):
    reminder = _due_reminder(client, business, "555 201 3344")
    assert send_reminder(reminder.id) == "queued"
    db.session.refresh(reminder)
    assert reminder.channel == "sms" and reminder.message_remote_id
    time.sleep(1.7)  # the sandbox delivers after 1.5 s
    sweep_reminders()
    db.session.refresh(reminder)
    assert reminder.status == "delivered"
    page = client.get(f"/businesses/{business.slug}/appointments/{reminder.appointment_id}").get_data(as_text=True)
    assert "delivered" in page and "1 h before" in page


def test_failed_delivery_is_retried_then_shown_with_a_send_again_button(client, business, run_jobs):
    reminder = _due_reminder(client, business, "555 201 0000")  # the sandbox's undeliverable number
    reminder.attempts = 2
    db.session.commit()
    send_reminder(reminder.id)
    time.sleep(1.7)
    sweep_reminders()
    db.session.refresh(reminder)
    assert reminder.status == "failed" and reminder.attempts == 3 and "unreachable" in reminder.error
    url = f"/businesses/{business.slug}/appointments/{reminder.appointment_id}"
    page = client.get(url).get_data(as_text=True)
    assert "unreachable number" in page and "Send again" in page
    client.post(f"{url}/reminders/{reminder.id}/retry")
    db.session.refresh(reminder)
    assert reminder.status == "scheduled" and reminder.attempts == 0


def test_reminder_send_during_an_outage_is_kept_for_retry(client, business, fourcalls):
    reminder = _due_reminder(client, business, "555 201 3344")
    fourcalls.set_faults(error_rate=1.0)
    with pytest.raises(Exception):
        send_reminder(reminder.id)
    db.session.refresh(reminder)
    assert reminder.status == "scheduled" and reminder.error and reminder.attempts == 1
    fourcalls.clear_faults()
    assert send_reminder(reminder.id) == "queued"


def test_ai_booked_appointments_get_reminders_from_the_sweep(client, business):
    org = organization_client(business)
    remote = org.create_booking({"starts_at": iso(next_weekday_at(16)), "customer": {"name": "Caller", "phone": "+15552017777"},
                                 "source": "call"})
    from app.crm_sync.upserts import apply_remote_appointments

    apply_remote_appointments(business, [remote])
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(AppointmentReminder)) == 0
    assert sweep_reminders()["planned"] >= 1
    week = client.get(f"/businesses/{business.slug}/appointments?view=week&date={next_weekday_at(0).date()}").get_data(as_text=True)
    assert "Caller" in week and "AI · call" in week


def test_another_owner_gets_404_on_appointment_urls(client, auth, business, factories):
    book(client, business, iso(next_weekday_at(10)))
    appt = db.session.scalar(select(Appointment))
    reminder = db.session.scalars(select(AppointmentReminder)).first()
    auth.logout()
    auth.login(factories.user().email)
    base = f"/businesses/{business.slug}/appointments/{appt.id}"
    for method, url in [("GET", base), ("POST", base + "/reschedule"), ("POST", base + "/cancel"),
                        ("POST", f"{base}/reminders/{reminder.id if reminder else appt.id}/retry")]:
        assert client.open(url, method=method).status_code == 404, url
    db.session.expire_all()
    assert db.session.get(Appointment, appt.id).status == "scheduled"


def test_a_new_booking_form_is_a_new_booking_even_for_the_same_customer_and_time(client, business):
    book(client, business, iso(next_weekday_at(10)), request_key="first-form")
    appt = db.session.scalar(select(Appointment))
    client.post(f"/businesses/{business.slug}/appointments/{appt.id}/cancel")
    response = book(client, business, iso(next_weekday_at(10)), request_key="second-form")
    assert response.status_code == 302
    statuses = sorted(db.session.scalars(select(Appointment.status)))
    assert statuses == ["cancelled", "scheduled"]


def test_a_failed_cancel_keeps_the_reason_typed(client, business, fourcalls):
    book(client, business, iso(next_weekday_at(10)))
    appt = db.session.scalar(select(Appointment))
    fourcalls.set_faults(error_rate=1.0)
    response = client.post(f"/businesses/{business.slug}/appointments/{appt.id}/cancel", data={"reason": "Flu"})
    assert response.status_code == 422
    assert "The appointment was not cancelled" in response.get_data(as_text=True)
    assert 'value="Flu"' in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Appointment, appt.id).status == "scheduled"
