"""Advanced appointment scheduling (issue 19) against the 4calls sandbox:
two stylists at once, buffers, a holiday that blocks the AI and the widget,
notice and horizon, daily caps, and no double booking of a staff member
under 20 concurrent attempts (the database decides)."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.appointments import booking, claims
from app.appointments.rules import rules_for
from app.extensions import db
from app.fourcalls import ValidationError, platform_client
from app.assistant.connection import organization_client
from app.models import Appointment
from app.models.scheduling import SlotClaim
from sandbox.fourcalls.testing import running_fourcalls
from tests.fourcalls_helpers import iso, next_weekday_at
from tests.scheduling_helpers import close_day, staffed_salon


@pytest.fixture(scope="module")
def fourcalls(tmp_path_factory):
    with running_fourcalls(tmp_path_factory.mktemp("fourcalls-scheduling")) as sandbox:
        yield sandbox


@pytest.fixture
def salon(app, fourcalls, factories, logged_in_owner):
    previous = app.config["FOURCALLS_API_URL"]
    app.config["FOURCALLS_API_URL"] = fourcalls.url
    app.config["FOURCALLS_MAX_ATTEMPTS"] = 1
    business = factories.business(owner=logged_in_owner, name="Two Chair Salon", phone="+1 555 201 1010")
    yield business
    fourcalls.clear_faults()
    app.config["FOURCALLS_API_URL"] = previous


def book(client, business, starts_at, name="Ann Lee", phone="(555) 201-3344", **extra):
    return client.post(f"/businesses/{business.slug}/appointments/new", data={
        "appointment_type": "Haircut", "starts_at": starts_at, "name": name, "phone": phone, **extra})


def test_two_stylists_take_the_same_time_and_a_third_booking_is_refused(client, salon):
    maria, jonas = staffed_salon(salon)
    ten = next_weekday_at(10)
    day = ten.date().isoformat()
    slots = client.get(f"/businesses/{salon.slug}/appointments/slots?day={day}&appointment_type=Haircut")
    assert "Maria" in slots.get_data(as_text=True) and "Jonas" in slots.get_data(as_text=True)

    assert book(client, salon, iso(ten)).status_code == 302
    assert book(client, salon, iso(ten), name="Bo Chen", phone="555 201 3345").status_code == 302
    third = book(client, salon, iso(ten), name="Cy Diaz", phone="555 201 3346")
    assert third.status_code == 422 and "overlaps" in third.get_data(as_text=True)
    booked = db.session.scalars(select(Appointment).order_by(Appointment.customer_name)).all()
    assert {a.staff_id for a in booked} == {maria.id, jonas.id}
    remote = organization_client(salon).list_appointments(organization_client(salon).organization_id)
    assert sorted(a["staff_id"] for a in remote) == sorted([str(maria.id), str(jonas.id)])

    # The calendar filters by staff member.
    week = client.get(f"/businesses/{salon.slug}/appointments?view=day&date={day}&staff={maria.id}").get_data(as_text=True)
    mine = next(a for a in booked if a.staff_id == maria.id)
    theirs = next(a for a in booked if a.staff_id == jonas.id)
    assert mine.customer_name in week and theirs.customer_name not in week


def test_a_chosen_staff_member_and_their_own_hours(client, salon):
    maria, jonas = staffed_salon(salon)
    jonas.hours = {d: ({"open": "12:00", "close": "17:00"} if d != "sunday" else None) for d in
                   ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")}
    db.session.commit()
    from app.appointments.settings import ensure_settings, push_settings
    ensure_settings(salon).sync_state = "pending"
    db.session.commit()
    push_settings(salon.id)
    early = book(client, salon, iso(next_weekday_at(10)), staff_id=str(jonas.id))
    assert early.status_code == 422 and "working hours of Jonas" in early.get_data(as_text=True)
    day = next_weekday_at(10).date().isoformat()
    slots = client.get(f"/businesses/{salon.slug}/appointments/slots?day={day}&appointment_type=Haircut"
                       f"&staff_id={jonas.id}").get_data(as_text=True)
    assert f'value="{iso(next_weekday_at(10))}"' not in slots and f'value="{iso(next_weekday_at(12))}"' in slots
    assert book(client, salon, iso(next_weekday_at(12)), staff_id=str(jonas.id)).status_code == 302
    assert db.session.scalar(select(Appointment.staff_id)) == jonas.id


def test_buffers_keep_time_free_around_an_appointment(client, salon):
    staffed_salon(salon, names=("Maria",), types=[{"name": "Haircut", "duration_minutes": 45,
                                                   "buffer_after_minutes": 15, "price_cents": 3000}])
    assert book(client, salon, iso(next_weekday_at(10))).status_code == 302
    day = next_weekday_at(10).date().isoformat()
    page = client.get(f"/businesses/{salon.slug}/appointments/slots?day={day}&appointment_type=Haircut").get_data(as_text=True)
    assert f'value="{iso(next_weekday_at(10, 45))}"' not in page  # inside the 15 minutes after
    assert f'value="{iso(next_weekday_at(11))}"' in page
    refused = book(client, salon, iso(next_weekday_at(10, 45)), name="Bo", phone="555 201 3345")
    assert refused.status_code == 422 and "time kept free" in refused.get_data(as_text=True)
    # 4calls itself refuses the AI the buffered time too.
    org = organization_client(salon)
    with pytest.raises(Exception) as raised:
        org.create_booking({"starts_at": iso(next_weekday_at(10, 45)), "appointment_type": "Haircut",
                            "customer": {"name": "Caller"}})
    assert getattr(raised.value, "status", None) == 409 or "overlap" in str(raised.value).lower()


def test_a_holiday_blocks_the_owner_the_ai_and_the_widget(client, salon):
    staffed_salon(salon)
    holiday = next_weekday_at(10)
    close_day(salon, holiday.date(), "Founders' day")
    refused = book(client, salon, iso(holiday))
    assert refused.status_code == 422 and "closed on" in refused.get_data(as_text=True)
    assert "Founders" in refused.get_data(as_text=True)
    org = organization_client(salon)
    day = holiday.date().isoformat()
    assert org.check_availability({"date_from": day, "date_to": day})["slots"] == []
    with pytest.raises(ValidationError) as raised:
        org.create_booking({"starts_at": iso(holiday), "appointment_type": "Haircut", "customer": {"name": "Caller"}})
    assert raised.value.details.get("reason") == "closed"
    # The widget books through 4calls chat: its offered slots skip the day and a booking of it is refused.
    coordinator = platform_client().create_coordinator(org.organization_id, {"name": "Ava", "role": "receptionist"})
    events = list(org.chat(coordinator["id"], message="I'd like to book an appointment"))
    offered = [s for e in events if e.event == "action" and e.data.get("type") == "offer_slots" for s in e.data["slots"]]
    assert offered and all(not s["local_starts_at"].startswith(day) for s in offered)
    session_id = next(e.data["session_id"] for e in events if e.event == "done")
    answer = list(org.chat(coordinator["id"], session_id=session_id, visitor={"name": "Vi", "phone": "+15552013399"},
                           action={"type": "book", "slot": iso(holiday)}))
    assert not any(e.event == "action" and e.data.get("type") == "booking_created" for e in answer)
    assert db.session.scalar(select(func.count()).select_from(Appointment)) == 0


def test_notice_horizon_and_daily_cap(client, salon):
    staffed_salon(salon, names=("Maria", "Jonas"),
                  types=[{"name": "Haircut", "duration_minutes": 45, "daily_cap": 1}])
    from app.appointments.settings import ensure_settings, push_settings
    settings = ensure_settings(salon)
    settings.horizon_days, settings.sync_state = 3, "pending"
    db.session.commit()
    push_settings(salon.id)
    far = next_weekday_at(10) + timedelta(days=7)
    response = book(client, salon, iso(far))
    assert response.status_code == 422 and "at most 3 days ahead" in response.get_data(as_text=True)
    assert book(client, salon, iso(next_weekday_at(10))).status_code == 302
    capped = book(client, salon, iso(next_weekday_at(14)), name="Bo", phone="555 201 3345")
    assert capped.status_code == 422 and "fully booked that day" in capped.get_data(as_text=True)


def _race(app, attempt, count=20):
    """Run `attempt` in `count` threads released together; their results."""
    results, gate = [], threading.Barrier(count)

    def run():
        with app.app_context():
            gate.wait()
            try:
                results.append(attempt())
            except Exception as exc:  # noqa: BLE001 - the outcome is what is counted
                results.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def test_twenty_concurrent_claims_of_one_staff_slot_let_exactly_one_through(app, factories):
    """The database alone decides (no 4calls involved): on SQLite and, with
    TEST_DATABASE_URL, on PostgreSQL."""
    business = factories.business(name="Claim Race")
    business_id, start = business.id, next_weekday_at(10)  # read here: the racers share no ORM objects

    def attempt():
        with Session(db.engine) as session:
            return claims.try_claim(session, business_id, "staff-1", start - timedelta(minutes=5), start + timedelta(minutes=45))

    results = _race(app, attempt)
    assert len(results) == 20 and not [r for r in results if isinstance(r, Exception)]
    assert len([r for r in results if r]) == 1
    assert db.session.scalar(select(func.count(func.distinct(SlotClaim.hold_key)))) == 1
    # Another staff member's identical time is free.
    assert claims.try_claim(db.session, business.id, "staff-2", start, start + timedelta(minutes=45))


def test_twenty_concurrent_bookings_of_one_staff_member_book_exactly_one(app, client, salon):
    (maria,) = staffed_salon(salon, names=("Maria",))
    ten, salon_id, maria_id = iso(next_weekday_at(10)), salon.id, str(maria.id)  # the racers share no ORM objects

    def attempt():
        from app.models import Business

        with app.test_request_context():
            request = booking.BookingRequest(starts_at=ten, appointment_type="Haircut", name="Racer",
                                             phone="555 201 3344", staff_id=maria_id)
            return booking.book(db.session.get(Business, salon_id), request)

    results = _race(app, attempt)
    booked = [r for r in results if isinstance(r, Appointment)]
    refused = [r for r in results if isinstance(r, booking.BookingError)]
    assert len(booked) == 1 and len(refused) == 19, [repr(r) for r in results if not isinstance(r, (Appointment, booking.BookingError))]
    assert db.session.scalar(select(func.count()).select_from(Appointment)) == 1
    org = organization_client(salon)
    assert len(list(org.list_appointments(org.organization_id))) == 1
    assert rules_for(salon).staff[0].id == maria.id
