"""Staff, resources and closures pages (issue 19): package gating with the
upgrade offer, a downgrade that keeps the data, validation, another owner's
404, and local rules in the business's zone across a DST change."""
from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from app.appointments import booking
from app.appointments.rules import organization_fields, rules_for, staff_hours_window
from app.extensions import db
from app.models import AppointmentSettings, FourCallsIntegration, IntegrationStatus
from app.models.scheduling import ScheduleClosure, StaffMember

PACKAGES = ("ai_receptionist", "ai_sales", "ai_business_suite", "ai_enterprise")


def give_package(business, package):
    db.session.add(FourCallsIntegration(business_id=business.id, organization_id="", api_key="",
                                        service_package=package, status=IntegrationStatus.ACTIVE))
    db.session.commit()
    db.session.refresh(business)


@pytest.fixture
def business(factories, logged_in_owner):
    return factories.business(owner=logged_in_owner, name="Gate Salon", timezone="America/Los_Angeles")


STAFF_FORM = {"name": "Maria", "kind": "person", "appointment_types": "Haircut"}


@pytest.mark.parametrize("package", PACKAGES)
def test_each_package_gets_advanced_scheduling_or_the_upgrade_offer(client, business, package):
    give_package(business, package)
    advanced = package != "ai_receptionist"
    page = client.get(f"/businesses/{business.slug}/appointments/staff")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert ('data-upsell="advanced_scheduling"' in html) is not advanced
    if not advanced:
        assert "AI Sales Assistant" in html  # the smallest package that includes it
    added = client.post(f"/businesses/{business.slug}/appointments/staff", data=STAFF_FORM)
    assert added.status_code == (302 if advanced else 403)
    closure = client.post(f"/businesses/{business.slug}/appointments/closures",
                          data={"first_day": "2031-12-25", "reason": "Christmas"})
    assert closure.status_code == (302 if advanced else 403)
    assert db.session.scalar(select(db.func.count()).select_from(StaffMember)) == (1 if advanced else 0)
    two_types = client.post(f"/businesses/{business.slug}/appointments/settings", data={
        **{f"{d}_closed": "1" for d in ("saturday", "sunday")},
        **{f"{d}_open": "09:00" for d in ("monday", "tuesday", "wednesday", "thursday", "friday")},
        **{f"{d}_close": "17:00" for d in ("monday", "tuesday", "wednesday", "thursday", "friday")},
        "appointment_types": "Haircut, 45, 0, 15, 30.00, 8\nColour, 90", "reminders": "24"})
    if advanced:
        assert two_types.status_code == 302
        types = db.session.scalar(select(AppointmentSettings.appointment_types))
        assert types[0] == {"name": "Haircut", "duration_minutes": 45, "buffer_after_minutes": 15,
                            "price_cents": 3000, "daily_cap": 8}
    else:
        assert two_types.status_code == 422
        assert "Advanced appointment scheduling" in two_types.get_data(as_text=True)


def test_a_downgrade_keeps_staff_and_types_but_books_with_the_basic_rules(client, business):
    give_package(business, "ai_sales")
    client.post(f"/businesses/{business.slug}/appointments/staff", data=STAFF_FORM)
    client.post(f"/businesses/{business.slug}/appointments/staff", data={**STAFF_FORM, "name": "Jonas"})
    settings = db.session.scalar(select(AppointmentSettings))
    settings.appointment_types = [{"name": "Haircut", "duration_minutes": 45, "buffer_after_minutes": 15},
                                  {"name": "Colour", "duration_minutes": 90}]
    db.session.add(ScheduleClosure(business_id=business.id, first_day=date(2031, 12, 25), last_day=date(2031, 12, 25)))
    db.session.commit()
    assert len(organization_fields(business)["staff"]) == 2

    business.integration.service_package = "ai_receptionist"
    db.session.commit()
    pushed = organization_fields(business)
    assert pushed["staff"] == [] and pushed["appointment_types"] == [{"name": "Haircut", "duration_minutes": 45}]
    assert [c["first_day"] for c in pushed["closures"]] == ["2031-12-25"]  # entered closures still block
    page = client.get(f"/businesses/{business.slug}/appointments/staff").get_data(as_text=True)
    assert "Maria" in page and "Jonas" in page and 'data-upsell="advanced_scheduling"' in page
    assert "is kept" in page
    # Saving the basic settings keeps the other type for a later upgrade.
    saved = client.post(f"/businesses/{business.slug}/appointments/settings", data={
        **{f"{d}_open": "09:00" for d in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")},
        **{f"{d}_close": "17:00" for d in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")},
        "appointment_types": "Haircut, 30", "reminders": "24"})
    assert saved.status_code == 302
    assert [t["name"] for t in db.session.scalar(select(AppointmentSettings.appointment_types))] == ["Haircut", "Colour"]
    assert db.session.scalar(select(db.func.count()).select_from(StaffMember)) == 2


def test_staff_and_closure_forms_give_field_errors(client, business):
    give_package(business, "ai_sales")
    url = f"/businesses/{business.slug}/appointments/staff"
    assert client.post(url, data=STAFF_FORM).status_code == 302
    again = client.post(url, data=STAFF_FORM)
    assert again.status_code == 422 and "already on your staff list" in again.get_data(as_text=True)
    bad_hours = client.post(url, data={"name": "Jonas", "own_hours": "1", "monday_open": "17:00", "monday_close": "09:00",
                                       **{f"{d}_off": "1" for d in ("tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")}})
    assert bad_hours.status_code == 422 and "closing time must be after opening time" in bad_hours.get_data(as_text=True)
    unknown_type = client.post(url, data={"name": "Jonas", "appointment_types": "Massage"})
    assert unknown_type.status_code == 422
    maria = db.session.scalar(select(StaffMember))
    edited = client.post(f"{url}/{maria.id}", data={"name": "Maria", "kind": "person", "own_hours": "1",
                                                    "monday_open": "10:00", "monday_close": "14:00",
                                                    **{f"{d}_off": "1" for d in ("tuesday", "wednesday", "thursday",
                                                                                 "friday", "saturday", "sunday")}})
    assert edited.status_code == 302
    db.session.refresh(maria)
    assert maria.hours["monday"] == {"open": "10:00", "close": "14:00"} and maria.hours["sunday"] is None
    closures = f"/businesses/{business.slug}/appointments/closures"
    for data, message in (({"first_day": "nope"}, "Pick the first closed day"),
                          ({"first_day": "2031-12-26", "last_day": "2031-12-24"}, "cannot be before the first"),
                          ({"first_day": "2001-01-01"}, "That day has passed"),
                          ({"first_day": "2031-12-26", "staff_id": "not-a-uuid"}, "Choose one of your staff")):
        response = client.post(closures, data=data)
        assert response.status_code == 422 and message in response.get_data(as_text=True), data
    assert db.session.scalar(select(db.func.count()).select_from(ScheduleClosure)) == 0
    assert client.post(closures, data={"first_day": "2031-12-24", "last_day": "2031-12-26", "reason": "Holidays"}).status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert "Wed Dec 24, 2031 – Fri Dec 26, 2031" in page and "Holidays" in page


def test_another_owner_gets_404_on_staff_and_closure_urls(client, auth, factories, business):
    give_package(business, "ai_sales")
    member = StaffMember(business_id=business.id, name="Maria", hours={}, appointment_types=[])
    db.session.add(member)
    db.session.flush()
    closure = ScheduleClosure(business_id=business.id, first_day=date(2031, 12, 25), last_day=date(2031, 12, 25))
    db.session.add(closure)
    db.session.commit()
    member_id, closure_id, slug = member.id, closure.id, business.slug
    intruder = factories.user(email="intruder@example.com")
    own = factories.business(owner=intruder, name="Intruder Salon")
    give_package(own, "ai_sales")
    auth.logout()
    auth.login(intruder.email)
    for method, path in (("GET", f"/businesses/{slug}/appointments/staff"),
                         ("POST", f"/businesses/{slug}/appointments/staff/{member_id}"),
                         ("POST", f"/businesses/{slug}/appointments/staff/{member_id}/delete"),
                         ("POST", f"/businesses/{slug}/appointments/closures/{closure_id}/delete"),
                         ("GET", f"/businesses/{slug}/appointments?staff={member_id}")):
        assert client.open(path, method=method).status_code == 404, path
    # Their own business does not reach the other business's rows either.
    for path in (f"/businesses/{own.slug}/appointments/staff/{member_id}/delete",
                 f"/businesses/{own.slug}/appointments/closures/{closure_id}/delete"):
        assert client.post(path).status_code == 404, path
    assert db.session.get(StaffMember, member_id) is not None and db.session.get(ScheduleClosure, closure_id) is not None


def test_local_rules_use_the_business_zone_across_the_dst_change(app, business, clock):
    """Los Angeles springs forward on Sunday March 14, 2027: 09:00 is 17:00 UTC the
    day before and 16:00 UTC that day. A closure is a local day, not a UTC one."""
    give_package(business, "ai_sales")
    member = StaffMember(business_id=business.id, name="Maria", hours={}, appointment_types=[])
    db.session.add(member)
    business.opening_hours = {d: {"open": "09:00", "close": "17:00"} for d in
                              ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")}
    db.session.commit()
    clock.set(datetime(2027, 3, 12, 20, 0, tzinfo=UTC))
    assert staff_hours_window(business, member, date(2027, 3, 13))[0] == datetime(2027, 3, 13, 17, 0, tzinfo=UTC)
    assert staff_hours_window(business, member, date(2027, 3, 14))[0] == datetime(2027, 3, 14, 16, 0, tzinfo=UTC)

    # 16:30 on the 20th in Los Angeles is already the 21st in UTC; the closure of the 20th (local) blocks it.
    db.session.add(ScheduleClosure(business_id=business.id, first_day=date(2027, 3, 20), last_day=date(2027, 3, 20),
                                   reason="Inventory"))
    db.session.commit()
    late = datetime(2027, 3, 21, 0, 30, tzinfo=UTC)
    with pytest.raises(booking.BookingError, match="closed on Sat Mar 20"):
        booking.check_local_rules(business, late, late.replace(hour=1), type_name="Haircut")
    sunday_open = datetime(2027, 3, 14, 16, 0, tzinfo=UTC)  # 09:00 PDT
    assert booking.check_local_rules(business, sunday_open, sunday_open.replace(hour=16, minute=45),
                                     type_name="Haircut")[0].id == member.id
    with pytest.raises(booking.BookingError, match="outside the working hours of Maria"):
        early = datetime(2027, 3, 14, 15, 30, tzinfo=UTC)  # 08:30 PDT
        booking.check_local_rules(business, early, early.replace(hour=16, minute=15), type_name="Haircut")

    # Minimum notice and horizon count from the injected now, in local days.
    settings = db.session.scalar(select(AppointmentSettings)) or None
    if settings is None:
        from app.appointments.settings import ensure_settings
        settings = ensure_settings(business)
    settings.min_notice_minutes, settings.horizon_days = 24 * 60, 10
    db.session.commit()
    soon = datetime(2027, 3, 13, 17, 0, tzinfo=UTC)  # 09:00 tomorrow local, 21 hours away
    with pytest.raises(booking.BookingError, match="at least 24 hours' notice"):
        booking.check_local_rules(business, soon, soon.replace(minute=45), type_name="Haircut")
    beyond = datetime(2027, 3, 23, 16, 0, tzinfo=UTC)  # local Mar 23 > Mar 12 + 10 days
    with pytest.raises(booking.BookingError, match="at most 10 days ahead"):
        booking.check_local_rules(business, beyond, beyond.replace(minute=45), type_name="Haircut")
    assert rules_for(business).horizon_days == 10
